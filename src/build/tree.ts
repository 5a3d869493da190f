/**
 * Resolves what a plan shows: its subjects and their subtrees after rule 1 (published), plan
 * overrides (Hide, Rename and the access overrides) and the access rules. Pure.
 * With no plan, the same resolver gives the base tree the global unit and lesson files show.
 */
import { DOCTYPES } from '../content/doctypes.ts';
import { doctypeOf, type Catalog, type ContentNode, type Lesson, type Plan, type Subject, type Topic, type Track, type Unit } from '../content/model.ts';
import { WarningSink, type ContentWarning } from '../content/warnings.ts';
import { computeAccess, type Access } from './access.ts';
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
  plan: string | undefined;
  sink: WarningSink;
  modified: string;
}

const NONE = new Map<string, NodeOverrides>();

function resolveNode<N extends ContentNode, C>(
  node: N,
  parent: Access | null,
  ctx: Context,
  children: (access: Access) => C[],
): Resolved<N, C> | null {
  const doctype = doctypeOf(node);
  const o = ctx.overrides.get(overrideKey(doctype, node.name)) ?? {};
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
  const warn = (reason: string) =>
    ctx.sink.add({ doctype, name: node.name, reason, ...(ctx.plan !== undefined ? { plan: ctx.plan } : {}) });
  if (!result.ok) {
    warn(result.reason);
    return null;
  }
  if (result.ignored) warn(result.ignored);
  if (node.modified > ctx.modified) ctx.modified = node.modified;
  const linear = o.linear ?? node.is_linear;
  return { node, title: o.rename ?? node.title, access: result.access, ...(linear !== undefined ? { is_linear: linear } : {}), children: children(result.access) };
}

function compact<T>(items: (T | null)[]): T[] {
  return items.filter((x): x is T => x !== null);
}

function resolveSubject(subject: Subject, sortOrder: number, ctx: Context): RSubject | null {
  const r = resolveNode(subject, null, ctx, (sa) =>
    compact(
      subject.tracks.map((track) =>
        resolveNode(track, sa, ctx, (ta) =>
          compact(
            track.units.map((unit) =>
              resolveNode(unit, ta, ctx, (ua) =>
                compact(
                  unit.topics.map((topic) =>
                    resolveNode(topic, ua, ctx, (pa) => compact(topic.lessons.map((lesson) => resolveNode<Lesson, never>(lesson, pa, ctx, () => [])))),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
  return r ? { ...r, sort_order: sortOrder } : null;
}

/** The subjects a plan shows, in the plan's order, with their effective subtrees. */
export function resolvePlan(plan: Plan, catalog: Catalog, sink: WarningSink): PlanTree {
  const ctx: Context = { overrides: planOverrides(plan, catalog, sink), plan: plan.name, sink, modified: plan.modified };
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
    const resolved = touchedBy(subject, ctx.overrides) ? resolveSubject(subject, row.sort_order, ctx) : sharedResolution(subject, row.sort_order, ctx);
    if (resolved) subjects.push(resolved);
  }
  return { plan, subjects, modified: ctx.modified };
}

/** The override keys (doctype and name) of a subject and every node under it. */
const subtreeKeys = new WeakMap<Subject, Set<string>>();

/** Whether any of a plan's overrides names the subject or a node under it. */
function touchedBy(subject: Subject, overrides: Map<string, NodeOverrides>): boolean {
  if (overrides.size === 0) return false;
  let keys = subtreeKeys.get(subject);
  if (!keys) {
    keys = new Set([overrideKey(doctypeOf(subject), subject.name)]);
    for (const track of subject.tracks) {
      keys.add(overrideKey(doctypeOf(track), track.name));
      for (const unit of track.units) {
        keys.add(overrideKey(doctypeOf(unit), unit.name));
        for (const topic of unit.topics) {
          keys.add(overrideKey(doctypeOf(topic), topic.name));
          for (const lesson of topic.lessons) keys.add(overrideKey(doctypeOf(lesson), lesson.name));
        }
      }
    }
    subtreeKeys.set(subject, keys);
  }
  for (const key of overrides.keys()) if (keys.has(key)) return true;
  return false;
}

interface SharedSubject {
  resolved: RSubject | null;
  /** What resolving it warned about, without a plan. */
  warnings: ContentWarning[];
  /** The latest `modified` among the documents it shows. */
  modified: string;
}

/** Subjects resolved without overrides, shared by every plan that has none touching them. */
const sharedSubjects = new WeakMap<Subject, SharedSubject>();

/**
 * A subject as a plan with no override under it shows it: resolved once and shared, since
 * without overrides access depends only on the subject's own documents. The plan gets the same
 * warnings (naming the plan), `modified` and tree it would get from resolving it itself, with
 * its own sort order; the shared subtree objects let renderers reuse their work by identity.
 */
function sharedResolution(subject: Subject, sortOrder: number, ctx: Context): RSubject | null {
  let shared = sharedSubjects.get(subject);
  if (!shared) {
    const recorder = new WarningSink();
    const own: Context = { overrides: NONE, plan: undefined, sink: recorder, modified: '' };
    shared = { resolved: resolveSubject(subject, sortOrder, own), warnings: recorder.list, modified: own.modified };
    sharedSubjects.set(subject, shared);
  }
  for (const w of shared.warnings) ctx.sink.add(ctx.plan !== undefined ? { ...w, plan: ctx.plan } : w);
  if (shared.modified > ctx.modified) ctx.modified = shared.modified;
  return shared.resolved ? { ...shared.resolved, sort_order: sortOrder } : null;
}

/** A subject's base tree: no plan overrides, as the global unit and lesson files show it. */
export function resolveBase(subject: Subject, sink: WarningSink): RSubject | null {
  return resolveSubject(subject, subject.sort_order, { overrides: NONE, plan: undefined, sink, modified: '' });
}
