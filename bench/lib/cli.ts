/**
 * memora-cdn's command run as a real process, as a user or CI runs it: the built executable
 * (dist/cli/main.js) when it is as new as the sources, else the sources through tsx. Timed from
 * spawn to exit, so the time includes Node's start-up and module loading.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fg from 'fast-glob';
import { REPO_DIR } from './child.ts';

export interface Cli {
  /** How the command is run, as the report prints it (`node dist/cli/main.js`). */
  label: string;
  /** Why it is not the built executable (null when it is). */
  fallback: string | null;
  run(args: readonly string[], options: CliRunOptions): Promise<CliRun>;
}

export interface CliRunOptions {
  /** Variables set on top of the cleaned environment (see `cliEnv`). */
  env: Record<string, string>;
  /** The current folder: one without a `.env`, so only `env` configures the command. */
  cwd: string;
}

export interface CliRun {
  /** From spawn to exit. */
  wallMs: number;
  /** When the process was spawned (ms since the epoch), to place the command's own timestamps. */
  spawnedAt: number;
  stdout: string;
  stderr: string;
}

const MAIN_JS = path.join(REPO_DIR, 'dist', 'cli', 'main.js');
const MAIN_TS = path.join(REPO_DIR, 'src', 'cli', 'main.ts');

/** The newest modification time (ms) of the files the executable is compiled from. */
async function newestSource(): Promise<number> {
  const files = await fg(['src/**/*.ts', 'packages/client/src/**/*.ts', 'scripts/build-cli.mjs'], { cwd: REPO_DIR, onlyFiles: true, absolute: true });
  return files.reduce((newest, f) => Math.max(newest, statSync(f).mtimeMs), 0);
}

/**
 * The built executable when dist/ is at least as new as the sources (rebuilt with
 * scripts/build-cli.mjs when it is older or missing); the sources through tsx if it cannot be
 * built. dist/ is never rebuilt while it is current: other processes (the test suite) may be
 * running it.
 */
export async function prepareCli(log: (m: string) => void): Promise<Cli> {
  let fallback: string | null = null;
  try {
    const built = existsSync(MAIN_JS) ? statSync(MAIN_JS).mtimeMs : 0;
    if (built < (await newestSource())) {
      log(`dist/ is ${built === 0 ? 'missing' : 'older than the sources'}: node scripts/build-cli.mjs`);
      await promisify(execFile)(process.execPath, [path.join(REPO_DIR, 'scripts', 'build-cli.mjs')], { cwd: REPO_DIR });
    }
    if (!existsSync(MAIN_JS)) throw new Error('scripts/build-cli.mjs wrote no dist/cli/main.js');
  } catch (error) {
    fallback = `dist/ could not be built (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
    log(`${fallback}: running the sources through tsx`);
  }
  if (fallback === null) return cliOf(['node', 'dist/cli/main.js'], [MAIN_JS], null);
  // `--import tsx` resolves from the current folder, which is not the repository: name the loader's file.
  const tsx = fileURLToPath(import.meta.resolve('tsx'));
  return cliOf(['node', '--import', 'tsx', 'src/cli/main.ts'], ['--import', tsx, MAIN_TS], fallback);
}

function cliOf(label: readonly string[], nodeArgs: readonly string[], fallback: string | null): Cli {
  return {
    label: label.join(' '),
    fallback,
    run: (args, options) => spawnTimed([...nodeArgs, ...args], options),
  };
}

/**
 * The harness's environment without anything that configures memora-cdn or its SDKs from
 * outside (FRAPPE_*, CDN_*, CLOUDFLARE_*, AWS_*) or turns on its GitHub Actions output, plus `env`.
 */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const own = /^(FRAPPE_|CDN_|CLOUDFLARE_|AWS_|GITHUB_)/;
  const kept = Object.fromEntries(Object.entries(process.env).filter(([k]) => !own.test(k)));
  return { ...kept, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env };
}

function spawnTimed(args: readonly string[], options: CliRunOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const spawnedAt = Date.now();
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: options.cwd, env: cliEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code === 0) resolve({ wallMs, spawnedAt, stdout, stderr });
      else reject(new Error(`memora-cdn ${args.join(' ')} exited with ${code}: ${(stderr || stdout).trim().slice(-2000)}`));
    });
  });
}
