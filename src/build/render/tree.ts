/**
 * Renders the whole CDN tree from a checked catalog, in memory. Pure: no I/O, no clock.
 * Leaves first (lessons, units), because parents link their children with a hash of the
 * child's bytes; then per plan the subject files, search files and the manifest.
 */
import type { Catalog, Lesson } from '../../content/model.ts';
import type { SignedUrls } from '../sign.ts';
import { WarningSink, type ContentWarning } from '../../content/warnings.ts';
import { accessKey, type Access } from '../access.ts';
import { compareCodeUnits } from '../../io/compare.ts';
import { treeFile, type Linkable, type TreeFile } from '../files.ts';
import { leavesInput, leavesSigning, SearchDigests, searchShownInput, SubjectDigests, subjectShownInput, UnitContents, unitInput, type DocumentDigests } from '../incremental/inputs.ts';
import { keys } from '../../../packages/client/src/layout.ts';
import { planRowsBySubject, resolveBase, resolvePlan, type PlanTree, type RSubject, type RUnit } from '../tree.ts';
import { renderLesson } from './lesson.ts';
import { renderManifest } from './manifest.ts';
import { MAX_SEARCH_FILE_BYTES, renderSearch, ShardCache, UNSHARDED_MAX_LESSONS, type SubjectSearch } from './search.ts';
import { renderSubject } from './subject.ts';
import { renderUnit } from './unit.ts';
import { DisjointKeys } from '../../io/disjoint-keys.ts';

/** A file above this size is a warning: split or trim the content. */
export const LARGE_FILE_BYTES = 10 * 1024 * 1024;

export interface RenderOptions {
  /** Render only these plans and the global files they use; all plans when absent or empty. */
  plans?: readonly string[];
  /** Called after each plan is rendered, with the number of plans done and the total. */
  onPlan?: (done: number, total: number) => void;
  /** Signed URLs for bucket videos (src/build/sign.ts); without them stage configs are written as they are. */
  signedUrls?: SignedUrls;
  /** See BuildOptions.searchUnshardedMaxLessons. */
  searchUnshardedMaxLessons?: number;
  /**
   * Each document's digest: with it, files carry the digest of their inputs (incremental/inputs.ts)
   * and `searches` lists each plan's, which the next build compares.
   */
  digests?: DocumentDigests;
  /** The previous build's files, reused where their inputs are unchanged (needs `digests`). */
  previous?: PreviousBuild;
  /** The layout (layoutTree) when the caller made it already; it must be of this catalog and these `plans`. */
  layout?: TreeLayout;
  /** Subjects whose lesson and unit files are all reused (subjectLeaves of `layout`, with `previous` and `signedUrls`). */
  leaves?: SubjectLeaves;
}

/** What an incremental build can reuse: the previous build's files by their inputs. */
export interface PreviousBuild {
  /** The previous build's file at `key` (bytes null) if it was rendered from `input`. */
  file(key: string, input: string): TreeFile | null;
  /** Whether `file(key, input)` would give a file (without making one). */
  has(key: string, input: string): boolean;
  /** The previous build's file at `key` (bytes null), whatever its inputs: for files whose inputs are known unchanged as a whole (`leaves`). */
  at(key: string): TreeFile | null;
  /** The bytes of the previous build's file at `key`, or null when the output folder no longer holds them as recorded. */
  read(key: string): Buffer | null;
  /** The digest of all the lesson and unit files of a subject (leavesInput) the previous build recorded. */
  leaves(subjectId: string): string | undefined;
  /**
   * The previous build's search files of a plan, and the warnings rendering them gave, if they
   * were rendered from `input` (of SearchDigests.planInput), or from `{ shown }` (of
   * searchShownInput); with the record's `input`.
   */
  search(planId: string, input: string | { shown: string }): { files: TreeFile[]; warnings: ContentWarning[]; shards?: PlanSearchRecord['shards']; input: string } | null;
  /** The previous build's shards of a subject in a plan (bytes null) and their lesson counts, if rendered from the documents with digest `input`. */
  shards(planId: string, subjectId: string, input: string): { file: TreeFile; lessons: number }[] | null;
}

/** A plan's search files as a build records them. */
export interface PlanSearchRecord {
  input: string;
  /** What the plan showed of its subjects (searchShownInput), where every one had a leavesInput. */
  shown?: string;
  keys: string[];
  warnings: ContentWarning[];
  /** Per subject of a sharded plan, the digest of its search documents and each shard's lesson count. */
  shards?: Record<string, { input: string; lessons: number[] }>;
}

export interface RenderResult<F extends TreeFile = TreeFile> {
  /** Every file of the tree, sorted by key: rendered, or reused (bytes null). */
  files: F[];
  /** Per plan rendered, its search files' inputs (with `digests`). */
  searches: Map<string, PlanSearchRecord>;
  /** The plans rendered, in name order. */
  plans: string[];
  /**
   * Per plan rendered, the keys it uses: its manifest and every file reachable from it through
   * the links its files hold (subjects, search files, units, the lessons its subjects list and
   * those its units list). The deploy takes it instead of parsing every parent file.
   */
  planKeys: Map<string, ReadonlySet<string>>;
  warnings: ContentWarning[];
}

interface Exported {
  units: Set<string>;
  topics: Set<string>;
  lessons: Set<string>;
}

function collectExported(trees: readonly PlanTree[]): Exported {
  const e: Exported = { units: new Set(), topics: new Set(), lessons: new Set() };
  // Plans share the resolution of what their overrides leave alone (src/build/tree.ts): each shared unit is read once.
  const seen = new Set<RUnit>();
  for (const tree of trees)
    for (const s of tree.subjects)
      for (const t of s.children)
        for (const u of t.children) {
          if (seen.has(u)) continue;
          seen.add(u);
          e.units.add(u.node.name);
          for (const p of u.children) {
            e.topics.add(p.node.name);
            for (const l of p.children) e.lessons.add(l.node.name);
          }
        }
  return e;
}

/** The base tree of a subject narrowed to what some plan exports. */
function exportedUnits(base: RSubject, exported: Exported): RUnit[] {
  const units: RUnit[] = [];
  for (const track of base.children)
    for (const unit of track.children) {
      if (!exported.units.has(unit.node.name)) continue;
      const topics = unit.children
        .filter((t) => exported.topics.has(t.node.name))
        .map((t) => {
          const lessons = t.children.filter((l) => exported.lessons.has(l.node.name));
          return lessons.length === t.children.length ? t : { ...t, children: lessons };
        });
      // A unit exported whole stays the object plans share: its inputs are computed once (UnitContents).
      const whole = topics.length === unit.children.length && topics.every((t, i) => t === unit.children[i]);
      units.push(whole ? unit : { ...unit, children: topics });
    }
  return units;
}

/**
 * Subject files by resolved subtree: plans that share a subject untouched by their overrides
 * share its resolved subtree (src/build/tree.ts), and with the same sort order, title, access and
 * Set Linear their subject files have the same bytes; only the key (the plan's folder) differs.
 */
class SubjectBodies {
  private readonly bodies = new WeakMap<RSubject['children'], Map<string, TreeFile>>();

  /** With `digests`, files carry their inputs; with `previous` too, a plan's file with unchanged inputs is reused. */
  constructor(
    private readonly digests?: SubjectDigests,
    private readonly previous?: PreviousBuild,
  ) {}

  /** `shown`: the file's inputs from what the plan shows of the subject (subjectShownInput), where known; else they are SubjectDigests'. */
  render(planId: string, subject: RSubject, unitFiles: ReadonlyMap<string, Linkable>, lessonFiles: ReadonlyMap<string, Linkable>, shown?: string): TreeFile {
    const key = keys.subject(planId, subject.node.name);
    const input = shown ?? this.digests?.input(subject, unitFiles);
    if (input !== undefined && this.previous) {
      const reused = this.previous.file(key, input);
      if (reused) return reused;
    }
    let byOwn = this.bodies.get(subject.children);
    if (!byOwn) this.bodies.set(subject.children, (byOwn = new Map()));
    const own = [subject.sort_order, subject.title, accessKey(subject.access), subject.is_linear ?? ''].join('\u0000');
    const done = byOwn.get(own);
    // The same subtree, sort order, title, access and Set Linear give the same body, whatever the plan.
    if (done) return input === undefined ? { ...done, key } : { ...done, key, input };
    const file = treeFile(renderSubject(planId, subject, unitFiles, lessonFiles), input);
    byOwn.set(own, file);
    // A copy: a build may drop the bytes of the file it is given once written (renderSteps).
    return { ...file };
  }
}

/** A lesson file to render: the lesson, its access in the base tree, and its neighbours in course order. */
export interface LessonPlacement {
  lesson: Lesson;
  access: Access;
  previous: Lesson | undefined;
  next: Lesson | undefined;
}

/**
 * What a build renders, before it renders anything: every plan resolved, the plans selected, and
 * per subject they show (in name order) its units narrowed to what plans export and the lesson
 * files to render. Its warnings are in `sink`, in the order a build reports them.
 */
export interface TreeLayout {
  sink: WarningSink;
  selected: PlanTree[];
  subjects: { name: string; units: RUnit[]; rendered: ReadonlySet<string>; lessons: LessonPlacement[] }[];
}

export function layoutTree(catalog: Catalog, options: Pick<RenderOptions, 'plans'> = {}): TreeLayout {
  const sink = new WarningSink();
  for (const w of catalog.warnings) sink.add(w);

  // Every plan is resolved, even with --plan: global files list what any plan exports, so they
  // must not depend on which plans this build renders.
  const trees = catalog.plans.map((plan) => resolvePlan(plan, catalog, sink));
  const exported = collectExported(trees);
  const wanted = options.plans && options.plans.length > 0 ? new Set(options.plans) : null;
  const selected = wanted ? trees.filter((t) => wanted.has(t.plan.name)) : trees;

  // Global files: the units the selected plans show, and the lessons those units list.
  const used = wanted ? collectExported(selected) : exported;
  const subjectNames = [...new Set(selected.flatMap((t) => t.subjects.map((s) => s.node.name)))].sort(compareCodeUnits);
  const subjects: TreeLayout['subjects'] = [];
  for (const name of subjectNames) {
    const subject = catalog.subjects.get(name);
    const base = subject ? resolveBase(subject, sink) : null;
    if (!base) continue;
    const units = exportedUnits(base, exported);
    // Course order across the whole subject, for previous and next: the same whatever is selected.
    const order: { lesson: Lesson; access: Access; render: boolean }[] = [];
    for (const unit of units) {
      const render = used.units.has(unit.node.name);
      for (const topic of unit.children) for (const l of topic.children) order.push({ lesson: l.node, access: l.access, render });
    }
    const lessons: LessonPlacement[] = [];
    order.forEach(({ lesson, access, render }, i) => {
      if (render) lessons.push({ lesson, access, previous: order[i - 1]?.lesson, next: order[i + 1]?.lesson });
    });
    subjects.push({ name, units, rendered: used.units, lessons });
  }
  return { sink, selected, subjects };
}

/**
 * Per subject of a layout (in its order), the digest of what all its lesson and unit files are
 * rendered from (incremental/inputs.ts, leavesInput; null where signatures keep it from telling),
 * and whether the previous build recorded the same one and the output folder still holds every
 * one of those files: then they are all reused as they are, and nothing is compared lesson by
 * lesson. A one-lesson edit leaves every other subject's tens of thousands of lessons alone.
 */
export interface SubjectLeaves {
  inputs: (string | null)[];
  reused: boolean[];
  /** Per subject reused, the previous build's lesson and unit files (bytes null), by lesson and unit name. */
  files: ({ lessons: ReadonlyMap<string, TreeFile>; units: ReadonlyMap<string, TreeFile> } | null)[];
}

export function subjectLeaves(layout: TreeLayout, digests: DocumentDigests, previous: PreviousBuild | undefined, signedUrls: SignedUrls | undefined): SubjectLeaves {
  const inputs = leavesInputs(layout, digests, signedUrls);
  const files = layout.subjects.map((s, i) => {
    const input = inputs[i];
    if (!previous || input === null || input === undefined || previous.leaves(s.name) !== input) return null;
    // Every file the previous build made of them must still be in the folder (a file deleted by hand is rendered again).
    const found = { lessons: new Map<string, TreeFile>(), units: new Map<string, TreeFile>() };
    for (const p of s.lessons) {
      const file = previous.at(keys.lesson(p.lesson.name));
      if (!file) return null;
      found.lessons.set(p.lesson.name, file);
    }
    for (const u of s.units) {
      if (!s.rendered.has(u.node.name)) continue;
      const file = previous.at(keys.unit(u.node.name));
      if (!file) return null;
      found.units.set(u.node.name, file);
    }
    return found;
  });
  return { inputs, reused: files.map((f) => f !== null), files };
}

/** Per subject of a layout (in its order), leavesInput, or null where signatures keep it from telling. */
function leavesInputs(layout: TreeLayout, digests: DocumentDigests, signedUrls: SignedUrls | undefined): (string | null)[] {
  const signing = leavesSigning(signedUrls);
  return layout.subjects.map((s) => (signing === null ? null : leavesInput(digests, s.name, s.units, s.rendered, signing)));
}

/** The lesson files a build must render: those the previous build cannot give with the same inputs (all without one). */
export function lessonsToRender(layout: TreeLayout, digests: DocumentDigests, previous: PreviousBuild | undefined, signedUrls: SignedUrls | undefined, leaves?: SubjectLeaves): Set<string> {
  const names = new Set<string>();
  layout.subjects.forEach(({ lessons }, i) => {
    if (leaves?.reused[i]) return;
    for (const p of lessons) if (!previous || !previous.has(keys.lesson(p.lesson.name), digests.lesson(p, signedUrls))) names.add(p.lesson.name);
  });
  return names;
}

/** A lesson file's inputs (with digests), and the previous build's file when they are unchanged. */
function lessonReuse(p: LessonPlacement, digests: DocumentDigests | undefined, previous: PreviousBuild | undefined, signedUrls: SignedUrls | undefined): { input?: string; reused: TreeFile | null } {
  if (!digests) return { reused: null };
  const input = digests.lesson(p, signedUrls);
  return { input, reused: previous ? previous.file(keys.lesson(p.lesson.name), input) : null };
}

/** A unit file's inputs (with digests), and the previous build's file when they are unchanged. */
function unitReuse(unit: RUnit, digests: DocumentDigests | undefined, contents: UnitContents | undefined, previous: PreviousBuild | undefined): { input?: string; reused: TreeFile | null } {
  if (!digests || !contents) return { reused: null };
  const input = unitInput(digests, unit, contents);
  return { input, reused: previous ? previous.file(keys.unit(unit.node.name), input) : null };
}

/** Without a previous build to reuse, every file is rendered: all have their bytes. */
export function renderTree(catalog: Catalog, options?: RenderOptions & { previous?: undefined }): RenderResult<TreeFile & { bytes: Buffer }>;
export function renderTree(catalog: Catalog, options: RenderOptions): RenderResult;
export function renderTree(catalog: Catalog, options: RenderOptions = {}): RenderResult {
  const steps = renderSteps(catalog, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * renderTree one step at a time, so that a build can write what is rendered while it renders the
 * rest, and not hold every file's bytes at once: yields the files each step rendered (bytes set)
 * as soon as they are final (a subject's lesson and unit files, then each plan's own files), and
 * returns the whole result. Once a yielded file's bytes are written, the caller may set them to
 * null: the render links files by key and hash only, and keeps its own copy of what it renders
 * again for other plans (subject bodies, search shards).
 */
export function* renderSteps(catalog: Catalog, options: RenderOptions = {}): Generator<(TreeFile & { bytes: Buffer })[], RenderResult, void> {
  const layout = options.layout ?? layoutTree(catalog, options);
  const { sink, selected } = layout;
  const { digests, previous } = options;
  const lessonFiles = new Map<string, TreeFile>();
  const unitFiles = new Map<string, TreeFile>();
  /** Per unit file, the keys of the lesson files it links. */
  const unitLessons = new Map<string, string[]>();
  const contents = digests ? new UnitContents(digests, lessonFiles) : undefined;

  for (const [i, { units, rendered, lessons }] of layout.subjects.entries()) {
    const whole = previous ? options.leaves?.files[i] : null;
    if (whole) {
      // Nothing they are rendered from changed (subjectLeaves): the previous build's files, as they are.
      for (const p of lessons) lessonFiles.set(p.lesson.name, recorded(whole.lessons, p.lesson.name));
      for (const unit of units) {
        if (!rendered.has(unit.node.name)) continue;
        unitFiles.set(unit.node.name, recorded(whole.units, unit.node.name));
        unitLessons.set(unit.node.name, unit.children.flatMap((topic) => topic.children.map((l) => keyOf(lessonFiles, l.node.name))));
      }
      continue;
    }
    const step: (TreeFile & { bytes: Buffer })[] = [];
    for (const p of lessons) {
      const { input, reused } = lessonReuse(p, digests, previous, options.signedUrls);
      const file = reused ?? treeFile(renderLesson(p.lesson, p.access, p.previous, p.next, options.signedUrls), input);
      lessonFiles.set(p.lesson.name, file);
      if (file.bytes !== null) step.push(file as TreeFile & { bytes: Buffer });
    }
    for (const unit of units) {
      if (!rendered.has(unit.node.name)) continue;
      const { input, reused } = unitReuse(unit, digests, contents, previous);
      const file = reused ?? treeFile(renderUnit(unit, lessonFiles), input);
      unitFiles.set(unit.node.name, file);
      if (file.bytes !== null) step.push(file as TreeFile & { bytes: Buffer });
      unitLessons.set(unit.node.name, unit.children.flatMap((topic) => topic.children.map((l) => keyOf(lessonFiles, l.node.name))));
    }
    if (step.length > 0) yield step;
  }

  const files: TreeFile[] = [...lessonFiles.values(), ...unitFiles.values()];
  const searches = new Map<string, PlanSearchRecord>();
  const shardCache = new ShardCache();
  const searchDigests = new SearchDigests();
  const subjectBodies = new SubjectBodies(digests && contents ? new SubjectDigests(digests, contents) : undefined, previous);
  const unshardedMax = options.searchUnshardedMaxLessons ?? UNSHARDED_MAX_LESSONS;
  const planKeys = new Map<string, ReadonlySet<string>>();
  const keysOfPlan = new PlanKeys(unitFiles, lessonFiles, unitLessons);
  // Each subject's leavesInput, by name: what a plan shows of a subject is known from it without walking the subject (subjectShownInput).
  const leavesByName = new Map<string, string | null>();
  if (digests) {
    const inputs = options.leaves?.inputs ?? leavesInputs(layout, digests, options.signedUrls);
    layout.subjects.forEach((s, i) => leavesByName.set(s.name, inputs[i] ?? null));
  }
  let done = 0;
  for (const tree of selected) {
    const planId = tree.plan.name;
    const subjectFiles = new Map<string, TreeFile>();
    const rows = digests ? planRowsBySubject(tree.plan, catalog) : null;
    const shown = tree.subjects.map((s) => ({ subject: s.node, rows: rows?.get(s.node.name) ?? [], leaves: leavesByName.get(s.node.name) ?? null }));
    tree.subjects.forEach((s, i) => {
      const input = digests ? subjectShownInput(digests, planId, shown[i]!) : null;
      subjectFiles.set(s.node.name, subjectBodies.render(planId, s, unitFiles, lessonFiles, input ?? undefined));
    });
    // The search files are looked up on what the plan shows first; only where that changed are its search documents made and compared.
    const searchShown = digests ? searchShownInput(digests, planId, shown, unshardedMax) : null;
    let reused = searchShown !== null && previous ? previous.search(planId, { shown: searchShown }) : null;
    const input = reused
      ? reused.input
      : digests
        ? searchDigests.planInput(planId, tree.subjects.map((s) => ({ subjectId: s.node.name, search: shardCache.docs(s) })), unshardedMax)
        : undefined;
    if (!reused && input !== undefined && previous) reused = previous.search(planId, input);
    let searchFiles: TreeFile[];
    let index: Linkable;
    let warnings: ContentWarning[];
    let shardRecords: PlanSearchRecord['shards'] | undefined;
    if (reused) {
      shardRecords = reused.shards;
      warnings = reused.warnings;
      for (const w of warnings) sink.add(w);
      searchFiles = reused.files;
      const found = searchFiles.find((f) => f.kind === 'search_index');
      if (!found) throw new Error(`plan ${planId}: the reused search files have no search index`);
      index = found;
    } else {
      warnings = [];
      // The shards of subjects whose documents did not change are reused, even when the plan's search changed.
      const reusedShards: TreeFile[] = [];
      const reuseShards =
        digests && previous
          ? (subjectId: string, search: SubjectSearch) => {
              const found = previous.shards(planId, subjectId, searchDigests.subject(search));
              if (found) reusedShards.push(...found.map((p) => p.file));
              return found;
            }
          : undefined;
      const search = renderSearch(
        tree,
        shardCache,
        (w) => {
          warnings.push(w);
          sink.add(w);
        },
        unshardedMax,
        reuseShards,
        previous,
      );
      // In key order: the record lists them the same way whichever shards and term files were reused.
      searchFiles = [...search.shards.map((f) => treeFile(f)), ...reusedShards, ...search.reusedRouted, ...[...search.routed, search.index].map((f) => treeFile(f))].sort((a, b) =>
        compareCodeUnits(a.key, b.key),
      );
      index = search.index;
      if (input !== undefined && search.subjectShards.length > 0) {
        shardRecords = Object.fromEntries(search.subjectShards.map((s) => [s.subjectId, { input: searchDigests.subject(s.search), lessons: s.lessons }]));
      }
    }
    if (input !== undefined) {
      searches.set(planId, { input, ...(searchShown !== null ? { shown: searchShown } : {}), keys: searchFiles.map((f) => f.key), warnings, ...(shardRecords ? { shards: shardRecords } : {}) });
    }
    const manifest = treeFile(renderManifest(tree, subjectFiles, index));
    const own = [...subjectFiles.values(), ...searchFiles, manifest];
    files.push(...own);
    planKeys.set(planId, keysOfPlan.of(tree, own));
    options.onPlan?.(++done, selected.length);
    const step = own.filter((f): f is TreeFile & { bytes: Buffer } => f.bytes !== null);
    if (step.length > 0) yield step;
  }

  for (const file of files) {
    if (file.size > LARGE_FILE_BYTES) {
      sink.add({ doctype: 'CDN file', name: file.key, reason: `is ${(file.size / 1048576).toFixed(1)} MB, above the 10 MB limit; split or trim the content` });
    } else if (file.kind.startsWith('search_') && file.size > MAX_SEARCH_FILE_BYTES) {
      // Names are cut for search (search.ts), so only very long IDs or a very long shard list get here.
      sink.add({
        doctype: 'CDN file',
        name: file.key,
        reason: `is ${file.size} bytes, above the ${MAX_SEARCH_FILE_BYTES}-byte limit of a search file; shorten the IDs (document names) of its lessons, or split the plan`,
      });
    }
  }
  files.sort((a, b) => compareCodeUnits(a.key, b.key));
  return { files, searches, plans: selected.map((t) => t.plan.name).sort(compareCodeUnits), planKeys, warnings: sink.list };
}

/** A lesson or unit file subjectLeaves found in the previous build. */
function recorded(files: ReadonlyMap<string, TreeFile>, name: string): TreeFile {
  const file = files.get(name);
  if (!file) throw new Error(`${name}: subjectLeaves found its subject whole, but not its file`);
  return file;
}

function keyOf(files: ReadonlyMap<string, Linkable>, name: string): string {
  const file = files.get(name);
  if (!file) throw new Error(`${name} has no rendered file`);
  return file.key;
}

/**
 * The keys a plan uses, as its links reach them: the plan's own files (manifest, subjects,
 * search), the units and lessons its subject files link, and the lessons those units' files link
 * (a unit file lists what any plan exports). Plans that show the same units of a subject share
 * its keys, and a plan's set is not copied from them: it is looked up in its parts (DisjointKeys).
 */
class PlanKeys {
  /** A subject's keys by the names of the units a plan shows of it, joined. */
  private readonly byUnits = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly unitFiles: ReadonlyMap<string, Linkable>,
    private readonly lessonFiles: ReadonlyMap<string, Linkable>,
    private readonly unitLessons: ReadonlyMap<string, readonly string[]>,
  ) {}

  of(tree: PlanTree, own: readonly TreeFile[]): ReadonlySet<string> {
    // A unit and its lessons belong to one subject, and a plan's own files are in its folder:
    // the parts share no key. A subject listed twice counts once.
    const seen = new Set<string>();
    const parts: ReadonlySet<string>[] = [new Set(own.map((f) => f.key))];
    for (const subject of tree.subjects) {
      if (seen.has(subject.node.name)) continue;
      seen.add(subject.node.name);
      parts.push(this.subtree(subject.children));
    }
    return new DisjointKeys(parts);
  }

  /**
   * The keys of the units a subject shows and of their lessons. A unit's lessons in any plan are
   * among those its unit file lists (the lessons some plan exports, `unitLessons`): the set
   * depends only on which units are shown, whatever a plan hides or renames inside them.
   */
  private subtree(tracks: RSubject['children']): ReadonlySet<string> {
    const units = tracks.flatMap((track) => track.children.map((unit) => unit.node.name));
    const signature = units.join('\u0000');
    let found = this.byUnits.get(signature);
    if (found) return found;
    const keys = new Set<string>();
    for (const track of tracks)
      for (const unit of track.children) {
        keys.add(keyOf(this.unitFiles, unit.node.name));
        for (const key of this.unitLessons.get(unit.node.name) ?? []) keys.add(key);
        for (const topic of unit.children) for (const lesson of topic.children) keys.add(keyOf(this.lessonFiles, lesson.node.name));
      }
    this.byUnits.set(signature, (found = keys));
    return found;
  }
}
