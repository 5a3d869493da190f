/**
 * The pure middle of a pull: apply what the server said to the cached documents, and describe
 * the difference. No I/O.
 */
import type { CacheDocs } from '../content/cache.ts';
import { compareCodeUnits } from '../io/compare.ts';
import { DOCTYPES, PARENT_DOCTYPES, type DocTypeName } from '../content/doctypes.ts';
import type { RawDoc } from '../content/raw.ts';

export interface Deletion {
  doctype: string;
  name: string;
  /** When it was deleted (the Deleted Document's creation, site time). */
  at: string;
  /** Past the last pull's position: not read (in the overlap) by an earlier pull. */
  fresh?: boolean;
}

export interface DocTypeChanges {
  /** Whole documents fetched (new or changed). */
  upserts: RawDoc[];
  /** Names that no longer exist on the server (name check or full pull). */
  gone: string[];
}

export interface ChangeCount {
  inserted: number;
  updated: number;
  deleted: number;
}

export interface MergeResult {
  docs: CacheDocs;
  counts: Record<DocTypeName, ChangeCount>;
  /** Names inserted, updated or deleted, per DocType. */
  changed: Record<DocTypeName, Set<string>>;
}

/**
 * Applies fetched documents, names gone and Deleted Document rows (listed before any document of
 * the pull was read). A deletion leaves a document read in the same pull, and only removes a
 * cached document saved before it: a document deleted and then made again under the same name
 * (Frappe restores as a new insert) is kept.
 */
export function mergeChanges(previous: CacheDocs, changes: Partial<Record<DocTypeName, DocTypeChanges>>, deletions: readonly Deletion[], replaceAll: boolean): MergeResult {
  const docs = {} as CacheDocs;
  const counts = {} as Record<DocTypeName, ChangeCount>;
  const changed = {} as Record<DocTypeName, Set<string>>;
  for (const doctype of PARENT_DOCTYPES) {
    const before = new Map(previous[doctype].map((d) => [d.name, d]));
    const after = replaceAll ? new Map<string, RawDoc>() : new Map(before);
    const change = changes[doctype];
    for (const name of change?.gone ?? []) after.delete(name);
    const fetched = new Set<string>();
    for (const doc of change?.upserts ?? []) {
      after.set(doc.name, doc);
      fetched.add(doc.name);
    }
    for (const d of deletions) {
      // A document read in this pull was read after its Deleted Document rows were listed: the
      // site has it now (made again, restored, or another renamed to that name).
      if (d.doctype !== doctype || fetched.has(d.name)) continue;
      // A deletion past the last pull's position removes the cached copy whatever its modified (a
      // clock that moved back stamps the deletion below an earlier edit); one read again from the
      // overlap removes only a copy saved before it (not one made again since, that an earlier
      // pull read).
      const cached = after.get(d.name);
      if (cached && (d.fresh === true || String(cached.modified ?? '') <= d.at)) after.delete(d.name);
    }
    const count: ChangeCount = { inserted: 0, updated: 0, deleted: 0 };
    const names = new Set<string>();
    for (const [name, doc] of after) {
      const old = before.get(name);
      if (!old) {
        count.inserted++;
        names.add(name);
      } else if (old !== doc && JSON.stringify(canonical(old)) !== JSON.stringify(canonical(doc))) {
        count.updated++;
        names.add(name);
      }
    }
    for (const name of before.keys()) {
      if (!after.has(name)) {
        count.deleted++;
        names.add(name);
      }
    }
    docs[doctype] = [...after.values()].sort((a, b) => compareCodeUnits(a.name, b.name));
    counts[doctype] = count;
    changed[doctype] = names;
  }
  return { docs, counts, changed };
}

/** A value with object keys sorted, so two documents compare by content, not key order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * The plans a set of changes affects: a change to a lesson affects the plans that list its
 * subject (through topic, unit, track and subject), before or after the change.
 */
export function affectedPlans(before: CacheDocs, after: CacheDocs, changed: Record<DocTypeName, Set<string>>): string[] {
  const plans = new Set<string>();
  for (const docs of [before, after]) {
    const parentOf = (doctype: DocTypeName, field: string) => new Map(docs[doctype].map((d) => [d.name, typeof d[field] === 'string' ? (d[field] as string) : '']));
    const trackSubject = parentOf(DOCTYPES.track, 'parent_subject');
    const unitTrack = parentOf(DOCTYPES.unit, 'parent_track');
    const topicUnit = parentOf(DOCTYPES.topic, 'parent_unit');
    const lessonTopic = parentOf(DOCTYPES.lesson, 'parent_topic');
    const subjects = new Set<string>();
    const up = (map: Map<string, string>, names: Iterable<string>) => [...names].map((n) => map.get(n)).filter((n): n is string => !!n);
    const topics = [...changed[DOCTYPES.topic], ...up(lessonTopic, changed[DOCTYPES.lesson])];
    const units = [...changed[DOCTYPES.unit], ...up(topicUnit, topics)];
    const tracks = [...changed[DOCTYPES.track], ...up(unitTrack, units)];
    for (const s of [...changed[DOCTYPES.subject], ...up(trackSubject, tracks)]) subjects.add(s);
    // Overrides can name any node: a changed node named by a plan's override affects that plan.
    const nodes = new Set([...topics, ...units, ...tracks, ...subjects, ...changed[DOCTYPES.lesson]]);
    for (const plan of docs[DOCTYPES.plan]) {
      if (changed[DOCTYPES.plan].has(plan.name)) plans.add(plan.name);
      const rows = (field: string) => (Array.isArray(plan[field]) ? (plan[field] as Record<string, unknown>[]) : []);
      if (rows('subjects').some((r) => subjects.has(String(r.subject)))) plans.add(plan.name);
      if (rows('overrides').some((r) => nodes.has(String(r.target_name)))) plans.add(plan.name);
    }
  }
  return [...plans].sort(compareCodeUnits);
}
