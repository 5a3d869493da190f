/**
 * The deploy state: which bytes (SHA-256 per key) are in storage, which keys may hold other bytes
 * (`unsettled`), which keys keep failing, the lease of the deploy running now, and the last
 * deploy. It lives in the bucket at `_deploy/state.json`, so any machine can deploy and a clean
 * history needs no listing of the bucket. It never claims bytes the bucket may not hold: a deploy
 * records every key it is about to write or delete as unsettled, in the same conditional write
 * that claims the lease, before it writes anything; a key is settled again only once its outcome
 * is known. A deploy that finds a lease or unsettled keys left behind (killed, failed, lost its
 * state write) reconciles with the bucket itself before it diffs (reconcile.ts).
 *
 * Writes are conditional (If-None-Match: * for the first, If-Match on the ETag read otherwise):
 * two deploys racing on one bucket cannot both claim the lease or overwrite each other's state.
 * R2 allows one write per second to a key; writes are spaced by the storage's
 * `sameKeyWriteIntervalMs`.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeployError } from '../errors.ts';
import { CONTENT_TYPE, DEPLOY_PREFIX, parseKey, versionKey } from '../../packages/client/src/layout.ts';
import { DEFAULT_LEASE_TIMING, describeLease, newLease, parseLease, type Lease, type LeaseTiming } from './lease.ts';
import type { RetryPolicy } from '../io/retry.ts';
import { retryStorage, STORAGE_RETRY } from './retry.ts';
import { PreconditionFailedError, type PutOptions, type Storage, type StoredObject } from './storage/types.ts';

export const STATE_KEY = `${DEPLOY_PREFIX}state.json`;
/** How the files under _deploy/ are written: JSON, never cached (they change with every deploy). */
export const DEPLOY_FILE_OPTIONS = { contentType: CONTENT_TYPE, cacheControl: 'no-store' } as const satisfies PutOptions;
export const STATE_VERSION = 3;
/**
 * Versions 1 (no lease, no unsettled keys) and 2 (routed search files stored at their alias too)
 * are read and upgraded: the deploy that reads one lists the bucket first (reconcile.ts), which
 * also finds the alias objects version 3 no longer keeps.
 */
const READABLE_VERSIONS: readonly number[] = [1, 2, STATE_VERSION];
/**
 * Progress checkpoints during a deploy are at least this far apart (a lease renewal writes one
 * too). A killed deploy's progress is found again by the reconciling listing in any case.
 */
export const CHECKPOINT_INTERVAL_MS = 5_000;
/** The longest delay a timer takes (Node fires a longer one at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Consecutive failed runs after which a key is a dead letter. */
export const DEAD_LETTER_RUNS = 3;

export interface KeyFailure {
  op: 'upload' | 'delete';
  /** Consecutive runs in which it failed. */
  runs: number;
  last_error: string;
  first_failed_at: string;
  last_failed_at: string;
}

export interface LastDeploy {
  id: string;
  status: DeployStatus;
  started_at: string;
  finished_at: string;
  report_key: string;
  uploaded: number;
  deleted: number;
  failed: number;
}

export type DeployStatus = 'success' | 'failed' | 'dry-run';

/** A run that changed the bucket and kept the alias map it left (`_deploy/trees/{id}.json`), for rollback. */
export interface PublishedTree {
  id: string;
  trigger: string;
  finished_at: string;
  status: DeployStatus;
}

export interface DeployState {
  version: typeof STATE_VERSION;
  /** Key -> SHA-256 (hex) of the bytes in storage. */
  keys: Record<string, string>;
  /**
   * Keys whose bytes in storage are not known: a deploy was about to write or delete them and
   * has not recorded the outcome (it is running, was killed, or the write failed ambiguously).
   * Sorted.
   */
  unsettled: string[];
  /** The deploy that holds the bucket now (or held it, if it never released: see lease.ts). */
  lease: Lease | null;
  /**
   * Versions in the bucket that are not the current version of their alias (layout.ts): version
   * key -> when it stopped being current (or was uploaded without becoming current). Deleted once
   * they are older than the retention period. The current version of an alias is not listed: it
   * is the version of the hash in `keys`.
   */
  noncurrent: Record<string, string>;
  /**
   * Alias objects of files stored as their version only (layout.ts, `hasAliasObject`), which an
   * earlier release wrote and a listing found: the next deploy whose uploads all succeed deletes
   * them. Nothing links them, so they are not purged. Sorted.
   */
  strays: string[];
  /** Published trees within the retention period, oldest first; the last is what the bucket serves. */
  trees: PublishedTree[];
  failures: Record<string, KeyFailure>;
  last_deploy: LastDeploy | null;
  /** URLs whose purge failed; the next deploy purges them first. */
  pending_purge: string[];
  /**
   * Fingerprints (warnings.ts) of the content warnings the last finished deploy reported: a
   * deploy annotates only the warnings not in this list. Written with the deploy's final state,
   * so a deploy that stops before it finishes leaves them to be reported again.
   */
  content_warnings: string[];
  updated_at: string;
}

export function emptyState(): DeployState {
  return { version: STATE_VERSION, keys: {}, unsettled: [], lease: null, noncurrent: {}, strays: [], trees: [], failures: {}, last_deploy: null, pending_purge: [], content_warnings: [], updated_at: '' };
}

export function isDeadLetter(failure: KeyFailure): boolean {
  return failure.runs >= DEAD_LETTER_RUNS;
}

function parseState(bytes: Buffer, where: string): { state: DeployState; version: number } {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DeployError(`${where} is not valid JSON; restore it from the bucket's history or delete it to redeploy everything`, { cause: error });
  }
  const s = value as Partial<Omit<DeployState, 'version'>> & { version?: unknown };
  if (s === null || typeof s !== 'object' || !READABLE_VERSIONS.includes(s.version as number) || typeof s.keys !== 'object' || s.keys === null) {
    throw new DeployError(`${where} is not a deploy state of version ${STATE_VERSION} (written by another release of memora-cdn?)`);
  }
  const unsettled = Array.isArray(s.unsettled) ? s.unsettled.filter((k): k is string => typeof k === 'string') : [];
  return {
    version: s.version as number,
    state: {
      version: STATE_VERSION,
      keys: s.keys,
      unsettled,
      lease: parseLease(s.lease),
      noncurrent: s.noncurrent !== null && typeof s.noncurrent === 'object' ? s.noncurrent : {},
      strays: Array.isArray(s.strays) ? s.strays.filter((k): k is string => typeof k === 'string') : [],
      trees: Array.isArray(s.trees) ? s.trees.filter((t): t is PublishedTree => typeof t?.id === 'string' && typeof t.finished_at === 'string') : [],
      failures: s.failures ?? {},
      last_deploy: s.last_deploy ?? null,
      pending_purge: Array.isArray(s.pending_purge) ? s.pending_purge : [],
      content_warnings: Array.isArray(s.content_warnings) ? s.content_warnings.filter((f): f is string => typeof f === 'string') : [],
      updated_at: s.updated_at ?? '',
    },
  };
}

/**
 * The state file, its keys, noncurrent versions, failures and unsettled keys in code-unit order
 * so that it is stable and diffable: the members of `state` in their order, the two large
 * records written by sortedJson.
 */
function serialize(state: DeployState): Buffer {
  const fields: Record<string, unknown> = { ...state, unsettled: [...state.unsettled].sort(), failures: sorted(state.failures) };
  const members: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const json = name === 'keys' || name === 'noncurrent' ? sortedJson(value as Record<string, string>) : JSON.stringify(value);
    members.push(`${JSON.stringify(name)}:${json}`);
  }
  return Buffer.from(`{${members.join(',')}}`, 'utf8');
}

/** Whether keys are in code-unit order, as a record read from the state file lists them (no key added since). */
function inOrder(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

/**
 * A record of strings as JSON, keys in code-unit order: as it is when they are in that order
 * already (JSON.stringify writes them in the order Object.keys lists them), else in the order
 * of the sorted keys given as the property list, which copies nothing.
 */
function sortedJson(record: Record<string, string>): string {
  const keys = Object.keys(record);
  return inOrder(keys) ? JSON.stringify(record) : JSON.stringify(record, keys.sort());
}

/** A record with its keys in code-unit order: itself when they are in that order already, else a sorted copy. */
function sorted<T>(record: Record<string, T>): Record<string, T> {
  const keys = Object.keys(record);
  return inOrder(keys) ? record : Object.fromEntries(keys.sort().map((k) => [k, record[k] as T]));
}

/** A claim lost: another deploy wrote the state between this one's read and its claim. */
export class StateChangedError extends DeployError {}

export interface StateStoreOptions {
  now?: () => number;
  retry?: RetryPolicy;
  timing?: Partial<LeaseTiming>;
  /** Waits between writes to one key; tests may replace it. */
  sleep?: (ms: number) => Promise<void>;
  /** The state file as read before (readState), instead of reading it now. */
  read?: StoredObject | null;
}

/** The state file as storage holds it now (null: there is none yet). */
export function readState(storage: Storage, retry: RetryPolicy = STORAGE_RETRY): Promise<StoredObject | null> {
  return retryStorage(() => storage.get(STATE_KEY), retry);
}

/** The state read from storage, and its conditional, rate-limited writes; the holder of the lease. */
export class StateStore {
  /** When this run last wrote the state (0: not yet). */
  private lastWrite = 0;
  private dirty = false;
  /** When the state was read: checkpoints count their spacing from here, so a short deploy writes once, at the end. */
  private readonly loadedAt: number;
  private readonly unsettledSet: Set<string>;
  /** `pending_purge` as a set: every alias a deploy writes may add its URL (owePurge). */
  private pendingPurgeSet: Set<string>;
  private readonly straySet: Set<string>;
  private readonly timing: LeaseTiming;
  /** This run's lease, once claimed. */
  private held: Lease | null = null;
  /** Why this run may no longer write (its lease was lost or could not be renewed in time). */
  private lost: Error | null = null;
  private renewal: ReturnType<typeof setInterval> | null = null;
  /** What aborts the writes in flight (writeSignal), for the lease as it stood when it was made. */
  private guard: { expiresAt: string; controller: AbortController } | null = null;
  /** Writes run one at a time. */
  private writing: Promise<void> = Promise.resolve();
  /** The content warnings to record with the final state (setContentWarnings), or null: as read. */
  private reportedWarnings: string[] | null = null;

  private constructor(
    private readonly storage: Storage,
    readonly state: DeployState,
    private etag: string | null,
    /** Why the last deploy cannot be taken to have finished cleanly, or null. */
    readonly uncleanReason: string | null,
    private readonly now: () => number,
    private readonly retry: RetryPolicy,
    timing: Partial<LeaseTiming>,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.loadedAt = now();
    this.unsettledSet = new Set(state.unsettled);
    this.pendingPurgeSet = new Set(state.pending_purge);
    this.straySet = new Set(state.strays);
    this.timing = { ...DEFAULT_LEASE_TIMING, ...timing };
  }

  static async load(storage: Storage, options: StateStoreOptions = {}): Promise<StateStore> {
    const retry = options.retry ?? STORAGE_RETRY;
    const found = options.read !== undefined ? options.read : await readState(storage, retry);
    const parsed = found ? parseState(found.body, `${storage.description}: ${STATE_KEY}`) : null;
    const state = parsed?.state ?? emptyState();
    let unclean: string | null = null;
    if (parsed === null) unclean = 'there is no deploy state yet';
    else if (parsed.version !== STATE_VERSION) unclean = 'the deploy state was written by an earlier release, which cannot tell whether its last deploy finished';
    else if (state.lease !== null) unclean = `${describeLease(state.lease)} did not finish`;
    else if (state.unsettled.length > 0) unclean = `${state.unsettled.length} key(s) were left unsettled by a deploy that failed`;
    return new StateStore(storage, state, found?.etag ?? null, unclean, options.now ?? Date.now, retry, options.timing ?? {}, options.sleep ?? sleep);
  }

  /** True when the bucket had no state yet (first deploy). */
  get isNew(): boolean {
    return this.etag === null;
  }

  /** Whether the state in storage is still the one this store read or last wrote (one HEAD request). */
  async isCurrent(): Promise<boolean> {
    const info = await retryStorage(() => this.storage.head(STATE_KEY), this.retry);
    return (info?.etag ?? null) === this.etag;
  }

  isUnsettled(key: string): boolean {
    return this.unsettledSet.has(key);
  }

  get unsettled(): ReadonlySet<string> {
    return this.unsettledSet;
  }

  /** Stray alias objects to delete (`DeployState.strays`), sorted. */
  get strays(): string[] {
    return [...this.straySet].sort();
  }

  /**
   * Replaces what the state says of the bucket with what a listing found (reconcile.ts): the
   * keys whose bytes are known and the keys whose bytes are not. Written with the next claim.
   */
  replaceKnown(keys: Record<string, string>, unsettled: Iterable<string>, noncurrent: Record<string, string>, strays: Iterable<string>): void {
    this.state.keys = keys;
    this.state.noncurrent = noncurrent;
    this.straySet.clear();
    for (const key of strays) this.straySet.add(key);
    this.unsettledSet.clear();
    for (const key of unsettled) this.unsettledSet.add(key);
    this.dirty = true;
  }

  /**
   * Takes the lease and records the keys this deploy is about to write or delete as unsettled, in
   * one conditional write, before anything else is written; then renews the lease until
   * `release` or `abandon`. Throws StateChangedError when another deploy wrote the state since
   * it was read (read it again and decide anew).
   */
  async claim(owner: string, trigger: string, startedAt: Date, touching: Iterable<string>): Promise<void> {
    for (const key of touching) this.unsettledSet.add(key);
    this.held = newLease(owner, trigger, startedAt, this.now(), this.timing.ttlMs);
    this.dirty = true;
    try {
      await this.write();
    } catch (error) {
      this.held = null;
      throw error;
    }
    this.renewal = setInterval(() => {
      if (this.lost || this.now() - this.lastWrite < this.timing.renewMs) return;
      this.write().catch((error: unknown) => {
        this.lost ??= error instanceof Error ? error : new Error(String(error));
        // The writes in flight are given up too: another deploy may be taking over.
        this.guard?.controller.abort(new Error(`this deploy can no longer write to ${this.storage.description}: ${this.lost.message}`));
      });
    }, Math.max(10, Math.floor(this.timing.renewMs / 4)));
    this.renewal.unref();
  }

  /**
   * Throws unless this run holds the lease with time to spare: called before every write to the
   * bucket, so a deploy that lost its lease (or whose renewals stalled) stops writing.
   */
  assertHeld(): void {
    if (this.lost) throw new DeployError(`this deploy can no longer write to ${this.storage.description}: ${this.lost.message}`, { cause: this.lost });
    const held = this.held;
    if (held === null) throw new Error('a deploy wrote to the bucket without holding the lease');
    if (Date.parse(held.expires_at) - this.now() < this.timing.marginMs) {
      throw new DeployError(`this deploy's lease on ${this.storage.description} ran out (it could not be renewed since ${new Date(this.lastWrite).toISOString()}); it stops writing so that another deploy can take over safely`);
    }
  }

  /**
   * For a write to the bucket about to start (each attempt): throws as assertHeld does, and
   * returns a signal that fires when the lease, as it stands now, has less than half the margin
   * left. A write still in flight then is given up: the storage's request timeout may be longer
   * than the margin, and a write must not land after another deploy may have taken the lease.
   * It also fires when a renewal fails for good. While renewals succeed the lease keeps well ahead
   * and the signal never fires.
   */
  writeSignal(): AbortSignal {
    this.assertHeld();
    const held = this.held as Lease;
    if (this.guard?.expiresAt !== held.expires_at) {
      const controller = new AbortController();
      // Every write in flight listens to it (CDN_UPLOAD_CONCURRENCY of them): no listener cap, no warning.
      setMaxListeners(0, controller.signal);
      const left = Date.parse(held.expires_at) - this.now() - this.timing.marginMs / 2;
      const abort = () => controller.abort(new Error(`this deploy's lease on ${this.storage.description} was about to run out (it could not be renewed since ${new Date(this.lastWrite).toISOString()})`));
      setTimeout(abort, Math.min(Math.max(0, left), MAX_TIMER_MS)).unref();
      this.guard = { expiresAt: held.expires_at, controller };
    }
    return this.guard.controller.signal;
  }

  /** Whether a version object is in the bucket: the current version of its alias, or a noncurrent one. */
  hasVersion(key: string): boolean {
    if (this.state.noncurrent[key] !== undefined) return true;
    const parsed = parseKey(key);
    const current = parsed?.version ? this.state.keys[parsed.alias] : undefined;
    return current !== undefined && parsed !== null && !this.unsettledSet.has(parsed.alias) && versionKey(parsed.alias, current) === key;
  }

  /**
   * An upload that reached storage. A version starts out noncurrent (kept for the retention
   * period) until its alias switches to it; an alias switching makes its old version noncurrent.
   */
  recordUpload(key: string, hash: string, at: string): void {
    const parsed = parseKey(key);
    if (parsed?.version) {
      if (!this.hasVersion(key)) this.state.noncurrent[key] = at;
    } else {
      const before = this.state.keys[key];
      if (before !== undefined && before !== hash) this.state.noncurrent[versionKey(key, before)] ??= at;
      this.state.keys[key] = hash;
      delete this.state.noncurrent[versionKey(key, hash)];
    }
    this.unsettledSet.delete(key);
    delete this.state.failures[key];
    this.dirty = true;
  }

  /** A deletion that reached storage; a deleted alias leaves its version noncurrent. */
  recordDelete(key: string, at: string): void {
    const before = this.state.keys[key];
    if (before !== undefined) this.state.noncurrent[versionKey(key, before)] ??= at;
    delete this.state.keys[key];
    delete this.state.noncurrent[key];
    this.unsettledSet.delete(key);
    delete this.state.failures[key];
    this.dirty = true;
  }

  /** A stray alias object (`strays`) deleted from the bucket. */
  recordStrayDeleted(key: string): void {
    this.straySet.delete(key);
    this.unsettledSet.delete(key);
    delete this.state.failures[key];
    this.dirty = true;
  }

  /** A key this deploy meant to write or delete but did not try (held back, postponed): its bytes are as before. */
  settleUntouched(key: string): void {
    if (this.unsettledSet.delete(key)) this.dirty = true;
  }

  /** A failed write or delete: the key stays unsettled (a timed-out PUT may still have landed). */
  recordFailure(key: string, op: KeyFailure['op'], error: string, at: string): KeyFailure {
    const before = this.state.failures[key];
    const failure: KeyFailure = {
      op,
      runs: (before?.runs ?? 0) + 1,
      last_error: error,
      first_failed_at: before?.first_failed_at ?? at,
      last_failed_at: at,
    };
    this.state.failures[key] = failure;
    this.dirty = true;
    return failure;
  }

  /** Forgets failures of keys that are no longer part of any deploy. */
  dropFailuresExcept(keep: (key: string) => boolean): void {
    for (const key of Object.keys(this.state.failures)) {
      if (!keep(key)) {
        delete this.state.failures[key];
        this.dirty = true;
      }
    }
  }

  /** URLs owed a purge (pending_purge as it stands now). */
  pendingPurge(): string[] {
    return [...this.pendingPurgeSet];
  }

  setPendingPurge(urls: readonly string[]): void {
    this.pendingPurgeSet = new Set(urls);
    this.dirty = true;
  }

  /**
   * URLs whose bytes changed under the CDN's cache, owed a purge: saved with the state from now
   * on (checkpoints included), so that a deploy stopped before its purge leaves them to the next.
   */
  owePurge(urls: Iterable<string>): void {
    const before = this.pendingPurgeSet.size;
    for (const url of urls) this.pendingPurgeSet.add(url);
    if (this.pendingPurgeSet.size !== before) this.dirty = true;
  }

  /** Adds a published tree; forgets those finished before `expireBefore` (never the newest). Returns the IDs forgotten. */
  recordTree(tree: PublishedTree, expireBefore: string): string[] {
    const trees = [...this.state.trees.filter((t) => t.id !== tree.id), tree];
    const expired = trees.slice(0, -1).filter((t) => t.finished_at < expireBefore);
    this.state.trees = trees.filter((t) => !expired.includes(t));
    this.dirty = true;
    return expired.map((t) => t.id);
  }

  /**
   * The content warnings this deploy reports (fingerprints), recorded with its final state only:
   * checkpoints and lease renewals leave the list as it was, so a deploy that stops before it
   * finishes (and before it prints them) leaves its new warnings to be reported by the next.
   */
  setContentWarnings(fingerprints: Iterable<string>): void {
    this.reportedWarnings = [...new Set(fingerprints)].sort();
    this.dirty = true;
  }

  setLastDeploy(last: LastDeploy): void {
    this.state.last_deploy = last;
    this.dirty = true;
  }

  /** Writes the state (and renews the lease) if it changed and the storage's write spacing allows (progress checkpoints). */
  async checkpoint(): Promise<void> {
    if (this.held && this.dirty && this.now() - Math.max(this.lastWrite, this.loadedAt) >= Math.max(CHECKPOINT_INTERVAL_MS, this.interval)) await this.write();
  }

  /**
   * Writes the final state, releasing the lease. A deploy that wrote nothing to the bucket never
   * claimed it: when another deploy changed the state meanwhile, it leaves the state to that one.
   */
  async release(log?: { warn(message: string): void }): Promise<void> {
    this.stopRenewal();
    if (this.lost) throw this.lost;
    const claimed = this.held !== null;
    this.held = null;
    this.dirty = true;
    try {
      await this.flush();
    } catch (error) {
      if (claimed || !(error instanceof StateChangedError)) throw error;
      log?.warn(`another deploy started while this one ran (it wrote nothing to the bucket); its record is left out of ${STATE_KEY}`);
    }
  }

  /** Stops renewing without writing: the lease expires by itself (a deploy that stops on an error). */
  abandon(): void {
    this.stopRenewal();
  }

  /** Writes the state if it changed, waiting out the storage's write spacing. */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    const wait = this.lastWrite + this.interval - this.now();
    if (this.lastWrite > 0 && wait > 0) await this.sleep(wait);
    await this.write();
  }

  private get interval(): number {
    return this.storage.sameKeyWriteIntervalMs ?? 0;
  }

  private stopRenewal(): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = null;
  }

  private write(): Promise<void> {
    const next = this.writing.then(() => this.writeNow());
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeNow(): Promise<void> {
    const now = this.now();
    this.state.updated_at = new Date(now).toISOString();
    this.state.unsettled = [...this.unsettledSet];
    this.state.pending_purge = [...this.pendingPurgeSet];
    this.state.strays = this.strays;
    this.state.lease = this.held ? { ...this.held, expires_at: new Date(now + this.timing.ttlMs).toISOString() } : null;
    // Only a write without the lease is a deploy's last.
    const warnings = this.held === null && this.reportedWarnings !== null ? this.reportedWarnings : this.state.content_warnings;
    const body = serialize({ ...this.state, content_warnings: warnings });
    const condition = this.etag === null ? { ifNoneMatch: '*' as const } : { ifMatch: this.etag };
    try {
      const { etag } = await retryStorage(async (attempt) => {
        try {
          return await this.storage.put(STATE_KEY, body, { ...DEPLOY_FILE_OPTIONS, ...condition });
        } catch (error) {
          // A retried write whose first attempt did land fails its own condition: check the bytes.
          if (error instanceof PreconditionFailedError && attempt > 1) {
            const current = await this.storage.get(STATE_KEY);
            if (current?.body.equals(body)) return { etag: current.etag };
          }
          throw error;
        }
      }, this.retry);
      this.etag = etag;
      this.lastWrite = now;
      this.state.content_warnings = warnings;
      if (this.held && this.state.lease) this.held = this.state.lease;
      this.dirty = false;
    } catch (error) {
      if (error instanceof PreconditionFailedError) {
        throw new StateChangedError(
          `another deploy changed ${STATE_KEY} in ${this.storage.description} since this one read it; ` +
            'deploys to one bucket must not overlap (each takes the lease in the state first): check the concurrency group of the workflow',
          { cause: error },
        );
      }
      throw error;
    }
  }
}
