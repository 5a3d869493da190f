import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/cli.ts';
import type { Command } from '../src/cli/command.ts';
import { previewStarted, tempDir } from './helpers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return Object.assign(w, { text: () => chunks.join('') });
}

async function cli(...argv: string[]) {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(argv, { stdout, stderr, env: {} });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('command line', () => {
  it('prints help for the tool and for each command', async () => {
    const tool = await cli('--help');
    expect(tool.code).toBe(0);
    for (const c of ['pull', 'build', 'diff', 'deploy', 'status', 'log', 'verify', 'purge', 'doctor', 'preview', 'demo', 'generate']) expect(tool.stdout).toContain(c);
    for (const c of ['pull', 'build', 'diff', 'deploy', 'status', 'log', 'verify', 'purge', 'doctor', 'preview', 'demo', 'generate']) {
      const help = await cli(c, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`Usage: memora-cdn ${c}`));
      // `help <command>` prints the same.
      expect(await cli('help', c)).toEqual(help);
      expect(help.stdout).toContain('--verbose');
    }
    expect((await cli('build', '--help')).stdout).toMatch(/--plan ID .*repeatable/);
  });

  it('exits 2 on bad usage, naming what is wrong', async () => {
    expect(await cli()).toMatchObject({ code: 2 });
    const unknown = await cli('deploy-all');
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toMatch(/unknown command "deploy-all"; commands: pull, build, /);
    const flag = await cli('build', '--colour');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/build: unknown option "--colour"; see `build --help`/);
    const port = await cli('preview', '--port', 'http');
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port "http": expected a whole number from 0 to 65535/);
    const gen = await cli('generate', '--plans', '2');
    expect(gen.code).toBe(2);
    expect(gen.stderr).toMatch(/--plans and --lessons are required/);
    expect((await cli('build', 'extra')).stderr).toMatch(/unexpected argument "extra"/);
  });

  it('suggests the closest command or option for a typo, and help takes one command at most', async () => {
    expect(await cli('depoy')).toMatchObject({ code: 2, stderr: 'error: unknown command "depoy"; did you mean "deploy"?\n' });
    expect(await cli('help', 'stauts')).toMatchObject({ code: 2, stderr: 'error: unknown command "stauts"; did you mean "status"?\n' });
    expect(await cli('build', '--ot', 'x')).toMatchObject({ code: 2, stderr: 'error: build: unknown option "--ot"; did you mean "--out"?\n' });
    expect((await cli('demo', '--no-serv')).stderr).toMatch(/did you mean "--no-serve"\?/);
    expect((await cli('deploy', '--dryrun')).stderr).toMatch(/did you mean "--dry-run"\?/);
    expect(await cli('help')).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: memora-cdn <command> [options]') });
    expect(await cli('help', '--help')).toEqual(await cli('help'));
    expect(await cli('help', 'build', 'deploy')).toMatchObject({ code: 2, stderr: 'error: help: unexpected argument "deploy"; usage: help [<command>]\n' });
  });

  it('validates the variables a command uses before it runs, and no others', async () => {
    let ran = 0;
    const probe = {
      name: 'probe',
      summary: 'test command',
      usage: 'probe',
      options: {},
      config: { uses: ['CDN_SIGNED_URL_EXPIRY_HOURS', 'CDN_BASE_URL'], requires: ['CDN_BASE_URL'] },
      load: async () => ({
        run: async () => {
          ran++;
        },
      }),
    } as const satisfies Command;
    const run = async (env: NodeJS.ProcessEnv) => {
      const stderr = sink();
      const code = await runCli(['probe'], { stdout: sink(), stderr, env, commands: [probe] });
      return { code, stderr: stderr.text() };
    };
    const bad = await run({ CDN_SIGNED_URL_EXPIRY_HOURS: '48', CDN_BASE_URL: 'https://cdn.memora.app' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/CDN_SIGNED_URL_EXPIRY_HOURS is invalid: out of range: expected a whole number of hours from 1 to 24/);
    const missing = await run({});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/CDN_BASE_URL is not set/);
    expect(ran).toBe(0);
    expect((await run({ CDN_BASE_URL: 'https://cdn.memora.app', FRAPPE_URL: 'nonsense' })).code).toBe(0);
    expect(ran).toBe(1);
    // The build uses no variable: a broken one it does not read cannot stop it.
    const dir = await tempDir();
    const stderr = sink();
    expect(await runCli(['build', '--cache', 'samples/content-cache', '--out', path.join(dir, 'out')], { stdout: sink(), stderr, env: { CDN_SIGNED_URL_EXPIRY_HOURS: '48' } })).toBe(0);
  });

  it('exits 1 with the reason when the build cannot run', async () => {
    const dir = await tempDir();
    const result = await cli('build', '--cache', path.join(dir, 'none'), '--out', path.join(dir, 'out'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: no content cache in /);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('generates and builds a catalog end to end', async () => {
    const dir = await tempDir();
    const cache = path.join(dir, 'cache');
    const gen = await cli('generate', '--plans', '3', '--lessons', '300', '--seed', '4', '--cache', cache);
    expect(gen).toMatchObject({ code: 0 });
    expect(gen.stderr).toMatch(/generated into .*: 3 plans, .* 300 lessons/);
    expect((await cli('generate', '--plans', '3', '--lessons', '300', '--cache', cache)).stderr).toMatch(/already holds a content cache; pass --force/);
    const built = await cli('build', '--cache', cache, '--out', path.join(dir, 'out'));
    expect(built.code).toBe(0);
    expect(built.stderr).toMatch(/built 3 plan\(s\) into .*: \d+ files \(3 manifest, 3 search index/);
  });

  it('runs the demo as a real process and serves the sample tree until stopped', async () => {
    const dir = await tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--port', '0', '--out', path.join(dir, 'out'), '--cache', path.join(dir, 'cache'), '--bucket-dir', path.join(dir, 'bucket')], {
      cwd: ROOT,
      env: { ...process.env, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { url, stderr } = await previewStarted(child);
    expect(stderr).toMatch(/pulled \(full\): .*Memora Lesson 43 inserted/);
    expect(stderr).toMatch(/deploy success to aws-s3 bucket memora-demo .*: 118 uploaded/);
    expect(stderr).toMatch(/deployed again with nothing changed: 0 uploaded, 0 deleted, 0 purge request/);
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('/_viewer/app.js');
    const plans = (await (await fetch(`${url}/_viewer/api/plans`)).json()) as { plans: { plan_id: string }[] };
    expect(plans.plans.map((p) => p.plan_id)).toContain('p7ar2k4m9x');
    // The viewer shows the deploy to the local bucket, which stays up while the preview runs.
    const deployInfo = (await (await fetch(`${url}/_viewer/api/deploy`)).json()) as Record<string, unknown>;
    expect(deployInfo).toMatchObject({ configured: true, last_deploy: { status: 'success' }, report: { trigger: 'demo (again)' } });
    expect(deployInfo.storage).toMatch(/memora-demo/);
    const manifest = await fetch(`${url}/plans/p7ar2k4m9x/manifest.json`);
    expect(manifest.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(manifest.headers.get('access-control-allow-origin')).toBe('*');
    expect(((await manifest.json()) as { plan_id: string }).plan_id).toBe('p7ar2k4m9x');
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});

describe('.env file', () => {
  /** Runs a command that reports the validated settings it was given. */
  async function withDotEnv(text: string | null, env: NodeJS.ProcessEnv) {
    const dir = await tempDir();
    const envFile = path.join(dir, '.env');
    if (text !== null) await writeFile(envFile, text);
    let seen: Record<string, unknown> | null = null;
    const probe = {
      name: 'probe',
      summary: 'test command',
      usage: 'probe',
      options: {},
      config: { uses: ['CDN_BASE_URL', 'CDN_SECRET_KEY', 'CDN_REGION'] },
      load: async () => ({
        run: async (_values, _positionals, ctx) => {
          seen = ctx.config;
        },
      }),
    } as const satisfies Command;
    const stdout = sink();
    const stderr = sink();
    const code = await runCli(['probe'], { stdout, stderr, env, envFile, commands: [probe] });
    return { code, seen: seen as Record<string, unknown> | null, output: stdout.text() + stderr.text() };
  }

  it('adds its variables without overriding those set in the environment', async () => {
    const result = await withDotEnv('# settings\nCDN_BASE_URL=https://from-file.example\nexport CDN_REGION="eu-west-1"\nCDN_SECRET_KEY=file-secret-1234\n', { CDN_BASE_URL: 'https://from-env.example', CDN_SECRET_KEY: '' });
    expect(result.code).toBe(0);
    expect(result.seen).toMatchObject({ CDN_BASE_URL: 'https://from-env.example', CDN_REGION: 'eu-west-1' });
    // Set in the environment, even empty: the file does not replace it.
    expect(result.seen?.CDN_SECRET_KEY).toBeUndefined();
    expect(result.output).not.toContain('file-secret-1234');
  });

  it('reads a file that begins with a byte order mark (Notepad, PowerShell), its first variable included', async () => {
    const result = await withDotEnv('\uFEFFCDN_BASE_URL=https://from-file.example\r\nCDN_REGION=auto\r\n', {});
    expect(result).toMatchObject({ code: 0, seen: { CDN_BASE_URL: 'https://from-file.example', CDN_REGION: 'auto' } });
  });

  it('is optional', async () => {
    expect(await withDotEnv(null, { CDN_REGION: 'auto' })).toMatchObject({ code: 0, seen: { CDN_REGION: 'auto' } });
  });

  it('reads a quoted value over several lines', async () => {
    const result = await withDotEnv('CDN_REGION=auto\nCDN_SECRET_KEY="first line\nsecond line"\nCDN_BASE_URL=https://cdn.example\n', {});
    expect(result).toMatchObject({ code: 0, seen: { CDN_REGION: 'auto', CDN_BASE_URL: 'https://cdn.example' } });
  });

  it('rejects a malformed file with exit code 2, naming the line but never printing it', async () => {
    const bad = await withDotEnv('CDN_REGION=auto\nsk-live-secret-5678\n', {});
    expect(bad.code).toBe(2);
    expect(bad.output).toMatch(/\.env line 2: expected NAME=value/);
    expect(bad.output).not.toContain('secret-5678');
    expect(bad.seen).toBeNull();
    const open = await withDotEnv('CDN_SECRET_KEY="never closed-9012\nCDN_REGION=auto\n', {});
    expect(open.code).toBe(2);
    expect(open.output).toMatch(/\.env line 1: the quoted value is never closed/);
    expect(open.output).not.toContain('9012');
  });

  it('is a configuration error when a bad value comes from it, which names the variable', async () => {
    const result = await withDotEnv('CDN_BASE_URL=not a url\n', {});
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/CDN_BASE_URL/);
  });
});
