/**
 * The deploy plan: one value, computed without I/O from the built tree, the deploy state and what
 * is known of the bucket. `diff`, `--dry-run`, the report and the job summary print it; the sync
 * (sync.ts) carries it out.
 *
 * Every changed file goes up twice (layout.ts): first its version, which nothing reachable links
 * yet, then its alias. The order keeps every link of every reachable file in place at every
 * moment:
 * 1. versions, all of them (unreachable until an alias or a manifest links them);
 * 2. new aliases (nothing reachable names them yet);
 * 3. changed aliases, lessons to search indexes; a changed alias only goes up once its version
 *    and everything that version links are in place;
 * 4. manifests, last;
 * 5. deletions: aliases that left the tree, then versions past their retention period, only
 *    after a run in which nothing failed.
 *
 * A file stored as its version only (layout.ts, `hasAliasObject`) still has an alias step and a
 * `gone` deletion, with `inBucket: false`: they write nothing to the bucket, but record in the
 * deploy state which version is current, once that version is in place. Alias objects of such
 * files that earlier releases wrote (`strays`) are deleted.
 */
import { hasAliasObject, keysToPurge, parseKey, phaseOf, UPLOAD_PHASES, versionKey, type FileKind, type ParsedKey } from '../../packages/client/src/layout.ts';
import { printable } from '../io/printable.ts';
import type { Diff } from './diff.ts';
import type { LocalFile, OutTree } from './inventory.ts';
import { compareCodeUnits } from '../io/compare.ts';

export interface UploadStep {
  /** The key written: a version or an alias. */
  key: string;
  /** The alias whose file in the output folder holds the bytes. */
  source: string;
  kind: FileKind;
  /** SHA-256 of the bytes. */
  hash: string;
  size: number;
  /** Keys written by this deploy that must be in place (uploaded, not failed or held) for this one to be published. */
  requires: string[];
  /** False for the alias of a file stored as its version only: only the deploy state records it. */
  inBucket: boolean;
}

export interface DeleteStep {
  key: string;
  kind: FileKind | null;
  /**
   * `gone`: the alias left the tree; `expired`: a noncurrent version past its retention period;
   * `stray`: an alias object of a file stored as its version only, written by an earlier release.
   */
  reason: 'gone' | 'expired' | 'stray';
  /** False for the alias of a file stored as its version only: only the deploy state records it. */
  inBucket: boolean;
}

export interface DeployPlan {
  /** What changed, alias by alias (diff.ts). */
  diff: Diff;
  /** Versions to upload. */
  versions: UploadStep[];
  /**
   * Versions already in the bucket that aliases switch to (an edit undone, or an earlier run that
   * failed after uploading them): not written, but their links decide whether those aliases may.
   */
  reused: UploadStep[];
  /** Alias uploads in order: new aliases, then changed ones by phase, then manifests. */
  aliases: UploadStep[][];
  /** Deletions, made only after a run in which nothing failed. */
  deletions: DeleteStep[];
  /** Aliases to purge from the CDN's cache once written or deleted (they were there before). */
  purge: string[];
}

export interface PlanInput {
  tree: Pick<OutTree, 'files' | 'links' | 'refs'>;
  diff: Diff;
  /** Whether the bucket holds a version object (StateStore.hasVersion). */
  hasVersion: (key: string) => boolean;
  /** Noncurrent versions with since when (ISO). */
  noncurrent: Readonly<Record<string, string>>;
  /** Delete noncurrent versions older than this (ISO); null: delete none (a --plan deploy). */
  expireBefore: string | null;
  /** Alias objects in the bucket of files stored as their version only (StateStore.strays). */
  strays?: readonly string[];
}

export function planDeploy(input: PlanInput): DeployPlan {
  const { tree, diff } = input;
  const writes: { file: LocalFile; isNew: boolean }[] = [
    ...diff.added.map((file) => ({ file, isNew: true })),
    ...diff.changed.map((file) => ({ file, isNew: false })),
    ...diff.forced.map((file) => ({ file, isNew: false })),
  ];
  const forced = new Set(diff.forced.map((f) => f.key));

  // The version of every file written: uploaded when the bucket lacks it (a forced file's is
  // written again too), reused otherwise.
  const nodes = new Map<string, UploadStep & { upload: boolean }>();
  for (const { file } of writes) {
    const key = versionKey(file.key, file.hash);
    nodes.set(key, { key, source: file.key, kind: file.kind, hash: file.hash, size: file.size, requires: [], inBucket: true, upload: forced.has(file.key) || !input.hasVersion(key) });
  }
  const newAliases = new Set(writes.filter((w) => w.isNew).map((w) => w.file.key));
  // A version requires the versions it links and the new aliases it names, where this deploy
  // switches them (the others are in place already).
  for (const node of nodes.values()) {
    const linked = (tree.links.get(node.source) ?? []).filter((k) => nodes.has(k));
    const named = (tree.refs.get(node.source) ?? []).filter((k) => newAliases.has(k));
    node.requires = [...linked, ...named].sort();
  }
  const versions = [...nodes.values()].filter((n) => n.upload).map(({ upload: _, ...step }) => step);
  const reused = [...nodes.values()].filter((n) => !n.upload).map(({ upload: _, ...step }) => step);

  const aliasStep = (file: LocalFile): UploadStep => ({
    key: file.key,
    source: file.key,
    kind: file.kind,
    hash: file.hash,
    size: file.size,
    requires: [versionKey(file.key, file.hash)],
    inBucket: hasAliasObject(file.kind),
  });
  const byKey = (a: { key: string }, b: { key: string }) => compareCodeUnits(a.key, b.key);
  const aliases: UploadStep[][] = [];
  const fresh = writes.filter((w) => w.isNew && w.file.kind !== 'manifest').map((w) => aliasStep(w.file));
  if (fresh.length > 0) aliases.push(fresh.sort(byKey));
  const manifestPhase = phaseOf('manifest');
  for (let phase = 0; phase < UPLOAD_PHASES.length; phase++) {
    const batch = writes
      .filter((w) => (phase === manifestPhase ? w.file.kind === 'manifest' : !w.isNew && phaseOf(w.file.kind) === phase))
      .map((w) => aliasStep(w.file));
    if (batch.length > 0) aliases.push(batch.sort(byKey));
  }

  const deletions: DeleteStep[] = diff.deleted.map((d) => ({ key: d.key, kind: d.kind, reason: 'gone' as const, inBucket: d.kind === null || hasAliasObject(d.kind) }));
  if (input.expireBefore !== null) {
    for (const key of Object.keys(input.noncurrent)) {
      if ((input.noncurrent[key] as string) >= input.expireBefore) continue;
      const parsed = parseKey(key);
      if (!isCurrentVersion(tree, parsed, key)) deletions.push({ key, kind: parsed?.kind ?? null, reason: 'expired', inBucket: true });
    }
  }
  for (const key of input.strays ?? []) deletions.push({ key, kind: parseKey(key)?.kind ?? null, reason: 'stray', inBucket: true });
  deletions.sort(byKey);

  const purge = keysToPurge([...diff.changed, ...diff.forced].map((f) => f.key).concat(diff.deleted.map((d) => d.key))).sort();
  return { diff, versions: versions.sort(byKey), reused: reused.sort(byKey), aliases, deletions, purge };
}

/** Whether a key is the version of a file of the tree (its alias's file has that hash). */
function isCurrentVersion(tree: Pick<OutTree, 'files'>, parsed: ParsedKey | null, key: string): boolean {
  const file = parsed?.version ? tree.files.get(parsed.alias) : undefined;
  return file !== undefined && versionKey(file.key, file.hash) === key;
}

/** Every key of the bucket the plan writes or deletes, for the intent recorded with the lease. */
export function touchedKeys(plan: DeployPlan): string[] {
  return [...bucketUploads(plan), ...bucketDeletions(plan)].map((s) => s.key);
}

/** The uploads that write an object, in order: not the alias steps of files stored as versions only. */
export function bucketUploads(plan: DeployPlan): UploadStep[] {
  return uploadSteps(plan).filter((s) => s.inBucket);
}

/** The alias uploads that write an object. */
export function bucketAliases(plan: DeployPlan): UploadStep[] {
  return plan.aliases.flat().filter((s) => s.inBucket);
}

/** The deletions that remove an object: not the `gone` steps of files stored as versions only. */
export function bucketDeletions(plan: DeployPlan): DeleteStep[] {
  return plan.deletions.filter((d) => d.inBucket);
}

/** Every upload, in order. */
export function uploadSteps(plan: DeployPlan): UploadStep[] {
  return [...plan.versions, ...plan.aliases.flat()];
}

/** Every step whose links matter, reused versions included (for brokenSteps). */
export function dependencySteps(plan: DeployPlan): UploadStep[] {
  return [...plan.versions, ...plan.reused, ...plan.aliases.flat()];
}

/**
 * Which steps are broken, each with the failed key at its root: a step whose upload failed, or
 * that requires a broken one. A broken version must not become reachable: the aliases that would
 * publish it are held back.
 */
export function brokenSteps(steps: readonly UploadStep[], failed: ReadonlySet<string>): Map<string, string> {
  const broken = new Map([...failed].map((k) => [k, k] as const));
  let grew = true;
  while (grew) {
    grew = false;
    for (const step of steps) {
      if (broken.has(step.key)) continue;
      const cause = step.requires.find((k) => broken.has(k));
      if (cause !== undefined) {
        broken.set(step.key, broken.get(cause) as string);
        grew = true;
      }
    }
  }
  return broken;
}

/** A few lines for `diff` and `--verbose`. */
export function formatPlan(plan: DeployPlan): string {
  const d = plan.diff;
  const lines = [
    `${d.added.length} to add, ${d.changed.length} to change${d.forced.length ? `, ${d.forced.length} forced` : ''}, ${d.deleted.length} to delete, ${d.unchanged} unchanged`,
    `${plan.versions.length} version(s) and ${bucketAliases(plan).length} alias(es) to upload, ${bucketDeletions(plan).length} deletion(s) (${plan.deletions.filter((x) => x.reason === 'expired').length} expired version(s)), ${plan.purge.length} URL(s) to purge`,
  ];
  for (const [planId, c] of Object.entries(d.perPlan).sort(([a], [b]) => compareCodeUnits(a, b))) {
    if (c.added + c.changed + c.deleted > 0) lines.push(`  plan ${printable(planId)}: ${c.added} added, ${c.changed} changed, ${c.deleted} deleted`);
  }
  return lines.join('\n');
}
