/**
 * Reconciling the deploy state with the bucket itself, after a deploy that did not finish cleanly
 * (killed, failed, lost its state write) or when there is no state to trust. One listing with
 * ETags (about 25 requests for 12,000 files, each an alias and a version) says what the bucket
 * holds. A version object (layout.ts) is immutable, so its presence is enough; an alias holds the
 * wanted bytes when its ETag (for a single-part object, the MD5 of its bytes) equals its wanted
 * version's. A file stored as its version only (layout.ts, `hasAliasObject`) is in place when its
 * version is; an alias object of such a file, which earlier releases wrote, is a stray to delete.
 *
 * `reconcileKeys` is the decision, without I/O; `reconcileWithBucket` lists and reads.
 */
import { DEPLOY_PREFIX, hasAliasObject, isPurgedOnChange, isVersionOnlyAlias, kindOfKey, parseKey, versionKey, type ParsedKey } from '../../packages/client/src/layout.ts';
import type { RetryPolicy } from '../io/retry.ts';
import { retryStorage, STORAGE_RETRY } from './retry.ts';
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
  /**
   * Keys the state had unsettled that turned out to hold the output folder's bytes, or (aliases
   * the state knew) to be gone: their bytes changed under the CDN's cache.
   */
  landed: string[];
  /** Alias objects of files stored as their version only: to delete. */
  strays: string[];
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
  const strays: string[] = [];
  for (const [key, etag] of input.listing) {
    if (versions.has(key)) continue;
    if (isVersionOnlyAlias(key)) {
      strays.push(key);
      continue;
    }
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
  // Versions are immutable: one in the bucket holds the bytes its key names. A file stored as its
  // version only is in place when the version of its bytes is (for the output folder's files, the
  // version of their bytes; for others, the one the state names). Versions that are not the
  // current version of a known alias are noncurrent, since when the state says, or now.
  const noncurrent: Record<string, string> = {};
  for (const key of versions) {
    const { kind, alias } = parseKey(key) as ParsedKey;
    if (!hasAliasObject(kind)) {
      const local = input.local(alias);
      const hash = local !== null ? local.hash : input.unsettled.has(alias) ? undefined : input.keys[alias];
      if (hash !== undefined && versionKey(alias, hash) === key) keys[alias] = hash;
    }
    const current = keys[alias];
    if (current !== undefined && versionKey(alias, current) === key) continue;
    noncurrent[key] = input.noncurrent[key] ?? input.at;
  }
  // What the state has but the bucket lacks is simply gone: the diff uploads it again. An alias
  // an unfinished deploy was to write or delete that is gone was deleted under the cache.
  for (const key of input.unsettled) {
    if (!input.listing.has(key) && input.keys[key] !== undefined && isPurgedOnChange(key)) landed.push(key);
  }
  return { keys, unsettled: unsettled.sort(), noncurrent, landed: landed.sort(), strays: strays.sort() };
}

/**
 * Lists the bucket and reconciles the state's view of it with the files wanted (alias -> SHA-256).
 * An alias holds the wanted bytes when its ETag equals the ETag of the wanted version, which is
 * the MD5 of those same bytes: nothing needs to be read.
 */
export async function reconcileWithBucket(
  storage: Storage,
  files: ReadonlyMap<string, { hash: string }>,
  state: Pick<ReconcileInput, 'keys' | 'unsettled' | 'noncurrent' | 'at'>,
  retry: RetryPolicy = STORAGE_RETRY,
): Promise<Reconciled & { listed: number }> {
  // A transient fault on any page lists again from the start.
  const listing = await retryStorage(async () => {
    const found = new Map<string, string>();
    for await (const object of storage.list('')) {
      if (object.key.startsWith(DEPLOY_PREFIX) || kindOfKey(object.key) === null) continue;
      found.set(object.key, object.etag);
    }
    return found;
  }, retry);
  const result = reconcileKeys({
    ...state,
    listing,
    local: (key) => {
      const file = files.get(key);
      if (!file) return null;
      const etag = listing.get(versionKey(key, file.hash));
      return { hash: file.hash, md5: etag !== undefined && isMd5Etag(etag) ? etag.replace(/"/g, '').toLowerCase() : '' };
    },
  });
  return { ...result, listed: listing.size };
}
