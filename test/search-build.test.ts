import { describe, expect, it } from 'vitest';
import { sampleCatalog, SAMPLE_IDS } from '../samples/catalog.ts';
import { keys } from '../packages/client/src/layout.ts';
import { sha256 } from '../src/io/hash.ts';
import { MAX_SEARCH_FILE_BYTES, ShardCache, UNSHARDED_MAX_LESSONS } from '../src/build/render/search.ts';
import { loadSearchIndex, SEARCH_VERSION, type SearchDocument } from '../packages/client/src/search/config.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { byKey, json, linkTarget, render } from './helpers.ts';

describe('search files of a build', () => {
  const files = byKey(render(sampleCatalog()).files);
  const arabicPlan = SAMPLE_IDS.plans.grade7Arabic;

  function planIndex(plan: string) {
    const file = files.get(keys.searchIndex(plan));
    if (!file) throw new Error('no index');
    return loadSearchIndex(file.bytes.toString('utf8'));
  }

  it('writes one loadable index for a small plan', () => {
    const index = json(files.get(keys.searchIndex(arabicPlan)));
    expect(index).toMatchObject({ search_version: SEARCH_VERSION, plan_id: arabicPlan, sharded: false });
    expect(planIndex(arabicPlan).documentCount).toBe(index.lesson_count);
  });

  it('finds Arabic titles written with diacritics from a query without them', () => {
    const hits = planIndex(arabicPlan).search('الكسر العشري');
    expect(hits.map((h) => h.lesson_id)).toContain('m2d3e4c5r6');
    expect(hits[0]).toMatchObject({ subject_id: SAMPLE_IDS.subjects.math, unit_id: 'd3c1m4l5s6', topic_id: 't6fp1r2e3v' });
    expect(planIndex(arabicPlan).search('مقدمه في الجبر').map((h) => h.unit_id)).toContain('Unit 1 Intro');
    expect(planIndex(arabicPlan).search('ان واخواتها').map((h) => h.lesson_id)).toContain('a3i4n5n6a7');
  });

  it('indexes what the plan shows: renamed titles, not hidden lessons', () => {
    const bridge = planIndex(SAMPLE_IDS.plans.summerBridge);
    expect(bridge.search('summer review').map((h) => h.lesson_id)).toEqual(['lesson..x']);
    // Topic t3h5j7k9l2 is hidden in the Arabic plan.
    const arabic = planIndex(arabicPlan);
    expect(arabic.search('مسائل الأعمار')).toEqual([]);
    expect(planIndex(SAMPLE_IDS.plans.grade7English).search('مسائل الأعمار').map((h) => h.lesson_id)).toContain('l6a7g8e9w0');
    expect(arabic.search('معادلات الدرجة الأولى').length).toBeGreaterThan(0);
  });

  it(`shards plans above ${UNSHARDED_MAX_LESSONS} lessons, and no search file of a 5,000-lesson plan exceeds 100 KB`, () => {
    const { files: big } = render(generateCatalog({ plans: 1, lessons: 5000, seed: 9 }).docs);
    const index = big.find((f) => f.kind === 'search_index');
    const body = json<{ sharded: boolean; lesson_count: number; shards: { subject_id: string; url: string; lesson_count: number }[] }>(index);
    expect(body.sharded).toBe(true);
    expect(body.lesson_count).toBeGreaterThan(UNSHARDED_MAX_LESSONS);
    const shards = big.filter((f) => f.kind === 'search_shard');
    expect(shards.length).toBe(body.shards.length);
    for (const f of [index, ...shards]) expect(f?.bytes.length ?? 0, f?.key).toBeLessThanOrEqual(MAX_SEARCH_FILE_BYTES);
    // Every lesson is in exactly one shard, and shard counts add up.
    let total = 0;
    const ids = new Set<string>();
    const byUrl = byKey(shards);
    for (const entry of body.shards) {
      const key = linkTarget(entry.url).alias;
      const shard = byUrl.get(key);
      expect(shard, key).toBeDefined();
      const loaded = loadSearchIndex(shard?.bytes.toString('utf8') ?? '');
      expect(loaded.documentCount).toBe(entry.lesson_count);
      total += entry.lesson_count;
      for (const id of Object.values(json<{ documentIds: Record<string, string> }>(shard).documentIds)) {
        expect(ids.has(id), id).toBe(false);
        ids.add(id);
      }
    }
    expect(total).toBe(body.lesson_count);
    expect(ids.size).toBe(body.lesson_count);
  });
});

describe('shard cache', () => {
  const doc = (lesson: string, extra: Partial<SearchDocument> = {}): SearchDocument => ({
    lesson_id: lesson,
    lesson_name: `Lesson ${lesson}`,
    subject_id: 'S',
    subject_name: 'Subject',
    unit_id: 'U',
    unit_name: 'Unit',
    topic_id: 'T',
    topic_name: 'Topic',
    ...extra,
  });

  it('builds and hashes each distinct body once, for equal documents from other objects too', () => {
    const cache = new ShardCache();
    const docs = [doc('a'), doc('b')];
    const body = cache.body('S', docs);
    expect(body.hash).toBe(sha256(body.bytes));
    expect(json({ key: '', kind: 'search_shard', ...body })).toMatchObject({ search_version: SEARCH_VERSION, subject_id: 'S', lesson_count: 2 });
    expect(cache.body('S', structuredClone(docs))).toBe(body);
    expect(cache.body('S', docs.slice())).toBe(body);
  });

  it('never gives different documents the same body', () => {
    const cache = new ShardCache();
    const base = [doc('a'), doc('b')];
    const variants: [string, SearchDocument[]][] = [
      ['base', base],
      ['order', [doc('b'), doc('a')]],
      ['one document', [doc('a')]],
      ['three documents', [doc('a'), doc('b'), doc('c')]],
      ['a lesson title', [doc('a', { lesson_name: 'Lesson b' }), doc('b')]],
      ['a topic title', [doc('a'), doc('b', { topic_name: 'Topic,1' })]],
      ['a unit id', [doc('a', { unit_id: 'U2' }), doc('b')]],
      // Separators and digits inside values cannot make two lists look alike.
      ['a title with a comma', [doc('a', { lesson_name: 'x,1' }), doc('b')]],
      ['a title with a NUL', [doc('a', { lesson_name: 'x\u00001' }), doc('b')]],
    ];
    const bodies = new Map<string, string>();
    for (const [what, docs] of variants) {
      const { bytes, hash } = cache.body('S', docs);
      expect(hash, what).toBe(sha256(bytes));
      expect(bodies.get(hash), what).toBeUndefined();
      bodies.set(hash, what);
    }
    // The subject is part of the key, and cannot run into the documents' part.
    const one = [doc('a')];
    const idOfA = cache.body('S', one);
    for (const subject of ['S2', 'S\u00000', 'S\u0000', '']) {
      const other = cache.body(subject, one);
      expect(other, JSON.stringify(subject)).not.toBe(idOfA);
      expect(json({ key: '', kind: 'search_shard', ...other }).subject_id).toBe(subject);
    }
  });

  it('gives every shard of plans sharing subjects the hash of its own bytes', () => {
    const { files: all } = render(generateCatalog({ plans: 6, lessons: 4000, seed: 5 }).docs);
    const shards = all.filter((f) => f.kind === 'search_shard');
    expect(shards.length).toBeGreaterThan(6);
    const byHash = new Map<string, Buffer>();
    for (const f of shards) {
      expect(f.hash, f.key).toBe(sha256(f.bytes));
      const same = byHash.get(f.hash);
      if (same) expect(same.equals(f.bytes)).toBe(true);
      byHash.set(f.hash, f.bytes);
    }
    // Plans share subjects, so many shards are the same bytes.
    expect(byHash.size).toBeLessThan(shards.length);
    for (const index of all.filter((f) => f.kind === 'search_index')) {
      const body = json<{ sharded: boolean; shards?: { url: string }[] }>(index);
      for (const entry of body.shards ?? []) {
        const { alias, version } = linkTarget(entry.url);
        const shard = shards.find((f) => f.key === alias);
        expect(shard?.hash.startsWith(version ?? '-'), entry.url).toBe(true);
      }
    }
  });
});
