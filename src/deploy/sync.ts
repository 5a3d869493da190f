/**
 * Carries out a deploy plan against storage (plan.ts): versions, then aliases batch by batch,
 * then deletions, recording in the state only what reached storage. An alias whose version is
 * broken (its upload failed, or it needs a file whose upload failed) is held back and keeps its
 * deployed bytes, and deletions wait for a run in which nothing failed, so no reachable file
 * ever links a missing one or names other bytes. Every write first checks that the deploy still
 * holds the lease (state.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { sha256 } from '../io/hash.ts';
import { DeployError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RetryPolicy } from '../io/retry.ts';
import { cacheControlFor, CONTENT_TYPE } from '../../packages/client/src/layout.ts';
import { brokenSteps, bucketDeletions, bucketUploads, dependencySteps, type DeployPlan, type UploadStep } from './plan.ts';
import { failureMessage, retryStorage, STORAGE_RETRY, type RetryCounter } from './retry.ts';
import type { StateStore } from './state.ts';
import { MAX_DELETE_BATCH, type Storage } from './storage/types.ts';


export interface SyncOptions {
  storage: Storage;
  /** The bytes of a step's source (the output folder's file, or for a rollback the version in the bucket). */
  read: (step: UploadStep) => Promise<Buffer>;
  plan: DeployPlan;
  state: StateStore;
  concurrency: number;
  retry?: RetryPolicy;
  log: Logger;
  /** Clock for failure records. */
  now?: () => Date;
  /** Called as each upload or deletion reaches storage, once the state records it. */
  landed?: (key: string) => void;
}

export interface SyncFailure {
  key: string;
  op: 'upload' | 'delete';
  error: string;
}

export interface SyncResult {
  uploaded: string[];
  deleted: string[];
  failures: SyncFailure[];
  /** Aliases held back because their version is broken. */
  heldBack: string[];
  /** Deletions postponed because an upload failed. */
  postponed: string[];
  bytes: number;
  retries: number;
}

export async function syncTree(options: SyncOptions): Promise<SyncResult> {
  const { storage, plan, state, log } = options;
  const retry = options.retry ?? STORAGE_RETRY;
  const now = options.now ?? (() => new Date());
  const limit = pLimit(options.concurrency);
  const counter: RetryCounter = { retries: 0 };
  const result: SyncResult = { uploaded: [], deleted: [], failures: [], heldBack: [], postponed: [], bytes: 0, retries: 0 };
  const failed = new Set<string>();
  const fail = (key: string, op: SyncFailure['op'], error: string): void => {
    result.failures.push({ key, op, error });
    state.recordFailure(key, op, error, now().toISOString());
  };

  const writes = bucketUploads(plan).length;
  const graph = dependencySteps(plan);
  let done = 0;
  const upload = async (step: UploadStep, broken: ReadonlyMap<string, string>): Promise<void> => {
    const needed = step.requires.find((k) => broken.has(k));
    if (needed !== undefined) {
      failed.add(step.key);
      result.heldBack.push(step.key);
      fail(step.key, 'upload', `held back: it needs ${broken.get(needed)}, which could not be uploaded`);
      state.settleUntouched(step.key);
      return;
    }
    if (!step.inBucket) {
      // The name of a file stored as its version only: its version is in place, so it is current.
      state.recordUpload(step.key, step.hash, now().toISOString());
      return;
    }
    // Outside the try: a deploy that lost its lease stops instead of recording a failure.
    state.assertHeld();
    try {
      const bytes = await options.read(step);
      if (sha256(bytes) !== step.hash) throw new DeployError(`the bytes of ${step.source} in the output folder changed since the build: run \`deploy --full\` (it renders every file again)`);
      // Every attempt checks the lease again, and is given up if the lease runs low meanwhile.
      await retryStorage(() => storage.put(step.key, bytes, { contentType: CONTENT_TYPE, cacheControl: cacheControlFor(step.key), signal: state.writeSignal(), sha256: step.hash }), retry, counter);
      state.recordUpload(step.key, step.hash, now().toISOString());
      options.landed?.(step.key);
      result.uploaded.push(step.key);
      result.bytes += bytes.length;
      log.verbose(`uploaded ${step.key} (${bytes.length} bytes)`);
    } catch (error) {
      // A lease lost meanwhile stops the deploy (the failed attempt is not this key's fault).
      state.assertHeld();
      failed.add(step.key);
      fail(step.key, 'upload', failureMessage(error));
      log.warn(`upload of ${step.key} failed: ${failureMessage(error)}`);
    } finally {
      log.progress('uploading', ++done, writes);
    }
  };
  for (const batch of [plan.versions, ...plan.aliases]) {
    const broken = brokenSteps(graph, failed);
    await Promise.all(batch.map((step) => limit(() => upload(step, broken))));
    await state.checkpoint();
  }
  log.progressDone();

  const deletions = [...new Set(bucketDeletions(plan).map((d) => d.key))];
  const strays = new Set(plan.deletions.filter((d) => d.reason === 'stray').map((d) => d.key));
  if (failed.size > 0) {
    result.postponed = deletions;
    for (const key of deletions) state.settleUntouched(key);
    if (deletions.length > 0) log.warn(`${deletions.length} deletion(s) postponed to the next deploy: some uploads failed, and the files they would have replaced may still link the files to delete`);
  } else {
    // Names of files stored as their version only that left the tree: nothing in the bucket to delete.
    for (const d of plan.deletions) if (!d.inBucket) state.recordDelete(d.key, now().toISOString());
    const chunks: string[][] = [];
    for (let i = 0; i < deletions.length; i += MAX_DELETE_BATCH) chunks.push(deletions.slice(i, i + MAX_DELETE_BATCH));
    await Promise.all(
      chunks.map((chunk) =>
        limit(async () => {
          let pending = chunk;
          state.assertHeld();
          try {
            await retryStorage(async () => {
              const outcome = await storage.deleteMany(pending, { signal: state.writeSignal() });
              for (const key of outcome.deleted) {
                if (strays.has(key)) state.recordStrayDeleted(key);
                else state.recordDelete(key, now().toISOString());
                options.landed?.(key);
                result.deleted.push(key);
                log.verbose(`deleted ${key}`);
              }
              pending = outcome.failed.map((f) => f.key);
              const transient = outcome.failed.find((f) => f.error.transient);
              if (transient) throw transient.error;
              for (const f of outcome.failed) {
                fail(f.key, 'delete', failureMessage(f.error));
              }
              pending = [];
            }, retry, counter);
          } catch (error) {
            state.assertHeld();
            for (const key of pending) fail(key, 'delete', failureMessage(error));
            log.warn(`deletion of ${pending.length} key(s) failed: ${failureMessage(error)}`);
          }
        }),
      ),
    );
    await state.checkpoint();
  }
  result.retries = counter.retries;
  return result;
}

/** Reads a step's bytes from the output folder. */
export function readFromOut(outDir: string): (step: UploadStep) => Promise<Buffer> {
  return (step) => readFile(path.join(outDir, ...step.source.split('/')));
}
