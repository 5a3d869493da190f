/**
 * The deploy state: which bytes (SHA-256 per key) are in storage, which keys keep failing, and
 * the last deploy. It lives in the bucket at `_deploy/state.json`, so any machine can deploy and
 * no listing of the bucket is needed. It records only what really reached storage.
 *
 * Writes are conditional (If-None-Match: * for the first, If-Match on the ETag read otherwise):
 * two deploys racing on one bucket cannot silently overwrite each other; the loser stops with a
 * clear error. R2 allows one write per second to a key, so writes are spaced at least a second.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DeployError } from '../errors.ts';
import { DEPLOY_PREFIX } from './kinds.ts';
import type { RetryPolicy } from '../io/retry.ts';
import { retryStorage, STORAGE_RETRY } from './retry.ts';
import { PreconditionFailedError, type Storage } from './storage/types.ts';

export const STATE_KEY = `${DEPLOY_PREFIX}state.json`;
export const STATE_VERSION = 1;
/** Consecutive failed runs after which a key is a dead letter. */
export const DEAD_LETTER_RUNS = 3;
/** R2: at most one write per second to one key. */
export const MIN_STATE_WRITE_INTERVAL_MS = 1_000;

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

export interface DeployState {
  version: typeof STATE_VERSION;
  /** Key -> SHA-256 (hex) of the bytes in storage. */
  keys: Record<string, string>;
  failures: Record<string, KeyFailure>;
  last_deploy: LastDeploy | null;
  /** URLs whose purge failed; the next deploy purges them first. */
  pending_purge: string[];
  updated_at: string;
}

export function emptyState(): DeployState {
  return { version: STATE_VERSION, keys: {}, failures: {}, last_deploy: null, pending_purge: [], updated_at: '' };
}

export function isDeadLetter(failure: KeyFailure): boolean {
  return failure.runs >= DEAD_LETTER_RUNS;
}

function parseState(bytes: Buffer, where: string): DeployState {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DeployError(`${where} is not valid JSON; restore it from the bucket's history or delete it to redeploy everything`, { cause: error });
  }
  const s = value as Partial<DeployState>;
  if (s === null || typeof s !== 'object' || s.version !== STATE_VERSION || typeof s.keys !== 'object' || s.keys === null) {
    throw new DeployError(`${where} is not a deploy state of version ${STATE_VERSION} (written by another release of memora-cdn?)`);
  }
  return { version: STATE_VERSION, keys: s.keys, failures: s.failures ?? {}, last_deploy: s.last_deploy ?? null, pending_purge: Array.isArray(s.pending_purge) ? s.pending_purge : [], updated_at: s.updated_at ?? '' };
}

/** Sorted keys, so the state file is stable and diffable. */
function serialize(state: DeployState): Buffer {
  const sorted = <T>(record: Record<string, T>): Record<string, T> => Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k] as T]));
  return Buffer.from(JSON.stringify({ ...state, keys: sorted(state.keys), failures: sorted(state.failures) }), 'utf8');
}

/** The state read from storage, and its conditional, rate-limited writes. */
export class StateStore {
  /** When this run last wrote the state (0: not yet). */
  private lastWrite = 0;
  private dirty = false;
  /** When the state was read: checkpoints count their one-second spacing from here, so a short deploy writes once, at the end. */
  private readonly loadedAt: number;

  private constructor(
    private readonly storage: Storage,
    readonly state: DeployState,
    private etag: string | null,
    private readonly now: () => number,
    private readonly retry: RetryPolicy,
  ) {
    this.loadedAt = now();
  }

  static async load(storage: Storage, options: { now?: () => number; retry?: RetryPolicy } = {}): Promise<StateStore> {
    const retry = options.retry ?? STORAGE_RETRY;
    const found = await retryStorage(() => storage.get(STATE_KEY), retry);
    const state = found ? parseState(found.body, `${storage.description}: ${STATE_KEY}`) : emptyState();
    return new StateStore(storage, state, found?.etag ?? null, options.now ?? Date.now, retry);
  }

  /** True when the bucket had no state yet (first deploy). */
  get isNew(): boolean {
    return this.etag === null;
  }

  recordUpload(key: string, hash: string): void {
    this.state.keys[key] = hash;
    delete this.state.failures[key];
    this.dirty = true;
  }

  recordDelete(key: string): void {
    delete this.state.keys[key];
    delete this.state.failures[key];
    this.dirty = true;
  }

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

  setPendingPurge(urls: readonly string[]): void {
    this.state.pending_purge = [...urls];
    this.dirty = true;
  }

  setLastDeploy(last: LastDeploy): void {
    this.state.last_deploy = last;
    this.dirty = true;
  }

  /** Writes the state if it changed and a second has passed since the last write (progress checkpoints). */
  async checkpoint(): Promise<void> {
    if (this.dirty && this.now() - Math.max(this.lastWrite, this.loadedAt) >= MIN_STATE_WRITE_INTERVAL_MS) await this.write();
  }

  /** Writes the state if it changed, waiting out the one-write-per-second limit. */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    const wait = this.lastWrite + MIN_STATE_WRITE_INTERVAL_MS - this.now();
    if (this.lastWrite > 0 && wait > 0) await sleep(wait);
    await this.write();
  }

  private async write(): Promise<void> {
    this.state.updated_at = new Date(this.now()).toISOString();
    const body = serialize(this.state);
    const condition = this.etag === null ? { ifNoneMatch: '*' as const } : { ifMatch: this.etag };
    try {
      const { etag } = await retryStorage(async (attempt) => {
        try {
          return await this.storage.put(STATE_KEY, body, { contentType: 'application/json; charset=utf-8', cacheControl: 'no-store', ...condition });
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
      this.lastWrite = this.now();
      this.dirty = false;
    } catch (error) {
      if (error instanceof PreconditionFailedError) {
        throw new DeployError(
          `another deploy changed ${STATE_KEY} in ${this.storage.description} while this one ran; this run stops without recording its work ` +
            '(what it uploaded is in the bucket and the next deploy finds it). Deploys to one bucket must not overlap: check the concurrency group of the workflow',
          { cause: error },
        );
      }
      throw error;
    }
  }
}
