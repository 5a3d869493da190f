import { mkdir, readFile, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, SAMPLE_IDS, sampleCatalog } from '../samples/catalog.ts';
import { build } from '../src/build/build.ts';
import { keys } from '../packages/client/src/layout.ts';
import { BUILD_INFO, OUT_MARKER, SNAPSHOT_FILE } from '../src/build/output.ts';
import { readCache, writeCache } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import type { RawChildRow, RawDoc } from '../src/content/raw.ts';
import { formatWarning } from '../src/content/warnings.ts';
import { BuildError, CacheError, UsageError } from '../src/errors.ts';
import { memoryLogger } from '../src/log.ts';
import { byKey, json, linkTarget, render, tempDir } from './helpers.ts';

const { plans: P, subjects: S, badData: BAD } = SAMPLE_IDS;
const sample = render(sampleCatalog());
const files = byKey(sample.files);

interface Node {
  id: string;
  title: string;
  access: { access_level: string; required_item?: string; is_sold_separately: boolean; parent_required_item?: string };
  url?: string;
}
interface SubjectFile extends Node {
  tracks: (Node & { units: (Node & { topics: (Node & { lessons: Node[] })[] })[] })[];
}

function subjectFile(plan: string, subject: string): SubjectFile {
  return json<SubjectFile>(files.get(keys.subject(plan, subject)));
}

/** Every node of a plan's subject file by id. */
function nodes(plan: string, subject: string): Map<string, Node> {
  const s = subjectFile(plan, subject);
  const out = new Map<string, Node>([[s.id, s]]);
  for (const t of s.tracks) {
    out.set(t.id, t);
    for (const u of t.units) {
      out.set(u.id, u);
      for (const p of u.topics) {
        out.set(p.id, p);
        for (const l of p.lessons) out.set(l.id, l);
      }
    }
  }
  return out;
}

describe('bad data in the sample catalog', () => {
  const warnings = sample.warnings.map(formatWarning);
  it.each([
    ['empty lesson title', BAD.emptyTitleLesson, /Memora Lesson "e0m1p2t3y4": has an empty or blank title/],
    ['blank topic title', BAD.blankTitleTopic, /Memora Topic "w0s1p2c3e4": has an empty or blank title/],
    ['sold separately without item', BAD.soldSeparatelyWithoutItem, /Memora Track "k0nob4yit1": is sold separately but has no required_item/],
    ['orphan unit', BAD.orphanUnit, /Memora Unit "o0r1p2h3a4": has no parent_track/],
    ['orphan lesson', BAD.orphanLesson, /Memora Lesson "o9r8p7h6n5": parent_topic "t0deleted0" is not an existing Memora Topic/],
    ['malformed stage config', BAD.malformedStageLesson, /Memora Lesson "e2q3u4e5s6": stage 2 .* not valid JSON; stage skipped/],
    ['unknown stage type', BAD.unknownStageTypeLesson, /Memora Lesson "e4i5r6r7e8": stage 2 .* unknown type "Flashcards"/],
    ['override of a missing document', BAD.overrideMissingTarget, /Memora Academic Plan "p7ar2k4m9x": overrides row \d+: Hide targets Memora Lesson "d3l3t3d0ls", which does not exist/],
  ])('%s gives a warning naming it', (_what, _id, pattern) => {
    expect(warnings.filter((w) => pattern.test(w))).toHaveLength(1);
  });

  it('warns about nothing else', () => {
    expect(warnings).toHaveLength(8);
  });

  it('takes a title or a Rename of format characters only (bidi marks, zero-width joiners) for blank', () => {
    const docs = sampleCatalog();
    const lesson = docs[DOCTYPES.lesson].find((l) => l.name === 'l4m5u6l7t8') as RawDoc;
    lesson.title = '\u200F\u200E \u200B';
    const plan = docs[DOCTYPES.plan].find((p) => p.name === SAMPLE_IDS.plans.grade7Arabic) as RawDoc;
    (plan.overrides as RawChildRow[]).push({ ...((plan.overrides as RawChildRow[])[0] as RawChildRow), name: 'blank-rename', idx: 99, target_doctype: DOCTYPES.lesson, target_name: 'l3o4n5e6s7', action: 'Rename', override_value: '\u202B\u202C' });
    const result = render(docs);
    const told = result.warnings.map(formatWarning);
    expect(told.filter((w) => /Memora Lesson "l4m5u6l7t8": has an empty or blank title/.test(w))).toHaveLength(1);
    expect(told.filter((w) => /Rename of .*l3o4n5e6s7.* has an empty override_value; row ignored/.test(w))).toHaveLength(1);
    expect(byKey(result.files).has(keys.lesson('l4m5u6l7t8'))).toBe(false);
  });

  it('names a child table that is not a list, and rows that are not objects, in a warning (a hand-edited cache), keeping the other rows', () => {
    const docs = sampleCatalog();
    const withStages = docs[DOCTYPES.lesson].filter((l) => Array.isArray(l.stages) && (l.stages as unknown[]).length >= 2 && l.name !== BAD.malformedStageLesson && l.name !== BAD.unknownStageTypeLesson);
    const [notList, someBad] = withStages as [RawDoc, RawDoc];
    const kept = (someBad.stages as RawChildRow[]).length;
    notList.stages = 'stage rows';
    someBad.stages = [...(someBad.stages as unknown[]), 7, null, ['a']];
    const plan = docs[DOCTYPES.plan].find((p) => p.name === P.grade7English) as RawDoc;
    plan.overrides = { action: 'Hide' };
    const result = render(docs);
    const told = result.warnings.map(formatWarning);
    expect(told).toContain(`Memora Lesson ${JSON.stringify(notList.name)}: stages is a string where a list of rows was expected; no stages rows read`);
    for (const [n, what] of [[kept + 1, 'a number'], [kept + 2, 'null'], [kept + 3, 'a list']] as const) {
      expect(told).toContain(`Memora Lesson ${JSON.stringify(someBad.name)}: stages row ${n} of ${kept + 3} is ${what}, not a row; row ignored`);
    }
    expect(told).toContain(`Memora Academic Plan ${JSON.stringify(P.grade7English)}: overrides is an object where a list of rows was expected; no overrides rows read`);
    const out = byKey(result.files);
    expect(json<{ stages: unknown[] }>(out.get(keys.lesson(notList.name))).stages).toEqual([]);
    expect(json<{ stages: unknown[] }>(out.get(keys.lesson(someBad.name))).stages).toHaveLength(kept);
  });

  it('skips the bad nodes and keeps the rest of the tree', () => {
    for (const id of [BAD.emptyTitleLesson, BAD.orphanLesson, 'e5b6l7a8n9', 'm5o6l7y8m9', 'p0c1l2i3m4']) expect(files.has(keys.lesson(id)), id).toBe(false);
    for (const id of [BAD.orphanUnit, 'o1y2m3p4d5']) expect(files.has(keys.unit(id)), id).toBe(false);
    const malformed = json<{ stages: { idx: number }[] }>(files.get(keys.lesson(BAD.malformedStageLesson)));
    expect(malformed.stages.map((s) => s.idx)).toEqual([1, 3]);
    const unknown = json<{ stages: { idx: number }[] }>(files.get(keys.lesson(BAD.unknownStageTypeLesson)));
    expect(unknown.stages.map((s) => s.idx)).toEqual([1, 3]);
    expect(sample.files.length).toBe(59);
  });

  it('never exports drafts, their subtrees, or subjects no plan lists', () => {
    for (const id of ['l5d6r7a8f9', 'n4p5o6l7l8']) expect(files.has(keys.lesson(id)), id).toBe(false);
    for (const id of ['u3dr4ft0un', 'v0l1c2a3n4']) expect(files.has(keys.unit(id)), id).toBe(false);
    expect(sample.files.some((f) => f.key.includes(S.robotics))).toBe(false);
    const units = sample.files.filter((f) => f.kind === 'unit').map((f) => json<{ parents: { subject: { id: string } } }>(f).parents.subject.id);
    expect(units).not.toContain(S.robotics);
  });
});

describe('plan overrides and access in the sample', () => {
  it('hides a topic in one plan only', () => {
    expect(nodes(P.grade7Arabic, S.math).has('t3h5j7k9l2')).toBe(false);
    expect(nodes(P.grade7English, S.math).has('t3h5j7k9l2')).toBe(true);
    // The unit file is global and lists it: another plan shows it.
    const unit = json<{ topics: { id: string }[] }>(files.get(keys.unit('u2e5q7r9t1')));
    expect(unit.topics.map((t) => t.id)).toContain('t3h5j7k9l2');
  });

  it('renames a unit in one plan; the global file keeps the base title', () => {
    expect(nodes(P.grade7Arabic, S.math).get('u2e5q7r9t1')?.title).toBe('معادلات الدرجة الأولى');
    expect(nodes(P.grade7English, S.math).get('u2e5q7r9t1')?.title).toBe('المعادلات الخطية');
    expect(json(files.get(keys.unit('u2e5q7r9t1'))).title).toBe('المعادلات الخطية');
  });

  it('gives a unit hidden by every plan that shows it no file', () => {
    expect(files.has(keys.unit('r5e6a7d8i9'))).toBe(false);
  });

  it('keeps a free-preview unit and topic open under a paid subject', () => {
    const math = nodes(P.grade7Arabic, S.math);
    expect(math.get(S.math)?.access).toMatchObject({ access_level: 'paid', required_item: 'ITEM-MATH-7' });
    expect(math.get('Unit 1 Intro')?.access.access_level).toBe('free_preview');
    expect(math.get('l1v2a3r4i5')?.access.access_level).toBe('free_preview');
    expect(math.get('t6fp1r2e3v')?.access.access_level).toBe('free_preview');
    expect(math.get('m2d3e4c5r6')?.access.access_level).toBe('free_preview');
  });

  it('makes sold-separately tracks paid islands, with and without the parent item', () => {
    const math = nodes(P.grade7Arabic, S.math);
    expect(math.get('k8geo3tr5m')?.access).toEqual({ is_published: true, access_level: 'paid', required_item: 'ITEM-MATH-7-GEO', is_sold_separately: true, parent_item_required: true, parent_required_item: 'ITEM-MATH-7' });
    expect(math.get('l9a0n1g2l3')?.access).toMatchObject({ required_item: 'ITEM-MATH-7-GEO', parent_required_item: 'ITEM-MATH-7' });
    expect(math.get('k9sta7ts2q')?.access).toEqual({ is_published: true, access_level: 'paid', required_item: 'ITEM-MATH-7-STATS', is_sold_separately: true, parent_item_required: false });
    // Set Sold Separately 0 in the bridge plan: still paid with its own item, no longer an island.
    expect(nodes(P.summerBridge, S.math).get('k9sta7ts2q')?.access).toMatchObject({ required_item: 'ITEM-MATH-7-STATS', is_sold_separately: false });
  });

  it('applies Set Free, Set Access Level and Set Sold Separately per plan', () => {
    expect(nodes(P.grade7Arabic, S.math).get('m0p1r2o3t4')?.access.access_level).toBe('free_preview');
    expect(nodes(P.grade7English, S.math).get('m0p1r2o3t4')?.access.access_level).toBe('paid');
    expect(nodes(P.grade7English, S.science).get(S.science)?.access.access_level).toBe('authenticated');
    expect(nodes(P.grade7English, S.math).get('t2s4d6f8g0')?.access.access_level).toBe('free_preview');
    expect(nodes(P.grade7English, S.science).get('l4b5t6r7k8')?.access.is_sold_separately).toBe(true);
    expect(nodes(P.summerBridge, S.math).get('Unit 1 Intro')?.access).toMatchObject({ access_level: 'paid', required_item: 'ITEM-MATH-7' });
    expect(nodes(P.grade7Arabic, S.arabic).get(S.arabic)?.access.access_level).toBe('public');
  });

  it('lets the later of a Set Free and a Set Access Level row on one node win, as with any two rows', () => {
    const target = 'm0p1r2o3t4';
    const doctype = Object.values(DOCTYPES).find((d) => sampleCatalog()[d]?.some((doc) => doc.name === target)) as string;
    const levelWith = (actions: [string, string][]) => {
      const docs = sampleCatalog();
      const plan = docs[DOCTYPES.plan].find((p) => p.name === P.grade7English) as RawDoc;
      const template = (plan.overrides as RawChildRow[])[0] as RawChildRow;
      actions.forEach(([action, value], i) => (plan.overrides as RawChildRow[]).push({ ...template, name: `conflict-${i}`, idx: 100 + i, target_doctype: doctype, target_name: target, action, override_value: value }));
      const s = json<SubjectFile>(byKey(render(docs).files).get(keys.subject(P.grade7English, S.math)));
      const found = s.tracks.flatMap((t) => [t, ...t.units.flatMap((u) => [u, ...u.topics.flatMap((p) => [p, ...p.lessons])])]).find((n) => n.id === target);
      return found?.access.access_level;
    };
    expect(levelWith([])).toBe('paid');
    expect(levelWith([['Set Free', ''], ['Set Access Level', 'authenticated']])).toBe('authenticated');
    expect(levelWith([['Set Access Level', 'authenticated'], ['Set Free', '']])).toBe('free_preview');
  });

  it('gives a public subject with a paid track both levels', () => {
    const science = nodes(P.grade7Arabic, S.science);
    expect(science.get(S.science)?.access.access_level).toBe('public');
    expect(science.get('n1p2h3o4t5')?.access.access_level).toBe('public');
    expect(science.get('l4b5t6r7k8')?.access).toMatchObject({ access_level: 'paid', required_item: 'ITEM-SCI-LAB-7' });
    expect(science.get('n7e8q9u0i1')?.access).toMatchObject({ access_level: 'paid', required_item: 'ITEM-SCI-LAB-7' });
  });

  it('links parents to children with the hash of their bytes, and siblings without', () => {
    const manifest = json<{ subjects: { id: string; url: string }[]; search_index_url: string }>(files.get(keys.manifest(P.grade7Arabic)));
    for (const s of manifest.subjects) {
      const { alias, version } = linkTarget(s.url);
      expect(files.get(alias)?.hash.slice(0, 16)).toBe(version);
    }
    expect(linkTarget(manifest.search_index_url).version).toBe(files.get(keys.searchIndex(P.grade7Arabic))?.hash.slice(0, 16));
    const lesson = json<{ navigation: { previous: { url: string } | null; next: { url: string } | null } }>(files.get(keys.lesson('lesson..x')));
    expect(lesson.navigation.previous?.url).toBe('lessons/%D8%AF%D8%B1%D8%B3-%D8%A7%D9%84%D9%83%D8%B3%D9%88%D8%B1.json');
    expect(linkTarget(lesson.navigation.next?.url ?? '').version).toBeNull();
  });
});

describe('build to disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });

  it('builds the sample, removes what a later build no longer produces, and keeps only the tree', async () => {
    const out = path.join(dir, 'out');
    const log = memoryLogger();
    const first = await build({ cacheDir: SAMPLE_CACHE_DIR, outDir: out, log });
    expect(first.files).toBe(59);
    expect(log.lines.at(-1) ?? '').toMatch(/more warnings|warning/);
    await mkdir(path.join(out, 'lessons'), { recursive: true });
    await writeFile(path.join(out, 'lessons', 'stale.json'), '{}');
    await mkdir(path.join(out, 'plans', 'gone', 'subjects'), { recursive: true });
    await writeFile(path.join(out, 'plans', 'gone', 'subjects', 'x.json'), '{}');
    const second = await build({ cacheDir: SAMPLE_CACHE_DIR, outDir: out, plans: [P.grade7English], log });
    const present = (await fg('**/*', { cwd: out, dot: true })).sort();
    const expected = render(sampleCatalog(), { plans: [P.grade7English] }).files.map((f) => f.key);
    expect(present).toEqual([...expected, OUT_MARKER, BUILD_INFO, SNAPSHOT_FILE].sort());
    expect(second.write.removed).toBeGreaterThan(2);
    expect(await readdir(path.join(out, 'plans'))).toEqual([P.grade7English]);
  });

  it('renders with --plan the same global files a full build does', () => {
    const partial = byKey(render(sampleCatalog(), { plans: [P.grade7English] }).files);
    for (const [key, file] of partial) {
      if (key.startsWith('plans/')) expect(key.startsWith(`plans/${P.grade7English}/`)).toBe(true);
      expect(files.get(key)?.hash, key).toBe(file.hash);
    }
    expect([...partial.keys()].some((k) => k.startsWith('units/'))).toBe(true);
    // The Arabic subject is not in the English plan: its units are not rendered.
    expect(partial.has(keys.unit('i1r2a3b4n5'))).toBe(false);
  });

  it('refuses an unknown --plan with a usage error', async () => {
    await expect(build({ cacheDir: SAMPLE_CACHE_DIR, outDir: path.join(dir, 'out-x'), plans: ['nope'], log: memoryLogger() })).rejects.toThrow(UsageError);
  });

  it('never writes into a folder it did not make', async () => {
    const foreign = path.join(dir, 'foreign');
    await mkdir(foreign);
    await writeFile(path.join(foreign, 'precious.txt'), 'keep me');
    await expect(build({ cacheDir: SAMPLE_CACHE_DIR, outDir: foreign, log: memoryLogger() })).rejects.toThrow(/refusing to write into/);
    expect(await readFile(path.join(foreign, 'precious.txt'), 'utf8')).toBe('keep me');
    await expect(build({ cacheDir: SAMPLE_CACHE_DIR, outDir: foreign, log: memoryLogger() })).rejects.toThrow(BuildError);
  });

  it('skips a document with an empty or blank name with a warning naming its DocType, and builds the rest', async () => {
    const docs = (await readCache(SAMPLE_CACHE_DIR)).docs;
    const lesson = docs[DOCTYPES.lesson].find((l) => l.name === 'l4m5u6l7t8') as RawDoc;
    const topic = docs[DOCTYPES.topic].find((t) => t.name === lesson.parent_topic) as RawDoc;
    // A lesson named "" under a published topic, and a topic named " " holding a copy of the lesson.
    docs[DOCTYPES.lesson].push({ ...lesson, name: '' }, { ...lesson, name: 'u1n2d3e4r5', parent_topic: ' ' });
    docs[DOCTYPES.topic].push({ ...topic, name: ' ' });
    const cache = path.join(dir, 'empty-names');
    await writeCache(cache, { replace: docs, fsync: false });
    const out = path.join(dir, 'out-empty-names');
    const log = memoryLogger();
    const summary = await build({ cacheDir: cache, outDir: out, log });
    const told = summary.warnings.map(formatWarning);
    expect(told).toContain('Memora Lesson "": has an empty or blank name (ID); skipped with everything under it');
    expect(told).toContain('Memora Topic " ": has an empty or blank name (ID); skipped with everything under it');
    // What is under the topic goes with it, unannounced, as under a topic skipped for its title.
    expect(told.filter((w) => w.includes('u1n2d3e4r5'))).toEqual([]);
    expect(log.lines).toContain('warning: Memora Lesson "": has an empty or blank name (ID); skipped with everything under it');
    // The rest is the sample's tree.
    expect(summary.files).toBe(sample.files.length);
    const built = await fg('**/*.json', { cwd: out });
    expect(built).not.toContain(keys.lesson(''));
    expect(built).not.toContain(keys.lesson('u1n2d3e4r5'));
  });

  it('stops with a clear error on a missing or damaged cache', async () => {
    await expect(build({ cacheDir: path.join(dir, 'no-cache'), outDir: path.join(dir, 'o'), log: memoryLogger() })).rejects.toThrow(/no content cache in .*run `pull`/);
    const cache = path.join(dir, 'damaged');
    const index = await writeCache(cache, { replace: (await readCache(SAMPLE_CACHE_DIR)).docs, fsync: false });
    const lessonFile = index.doctypes['Memora Lesson']?.file ?? '';
    await writeFile(path.join(cache, lessonFile), '{"name":"x"}\n');
    await expect(build({ cacheDir: cache, outDir: path.join(dir, 'o'), log: memoryLogger() })).rejects.toThrow(CacheError);
    await expect(readCache(cache)).rejects.toThrow(new RegExp(`${lessonFile.replace(/\./g, '\\.')} \\(Memora Lesson\\): the file's checksum does not match`));
  });
});
