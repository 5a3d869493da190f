/**
 * A writing session on the bucket, shared by `deploy` and `rollback`: read the state, wait
 * (bounded) while another deploy holds the lease, reconcile with the bucket after an unclean
 * end, plan, claim the lease with the keys about to be touched; then sync, purge, record the
 * published tree, report and release.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEPLOY_PREFIX } from '../../packages/client/src/layout.ts';
import { DeployError } from '../errors.ts';
import type { RetryPolicy } from '../io/retry.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_LEASE_TIMING, describeLease, liveLease, type LeaseTiming } from './lease.ts';
import { bucketDeletions, bucketUploads, touchedKeys, type DeployPlan, type UploadStep } from './plan.ts';
import { publicUrl } from './purge/urls.ts';
import { reconcileWithBucket, type Reconciled } from './reconcile.ts';
import { reportKey, type DeployReport } from './report.ts';
import { failureMessage, retryStorage } from './retry.ts';
import { DEPLOY_FILE_OPTIONS, isDeadLetter, StateChangedError, StateStore, type PublishedTree, type StateStoreOptions } from './state.ts';
import { emptyCounts, type Storage, type StoredObject } from './storage/types.ts';
import { syncTree, type SyncResult } from './sync.ts';
import { compareCodeUnits } from '../io/compare.ts';

export interface PurgeOutcome {
  requests: number;
  purged: string[];
  failed: { urls: string[]; error: string }[];
}

/** What the deploy needs of a CDN purge client. */
export interface Purger {
  purge(urls: readonly string[]): Promise<PurgeOutcome>;
  /** Starts what the first purge needs (loading the HTTP client) while the deploy uploads; optional. */
  prepare?(): void;
}

export interface SessionOptions {
  storage: Storage;
  log: Logger;
  trigger: string;
  dryRun: boolean;
  retry: RetryPolicy;
  concurrency: number;
  /** Null: purge skipped, with `purgeSkipped` as the reason. */
  purger: Purger | null;
  purgeSkipped?: string;
  /** CDN_BASE_URL: purged URLs are this plus the key's URL path. */
  baseUrl?: string;
  /** CDN_VERSION_RETENTION_DAYS: how long noncurrent versions (and published trees) stay (default 7). */
  retentionDays?: number;
  /** Lease timing (lease.ts); tests shorten it. */
  lease?: Partial<LeaseTiming>;
  /** The clock of the lease and the state (tests move it to let a killed deploy's lease expire). */
  now?: () => number;
  /** Waits for a live lease and between state writes; tests may replace it. */
  sleep?: (ms: number) => Promise<void>;
}

/** Default CDN_VERSION_RETENTION_DAYS. */
export const DEFAULT_RETENTION_DAYS = 7;
export const DAY_MS = 86_400_000;
/** At most this many attempts to claim the lease when other deploys keep changing the state. */
const MAX_CLAIM_ROUNDS = 10;
/** Where the alias -> SHA-256 map each writing deploy left is kept, for `rollback`. */
export const TREES_PREFIX = `${DEPLOY_PREFIX}trees/`;

/** The start of a run, its step durations, and `lap` to end a step (report.durations_ms). */
export function stepTimer(): { clock: number; durations: DeployReport['durations_ms']; lap: (name: keyof DeployReport['durations_ms']) => void } {
  const clock = performance.now();
  const durations = { pull: 0, build: 0, diff: 0, sync: 0, purge: 0 };
  let mark = clock;
  const lap = (name: keyof typeof durations): void => {
    const now = performance.now();
    durations[name] = Math.round(now - mark);
    mark = now;
  };
  return { clock, durations, lap };
}

export function newDeployId(): string {
  return randomBytes(4).toString('hex');
}

export function treeKey(id: string): string {
  return `${TREES_PREFIX}${id}.json`;
}

export interface OpenedState {
  state: StateStore;
  plan: DeployPlan;
  /** Keys a reconcile found holding the wanted bytes although the state had them unsettled. */
  landed: string[];
  reconciled: DeployReport['reconciled'];
}

/** Replaces what the state says of the bucket with what a listing finds (reconcile.ts). */
export async function reconcileState(storage: Storage, files: ReadonlyMap<string, { hash: string }>, state: StateStore, now: number, retry?: RetryPolicy): Promise<Reconciled & { listed: number }> {
  const r = await reconcileWithBucket(storage, files, { keys: state.state.keys, unsettled: state.unsettled, noncurrent: state.state.noncurrent, at: new Date(now).toISOString() }, retry);
  state.replaceKnown(r.keys, r.unsettled, r.noncurrent, r.strays);
  return r;
}

/**
 * Reads the state, waits (bounded) while another deploy holds the lease, reconciles with the
 * bucket when the last deploy did not finish cleanly (`files`: alias -> wanted SHA-256), plans,
 * and claims the lease with the keys the plan touches. A dry run reads only (it lists the bucket
 * when it would reconcile). `earlyRead`: the state file read while the deploy built (readState),
 * used for the first round unless it shows a live lease; not for a dry run, which no claim checks.
 */
export async function openSession(
  options: SessionOptions,
  files: ReadonlyMap<string, { hash: string }>,
  planFor: (state: StateStore, now: number) => DeployPlan | Promise<DeployPlan>,
  id: string,
  startedAt: Date,
  earlyRead?: Promise<StoredObject | null>,
): Promise<OpenedState> {
  const { storage, log } = options;
  const now = options.now ?? Date.now;
  const timing = { ...DEFAULT_LEASE_TIMING, ...options.lease };
  const wait = options.sleep ?? sleep;
  const giveUpAt = now() + timing.waitMs;
  for (let round = 1; ; round++) {
    const load: StateStoreOptions = { retry: options.retry, now, timing, sleep: wait };
    const { state, early } = await loadState(storage, load, round === 1 ? earlyRead : undefined);
    const holder = liveLease(state.state.lease, now());
    if (holder && !options.dryRun) {
      if (now() >= giveUpAt) {
        throw new DeployError(
          `${storage.description} is held by ${describeLease(holder)}; this run waited ${Math.round(timing.waitMs / 1000)} s and wrote nothing. ` +
            "Deploys to one bucket run one at a time; a killed deploy's lease expires by itself",
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
      const r = await reconcileState(storage, files, state, now(), options.retry);
      landed = r.landed;
      reconciled = { reason: state.uncleanReason, listed: r.listed, unsettled: r.unsettled.length };
    }
    const plan = await planFor(state, now());
    if (options.dryRun) return { state, plan, landed, reconciled };
    const touching = touchedKeys(plan);
    if (touching.length === 0) {
      // Nothing to write to the bucket: no lease needed; the final state write is conditional anyway.
      // No claim proves a state read while the deploy built still current: one HEAD request does.
      if (early && !(await state.isCurrent())) {
        log.info('another deploy changed the state while this one built: reading it again');
        continue;
      }
      return { state, plan, landed, reconciled };
    }
    // What an unfinished deploy changed under the cache is owed a purge from the claim on.
    owePurge(options, state, landed);
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

/**
 * The state from an earlier read (`early`) when it shows no live lease, else read now. Another
 * deploy that wrote since is caught by the claim's condition, or by `isCurrent` when there is
 * nothing to claim; a lease seen in the earlier read may have ended since, and waiting on it
 * would be for nothing.
 */
async function loadState(storage: Storage, options: StateStoreOptions, earlyRead: Promise<StoredObject | null> | undefined): Promise<{ state: StateStore; early: boolean }> {
  if (earlyRead) {
    const state = await StateStore.load(storage, { ...options, read: await earlyRead });
    if (liveLease(state.state.lease, (options.now ?? Date.now)()) === null) return { state, early: true };
  }
  return { state: await StateStore.load(storage, options), early: false };
}

export type ReportBase = Omit<DeployReport, 'status' | 'finished_at' | 'duration_ms' | 'uploaded' | 'deleted' | 'unchanged' | 'bytes_uploaded' | 'purge' | 'failures' | 'held_back' | 'postponed' | 'dead_letters' | 'requests' | 'durations_ms'>;

export interface Publishing {
  plan: DeployPlan;
  state: StateStore;
  landed: string[];
  /** The bytes of an upload step. */
  read: (step: UploadStep) => Promise<Buffer>;
  /** Keys whose failures this run may forget when it no longer touches them (a --plan deploy: its plans' keys). */
  inScope: (key: string) => boolean;
  base: ReportBase;
  clock: number;
  durations: DeployReport['durations_ms'];
  lap: (name: keyof DeployReport['durations_ms']) => void;
}

/** Sync, purge, record the published tree, report and release: the writing half of a session that holds the lease. */
export async function publish(options: SessionOptions, p: Publishing): Promise<DeployReport> {
  const { storage, log, retry } = options;
  const { plan, state, base, clock, durations, lap } = p;
  const now = options.now ?? Date.now;
  // Failures of keys in scope that this run no longer touches (content changed back, file gone)
  // are over; a --plan deploy leaves the other plans' failures alone.
  const touched = new Set(touchedKeys(plan));
  state.dropFailuresExcept((key) => touched.has(key) || !p.inScope(key));

  options.purger?.prepare?.();
  // An alias to purge is owed its purge in the same state as its write: checkpoints save both.
  const toPurge = new Set(plan.purge);
  const written = (key: string) => {
    if (toPurge.has(key)) owePurge(options, state, [key]);
  };
  const synced: SyncResult = await log.group('Upload and delete', () => syncTree({ storage, read: p.read, plan, state, concurrency: options.concurrency, retry, log, now: () => new Date(now()), landed: written }));
  lap('sync');

  // Purge the aliases that changed or vanished (the plan's purge list, where the write or deletion
  // happened), what an unfinished deploy changed under the cache (landed), and what an earlier
  // run could not purge. Versions never need it; new aliases were never cached.
  const done = new Set([...synced.uploaded, ...synced.deleted]);
  const purgeKeys = [...plan.purge.filter((k) => done.has(k)), ...p.landed];
  const failures: DeployReport['failures'] = [...synced.failures];
  const purge = await log.group('Purge the CDN', () => purgeChanged(options, state, purgeKeys, failures));
  lap('purge');

  const finishedAt = new Date();
  const report: DeployReport = {
    ...base,
    status: failures.length > 0 ? 'failed' : 'success',
    finished_at: finishedAt.toISOString(),
    duration_ms: Math.round(performance.now() - clock),
    uploaded: synced.uploaded.sort(),
    deleted: synced.deleted.sort(),
    unchanged: plan.diff.unchanged,
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

  await log.group('Record the report and the state', async () => {
    if (done.size > 0) await recordTree(options, state, { id: base.id, trigger: base.trigger, finished_at: report.finished_at, status: report.status }, now());
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
      await retryStorage(() => storage.put(key, Buffer.from(JSON.stringify(report, null, 1), 'utf8'), DEPLOY_FILE_OPTIONS), retry);
    } catch (error) {
      log.warn(`the report could not be written to ${key}: ${failureMessage(error)}`);
    }
    await state.release(log);
  });
  return report;
}

/**
 * Records the URLs of `keys` in the state as owed a purge (with purge settings only: without
 * them nothing is purged), so that a deploy stopped before its purge leaves them to the next.
 */
function owePurge(options: SessionOptions, state: StateStore, keys: readonly string[]): void {
  if (!options.purger || !options.baseUrl || keys.length === 0) return;
  const baseUrl = options.baseUrl;
  state.owePurge(keys.map((k) => publicUrl(baseUrl, k)));
}

/** Purges the URLs of `keys`, and those an earlier run could not purge; failures go into `failures`. */
async function purgeChanged(options: SessionOptions, state: StateStore, keys: readonly string[], failures: DeployReport['failures']): Promise<DeployReport['purge']> {
  if (!options.purger || !options.baseUrl) return { skipped: options.purgeSkipped ?? 'no Cloudflare settings', requests: 0, urls: 0, failed: 0 };
  const baseUrl = options.baseUrl;
  const urls = [...new Set([...state.pendingPurge(), ...keys.map((k) => publicUrl(baseUrl, k))])];
  if (urls.length === 0) {
    if (state.pendingPurge().length > 0) state.setPendingPurge([]);
    return { skipped: null, requests: 0, urls: 0, failed: 0 };
  }
  const outcome = await options.purger.purge(urls);
  const failedUrls = outcome.failed.flatMap((f) => f.urls);
  for (const f of outcome.failed) for (const url of f.urls) failures.push({ key: url, op: 'purge', error: f.error });
  state.setPendingPurge(failedUrls);
  return { skipped: null, requests: outcome.requests, urls: outcome.purged.length, failed: failedUrls.length };
}

/**
 * Keeps the alias -> SHA-256 map this run left in the bucket (`_deploy/trees/{id}.json`), so
 * that `rollback` can publish it again while its versions are kept, and forgets the trees older
 * than the retention period (the newest is always kept). A tree that cannot be written is a
 * warning: the run itself succeeded.
 */
async function recordTree(options: SessionOptions, state: StateStore, tree: PublishedTree, now: number): Promise<void> {
  const { storage, log, retry } = options;
  try {
    const body = Buffer.from(JSON.stringify({ ...tree, keys: state.state.keys }), 'utf8');
    await retryStorage(() => storage.put(treeKey(tree.id), body, DEPLOY_FILE_OPTIONS), retry);
  } catch (error) {
    log.warn(`the published tree could not be written to ${treeKey(tree.id)} (rollback to this deploy will not be possible): ${failureMessage(error)}`);
    return;
  }
  const expired = state.recordTree(tree, new Date(now - (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_MS).toISOString());
  if (expired.length === 0) return;
  try {
    await retryStorage(() => storage.deleteMany(expired.map(treeKey)), retry);
  } catch (error) {
    log.warn(`published trees older than the retention period could not be deleted (they stay under ${TREES_PREFIX}): ${failureMessage(error)}`);
  }
}

/** The report of a dry run: what the plan would upload and delete; nothing written. */
export function dryRunReport(base: ReportBase, opened: OpenedState, storage: Storage, clock: number, durations: DeployReport['durations_ms']): DeployReport {
  const { plan, state } = opened;
  const uploads = bucketUploads(plan);
  return {
    ...base,
    status: 'dry-run',
    finished_at: new Date().toISOString(),
    duration_ms: Math.round(performance.now() - clock),
    uploaded: uploads.map((s) => s.key),
    deleted: bucketDeletions(plan).map((d) => d.key),
    unchanged: plan.diff.unchanged,
    bytes_uploaded: uploads.reduce((n, s) => n + s.size, 0),
    purge: { skipped: 'dry run', requests: 0, urls: 0, failed: 0 },
    failures: [],
    held_back: [],
    postponed: [],
    dead_letters: deadLetters(state),
    requests: { ...storage.requests },
    durations_ms: durations,
  };
}

function deadLetters(state: StateStore): DeployReport['dead_letters'] {
  return Object.entries(state.state.failures)
    .filter(([, f]) => isDeadLetter(f))
    .map(([key, f]) => ({ key, ...f }))
    .sort((a, b) => compareCodeUnits(a.key, b.key));
}
