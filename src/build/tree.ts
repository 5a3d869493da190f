/**
 * Resolves what a plan shows: its subjects and their subtrees after rule 1 (published), plan
 * overrides (Hide, Rename and the access overrides) and the access rules. Pure.
 * With no plan, the same resolver gives the base tree the global unit and lesson files show.
 */
import { DOCTYPES } from '../content/doctypes.ts';
import { doctypeOf, type Catalog, type ContentNode, type Lesson, type Plan, type Subject, type Topic, type Track, type Unit } from '../content/model.ts';
import type { WarningSink } from '../content/warnings.ts';
import { computeAccess, type Access } from './access.ts';
import { overrideKey, planOverrides, type NodeOverrides } from './overrides.ts';

export interface Resolved<N extends ContentNode, C> {
  node: N;
  /** The title this plan shows (a Rename override applied). */
  title: string;
  access: Access;
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
  return { node, title: o.rename ?? node.title, access: result.access, children: children(result.access) };
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
    const resolved = resolveSubject(subject, row.sort_order, ctx);
    if (resolved) subjects.push(resolved);
  }
  return { plan, subjects, modified: ctx.modified };
}

/** A subject's base tree: no plan overrides, as the global unit and lesson files show it. */
export function resolveBase(subject: Subject, sink: WarningSink): RSubject | null {
  return resolveSubject(subject, subject.sort_order, { overrides: NONE, plan: undefined, sink, modified: '' });
}
