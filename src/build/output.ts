/**
 * Writes a rendered tree into the output folder so that it holds exactly that tree, and no reader
 * (a preview server, a deploy) ever sees half a file or half a tree. A marker file says the folder
 * is ours; a non-empty folder without it is never touched, so `--out` cannot wipe a wrong folder.
 *
 * A first build (the folder is missing, empty, or holds only the marker and the build info) writes
 * the whole tree with plain writes into a hidden sibling folder, `.<name>.staging-<random>`, and
 * renames that into place: one call per file, and a killed build leaves the folder as it was (its
 * staging folder is removed by the next build). Where that rename cannot be done (the folder is a
 * mount point, say), and for every rebuild, the tree is written in place: unchanged files are left
 * alone, new and changed ones are written to a temporary file renamed over the target, and files
 * the tree no longer has are removed. Either way each folder is created once, not once per file.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, realpath, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { BuildError } from '../errors.ts';
import { TEMP_SUFFIX, writeFileAtomic } from '../io/atomic.ts';
import type { TreeFile } from './files.ts';

/** A file to put in the folder: its bytes, or null for one the folder holds already (`previous`). */
export type OutputFile = Pick<TreeFile, 'key' | 'hash' | 'bytes'>;

/** Marks a folder as a memora-cdn output folder; not part of the CDN tree. */
export const OUT_MARKER = '.memora-cdn-out';
/** Which plans the tree in the folder holds: `{"plans": null}` for every plan, or the IDs built with --plan. */
export const BUILD_INFO = '.memora-cdn-build.json';
/** The record of the build the folder holds, for the next incremental build (incremental/snapshot.ts). */
export const SNAPSHOT_FILE = '.memora-cdn-snapshot.json';
/** The folder's own files, beside the CDN tree: never deployed or served. */
export const OWN_FILES: ReadonlySet<string> = new Set([OUT_MARKER, BUILD_INFO, SNAPSHOT_FILE]);

export interface BuildInfo {
  plans: string[] | null;
  /** The content warnings of the build (skipped nodes and why), for the preview viewer. */
  warnings?: { doctype: string; name: string; reason: string; plan?: string }[];
}
/** Files written or compared at once. */
export const OUTPUT_CONCURRENCY = 32;

export interface WriteStats {
  written: number;
  unchanged: number;
  removed: number;
}

export interface WriteTreeOptions {
  /** Puts the staged tree in place of the output folder; `fs.rename` unless a test replaces it. */
  renameFolder?: (from: string, to: string) => Promise<void>;
  /**
   * The tree the folder holds, as the previous build recorded it (incremental/snapshot.ts): files
   * whose hash it records are not compared or written, and only keys it lists are removed. Without
   * it every file is compared with the folder's bytes, and the folder is listed for what to remove.
   */
  previous?: RecordedTree;
  /** With `previous`: the folder's files as listed before the build wrote (listOutput); what neither tree has is removed. */
  listing?: readonly string[];
}

/**
 * Every file in the output folder (relative paths, `/`-separated), dotfiles included; symbolic
 * links are neither listed nor followed, and a folder that is gone lists nothing.
 */
export async function listOutput(outDir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const folders: Promise<void>[] = [];
    for (const entry of entries) {
      if (entry.isFile()) files.push(prefix + entry.name);
      else if (entry.isDirectory()) folders.push(walk(path.join(dir, entry.name), `${prefix}${entry.name}/`));
    }
    await Promise.all(folders);
  };
  await walk(outDir, '');
  return files;
}

/** The files an output folder holds, by key. */
export interface RecordedTree {
  hashOf(key: string): string | undefined;
  keys(): Iterable<string>;
}

const MARKER_TEXT = 'This folder is written by memora-cdn: files not in the current build are removed.\n';
const STAGING_TAG = '.staging-';
const STAGING_RANDOM = /^[0-9a-f]{16}$/;

/** The start of the names of `outDir`'s staging folders, which sit next to it: `.<name>.staging-`. */
function stagingPrefix(outDir: string): string {
  return `.${path.basename(outDir)}${STAGING_TAG}`;
}

/** The names in the output folder (null if there is none), after checking that it may be written. */
async function inspectFolder(outDir: string): Promise<string[] | null> {
  const entries = await readdir(outDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw new BuildError(`cannot read the output folder ${outDir}`, { cause: error });
  });
  if (entries && entries.length > 0 && !entries.includes(OUT_MARKER)) {
    throw new BuildError(
      `refusing to write into ${outDir}: it is not empty and was not made by memora-cdn (no ${OUT_MARKER} file); choose another --out, or empty the folder`,
    );
  }
  return entries;
}

async function claimFolder(outDir: string, entries: readonly string[] | null): Promise<void> {
  try {
    await mkdir(outDir, { recursive: true });
    if (!entries?.includes(OUT_MARKER)) await writeFile(path.join(outDir, OUT_MARKER), MARKER_TEXT);
  } catch (error) {
    throw new BuildError(`cannot create the output folder ${outDir}`, { cause: error });
  }
}

/**
 * Removes the staging folders a killed build of this output folder left behind: only folders
 * named exactly as `writeStaged` names them that hold the marker, or nothing (killed before it).
 */
async function removeStaleStaging(outDir: string): Promise<void> {
  const parent = path.dirname(outDir);
  const prefix = stagingPrefix(outDir);
  const siblings = await readdir(parent, { withFileTypes: true }).catch(() => []);
  for (const entry of siblings) {
    if (!entry.isDirectory() || !entry.name.startsWith(prefix) || !STAGING_RANDOM.test(entry.name.slice(prefix.length))) continue;
    const folder = path.join(parent, entry.name);
    const inside = await readdir(folder).catch(() => null);
    if (inside && (inside.length === 0 || inside.includes(OUT_MARKER))) await rm(folder, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Creates the folders the files go into, each once (`recursive` makes the ancestors). */
async function makeFolders(root: string, files: readonly { key: string }[]): Promise<void> {
  const folders = new Set<string>();
  for (const f of files) {
    const slash = f.key.lastIndexOf('/');
    if (slash > 0) folders.add(f.key.slice(0, slash));
  }
  // A folder that holds another one is made with it.
  const ancestors = new Set<string>();
  for (const d of folders) for (let i = d.indexOf('/'); i > 0; i = d.indexOf('/', i + 1)) ancestors.add(d.slice(0, i));
  const deepest = [...folders].filter((d) => !ancestors.has(d));
  const limit = pLimit(OUTPUT_CONCURRENCY);
  await Promise.all(deepest.map((d) => limit(() => mkdir(path.join(root, ...d.split('/')), { recursive: true }))));
}

function buildInfoBytes(info: BuildInfo): Buffer {
  return Buffer.from(`${JSON.stringify(info)}\n`);
}

async function sameBytes(file: string, bytes: Buffer): Promise<boolean> {
  const info = await stat(file).catch(() => null);
  if (!info || !info.isFile() || info.size !== bytes.length) return false;
  return (await readFile(file)).equals(bytes);
}

export async function writeTree(
  outDir: string,
  files: readonly OutputFile[],
  onProgress?: (done: number) => void,
  info: BuildInfo = { plans: null },
  options: WriteTreeOptions = {},
): Promise<WriteStats> {
  const out = path.resolve(outDir);
  const entries = await inspectFolder(out);
  // Where a symbolic link names the folder, the tree goes where it points, and the link stays.
  const place = entries ? await realpath(out) : out;
  await removeStaleStaging(place);
  const firstBuild = entries ? entries.every((e) => e === OUT_MARKER || e === BUILD_INFO) : !(await lstat(out).catch(() => null));
  if (options.previous && !firstBuild) return writeChanges(out, files, onProgress, info, options.previous, options.listing ?? []);
  if (firstBuild) {
    const stats = await writeStaged(place, entries, files, onProgress, info, options.renameFolder ?? rename);
    if (stats) return stats;
    // It may have removed the marker (and even the folder) before the rename failed: claim it again.
    await claimFolder(out, null);
  } else await claimFolder(out, entries);
  return writeInPlace(out, files, onProgress, info);
}

/**
 * A first build: writes the tree into a new sibling folder and renames it over the output folder.
 * Returns null, having removed what it staged, where the folder cannot be made or put in place.
 */
async function writeStaged(
  outDir: string,
  entries: readonly string[] | null,
  files: readonly OutputFile[],
  onProgress: ((done: number) => void) | undefined,
  info: BuildInfo,
  renameFolder: (from: string, to: string) => Promise<void>,
): Promise<WriteStats | null> {
  const parent = path.dirname(outDir);
  const staging = path.join(parent, `${stagingPrefix(outDir)}${randomBytes(8).toString('hex')}`);
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(staging);
  } catch {
    return null; // e.g. the parent folder is not writable: write in place
  }
  const write = (file: string, bytes: string | Buffer) =>
    writeFile(file, bytes).catch((error: unknown) => {
      throw new BuildError(`cannot write ${file}`, { cause: error });
    });
  try {
    // The marker first: it tells a later build that a left-over staging folder is ours to remove.
    await write(path.join(staging, OUT_MARKER), MARKER_TEXT);
    await makeFolders(staging, files).catch((error: unknown) => {
      throw new BuildError(`cannot create the folders of ${staging}`, { cause: error });
    });
    const limit = pLimit(OUTPUT_CONCURRENCY);
    let done = 0;
    await Promise.all(
      files.map((f) =>
        limit(async () => {
          await write(path.join(staging, ...f.key.split('/')), bytesOf(f));
          onProgress?.(++done);
        }),
      ),
    );
    await write(path.join(staging, BUILD_INFO), buildInfoBytes(info));
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }

  try {
    if (entries) {
      // An empty folder can be renamed over; this one holds at most the marker and the build info.
      for (const name of entries) await rm(path.join(outDir, name), { force: true });
    }
    try {
      await renameFolder(staging, outDir);
    } catch (error) {
      // Some systems (Windows) do not rename over an existing folder, even an empty one.
      if (!entries) throw error;
      await rmdir(outDir);
      await renameFolder(staging, outDir);
    }
  } catch {
    // EXDEV, EBUSY, EPERM (a mount point, a folder in use, ...): the caller writes in place.
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    return null;
  }
  return { written: files.length, unchanged: 0, removed: 0 };
}

/** The bytes of a file to write: every file of a full build has them; a reused one needs none. */
function bytesOf(f: OutputFile): Buffer {
  if (f.bytes === null) throw new Error(`${f.key}: reused from the previous build, but the folder does not hold that build`);
  return f.bytes;
}

async function writeOne(target: string, bytes: Buffer): Promise<void> {
  // The output folder can be rebuilt at any time, so it is not flushed to disk file by file.
  await writeFileAtomic(target, bytes, { fsync: false, mkdir: false }).catch((error: unknown) => {
    throw new BuildError(`cannot write ${target}`, { cause: error });
  });
}

async function writeBuildInfo(outDir: string, info: BuildInfo): Promise<void> {
  await writeFileAtomic(path.join(outDir, BUILD_INFO), buildInfoBytes(info), { fsync: false }).catch((error: unknown) => {
    throw new BuildError(`cannot write ${path.join(outDir, BUILD_INFO)}`, { cause: error });
  });
}

/**
 * An incremental rebuild: the folder holds the recorded tree, so only files whose hash differs
 * from the record are written; recorded keys the tree no longer has are removed, and so is
 * anything else the folder holds (`listing`) that is neither the tree nor the folder's own.
 */
async function writeChanges(
  outDir: string,
  files: readonly OutputFile[],
  onProgress: ((done: number) => void) | undefined,
  info: BuildInfo,
  previous: RecordedTree,
  listing: readonly string[],
): Promise<WriteStats> {
  const stats: WriteStats = { written: 0, unchanged: 0, removed: 0 };
  const changed = files.filter((f) => previous.hashOf(f.key) !== f.hash);
  stats.unchanged = files.length - changed.length;
  try {
    await makeFolders(outDir, changed);
  } catch (error) {
    throw new BuildError(`cannot create the folders of ${outDir}`, { cause: error });
  }
  const limit = pLimit(OUTPUT_CONCURRENCY);
  let done = stats.unchanged;
  await Promise.all(
    changed.map((f) =>
      limit(async () => {
        await writeOne(path.join(outDir, ...f.key.split('/')), bytesOf(f));
        stats.written++;
        onProgress?.(++done);
      }),
    ),
  );
  await writeBuildInfo(outDir, info);
  const keep = new Set(files.map((f) => f.key));
  const stale = [...new Set([...previous.keys(), ...listing])].filter((k) => !OWN_FILES.has(k) && (!keep.has(k) || k.endsWith(TEMP_SUFFIX)));
  await Promise.all(stale.map((k) => limit(() => rm(path.join(outDir, ...k.split('/')), { force: true }))));
  stats.removed = stale.length;
  if (stale.length > 0) await removeEmptyFolders(outDir, true);
  return stats;
}

/** A rebuild: writes only what changed, each file atomically, and removes what the tree no longer has. */
async function writeInPlace(outDir: string, files: readonly OutputFile[], onProgress: ((done: number) => void) | undefined, info: BuildInfo): Promise<WriteStats> {
  const stats: WriteStats = { written: 0, unchanged: 0, removed: 0 };
  try {
    await makeFolders(outDir, files);
  } catch (error) {
    throw new BuildError(`cannot create the folders of ${outDir}`, { cause: error });
  }
  const limit = pLimit(OUTPUT_CONCURRENCY);
  let done = 0;
  await Promise.all(
    files.map((f) =>
      limit(async () => {
        const target = path.join(outDir, ...f.key.split('/'));
        const bytes = bytesOf(f);
        if (await sameBytes(target, bytes)) stats.unchanged++;
        else {
          await writeOne(target, bytes);
          stats.written++;
        }
        onProgress?.(++done);
      }),
    ),
  );

  const keep = new Set(files.map((f) => f.key));
  const present = await listOutput(outDir);
  await writeBuildInfo(outDir, info);
  const stale = present.filter((p) => !OWN_FILES.has(p) && (!keep.has(p) || p.endsWith(TEMP_SUFFIX)));
  await Promise.all(stale.map((p) => limit(() => rm(path.join(outDir, p), { force: true }))));
  stats.removed = stale.length;
  await removeEmptyFolders(outDir, true);
  return stats;
}

async function removeEmptyFolders(dir: string, isRoot: boolean): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true });
  let empty = true;
  for (const e of entries) {
    if (e.isDirectory() && (await removeEmptyFolders(path.join(dir, e.name), false))) continue;
    empty = false;
  }
  if (empty && !isRoot) {
    await rmdir(dir).catch(() => undefined);
    return true;
  }
  return false;
}
