/**
 * The deploy as a GitHub Actions step: phases as `::group::` sections of the log, step outputs in
 * $GITHUB_OUTPUT (with the content cache's fingerprint), and content warnings as `::warning::` annotations only when they are new since
 * the last deploy. The CLI runs in-process (runCli) against the Frappe emulator on 127.0.0.1 and
 * the directory storage provider, with GITHUB_ACTIONS and GITHUB_OUTPUT set as a runner sets them.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleSite } from '../samples/catalog.ts';
import { runCli } from '../src/cli/cli.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { SNAPSHOT_FILE } from '../src/build/output.ts';
import type { ContentWarning } from '../src/content/warnings.ts';
import { newWarnings } from '../src/deploy/deploy.ts';
import type { DeployReport } from '../src/deploy/report.ts';
import { annotations } from '../src/deploy/summary.ts';
import { startFrappeEmulator, type FrappeEmulator } from '../src/emulator/server.ts';
import { formatStepOutputs, workflowCommand } from '../src/github-actions.ts';
import { createLogger } from '../src/log.ts';
import { capture, tempDir } from './helpers.ts';

/** The outputs in a $GITHUB_OUTPUT file, read as the runner reads them (`name=value` and `name<<DELIMITER` blocks). */
function parseStepOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; lines[i] !== delimiter; i++) {
        if (i >= lines.length) throw new Error(`no closing ${delimiter} for ${name}`);
        value.push(lines[i]!);
      }
      outputs[name!] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`not an output line: ${line}`);
    outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return outputs;
}

/** The `::group::` titles of a log, each checked to be closed before the next opens. */
function groupsOf(log: string): string[] {
  const titles: string[] = [];
  let open = false;
  for (const line of log.split('\n')) {
    if (line.startsWith('::group::')) {
      expect(open, `${line}: a group opened inside another`).toBe(false);
      titles.push(line.slice('::group::'.length));
      open = true;
    } else if (line === '::endgroup::') {
      expect(open, 'an ::endgroup:: without a group').toBe(true);
      open = false;
    }
  }
  expect(open, 'a group left open').toBe(false);
  return titles;
}

const warningAnnotations = (stdout: string): string[] => stdout.split('\n').filter((l) => l.startsWith('::warning '));

describe('workflow commands and step outputs (formatting)', () => {
  it('writes a value on one line as name=value, and one with line breaks between delimiters it does not contain', () => {
    expect(formatStepOutputs({ status: 'success', uploaded: 12 })).toBe('status=success\nuploaded=12\n');
    const delimiters = ['EOF', 'EOF', 'D2'];
    const text = formatStepOutputs({ report: 'a\nEOF\nb', plain: 'x=y' }, () => delimiters.shift()!);
    // The first two delimiters occur in the value: a third is drawn.
    expect(text).toBe('report<<D2\na\nEOF\nb\nD2\nplain=x=y\n');
    expect(parseStepOutputs(text)).toEqual({ report: 'a\nEOF\nb', plain: 'x=y' });
    expect(parseStepOutputs(formatStepOutputs({ report: 'line 1\r\nline 2' }))).toEqual({ report: 'line 1\r\nline 2' });
    expect(() => formatStepOutputs({ 'bad name\nx': 1 })).toThrow(/not a valid identifier/);
  });

  it('escapes a command message and its properties so that text cannot end the command or start another', () => {
    expect(workflowCommand('warning', { title: 'a: b, c' }, '50% done\n::error::x')).toBe('::warning title=a%3A b%2C c::50%25 done%0A::error::x');
    expect(workflowCommand('endgroup', {})).toBe('::endgroup::');
  });
});

describe('log groups', () => {
  it('in GitHub Actions, a phase is a group, closed also when the phase fails; a phase inside it joins it', async () => {
    const out = capture();
    const log = createLogger({ stream: out, githubActions: true });
    await log.group('Pull\nfrom Frappe', async () => {
      log.info('pulled');
      await log.group('inner', async () => log.info('inside'));
    });
    await expect(log.group('Build', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    log.info('after');
    expect(out.text()).toBe('::group::Pull%0Afrom Frappe\npulled\ninside\n::endgroup::\n::group::Build\n::endgroup::\nafter\n');
  });

  it('elsewhere, phases leave no trace in the log', async () => {
    const out = capture();
    const log = createLogger({ stream: out, githubActions: false });
    expect(await log.group('Build', async () => 42)).toBe(42);
    log.info('done');
    expect(out.text()).toBe('done\n');
    // The default follows GITHUB_ACTIONS, which the test environment leaves unset.
    const byDefault = capture();
    await createLogger({ stream: byDefault }).group('Build', async () => undefined);
    expect(byDefault.text()).toBe('');
  });
});

describe('new content warnings', () => {
  const w = (name: string, plan?: string): ContentWarning => ({ doctype: 'Memora Lesson', name, reason: 'has an empty or blank title; skipped', ...(plan ? { plan } : {}) });

  it('are those whose fingerprint the last deploy did not record; a --plan deploy adds to what was seen', () => {
    const first = newWarnings([w('a'), w('b')], [], false);
    expect(first.warnings).toEqual([w('a'), w('b')]);
    const second = newWarnings([w('b'), w('c')], first.seen, false);
    expect(second.warnings).toEqual([w('c')]);
    // A full deploy forgets what is gone (a fixed warning that comes back is new again)...
    expect(newWarnings([w('a')], second.seen, false).warnings).toEqual([w('a')]);
    // ...a --plan deploy, which builds only some plans, keeps the others' warnings as seen.
    const scoped = newWarnings([w('b', 'p1')], second.seen, true);
    expect(new Set(scoped.seen)).toEqual(new Set([...second.seen, ...newWarnings([w('b', 'p1')], [], false).seen]));
  });

  it('become at most 10 annotations, escaped, the last counting the rest; failures keep their own budget', () => {
    const report = {
      status: 'success',
      failures: [{ key: 'lessons/x.json', op: 'upload', error: 'InternalError' }],
      dead_letters: [],
      build: { files: 1, bytes: 1, warnings: 250, new_warnings: 120 },
      new_warnings: Array.from({ length: 100 }, (_, i) => w(i === 0 ? 'n\n::error title=Injected::x' : `n${i}`)),
    } as unknown as DeployReport;
    const lines = annotations(report);
    expect(lines.filter((l) => l.startsWith('::error '))).toHaveLength(1);
    const warnings = warningAnnotations(lines.join('\n'));
    expect(warnings).toHaveLength(10);
    expect(warnings[0]).toBe('::warning title=New content warning%3A Memora Lesson n\\n%3A%3Aerror title=Injected%3A%3Ax::Memora Lesson "n\\n::error title=Injected::x": has an empty or blank title; skipped');
    expect(warnings[9]).toMatch(/^::warning title=More new content warnings::111 more content warning\(s\) are new since the last deploy/);
    for (const line of lines) expect(line).not.toMatch(/[\r\n]/);
  });
});

describe('deploy in a GitHub Actions step', () => {
  let frappe: FrappeEmulator;
  let root: string;
  let outputs: string;
  let env: NodeJS.ProcessEnv;
  let args: string[];
  const fingerprints: string[] = [];
  const outFingerprints: string[] = [];

  beforeAll(async () => {
    frappe = await startFrappeEmulator(sampleSite());
    root = await tempDir('memora-gha-');
    outputs = path.join(root, 'github-output');
    env = {
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: outputs,
      FRAPPE_URL: frappe.url,
      FRAPPE_API_KEY: 'test-key',
      FRAPPE_API_SECRET: 'test-secret',
      CDN_STORAGE_PROVIDER: 'directory',
      CDN_DIRECTORY: path.join(root, 'bucket'),
    };
    args = ['--cache', path.join(root, 'cache'), '--out', path.join(root, 'out'), '--report', path.join(root, 'report.json'), '--annotations'];
  });
  afterAll(() => frappe?.close());

  async function deploy(extra: string[] = []) {
    await writeFile(outputs, '');
    const stdout = capture();
    const stderr = capture();
    const code = await runCli(['deploy', ...args, ...extra], { env, stdout, stderr });
    const report = JSON.parse(await readFile(path.join(root, 'report.json'), 'utf8')) as DeployReport;
    return { code, stdout: stdout.text(), stderr: stderr.text(), outputs: parseStepOutputs(await readFile(outputs, 'utf8')), report };
  }

  it('groups each phase, sets the step outputs, and annotates every content warning of a first deploy', async () => {
    const run = await deploy();
    expect(run.code).toBe(0);
    expect(groupsOf(run.stderr)).toEqual(['Pull from Frappe', 'Build', 'Compare with the deploy state', 'Upload and delete', 'Purge the CDN', 'Record the report and the state']);
    // The summary lines stay outside the groups, visible in a collapsed log.
    expect(run.stderr.slice(run.stderr.lastIndexOf('::endgroup::'))).toMatch(/^deploy success to /m);
    expect(run.outputs).toEqual({
      status: 'success',
      uploaded: String(run.report.uploaded.length),
      deleted: '0',
      purged: '0',
      report: path.join(root, 'report.json'),
      cache_fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/),
      out_fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    fingerprints.push(run.outputs.cache_fingerprint!);
    outFingerprints.push(run.outputs.out_fingerprint!);
    expect(run.report.uploaded.length).toBeGreaterThan(10);
    const warnings = run.report.build.warnings;
    expect(warnings).toBeGreaterThan(3);
    expect(run.report.build.new_warnings).toBe(warnings);
    expect(warningAnnotations(run.stdout)).toHaveLength(Math.min(warnings, 10));
    expect(run.stdout).toMatch(/^::warning title=New content warning%3A Memora Lesson e0m1p2t3y4::Memora Lesson "e0m1p2t3y4": has an empty or blank title/m);
  });

  it('annotates nothing when the content warnings are those of the last deploy; the log still lists them', async () => {
    const run = await deploy();
    expect(run.code).toBe(0);
    expect(run.report.build.new_warnings).toBe(0);
    expect(warningAnnotations(run.stdout)).toEqual([]);
    expect(run.stderr).toMatch(/^warning: Memora Lesson "e0m1p2t3y4": has an empty or blank title/m);
    expect(run.stderr).toMatch(/^built \d+ file\(s\) \((incremental: \d+ rendered, \d+ reused|full build)\), \d+ KiB, \d+ warning\(s\) \(0 new since the last deploy\)$/m);
    expect(run.outputs).toMatchObject({ status: 'success', uploaded: '0', deleted: '0', purged: '0' });
    // The pull ran again (its count and clocks moved) but brought nothing: the same fingerprint.
    expect(run.report.pull?.mode).toBe('incremental');
    expect(run.outputs.cache_fingerprint).toBe(fingerprints[0]);
    // The build changed nothing either: the same tree, so the workflow saves no output folder.
    expect(run.outputs.out_fingerprint).toBe(outFingerprints[0]);
  });

  it('annotates a new warning in every run until a deploy finishes: a dry run does not record it', async () => {
    // A lesson that every plan exports.
    const lesson = 'n1p2h3o4t5';
    frappe.update(DOCTYPES.lesson, lesson, { title: '  ' });
    const expected = `::warning title=New content warning%3A Memora Lesson ${lesson}::Memora Lesson "${lesson}": has an empty or blank title`;

    const dry = await deploy(['--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.outputs.status).toBe('dry-run');
    expect(warningAnnotations(dry.stdout)).toHaveLength(1);
    expect(dry.stdout).toContain(expected);

    const real = await deploy();
    expect(real.code).toBe(0);
    // An edit pulled: a new fingerprint, so the workflow saves the cache.
    expect(real.outputs.cache_fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(real.outputs.cache_fingerprint).not.toBe(fingerprints[0]);
    expect(real.outputs.out_fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(real.outputs.out_fingerprint).not.toBe(outFingerprints[0]);
    expect(warningAnnotations(real.stdout)).toHaveLength(1);
    expect(real.stdout).toContain(expected);
    expect(real.outputs.status).toBe('success');
    expect(Number(real.outputs.uploaded)).toBeGreaterThan(0);

    const after = await deploy();
    expect(warningAnnotations(after.stdout)).toEqual([]);
  });

  it('a deploy from an output folder restored from the Actions cache (built on another runner) reads it back, reuses it, and renders again a file that differs', async () => {
    const out = path.join(root, 'out');
    const recordFile = path.join(out, SNAPSHOT_FILE);
    const record = JSON.parse(await readFile(recordFile, 'utf8')) as { conditions: { boot: string }; files: [string, string][] };
    // What the restored folder looks like to this runner: a record made under another boot, and a
    // lesson file that did not come back whole.
    record.conditions.boot = 'boot-id:the-runner-of-the-last-deploy';
    await writeFile(recordFile, JSON.stringify(record));
    const lesson = record.files.find(([, kind]) => kind === 'lesson')![0];
    const lessonBytes = await readFile(path.join(out, lesson));
    await writeFile(path.join(out, lesson), lessonBytes.subarray(0, 10));

    const run = await deploy(['--verbose']);
    expect(run.code).toBe(0);
    expect(run.report.build).toMatchObject({ mode: 'incremental', reason: null, checked: { files: record.files.length, differing: 1 } });
    expect(run.report.build.checked?.reason).toMatch(/before this machine last started/);
    expect(run.stderr).toMatch(new RegExp(`incremental: \\d+ rendered, \\d+ reused; ${record.files.length} recorded file\\(s\\) read back first, 1 differed\\)`));
    expect(run.stderr).toContain(`rendered again: ${lesson}`);
    // The bucket already served that tree: nothing to upload, and the folder holds the file again.
    expect(run.report.uploaded).toEqual([]);
    expect(await readFile(path.join(out, lesson))).toEqual(lessonBytes);
    // The tree is the one restored: the workflow saves no new entry.
    expect(run.outputs.out_fingerprint).toMatch(/^[0-9a-f]{32}$/);
    const again = await deploy();
    expect(again.report.build.checked).toBeNull();
    expect(again.outputs.out_fingerprint).toBe(run.outputs.out_fingerprint);
  });

  it('rollback sets the same step outputs', async () => {
    await writeFile(outputs, '');
    const code = await runCli(['rollback', '--dry-run'], { env, stdout: capture(), stderr: capture() });
    expect(code).toBe(0);
    expect(parseStepOutputs(await readFile(outputs, 'utf8'))).toEqual({ status: 'dry-run', uploaded: expect.stringMatching(/^\d+$/), deleted: expect.stringMatching(/^\d+$/), purged: '0', report: '' });
  });

  it('a deploy that stops before its report sets status=failed and no report', async () => {
    await writeFile(outputs, '');
    const stdout = capture();
    const stderr = capture();
    const code = await runCli(['deploy', ...args, '--plan', 'no-such-plan'], { env, stdout, stderr });
    expect(code).toBe(2);
    // The cache the pull left, and the build the output folder holds, are still worth saving.
    expect(parseStepOutputs(await readFile(outputs, 'utf8'))).toEqual({
      status: 'failed',
      report: '',
      cache_fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/),
      out_fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    // The group the deploy stopped in is closed.
    groupsOf(stderr.text());
  });

  it('a deploy that stops before its report, with out/ holding a record cut short, still exits with its own error and sets status=failed', async () => {
    const record = path.join(root, 'out', SNAPSHOT_FILE);
    const text = await readFile(record, 'utf8');
    await writeFile(record, text.slice(0, 40));
    try {
      await writeFile(outputs, '');
      const stderr = capture();
      const code = await runCli(['deploy', ...args, '--plan', 'no-such-plan'], { env, stdout: capture(), stderr });
      expect(code).toBe(2);
      expect(stderr.text()).toMatch(/--plan "no-such-plan": no such plan/);
      expect(stderr.text()).not.toContain('unexpected failure');
      expect(parseStepOutputs(await readFile(outputs, 'utf8'))).toEqual({ status: 'failed', report: '', cache_fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) });
    } finally {
      await writeFile(record, text);
    }
  });
});
