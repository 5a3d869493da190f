/**
 * The `directory` storage provider: the bucket is a local folder (CDN_DIRECTORY), for previews,
 * tests and self-hosting behind any static web server.
 *
 * Layout under the root, for a key `subjects/math.json`:
 *   subjects/math.json                 the object's bytes, exactly as put
 *   subjects/.math.json.meta.json      its metadata: ETag, size, mtime, content type, cache control
 *   subjects/.math.json.lock           present only while a write or delete of the key runs
 * Keys are relative paths of non-empty segments that never start with a dot, so these hidden
 * names (and writeFileAtomic's `.<name>.<random>.tmp-memora` files) cannot collide with an object;
 * listing skips every dot-name. Keys that are absolute or contain `..`/`.`-leading segments,
 * empty segments, backslashes or NUL are refused.
 *
 * ETags are the quoted MD5 hex of the bytes, as S3 gives for single PUTs. The metadata file keeps
 * the ETag with the size and mtime it was computed for; when the object file was changed behind
 * our back (they differ), the ETag is computed from the bytes instead.
 *
 * Writes are atomic (temporary file, rename). Conditional writes are enforced: every write and
 * delete of a key runs under that key's lock, serialized within the process and, across
 * processes, by an exclusive lock file (`open(..., 'wx')`) held around compare-and-write. A lock
 * file older than `staleLockMs` (60 s) is never broken silently: that is a StorageError saying
 * which file to remove once no other run is writing to the folder.
 */
import { mkdir, open, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../../io/atomic.ts';
import { compareCodePoints } from '../../io/compare.ts';
import { md5Etag } from '../../io/hash.ts';
import {
  abandonedError,
  assertDeleteBatch,
  emptyCounts,
  PreconditionFailedError,
  StorageError,
  type DeleteOptions,
  type DeleteResult,
  type ObjectInfo,
  type PutOptions,
  type Storage,
  type StoredObject,
} from './types.ts';

export interface DirectoryStorageOptions {
  /** Flush each write to disk (default true). */
  fsync?: boolean;
  /** A lock file older than this is reported as stale instead of waited for (default 60 s). */
  staleLockMs?: number;
  /** Longest wait for another process's lock on a key (default 10 s); then a transient error. */
  lockWaitMs?: number;
}

const META_SUFFIX = '.meta.json';
const LOCK_SUFFIX = '.lock';

interface Meta {
  etag: string;
  size: number;
  mtimeMs: number;
  contentType?: string;
  cacheControl?: string;
}

export function createDirectoryStorage(root: string, options: DirectoryStorageOptions = {}): Storage {
  const base = path.resolve(root);
  const fsync = options.fsync ?? true;
  const staleLockMs = options.staleLockMs ?? 60_000;
  const lockWaitMs = options.lockWaitMs ?? 10_000;
  const description = `directory ${base}`;
  const requests = emptyCounts();
  /** The tail of each key's queue of writes and deletes in this process. */
  const queues = new Map<string, Promise<unknown>>();

  const objectPath = (key: string) => path.join(base, ...key.split('/'));
  const sidePath = (key: string, suffix: string) => {
    const file = objectPath(key);
    return path.join(path.dirname(file), `.${path.basename(file)}${suffix}`);
  };

  function fail(operation: string, key: string, error: unknown): StorageError {
    if (error instanceof StorageError) return error;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const transient = code !== undefined && ['EMFILE', 'ENFILE', 'EBUSY', 'EAGAIN', 'EINTR', 'ETIMEDOUT'].includes(code);
    let hint = '';
    if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR') {
      hint = ': a folder cannot hold both an object and objects under the same name (e.g. `a` and `a/b`)';
    } else if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      hint = ': check that CDN_DIRECTORY is writable';
    } else if (code === 'ENOSPC') {
      hint = ': the disk is full';
    }
    const message = error instanceof Error ? error.message : String(error);
    const init: { transient: boolean; code?: string; cause: unknown } = { transient, cause: error };
    if (code !== undefined) init.code = code;
    return new StorageError(`${operation} ${key} on ${description} failed: ${message}${hint}`, init);
  }

  async function readMeta(key: string): Promise<Meta | undefined> {
    try {
      const parsed = JSON.parse(await readFile(sidePath(key, META_SUFFIX), 'utf8')) as Partial<Meta>;
      if (typeof parsed.etag !== 'string' || typeof parsed.size !== 'number' || typeof parsed.mtimeMs !== 'number') return undefined;
      return parsed as Meta;
    } catch {
      return undefined;
    }
  }

  /** The object's size and ETag, or null when there is no such object. */
  async function currentInfo(key: string): Promise<{ etag: string; size: number; meta: Meta | undefined } | null> {
    const file = objectPath(key);
    let st;
    try {
      st = await stat(file);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    if (!st.isFile()) return null;
    const meta = await readMeta(key);
    if (meta && meta.size === st.size && meta.mtimeMs === st.mtimeMs) return { etag: meta.etag, size: st.size, meta };
    try {
      const bytes = await readFile(file);
      return { etag: md5Etag(bytes), size: bytes.length, meta };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** Runs `task` with the key locked: after this process's earlier tasks on it, holding its lock file. */
  function withKeyLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = async () => {
      const release = await acquireLockFile(key);
      try {
        return await task();
      } finally {
        await release();
      }
    };
    const previous = queues.get(key) ?? Promise.resolve();
    const result = previous.then(run, run);
    const tail = result.catch(() => undefined);
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return result;
  }

  async function acquireLockFile(key: string): Promise<() => Promise<void>> {
    const lock = sidePath(key, LOCK_SUFFIX);
    const deadline = Date.now() + lockWaitMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      await mkdir(path.dirname(lock), { recursive: true });
      try {
        const handle = await open(lock, 'wx');
        try {
          await handle.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }));
        } finally {
          await handle.close();
        }
        return () => rm(lock, { force: true });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // ENOENT: a deletion removed the empty folder between mkdir and open; try again.
        if (code !== 'EEXIST' && code !== 'ENOENT') throw error;
      }
      const age = await stat(lock).then(
        (st) => Date.now() - st.mtimeMs,
        () => undefined,
      );
      if (age !== undefined && age > staleLockMs) {
        const holder = await readFile(lock, 'utf8').catch(() => '');
        throw new StorageError(
          `${key} on ${description} is locked by ${lock}, which is ${Math.round(age / 1000)} s old (${holder || 'no holder recorded'}): ` +
            'a run probably stopped while writing it. Remove that file if no other memora-cdn run is writing to this folder, then run again.',
          { transient: false, code: 'StaleLock' },
        );
      }
      if (Date.now() > deadline) {
        throw new StorageError(`${key} on ${description} stayed locked by another process for ${lockWaitMs} ms (${lock})`, { transient: true, code: 'LockTimeout' });
      }
      await sleep(delay);
    }
  }

  /** Removes the now empty folders above a deleted object, up to the root. */
  async function pruneFolders(key: string): Promise<void> {
    let dir = path.dirname(objectPath(key));
    while (dir.length > base.length && dir.startsWith(base + path.sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop here
      }
      dir = path.dirname(dir);
    }
  }

  return {
    description,
    bucket: base,
    requests,

    async get(key: string): Promise<StoredObject | null> {
      checkKey(key);
      requests.get++;
      try {
        let body: Buffer;
        try {
          body = await readFile(objectPath(key));
        } catch (error) {
          if (isMissing(error)) return null;
          throw error;
        }
        const object: StoredObject = { body, etag: md5Etag(body) };
        const meta = await readMeta(key);
        if (meta?.contentType !== undefined) object.contentType = meta.contentType;
        if (meta?.cacheControl !== undefined) object.cacheControl = meta.cacheControl;
        return object;
      } catch (error) {
        throw fail('get', key, error);
      }
    },

    async head(key: string) {
      checkKey(key);
      requests.head++;
      try {
        const info = await currentInfo(key);
        if (!info) return null;
        const out: ObjectInfo & { contentType?: string; cacheControl?: string } = { key, etag: info.etag, size: info.size };
        if (info.meta?.contentType !== undefined) out.contentType = info.meta.contentType;
        if (info.meta?.cacheControl !== undefined) out.cacheControl = info.meta.cacheControl;
        return out;
      } catch (error) {
        throw fail('head', key, error);
      }
    },

    async put(key: string, body: Buffer, putOptions: PutOptions): Promise<{ etag: string }> {
      checkKey(key);
      if (putOptions.signal?.aborted) throw abandonedError(`put ${key}`, description, putOptions.signal);
      requests.put++;
      try {
        return await withKeyLock(key, async () => {
          if (putOptions.ifMatch !== undefined || putOptions.ifNoneMatch !== undefined) {
            const current = await currentInfo(key);
            if (putOptions.ifNoneMatch === '*' && current !== null) throw new PreconditionFailedError(key);
            if (putOptions.ifMatch !== undefined && (current === null || !sameEtag(putOptions.ifMatch, current.etag))) {
              throw new PreconditionFailedError(key);
            }
          }
          const etag = md5Etag(body);
          const file = objectPath(key);
          await writeFileAtomic(file, body, { fsync });
          const st = await stat(file);
          const meta: Meta = { etag, size: st.size, mtimeMs: st.mtimeMs, contentType: putOptions.contentType, cacheControl: putOptions.cacheControl };
          await writeFileAtomic(sidePath(key, META_SUFFIX), `${JSON.stringify(meta)}\n`, { fsync });
          return { etag };
        });
      } catch (error) {
        throw fail('put', key, error);
      }
    },

    async deleteMany(keys: readonly string[], deleteOptions: DeleteOptions = {}): Promise<DeleteResult> {
      assertDeleteBatch(keys);
      if (keys.length === 0) return { deleted: [], failed: [] };
      if (deleteOptions.signal?.aborted) throw abandonedError(`delete ${keys.length} keys from ${keys[0]}`, description, deleteOptions.signal);
      requests.delete++;
      const result: DeleteResult = { deleted: [], failed: [] };
      const outcomes = await Promise.all(
        keys.map(async (key) => {
          try {
            checkKey(key);
            if (!(await isFile(objectPath(key)))) {
              // Nothing to delete (a missing key counts as deleted); drop a stray metadata file.
              await rm(sidePath(key, META_SUFFIX), { force: true }).catch(() => undefined);
              return { key };
            }
            await withKeyLock(key, async () => {
              await rm(objectPath(key), { force: true });
              await rm(sidePath(key, META_SUFFIX), { force: true });
            });
            await pruneFolders(key);
            return { key };
          } catch (error) {
            // A key under an object (`a/b` when `a` is a file) cannot exist: it counts as deleted.
            if (isMissing(error)) return { key };
            return { key, error: fail('delete', key, error) };
          }
        }),
      );
      for (const o of outcomes) {
        if (o.error) result.failed.push({ key: o.key, error: o.error });
        else result.deleted.push(o.key);
      }
      return result;
    },

    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      checkPrefix(prefix);
      requests.list++;
      let keys: string[];
      try {
        keys = await walkKeys(base, prefix);
      } catch (error) {
        throw fail('list', `${prefix}*`, error);
      }
      // S3's key order: by UTF-8 bytes, which is code-point order.
      keys.sort(compareCodePoints);
      for (const key of keys) {
        let info;
        try {
          info = await currentInfo(key);
        } catch (error) {
          throw fail('list', key, error);
        }
        if (info) yield { key, etag: info.etag, size: info.size };
      }
    },

    async close(): Promise<void> {
      await Promise.all([...queues.values()]);
    },
  };
}

/** Throws unless `key` is a safe relative object key (see the header). */
export function checkKey(key: string): void {
  const problem = keyProblem(key, false);
  if (problem) throw new StorageError(`invalid key ${JSON.stringify(key)}: ${problem}`, { transient: false, code: 'InvalidKey' });
}

function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  const problem = keyProblem(prefix, true);
  if (problem) throw new StorageError(`invalid prefix ${JSON.stringify(prefix)}: ${problem}`, { transient: false, code: 'InvalidKey' });
}

function keyProblem(key: string, isPrefix: boolean): string | undefined {
  if (typeof key !== 'string' || key === '') return 'empty';
  if (key.includes('\0')) return 'contains NUL';
  if (key.includes('\\')) return 'contains a backslash';
  if (key.startsWith('/') || path.isAbsolute(key) || /^[A-Za-z]:/.test(key)) return 'is absolute';
  if (Buffer.byteLength(key) > 1024) return 'is longer than 1024 bytes';
  const segments = key.split('/');
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (segment === '' && !(isPrefix && last)) return 'has an empty path segment';
    if (segment === '..' || segment === '.') return 'has a . or .. segment';
    if (segment.startsWith('.')) return 'has a segment starting with a dot';
  }
  return undefined;
}

/** Every object key under `prefix` (unsorted), skipping dot-names (metadata, locks, temp files). */
async function walkKeys(base: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  const cut = prefix.lastIndexOf('/');
  const startRel = cut === -1 ? '' : prefix.slice(0, cut);
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(rel === '' ? base : path.join(base, ...rel.split('/')), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const key = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        // Only folders that can hold keys with the prefix.
        const folder = `${key}/`;
        if (folder.startsWith(prefix) || prefix.startsWith(folder)) await walk(key);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        keys.push(key);
      }
    }
  };
  await walk(startRel);
  return keys;
}

function sameEtag(a: string, b: string): boolean {
  const bare = (s: string) => s.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return a.trim() === '*' || bare(a) === bare(b);
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
