import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCache } from '../src/content/cache.ts';
import { DOCTYPES, STAGE_TYPES } from '../src/content/doctypes.ts';
import { OVERRIDE_ACTION_OPTIONS } from '../src/content/fields.ts';
import type { RawChildRow, RawDoc } from '../src/content/raw.ts';
import { generateCatalog, writeGeneratedCatalog, type GeneratedCatalog } from '../src/generate/generator.ts';
import { Random } from '../src/generate/random.ts';

const HASH_ID = /^[0-9a-z]{10}$/;
const FRAPPE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const ARABIC = /[\u0600-\u06FF]/;

const folders: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'memora-generate-'));
  folders.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function readFolder(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) files[name] = await readFile(path.join(dir, name), 'utf8');
  return files;
}

function rows(doc: RawDoc, field: string): RawChildRow[] {
  return doc[field] as RawChildRow[];
}

describe('Random', () => {
  it('repeats its sequence for a seed and stays in range', () => {
    const a = new Random(123);
    const b = new Random(123);
    for (let i = 0; i < 1000; i++) {
      const n = a.int(-3, 7);
      expect(n).toBe(b.int(-3, 7));
      expect(n).toBeGreaterThanOrEqual(-3);
      expect(n).toBeLessThanOrEqual(7);
    }
    expect(new Random(1).hashId()).not.toBe(new Random(2).hashId());
    expect(new Random(5).hashId()).toMatch(HASH_ID);
  });
});

describe('writeGeneratedCatalog', () => {
  it('writes byte-identical caches for the same seed, and different ones for another seed', async () => {
    const options = { plans: 12, lessons: 1500, seed: 42 };
    const [a, b, c] = [await tempDir(), await tempDir(), await tempDir()];
    await writeGeneratedCatalog(a, options);
    await writeGeneratedCatalog(b, options);
    await writeGeneratedCatalog(c, { ...options, seed: 43 });
    const filesA = await readFolder(a);
    expect(Object.keys(filesA)).toHaveLength(7); // cache.json + one file per DocType
    expect(await readFolder(b)).toEqual(filesA);
    const filesC = await readFolder(c);
    expect(filesC['cache.json']).not.toBe(filesA['cache.json']);

    const loaded = await readCache(a);
    expect(loaded.docs[DOCTYPES.lesson]).toHaveLength(1500);
    expect(loaded.docs[DOCTYPES.plan]).toHaveLength(12);
  });

  it('replaces a previous catalog in the same folder', async () => {
    const dir = await tempDir();
    await writeGeneratedCatalog(dir, { plans: 5, lessons: 800, seed: 1 });
    await writeGeneratedCatalog(dir, { plans: 2, lessons: 30, seed: 2 });
    const loaded = await readCache(dir);
    expect(loaded.docs[DOCTYPES.lesson]).toHaveLength(30);
    expect(loaded.docs[DOCTYPES.plan]).toHaveLength(2);
    expect((await readdir(dir)).filter((f) => f.endsWith('.jsonl'))).toHaveLength(6);
  });
});

describe('generateCatalog', () => {
  const catalog: GeneratedCatalog = generateCatalog({ plans: 40, lessons: 4000, seed: 7 });
  const { docs } = catalog;
  const plans = docs[DOCTYPES.plan];
  const subjects = docs[DOCTYPES.subject];
  const tracks = docs[DOCTYPES.track];
  const units = docs[DOCTYPES.unit];
  const topics = docs[DOCTYPES.topic];
  const lessons = docs[DOCTYPES.lesson];
  const stages = lessons.flatMap((l) => rows(l, 'stages'));
  const nodes = [...subjects, ...tracks, ...units, ...topics, ...lessons];

  it('is deterministic for equal options', () => {
    const again = generateCatalog({ plans: 40, lessons: 4000, seed: 7 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(catalog));
    expect(JSON.stringify(generateCatalog({ plans: 40, lessons: 4000, seed: 8 }).docs)).not.toBe(JSON.stringify(catalog.docs));
  });

  it.each([
    [1, 1],
    [1, 2],
    [3, 7],
    [1, 900],
    [200, 50],
    [7, 1234],
  ])('makes exactly %i plans and %i lessons', (planCount, lessonCount) => {
    const { docs: d, stats } = generateCatalog({ plans: planCount, lessons: lessonCount, seed: 3 });
    expect(d[DOCTYPES.plan]).toHaveLength(planCount);
    expect(d[DOCTYPES.lesson]).toHaveLength(lessonCount);
    expect(stats.plans).toBe(planCount);
    expect(stats.lessons).toBe(lessonCount);
    const listed = new Set(d[DOCTYPES.plan].flatMap((p) => rows(p, 'subjects').map((r) => r.subject)));
    expect(d[DOCTYPES.subject].every((s) => listed.has(s.name))).toBe(true);
    if (planCount === 1) expect(rows(d[DOCTYPES.plan][0] as RawDoc, 'subjects')).toHaveLength(d[DOCTYPES.subject].length);
  });

  it('reports stats that match the documents', () => {
    expect(catalog.stats).toEqual({
      plans: 40,
      subjects: subjects.length,
      tracks: tracks.length,
      units: units.length,
      topics: topics.length,
      lessons: 4000,
      stages: stages.length,
    });
    expect(subjects.length).toBe(10);
  });

  it('lists every subject in some plan, and each plan lists 6 to 12 subjects', () => {
    const listed = new Set(plans.flatMap((p) => rows(p, 'subjects').map((r) => r.subject)));
    for (const s of subjects) expect(listed.has(s.name)).toBe(true);
    for (const p of plans) {
      const list = rows(p, 'subjects');
      expect(list.length).toBeGreaterThanOrEqual(6);
      expect(list.length).toBeLessThanOrEqual(12);
      expect(new Set(list.map((r) => r.subject)).size).toBe(list.length);
    }
  });

  it('links every node to an existing parent', () => {
    const names = (list: RawDoc[]) => new Set(list.map((d) => d.name));
    const [subjectNames, trackNames, unitNames, topicNames] = [names(subjects), names(tracks), names(units), names(topics)];
    expect(tracks.every((t) => subjectNames.has(t.parent_subject as string))).toBe(true);
    expect(units.every((u) => trackNames.has(u.parent_track as string))).toBe(true);
    expect(topics.every((t) => unitNames.has(t.parent_unit as string))).toBe(true);
    expect(lessons.every((l) => topicNames.has(l.parent_topic as string))).toBe(true);
    // No empty containers: every subject, track, unit and topic has something under it.
    expect(new Set(tracks.map((t) => t.parent_subject)).size).toBe(subjects.length);
    expect(new Set(units.map((u) => u.parent_track)).size).toBe(tracks.length);
    expect(new Set(topics.map((t) => t.parent_unit)).size).toBe(units.length);
    expect(new Set(lessons.map((l) => l.parent_topic)).size).toBe(topics.length);
  });

  it('uses unique 10-character hash ids', () => {
    const childRows = [...plans.flatMap((p) => [...rows(p, 'subjects'), ...rows(p, 'overrides')]), ...stages];
    for (const list of [plans, subjects, tracks, units, topics, lessons, childRows]) {
      for (const d of list) expect(d.name).toMatch(HASH_ID);
      expect(new Set(list.map((d) => d.name)).size).toBe(list.length);
    }
  });

  it('carries Frappe standard fields on documents and child rows', () => {
    for (const d of [...plans, ...nodes]) {
      expect(d).toMatchObject({ owner: 'Administrator', docstatus: 0, idx: 0 });
      expect(d.creation).toMatch(FRAPPE_TIME);
      expect(d.modified).toMatch(FRAPPE_TIME);
      expect((d.modified as string) >= (d.creation as string)).toBe(true);
      expect(typeof d.modified_by).toBe('string');
    }
    const distinctModified = new Set(nodes.map((d) => d.modified));
    expect(distinctModified.size).toBeLessThan(nodes.length);
    expect(distinctModified.size).toBeGreaterThan(20);
    for (const lesson of lessons.slice(0, 200)) {
      rows(lesson, 'stages').forEach((row, i) => {
        expect(row).toMatchObject({ parent: lesson.name, parentfield: 'stages', parenttype: DOCTYPES.lesson, idx: i + 1, docstatus: 0, modified: lesson.modified });
      });
    }
    for (const plan of plans) {
      rows(plan, 'subjects').forEach((row, i) => {
        expect(row).toMatchObject({ parent: plan.name, parentfield: 'subjects', parenttype: DOCTYPES.plan, idx: i + 1, modified: plan.modified });
        expect(Number.isInteger(row.sort_order)).toBe(true);
      });
    }
  });

  it('uses 0/1 integers for check fields and integer sort orders', () => {
    const checks = ['is_published', 'is_free_preview', 'is_public', 'is_sold_separately', 'parent_item_required'];
    for (const d of nodes) {
      for (const field of checks) if (field in d) expect([0, 1]).toContain(d[field]);
      expect(Number.isInteger(d.sort_order)).toBe(true);
    }
    expect(subjects.every((s) => /^#[0-9A-F]{6}$/.test(s.color_code as string))).toBe(true);
  });

  it('has Arabic and English titles, lessons 20 to 70 characters long', () => {
    expect(subjects.some((s) => ARABIC.test(s.title as string))).toBe(true);
    expect(subjects.some((s) => /^[A-Za-z]/.test(s.title as string))).toBe(true);
    expect(lessons.some((l) => ARABIC.test(l.title as string))).toBe(true);
    expect(lessons.some((l) => /^[A-Za-z]/.test(l.title as string))).toBe(true);
    expect(lessons.some((l) => /[\u064B-\u0652]/.test(l.title as string))).toBe(true); // tashkeel
    for (const l of lessons) {
      const title = l.title as string;
      expect(title.length).toBeGreaterThanOrEqual(20);
      expect(title.length).toBeLessThanOrEqual(70);
    }
  });

  it('varies access: paid and public subjects, sold-separately tracks, free previews, unpublished nodes', () => {
    expect(subjects.some((s) => typeof s.required_item === 'string' && /^ITEM-/.test(s.required_item))).toBe(true);
    expect(subjects.some((s) => s.is_public === 1)).toBe(true);
    const sold = tracks.filter((t) => t.is_sold_separately === 1);
    expect(sold.every((t) => typeof t.required_item === 'string')).toBe(true);
    expect(sold.some((t) => t.parent_item_required === 1)).toBe(true);
    expect(sold.some((t) => t.parent_item_required === 0)).toBe(true);
    expect(units.some((u) => u.is_free_preview === 1)).toBe(true);
    expect(topics.some((t) => t.is_free_preview === 1)).toBe(true);
    for (const list of [subjects, tracks, units, topics, lessons]) {
      const unpublished = list.filter((d) => d.is_published === 0).length;
      expect(unpublished).toBeGreaterThan(0);
      expect(unpublished).toBeLessThanOrEqual(Math.max(1, list.length * 0.05));
    }
  });

  it('gives plans overrides that target nodes under their own subjects', () => {
    const overrides = plans.flatMap((p) => rows(p, 'overrides'));
    expect(overrides.length).toBeGreaterThan(0);
    // Generation 002 offers these actions, and no others (no Set Access Level, no Set Linear).
    expect(new Set(overrides.map((o) => o.action))).toEqual(new Set(OVERRIDE_ACTION_OPTIONS['002']));
    const byName = new Map<string, RawDoc>(nodes.map((d) => [d.name, d]));
    const subjectOf = (doc: RawDoc): string => {
      let current: RawDoc | undefined = doc;
      for (const field of ['parent_topic', 'parent_unit', 'parent_track', 'parent_subject']) {
        if (current && typeof current[field] === 'string') current = byName.get(current[field] as string);
      }
      return current?.name ?? '';
    };
    for (const plan of plans) {
      const listed = new Set(rows(plan, 'subjects').map((r) => r.subject));
      for (const o of rows(plan, 'overrides')) {
        expect(OVERRIDE_ACTION_OPTIONS['002']).toContain(o.action);
        const target = byName.get(o.target_name as string);
        expect(target?.doctype).toBe(o.target_doctype);
        expect(listed.has(subjectOf(target as RawDoc))).toBe(true);
        if (o.action === 'Rename') expect((o.override_value as string).length).toBeGreaterThan(0);
        else if (o.action === 'Set Sold Separately') expect(o.override_value).toBe('1');
        else expect(o.override_value).toBe('');
      }
    }
  });

  it('gives every lesson 1 to 6 stages of all four types with JSON-text config', () => {
    for (const l of lessons) {
      const n = rows(l, 'stages').length;
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(6);
    }
    expect(new Set(stages.map((s) => s.type))).toEqual(new Set(STAGE_TYPES));
    for (const s of stages) {
      expect(typeof s.config).toBe('string');
      const config = JSON.parse(s.config as string) as Record<string, unknown>;
      if (s.type === 'Video') expect(typeof (config.video_url ?? config.video_key)).toBe('string');
      if (s.type === 'Question') {
        const options = config.options as unknown[];
        expect(Array.isArray(options)).toBe(true);
        expect(options[config.answer as number]).toBeDefined();
      }
    }
  });

  it('rejects options out of range', () => {
    expect(() => generateCatalog({ plans: 0, lessons: 10, seed: 1 })).toThrow(/--plans/);
    expect(() => generateCatalog({ plans: 1, lessons: 50_001, seed: 1 })).toThrow(/--lessons/);
    expect(() => generateCatalog({ plans: 1, lessons: 1.5, seed: 1 })).toThrow(/--lessons/);
    expect(() => generateCatalog({ plans: 1, lessons: 10, seed: Number.NaN })).toThrow(/--seed/);
  });

  it('generates 20,000 lessons for 100 plans', () => {
    const { docs: d, stats } = generateCatalog({ plans: 100, lessons: 20_000, seed: 11 });
    expect(d[DOCTYPES.plan]).toHaveLength(100);
    expect(d[DOCTYPES.lesson]).toHaveLength(20_000);
    expect(stats.subjects).toBe(50);
    const listed = new Set(d[DOCTYPES.plan].flatMap((p) => rows(p, 'subjects').map((r) => r.subject)));
    expect(listed.size).toBe(stats.subjects);
  });
});

describe('generateCatalog, generation 008', () => {
  const base = generateCatalog({ plans: 10, lessons: 1500, seed: 3 });
  const next = generateCatalog({ plans: 10, lessons: 1500, seed: 3, generation: '008' });
  const d = next.docs;

  it('adds the fields of generation 008 and drops Subject is_public', () => {
    expect(d[DOCTYPES.plan].every((p) => p.is_published === 0 || p.is_published === 1)).toBe(true);
    expect(d[DOCTYPES.plan][0]?.is_published).toBe(1);
    expect(d[DOCTYPES.plan].some((p) => p.is_published === 0)).toBe(true);
    for (const doctype of [DOCTYPES.subject, DOCTYPES.track, DOCTYPES.unit, DOCTYPES.topic]) {
      expect(d[doctype].every((x) => x.is_linear === 0 || x.is_linear === 1)).toBe(true);
      if (d[doctype].length >= 20) expect(new Set(d[doctype].map((x) => x.is_linear))).toEqual(new Set([0, 1]));
    }
    expect(d[DOCTYPES.subject].some((s) => 'is_public' in s)).toBe(false);
    const stages = d[DOCTYPES.lesson].flatMap((l) => l.stages as RawChildRow[]);
    expect(stages.every((s) => typeof s.weight === 'number' && (s.target_time === null || typeof s.target_time === 'number') && (s.is_skippable === 0 || s.is_skippable === 1))).toBe(true);
  });

  it('numbers lessons per subject with bit_index, and gives the subject next_bit_index', () => {
    for (const subject of d[DOCTYPES.subject]) expect(subject.next_bit_index).toBeGreaterThan(0);
    const total = d[DOCTYPES.subject].reduce((sum, s) => sum + Number(s.next_bit_index), 0);
    expect(total).toBe(d[DOCTYPES.lesson].length);
    expect(d[DOCTYPES.lesson].every((l) => Number.isInteger(l.bit_index))).toBe(true);
  });

  it('uses Set Linear among the actions generation 008 offers, never on a lesson', () => {
    const overrides = d[DOCTYPES.plan].flatMap((p) => p.overrides as RawChildRow[]);
    expect(new Set(overrides.map((o) => o.action))).toEqual(new Set(OVERRIDE_ACTION_OPTIONS['008']));
    for (const o of overrides.filter((x) => x.action === 'Set Linear')) {
      expect(o.target_doctype).not.toBe(DOCTYPES.lesson);
      expect(['0', '1']).toContain(o.override_value);
    }
  });

  it('keeps the same tree as generation 002 for a seed', () => {
    for (const doctype of [DOCTYPES.subject, DOCTYPES.track, DOCTYPES.unit, DOCTYPES.topic, DOCTYPES.lesson]) {
      expect(d[doctype].map((x) => [x.name, x.title])).toEqual(base.docs[doctype].map((x) => [x.name, x.title]));
    }
  });

  it('refuses a generation it does not know', () => {
    expect(() => generateCatalog({ plans: 1, lessons: 10, seed: 1, generation: '009' as '008' })).toThrow(/--generation must be one of 002, 008/);
  });
});
