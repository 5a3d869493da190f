/**
 * `deploy`: pull, build, diff, sync, purge, report. Each step's outcome goes into one report; a
 * run with failures still finishes everything it safely can, and says so with its status.
 */
import { build, type BuildOptions, type BuildSummary } from '../build/build.ts';
import { lockOutput } from '../build/lock.ts';
import type { TreeFile } from '../build/files.ts';
import { encodeSegment, parseKey, planSegmentOf } from '../../packages/client/src/layout.ts';
import { prepareSignedUrls } from '../build/sign.ts';
import type { Logger } from '../log.ts';
import type { FrappeClient } from '../pull/client.ts';
import { pull, type PullSummary } from '../pull/pull.ts';
import type { RetryPolicy } from '../io/retry.ts';
import { changedPlans, computeDiff } from './diff.ts';
import { formatPlan, planDeploy, type DeployPlan } from './plan.ts';
import { loadRefs, nameableByNamesOnly, namesOnly, treeFromRendered, type OutTree } from './inventory.ts';
import { NEW_WARNINGS_KEPT, REPORT_VERSION, type DeployReport } from './report.ts';
import { warningFingerprint, type ContentWarning } from '../content/warnings.ts';
import { STORAGE_RETRY } from './retry.ts';
import type { LeaseTiming } from './lease.ts';
import { DAY_MS, DEFAULT_RETENTION_DAYS, dryRunReport, newDeployId, openSession, publish, stepTimer, type Purger, type ReportBase } from './session.ts';

import { readState, type StateStore } from './state.ts';
import type { Storage } from './storage/types.ts';
import { readFromOut } from './sync.ts';

export type { Purger, PurgeOutcome } from './session.ts';

export interface DeployOptions {
  cacheDir: string;
  outDir: string;
  /** Only these plans; empty: all. */
  plans: readonly string[];
  force: boolean;
  dryRun: boolean;
  /** Frappe client, or null to deploy the cache as it is (--no-pull). */
  client: FrappeClient | null;
  /** Pull everything again (pull --full). */
  fullPull?: boolean;
  /** Render every file again, whatever the previous build left (build --full). */
  fullBuild?: boolean;
  /** The build's searchUnshardedMaxLessons (tests: route the search of a small plan). */
  searchUnshardedMaxLessons?: number;
  storage: Storage;
  /** Null: purge skipped, with `purgeSkipped` as the reason. */
  purger: Purger | null;
  purgeSkipped?: string;
  /** CDN_BASE_URL: purged URLs are this plus the key's URL path. */
  baseUrl?: string;
  concurrency: number;
  trigger: string;
  log: Logger;
  retry?: RetryPolicy;
  /** CDN_VERSION_RETENTION_DAYS: how long noncurrent versions stay (default 7). */
  retentionDays?: number;
  /** Lease timing (lease.ts); tests shorten it. */
  lease?: Partial<LeaseTiming>;
  /** The clock of the lease and the state (tests move it to let a killed deploy's lease expire). */
  now?: () => number;
  /** Waits for a live lease and between state writes; tests may replace it. */
  sleep?: (ms: number) => Promise<void>;
  /** Sign bucket video URLs in lesson stages (storage that can presign: S3, R2). */
  signing?: { expiryHours: number; baseUrl?: string; endpoint?: string; bucket?: string; now?: () => Date };
}

export async function deploy(options: DeployOptions): Promise<DeployReport> {
  const { log, storage } = options;
  const retry = options.retry ?? STORAGE_RETRY;
  const startedAt = new Date();
  const { clock, durations, lap } = stepTimer();

  let pulled: PullSummary | null = null;
  if (options.client) {
    const client = options.client;
    pulled = await log.group('Pull from Frappe', () => pull({ cacheDir: options.cacheDir, client, log, full: options.fullPull ?? false }));
    log.verbose(`pull: ${pulled.mode}, ${pulled.requests} request(s)`);
  }
  lap('pull');
  // The state is read while the build runs (openSession says when it is read again); a dry run reads it after.
  const stateRead = options.dryRun ? undefined : readState(storage, retry);
  stateRead?.catch(() => undefined);
  // The output folder is this deploy's from its build until the upload has read every file: a
  // `dev` or `build` writing it meanwhile waits (or stops), instead of changing files under it.
  const outputLock = await lockOutput(options.outDir, { command: 'deploy', log });
  try {
    // The build hands over what it wrote, so the diff need not read and hash out/ again.
    let written = null as { files: readonly TreeFile[]; planKeys: ReadonlyMap<string, ReadonlySet<string>> } | null;
    const builtPlans = options.plans.length > 0 ? [...options.plans].sort() : null;
    const built: BuildSummary = await log.group('Build', () =>
      build({
        cacheDir: options.cacheDir,
        outDir: options.outDir,
        plans: options.plans,
        log,
        full: options.fullBuild ?? false,
        ...(options.searchUnshardedMaxLessons === undefined ? {} : { searchUnshardedMaxLessons: options.searchUnshardedMaxLessons }),
        outputLock,
        onWritten: (files, planKeys) => {
          written = { files, planKeys };
        },
        ...signingOption(options),
      }),
    );
    lap('build');

    // build() calls onWritten before it returns, or throws.
    if (written === null) throw new Error('the build returned without handing over the files it wrote');
    const tree: OutTree = treeFromRendered(options.outDir, written.files, builtPlans, written.planKeys);
    const id = newDeployId();
    const opened = await log.group('Compare with the deploy state', async () => {
      const o = await openSession({ ...options, retry }, tree.files, (state, now) => planAgainstLoading(state, tree, { ...options, now }), id, startedAt, stateRead);
      log.verbose(formatPlan(o.plan));
      return o;
    });
    const { state, plan } = opened;
    const { diff } = plan;
    const fresh = newWarnings(built.warnings, state.state.content_warnings, options.plans.length > 0);
    // Recorded with the final state: a deploy that stops before it leaves them new for the next one.
    if (!options.dryRun) state.setContentWarnings(fresh.seen);
    lap('diff');

    const base: ReportBase = {
      version: REPORT_VERSION,
      id,
      trigger: options.trigger,
      started_at: startedAt.toISOString(),
      storage: storage.description,
      plans: diff.plans,
      changed_plans: changedPlans(diff),
      per_plan: diff.perPlan,
      pull: pulled ? { mode: pulled.mode, reason: pulled.reason, counts: pulled.counts, requests: pulled.requests } : null,
      build: {
        files: built.files,
        bytes: built.bytes,
        warnings: built.warnings.length,
        new_warnings: fresh.warnings.length,
        mode: built.incremental.mode,
        reason: built.incremental.reason,
        rendered: built.incremental.rendered,
        reused: built.incremental.reused,
        checked: built.incremental.checked,
        phases_ms: {
          read: Math.round(built.phases.read),
          plan: Math.round(built.phases.plan),
          render: Math.round(built.phases.render),
          validate: Math.round(built.phases.validate),
          write: Math.round(built.phases.write),
        },
      },
      new_warnings: fresh.warnings.slice(0, NEW_WARNINGS_KEPT),
      reconciled: opened.reconciled,
    };
    if (options.dryRun) return dryRunReport(base, opened, storage, clock, durations);

    // Failures this run may forget: a --plan deploy only those of its plans' files.
    const scoped = options.plans.length > 0 ? new Set(options.plans.flatMap((plan) => [...(tree.plans.get(plan) ?? [])])) : null;
    const segments = new Set(options.plans.map((plan) => encodeSegment(plan)));
    const inScope = (key: string): boolean => scoped === null || scoped.has(parseKey(key)?.alias ?? key) || segments.has(planSegmentOf(key) ?? '');
    try {
      return await publish({ ...options, retry }, { plan, state, landed: opened.landed, read: readFromOut(tree.outDir), inScope, base, clock, durations, lap });
    } finally {
      // A deploy that stops on an error keeps its lease until it expires: the next one reconciles.
      state.abandon();
    }
  } finally {
    await outputLock.release();
  }
}

/** The deploy plan, after reading what the files it writes link and name (loadRefs). */
export async function planAgainstLoading(state: StateStore, tree: OutTree, options: Parameters<typeof planAgainst>[2]): Promise<DeployPlan> {
  const diff = computeDiff(tree, state.state.keys, { plans: options.plans, force: options.force ?? false, unsettled: state.unsettled });
  // What a file names (refs) decides only which new aliases its version waits for: without a new
  // alias they can name (a lesson or a unit; a title edit adds routed search files), files that
  // link no version (lessons, search files below the index) are not read.
  const writes = [...diff.added, ...diff.changed, ...diff.forced];
  const nameable = diff.added.some((f) => nameableByNamesOnly(f.kind));
  await loadRefs(tree, (nameable ? writes : writes.filter((f) => !namesOnly(f.kind))).map((f) => f.key));
  return planAgainst(state, tree, options, diff);
}

/** The deploy plan of a tree against a state (no I/O; the refs of the files it writes must be loaded). */
export function planAgainst(
  state: StateStore,
  tree: OutTree,
  options: { plans: readonly string[]; force?: boolean; retentionDays?: number; now: number },
  diff = computeDiff(tree, state.state.keys, { plans: options.plans, force: options.force ?? false, unsettled: state.unsettled }),
): DeployPlan {
  const retentionMs = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_MS;
  return planDeploy({
    tree,
    diff,
    hasVersion: (key) => state.hasVersion(key),
    noncurrent: state.state.noncurrent,
    strays: state.strays,
    // A --plan deploy sees only some plans' files: it leaves old versions to a deploy of every plan.
    expireBefore: options.plans.length > 0 ? null : new Date(options.now - retentionMs).toISOString(),
  });
}

/**
 * The warnings the last finished deploy did not report, and what this one has seen: its own
 * warnings, plus (a --plan deploy, which builds only some plans) those seen before.
 */
export function newWarnings(warnings: readonly ContentWarning[], seenBefore: readonly string[], scoped: boolean): { warnings: ContentWarning[]; seen: string[] } {
  const before = new Set(seenBefore);
  const fingerprints = warnings.map(warningFingerprint);
  return {
    warnings: warnings.filter((_, i) => !before.has(fingerprints[i]!)),
    seen: scoped ? [...before, ...fingerprints] : fingerprints,
  };
}

/** The build's signedUrls option, when the storage can presign and signing is asked for. */
function signingOption(options: DeployOptions): Pick<BuildOptions, 'signedUrls'> {
  const { signing, storage } = options;
  const presign = storage.presignGet?.bind(storage);
  if (!signing || !presign) return {};
  // One time for the deploy: the build may ask twice (what to render, then the signatures it needs), and both must fall in one signing window.
  const now = (signing.now ?? (() => new Date()))();
  return {
    signedUrls: (catalog, lessons) =>
      prepareSignedUrls(catalog, {
        lessons,
        presign: (key, o) => presign(key, o),
        expiryHours: signing.expiryHours,
        now,
        ...(signing.baseUrl ? { baseUrl: signing.baseUrl } : {}),
        ...(signing.endpoint ? { endpoint: signing.endpoint } : {}),
        ...(signing.bucket ? { bucket: signing.bucket } : {}),
      }),
  };
}
