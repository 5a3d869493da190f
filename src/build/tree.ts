/**
 * Resolves what a plan shows: its subjects and their subtrees after rule 1 (published), plan
 * overrides (Hide, Rename and the access overrides) and the access rules. Pure.
 * With no plan, the same resolver gives the base tree the global unit and lesson files show.
 */
import { DOCTYPES } from '../content/doctypes.ts';
import { doctypeOf, type Catalog, type ContentNode, type Lesson, type Plan, type PlanOverride, type PlanSubjectRow, type Subject, type Topic, type Track, type Unit } from '../content/model.ts';
import { WarningSink, type ContentWarning } from '../content/warnings.ts';
import { accessKey, computeAccess, type Access } from './access.ts';
import { overrideKey, planOverrides, type NodeOverrides } from './overrides.ts';

export interface Resolved<N extends ContentNode, C> {
  node: N;
  /** The title this plan shows (a Rename override applied). */
  title: string;
  access: Access;
  /** Whether this plan takes the node's children in order (Set Linear applied); absent where the site has no such field. */
  is_linear?: boolean;
  children: C[];
}

export type RLesson = Resolved<Lesson, never>;
export type RTopic = Resolved<Topic, RLesson>;
export type RUnit = Resolved<Unit, RTopic>;
export type RTrack = Resolved<Track, RUnit>;
export interface RSubject extends Resolved<Subject, RTrack> {
  /** Position in the plan (the plan's subjects row), or the subject's own sort_order in the base tree. */
  sort_order: number;
}

export interface PlanTree {
  plan: Plan;
  subjects: RSubject[];
  /** The latest `modified` among the plan and every document it shows. */
  modified: string;
}

interface Context {
  overrides: Map<string, NodeOverrides>;
  /** The nodes the overrides name, and their ancestors: every other node resolves as without overrides. */
  touched: ReadonlySet<ContentNode>;
  plan: string | undefined;
  sink: WarningSink;
  modified: string;
}

const NONE = new Map<string, NodeOverrides>();
/** A node's overrides when the plan has none for it. */
const NO_OVERRIDES: Readonly<NodeOverrides> = Object.freeze({});
const UNTOUCHED: ReadonlySet<ContentNode> = new Set();

function resolveNode<N extends ContentNode, C>(
  node: N,
  parent: Access | null,
  ctx: Context,
  children: (access: Access) => C[],
): Resolved<N, C> | null {
  const doctype = doctypeOf(node);
  const o = (ctx.touched.has(node) ? ctx.overrides.get(overrideKey(doctype, node.name)) : undefined) ?? NO_OVERRIDES;
  if (o.hide) return null;
  const result = computeAccess(
    parent,
    {
      kind: node.kind,
      is_free_preview: node.is_free_preview,
      required_item: 'required_item' in node ? node.required_item : null,
      is_public: node.kind === 'subject' ? node.is_public : false,
      is_sold_separately: node.kind === 'track' ? node.is_sold_separately : false,
      parent_item_required: node.kind === 'track' ? node.parent_item_required : false,
    },
    o,
  );
  if (!result.ok) {
    warn(ctx, doctype, node.name, result.reason);
    return null;
  }
  if (result.ignored) warn(ctx, doctype, node.name, result.ignored);
  if (node.modified > ctx.modified) ctx.modified = node.modified;
  const linear = o.linear ?? node.is_linear;
  const title = o.rename ?? node.title;
  const access = result.access;
  // is_linear only where the site has the field.
  return linear === undefined ? { node, title, access, children: children(access) } : { node, title, access, is_linear: linear, children: children(access) };
}

function warn(ctx: Context, doctype: string, name: string, reason: string): void {
  ctx.sink.add({ doctype, name, reason, ...(ctx.plan !== undefined ? { plan: ctx.plan } : {}) });
}

function compact<T>(items: (T | null)[]): T[] {
  return items.filter((x): x is T => x !== null);
}

/**
 * A node and its subtree as the plan shows them. A node no override touches (neither it nor a
 * node under it) resolves the same way in every plan under the same parent access: that
 * resolution is shared (sharedResolution). Lessons, the leaves, are resolved with their topic.
 */
function resolve<N extends ContentNode, P extends Access | null, R>(node: N, parent: P, ctx: Context, itself: (node: N, parent: P, ctx: Context) => R | null): R | null {
  return ctx.touched.has(node) ? itself(node, parent, ctx) : sharedResolution(node, parent, ctx, itself);
}

function subjectItself(subject: Subject, parent: null, ctx: Context): RSubjectBody | null {
  return resolveNode(subject, parent, ctx, (sa) => compact(subject.tracks.map((track) => resolve(track, sa, ctx, trackItself))));
}

function trackItself(track: Track, parent: Access, ctx: Context): RTrack | null {
  return resolveNode(track, parent, ctx, (ta) => compact(track.units.map((unit) => resolve(unit, ta, ctx, unitItself))));
}

function unitItself(unit: Unit, parent: Access, ctx: Context): RUnit | null {
  return resolveNode(unit, parent, ctx, (ua) => compact(unit.topics.map((topic) => resolve(topic, ua, ctx, topicItself))));
}

function topicItself(topic: Topic, parent: Access, ctx: Context): RTopic | null {
  return resolveNode(topic, parent, ctx, (pa) => compact(topic.lessons.map((lesson) => resolveNode<Lesson, never>(lesson, pa, ctx, () => []))));
}

/** A subject's resolution before its position in a plan is known. */
type RSubjectBody = Resolved<Subject, RTrack>;

/** The subjects a plan shows, in the plan's order, with their effective subtrees. */
export function resolvePlan(plan: Plan, catalog: Catalog, sink: WarningSink): PlanTree {
  const ctx: Context = { overrides: planOverrides(plan, catalog, sink), touched: touchedNodes(plan, catalog), plan: plan.name, sink, modified: plan.modified };
  const rows = [...plan.subjects].sort((a, b) => a.sort_order - b.sort_order || a.idx - b.idx);
  const subjects: RSubject[] = [];
  for (const row of rows) {
    const subject = catalog.subjects.get(row.subject);
    if (!subject) {
      if (!catalog.known[DOCTYPES.subject]?.has(row.subject)) {
        sink.add({ doctype: DOCTYPES.plan, name: plan.name, reason: `lists subject ${JSON.stringify(row.subject)}, which does not exist; skipped` });
      }
      continue;
    }
    const resolved = resolve(subject, null, ctx, subjectItself);
    if (resolved) subjects.push({ ...resolved, sort_order: row.sort_order });
  }
  return { plan, subjects, modified: ctx.modified };
}

/** Every node of a catalog's tree, by DocType and name. */
const nodesByName = new WeakMap<Catalog, Map<string, Map<string, ContentNode>>>();

function nodeIndex(catalog: Catalog): Map<string, Map<string, ContentNode>> {
  let index = nodesByName.get(catalog);
  if (!index) {
    const subjects = new Map<string, ContentNode>();
    const tracks = new Map<string, ContentNode>();
    const units = new Map<string, ContentNode>();
    const topics = new Map<string, ContentNode>();
    const lessons = new Map<string, ContentNode>();
    for (const subject of catalog.subjects.values()) {
      subjects.set(subject.name, subject);
      for (const track of subject.tracks) {
        tracks.set(track.name, track);
        for (const unit of track.units) {
          units.set(unit.name, unit);
          for (const topic of unit.topics) {
            topics.set(topic.name, topic);
            for (const lesson of topic.lessons) lessons.set(lesson.name, lesson);
          }
        }
      }
    }
    index = new Map([
      [DOCTYPES.subject, subjects],
      [DOCTYPES.track, tracks],
      [DOCTYPES.unit, units],
      [DOCTYPES.topic, topics],
      [DOCTYPES.lesson, lessons],
    ]);
    nodesByName.set(catalog, index);
  }
  return index;
}

function parentOf(node: ContentNode): ContentNode | null {
  switch (node.kind) {
    case 'lesson':
      return node.topic;
    case 'topic':
      return node.unit;
    case 'unit':
      return node.track;
    case 'track':
      return node.subject;
    case 'subject':
      return null;
  }
}

/**
 * The nodes a plan's override rows name, with their ancestors: the nodes the plan resolves
 * itself. Rows planOverrides ignores count too; resolving a node itself is never wrong, only slower.
 */
function touchedNodes(plan: Plan, catalog: Catalog): ReadonlySet<ContentNode> {
  if (plan.overrides.length === 0) return UNTOUCHED;
  const index = nodeIndex(catalog);
  const touched = new Set<ContentNode>();
  for (const row of plan.overrides) {
    for (let node = index.get(row.target_doctype)?.get(row.target_name) ?? null; node !== null && !touched.has(node); node = parentOf(node)) touched.add(node);
  }
  return touched;
}

/**
 * A plan's rows that bear on what it shows of each subject, by subject: its rows in the plan's
 * subject list, and the override rows that name the subject or a published node under it, in the
 * plan's order. A row that names anything else (another subject's node, an unpublished or missing
 * one) changes nothing the plan shows of the subject.
 */
export function planRowsBySubject(plan: Plan, catalog: Catalog): Map<string, (PlanSubjectRow | PlanOverride)[]> {
  const bySubject = new Map<string, (PlanSubjectRow | PlanOverride)[]>();
  const add = (subject: string, row: PlanSubjectRow | PlanOverride) => {
    const rows = bySubject.get(subject);
    if (rows) rows.push(row);
    else bySubject.set(subject, [row]);
  };
  for (const row of plan.subjects) add(row.subject, row);
  if (plan.overrides.length === 0) return bySubject;
  const index = nodeIndex(catalog);
  for (const row of plan.overrides) {
    let node = index.get(row.target_doctype)?.get(row.target_name) ?? null;
    while (node !== null && node.kind !== 'subject') node = parentOf(node);
    if (node !== null) add(node.name, row);
  }
  return bySubject;
}

interface SharedNode<R> {
  resolved: R | null;
  /** What resolving it warned about, without a plan. */
  warnings: ContentWarning[];
  /** The latest `modified` among the documents it shows. */
  modified: string;
}

/** Nodes resolved without overrides, by node and then by the parent's access (accessKey; '' for none). */
const sharedNodes = new WeakMap<ContentNode, Map<string, SharedNode<unknown>>>();

/**
 * A node as a plan with no override on it or under it shows it: resolved once per parent access
 * and shared, since without overrides the result depends only on the node's documents and the
 * access it inherits. The plan gets the same warnings (naming the plan), `modified` and subtree
 * it would get from resolving it itself; the shared objects let renderers reuse their work by
 * identity.
 */
function sharedResolution<N extends ContentNode, P extends Access | null, R>(node: N, parent: P, ctx: Context, resolve: (node: N, parent: P, ctx: Context) => R | null): R | null {
  let byAccess = sharedNodes.get(node);
  if (!byAccess) sharedNodes.set(node, (byAccess = new Map()));
  const key = parent === null ? '' : accessKey(parent);
  let shared = byAccess.get(key) as SharedNode<R> | undefined;
  if (!shared) {
    const recorder = new WarningSink();
    const own: Context = { overrides: NONE, touched: UNTOUCHED, plan: undefined, sink: recorder, modified: '' };
    shared = { resolved: resolve(node, parent, own), warnings: recorder.list, modified: own.modified };
    byAccess.set(key, shared);
  }
  for (const w of shared.warnings) ctx.sink.add(ctx.plan !== undefined ? { ...w, plan: ctx.plan } : w);
  if (shared.modified > ctx.modified) ctx.modified = shared.modified;
  return shared.resolved;
}

/** A subject's base tree: no plan overrides, as the global unit and lesson files show it. */
export function resolveBase(subject: Subject, sink: WarningSink): RSubject | null {
  const resolved = resolve(subject, null, { overrides: NONE, touched: UNTOUCHED, plan: undefined, sink, modified: '' }, subjectItself);
  return resolved ? { ...resolved, sort_order: subject.sort_order } : null;
}
