/**
 * `deploy`: pull, build, diff, sync, purge, report. Each step's outcome goes into one report; a
 * run with failures still finishes everything it safely can, and says so with its status.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { build, type BuildOptions, type BuildSummary } from '../build/build.ts';
import { DeployError } from '../errors.ts';
import { prepareSignedUrls } from './sign.ts';
import { encodeSegment } from '../client/layout.ts';
import { planSegmentOf } from '../client/layout.ts';
import { publicUrl } from './purge/urls.ts';
import type { Logger } from '../log.ts';
import type { FrappeClient } from '../pull/client.ts';
import { pull, type PullSummary } from '../pull/pull.ts';
import type { RetryPolicy } from '../io/retry.ts';
import { changedPlans, computeDiff } from './diff.ts';
import { formatPlan, planDeploy, touchedKeys, uploadSteps, type DeployPlan } from './plan.ts';
import { treeFromRendered, type OutTree } from './inventory.ts';
import { reportKey, REPORT_VERSION, type DeployReport } from './report.ts';
import { failureMessage, retryStorage, STORAGE_RETRY } from './retry.ts';
import { DEFAULT_LEASE_TIMING, describeLease, liveLease, type LeaseTiming } from './lease.ts';
import { reconcileWithBucket, type Reconciled } from './reconcile.ts';
import { isDeadLetter, StateChangedError, StateStore } from './state.ts';
import { emptyCounts, type Storage } from './storage/types.ts';
import { syncTree, type SyncResult } from './sync.ts';

export interface PurgeOutcome {
  requests: number;
  purged: string[];
  failed: { urls: string[]; error: string }[];
}

/** What the deploy needs of a CDN purge client. */
export interface Purger {
  purge(urls: readonly string[]): Promise<PurgeOutcome>;
}

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

/** Default CDN_VERSION_RETENTION_DAYS. */
export const DEFAULT_RETENTION_DAYS = 7;
const DAY_MS = 86_400_000;

export function newDeployId(): string {
  return randomBytes(4).toString('hex');
}


export async function deploy(options: DeployOptions): Promise<DeployReport> {
  const { log, storage } = options;
  const retry = options.retry ?? STORAGE_RETRY;
  const startedAt = new Date();
  const clock = performance.now();
  const durations = { pull: 0, build: 0, diff: 0, sync: 0, purge: 0 };
  let mark = clock;
  const lap = (name: keyof typeof durations) => {
    const now = performance.now();
    durations[name] = Math.round(now - mark);
    mark = now;
  };

  let pulled: PullSummary | null = null;
  if (options.client) {
    pulled = await pull({ cacheDir: options.cacheDir, client: options.client, log, full: options.fullPull ?? false });
    log.verbose(`pull: ${pulled.mode}, ${pulled.requests} request(s)`);
  }
  lap('pull');
  // The build hands over what it wrote, so the diff need not read and hash out/ again.
  let written = null as OutTree | null;
  const builtPlans = options.plans.length > 0 ? [...options.plans].sort() : null;
  const built: BuildSummary = await build({
    cacheDir: options.cacheDir,
    outDir: options.outDir,
    plans: options.plans,
    log,
    onWritten: (files) => {
      written = treeFromRendered(options.outDir, files, builtPlans);
    },
    ...signingOption(options),
  });
  lap('build');

  // build() calls onWritten before it returns, or throws.
  if (written === null) throw new Error('the build returned without handing over the files it wrote');
  const tree: OutTree = written;
  const id = newDeployId();
  const opened = await openState(options, tree, id, startedAt, retry);
  const { state, plan } = opened;
  const { diff } = plan;
  log.verbose(formatPlan(plan));
  lap('diff');

  const base = {
    version: REPORT_VERSION,
    id,
    trigger: options.trigger,
    started_at: startedAt.toISOString(),
    storage: storage.description,
    plans: diff.plans,
    changed_plans: changedPlans(diff),
    per_plan: diff.perPlan,
    pull: pulled ? { mode: pulled.mode, reason: pulled.reason, counts: pulled.counts, requests: pulled.requests } : null,
    build: { files: built.files, bytes: built.bytes, warnings: built.warnings.length },
    reconciled: opened.reconciled,
  } as const;

  if (options.dryRun) {
    const r: DeployReport = {
      ...base,
      status: 'dry-run',
      finished_at: new Date().toISOString(),
      duration_ms: Math.round(performance.now() - clock),
      uploaded: uploadSteps(plan).map((s) => s.key),
      deleted: plan.deletions.map((d) => d.key),
      unchanged: diff.unchanged,
      bytes_uploaded: uploadSteps(plan).reduce((n, s) => n + s.size, 0),
      purge: { skipped: 'dry run', requests: 0, urls: 0, failed: 0 },
      failures: [],
      held_back: [],
      postponed: [],
      dead_letters: deadLetters(state),
      requests: { ...storage.requests },
      durations_ms: durations,
    };
    return r;
  }

  try {
    return await publish({ ...options, retry }, { tree, plan, state, landed: opened.landed, base, clock, durations, lap });
  } finally {
    // A deploy that stops on an error keeps its lease until it expires: the next one reconciles.
    state.abandon();
  }
}

/** Replaces what the state says of the bucket with what a listing finds (reconcile.ts). */
export async function reconcileState(storage: Storage, tree: OutTree, state: StateStore, now: number): Promise<Reconciled & { listed: number }> {
  const r = await reconcileWithBucket(storage, tree, { keys: state.state.keys, unsettled: state.unsettled, noncurrent: state.state.noncurrent, at: new Date(now).toISOString() });
  state.replaceKnown(r.keys, r.unsettled, r.noncurrent);
  return r;
}

/** The deploy plan of a tree against a state (no I/O). */
export function planAgainst(state: StateStore, tree: OutTree, options: { plans: readonly string[]; force?: boolean; retentionDays?: number; now: number }): DeployPlan {
  const diff = computeDiff(tree, state.state.keys, { plans: options.plans, force: options.force ?? false, unsettled: state.unsettled });
  const retentionMs = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_MS;
  return planDeploy({
    tree,
    diff,
    hasVersion: (key) => state.hasVersion(key),
    noncurrent: state.state.noncurrent,
    // A --plan deploy sees only some plans' files: it leaves old versions to a deploy of every plan.
    expireBefore: options.plans.length > 0 ? null : new Date(options.now - retentionMs).toISOString(),
  });
}

/** At most this many attempts to claim the lease when other deploys keep changing the state. */
const MAX_CLAIM_ROUNDS = 10;

interface OpenedState {
  state: StateStore;
  plan: DeployPlan;
  /** Keys a reconcile found holding the output folder's bytes although the state had them unsettled. */
  landed: string[];
  reconciled: DeployReport['reconciled'];
}

/**
 * Reads the state, waits (bounded) while another deploy holds the lease, reconciles with the
 * bucket when the last deploy did not finish cleanly, diffs, and claims the lease with the keys
 * this deploy is about to touch. A dry run reads only (it lists the bucket when it would reconcile).
 */
async function openState(options: DeployOptions, tree: OutTree, id: string, startedAt: Date, retry: RetryPolicy): Promise<OpenedState> {
  const { storage, log } = options;
  const now = options.now ?? Date.now;
  const timing = { ...DEFAULT_LEASE_TIMING, ...options.lease };
  const wait = options.sleep ?? sleep;
  const giveUpAt = now() + timing.waitMs;
  for (let round = 1; ; round++) {
    const state = await StateStore.load(storage, { retry, now, timing, sleep: wait });
    const holder = liveLease(state.state.lease, now());
    if (holder && !options.dryRun) {
      if (now() >= giveUpAt) {
        throw new DeployError(
          `${storage.description} is held by ${describeLease(holder)}; this deploy waited ${Math.round(timing.waitMs / 1000)} s and wrote nothing. ` +
            'Deploys to one bucket run one at a time; a killed deploy\'s lease expires by itself',
        );
      }
      log.info(`waiting for ${describeLease(holder)} to finish`);
      await wait(Math.max(1, Math.min(timing.pollMs, giveUpAt - now())));
      continue;
    }
    if (holder) log.warn(`${describeLease(holder)} is running: this dry run compares with the state as it is now`);
    let landed: string[] = [];
    let reconciled: DeployReport['reconciled'] = null;
    if (state.uncleanReason !== null) {
      log.info(`comparing with the bucket itself: ${state.uncleanReason}`);
      const r = await reconcileState(storage, tree, state, now());
      landed = r.landed;
      reconciled = { reason: state.uncleanReason, listed: r.listed, unsettled: r.unsettled.length };
    }
    const plan = planAgainst(state, tree, { ...options, now: now() });
    if (options.dryRun) return { state, plan, landed, reconciled };
    const touching = touchedKeys(plan);
    // Nothing to write to the bucket: no lease needed; the final state write is conditional anyway.
    if (touching.length === 0) return { state, plan, landed, reconciled };
    try {
      await state.claim(id, options.trigger, startedAt, touching);
      return { state, plan, landed, reconciled };
    } catch (error) {
      if (error instanceof StateChangedError && round < MAX_CLAIM_ROUNDS) {
        log.info('another deploy changed the state while this one prepared: reading it again');
        continue;
      }
      throw error;
    }
  }
}

interface Publishing {
  tree: OutTree;
  plan: DeployPlan;
  state: StateStore;
  landed: string[];
  base: Omit<DeployReport, 'status' | 'finished_at' | 'duration_ms' | 'uploaded' | 'deleted' | 'unchanged' | 'bytes_uploaded' | 'purge' | 'failures' | 'held_back' | 'postponed' | 'dead_letters' | 'requests' | 'durations_ms'>;
  clock: number;
  durations: DeployReport['durations_ms'];
  lap: (name: keyof DeployReport['durations_ms']) => void;
}

/** Sync, purge, report and release: the writing half of a deploy that holds the lease. */
async function publish(options: DeployOptions & { retry: RetryPolicy }, p: Publishing): Promise<DeployReport> {
  const { storage, log, retry } = options;
  const { tree, plan, state, base, clock, durations, lap } = p;
  const { diff } = plan;
  // Failures of keys in scope that this run no longer touches (content changed back, file gone)
  // are over; a --plan deploy leaves the other plans' failures alone.
  const touched = new Set(touchedKeys(plan));
  const scoped = options.plans.length > 0 ? new Set(options.plans.flatMap((plan) => [...(tree.plans.get(plan) ?? [])])) : null;
  const segments = new Set(options.plans.map((plan) => encodeSegment(plan)));
  const inScope = (key: string): boolean => scoped === null || scoped.has(key) || segments.has(planSegmentOf(key) ?? '');
  state.dropFailuresExcept((key) => touched.has(key) || !inScope(key));

  const synced: SyncResult = await syncTree({ storage, tree, plan, state, concurrency: options.concurrency, retry, log, ...(options.now ? { now: () => new Date((options.now as () => number)()) } : {}) });
  lap('sync');

  // Purge the aliases that changed or vanished (the plan's purge list, where the write or deletion
  // happened), what an unfinished deploy changed under the cache (landed), and what an earlier
  // run could not purge. Versions never need it; new aliases were never cached.
  const done = new Set([...synced.uploaded, ...synced.deleted]);
  const purgeKeys = [...plan.purge.filter((k) => done.has(k)), ...p.landed];
  const failures: DeployReport['failures'] = [...synced.failures];
  let purge: DeployReport['purge'] = { skipped: null, requests: 0, urls: 0, failed: 0 };
  if (options.purger && options.baseUrl) {
    const baseUrl = options.baseUrl;
    const urls = [...new Set([...state.state.pending_purge, ...purgeKeys.map((k) => publicUrl(baseUrl, k))])];
    if (urls.length > 0) {
      const outcome = await options.purger.purge(urls);
      const failedUrls = outcome.failed.flatMap((f) => f.urls);
      for (const f of outcome.failed) for (const url of f.urls) failures.push({ key: url, op: 'purge', error: f.error });
      state.setPendingPurge(failedUrls);
      purge = { skipped: null, requests: outcome.requests, urls: outcome.purged.length, failed: failedUrls.length };
    } else if (state.state.pending_purge.length > 0) {
      state.setPendingPurge([]);
    }
  } else {
    purge = { skipped: options.purgeSkipped ?? 'no Cloudflare settings', requests: 0, urls: 0, failed: 0 };
  }
  lap('purge');

  const finishedAt = new Date();
  const report: DeployReport = {
    ...base,
    status: failures.length > 0 ? 'failed' : 'success',
    finished_at: finishedAt.toISOString(),
    duration_ms: Math.round(performance.now() - clock),
    uploaded: synced.uploaded.sort(),
    deleted: synced.deleted.sort(),
    unchanged: diff.unchanged,
    bytes_uploaded: synced.bytes,
    purge,
    failures,
    held_back: synced.heldBack.sort(),
    postponed: synced.postponed,
    dead_letters: deadLetters(state),
    requests: emptyCounts(),
    durations_ms: durations,
  };
  if (report.dead_letters.length > 0) report.status = 'failed';

  const key = reportKey(report);
  state.setLastDeploy({
    id: base.id,
    status: report.status,
    started_at: report.started_at,
    finished_at: report.finished_at,
    report_key: key,
    uploaded: report.uploaded.length,
    deleted: report.deleted.length,
    failed: report.failures.length,
  });
  // Storage requests up to here; the report's own write and the final state write follow.
  report.requests = { ...storage.requests };
  try {
    await retryStorage(() => storage.put(key, Buffer.from(JSON.stringify(report, null, 1), 'utf8'), { contentType: 'application/json; charset=utf-8', cacheControl: 'no-store' }), retry);
  } catch (error) {
    log.warn(`the report could not be written to ${key}: ${failureMessage(error)}`);
  }
  await state.release(log);
  return report;
}

/** The build's signedUrls option, when the storage can presign and signing is asked for. */
function signingOption(options: DeployOptions): Pick<BuildOptions, 'signedUrls'> {
  const { signing, storage } = options;
  const presign = storage.presignGet?.bind(storage);
  if (!signing || !presign) return {};
  return {
    signedUrls: (catalog) =>
      prepareSignedUrls(catalog, {
        presign: (key, o) => presign(key, o),
        expiryHours: signing.expiryHours,
        now: (signing.now ?? (() => new Date()))(),
        ...(signing.baseUrl ? { baseUrl: signing.baseUrl } : {}),
        ...(signing.endpoint ? { endpoint: signing.endpoint } : {}),
        ...(signing.bucket ? { bucket: signing.bucket } : {}),
      }),
  };
}

function deadLetters(state: StateStore): DeployReport['dead_letters'] {
  return Object.entries(state.state.failures)
    .filter(([, f]) => isDeadLetter(f))
    .map(([key, f]) => ({ key, ...f }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}
