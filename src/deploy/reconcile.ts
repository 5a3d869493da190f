/**
 * Reconciling the deploy state with the bucket itself, after a deploy that did not finish cleanly
 * (killed, failed, lost its state write) or when there is no state to trust. One listing with
 * ETags (about 13 requests for 12,000 objects) says what the bucket holds; the ETag of a
 * single-part object is the MD5 of its bytes, compared with the output folder's file; a version
 * object (layout.ts) is immutable, so its presence is enough.
 *
 * `reconcileKeys` is the decision, without I/O; `reconcileWithBucket` lists and reads.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { md5Hex } from '../build/files.ts';
import type { OutTree } from './inventory.ts';
import { DEPLOY_PREFIX, kindOfKey, parseKey, versionKey, type ParsedKey } from '../client/layout.ts';
import type { Storage } from './storage/types.ts';

export interface ReconcileInput {
  /** What the state says is in the bucket. */
  keys: Readonly<Record<string, string>>;
  /** Keys the state says may hold other bytes. */
  unsettled: ReadonlySet<string>;
  /** Noncurrent versions the state knows, with when they stopped being current. */
  noncurrent: Readonly<Record<string, string>>;
  /** Now, for versions found that the state did not know. */
  at: string;
  /** The bucket's listing: key -> ETag (quotes included), objects of the CDN tree only. */
  listing: ReadonlyMap<string, string>;
  /** The output folder's file for a key: its SHA-256 and MD5 (hex), or null when the build has none. */
  local: (key: string) => { hash: string; md5: string } | null;
}

export interface Reconciled {
  /** Keys whose bytes in the bucket are known, with their SHA-256. */
  keys: Record<string, string>;
  /** Keys in the bucket whose bytes are not those of the output folder, or that the build does not have. */
  unsettled: string[];
  /** Versions in the bucket that are not the current version of their alias, with since when. */
  noncurrent: Record<string, string>;
  /** Keys the state had unsettled that turned out to hold the output folder's bytes: their bytes changed under the CDN's cache. */
  landed: string[];
}

/** Whether an ETag is the MD5 of the object's bytes (single-part uploads; a multipart ETag has `-N`). */
export function isMd5Etag(etag: string): boolean {
  return /^"?[0-9a-f]{32}"?$/i.test(etag);
}

export function reconcileKeys(input: ReconcileInput): Reconciled {
  const keys: Record<string, string> = {};
  const unsettled: string[] = [];
  const landed: string[] = [];
  const versions = new Set<string>();
  for (const key of input.listing.keys()) if (parseKey(key)?.version) versions.add(key);
  for (const [key, etag] of input.listing) {
    if (versions.has(key)) continue;
    const local = input.local(key);
    if (local !== null) {
      // Known only with its version beside it: parents link the version, not the alias.
      if (isMd5Etag(etag) && etag.replace(/"/g, '').toLowerCase() === local.md5 && versions.has(versionKey(key, local.hash))) {
        keys[key] = local.hash;
        if (input.unsettled.has(key)) landed.push(key);
      } else {
        unsettled.push(key);
      }
      continue;
    }
    // Outside this build (another plan's file in a --plan deploy, or a file to delete): the state
    // is right about a key no deploy was about to touch; anything else is unknown.
    const known = input.keys[key];
    if (known !== undefined && !input.unsettled.has(key)) keys[key] = known;
    else unsettled.push(key);
  }
  // Versions are immutable: one in the bucket holds the bytes its key names. Those that are not
  // the current version of a known alias are noncurrent, since when the state says, or now.
  const noncurrent: Record<string, string> = {};
  for (const key of versions) {
    const alias = (parseKey(key) as ParsedKey).alias;
    const current = keys[alias];
    if (current !== undefined && versionKey(alias, current) === key) continue;
    noncurrent[key] = input.noncurrent[key] ?? input.at;
  }
  // What the state has but the bucket lacks is simply gone: the diff uploads it again.
  return { keys, unsettled: unsettled.sort(), noncurrent, landed: landed.sort() };
}

const READ_CONCURRENCY = 32;

/** Lists the bucket and reconciles the state's view of it with the output folder. */
export async function reconcileWithBucket(
  storage: Storage,
  tree: Pick<OutTree, 'outDir' | 'files'>,
  state: Pick<ReconcileInput, 'keys' | 'unsettled' | 'noncurrent' | 'at'>,
): Promise<Reconciled & { listed: number }> {
  const listing = new Map<string, string>();
  for await (const object of storage.list('')) {
    if (object.key.startsWith(DEPLOY_PREFIX) || kindOfKey(object.key) === null) continue;
    listing.set(object.key, object.etag);
  }
  // MD5 of the output folder's files that the bucket has as single-part objects.
  const md5 = new Map<string, string>();
  const limit = pLimit(READ_CONCURRENCY);
  await Promise.all(
    [...listing]
      .filter(([key, etag]) => tree.files.has(key) && isMd5Etag(etag))
      .map(([key]) =>
        limit(async () => {
          const bytes = await readFile(path.join(tree.outDir, ...key.split('/')));
          md5.set(key, md5Hex(bytes));
        }),
      ),
  );
  const result = reconcileKeys({
    ...state,
    listing,
    local: (key) => {
      const file = tree.files.get(key);
      return file ? { hash: file.hash, md5: md5.get(key) ?? '' } : null;
    },
  });
  return { ...result, listed: listing.size };
}
