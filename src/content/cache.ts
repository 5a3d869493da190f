import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CacheError } from '../errors.ts';
import { syncDirectory, TEMP_SUFFIX, writeFileAtomic } from '../io/atomic.ts';
import { cacheFileName, DOCTYPES, PARENT_DOCTYPES, type DocTypeName } from './doctypes.ts';
import type { StageMemo } from './stage-memo.ts';
import { LEGACY_SHAPE, shapeFromMeta, type ContentShape, type SiteMeta } from './fields.ts';
import type { RawDoc } from './raw.ts';
import { compareCodeUnits } from '../io/compare.ts';
import { digest } from '../io/hash.ts';
import { readDataFiles, type DataFileRead } from './data-files.ts';

/**
 * The content cache: the Frappe documents the pull stage fetched, as the build reads them.
 * Documented in docs/content-cache.md. Layout:
 *
 *   cache.json                           the index: format, version, one entry per DocType
 *   memora-lesson.<sha256:12>.jsonl      one document per line (children inline), sorted by name
 *
 * Data files are content-addressed and never rewritten in place; the index is replaced
 * atomically last. A crash at any moment leaves the previous index pointing at intact files.
 */
export const CACHE_FORMAT = 'memora-content-cache';
export const CACHE_FORMAT_VERSION = 1;
export const CACHE_INDEX_FILE = 'cache.json';

export interface CacheFileEntry {
  /** Data file name, relative to the cache folder. */
  file: string;
  /** Number of documents (lines) in the file. */
  count: number;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
}

export interface CacheIndex {
  format: typeof CACHE_FORMAT;
  format_version: number;
  doctypes: Partial<Record<DocTypeName, CacheFileEntry>>;
  /** State owned by the pull stage (watermarks and the like); the build ignores it. */
  sync?: unknown;
  /**
   * The site's DocType metadata, as pull read it (`frappe.desk.form.load.getdoctype`): which
   * fields and Select options the site has. The build reads the documents through it; a cache
   * without it reads as generation 002 (fields.ts LEGACY_SHAPE).
   */
  site_meta?: SiteMeta;
}

export type CacheDocs = Record<DocTypeName, RawDoc[]>;

/** Per DocType, each document's name -> a digest of its line in the data file (its fields and child rows). */
export type DocFingerprints = Record<DocTypeName, Map<string, string>>;

export interface LoadedCache {
  dir: string;
  index: CacheIndex;
  docs: CacheDocs;
  /** What tells one version of a document from another: the incremental build compares these. */
  fingerprints: DocFingerprints;
  /** What the site's DocTypes have (from `site_meta`). */
  shape: ContentShape;
}

function emptyDocs(): CacheDocs {
  return Object.fromEntries(PARENT_DOCTYPES.map((d) => [d, [] as RawDoc[]])) as unknown as CacheDocs;
}

/** Bytes buffered before a data file is written out, so large DocTypes never sit in memory as one string. */
const WRITE_CHUNK_CHARS = 1 << 20;

/**
 * Writes documents the way the cache stores them (sorted by name, one JSON per line) into a
 * content-addressed data file, streaming: returns the file's index entry.
 */
async function writeDataFile(dir: string, doctype: DocTypeName, docs: readonly RawDoc[], fsync: boolean): Promise<CacheFileEntry> {
  const sorted = [...docs].sort((a, b) => compareCodeUnits(a.name, b.name));
  const base = cacheFileName(doctype).replace(/\.jsonl$/, '');
  const temp = path.join(dir, `.${base}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  const hash = createHash('sha256');
  await mkdir(dir, { recursive: true });
  const handle = await open(temp, 'w');
  try {
    let chunk = '';
    const flush = async () => {
      const bytes = Buffer.from(chunk, 'utf8');
      hash.update(bytes);
      await handle.write(bytes);
      chunk = '';
    };
    for (const doc of sorted) {
      chunk += `${JSON.stringify(doc)}\n`;
      if (chunk.length >= WRITE_CHUNK_CHARS) await flush();
    }
    await flush();
    if (fsync) await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  const sha = hash.digest('hex');
  const file = `${base}.${sha.slice(0, 12)}.jsonl`;
  // Content-addressed: a file of that name already holds these exact bytes.
  if (await stat(path.join(dir, file)).catch(() => null)) await rm(temp, { force: true });
  else await rename(temp, path.join(dir, file));
  return { file, count: sorted.length, sha256: sha };
}

/** Reads the index, or null when the folder holds no cache yet. */
export async function readCacheIndex(dir: string): Promise<CacheIndex | null> {
  let text: string;
  try {
    text = await readFile(path.join(dir, CACHE_INDEX_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CacheError(`content cache ${dir}: cannot read ${CACHE_INDEX_FILE}`, { cause: error });
  }
  let index: CacheIndex;
  try {
    index = JSON.parse(text) as CacheIndex;
  } catch (error) {
    throw new CacheError(`content cache ${dir}: ${CACHE_INDEX_FILE} is not valid JSON`, { cause: error });
  }
  if (index === null || typeof index !== 'object' || index.format !== CACHE_FORMAT) {
    throw new CacheError(`content cache ${dir}: ${CACHE_INDEX_FILE} is not a memora content cache index (expected "format": "${CACHE_FORMAT}")`);
  }
  if (!Number.isInteger(index.format_version) || index.format_version < 1) {
    throw new CacheError(`content cache ${dir}: ${CACHE_INDEX_FILE} has no valid format_version`);
  }
  if (index.format_version > CACHE_FORMAT_VERSION) {
    throw new CacheError(
      `content cache ${dir} has format_version ${index.format_version}, but this memora-cdn reads up to ${CACHE_FORMAT_VERSION}: upgrade memora-cdn, or run \`pull --full\` into an empty folder`,
    );
  }
  if (index.doctypes === null || typeof index.doctypes !== 'object') {
    throw new CacheError(`content cache ${dir}: ${CACHE_INDEX_FILE} has no "doctypes" object`);
  }
  return migrateIndex(index);
}

/**
 * Brings an index of an older format version up to the current one. Version 1 is the first
 * format, so there is nothing to migrate yet; each later version adds a step here.
 */
function migrateIndex(index: CacheIndex): CacheIndex {
  return index;
}

export interface ReadCacheOptions {
  /** The index, read already (readCacheIndex): the data files are read as it names them. */
  index?: CacheIndex | null;
  /** The data files' bytes, being read already (startReading with the same index). */
  reading?: DataFileReads;
  /** Lesson lines the previous build parsed: their stages are left out until asked for (stage-memo.ts). */
  stageMemo?: StageMemo;
}

/** Per DocType, its data file as it is being read (startReading). */
export type DataFileReads = ReadonlyMap<DocTypeName, DataFileRead>;

/**
 * Starts reading the data files the index names (in a worker thread: data-files.ts), so that
 * the reads overlap what comes before readCache (an incremental build reads the record of the
 * previous build meanwhile). A failed read is reported by readCache, as it would be without this.
 */
export function startReading(dir: string, index: CacheIndex): DataFileReads {
  const doctypes = PARENT_DOCTYPES.filter((d) => validFileName(index.doctypes[d]?.file));
  const reads = readDataFiles(doctypes.map((d) => path.join(dir, index.doctypes[d]!.file)));
  return new Map(doctypes.map((d, i) => [d, reads[i]!]));
}

/** Reads the whole cache. Missing DocTypes read as empty; damage is a CacheError naming the file. */
export async function readCache(dir: string, options: ReadCacheOptions = {}): Promise<LoadedCache> {
  const index = options.index !== undefined ? options.index : await readCacheIndex(dir);
  if (!index) {
    throw new CacheError(
      `no content cache in ${dir}: run \`pull\` to fetch one, \`generate\` to make a synthetic one, or pass --cache samples/content-cache`,
    );
  }
  const docs = emptyDocs();
  const fingerprints = Object.fromEntries(PARENT_DOCTYPES.map((d) => [d, new Map<string, string>()])) as unknown as DocFingerprints;
  const reading = options.reading ?? startReading(dir, index);
  await Promise.all(
    PARENT_DOCTYPES.map(async (doctype) => {
      const entry = index.doctypes[doctype];
      if (entry) docs[doctype] = await readDataFile(dir, doctype, entry, fingerprints[doctype], doctype === DOCTYPES.lesson ? options.stageMemo : undefined, reading.get(doctype));
    }),
  );
  return { dir, index, docs, fingerprints, shape: shapeOfIndex(dir, index) };
}

/** The content shape a cache's documents are read through: its site metadata, or generation 002. */
function shapeOfIndex(dir: string, index: CacheIndex): ContentShape {
  const meta = index.site_meta;
  if (meta === undefined) return LEGACY_SHAPE;
  const valid =
    meta !== null &&
    typeof meta === 'object' &&
    Object.values(meta).every((fields) => Array.isArray(fields) && fields.every((f) => f !== null && typeof f === 'object' && typeof f.fieldname === 'string' && typeof f.fieldtype === 'string'));
  if (!valid) throw new CacheError(`content cache ${dir}: ${CACHE_INDEX_FILE} has a "site_meta" that is not DocType metadata; run \`pull --full\``);
  return shapeFromMeta(meta);
}

/** A data file's name as an index may give it: a plain file name in the cache folder. */
function validFileName(file: unknown): file is string {
  return typeof file === 'string' && !file.includes('/') && !file.includes('\\') && !file.startsWith('.');
}

async function readDataFile(
  dir: string,
  doctype: DocTypeName,
  entry: CacheFileEntry,
  fingerprints: Map<string, string>,
  stageMemo: StageMemo | undefined,
  reading: DataFileRead | undefined,
): Promise<RawDoc[]> {
  if (!validFileName(entry.file)) {
    throw new CacheError(`content cache ${dir}: ${CACHE_INDEX_FILE} names ${JSON.stringify(entry.file)} as the file of ${doctype}, which is not a file name in the cache folder; run \`pull --full\``);
  }
  // startReading reads every DocType whose file name is valid, from the same index.
  if (!reading) throw new Error(`content cache ${dir}: the file of ${doctype} was not being read`);
  const where = `content cache ${dir}: ${entry.file} (${doctype})`;
  const unreadable = (error: unknown) => new CacheError(`${where}: cannot read the file`, { cause: error });
  const [bytes, { spans, digests }] = await Promise.all([reading.bytes, reading.lines]).catch((error: unknown) => {
    throw unreadable(error);
  });
  // The checksum comes last from the reader: the lines are parsed meanwhile, and nothing read is
  // returned before it matches.
  const checksum = async () => {
    const sha = await reading.sha256.catch((error: unknown) => {
      throw unreadable(error);
    });
    if (sha !== entry.sha256) {
      throw new CacheError(`${where}: the file's checksum does not match ${CACHE_INDEX_FILE}; the cache is damaged, run \`pull --full\``);
    }
  };
  const docs: RawDoc[] = [];
  try {
    for (let n = 0; n < digests.length; n++) {
      const line = bytes.subarray(spans[3 * n], spans[3 * n + 1]);
      const lineNo = spans[3 * n + 2];
      const lineDigest = digests[n]!;
      let doc: unknown;
      try {
        doc = stageMemo ? stageMemo.read(line, lineDigest) : JSON.parse(line.toString('utf8'));
      } catch (error) {
        throw new CacheError(`${where}: line ${lineNo} is not valid JSON`, { cause: error });
      }
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || typeof (doc as RawDoc).name !== 'string') {
        throw new CacheError(`${where}: line ${lineNo} is not a document with a string "name"`);
      }
      docs.push(doc as RawDoc);
      // A name on several lines (the model reads the first and warns about the rest): all of them.
      const name = (doc as RawDoc).name;
      const earlier = fingerprints.get(name);
      fingerprints.set(name, earlier === undefined ? lineDigest : digest(Buffer.concat([Buffer.from(`${earlier}\n`), line])));
    }
    if (docs.length !== entry.count) {
      throw new CacheError(`${where}: holds ${docs.length} documents but ${CACHE_INDEX_FILE} says ${entry.count}`);
    }
  } catch (error) {
    // A damaged file shows first as a bad line or count: the checksum names the damage for what it is.
    await checksum();
    throw error;
  }
  await checksum();
  return docs;
}

export interface WriteCacheOptions {
  /** DocTypes whose whole document set is replaced; DocTypes not named keep their current files. */
  replace: Partial<Record<DocTypeName, readonly RawDoc[]>>;
  /** New pull-stage state for the index; `undefined` keeps the current one. */
  sync?: unknown;
  /** The site's DocType metadata; `undefined` keeps the current one. */
  siteMeta?: SiteMeta;
  /** Flush files to disk before the index names them (default true; tests may turn it off). */
  fsync?: boolean;
}

/**
 * Writes documents into the cache. New data files are written first under content-addressed
 * names, then the index is swapped atomically, then files no index names are removed.
 */
export async function writeCache(dir: string, options: WriteCacheOptions): Promise<CacheIndex> {
  const current = await readCacheIndex(dir);
  const index: CacheIndex = {
    format: CACHE_FORMAT,
    format_version: CACHE_FORMAT_VERSION,
    doctypes: { ...(current?.doctypes ?? {}) },
  };
  const sync = options.sync !== undefined ? options.sync : current?.sync;
  if (sync !== undefined) index.sync = sync;
  const siteMeta = options.siteMeta !== undefined ? options.siteMeta : current?.site_meta;
  if (siteMeta !== undefined) index.site_meta = siteMeta;

  for (const doctype of PARENT_DOCTYPES) {
    const docs = options.replace[doctype];
    if (docs) index.doctypes[doctype] = await writeDataFile(dir, doctype, docs, options.fsync ?? true);
  }
  // Keys in a fixed order so the index itself is deterministic.
  index.doctypes = Object.fromEntries(
    PARENT_DOCTYPES.filter((d) => index.doctypes[d]).map((d) => [d, index.doctypes[d]]),
  ) as CacheIndex['doctypes'];
  // The data files' renames must be on disk before the index that names them.
  if (options.fsync ?? true) await syncDirectory(dir);
  await writeFileAtomic(path.join(dir, CACHE_INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`, { fsync: options.fsync ?? true });
  await removeUnreferenced(dir, index);
  return index;
}

/** Removes data files and leftover temporary files that the index does not name. */
async function removeUnreferenced(dir: string, index: CacheIndex): Promise<void> {
  const keep = new Set(Object.values(index.doctypes).map((e) => e?.file));
  for (const name of await readdir(dir)) {
    const stale = (name.endsWith('.jsonl') && !keep.has(name)) || name.endsWith(TEMP_SUFFIX);
    if (stale) await rm(path.join(dir, name), { force: true });
  }
}
