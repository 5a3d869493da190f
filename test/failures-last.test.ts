/** The reporter that names failed tests again after the summary (test/failures-last.ts), run on a small project of its own. */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function runProject(files: Record<string, string>): Promise<{ code: number | null; out: string }> {
  // Inside the checkout (test-artifacts/ is not committed), so that `vitest` resolves from its node_modules.
  const dir = path.join(ROOT, 'test-artifacts', 'failures-last');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'vitest.config.mjs'),
    `export default { test: { include: ['*.check.ts'], reporters: ['default', ${JSON.stringify(path.join(ROOT, 'test', 'failures-last.ts'))}] } };\n`,
  );
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir], { cwd: dir, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, out };
}

describe('the failures-last reporter', () => {
  it('names each failed test and a file that could not load, with the first line of the error, as the last lines of the run', async () => {
    const { code, out } = await runProject({
      'a.check.ts': "import { expect, it } from 'vitest';\nit('adds', () => expect(1 + 1).toBe(3));\nit('passes', () => expect(1).toBe(1));\n",
      'b.check.ts': "import { it } from 'vitest';\nimport missing from 'no-such-package-anywhere';\nit('never runs', () => void missing);\n",
    });
    expect(code).toBe(1);
    const tail = out.trimEnd().split('\n').slice(-3);
    expect(tail[0]).toBe('Failed (2), repeated here at the end:');
    expect(tail.slice(1).sort()).toEqual([
      '  FAIL a.check.ts > adds: expected 2 to be 3 // Object.is equality',
      expect.stringMatching(/^ {2}FAIL b\.check\.ts: .*no-such-package-anywhere/),
    ].sort());
  }, 60_000);

  it('adds nothing when every test passes', async () => {
    const { code, out } = await runProject({ 'a.check.ts': "import { expect, it } from 'vitest';\nit('passes', () => expect(1).toBe(1));\n" });
    expect(code).toBe(0);
    expect(out).not.toContain('Failed (');
    expect(out).toMatch(/Tests\s+1 passed/);
  }, 60_000);
});
