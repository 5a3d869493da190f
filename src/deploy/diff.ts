/**
 * What a deploy must do, computed without I/O: the files of the output folder against the
 * key -> hash map of the last deployment. Added and changed files are uploaded, keys that vanished
 * are deleted. `--plan` narrows all of it to the files those plans use; `--force` uploads them
 * even when unchanged.
 */
import type { FileKind } from '../build/files.ts';
import { encodeSegment } from '../../packages/client/src/layout.ts';
import type { LocalFile, OutTree } from './inventory.ts';
import { DEPLOY_PREFIX, kindOfKey, planSegmentOf } from '../../packages/client/src/layout.ts';
import { compareCodeUnits } from '../io/compare.ts';

export interface DiffOptions {
  /** Only these plans (IDs); empty or absent: every plan of the output folder. */
  plans?: readonly string[];
  /** Upload the files in scope even when unchanged. */
  force?: boolean;
  /** Keys whose bytes in storage are not known (the state's unsettled keys): written again, or deleted. */
  unsettled?: ReadonlySet<string>;
}

export interface PlanChanges {
  added: number;
  changed: number;
  deleted: number;
}

export interface Diff {
  added: LocalFile[];
  changed: LocalFile[];
  /** Unchanged files re-uploaded because of --force. */
  forced: LocalFile[];
  deleted: { key: string; kind: FileKind | null }[];
  unchanged: number;
  /** Per plan ID (or, for a plan that is gone, its key segment): what changes among the files it uses. */
  perPlan: Record<string, PlanChanges>;
  /** Plans in scope. */
  plans: string[];
}

function byKey(a: { key: string }, b: { key: string }): number {
  return compareCodeUnits(a.key, b.key);
}

export function computeDiff(tree: Pick<OutTree, 'files' | 'plans'> & Partial<Pick<OutTree, 'builtPlans'>>, deployed: Readonly<Record<string, string>>, options: DiffOptions = {}): Diff {
  // A tree built with --plan holds only those plans: the others are not gone, just not built.
  const named = options.plans && options.plans.length > 0 ? [...options.plans] : tree.builtPlans && tree.builtPlans.length > 0 ? [...tree.builtPlans] : null;
  const plans = named ?? [...tree.plans.keys()].sort();
  const scope = named ? new Set(named.flatMap((p) => [...(tree.plans.get(p) ?? [])])) : null;
  const scopedSegments = named ? new Set(named.map((p) => `${encodeSegment(p)}`)) : null;

  const diff: Diff = { added: [], changed: [], forced: [], deleted: [], unchanged: 0, perPlan: {}, plans };
  for (const file of tree.files.values()) {
    if (scope && !scope.has(file.key)) continue;
    const before = deployed[file.key];
    if (options.unsettled?.has(file.key)) diff.changed.push(file);
    else if (before === undefined) diff.added.push(file);
    else if (before !== file.hash) diff.changed.push(file);
    else if (options.force) diff.forced.push(file);
    else diff.unchanged++;
  }
  const stored = Object.keys(deployed);
  for (const key of options.unsettled ?? []) if (deployed[key] === undefined) stored.push(key);
  for (const key of stored) {
    if (key.startsWith(DEPLOY_PREFIX) || tree.files.has(key)) continue;
    // With --plan, only the named plans' own folders: a global file may still be used by a plan
    // this deploy did not build. The next deploy of every plan removes it.
    if (scopedSegments) {
      const segment = planSegmentOf(key);
      if (segment === null || !scopedSegments.has(segment)) continue;
    }
    diff.deleted.push({ key, kind: kindOfKey(key) });
  }
  diff.added.sort(byKey);
  diff.changed.sort(byKey);
  diff.forced.sort(byKey);
  diff.deleted.sort(byKey);

  const added = new Set(diff.added.map((f) => f.key));
  const changed = new Set(diff.changed.map((f) => f.key));
  for (const plan of plans) {
    const used = tree.plans.get(plan) ?? new Set<string>();
    const segment = encodeSegment(plan);
    const c: PlanChanges = { added: overlap(used, added), changed: overlap(used, changed), deleted: 0 };
    c.deleted = diff.deleted.filter((d) => planSegmentOf(d.key) === segment).length;
    diff.perPlan[plan] = c;
  }
  // Plans that are gone from the output folder: their folders are deleted.
  const known = new Set(plans.map((p) => encodeSegment(p)));
  for (const d of diff.deleted) {
    const segment = planSegmentOf(d.key);
    if (segment === null || known.has(segment)) continue;
    const c = (diff.perPlan[segment] ??= { added: 0, changed: 0, deleted: 0 });
    c.deleted++;
  }
  return diff;
}

/** How many keys two sets share, going through the smaller one (a plan's files, or the few that changed). */
function overlap(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let n = 0;
  for (const key of small) if (large.has(key)) n++;
  return n;
}

/** Plans with any change. */
export function changedPlans(diff: Diff): string[] {
  return Object.entries(diff.perPlan)
    .filter(([, c]) => c.added + c.changed + c.deleted > 0)
    .map(([p]) => p)
    .sort();
}
