/**
 * scripts/build-cli.mjs rebuilds dist/ in place (`prepare`, `npm run bench:cli`, the test run's
 * global setup): a `memora-cdn` process running from dist/ meanwhile, as the converge tests'
 * children and a deploy in a checkout do, never finds a module missing.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const MAIN = path.join(DIST, 'cli', 'main.js');

const run = promisify(execFile);

/** Runs the build script; rejects unless it exits with 0. */
function buildCli(): Promise<{ stdout: string }> {
  return run(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT });
}

describe('scripts/build-cli.mjs', () => {
  it('rebuilds dist/ while the built command runs from it: every run started meanwhile succeeds', async () => {
    let building = true;
    const built = buildCli().finally(() => {
      building = false;
    });
    const failures: string[] = [];
    let runs = 0;
    do {
      runs++;
      try {
        await run(process.execPath, [MAIN, 'help', 'deploy'], { cwd: ROOT });
      } catch (error) {
        failures.push(String((error as { stderr?: string }).stderr ?? error));
      }
    } while (building);
    expect((await built).stdout).toMatch(/^built \d+ modules into /);
    expect(failures).toEqual([]);
    expect(runs).toBeGreaterThan(0);
  });

  it('writes no file whose bytes are unchanged, and removes modules whose sources are gone', async () => {
    await buildCli();
    const before = statSync(MAIN, { bigint: true });
    const staleDir = path.join(DIST, 'gone-module-dir');
    await mkdir(staleDir, { recursive: true });
    await writeFile(path.join(staleDir, 'gone.js'), 'export {};\n');
    await writeFile(path.join(DIST, 'cli', 'main.js.999.tmp'), 'half');
    const { stdout } = await buildCli();
    expect(stdout).toMatch(/\(0 written, 2 removed\)/);
    const after = statSync(MAIN, { bigint: true });
    expect([after.ino, after.mtimeNs]).toEqual([before.ino, before.mtimeNs]);
    expect(after.mode & 0o777n).toBe(0o755n);
    expect(existsSync(staleDir)).toBe(false);
    expect(existsSync(path.join(DIST, 'cli', 'main.js.999.tmp'))).toBe(false);
  });
});
