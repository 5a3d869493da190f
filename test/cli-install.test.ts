/**
 * The installed CLI, as the deploy workflow and an operator run it: the package copied to a
 * temporary folder, installed with runtime dependencies only (`npm ci --omit=dev`, from npm's
 * offline cache), which builds dist/; then `memora-cdn` runs from other folders.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { previewStarted, tempDir } from './helpers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 300_000;

/**
 * The environment without what `npm test` sets for its own project (npm_config_local_prefix...),
 * and without the checkout's node_modules/.bin on the PATH (npm and vitest put it there): a
 * machine that installs the command has none of its development tools (tsc, tsx).
 */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_registry']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase())));
  const PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => !dir.split(path.sep).includes('node_modules'))
    .join(path.delimiter);
  return { ...env, PATH, CI: '1', ...extra };
}

/** Runs a command and returns its exit code and output, whatever the code. */
async function exec(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }) {
  try {
    // A command that hangs is killed before the test's own timeout.
    const { stdout, stderr } = await run(file, args, { cwd: options.cwd, env: options.env ?? childEnv(), timeout: options.timeoutMs ?? 50_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
  }
}

let dir: string;
/** The installed package (a copy of this checkout's files). */
let pkg: string;
/** `npm install --global` goes here: its bin/ holds `memora-cdn`. */
let globalPrefix: string;
let bin: string;

beforeAll(async () => {
  dir = await tempDir('memora-install-');
  pkg = path.join(dir, 'memora-cdn');
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0');
  for (const file of files) {
    if (file === '' || !existsSync(path.join(ROOT, file))) continue;
    await mkdir(path.dirname(path.join(pkg, file)), { recursive: true });
    await cp(path.join(ROOT, file), path.join(pkg, file));
  }
  const install = await exec('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund'], { cwd: pkg, timeoutMs: INSTALL_TIMEOUT_MS });
  if (install.code !== 0) throw new Error(`npm ci --omit=dev --offline failed (it installs from npm's cache, which \`npm ci\` in the checkout fills):\n${install.stderr}`);
  // What an operator does once in a checkout to have `memora-cdn` everywhere (like `npm link`).
  globalPrefix = path.join(dir, 'global');
  const link = await exec('npm', ['install', '--global', '--offline', '--no-audit', '--no-fund', '--prefix', globalPrefix, pkg], { cwd: dir, timeoutMs: INSTALL_TIMEOUT_MS });
  if (link.code !== 0) throw new Error(`npm install --global failed:\n${link.stderr}`);
  bin = path.join(globalPrefix, 'bin', 'memora-cdn');
}, INSTALL_TIMEOUT_MS);

/** Modules a run of the built CLI loads, recorded by a module hook. */
async function loadedModules(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const hooks = path.join(dir, 'record-hooks.mjs');
  const register = path.join(dir, 'record-register.mjs');
  await writeFile(
    hooks,
    "import { appendFileSync } from 'node:fs';\nlet log;\nexport function initialize(data) { log = data.log; }\n" +
      'export async function load(url, context, next) { appendFileSync(log, `${url}\\n`); return next(url, context); }\n',
  );
  await writeFile(register, "import { register } from 'node:module';\nregister('./record-hooks.mjs', import.meta.url, { data: { log: process.env.MODULE_LOG } });\n");
  const log = path.join(dir, `loaded-${args.join('-').replace(/\W+/g, '_')}.txt`);
  const result = await exec(process.execPath, ['--import', register, path.join(pkg, 'dist/cli/main.js'), ...args], { cwd: dir, env: childEnv({ ...env, MODULE_LOG: log }) });
  expect(result.code, result.stderr).toBe(0);
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
}

const HEAVY = ['@aws-sdk', '@smithy', 'esbuild', 'ajv', 'undici', 'zod'];
const heavyIn = (urls: string[]) => urls.filter((u) => HEAVY.some((h) => u.includes(`/node_modules/${h}/`)));

describe('the installed memora-cdn command', () => {
  it('is built into dist/ by a production-only install, without development packages', async () => {
    expect(existsSync(path.join(pkg, 'dist/cli/main.js'))).toBe(true);
    for (const dev of ['tsx', 'typescript', 'vitest']) expect(existsSync(path.join(pkg, 'node_modules', dev)), dev).toBe(false);
    expect(await readFile(path.join(pkg, 'dist/cli/main.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('answers npx memora-cdn --version inside the package, from a subfolder', async () => {
    const { version } = JSON.parse(await readFile(path.join(pkg, 'package.json'), 'utf8')) as { version: string };
    const result = await exec('npx', ['--offline', 'memora-cdn', '--version'], { cwd: path.join(pkg, 'samples') });
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('runs from any folder once installed globally, with paths relative to that folder', async () => {
    const caller = path.join(dir, 'caller');
    await mkdir(caller, { recursive: true });
    const help = await exec('npx', ['--offline', 'memora-cdn', '--help'], { cwd: caller, env: childEnv({ npm_config_prefix: globalPrefix }) });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: memora-cdn <command> [options]');
    // The default --cache (content-cache/) and --out (out/) are folders of the caller.
    await cp(path.join(pkg, 'samples/content-cache'), path.join(caller, 'content-cache'), { recursive: true });
    const built = await exec(bin, ['build'], { cwd: caller });
    expect(built.code, built.stderr).toBe(0);
    expect(existsSync(path.join(caller, 'out/plans/p7ar2k4m9x/manifest.json'))).toBe(true);
    expect(existsSync(path.join(pkg, 'out'))).toBe(false);
    // An explicit relative path too.
    expect((await exec(bin, ['build', '--out', 'elsewhere'], { cwd: caller })).code).toBe(0);
    expect(existsSync(path.join(caller, 'elsewhere/plans/p7ar2k4m9x/manifest.json'))).toBe(true);
  });

  it('says that the demo needs the development dependencies', async () => {
    const caller = path.join(dir, 'demo');
    await mkdir(caller, { recursive: true });
    const result = await exec(bin, ['demo', '--no-serve', '--port', '0'], { cwd: caller });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the demo bucket needs the development dependency s3rver: run `npm ci` \(without --omit=dev\)/);
  });

  it('reads .env from the current folder; the environment wins and secrets are not printed', async () => {
    const caller = path.join(dir, 'dotenv');
    await mkdir(caller, { recursive: true });
    await writeFile(path.join(caller, '.env'), 'CDN_STORAGE_PROVIDER=directory\nCDN_DIRECTORY=from-file-bucket\nCDN_SECRET_KEY=dotenv-secret-4321\n');
    const fromFile = await exec(bin, ['status'], { cwd: caller });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toContain(path.join(caller, 'from-file-bucket'));
    const fromEnv = await exec(bin, ['status', '--verbose'], { cwd: caller, env: childEnv({ CDN_DIRECTORY: 'from-env-bucket' }) });
    expect(fromEnv.stdout).toContain(path.join(caller, 'from-env-bucket'));
    for (const r of [fromFile, fromEnv]) expect(r.stdout + r.stderr).not.toContain('dotenv-secret-4321');
    await writeFile(path.join(caller, '.env'), 'CDN_STORAGE_PROVIDER=directory\nnot an assignment dotenv-secret-4321\n');
    const malformed = await exec(bin, ['status'], { cwd: caller });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toBe('error: .env line 2: expected NAME=value (or a # comment)\n');
  });

  it('serves the preview with the viewer bundled from its sources', async () => {
    const out = path.join(dir, 'preview-out');
    expect((await exec(bin, ['build', '--cache', path.join(pkg, 'samples/content-cache'), '--out', out], { cwd: dir })).code).toBe(0);
    const child = spawn(bin, ['preview', '--port', '0', '--out', out], { cwd: dir, env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const { url } = await previewStarted(child);
      const app = await fetch(`${url}/_viewer/app.js`);
      expect(app.status).toBe(200);
      expect(app.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect((await app.text()).length).toBeGreaterThan(1000);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    }
  });

  it('loads no heavy module for --help, --version or help <command>, and only what a command needs', async () => {
    for (const args of [['--version'], ['--help'], ['help', 'deploy'], ['deploy', '--help']]) {
      const urls = await loadedModules(args);
      expect(heavyIn(urls), args.join(' ')).toEqual([]);
      // No command's module is imported to print help.
      expect(urls.filter((u) => u.includes('/dist/cli/commands/')), args.join(' ')).toEqual([]);
    }
    // A build loads the build with the schema validators precompiled at install, not ajv's
    // compiler (the validators require only its small runtime helpers), nor the deploy side.
    const out = path.join(dir, 'lazy-out');
    const build = await loadedModules(['build', '--cache', path.join(pkg, 'samples/content-cache'), '--out', out]);
    expect(build.some((u) => u.endsWith('/dist/cli/commands/build.js'))).toBe(true);
    expect(build.some((u) => u.endsWith('/dist/build/validators.js'))).toBe(true);
    expect(heavyIn(build).filter((u) => !u.includes('/ajv/dist/runtime/') && !u.includes('/zod/'))).toEqual([]);
  });

  it('deploys the cache as it is without loading the HTTP client of pulls and purges (undici) when it does neither', async () => {
    const deployed = await loadedModules(['deploy', '--no-pull', '--cache', path.join(pkg, 'samples/content-cache'), '--out', path.join(dir, 'lazy-deploy-out')], {
      CDN_STORAGE_PROVIDER: 'directory',
      CDN_DIRECTORY: path.join(dir, 'lazy-deploy-cdn'),
    });
    expect(deployed.some((u) => u.endsWith('/dist/cli/commands/deploy.js'))).toBe(true);
    expect(deployed.filter((u) => u.includes('/node_modules/undici/'))).toEqual([]);
  });
});
