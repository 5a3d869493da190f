/**
 * The incremental build's promise: whatever the content cache went through, a build that reuses
 * the previous build's files gives the same folder, byte for byte, as a full build of the same
 * cache. Random edit sequences (test/site-edits.ts, seeded) replay what a Frappe site does to its
 * documents; after each step both builds run and every file of both folders is compared, and
 * so are the deploy's trees of the incremental folder taken from the build and read back.
 */
import { readFileSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fg from 'fast-glob';
import { describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, SAMPLE_IDS } from '../samples/catalog.ts';
import { keys } from '../packages/client/src/layout.ts';
import { build, formatBuildSummary, type BuildOptions, type BuildSummary } from '../src/build/build.ts';
import type { TreeFile } from '../src/build/files.ts';
import { SNAPSHOT_FILE } from '../src/build/output.ts';
import { previousBuild, type Snapshot } from '../src/build/incremental/snapshot.ts';
import { renderingRuntime } from '../src/build/incremental/code.ts';
import { DocumentDigests } from '../src/build/incremental/inputs.ts';
import { layoutTree, renderTree, subjectLeaves, type PreviousBuild } from '../src/build/render/tree.ts';
import { buildCatalog } from '../src/content/model.ts';
import { TEMP_SUFFIX } from '../src/io/atomic.ts';
import { BuildError } from '../src/errors.ts';
import { readCache, writeCache, type CacheDocs } from '../src/content/cache.ts';
import { DOCTYPES, type DocTypeName } from '../src/content/doctypes.ts';
import type { RawChildRow, RawDoc } from '../src/content/raw.ts';
import { generationMeta, OVERRIDE_ACTION_OPTIONS, type Generation, type SiteMeta } from '../src/content/fields.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { Random } from '../src/generate/random.ts';
import { memoryLogger } from '../src/log.ts';
import { EDITS, EditOrder, editStep, Site } from './site-edits.ts';
import { runCli } from '../src/cli/cli.ts';
import { capture, tempDir } from './helpers.ts';
import { bothTrees, nothingWritten } from './deploy-tree.ts';

/** The site metadata a cache is written with: 002 with Set Access Level added (a site may add options), 008 as it comes. */
function siteMeta(generation: Generation): SiteMeta {
  return generation === '002'
    ? generationMeta('002', { 'Memora Plan Override.action': [...OVERRIDE_ACTION_OPTIONS['002'], 'Set Access Level'] })
    : generationMeta('008');
}

/** Every file of a folder (dotfiles too: the build info and the record of the build), by relative path. */
async function folderFiles(dir: string): Promise<Map<string, Buffer>> {
  const names = (await fg('**/*', { cwd: dir, dot: true, onlyFiles: true })).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(path.join(dir, n))] as const)));
}

/** What differs between two folders, file by file: empty when they hold the same bytes. */
async function folderDifferences(incremental: string, full: string): Promise<string[]> {
  const a = await folderFiles(incremental);
  const b = await folderFiles(full);
  const out: string[] = [];
  for (const [key, bytes] of a) {
    const other = b.get(key);
    if (!other) out.push(`only in the incremental build: ${key}`);
    else if (!bytes.equals(other)) out.push(`different bytes: ${key}\n  incremental: ${bytes.toString('utf8').slice(0, 300)}\n  full:        ${other.toString('utf8').slice(0, 300)}`);
  }
  for (const key of b.keys()) if (!a.has(key)) out.push(`only in the full build: ${key}`);
  return out;
}

/** The files every build renders whatever changed: manifests. */
function alwaysRendered(s: BuildSummary): number {
  return s.filesByKind.manifest;
}

interface Sequence {
  generation: Generation;
  seed: number;
  plans: number;
  lessons: number;
  steps: number;
  /** The search sharding threshold before `switchAt`, and from it on (undefined: the default, 500). */
  sharding: [number | undefined, number | undefined];
  switchAt: number;
}

/**
 * The kinds of edit, in turn: the sequences share the one order, so that together they make
 * every kind (each kind only one generation has falls to the sequence of that generation). To
 * replay a failure, run the whole file.
 */
const order = new EditOrder(new Random(2));
/** Steps of all sequences after which the warnings were not those of the step before. */
let warningChanges = 0;

/**
 * Replays a random edit sequence. After each step, one output folder is built incrementally (the
 * same folder all along) and a fresh one fully, and both must hold the same bytes, give the same
 * warnings, and the incremental one must really have reused files.
 */
async function replay(seq: Sequence): Promise<number> {
  const root = await tempDir('memora-incremental-');
  const cacheDir = path.join(root, 'cache');
  const outDir = path.join(root, 'out');
  const { docs } = generateCatalog({ plans: seq.plans, lessons: seq.lessons, seed: seq.seed, generation: seq.generation });
  const site = new Site(docs, seq.generation, new Random(seq.seed));
  await writeCache(cacheDir, { replace: site.docs, siteMeta: siteMeta(seq.generation), fsync: false });
  const sharding = (step: number) => {
    const threshold = seq.sharding[step < seq.switchAt ? 0 : 1];
    return threshold === undefined ? {} : { searchUnshardedMaxLessons: threshold };
  };
  const first = await build({ cacheDir, outDir, log: memoryLogger(), ...sharding(0) });
  expect(first.incremental.mode).toBe('full');

  const history: string[] = [];
  let reusedSteps = 0;
  let warnings = JSON.stringify(first.warnings);
  for (let step = 1; step <= seq.steps; step++) {
    const edits = editStep(site, order);
    history.push(`step ${step}: ${edits.length > 0 ? edits.join('; ') : 'no edit'}`);
    const where = `replay with ${JSON.stringify(seq)}; failed at step ${step}; edits so far:\n${history.join('\n')}`;
    await writeCache(cacheDir, { replace: site.docs, fsync: false });

    let written = nothingWritten();
    const incremental = await build({ cacheDir, outDir, log: memoryLogger(), ...sharding(step), onWritten: (files, planKeys) => (written = { files, planKeys }) });
    const fullDir = path.join(root, `full-${step}`);
    const full = await build({ cacheDir, outDir: fullDir, log: memoryLogger(), full: true, ...sharding(step) });
    expect(full.incremental.mode, where).toBe('full');

    expect(await folderDifferences(outDir, fullDir), where).toEqual([]);
    expect(incremental.warnings, where).toEqual(full.warnings);
    expect(incremental.files, where).toBe(full.files);
    // The deploy's tree from what the build handed over is the tree read back from the folder.
    const trees = await bothTrees(outDir, written, null);
    expect(trees.fromBuild, where).toEqual(trees.readBack);
    if (step === seq.switchAt) {
      // Another sharding setting: nothing recorded under the old one can be reused.
      expect(incremental.incremental, where).toMatchObject({ mode: 'full', reason: 'the build settings changed', reused: 0 });
    } else {
      expect(incremental.incremental, where).toMatchObject({ mode: 'incremental', reason: null });
      expect(incremental.incremental.reused, where).toBeGreaterThan(0);
      reusedSteps++;
      // Nothing changed: only the files every build renders were rendered, and nothing was written.
      if (edits.length === 0) {
        expect(incremental.incremental.rendered, where).toBe(alwaysRendered(incremental));
        expect(incremental.write, where).toMatchObject({ written: 0, removed: 0 });
      }
    }
    if (JSON.stringify(incremental.warnings) !== warnings) warningChanges++;
    warnings = JSON.stringify(incremental.warnings);
    await rm(fullDir, { recursive: true, force: true });
  }
  return reusedSteps;
}

/** Fourteen steps, each built both ways: 15 to 27 s on a busy two-core machine, too close to the default 60 s. */
const LONG = 180_000;

describe('an incremental build gives the same bytes as a full build', () => {
  it('after every step of a random edit sequence on a generation 002 site, default search, then every plan sharded and routed', async () => {
    const seq: Sequence = { generation: '002', seed: 20_251, plans: 5, lessons: 380, steps: 14, sharding: [undefined, 0], switchAt: 8 };
    // Every step but the one that changes the sharding setting reused files.
    expect(await replay(seq)).toBe(seq.steps - 1);
  }, LONG);

  it('after every step of a random edit sequence on a generation 008 site, every plan sharded and routed, then default search', async () => {
    const seq: Sequence = { generation: '008', seed: 80_008, plans: 4, lessons: 320, steps: 14, sharding: [0, undefined], switchAt: 8 };
    expect(await replay(seq)).toBe(seq.steps - 1);
  }, LONG);

  it('the edit sequences above went through every kind of edit, and changed the warnings', () => {
    expect(EDITS.map((e) => e.name).filter((name) => !order.applied.has(name))).toEqual([]);
    expect(warningChanges).toBeGreaterThan(2);
  });
});

// ---------------------------------------------------------------------------------------------
// The dependency graph: which files an edit re-renders, and which change, on the sample catalog.
// ---------------------------------------------------------------------------------------------

/** The kinds an incremental build reuses by their inputs; manifests are always rendered. */
const REUSABLE: ReadonlySet<string> = new Set(['lesson', 'unit', 'subject', 'search_index', 'search_shard', 'search_terms', 'search_docs', 'search_vocab']);

interface SubjectTree {
  tracks: { id: string; units: { id: string; topics: { id: string; lessons: { id: string }[] }[] }[] }[];
}

interface LessonFile {
  parents: { unit: { id: string }; subject: { id: string } };
  navigation: { previous: { id: string } | null; next: { id: string } | null };
  stages: unknown[];
}

/** A build whose files the test keeps, with the bytes the output folder holds, and the keys it rendered. */
async function buildKept(options: Omit<BuildOptions, 'log' | 'onWritten'>): Promise<{ summary: BuildSummary; files: Map<string, TreeFile>; rendered: ReadonlySet<string> }> {
  let files = new Map<string, TreeFile>();
  let rendered: ReadonlySet<string> = new Set();
  const summary = await build({ ...options, log: memoryLogger(), onWritten: (written, _, keys) => ((files = new Map(written.map((f) => [f.key, f]))), (rendered = keys)) });
  for (const f of files.values()) f.bytes = readFileSync(path.join(options.outDir, ...f.key.split('/')));
  return { summary, files, rendered };
}

/** What the sample build shows where, read from its files. */
class Shown {
  /** Per lesson, the plans whose subject files list it. */
  readonly plansOf = new Map<string, Set<string>>();
  /** Per plan and subject (the subject file's key), the units and lessons it lists. */
  readonly units = new Map<string, Set<string>>();
  readonly plans: string[];

  constructor(private readonly files: ReadonlyMap<string, TreeFile>) {
    this.plans = [...files.values()].filter((f) => f.kind === 'manifest').map((f) => f.key.split('/')[1] as string);
    for (const f of files.values()) {
      if (f.kind !== 'subject') continue;
      const plan = f.key.split('/')[1] as string;
      const tree = this.json<SubjectTree>(f.key);
      const units = new Set<string>();
      for (const u of tree.tracks.flatMap((t) => t.units)) {
        units.add(u.id);
        for (const l of u.topics.flatMap((t) => t.lessons)) {
          const plans = this.plansOf.get(l.id) ?? new Set<string>();
          plans.add(plan);
          this.plansOf.set(l.id, plans);
        }
      }
      this.units.set(f.key, units);
    }
  }

  json<T>(key: string): T {
    const bytes = this.files.get(key)?.bytes;
    if (!bytes) throw new Error(`${key}: not in the build`);
    return JSON.parse(bytes.toString('utf8')) as T;
  }

  lesson(id: string): LessonFile {
    return this.json<LessonFile>(keys.lesson(id));
  }

  /** The lessons whose file names this subject. */
  lessonsOfSubject(subject: string): string[] {
    return [...this.plansOf.keys()].filter((id) => this.lesson(id).parents.subject.id === subject);
  }

  searchFiles(plan: string): string[] {
    return [...this.files.values()].filter((f) => f.kind.startsWith('search_') && f.key.startsWith(`plans/${plan}/`)).map((f) => f.key);
  }

  /** The plans that list a subject (have its subject file). */
  plansListing(subject: string): string[] {
    return this.plans.filter((p) => this.files.has(keys.subject(p, subject)));
  }
}

/** The sample catalog in a cache of its own, built once: edit it, rebuild, and see what the edit reached. */
async function sampleFixture(settings: Pick<BuildOptions, 'searchUnshardedMaxLessons'> = {}) {
  const root = await tempDir('memora-graph-');
  const cacheDir = path.join(root, 'cache');
  const outDir = path.join(root, 'out');
  const sample = await readCache(SAMPLE_CACHE_DIR);
  await writeCache(cacheDir, { replace: sample.docs, ...(sample.index.site_meta ? { siteMeta: sample.index.site_meta } : {}), fsync: false });
  const before = await buildKept({ cacheDir, outDir, ...settings });
  const shown = new Shown(before.files);
  return {
    shown,
    /** Applies an edit to the cache's documents, rebuilds, and returns the reusable files rendered again and every file whose bytes changed (or that came or went). */
    async rebuild(edit: (docs: CacheDocs) => void) {
      const docs = structuredClone(sample.docs);
      edit(docs);
      await writeCache(cacheDir, { replace: docs, fsync: false });
      const after = await buildKept({ cacheDir, outDir, ...settings });
      expect(after.summary.incremental.mode).toBe('incremental');
      const rendered = [...after.files.values()].filter((f) => after.rendered.has(f.key) && REUSABLE.has(f.kind)).map((f) => f.key).sort();
      // Everything else the build rendered is what it always renders.
      expect(after.summary.incremental.rendered).toBe(rendered.length + alwaysRendered(after.summary));
      const all = new Set([...before.files.keys(), ...after.files.keys()]);
      const changed = [...all].filter((k) => before.files.get(k)?.hash !== after.files.get(k)?.hash).sort();
      return { rendered, changed };
    },
  };
}

function doc(docs: CacheDocs, doctype: DocTypeName, name: string): RawDoc {
  const found = docs[doctype].find((d) => d.name === name);
  if (!found) throw new Error(`no ${doctype} ${name}`);
  return found;
}

const sorted = (items: Iterable<string>) => [...new Set(items)].sort();

describe('an incremental build re-renders what an edit reaches, and nothing else (the dependency graph)', () => {
  it("a lesson's stage edit reaches its lesson file, its unit file, and the subject files and manifests of the plans that show it, but no search file", async () => {
    const g = await sampleFixture();
    // A lesson some plans show and others do not, with stages.
    const lesson = [...g.shown.plansOf].find(([id, plans]) => plans.size < g.shown.plans.length && g.shown.lesson(id).stages.length > 0)?.[0];
    if (!lesson) throw new Error('the samples have no lesson shown by only some plans');
    const plans = [...(g.shown.plansOf.get(lesson) ?? [])];
    const { parents } = g.shown.lesson(lesson);

    const { rendered, changed } = await g.rebuild((docs) => {
      const stages = doc(docs, DOCTYPES.lesson, lesson).stages as RawChildRow[];
      stages[0]!.config = JSON.stringify({ body: 'A new first stage' });
      stages[0]!.type = 'Text';
    });
    // Its unit file and the subject files link the lesson's new version: rendered again, the subject files for the plans that show it.
    expect(rendered).toEqual(sorted([keys.lesson(lesson), keys.unit(parents.unit.id), ...plans.map((p) => keys.subject(p, parents.subject.id))]));
    expect(changed).toEqual(sorted([keys.lesson(lesson), keys.unit(parents.unit.id), ...plans.flatMap((p) => [keys.subject(p, parents.subject.id), keys.manifest(p)])]));
  });

  it("a lesson's title edit also reaches the search files of the plans that show it, and not its neighbours' lesson files", async () => {
    const g = await sampleFixture();
    // A lesson with a previous and a next lesson.
    const lesson = [...g.shown.plansOf.keys()].find((id) => g.shown.lesson(id).navigation.previous && g.shown.lesson(id).navigation.next);
    if (!lesson) throw new Error('the samples have no lesson between two others');
    const plans = [...(g.shown.plansOf.get(lesson) ?? [])];
    const { parents, navigation } = g.shown.lesson(lesson);

    const { rendered, changed } = await g.rebuild((docs) => {
      doc(docs, DOCTYPES.lesson, lesson).title = 'Fractions on a number line';
    });
    const search = plans.flatMap((p) => g.shown.searchFiles(p));
    expect(rendered).toEqual(sorted([keys.lesson(lesson), keys.unit(parents.unit.id), ...search, ...plans.map((p) => keys.subject(p, parents.subject.id))]));
    // Each plan's search index changes (its lessons' names); nothing outside these plans' search files does.
    const changedSearch = changed.filter((k) => k.includes('/search'));
    expect(changedSearch.every((k) => search.includes(k))).toBe(true);
    for (const p of plans) expect(changedSearch).toContain(keys.searchIndex(p));
    expect(changed.filter((k) => !k.includes('/search'))).toEqual(
      sorted([keys.lesson(lesson), keys.unit(parents.unit.id), ...plans.flatMap((p) => [keys.subject(p, parents.subject.id), keys.manifest(p)])]),
    );
    expect(changed).not.toContain(keys.lesson(navigation.previous!.id));
    expect(changed).not.toContain(keys.lesson(navigation.next!.id));
  });

  it("in sharded plans, a lesson's title edit renders the shards of its own subject again and reuses the other subjects' shards", async () => {
    const g = await sampleFixture({ searchUnshardedMaxLessons: 0 });
    const lesson = [...g.shown.plansOf.keys()][0];
    if (!lesson) throw new Error('the samples show no lesson');
    const plans = [...(g.shown.plansOf.get(lesson) ?? [])];
    const { parents } = g.shown.lesson(lesson);

    const { rendered } = await g.rebuild((docs) => {
      doc(docs, DOCTYPES.lesson, lesson).title = 'A title no other lesson has';
    });
    const shards = rendered.filter((k) => /\/search\/[^~][^/]*\.json$/.test(k));
    // Its subject's shards in every plan that shows it, and no other subject's.
    expect(shards.length).toBeGreaterThan(0);
    for (const key of shards) expect(plans.some((p) => key.startsWith(`plans/${p}/search/${parents.subject.id}`)), key).toBe(true);
    const otherShards = plans.flatMap((p) => g.shown.searchFiles(p)).filter((k) => /\/search\/[^~][^/]*\.json$/.test(k) && !k.startsWith(`plans/${k.split('/')[1]}/search/${parents.subject.id}`));
    expect(otherShards.length).toBeGreaterThan(0);
    for (const key of otherShards) expect(rendered, key).not.toContain(key);
  });

  it("a Rename override of a unit in one plan reaches only that plan's subject, search and manifest files, and no global file", async () => {
    const g = await sampleFixture();
    const plan = SAMPLE_IDS.plans.grade7English;
    const subject = SAMPLE_IDS.subjects.math;
    // A unit this plan shows, under a subject other plans list too.
    const unit = [...(g.shown.units.get(keys.subject(plan, subject)) ?? [])][0];
    if (!unit) throw new Error('the English plan shows no math unit');
    expect(g.shown.plansListing(subject).length).toBeGreaterThan(1);

    const { rendered, changed } = await g.rebuild((docs) => {
      const overrides = doc(docs, DOCTYPES.plan, plan).overrides as RawChildRow[];
      overrides.push({ name: 'ovr-rename-unit', idx: overrides.length + 1, parent: plan, parentfield: 'overrides', parenttype: DOCTYPES.plan, target_doctype: DOCTYPES.unit, target_name: unit, action: 'Rename', override_value: 'Numbers, renamed for this plan' });
    });
    expect(rendered).toEqual(sorted([...g.shown.searchFiles(plan), keys.subject(plan, subject)]));
    expect(changed).toEqual(sorted([keys.subject(plan, subject), keys.searchIndex(plan), keys.manifest(plan)]));
  });

  it('a subject description edit re-renders the lesson files of that subject (they name their subject) but changes only its subject files and the manifests', async () => {
    const g = await sampleFixture();
    const subject = SAMPLE_IDS.subjects.science;
    const plans = g.shown.plansListing(subject);
    expect(plans.length).toBeGreaterThan(0);

    const { rendered, changed } = await g.rebuild((docs) => {
      doc(docs, DOCTYPES.subject, subject).description = 'Experiments, observations and the scientific method.';
    });
    expect(rendered).toEqual(sorted([...g.shown.lessonsOfSubject(subject).map((id) => keys.lesson(id)), ...plans.map((p) => keys.subject(p, subject))]));
    expect(changed).toEqual(sorted(plans.flatMap((p) => [keys.subject(p, subject), keys.manifest(p)])));
  });

  it('removing a lesson re-renders the lesson files of its previous and next lessons (their navigation), and no other lesson file', async () => {
    const g = await sampleFixture();
    const lesson = [...g.shown.plansOf.keys()].find((id) => g.shown.lesson(id).navigation.previous && g.shown.lesson(id).navigation.next);
    if (!lesson) throw new Error('the samples have no lesson between two others');
    const { navigation, parents } = g.shown.lesson(lesson);
    const plans = [...(g.shown.plansOf.get(lesson) ?? [])];

    const { rendered, changed } = await g.rebuild((docs) => {
      docs[DOCTYPES.lesson] = docs[DOCTYPES.lesson].filter((d) => d.name !== lesson);
    });
    const neighbours = [keys.lesson(navigation.previous!.id), keys.lesson(navigation.next!.id)];
    expect(rendered.filter((k) => k.startsWith('lessons/'))).toEqual(sorted(neighbours));
    // The units that list the lesson or a neighbour (whose file changed), and no other.
    const units = [lesson, navigation.previous!.id, navigation.next!.id].map((id) => keys.unit(g.shown.lesson(id).parents.unit.id));
    expect(rendered.filter((k) => k.startsWith('units/'))).toEqual(sorted(units));
    expect(rendered.filter((k) => !k.startsWith('lessons/') && !k.startsWith('units/'))).toEqual(sorted(plans.flatMap((p) => [...g.shown.searchFiles(p), keys.subject(p, parents.subject.id)])));
    expect(changed.filter((k) => k.startsWith('lessons/'))).toEqual(sorted([keys.lesson(lesson), ...neighbours]));
  });

  it("a track's title edit re-renders and changes the unit files under it (they, and the lesson files they link, name their track), and no other unit file", async () => {
    const g = await sampleFixture();
    const sample = await readCache(SAMPLE_CACHE_DIR);
    const lesson = [...g.shown.plansOf.keys()][0];
    if (!lesson) throw new Error('the samples show no lesson');
    const unit = g.shown.lesson(lesson).parents.unit.id;
    const track = String(sample.docs[DOCTYPES.unit].find((u) => u.name === unit)?.parent_track);
    const units = new Set(sample.docs[DOCTYPES.unit].filter((u) => u.parent_track === track).map((u) => keys.unit(u.name)));

    const { rendered, changed } = await g.rebuild((docs) => {
      doc(docs, DOCTYPES.track, track).title = 'A track title no other track has';
    });
    const renderedUnits = rendered.filter((k) => k.startsWith('units/'));
    expect(renderedUnits).toContain(keys.unit(unit));
    expect(renderedUnits.every((k) => units.has(k))).toBe(true);
    expect(changed.filter((k) => k.startsWith('units/'))).toEqual(renderedUnits);
  });

  it("a plan's title edit changes only that plan's manifest", async () => {
    const g = await sampleFixture();
    const plan = SAMPLE_IDS.plans.summerBridge;
    const { rendered, changed } = await g.rebuild((docs) => {
      doc(docs, DOCTYPES.plan, plan).title = 'Summer Bridge 2026';
    });
    expect(rendered).toEqual([]);
    expect(changed).toEqual([keys.manifest(plan)]);
  });

  it('the title of a track that shows no unit, and of a subject that shows no track, reach the subject files that list them (no lesson or unit names either)', async () => {
    const root = await tempDir('memora-empty-');
    const [cacheDir, outDir, fullDir] = ['cache', 'out', 'full'].map((d) => path.join(root, d)) as [string, string, string];
    const docs = structuredClone((await readCache(SAMPLE_CACHE_DIR)).docs);
    const plan = SAMPLE_IDS.plans.grade7English;
    const subject = SAMPLE_IDS.subjects.math;
    const sibling = docs[DOCTYPES.track].find((t) => t.parent_subject === subject);
    if (!sibling) throw new Error('the math subject has no track');
    docs[DOCTYPES.track].push({ ...structuredClone(sibling), name: 'trk-coming-soon', title: 'Coming soon' });
    docs[DOCTYPES.subject].push({ ...structuredClone(doc(docs, DOCTYPES.subject, subject)), name: 'sub-coming-soon', title: 'Coming soon' });
    const rows = doc(docs, DOCTYPES.plan, plan).subjects as RawChildRow[];
    rows.push({ ...structuredClone(rows[0]!), name: 'row-coming-soon', idx: rows.length + 1, subject: 'sub-coming-soon', sort_order: 99 });
    await writeCache(cacheDir, { replace: docs, fsync: false });
    await buildKept({ cacheDir, outDir });

    doc(docs, DOCTYPES.track, 'trk-coming-soon').title = 'Geometry, from next term';
    doc(docs, DOCTYPES.subject, 'sub-coming-soon').title = 'Astronomy, from next term';
    await writeCache(cacheDir, { replace: docs, fsync: false });
    const after = await buildKept({ cacheDir, outDir });
    expect(after.summary.incremental.mode).toBe('incremental');
    const mathFile = after.files.get(keys.subject(plan, subject))?.bytes?.toString('utf8');
    expect(mathFile).toContain('Geometry, from next term');
    expect(after.files.get(keys.subject(plan, 'sub-coming-soon'))?.bytes?.toString('utf8')).toContain('Astronomy, from next term');
    await build({ cacheDir, outDir: fullDir, full: true, log: memoryLogger() });
    expect(await folderDifferences(outDir, fullDir)).toEqual([]);
  });

  it('each override action alone, on each kind of node, gives the bytes of a full build (the override before it replaced)', async () => {
    const root = await tempDir('memora-overrides-');
    const [cacheDir, outDir, fullDir] = ['cache', 'out', 'full'].map((d) => path.join(root, d)) as [string, string, string];
    const sample = await readCache(SAMPLE_CACHE_DIR);
    const siteMeta = sample.index.site_meta ? { siteMeta: sample.index.site_meta } : {};
    const docs = structuredClone(sample.docs);
    const plan = SAMPLE_IDS.plans.grade7English;
    // A node of each kind under a subject the plan lists.
    const subject = doc(docs, DOCTYPES.subject, SAMPLE_IDS.subjects.math);
    const child = (doctype: DocTypeName, field: string, parent: RawDoc) => {
      const found = docs[doctype].find((d) => d[field] === parent.name);
      if (!found) throw new Error(`no ${doctype} under ${parent.name}`);
      return found;
    };
    const track = child(DOCTYPES.track, 'parent_subject', subject);
    const unit = child(DOCTYPES.unit, 'parent_track', track);
    const topic = child(DOCTYPES.topic, 'parent_unit', unit);
    const lesson = child(DOCTYPES.lesson, 'parent_topic', topic);
    const nodes: [DocTypeName, RawDoc][] = [
      [DOCTYPES.subject, subject],
      [DOCTYPES.track, track],
      [DOCTYPES.unit, unit],
      [DOCTYPES.topic, topic],
      [DOCTYPES.lesson, lesson],
    ];
    const actions: [string, string][] = [
      ['Hide', ''],
      ['Set Free', ''],
      ['Set Sold Separately', '1'],
      ['Set Linear', '1'],
      ['Set Access Level', 'paid'],
    ];
    // Every action once, on a kind of node in turn, and a Rename of every kind of node.
    const steps = [...actions.map(([action, value], i) => [action, value, ...nodes[i % nodes.length]!] as const), ...nodes.map(([doctype, node]) => ['Rename', `${String(node.title)}, for this plan`, doctype, node] as const)];
    await writeCache(cacheDir, { replace: docs, ...siteMeta, fsync: false });
    await build({ cacheDir, outDir, log: memoryLogger() });
    const overrides = doc(docs, DOCTYPES.plan, plan).overrides as RawChildRow[];
    const base = structuredClone(overrides);
    for (const [action, value, doctype, node] of steps) {
      const what = `${action} of ${doctype} ${node.name}`;
      overrides.splice(0, overrides.length, ...structuredClone(base), {
        name: `ovr-${overrides.length}`,
        idx: base.length + 1,
        parent: plan,
        parentfield: 'overrides',
        parenttype: DOCTYPES.plan,
        target_doctype: doctype,
        target_name: node.name,
        action,
        override_value: value,
      });
      await writeCache(cacheDir, { replace: docs, ...siteMeta, fsync: false });
      const incremental = await build({ cacheDir, outDir, log: memoryLogger() });
      expect(incremental.incremental.mode, what).toBe('incremental');
      await build({ cacheDir, outDir: fullDir, full: true, log: memoryLogger() });
      expect(await folderDifferences(outDir, fullDir), what).toEqual([]);
    }
  });

  it('an edit of a lesson no plan exports re-renders and changes nothing', async () => {
    const g = await sampleFixture();
    // The Robotics subject is listed in no plan: its lessons have no file.
    const sample = await readCache(SAMPLE_CACHE_DIR);
    const robotics = new Set<string>([SAMPLE_IDS.subjects.robotics]);
    const tracks = new Set(sample.docs[DOCTYPES.track].filter((t) => robotics.has(String(t.parent_subject))).map((t) => t.name));
    const units = new Set(sample.docs[DOCTYPES.unit].filter((u) => tracks.has(String(u.parent_track))).map((u) => u.name));
    const topics = new Set(sample.docs[DOCTYPES.topic].filter((t) => units.has(String(t.parent_unit))).map((t) => t.name));
    const lesson = sample.docs[DOCTYPES.lesson].find((l) => topics.has(String(l.parent_topic)));
    if (!lesson) throw new Error('the Robotics subject has no lesson');

    const { rendered, changed } = await g.rebuild((docs) => {
      doc(docs, DOCTYPES.lesson, lesson.name).title = 'Line-following robots';
    });
    expect(rendered).toEqual([]);
    expect(changed).toEqual([]);
  });

  it("a lesson edit in one subject: every other subject's lesson and unit files are taken whole from the record, none of their lessons compared one by one", async () => {
    const root = await tempDir('memora-leaves-');
    const cacheDir = path.join(root, 'cache');
    const outDir = path.join(root, 'out');
    const sample = await readCache(SAMPLE_CACHE_DIR);
    await writeCache(cacheDir, { replace: sample.docs, ...(sample.index.site_meta ? { siteMeta: sample.index.site_meta } : {}), fsync: false });
    await build({ cacheDir, outDir, log: memoryLogger() });
    const snapshot = JSON.parse(await readFile(path.join(outDir, SNAPSHOT_FILE), 'utf8')) as Snapshot;

    // A lesson some plan shows: its subject is the one edited.
    const first = layoutTree(buildCatalog(sample.docs, sample.shape));
    const edited = first.subjects.find((s) => s.lessons.length > 0);
    const lesson = edited?.lessons[0]?.lesson.name;
    if (!edited || !lesson) throw new Error('the samples show no lesson');
    const docs = structuredClone(sample.docs);
    doc(docs, DOCTYPES.lesson, lesson).title = 'Ratios in recipes';
    await writeCache(cacheDir, { replace: docs, fsync: false });
    const cache = await readCache(cacheDir);
    const catalog = buildCatalog(cache.docs, cache.shape);
    const layout = layoutTree(catalog);
    const digests = new DocumentDigests(cache.fingerprints);

    // The previous build, with every lesson and unit file it is asked for by inputs written down.
    const recordedBuild = previousBuild(snapshot);
    const compared: string[] = [];
    const previous: PreviousBuild = {
      ...recordedBuild,
      file: (key, input) => (compared.push(key), recordedBuild.file(key, input)),
      has: (key, input) => (compared.push(key), recordedBuild.has(key, input)),
    };
    const leaves = subjectLeaves(layout, digests, previous, undefined);
    const whole = layout.subjects.filter((_, i) => leaves.reused[i]).map((s) => s.name);
    expect(whole.sort()).toEqual(layout.subjects.map((s) => s.name).filter((n) => n !== edited.name).sort());
    expect(whole.length).toBeGreaterThan(0);

    const result = renderTree(catalog, { digests, previous, layout, leaves });
    const editedKeys = new Set([...edited.lessons.map((p) => keys.lesson(p.lesson.name)), ...edited.units.map((u) => keys.unit(u.node.name))]);
    const leafKeys = compared.filter((k) => k.startsWith('lessons/') || k.startsWith('units/'));
    expect(leafKeys.length).toBeGreaterThan(0);
    expect(leafKeys.filter((k) => !editedKeys.has(k))).toEqual([]);
    // Rendered: the edited lesson and its unit, of all the lesson and unit files.
    const renderedLeaves = result.files.filter((f) => f.bytes !== null && (f.kind === 'lesson' || f.kind === 'unit')).map((f) => f.key);
    expect(renderedLeaves.sort()).toEqual([keys.lesson(lesson), keys.unit(edited.lessons[0]!.lesson.topic.unit.name)].sort());
    // The folder that results is the one a full build writes.
    const summary = await build({ cacheDir, outDir, log: memoryLogger() });
    expect(summary.incremental.mode).toBe('incremental');
    await build({ cacheDir, outDir: path.join(root, 'fresh'), log: memoryLogger(), full: true });
    expect(await folderDifferences(outDir, path.join(root, 'fresh'))).toEqual([]);
  });

  it("a subject's files are not taken whole when one of them was deleted from the output folder, or with signatures that differ per URL", async () => {
    const s = await builtSample();
    const catalog = buildCatalog(s.sample.docs, s.sample.shape);
    const layout = layoutTree(catalog);
    const digests = new DocumentDigests(s.sample.fingerprints);
    const snapshot = JSON.parse(await readFile(s.record, 'utf8')) as Snapshot;
    const all = subjectLeaves(layout, digests, previousBuild(snapshot), undefined);
    expect(all.reused.every(Boolean)).toBe(true);
    const target = layout.subjects.findIndex((x) => x.lessons.length > 1);
    const gone = keys.lesson(layout.subjects[target]!.lessons[1]!.lesson.name);
    const present = new Set(snapshot.files.map((f) => f[0]).filter((k) => k !== gone));
    const partial = subjectLeaves(layout, digests, previousBuild(snapshot, present), undefined);
    expect(partial.reused.map((r, i) => r || i === target)).toEqual(layout.subjects.map(() => true));
    expect(partial.reused[target]).toBe(false);
    // Signed URLs without a signer's identity: lesson files depend on the signatures themselves.
    const bySignature = subjectLeaves(layout, digests, previousBuild(snapshot), { expiresAt: '2026-12-01T00:00:00Z', byUrl: new Map([['s3://x/v.mp4', 'https://signed']]) });
    expect(bySignature.inputs.every((i) => i === null)).toBe(true);
    expect(bySignature.reused.some(Boolean)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Fallbacks and safety: when the record cannot be trusted, a full build, saying why.
// ---------------------------------------------------------------------------------------------

/** The sample catalog in a cache of its own and an output folder built from it once. */
async function builtSample() {
  const root = await tempDir('memora-fallback-');
  const cacheDir = path.join(root, 'cache');
  const outDir = path.join(root, 'out');
  const sample = await readCache(SAMPLE_CACHE_DIR);
  await writeCache(cacheDir, { replace: sample.docs, ...(sample.index.site_meta ? { siteMeta: sample.index.site_meta } : {}), fsync: false });
  const first = await build({ cacheDir, outDir, log: memoryLogger() });
  let fresh = 0;
  return {
    root,
    cacheDir,
    outDir,
    first,
    sample,
    record: path.join(outDir, SNAPSHOT_FILE),
    rebuild: (options: Partial<BuildOptions> = {}) => build({ cacheDir, outDir, log: memoryLogger(), ...options }),
    /** What a full build of the cache as it is now writes into a new folder, compared with the output folder. */
    async differencesFromFresh(options: Partial<BuildOptions> = {}): Promise<string[]> {
      const dir = path.join(root, `fresh-${++fresh}`);
      await build({ cacheDir, outDir: dir, log: memoryLogger(), full: true, ...options });
      return folderDifferences(outDir, dir);
    },
  };
}

describe('an incremental build falls back to a full build, saying why, where it cannot trust the record', () => {
  it('the first build into a folder is a full one: the folder holds no record', async () => {
    const s = await builtSample();
    expect(s.first.incremental).toMatchObject({ mode: 'full', reused: 0, rendered: s.first.files });
    expect(s.first.incremental.reason).toMatch(/holds no record of a finished build/);
    // The next one reuses what it can.
    expect((await s.rebuild()).incremental).toMatchObject({ mode: 'incremental', reason: null });
  });

  it('full: true renders every file again, says it was asked for, and writes the same bytes', async () => {
    const s = await builtSample();
    const full = await s.rebuild({ full: true });
    expect(full.incremental).toEqual({ mode: 'full', reason: 'a full build was asked for (--full)', rendered: full.files, reused: 0, checked: null });
    expect(full.write).toMatchObject({ written: 0, removed: 0 });
    expect(await s.differencesFromFresh()).toEqual([]);
  });

  it('a damaged record gives a full build that names the damage, and the same bytes as a fresh full build', async () => {
    const s = await builtSample();
    const damages: [string, (text: string) => string, RegExp][] = [
      ['truncated', (t) => t.slice(0, Math.floor(t.length / 2)), /is damaged \(not JSON\)/],
      ['not JSON', () => 'this is not the record\n', /is damaged \(not JSON\)/],
      ['not an object', () => '42\n', /is damaged: not an object/],
      ['a malformed file row', (t) => JSON.stringify({ ...JSON.parse(t), files: [['lessons/x.json', 'lesson', 'not-a-hash', 1, null]] }), /is damaged: a file row is malformed/],
      ['a file row of an unknown kind', (t) => JSON.stringify({ ...JSON.parse(t), files: [['x.json', 'video', '0'.repeat(64), 1, null]] }), /is damaged: a file row is malformed/],
      ['a malformed search record', (t) => JSON.stringify({ ...JSON.parse(t), searches: { [SAMPLE_IDS.plans.summerBridge]: { input: 1 } } }), /is damaged: the search record of plan/],
      ['no build conditions', (t) => JSON.stringify({ ...JSON.parse(t), conditions: null }), /is damaged: no build conditions/],
      ['another format version', (t) => JSON.stringify({ ...JSON.parse(t), version: 999 }), /recorded in another format \(version 999\)/],
      ['a malformed stage memo', (t) => JSON.stringify({ ...JSON.parse(t), stages: { lines: ['x'], rows: [], reasons: {} } }), /is damaged: the stage memo is malformed: rows that do not match the lines/],
      ['no stage memo (a record of version 1)', (t) => JSON.stringify({ ...JSON.parse(t), version: 1, stages: undefined }), /recorded in another format \(version 1\)/],
      ['no subject digests (a record of version 2)', (t) => JSON.stringify({ ...JSON.parse(t), version: 2, leaves: undefined }), /recorded in another format \(version 2\)/],
      ['malformed subject digests', (t) => JSON.stringify({ ...JSON.parse(t), leaves: { [SAMPLE_IDS.subjects.robotics]: 7 } }), /is damaged: no subject digests/],
    ];
    for (const [what, damage, reason] of damages) {
      await writeFile(s.record, damage(await readFile(s.record, 'utf8')));
      const rebuilt = await s.rebuild();
      expect(rebuilt.incremental, what).toMatchObject({ mode: 'full', reused: 0 });
      expect(rebuilt.incremental.reason, what).toMatch(reason);
      expect(await s.differencesFromFresh(), what).toEqual([]);
    }
    // A full build writes a good record again.
    expect((await s.rebuild()).incremental.mode).toBe('incremental');
  });

  it('a record made by other rendering code gives a full build', async () => {
    const s = await builtSample();
    const upgraded = await s.rebuild({ codeFingerprint: 'a-later-release' });
    expect(upgraded.incremental).toMatchObject({ mode: 'full', reused: 0 });
    expect(upgraded.incremental.reason).toMatch(/rendering code or the JSON Schemas changed/);
    expect(await s.differencesFromFresh({ codeFingerprint: 'a-later-release' })).toEqual([]);
    expect((await s.rebuild({ codeFingerprint: 'a-later-release' })).incremental.mode).toBe('incremental');
    expect((await s.rebuild()).incremental.mode).toBe('full');
  });

  it("the versions of MiniSearch and of Node's Unicode data the build ran with are recorded: an upgrade of either gives a full build that names both", async () => {
    const s = await builtSample();
    // What the running build renders with: the MiniSearch installed beside the client's modules, and this Node's Unicode and ICU data.
    const root = fileURLToPath(new URL('..', import.meta.url));
    const installed = (JSON.parse(readFileSync(path.join(root, 'node_modules', 'minisearch', 'package.json'), 'utf8')) as { version: string }).version;
    const now = `minisearch ${installed}, unicode ${process.versions.unicode}, icu ${process.versions.icu}`;
    expect(renderingRuntime()).toBe(now);
    expect((JSON.parse(await readFile(s.record, 'utf8')) as Snapshot).conditions.runtime).toBe(now);
    for (const later of [`minisearch 99.0.0, unicode ${process.versions.unicode}, icu ${process.versions.icu}`, `minisearch ${installed}, unicode 99.0, icu 99.1`]) {
      const upgraded = await s.rebuild({ renderingRuntime: later });
      expect(upgraded.incremental).toMatchObject({ mode: 'full', reused: 0 });
      expect(upgraded.incremental.reason).toBe(`the installed MiniSearch or Node's Unicode data changed (was ${now}; now ${later})`);
      expect(await s.differencesFromFresh({ renderingRuntime: later })).toEqual([]);
      expect((await s.rebuild({ renderingRuntime: later })).incremental.mode).toBe('incremental');
      expect((await s.rebuild()).incremental.mode).toBe('full');
    }
  });

  it('a record made before the machine last started is trusted only after its files are read back: the ones that differ are rendered and written again', async () => {
    const s = await builtSample();
    const rows = (JSON.parse(await readFile(s.record, 'utf8')) as { files: [string, string][] }).files;
    const [emptied, altered, deleted] = ['lesson', 'subject', 'unit'].map((kind) => rows.find((row) => row[1] === kind)?.[0]);
    if (!emptied || !altered || !deleted) throw new Error('the sample build lacks a lesson, subject or unit file');
    // What a power loss leaves: a file with no bytes, one with other bytes of the same length, one gone.
    await writeFile(path.join(s.outDir, emptied), '');
    const bytes = await readFile(path.join(s.outDir, altered));
    bytes[bytes.length - 2] = bytes[bytes.length - 2] === 0x20 ? 0x0a : 0x20;
    await writeFile(path.join(s.outDir, altered), bytes);
    await rm(path.join(s.outDir, deleted));

    const restarted = await s.rebuild({ bootIdentity: 'boot-id:after-a-power-loss' });
    expect(restarted.incremental).toMatchObject({ mode: 'incremental', reason: null, checked: { files: s.first.files - 1, differing: 2 } });
    expect(restarted.incremental.checked?.reason).toMatch(/made before this machine last started .*read back and compared with its hash/);
    expect(restarted.write.written).toBe(3);
    expect(formatBuildSummary(restarted, s.outDir)).toContain(`after reading back the ${s.first.files - 1} recorded file(s)`);
    expect(await s.differencesFromFresh({ bootIdentity: 'boot-id:after-a-power-loss' })).toEqual([]);
    // The new record carries this boot: the next build trusts it without reading the files back.
    const next = await s.rebuild({ bootIdentity: 'boot-id:after-a-power-loss' });
    expect(next.incremental).toMatchObject({ mode: 'incremental', checked: null });
    expect(next.write.written).toBe(0);
  });

  it('an output folder copied to another machine (a CI cache) is checked, then reused, also with an edit waiting', async () => {
    const s = await builtSample();
    const copy = path.join(s.root, 'restored-out');
    await cp(s.outDir, copy, { recursive: true });
    const docs = structuredClone(s.sample.docs);
    const lesson = docs[DOCTYPES.lesson][0]!;
    lesson.title = `${String(lesson.title)} (edited)`;
    await writeCache(s.cacheDir, { replace: docs, fsync: false });
    const rebuilt = await build({ cacheDir: s.cacheDir, outDir: copy, log: memoryLogger(), bootIdentity: 'boot-id:another-runner' });
    expect(rebuilt.incremental).toMatchObject({ mode: 'incremental', checked: { files: s.first.files, differing: 0 } });
    expect(rebuilt.incremental.rendered).toBeLessThan(rebuilt.files);
    expect(rebuilt.write.written).toBeGreaterThan(0);
    const fresh = path.join(s.root, 'fresh-of-edit');
    await build({ cacheDir: s.cacheDir, outDir: fresh, log: memoryLogger(), full: true, bootIdentity: 'boot-id:another-runner' });
    expect(await folderDifferences(copy, fresh)).toEqual([]);
  });

  it("other site metadata in the cache gives a full build, with the warnings the new metadata gives", async () => {
    const s = await builtSample();
    // The site drops its Set Access Level option: the samples' Set Access Level rows are now ignored, with warnings.
    await writeCache(s.cacheDir, { replace: {}, siteMeta: generationMeta('002'), fsync: false });
    const rebuilt = await s.rebuild();
    expect(rebuilt.incremental).toMatchObject({ mode: 'full', reason: "the site's DocType metadata in the content cache changed", reused: 0 });
    expect(rebuilt.warnings.filter((w) => w.reason.includes('unknown action "Set Access Level"')).length).toBeGreaterThan(0);
    expect(await s.differencesFromFresh()).toEqual([]);
  });

  it('another searchUnshardedMaxLessons gives a full build, and so does going back', async () => {
    const s = await builtSample();
    const routed = await s.rebuild({ searchUnshardedMaxLessons: 0 });
    expect(routed.incremental).toMatchObject({ mode: 'full', reason: 'the build settings changed', reused: 0 });
    expect(routed.filesByKind.search_terms).toBeGreaterThan(0);
    expect(await s.differencesFromFresh({ searchUnshardedMaxLessons: 0 })).toEqual([]);
    expect((await s.rebuild({ searchUnshardedMaxLessons: 0 })).incremental.mode).toBe('incremental');
    const back = await s.rebuild();
    expect(back.incremental).toMatchObject({ mode: 'full', reason: 'the build settings changed' });
    expect(back.filesByKind.search_terms).toBe(0);
    expect(await s.differencesFromFresh()).toEqual([]);
  });

  it('a build stopped half way through writing leaves no record, so the next build is a full one', async () => {
    const s = await builtSample();
    const lesson = s.first.plans.length > 0 ? [...(await fg('lessons/*.json', { cwd: s.outDir }))].sort()[0] : undefined;
    if (!lesson) throw new Error('the sample build has no lesson file');
    const name = path.basename(lesson, '.json');
    const docs = structuredClone(s.sample.docs);
    const edited = docs[DOCTYPES.lesson].find((d) => d.name === name)!;
    edited.title = `${String(edited.title)} (revised)`;
    await writeCache(s.cacheDir, { replace: docs, fsync: false });
    // The lesson's file cannot be replaced: a folder (with a file in it) stands where it goes.
    await rm(path.join(s.outDir, lesson));
    await mkdir(path.join(s.outDir, lesson));
    await writeFile(path.join(s.outDir, lesson, 'in-the-way'), 'x');
    await expect(s.rebuild()).rejects.toThrow(BuildError);
    await expect(readFile(s.record)).rejects.toMatchObject({ code: 'ENOENT' });

    await rm(path.join(s.outDir, lesson), { recursive: true });
    const next = await s.rebuild();
    expect(next.incremental).toMatchObject({ mode: 'full', reused: 0 });
    expect(next.incremental.reason).toMatch(/holds no record of a finished build \(a first build, a build that was stopped/);
    expect(await s.differencesFromFresh()).toEqual([]);
  });

  it('a file the record lists but someone deleted from the output folder is written again by the next incremental build', async () => {
    const s = await builtSample();
    const listed = (await fg('**/*.json', { cwd: s.outDir })).sort();
    // One of each: a lesson and a unit (reused by their inputs), a search index (reused).
    const deleted = [listed.find((k) => k.startsWith('lessons/')), listed.find((k) => k.startsWith('units/')), keys.searchIndex(SAMPLE_IDS.plans.grade7English)];
    for (const key of deleted) await rm(path.join(s.outDir, key!));
    const rebuilt = await s.rebuild();
    expect(rebuilt.incremental.mode).toBe('incremental');
    expect(rebuilt.incremental.reused).toBeGreaterThan(0);
    expect(rebuilt.write).toMatchObject({ written: deleted.length, removed: 0 });
    expect(await s.differencesFromFresh()).toEqual([]);
  });

  it('a file changed in the output folder by hand is kept by an incremental build (it does not read the folder) and repaired by a full one', async () => {
    const s = await builtSample();
    const lesson = (await fg('lessons/*.json', { cwd: s.outDir })).sort()[0]!;
    await writeFile(path.join(s.outDir, lesson), '{"edited":"by hand"}');
    expect((await s.rebuild()).incremental.mode).toBe('incremental');
    expect(await readFile(path.join(s.outDir, lesson), 'utf8')).toBe('{"edited":"by hand"}');
    const full = await s.rebuild({ full: true });
    expect(full.write).toMatchObject({ written: 1 });
    expect(await s.differencesFromFresh()).toEqual([]);
  });

  it('a document that appears twice in the cache: an edit of the copy the build reads reaches its file', async () => {
    const s = await builtSample();
    const docs = structuredClone(s.sample.docs);
    const lesson = docs[DOCTYPES.lesson].find((d) => d.name === SAMPLE_IDS.badData.malformedStageLesson)!;
    // A damaged cache: a second copy after the first (the model reads the first, with a warning).
    docs[DOCTYPES.lesson].push({ ...structuredClone(lesson), title: 'The second copy' });
    await writeCache(s.cacheDir, { replace: docs, fsync: false });
    expect((await s.rebuild()).warnings).toContainEqual(expect.objectContaining({ name: lesson.name, reason: expect.stringMatching(/appears twice/) }));
    lesson.title = 'The first copy, edited';
    await writeCache(s.cacheDir, { replace: docs, fsync: false });
    expect((await s.rebuild()).incremental.mode).toBe('incremental');
    expect(JSON.parse(await readFile(path.join(s.outDir, keys.lesson(lesson.name)), 'utf8'))).toMatchObject({ title: 'The first copy, edited' });
    expect(await s.differencesFromFresh()).toEqual([]);
  });

  it('a file put into the output folder by hand is removed by the next incremental build', async () => {
    const s = await builtSample();
    const stray = ['notes.txt', 'lessons/not-a-lesson.json', 'plans/no-such-plan/manifest.json', `lessons/x.json${TEMP_SUFFIX}`];
    for (const f of stray) {
      await mkdir(path.dirname(path.join(s.outDir, f)), { recursive: true });
      await writeFile(path.join(s.outDir, f), '{}');
    }
    const rebuilt = await s.rebuild();
    expect(rebuilt.incremental.mode).toBe('incremental');
    expect(rebuilt.write).toMatchObject({ written: 0, removed: stray.length });
    expect(await s.differencesFromFresh()).toEqual([]);
  });
});

describe('build --full on the command line', () => {
  it('renders every file again and says so in the summary line; without it the build is incremental', async () => {
    const dir = await tempDir('memora-build-full-');
    const out = path.join(dir, 'out');
    const cli = async (...argv: string[]) => {
      const stdout = capture();
      const stderr = capture();
      const code = await runCli(argv, { stdout, stderr, env: {} });
      return { code, stdout: stdout.text(), stderr: stderr.text() };
    };
    const help = await cli('build', '--help');
    expect(help.stdout).toMatch(/--full +render every file again, reusing nothing from the previous build/);
    expect(help.stdout).toMatch(/Usage: memora-cdn build \[--plan ID\]\.\.\. \[--full\]/);

    const first = await cli('build', '--cache', SAMPLE_CACHE_DIR, '--out', out);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/full build \(.* holds no record of a finished build/);
    const again = await cli('build', '--cache', SAMPLE_CACHE_DIR, '--out', out);
    expect(again.stderr).toMatch(/incremental: \d+ rendered, [1-9]\d* reused; 0 written, \d+ unchanged, 0 removed/);
    const full = await cli('build', '--full', '--cache', SAMPLE_CACHE_DIR, '--out', out);
    expect(full.code).toBe(0);
    expect(full.stderr).toMatch(/full build \(a full build was asked for \(--full\)\); 0 written, \d+ unchanged, 0 removed/);
  });
});
