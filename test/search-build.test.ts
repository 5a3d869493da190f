import { describe, expect, it } from 'vitest';
import { sampleCatalog, SAMPLE_IDS } from '../samples/catalog.ts';
import { keys } from '../src/build/keys.ts';
import { MAX_SEARCH_FILE_BYTES, UNSHARDED_MAX_LESSONS } from '../src/build/render/search.ts';
import { loadSearchIndex, SEARCH_VERSION } from '../src/search/config.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { byKey, json, render } from './helpers.ts';

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
      const key = (entry.url.split('?')[0] ?? '').split('/').map(decodeURIComponent).join('/');
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
