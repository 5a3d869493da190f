/**
 * Names from content are printed escaped: the helper itself, and the CLI output of a deploy and of
 * `log` for a plan whose name holds a line break, a workflow command and terminal escapes.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLE_IDS, sampleSite } from '../samples/catalog.ts';
import { runCli } from '../src/cli/cli.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { startFrappeEmulator } from '../src/emulator/server.ts';
import { printable, printableLines } from '../src/io/printable.ts';
import { capture, tempDir } from './helpers.ts';

/** What a raw line of output must never hold: a control character, a bidi override, a workflow command. */
function expectSafe(text: string): void {
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  for (const line of text.split('\n')) {
    expect(line, line).not.toMatch(/^\s*::/);
    expect(line, line).not.toContain('##[');
  }
}

describe('printable', () => {
  it('escapes C0 and C1 controls, DEL, line separators and bidi controls as JSON escapes', () => {
    expect(printable('a\nb\rc\td\u0000e\u001b[31mf\u007fg\u0085h\u009bi')).toBe('a\\nb\\rc\\td\\u0000e\\u001b[31mf\\u007fg\\u0085h\\u009bi');
    expect(printable('x\u2028y\u2029z')).toBe('x\\u2028y\\u2029z');
    expect(printable('\u202eevil\u202c \u2066iso\u2069')).toBe('\\u202eevil\\u202c \\u2066iso\\u2069');
  });

  it('keeps ordinary text, right-to-left letters and emoji as they are', () => {
    for (const text of ['Grade 7 — Arabic', 'الصف السابع', 'plan: a::b', '😀 100%', 'C:\\path']) expect(printable(text)).toBe(text);
  });

  it('breaks a workflow command at the start of a line, after blanks too, and ##[ anywhere', () => {
    expect(printable('::error title=x::y')).toBe('\\u003a:error title=x::y');
    expect(printable('  \u00a0::add-mask::x')).toBe('  \u00a0\\u003a:add-mask::x');
    expect(printable('a ##[error]b ##[group]')).toBe('a ##\\u005berror]b ##\\u005bgroup]');
    expect(printable('a ::error::x')).toBe('a ::error::x');
  });

  it('is idempotent, and keeps JSON valid with the same value', () => {
    const hostile = 'a\n::error title=Injected::x\u001b[2J\u0000\u0085\u202e ##[group]';
    expect(printable(printable(hostile))).toBe(printable(hostile));
    const json = printableLines(JSON.stringify({ name: hostile, list: [hostile] }, null, 1));
    expectSafe(json);
    expect(JSON.parse(json)).toEqual({ name: hostile, list: [hostile] });
  });

  it('printableLines keeps line breaks and makes each line safe', () => {
    expect(printableLines('one\n::error::two\nthree\u001b')).toBe('one\n\\u003a:error::two\nthree\\u001b');
  });
});

describe('a plan with a hostile name, end to end', () => {
  const HOSTILE = 'a\n::error title=Injected::pwned\u001b[2J\u0000\u009b\u202e ##[warning]x';

  it('deploy and log print it escaped on one line, never as a workflow command or a raw escape', async () => {
    const frappe = await startFrappeEmulator(sampleSite());
    try {
      frappe.rename(DOCTYPES.plan, SAMPLE_IDS.plans.grade7Arabic, HOSTILE);
      const root = await tempDir('memora-hostile-');
      const env = { FRAPPE_URL: frappe.url, FRAPPE_API_KEY: 'test-key', FRAPPE_API_SECRET: 'test-secret', CDN_STORAGE_PROVIDER: 'directory', CDN_DIRECTORY: path.join(root, 'bucket') };
      const run = async (...argv: string[]) => {
        const stdout = capture();
        const stderr = capture();
        const code = await runCli(argv, { env, stdout, stderr });
        return { code, stdout: stdout.text(), stderr: stderr.text() };
      };
      const deploy = await run('deploy', '--verbose', '--trigger', `manual\n::warning::${HOSTILE}`, '--cache', path.join(root, 'cache'), '--out', path.join(root, 'out'));
      expect(deploy.code, deploy.stderr).toBe(0);
      const escaped = printable(HOSTILE);
      expect(deploy.stderr).toMatch(new RegExp(`^plans changed: .*${escaped.replace(/[\\[\]().*+?^$|{}]/g, '\\$&')}`, 'm'));
      expectSafe(deploy.stdout + deploy.stderr);

      const log = await run('log');
      expect(log.code).toBe(0);
      expect(log.stdout).toContain(escaped);
      expect(log.stdout.trim().split('\n')).toHaveLength(1);
      expectSafe(log.stdout + log.stderr);

      const json = await run('log', '--json');
      expectSafe(json.stdout);
      expect(JSON.parse(json.stdout).changed_plans).toContain(HOSTILE);

      for (const argv of [['status', '--out', path.join(root, 'out')], ['status', '--json', '--out', path.join(root, 'out')], ['diff', '--out', path.join(root, 'out')]]) {
        const r = await run(...argv);
        expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
        expectSafe(r.stdout + r.stderr);
      }
    } finally {
      await frappe.close();
    }
  });
});
