/** The build stage: content-cache/ -> out/. Reads, renders (pure), validates, writes. */
import { readCache, readCacheIndex, startReading, type CacheIndex, type DataFileReads, type DocFingerprints } from '../content/cache.ts';
import { StageMemo } from '../content/stage-memo.ts';
import { buildCatalog, type Catalog } from '../content/model.ts';
import { DOCTYPES } from '../content/doctypes.ts';
import { formatWarning, type ContentWarning } from '../content/warnings.ts';
import type { SignedUrls } from './sign.ts';
import { BuildError, UsageError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { FILE_KINDS, type FileKind, type TreeFile } from './files.ts';
import { lockOutput, type OutputLock } from './lock.ts';
import { listOutput, openTreeWriter, type WriteStats } from './output.ts';
import { layoutTree, lessonsToRender, renderSteps, subjectLeaves, type RenderResult, type SubjectLeaves, type TreeLayout } from './render/tree.ts';
import { UNSHARDED_MAX_LESSONS } from './render/search.ts';
import { FileValidator } from './validate.ts';
import { codeFingerprint, renderingRuntime } from './incremental/code.ts';
import { bootIdentity } from './incremental/boot.ts';
import { DocumentDigests } from './incremental/inputs.ts';
import { checkRecordedFiles } from './incremental/check.ts';
import { makeSnapshot, previousBuild, readSnapshot, removeSnapshot, writeSnapshot, type BuildConditions, type SnapshotRead } from './incremental/snapshot.ts';
import { digest } from '../io/hash.ts';

export interface BuildOptions {
  cacheDir: string;
  outDir: string;
  /** Only these plans and the global files they use. */
  plans?: readonly string[];
  /**
   * Signed URLs for bucket videos in lesson stages, or a function that prepares them from the
   * checked catalog for the given lessons, all without them (e.g. `(catalog, lessons) =>
   * prepareSignedUrls(catalog, { ...settings, lessons })`, src/build/sign.ts): an incremental
   * build asks only for the lessons it renders. It may be called twice, and must sign at one time
   * (the same window and signer) in both. Absent: stage configs are written as they are.
   */
  signedUrls?: SignedUrls | ((catalog: Catalog, lessons?: ReadonlySet<string>) => Promise<SignedUrls>);
  /**
   * Called once the output folder holds exactly `files`: what the deploy uses instead of reading
   * the folder back. The files come without their bytes (the folder holds them). `planKeys`: per
   * plan built, the keys it uses (RenderResult); `rendered`: the keys of the files this build
   * rendered (it reused the others from the previous build).
   */
  onWritten?: (files: readonly TreeFile[], planKeys: ReadonlyMap<string, ReadonlySet<string>>, rendered: ReadonlySet<string>) => void;
  /** Render every file again, whatever the previous build left (`build --full`). */
  full?: boolean;
  /** Instead of the fingerprint of the running code (incremental/code.ts): tests that play an upgrade. */
  codeFingerprint?: string;
  /** Instead of the versions of MiniSearch and Node's Unicode data (incremental/code.ts): tests that play an upgrade. */
  renderingRuntime?: string;
  /** Instead of the machine's boot identity (incremental/boot.ts): tests that play a restart. */
  bootIdentity?: string;
  /**
   * The output folder's lock (lock.ts), when the caller took it and releases it: a deploy holds it
   * until its upload has read every file. Without it, the build holds the lock while it runs.
   */
  outputLock?: OutputLock;
  /** The command the output folder's lock names, for a run that finds it taken (default `build`; `dev`). */
  lockCommand?: string;
  /** Plans of up to this many lessons get one unsharded search index (default UNSHARDED_MAX_LESSONS, 500); 0 shards and routes every plan (tests, benchmarks). */
  searchUnshardedMaxLessons?: number;
  log: Logger;
}

/** How a build went about it: everything rendered, or what the previous build left reused. */
export interface BuildMode {
  mode: 'full' | 'incremental';
  /** Why a build was a full one (null for an incremental build). */
  reason: string | null;
  /** Files rendered by this build, and reused from the previous one (not rendered, checked or written). */
  rendered: number;
  reused: number;
  /**
   * Set when the record was trusted only after its files were read back and compared with their
   * hashes (it was made before the machine last started, or on another machine): why, how many
   * files were read, and how many differed (those were rendered and written again).
   */
  checked: { reason: string; files: number; differing: number } | null;
}

/**
 * Milliseconds each phase took: reading and checking the cache (and the previous build's record,
 * and signing video URLs), planning (resolving every plan with its overrides, and what each
 * subject shows), rendering (and deciding what to reuse), validating, writing.
 */
export interface BuildPhases {
  read: number;
  plan: number;
  render: number;
  validate: number;
  write: number;
}

export interface BuildSummary {
  plans: string[];
  incremental: BuildMode;
  phases: BuildPhases;
  files: number;
  bytes: number;
  filesByKind: Record<FileKind, number>;
  warnings: ContentWarning[];
  write: WriteStats;
  durationMs: number;
}

/** Warnings printed without --verbose; the rest are counted. */
export const WARNINGS_SHOWN = 20;

/** Builds the tree into the output folder, holding the folder's lock (unless the caller holds it). */
export async function build(options: BuildOptions): Promise<BuildSummary> {
  if (options.outputLock) return buildHolding(options);
  const lock = await lockOutput(options.outDir, { command: options.lockCommand ?? 'build', log: options.log });
  try {
    return await buildHolding(options);
  } finally {
    await lock.release();
  }
}

async function buildHolding(options: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const { log } = options;
  let mark = started;
  const phases: BuildPhases = { read: 0, plan: 0, render: 0, validate: 0, write: 0 };
  /** Adds the time since the last mark to a phase. */
  const tick = (name: keyof BuildPhases) => {
    const now = performance.now();
    phases[name] += now - mark;
    mark = now;
    return now;
  };
  /** Ends a phase that ran at once: logs what it did and how long it took. */
  const phase = (what: string, name: keyof BuildPhases) => {
    const before = phases[name];
    tick(name);
    log.verbose(`${what} in ${((phases[name] - before) / 1000).toFixed(2)} s`);
  };
  /** Logs what a phase that ran in steps did, and its time in all. */
  const total = (what: string, name: keyof BuildPhases) => log.verbose(`${what} in ${(phases[name] / 1000).toFixed(2)} s`);
  // What the output folder holds is listed while the cache is read: an incremental build trusts
  // the record only for files still there, and removes anything else the tree does not have.
  const listing = options.full ? null : listOutput(options.outDir).catch(() => null);
  // The record is read before the cache: its stage memo spares parsing the stages of unchanged lessons.
  const index = await readCacheIndex(options.cacheDir);
  // The data files are read while the record is.
  const reading = index ? startReading(options.cacheDir, index) : undefined;
  const conditions = buildConditions(index, options);
  const prior: SnapshotRead = options.full ? { snapshot: null, reason: 'a full build was asked for (--full)' } : await readSnapshot(options.outDir, conditions);
  const stageMemo = new StageMemo(prior.snapshot?.stages ?? null);
  const { catalog, fingerprints } = await readCatalog(options.cacheDir, index, reading, stageMemo, log);
  const present = prior.snapshot ? await listing : null;
  const trusted = present ? new Set(present) : null;
  let checked: BuildMode['checked'] = null;
  if (prior.snapshot && trusted && prior.check !== null) {
    // Files that differ from the record are left out of what it vouches for: rendered and written again.
    const check = checkRecordedFiles(options.outDir, prior.snapshot, trusted);
    for (const key of check.differing) trusted.delete(key);
    checked = { reason: prior.check, files: check.checked, differing: check.differing.length };
    log.verbose(`${prior.check}: ${check.checked} file(s), ${check.differing.length} differing${check.differing.length > 0 ? ` (rendered again: ${check.differing.slice(0, 5).join(', ')}${check.differing.length > 5 ? ', ...' : ''})` : ''}`);
  }
  const previous = prior.snapshot && trusted ? previousBuild(prior.snapshot, trusted, options.outDir) : null;
  const fullReason = previous ? null : prior.snapshot ? `${options.outDir} cannot be listed` : prior.reason;
  if (prior.snapshot && previous) {
    // Files the record lists that are gone from the folder (deleted by hand) are rendered and written again.
    const gone = prior.snapshot.files.length - [...previous.keys()].length;
    if (gone > 0) log.verbose(`${gone} file(s) of the previous build are missing from ${options.outDir}: rendering them again`);
  }
  phase(`read and checked ${catalog.plans.length} plans and ${catalog.subjects.size} published subjects`, 'read');
  if (fullReason !== null) log.verbose(`full build: ${fullReason}`);

  if (options.plans && options.plans.length > 0) {
    const names = new Set(catalog.plans.map((p) => p.name));
    const missing = options.plans.filter((p) => !names.has(p));
    if (missing.length > 0) {
      const known = catalog.plans.map((p) => p.name);
      throw new UsageError(
        `${missing.map((m) => `--plan ${JSON.stringify(m)}: ${whyNotBuilt(catalog, m)}`).join('; ')} in ${options.cacheDir} (plans: ${known.slice(0, 20).map((k) => JSON.stringify(k)).join(', ')}${known.length > 20 ? ', ...' : ''})`,
      );
    }
  }

  const layout = layoutTree(catalog, options.plans ? { plans: options.plans } : {});
  const digests = new DocumentDigests(fingerprints);
  phase(`resolved ${layout.selected.length} plan(s)`, 'plan');
  let signedUrls: SignedUrls | undefined;
  let leaves: SubjectLeaves;
  if (typeof options.signedUrls === 'function' && previous) {
    // Only the videos of the lesson files this build renders are signed (presigning every bucket
    // video of a large catalog takes seconds): the signing window and the signer decide the rest.
    const signer = await options.signedUrls(catalog, new Set());
    leaves = subjectLeaves(layout, digests, previous, signer);
    const needed = lessonsToRender(layout, digests, previous, signer, leaves);
    signedUrls = needed.size === 0 ? signer : await options.signedUrls(catalog, needed);
    if (signedUrls.expiresAt !== signer.expiresAt || signedUrls.identity !== signer.identity) {
      // What to render was decided with the first; the signatures must be of the same window and signer.
      throw new BuildError(`the signed URLs changed between two calls of the signedUrls option (valid until ${signer.expiresAt}, then ${signedUrls.expiresAt}): it must sign at one time`);
    }
  } else {
    signedUrls = typeof options.signedUrls === 'function' ? await options.signedUrls(catalog) : options.signedUrls;
    leaves = subjectLeaves(layout, digests, previous ?? undefined, signedUrls);
  }
  if (signedUrls) phase(`signed ${signedUrls.byUrl.size} bucket video URL(s), valid until ${signedUrls.expiresAt}`, 'read');
  const wholeSubjects = leaves.reused.filter(Boolean).length;
  if (previous) log.verbose(`${wholeSubjects} of ${layout.subjects.length} subject(s) unchanged: their lesson and unit files reused whole`);

  // Each step of the render is checked and handed to the writer as soon as it is rendered: a
  // first build writes the steps into its staging folder in bursts, and keeps no file's bytes
  // after that.
  const writer = await openTreeWriter(options.outDir, {
    onProgress: (done) => log.progress('writing', done, 0),
    ...(previous ? { previous, listing: present ?? [] } : {}),
  });
  const validator = new FileValidator();
  const rendered = new Set<string>();
  let result: RenderResult;
  let write: WriteStats;
  try {
    const steps = renderSteps(catalog, {
      ...(options.plans ? { plans: options.plans } : {}),
      ...(signedUrls ? { signedUrls } : {}),
      ...(options.searchUnshardedMaxLessons !== undefined ? { searchUnshardedMaxLessons: options.searchUnshardedMaxLessons } : {}),
      digests,
      ...(previous ? { previous } : {}),
      layout,
      leaves,
      onPlan: (done, total) => log.progress('rendering plans', done, total),
    });
    for (;;) {
      const step = steps.next();
      tick('render');
      if (step.done) {
        result = step.value;
        break;
      }
      const files = step.value;
      for (const f of files) rendered.add(f.key);
      // A file with the bytes the previous build checked (the same code and schemas) passes again.
      validator.check(previous ? files.filter((f) => previous.hashOf(f.key) !== f.hash) : files);
      tick('validate');
      // Once a file breaks the format nothing more is written: the build fails after the render.
      if (!validator.ok) continue;
      await writer.add(files);
      for (const f of files as TreeFile[]) f.bytes = null;
      tick('write');
    }
    log.progressDone();
    total(`rendered ${rendered.size} of ${result.files.length} files for ${result.plans.length} plan(s)${previous ? `, ${result.files.length - rendered.size} reused from the previous build` : ''}`, 'render');
    total(`validated ${validator.checked} new or changed file(s) against schemas/`, 'validate');
    validator.finish();
    // A build stopped from here on leaves no record, so the next one is a full build.
    await removeSnapshot(options.outDir);
    write = await writer.finish(result.files, {
      plans: options.plans && options.plans.length > 0 ? [...options.plans].sort() : null,
      warnings: result.warnings,
    });
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const incremental: BuildMode = { mode: previous ? 'incremental' : 'full', reason: fullReason, rendered: rendered.size, reused: result.files.length - rendered.size, checked };
  await writeSnapshot(options.outDir, makeSnapshot(conditions, result.files, result.searches, stageMemo.toRecord(), leavesRecord(layout, leaves)));
  log.progressDone();
  tick('write');
  total(`wrote ${options.outDir}`, 'write');
  options.onWritten?.(result.files, result.planKeys, rendered);

  const filesByKind = Object.fromEntries(FILE_KINDS.map((k) => [k, 0])) as Record<FileKind, number>;
  let bytes = 0;
  for (const f of result.files) {
    filesByKind[f.kind]++;
    bytes += f.size;
  }

  const shown = log.isVerbose ? result.warnings : result.warnings.slice(0, WARNINGS_SHOWN);
  for (const w of shown) log.warn(formatWarning(w));
  if (shown.length < result.warnings.length) {
    log.info(`... and ${result.warnings.length - shown.length} more warnings (run with --verbose to see all)`);
  }
  return {
    plans: result.plans,
    incremental,
    phases,
    files: result.files.length,
    bytes,
    filesByKind,
    warnings: result.warnings,
    write,
    durationMs: performance.now() - started,
  };
}

/**
 * The cache's catalog and its documents' fingerprints. The documents themselves are dropped on
 * return: the catalog holds what the build needs of them (a large catalog's raw documents are
 * hundreds of megabytes that a full build would otherwise keep until it has written every file).
 */
async function readCatalog(
  cacheDir: string,
  index: CacheIndex | null,
  reading: DataFileReads | undefined,
  stageMemo: StageMemo,
  log: Logger,
): Promise<{ catalog: Catalog; fingerprints: DocFingerprints }> {
  const cache = await readCache(cacheDir, { index, stageMemo, ...(reading ? { reading } : {}) });
  log.verbose(
    `read ${cacheDir}: ${Object.entries(cache.docs).map(([d, list]) => `${list.length} ${d}`).join(', ')}; stages of ${stageMemo.counts.partial} unchanged lesson line(s) left unparsed`,
  );
  return { catalog: buildCatalog(cache.docs, cache.shape, stageMemo), fingerprints: cache.fingerprints };
}

/**
 * Why a plan asked for with --plan is not among the catalog's plans: no such plan, a draft (never
 * exported), or a plan skipped with a warning (a blank title, say).
 */
function whyNotBuilt(catalog: Catalog, plan: string): string {
  if (!catalog.known[DOCTYPES.plan]?.has(plan)) return 'no such plan';
  const skipped = catalog.warnings.find((w) => w.doctype === DOCTYPES.plan && w.name === plan && w.reason.includes('skipped'));
  if (skipped) return `the plan ${skipped.reason}, so it has no files`;
  return 'the plan is a draft (not published), and drafts are never exported, so it has no files';
}

/** The subjects' leaf digests as the record keeps them, by subject. */
function leavesRecord(layout: TreeLayout, leaves: SubjectLeaves): Record<string, string> {
  const record: Record<string, string> = {};
  layout.subjects.forEach((s, i) => {
    const input = leaves.inputs[i];
    if (input !== null && input !== undefined) record[s.name] = input;
  });
  return record;
}

/** What every file of a build depends on as a whole (incremental/snapshot.ts). */
function buildConditions(index: CacheIndex | null, options: BuildOptions): BuildConditions {
  return {
    code: options.codeFingerprint ?? codeFingerprint(),
    runtime: options.renderingRuntime ?? renderingRuntime(),
    site_meta: digest(JSON.stringify(index?.site_meta ?? null)),
    settings: digest(JSON.stringify({ searchUnshardedMaxLessons: options.searchUnshardedMaxLessons ?? UNSHARDED_MAX_LESSONS })),
    boot: options.bootIdentity ?? bootIdentity(),
  };
}

export function formatBuildSummary(s: BuildSummary, outDir: string): string {
  const kinds = (Object.entries(s.filesByKind) as [FileKind, number][])
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k.replace('_', ' ')}`)
    .join(', ');
  return (
    `built ${s.plans.length} plan(s) into ${outDir}: ${s.files} files (${kinds}), ${(s.bytes / 1024).toFixed(0)} KiB; ` +
    (s.incremental.mode === 'incremental' ? `incremental: ${s.incremental.rendered} rendered, ${s.incremental.reused} reused${checkedNote(s.incremental)}; ` : `full build (${s.incremental.reason ?? ''}); `) +
    `${s.write.written} written, ${s.write.unchanged} unchanged, ${s.write.removed} removed; ` +
    `${s.warnings.length} warning(s) in ${(s.durationMs / 1000).toFixed(1)} s`
  );
}

/** ", after reading back the N files of a record from before a restart (M differed)", or nothing. */
export function checkedNote(mode: BuildMode): string {
  const c = mode.checked;
  return c ? `, after reading back the ${c.files} recorded file(s) (made before this machine last started; ${c.differing} differed)` : '';
}
