import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/cli.ts';
import type { Command } from '../src/cli/command.ts';
import { tempDir } from './helpers.ts';

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
      expect(help.stdout).toMatch(new RegExp(`Usage: npm run cdn -- ${c}`));
      expect(help.stdout).toContain('--verbose');
    }
    expect((await cli('build', '--help')).stdout).toMatch(/--plan ID .*repeatable/);
  });

  it('exits 2 on bad usage, naming what is wrong', async () => {
    expect(await cli()).toMatchObject({ code: 2 });
    const unknown = await cli('deploy-all');
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toMatch(/unknown command "deploy-all"/);
    const flag = await cli('build', '--colour');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/build: Unknown option '--colour'/);
    const port = await cli('preview', '--port', 'http');
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port "http": expected a whole number from 0 to 65535/);
    const gen = await cli('generate', '--plans', '2');
    expect(gen.code).toBe(2);
    expect(gen.stderr).toMatch(/--plans and --lessons are required/);
    expect((await cli('build', 'extra')).stderr).toMatch(/unexpected argument "extra"/);
  });

  it('validates the variables a command uses before it runs, and no others', async () => {
    let ran = 0;
    const probe = {
      name: 'probe',
      summary: 'test command',
      usage: 'probe',
      options: {},
      config: { uses: ['CDN_SIGNED_URL_EXPIRY_HOURS', 'CDN_BASE_URL'], requires: ['CDN_BASE_URL'] },
      async run() {
        ran++;
      },
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
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /preview of .* at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${stderr}`)));
    });
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
