/**
 * The benchmark harness at a tiny scale, so it keeps working: every scenario runs once on a
 * few dozen lessons and the report has every section and the targets table. No timing is
 * asserted here: the targets are judged in BENCHMARKS.md, by `npm run bench`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HEADINGS, runBench, TARGETS_HEADING } from '../bench/harness.ts';
import { parseBenchArgs } from '../bench/lib/args.ts';
import { tally } from '../bench/lib/s3.ts';
import { summarize } from '../bench/lib/stats.ts';
import { findLucene } from '../bench/lib/lucene.ts';
import { SCALES, SCENARIOS } from '../bench/lib/types.ts';
import { makeQueries, planQueryShapes, withTypo } from '../bench/scenarios/search.ts';
import { luceneOutcomes, runSearchQualityScenario } from '../bench/scenarios/search-quality.ts';
import { QUERIES } from './search-quality/queries.ts';
import { formatTypoRecall, typoRecall } from '../bench/typo-recall.ts';
import { startS3 } from './s3rver.ts';

const rcloneInstalled = await promisify(execFile)('which', ['rclone']).then(
  () => true,
  () => false,
);
const luceneInstalled = (await findLucene()).lucene !== null;

describe('benchmark harness', () => {
  it('parses its command line', () => {
    const a = parseBenchArgs(['--scale', 'full', '--runs', '3', '--only', 'build,search', '--no-rclone']);
    expect(a.params).toMatchObject({ scale: 'full', runs: 3, buildLessons: [1000, 10_000, 50_000], rclone: false });
    expect(a.only).toEqual(['build', 'search']);
    expect(a.out.endsWith('BENCHMARKS.md')).toBe(true);
    expect(() => parseBenchArgs(['--scale', 'huge'])).toThrow(/--scale/);
    expect(() => parseBenchArgs(['--only', 'bogus'])).toThrow(/unknown scenario/);
  });

  it('summarizes, counts requests by type and derives queries', () => {
    expect(summarize([5, 1, 3])).toMatchObject({ n: 3, median: 3, min: 1, max: 5 });
    const t = tally([
      { method: 'PUT', key: 'lessons/a.json', query: '', status: 200 },
      { method: 'PUT', key: '_deploy/state.json', query: '', status: 200 },
      { method: 'GET', key: '', query: 'list-type=2&prefix=', status: 200 },
      { method: 'GET', key: '', query: 'delimiter=&max-keys=1000&prefix=', status: 200 },
      { method: 'GET', key: '_deploy/state.json', query: '', status: 200 },
      { method: 'POST', key: '', query: 'delete', status: 200 },
      { method: 'HEAD', key: 'lessons/a.json', query: '', status: 200 },
    ]);
    expect(t).toMatchObject({ PUT: 2, treePuts: 1, LIST: 2, GET: 1, DELETE: 1, HEAD: 1, total: 7 });
    expect(makeQueries(['Adding fractions with unlike denominators'])).toEqual(['denominators', 'den', 'Adding fractions', 'dneominators']);
  });

  it('keeps no uploaded bytes in the local S3 of the benchmark, and still counts its requests', async () => {
    const s3 = await startS3({ bucket: 'bench-keeps-nothing', keepCommits: false });
    try {
      const storage = s3.storage();
      await storage.put('a.json', Buffer.from('{}'), { contentType: 'application/json', cacheControl: 'no-store' });
      expect(await storage.deleteMany(['a.json'])).toMatchObject({ deleted: ['a.json'] });
      expect(s3.commits).toEqual([]);
      expect(s3.requests.map((r) => `${r.method} ${r.key} ${r.status}`)).toEqual(['PUT a.json 200', 'POST  200']);
      await storage.close();
    } finally {
      await s3.close();
    }
  });

  it('derives query shapes from a plan\'s titles: common, rare, two words, prefix, typo, one subject', () => {
    const lesson = (id: string, title: string, subjectId: string) => ({ id, title, subjectId });
    const shapes = planQueryShapes({
      subjects: [
        { id: 's1', title: 'Mathematics' },
        { id: 's2', title: 'Science' },
      ],
      lessons: [
        lesson('a', 'Adding Fractions', 's1'),
        lesson('b', 'Fractions and decimals', 's1'),
        lesson('c', 'Comparing fractions', 's2'),
        lesson('d', 'Fractions of a set', 's2'),
        lesson('e', 'Fractions on the number line', 's2'),
        lesson('f', 'Photosynthesis', 's2'),
      ],
    });
    expect(shapes).toEqual([
      { shape: 'very common word', query: 'fractions' },
      // In 1-3 titles, 5 letters or more: adding, comparing, decimals, number, photosynthesis; the middle one.
      { shape: 'rare word (in 1 title)', query: 'decimals' },
      { shape: 'two words of one title', query: 'fractions set' },
      { shape: '3-letter prefix of a word', query: 'dec' },
      { shape: 'word with one letter changed (typo)', query: 'dedimals' },
      { shape: 'very common word, one subject (`subjectId`)', query: 'fractions', subjectId: 's2' },
    ]);
    // No word in 1 to 3 titles (a large generated plan): the least frequent words stand in, and the shape says so.
    const repeated = planQueryShapes({
      subjects: [{ id: 's1', title: 'Mathematics' }],
      lessons: [0, 1, 2, 3].flatMap((i) => [lesson(`f${i}`, 'Fractions basics', 's1'), lesson(`d${i}`, 'Decimals basics', 's1'), lesson(`b${i}`, 'Basics', 's1')]),
    });
    expect(repeated[0]).toEqual({ shape: 'very common word', query: 'basics' });
    expect(repeated[1]).toEqual({ shape: 'rarest word (in 4 titles; no word is in 1 to 3)', query: 'fractions' });
    expect(withTypo('الكسور')).toBe('اللسور');
    expect(withTypo('zebra')).toBe('zecra');
    expect(withTypo('xyz')).toBe('xya');
    expect(planQueryShapes({ subjects: [], lessons: [] })).toEqual([]);
  });

  // Scenario 3 runs memora-cdn's command as processes, at two sizes: more than the default minute on a busy machine.
  it(`runs every scenario at a tiny scale and reports each with the targets (rclone side ${rcloneInstalled ? 'included' : 'skipped: not installed'}; Lucene side ${luceneInstalled ? 'included' : 'skipped: not installed'})`, async () => {
    const tiny = SCALES.tiny;
    if (!tiny) throw new Error('no tiny scale');
    const lines: string[] = [];
    const result = await runBench({
      params: { ...tiny.params, scale: 'tiny', rclone: rcloneInstalled },
      only: SCENARIOS,
      command: 'vitest run test/bench.test.ts',
      log: (m) => lines.push(m),
      findingsFile: null,
    });
    const md = result.markdown;
    expect(md).toContain(TARGETS_HEADING);
    for (const name of SCENARIOS) expect(md).toContain(HEADINGS[name]);
    // Scenario 3 at each size of the scale: the whole commands side by side, the deploy's time split, and each change.
    expect(md).toContain('| lessons | change | files changed | rendered / reused | deploy (whole command) | rclone sync --checksum | full build | full build + rclone | rclone / deploy | (full build + rclone) / deploy |');
    expect(md).toContain('| lessons | change | read | plan | render | validate | write | diff | upload (sync) | purge | start-up | record and exit | rest | whole command |');
    for (const lessons of tiny.params.incrementalLessons) {
      expect(md).toMatch(new RegExp(`\\| ${lessons} \\| one lesson title \\| \\d+ \\| \\d+ / \\d+ \\|`));
      // Start-up (spawn to the deploy's started_at) and what follows its duration_ms are each some
      // time, never the 0 or n/a of a split computed from the wrong clocks.
      const split = md.split('\n').find((line) => line.startsWith(`| ${lessons} | one lesson title | `) && line.split('|').length === 16);
      const [startup, winddown] = (split ?? '').split('|').slice(11, 13).map((cell) => cell.trim());
      for (const cell of [startup, winddown]) expect(cell, split).toMatch(/^(?!0\.000 ms)\d[\d.]* (ms|s)\b/);
      expect(md).toContain(`one lesson title, ${lessons} lessons`);
      expect(md).toContain(`one lesson stage (content only), ${lessons} lessons`);
      for (const needle of ['3x faster than rclone sync --checksum on the built tree', '10x faster than a full build followed by rclone sync']) {
        expect(result.targets.some((t) => t.target === `Incremental deploy of one lesson edit at ${lessons} lessons: whole deploy command at least ${needle}`), `${lessons}: ${needle}`).toBe(true);
      }
    }
    expect(md).toContain(`lesson + subject + override, ${tiny.params.incrementalLessons[0]} lessons`);
    expect(md).toContain('naive: deploy --plan P... --force');
    expect(md).toMatch(/\| target \| measured \| status \| note \|/);
    expect(result.sections.map((s) => s.scenario)).toEqual([...SCENARIOS]);
    // Every target of the issue has a row, whatever its status.
    for (const needle of ['files/s', 'write floor', 'peak memory', 'no more PUTs', 'one purge request', 'no LIST', 'faster than rclone sync --checksum', 'faster than a full build followed by rclone sync', 'no slower than rclone', 'Incremental pull', 'under 100 KB', '95th percentile', '10,000-lesson plan fetches at most 150 KB', 'at most two round trips after the manifest', 'expected lesson found', 'ranked first for at least', 'found ahead of Lucene', 'ranked first ahead of Lucene']) {
      expect(result.targets.some((t) => t.target.includes(needle)), needle).toBe(true);
    }
    // Scenario 5 measures cold searches of each query shape on a 1-plan catalog, with round trips.
    expect(md).toMatch(/\*\*One plan of [\d,]+ lessons\*\*/);
    expect(md).toContain('| query shape | query | requests | bytes | round trips after the manifest | hits |');
    expect(md).toMatch(/\| very common word \| `[^`]+` \| \d+ \| [^|]+ \| \d+ \| \d+ \| [^|]+ \|/);
    if (rcloneInstalled) expect(md).toContain('rclone sync --checksum');
    else expect(md).toContain('rclone side skipped');
    // The search-quality section scores memora-cdn, and Lucene beside it when installed.
    expect(md).toMatch(/\| \*\*all\*\* \| \d+ \| \d+ of \d+ \([\d.]+%\) \| /);
    if (luceneInstalled) {
      expect(md).toMatch(/\| \*\*all\*\* \| \d+ \| \d+ of \d+ \([\d.]+%\) \| \d+ of \d+ \([\d.]+%\) \|/);
      expect(result.targets.find((t) => t.target.includes('found ahead of Lucene'))?.status).not.toBe('not measured');
    } else {
      expect(md).toContain('Lucene side skipped');
      expect(result.targets.find((t) => t.target.includes('found ahead of Lucene'))?.status).toBe('not measured');
    }
  }, 180_000);

  it('skips the Lucene side, saying why, when the Lucene jars are not installed', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'memora-no-lucene-'));
    try {
      const found = await findLucene(empty);
      expect(found.lucene).toBeNull();
      expect(found.reason).toMatch(/^not installed: (java or javac cannot run|Lucene 4 jars not found under .*liblucene4\.10-java)/);
      const logged: string[] = [];
      const section = await runSearchQualityScenario((m) => logged.push(m), empty);
      expect(logged.join('\n')).toContain('Lucene side skipped: not installed');
      expect(section.body).toContain('Lucene side skipped: not installed');
      expect(section.body).toMatch(/\| \*\*all\*\* \| \d+ \| \d+ of \d+ \([\d.]+%\) \| n\/a \|/);
      expect(section.targets.filter((t) => t.target.includes('ahead of Lucene')).map((t) => t.status)).toEqual(['not measured', 'not measured']);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it.runIf(luceneInstalled)('runs Lucene on the suite and judges its hits like memora-cdn\'s (ArabicAnalyzer finds an article-less word)', async () => {
    const found = await findLucene();
    if (!found.lucene) throw new Error(found.reason ?? 'no Lucene');
    const outcomes = await luceneOutcomes(found.lucene, 20);
    expect(outcomes).toHaveLength(QUERIES.length);
    const kusur = outcomes.find((o) => o.plan === 'ar' && o.query === 'كسور');
    expect(kusur).toMatchObject({ found: true, rankedFirst: true });
  });

  it('measures the start-up of the built command (npm run bench:cli), timing nothing it asserts', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/cli-startup.ts', '--runs', '1'], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
    expect(stdout).toMatch(/^Produced by `npm run bench:cli -- --runs 1` on /);
    expect(stdout).toContain('| command | median (min-max) | p95 | under 300 ms |');
    for (const row of ['`memora-cdn --version`', '`memora-cdn --help`', '`memora-cdn help deploy`']) expect(stdout).toMatch(new RegExp(`\\| ${row} \\| [\\d.]+ m?s \\| [\\d.]+ m?s \\| (met|\\*\\*missed\\*\\*) \\|`));
  });

  it('counts how often a typo finds its word in a small routed plan (npm run bench:typos), with and without vocabulary files', async () => {
    const options = { lessons: 900, seed: 7, words: 12 };
    const r = await typoRecall(options);
    expect(r.vocabularyFiles).toBeGreaterThan(0);
    expect(r.rows.map((row) => row.position)).toEqual(['first', 'second', 'third', 'last']);
    for (const row of r.rows) {
      expect(row.typos).toBe(r.wordsSampled);
      for (const found of [row.shards, row.routed, row.routedWithoutVocabulary]) expect(found).toBeLessThanOrEqual(row.typos);
    }
    // The shards compare every term; the routed search finds at least what it found without vocabulary files.
    const sum = (k: 'shards' | 'routed' | 'routedWithoutVocabulary') => r.rows.reduce((n, row) => n + row[k], 0);
    expect(sum('shards')).toBeGreaterThan(0);
    expect(sum('routed')).toBeGreaterThanOrEqual(sum('routedWithoutVocabulary'));
    const text = formatTypoRecall(r, options, 'npm run bench:typos -- --lessons 900');
    expect(text).toMatch(/^Produced by `npm run bench:typos -- --lessons 900` /);
    expect(text).toContain(`| first letter | ${r.wordsSampled} |`);
  });
});
