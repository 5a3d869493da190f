/**
 * What `verify` concludes from a listing of the bucket and the deploy state, without I/O: which
 * objects the state says are there and are not (missing), and which objects of the CDN tree are
 * there that no deployed file, noncurrent version or unsettled key accounts for (orphaned).
 */
import { kindOfKey, storedKeys } from '../../packages/client/src/layout.ts';

export interface Expected {
  /** SHA-256 of the bytes the object should hold. */
  hash: string;
  /** The file (its name in the output folder) the object belongs to. */
  alias: string;
}

export interface BucketFindings {
  /** Every object the state says the bucket holds: each file's version and, unless it is stored as its version only, its alias. */
  expected: Map<string, Expected>;
  missing: string[];
  orphaned: string[];
  /** Objects outside the CDN tree (videos and other assets): not the deploy's to judge. */
  others: number;
}

export function bucketFindings(
  keys: Readonly<Record<string, string>>,
  noncurrent: Readonly<Record<string, string>>,
  isUnsettled: (key: string) => boolean,
  bucket: ReadonlyMap<string, string>,
): BucketFindings {
  const expected = new Map<string, Expected>();
  for (const [alias, hash] of Object.entries(keys)) for (const key of storedKeys(alias, hash)) expected.set(key, { hash, alias });
  const missing = [...expected.keys()].filter((k) => !bucket.has(k)).sort();
  // Noncurrent versions stay for the retention period.
  const orphaned = [...bucket.keys()].filter((k) => !expected.has(k) && noncurrent[k] === undefined && !isUnsettled(k) && kindOfKey(k) !== null).sort();
  const others = [...bucket.keys()].filter((k) => kindOfKey(k) === null).length;
  return { expected, missing, orphaned, others };
}
