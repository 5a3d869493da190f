/**
 * The deploy's job summary and annotations (src/deploy/summary.ts), and the deploy command's
 * --summary and --annotations flags end to end on the `directory` storage provider.
 */
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR } from '../samples/catalog.ts';
import { runCli } from '../src/cli/cli.ts';
import { DeployError } from '../src/errors.ts';
import type { DeployReport } from '../src/deploy/report.ts';
import {
  annotation,
  annotations,
  errorAnnotation,
  errorMarkdown,
  escapeMarkdown,
  MAX_ANNOTATIONS,
  reportMarkdown,
  SUMMARY_MAX_BYTES,
} from '../src/deploy/summary.ts';
import { escapeCommandData, escapeCommandProperty } from '../src/github-actions.ts';
import { capture, tempDir } from './helpers.ts';

function report(overrides: Partial<DeployReport> = {}): DeployReport {
  return {
    version: 1,
    id: 'a1b2c3d4',
    status: 'success',
    trigger: 'repository_dispatch: Memora Lesson n1p2h3o4t5',
    started_at: '2025-03-01T10:00:00.000Z',
    finished_at: '2025-03-01T10:00:12.500Z',
    duration_ms: 12_500,
    storage: 'aws-s3 bucket memora-cdn',
    plans: ['p7ar2k4m9x', 'p7en3h8q2w'],
    changed_plans: ['p7en3h8q2w'],
    per_plan: { p7ar2k4m9x: { added: 0, changed: 0, deleted: 0 }, p7en3h8q2w: { added: 1, changed: 2, deleted: 1 } },
    pull: { mode: 'incremental', reason: null, counts: { 'Memora Lesson': { inserted: 1, updated: 2, deleted: 0 } }, requests: 7 },
    build: { files: 120, bytes: 250_000, warnings: 1 },
    uploaded: ['lessons/n1p2h3o4t5.json', 'manifest.json', 'plans/p7en3h8q2w/manifest.json'],
    deleted: ['lessons/gone.json'],
    unchanged: 116,
    bytes_uploaded: 12_345,
    purge: { skipped: null, requests: 1, urls: 3, failed: 0 },
    failures: [],
    held_back: [],
    postponed: [],
    dead_letters: [],
    requests: { put: 4, get: 1, head: 0, delete: 1, list: 0 },
    durations_ms: { pull: 2_000, build: 3_000, diff: 100, sync: 6_000, purge: 1_400 },
    ...overrides,
  };
}

const failed = (): DeployReport =>
  report({
    status: 'failed',
    failures: [
      { key: 'lessons/n1p2h3o4t5.json', op: 'upload', error: 'PUT failed: 503 Slow Down' },
      { key: 'https://cdn.memora.test/manifest.json', op: 'purge', error: 'Cloudflare 500' },
    ],
    held_back: ['units/u1.json'],
    postponed: ['lessons/gone.json'],
    deleted: [],
    dead_letters: [
      { key: 'lessons/n1p2h3o4t5.json', op: 'upload', runs: 3, last_error: 'PUT failed: 503 Slow Down', first_failed_at: '2025-02-28T09:00:00.000Z', last_failed_at: '2025-03-01T10:00:10.000Z' },
    ],
  });

describe('reportMarkdown', () => {
  it('summarizes a successful deploy: headline, trigger, totals, plans, steps, pull and build, keys', () => {
    const md = reportMarkdown(report(), { reportFile: 'deploy-report.json' });
    expect(md).toMatch(/^## Memora CDN deploy: success\n/);
    expect(md).toContain('**Trigger:** repository&#95;dispatch&#58; Memora Lesson n1p2h3o4t5');
    expect(md).toContain('took 12.5 s');
    expect(md).toContain('<code>&#95;deploy/history/2025-03-01T10-00-00.000Z-a1b2c3d4.json</code> in the bucket');
    expect(md).toContain('<code>deploy-report.json</code>');
    expect(md).toContain('| 3 (12.1 KiB) | 1 | 116 | 3 URL(s) in 1 request(s) | 0 | 0 | 0 | 0 |');
    // Changed plans come first.
    expect(md.indexOf('p7en3h8q2w</code> | 1 | 2 | 1 |')).toBeGreaterThan(0);
    expect(md.indexOf('p7en3h8q2w</code> | 1 |')).toBeLessThan(md.indexOf('p7ar2k4m9x</code> | 0 |'));
    expect(md).toContain('| 2.0 s | 3.0 s | 0.1 s | 6.0 s | 1.4 s | 12.5 s |');
    expect(md).toContain('Memora Lesson&#58; 1 inserted, 2 updated');
    expect(md).toContain('120 file(s), 244.1 KiB, 1 warning(s)');
    expect(md).toContain('<details><summary>Uploaded (3)</summary>');
    expect(md).toContain('- <code>plans/p7en3h8q2w/manifest.json</code>');
    expect(md).not.toContain('### Failures');
    expect(md).not.toContain('### Dead letters');
  });

  it('shows failures and dead letters as tables, with held-back files and postponed deletions', () => {
    const md = reportMarkdown(failed());
    expect(md).toMatch(/^## Memora CDN deploy: failed\n\n\*\*2 failure\(s\) and 1 dead letter\(s\)\*\*/);
    expect(md).toContain('### Failures (2)');
    expect(md).toContain('| upload | <code>lessons/n1p2h3o4t5.json</code> | PUT failed&#58; 503 Slow Down |');
    expect(md).toContain('| purge | <code>https&#58;//cdn.memora.test/manifest.json</code> | Cloudflare 500 |');
    expect(md).toContain('### Dead letters (1)');
    expect(md).toContain('| <code>lessons/n1p2h3o4t5.json</code> | upload | 3 | 2025-02-28T09&#58;00&#58;00.000Z | PUT failed&#58; 503 Slow Down |');
    expect(md).toContain('<details><summary>Held back (1)</summary>');
    expect(md).toContain('<details><summary>Deletions postponed (1)</summary>');
    expect(md).not.toContain('<summary>Deleted');
  });

  it('says what a dry run would do and that nothing was stored', () => {
    const md = reportMarkdown(report({ status: 'dry-run', purge: { skipped: 'dry run', requests: 0, urls: 0, failed: 0 }, pull: null }));
    expect(md).toMatch(/^## Memora CDN deploy: dry run \(nothing written, nothing purged\)/);
    expect(md).toContain('| to upload | to delete |');
    expect(md).toContain('skipped (dry run)');
    expect(md).toContain('not stored (dry run)');
    expect(md).toContain('<details><summary>Would upload (3)</summary>');
    expect(md).toContain('<details><summary>Would delete (1)</summary>');
    expect(md).toContain('**Pull:** not run (--no-pull');
  });

  it('stays under GitHub\'s 1 MiB step summary limit however large the deploy', () => {
    const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}/${String(i).padStart(7, '0')}-${'x'.repeat(30)}.json`);
    const longError = `S3 said <Error>&amp;|${'`'.repeat(3)}\n${'e'.repeat(20_000)}`;
    const huge = report({
      status: 'failed',
      plans: keys('plan', 20_000),
      per_plan: Object.fromEntries(keys('plan', 20_000).map((p) => [p, { added: 1, changed: 2, deleted: 3 }])),
      changed_plans: keys('plan', 20_000),
      uploaded: keys('lessons', 200_000),
      deleted: keys('units', 200_000),
      held_back: keys('subjects', 50_000),
      postponed: keys('units', 50_000),
      failures: keys('lessons', 60_000).map((key) => ({ key: `${key}${'&'.repeat(2_000)}`, op: 'upload' as const, error: longError })),
      dead_letters: keys('lessons', 60_000).map((key) => ({ key, op: 'upload' as const, runs: 9, last_error: longError, first_failed_at: 'x', last_failed_at: 'y' })),
      trigger: `repository_dispatch: ${'<'.repeat(100_000)}`,
      storage: '&'.repeat(100_000),
    });
    const md = reportMarkdown(huge);
    expect(Buffer.byteLength(md, 'utf8')).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(SUMMARY_MAX_BYTES).toBeLessThan(1024 * 1024);
    // Every section is still there, each cut short with a count of what was left out.
    for (const heading of ['### Failures (60,000)', '### Dead letters (60,000)', '### Plans', '### Steps', 'Uploaded (200,000)', 'Deleted (200,000)', 'Held back (50,000)', 'Deletions postponed (50,000)']) {
      expect(md).toContain(heading);
    }
    expect(md).toMatch(/\.\.\. and [\d,]+ more failure\(s\): see the full report/);
    expect(md).toMatch(/\.\.\. and [\d,]+ more dead letter\(s\)/);
    expect(md).toMatch(/- \.\.\. and 199,000 more: see the full report/);
    expect(md).not.toContain('<Error>');

    // A smaller budget is kept too, down to a few KiB.
    for (const maxBytes of [200_000, 20_000, 3_000]) {
      expect(Buffer.byteLength(reportMarkdown(huge, { maxBytes }), 'utf8')).toBeLessThanOrEqual(maxBytes);
    }
    expect(Buffer.byteLength(errorMarkdown(new Error('x'.repeat(2_000_000)), { maxBytes: 20_000 }), 'utf8')).toBeLessThanOrEqual(20_000);
  });

  it('escapes markdown and HTML in keys, messages and the trigger', () => {
    const nasty = 'a|b<script>alert(1)</script>`code` **bold** _it_ [link](x) $x$ :x: ~~s~~ &amp;\r\nnext line';
    const md = reportMarkdown(
      report({
        status: 'failed',
        trigger: nasty,
        failures: [{ key: `lessons/${nasty}.json`, op: 'upload', error: nasty }],
        uploaded: [nasty],
      }),
    );
    expect(md).not.toMatch(/<script>|<\/script>|`|\*\*bold|\[link\]|\$x\$|~~s~~|&amp;\r|\r|:x:/);
    expect(md).toContain('a&#124;b&#60;script&#62;alert(1)&#60;/script&#62;&#96;code&#96; &#42;&#42;bold&#42;&#42; &#95;it&#95; &#91;link&#93;(x) &#36;x&#36; &#58;x&#58; &#126;&#126;s&#126;&#126; &#38;amp; next line');
    // The failure row still has exactly its four cell borders.
    const row = md.split('\n').find((line) => line.startsWith('| upload |'));
    expect(row?.split('|').length).toBe(5);
    expect(escapeMarkdown('x'.repeat(1_000), 10)).toBe(`${'x'.repeat(9)}…`);
    // A cut never splits a surrogate pair.
    expect(escapeMarkdown(`${'x'.repeat(8)}😀😀`, 10)).toBe(`${'x'.repeat(8)}…`);
  });

  it('says what failed when there is no report', () => {
    const md = errorMarkdown(new DeployError('FRAPPE_URL not set', { cause: new Error('<inner> & "cause\u001b') }), { trigger: 'schedule' });
    expect(md).toMatch(/^## Memora CDN deploy: failed\n/);
    expect(md).toContain('<pre>FRAPPE_URL not set\n  caused by: &#60;inner&#62; &#38; &#34;cause\\u001b</pre>');
    expect(md).toContain('**Trigger:** schedule');
  });
});

describe('annotations', () => {
  it('escapes workflow command data and properties as the runner expects', () => {
    expect(escapeCommandData('100% done\r\nnext: a, b')).toBe('100%25 done%0D%0Anext: a, b');
    expect(escapeCommandProperty('100% done\r\nnext: a, b')).toBe('100%25 done%0D%0Anext%3A a%2C b');
    expect(annotation('error', 'Title: a, b', 'line 1\nline 2: 5%')).toBe('::error title=Title%3A a%2C b::line 1%0Aline 2: 5%25');
    // Every line is one line.
    expect(annotation('error', 'x\ny', 'a\rb\nc')).not.toMatch(/[\r\n]/);
  });

  it('annotates dead letters first, then failures not already dead letters, held-back files last', () => {
    const lines = annotations(failed());
    expect(lines).toEqual([
      '::error title=Dead letter%3A lessons/n1p2h3o4t5.json::upload lessons/n1p2h3o4t5.json failed in 3 consecutive deploys since 2025-02-28T09:00:00.000Z; last error: PUT failed: 503 Slow Down',
      '::error title=Deploy purge failed%3A https%3A//cdn.memora.test/manifest.json::purge https://cdn.memora.test/manifest.json: Cloudflare 500',
    ]);
    expect(annotations(report())).toEqual([]);
    const held = annotations(
      report({
        status: 'failed',
        failures: [
          { key: 'units/u.json', op: 'upload', error: 'held back: it links lessons/l.json, which could not be uploaded' },
          { key: 'lessons/l.json', op: 'upload', error: 'EACCES' },
        ],
      }),
    );
    expect(held.map((line) => line.split('::')[1])).toEqual(['error title=Deploy upload failed%3A lessons/l.json', 'error title=Deploy upload failed%3A units/u.json']);
  });

  it('keeps to GitHub\'s 10 error annotations per step, the last one counting the rest', () => {
    const many = report({
      status: 'failed',
      failures: Array.from({ length: 30 }, (_, i) => ({ key: `lessons/l${i}.json`, op: 'upload' as const, error: `boom ${i}` })),
    });
    const lines = annotations(many);
    expect(MAX_ANNOTATIONS).toBe(10);
    expect(lines).toHaveLength(10);
    expect(lines[8]).toContain('lessons/l8.json');
    expect(lines[9]).toMatch(/^::error title=More deploy failures::21 more failure\(s\) or dead letter\(s\) are not annotated/);
    expect(annotations(many, { max: 30 })).toHaveLength(30);
    expect(annotations(report({ failures: many.failures.slice(0, 10) }))).toHaveLength(10);
  });

  it('makes a dry run\'s dead letters warnings, and annotates an error without a report', () => {
    const dry = { ...failed(), status: 'dry-run' as const, failures: [] };
    expect(annotations(dry)).toEqual([expect.stringMatching(/^::warning title=Dead letter%3A /)]);
    expect(errorAnnotation(new DeployError('another deploy changed _deploy/state.json\nretry'))).toBe('::error title=Deploy failed::another deploy changed _deploy/state.json%0Aretry');
  });
});

describe('deploy --summary --annotations', () => {
  /** A copy of the sample cache, an output folder and a `directory` bucket. */
  async function workspace() {
    const root = await tempDir('memora-summary-');
    const cache = path.join(root, 'cache');
    await cp(SAMPLE_CACHE_DIR, cache, { recursive: true });
    const bucket = path.join(root, 'bucket');
    await mkdir(bucket);
    const summary = path.join(root, 'summary.md');
    await writeFile(summary, '# An earlier step\n');
    return { root, cache, out: path.join(root, 'out'), bucket, summary, report: path.join(root, 'report.json') };
  }

  async function cli(argv: string[], env: NodeJS.ProcessEnv) {
    const stdout = capture();
    const stderr = capture();
    const code = await runCli(argv, { env, stdout, stderr });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  }

  it('appends the summary and prints annotations, also when the deploy fails', async () => {
    const ws = await workspace();
    // A folder where a lesson object should go: its upload fails (EISDIR), not transiently.
    const blocked = 'lessons/n1p2h3o4t5.json';
    await mkdir(path.join(ws.bucket, ...blocked.split('/'), 'in-the-way'), { recursive: true });
    const env = { CDN_STORAGE_PROVIDER: 'directory', CDN_DIRECTORY: ws.bucket };
    const args = ['deploy', '--no-pull', '--cache', ws.cache, '--out', ws.out, '--report', ws.report, '--summary', ws.summary, '--annotations', '--trigger', 'schedule'];
    const run = await cli(args, env);
    // The lesson's alias fails; the manifests of the plans whose search index names it are held
    // back (failures too): the other new files are unreachable without them.
    expect(run.stderr).toMatch(/deploy finished with 3 failure\(s\)/);
    expect(run.code).toBe(1);
    const md = await readFile(ws.summary, 'utf8');
    expect(md.startsWith('# An earlier step\n\n## Memora CDN deploy: failed\n')).toBe(true);
    expect(md).toContain('### Failures (3)');
    // The cause comes first.
    expect(md).toContain(`| upload | <code>${blocked}</code> | put ${blocked} on directory`);
    expect(md.indexOf(`<code>${blocked}</code> | put`)).toBeLessThan(md.indexOf('held back&#58; it needs'));
    expect(md).toContain('<details><summary>Held back (2)</summary>');
    expect(md).toContain('**Trigger:** schedule');
    expect(md).toContain(`<code>${ws.report.replace(/_/g, '&#95;').replace(/:/g, '&#58;')}</code>`);
    // Error annotations for the failures (the sample content's warnings, new in a first deploy, are warning annotations).
    const lines = run.stdout.trim().split('\n').filter((l) => !l.startsWith('::warning title=New content warning'));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^::error title=Deploy upload failed%3A ${blocked}::upload ${blocked}: put ${blocked} .*EISDIR`));
    for (const line of lines.slice(1)) expect(line).toMatch(new RegExp(`^::error title=Deploy upload failed%3A .*manifest.json::upload .*: held back: it needs ${blocked}, `));
    const written = JSON.parse(await readFile(ws.report, 'utf8')) as DeployReport;
    expect(written.status).toBe('failed');
    expect(written.trigger).toBe('schedule');

    // The next run appends again: the file keeps both summaries.
    const again = await cli(args, env);
    expect(again.code).toBe(1);
    const both = await readFile(ws.summary, 'utf8');
    expect(both.startsWith(md)).toBe(true);
    expect(both.match(/^## Memora CDN deploy: failed$/gm)).toHaveLength(2);
  });

  it('writes a successful summary and no error annotations; content warnings only while they are new', async () => {
    const ws = await workspace();
    const argv = ['deploy', '--no-pull', '--cache', ws.cache, '--out', ws.out, '--summary', ws.summary, '--annotations'];
    const run = await cli(argv, { CDN_STORAGE_PROVIDER: 'directory', CDN_DIRECTORY: ws.bucket });
    expect(run.stderr).toMatch(/deploy success/);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('::error');
    expect(run.stdout.trim().split('\n').every((l) => l.startsWith('::warning title=New content warning'))).toBe(true);
    expect((await cli(argv, { CDN_STORAGE_PROVIDER: 'directory', CDN_DIRECTORY: ws.bucket })).stdout).toBe('');
    const md = await readFile(ws.summary, 'utf8');
    expect(md).toContain('## Memora CDN deploy: success');
    expect(md).toContain('**Trigger:** manual');
    expect(md).toMatch(/\*\*Build:\*\* .*, (\d+) warning\(s\) \(\1 new since the last deploy\); full build \(.* holds no record of a finished build/);
  });

  it("says how the build went: an incremental build's counts, and the files it read back first", () => {
    const build = { files: 120, bytes: 250_000, warnings: 0, mode: 'incremental' as const, reason: null, rendered: 12, reused: 1_108 };
    expect(reportMarkdown(report({ build }))).toContain('; incremental: 12 rendered, 1,108 reused\n');
    const checked = { reason: 'the record was made before this machine last started', files: 1_120, differing: 2 };
    expect(reportMarkdown(report({ build: { ...build, checked } }))).toContain(
      '; incremental: 12 rendered, 1,108 reused, after reading back 1,120 file(s) of a build made on another machine or before a restart (2 differed)\n',
    );
    // A full build's reason is content-derived text (it names the folder): escaped.
    const md = reportMarkdown(report({ build: { ...build, mode: 'full', reason: 'out/<b> holds no record' } }));
    expect(md).toContain('; full build (out/&#60;b&#62; holds no record)');
  });

  it('says what stopped a deploy that never got to a report', async () => {
    const ws = await workspace();
    const run = await cli(['deploy', '--cache', ws.cache, '--out', ws.out, '--summary', ws.summary, '--annotations'], { CDN_STORAGE_PROVIDER: 'directory', CDN_DIRECTORY: ws.bucket });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/FRAPPE_URL, FRAPPE_API_KEY, FRAPPE_API_SECRET not set/);
    const md = await readFile(ws.summary, 'utf8');
    expect(md).toContain('## Memora CDN deploy: failed');
    expect(md).toMatch(/<pre>configuration: FRAPPE_URL, FRAPPE_API_KEY, FRAPPE_API_SECRET not set: deploy pulls from Frappe first/);
    expect(run.stdout).toMatch(/^::error title=Deploy failed::configuration: FRAPPE_URL, FRAPPE_API_KEY, FRAPPE_API_SECRET not set/);
  });
});
