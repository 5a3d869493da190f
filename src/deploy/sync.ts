/**
 * Carries out a diff against storage: uploads by phase (a file only after everything it links),
 * then deletions, recording in the state only what reached storage. A file whose upload fails
 * holds back every file that links it (they keep their deployed version), and deletions wait
 * until a run has uploaded everything, so no published file ever links a missing or stale one.
 * Every write first checks that the deploy still holds the lease (state.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { sha256 } from '../build/files.ts';
import type { Logger } from '../log.ts';
import type { RetryPolicy } from '../io/retry.ts';
import { deletionBatches, uploadBatches, type Diff } from './diff.ts';
import type { OutTree } from './inventory.ts';
import { cacheControlFor, CONTENT_TYPE } from './kinds.ts';
import { failureMessage, retryStorage, STORAGE_RETRY, type RetryCounter } from './retry.ts';
import type { StateStore } from './state.ts';
import type { Storage } from './storage/types.ts';

/** DeleteObjects takes at most 1,000 keys. */
export const DELETE_BATCH = 1_000;

export interface SyncOptions {
  storage: Storage;
  tree: Pick<OutTree, 'outDir' | 'links'>;
  diff: Diff;
  state: StateStore;
  concurrency: number;
  retry?: RetryPolicy;
  log: Logger;
  /** Clock for failure records. */
  now?: () => Date;
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
  /** Files held back because a file they link failed. */
  heldBack: string[];
  /** Deletions postponed because an upload failed. */
  postponed: string[];
  bytes: number;
  retries: number;
}

export async function syncTree(options: SyncOptions): Promise<SyncResult> {
  const { storage, tree, diff, state, log } = options;
  const retry = options.retry ?? STORAGE_RETRY;
  const now = options.now ?? (() => new Date());
  const limit = pLimit(options.concurrency);
  const counter: RetryCounter = { retries: 0 };
  const result: SyncResult = { uploaded: [], deleted: [], failures: [], heldBack: [], postponed: [], bytes: 0, retries: 0 };
  const blocked = new Set<string>();
  const fail = (key: string, op: SyncFailure['op'], error: string): void => {
    result.failures.push({ key, op, error });
    state.recordFailure(key, op, error, now().toISOString());
  };

  const batches = uploadBatches(diff);
  const total = batches.reduce((n, b) => n + b.length, 0);
  let done = 0;
  for (const batch of batches) {
    await Promise.all(
      batch.map((file) =>
        limit(async () => {
          const failedChild = (tree.links.get(file.key) ?? []).find((child) => blocked.has(child));
          if (failedChild !== undefined) {
            blocked.add(file.key);
            result.heldBack.push(file.key);
            fail(file.key, 'upload', `held back: it links ${failedChild}, which could not be uploaded`);
            state.settleUntouched(file.key);
            return;
          }
          // Outside the try: a deploy that lost its lease stops instead of recording a failure.
          state.assertHeld();
          try {
            const bytes = await readFile(path.join(tree.outDir, ...file.key.split('/')));
            await retryStorage(() => storage.put(file.key, bytes, { contentType: CONTENT_TYPE, cacheControl: cacheControlFor(file.kind) }), retry, counter);
            state.recordUpload(file.key, sha256(bytes));
            result.uploaded.push(file.key);
            result.bytes += bytes.length;
            log.verbose(`uploaded ${file.key} (${bytes.length} bytes)`);
          } catch (error) {
            blocked.add(file.key);
            fail(file.key, 'upload', failureMessage(error));
            log.warn(`upload of ${file.key} failed: ${failureMessage(error)}`);
          } finally {
            log.progress('uploading', ++done, total);
          }
        }),
      ),
    );
    await state.checkpoint();
  }
  log.progressDone();

  const deletions = deletionBatches(diff);
  if (blocked.size > 0) {
    result.postponed = deletions.flat();
    for (const key of result.postponed) state.settleUntouched(key);
    if (result.postponed.length > 0) log.warn(`${result.postponed.length} deletion(s) postponed to the next deploy: some uploads failed, and their old versions may still link the files to delete`);
  } else {
    for (const keys of deletions) {
      const chunks: string[][] = [];
      for (let i = 0; i < keys.length; i += DELETE_BATCH) chunks.push(keys.slice(i, i + DELETE_BATCH));
      await Promise.all(
        chunks.map((chunk) =>
          limit(async () => {
            let pending = chunk;
            state.assertHeld();
            try {
              await retryStorage(async () => {
                const outcome = await storage.deleteMany(pending);
                for (const key of outcome.deleted) {
                  state.recordDelete(key);
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
              for (const key of pending) fail(key, 'delete', failureMessage(error));
              log.warn(`deletion of ${pending.length} key(s) failed: ${failureMessage(error)}`);
            }
          }),
        ),
      );
      await state.checkpoint();
    }
  }
  result.retries = counter.retries;
  return result;
}
