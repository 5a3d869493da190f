/**
 * Writes a rendered tree into the output folder so that it holds exactly that tree, and no reader
 * (a preview server, a deploy) ever sees half a file or half a tree. A marker file says the folder
 * is ours; a non-empty folder without it is never touched, so `--out` cannot wipe a wrong folder.
 *
 * A first build (the folder is missing, empty, or holds only the marker and the build info) writes
 * the tree with plain writes into a hidden sibling folder, `.<name>.staging-<random>`, as it is
 * rendered (openTreeWriter: in bursts, holding at most STAGED_PENDING_BYTES of files), and renames
 * that into place: one call per file, and a killed build leaves the folder as it was (its staging
 * folder is removed by the next build). Where that rename cannot be done (the folder is a mount
 * point, say), the staged files are copied in place; every rebuild writes in place once the whole
 * tree is rendered and valid: unchanged files are left alone, new and changed ones are written to
 * a temporary file renamed over the target, and files the tree no longer has are removed. Either
 * way each folder is created once, not once per file. In place, files go in link order (children
 * before the parents that link them, as a deploy uploads: layout.ts UPLOAD_PHASES), so a reader
 * that gets a new manifest finds every file it links.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, realpath, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { kindOfKey, phaseOf, UPLOAD_PHASES } from '../../packages/client/src/layout.ts';
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

/** Folders of `files` not in `made`, the deepest only (`recursive` makes the ancestors); adds them all to `made`. */
function foldersToMake(files: readonly { key: string }[], made: Set<string>): string[] {
  const folders = new Set<string>();
  for (const f of files) {
    const slash = f.key.lastIndexOf('/');
    if (slash > 0) folders.add(f.key.slice(0, slash));
  }
  // A folder that holds another one is made with it.
  const ancestors = new Set<string>();
  for (const d of folders) for (let i = d.indexOf('/'); i > 0; i = d.indexOf('/', i + 1)) ancestors.add(d.slice(0, i));
  const deepest = [...folders].filter((d) => !ancestors.has(d) && !made.has(d));
  for (const d of [...folders, ...ancestors]) made.add(d);
  return deepest;
}

/** Creates the folders the files go into, each once: those in `made` are there already. */
async function makeFolders(root: string, files: readonly { key: string }[], made = new Set<string>()): Promise<void> {
  const limit = pLimit(OUTPUT_CONCURRENCY);
  await Promise.all(foldersToMake(files, made).map((d) => limit(() => mkdir(path.join(root, ...d.split('/')), { recursive: true })))).catch((error: unknown) => {
    throw new BuildError(`cannot create the folders of ${root}`, { cause: error });
  });
}

function buildInfoBytes(info: BuildInfo): Buffer {
  return Buffer.from(`${JSON.stringify(info)}\n`);
}

async function sameBytes(file: string, bytes: Buffer): Promise<boolean> {
  const info = await stat(file).catch(() => null);
  if (!info || !info.isFile() || info.size !== bytes.length) return false;
  return (await readFile(file)).equals(bytes);
}

/** Where a write takes a file's bytes from. */
type Source = (file: OutputFile) => Buffer | Promise<Buffer>;

/**
 * Writes a rendered tree into the output folder as it is rendered: `add` hands over files as they
 * are made, `finish` puts the whole tree in place. A first build's staged folder is written as
 * files are added (in bursts of STAGED_PENDING_BYTES), so a build need not hold every file's
 * bytes at once; any other folder is written only by `finish` (nothing in it changes before the
 * whole tree is rendered and valid), and the writer keeps the bytes added until then. Either way
 * the caller may drop its own references to a file's bytes once `add` has resolved.
 */
export interface TreeWriter {
  /** Whether `add` writes (a first build, staged, once enough is added) rather than keeps the bytes until `finish`. */
  readonly streams: boolean;
  add(files: readonly OutputFile[]): Promise<void>;
  /**
   * Puts the tree in place and removes what it no longer has. `files` is the whole tree: a file
   * handed to `add` may come with its bytes dropped (null), as may one the folder holds already
   * (`previous`).
   */
  finish(files: readonly OutputFile[], info: BuildInfo): Promise<WriteStats>;
  /** Removes what was staged, after a failure; the output folder is left as it was. */
  abort(): Promise<void>;
}

export interface TreeWriterOptions extends WriteTreeOptions {
  /** Called after each file written, with the number written so far. */
  onProgress?: (done: number) => void;
  /** A first build's writer: instead of STAGED_PENDING_BYTES (tests). */
  pendingBytes?: number;
}

/**
 * A first build's writer writes the files added once they hold this many bytes: a 50,000-lesson
 * build (490 MiB of files) then holds about half of them at most. Few large bursts: on the
 * benchmark machine, writes spread over the render (after each step, or every 96 MiB) took two
 * to three times as long in all as one burst at the end, while the disk was writing back the
 * earlier ones.
 */
export const STAGED_PENDING_BYTES = 256 * 1024 * 1024;

/** Checks the output folder (it must be ours, or empty) and opens a writer for it. */
export async function openTreeWriter(outDir: string, options: TreeWriterOptions = {}): Promise<TreeWriter> {
  const out = path.resolve(outDir);
  const entries = await inspectFolder(out);
  // Where a symbolic link names the folder, the tree goes where it points, and the link stays.
  const place = entries ? await realpath(out) : out;
  await removeStaleStaging(place);
  const firstBuild = entries ? entries.every((e) => e === OUT_MARKER || e === BUILD_INFO) : !(await lstat(out).catch(() => null));
  if (firstBuild) {
    const staging = await makeStaging(place);
    if (staging) return new StagedWriter(out, place, staging, entries, options);
  }
  const previous = options.previous && !firstBuild ? options.previous : null;
  return new KeptWriter(out, entries, previous, options);
}

/** Writes a rendered tree into the output folder at once (openTreeWriter, then add and finish). */
export async function writeTree(
  outDir: string,
  files: readonly OutputFile[],
  onProgress?: (done: number) => void,
  info: BuildInfo = { plans: null },
  options: WriteTreeOptions = {},
): Promise<WriteStats> {
  const writer = await openTreeWriter(outDir, { ...options, ...(onProgress ? { onProgress } : {}) });
  try {
    await writer.add(files.filter((f) => f.bytes !== null));
    return await writer.finish(files, info);
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

async function writeOrFail(file: string, bytes: string | Buffer): Promise<void> {
  await writeFile(file, bytes).catch((error: unknown) => {
    throw new BuildError(`cannot write ${file}`, { cause: error });
  });
}

/** A new staging folder beside the output folder, holding the marker; null where it cannot be made (the caller writes in place). */
async function makeStaging(outDir: string): Promise<string | null> {
  const parent = path.dirname(outDir);
  const staging = path.join(parent, `${stagingPrefix(outDir)}${randomBytes(8).toString('hex')}`);
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(staging);
  } catch {
    return null; // e.g. the parent folder is not writable: write in place
  }
  try {
    // The marker first: it tells a later build that a left-over staging folder is ours to remove.
    await writeOrFail(path.join(staging, OUT_MARKER), MARKER_TEXT);
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  return staging;
}

/**
 * A first build: writes the files into a new sibling folder as they are added, and renames it
 * over the output folder. Where it cannot be put in place, the staged files are copied in place.
 */
class StagedWriter implements TreeWriter {
  readonly streams = true;
  private readonly made = new Set<string>();
  /** Keys written, or waiting to be. */
  private readonly queued = new Set<string>();
  /** Files added and not written yet, and their bytes. */
  private pending: { key: string; bytes: Buffer }[] = [];
  private pendingBytes = 0;
  private written = 0;

  constructor(
    private readonly out: string,
    private readonly place: string,
    private readonly staging: string,
    private readonly entries: readonly string[] | null,
    private readonly options: TreeWriterOptions,
  ) {}

  /** Keeps the files until they hold `pendingBytes` (STAGED_PENDING_BYTES), then writes them all at once. */
  async add(files: readonly OutputFile[]): Promise<void> {
    for (const f of files) {
      if (this.queued.has(f.key)) continue;
      this.queued.add(f.key);
      const bytes = bytesOf(f);
      this.pending.push({ key: f.key, bytes });
      this.pendingBytes += bytes.length;
    }
    if (this.pendingBytes >= (this.options.pendingBytes ?? STAGED_PENDING_BYTES)) await this.writePending();
  }

  private async writePending(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await makeFolders(this.staging, batch, this.made);
    const limit = pLimit(OUTPUT_CONCURRENCY);
    await Promise.all(
      batch.map((f) =>
        limit(async () => {
          await writeOrFail(path.join(this.staging, ...f.key.split('/')), f.bytes);
          this.options.onProgress?.(++this.written);
        }),
      ),
    );
  }

  async finish(files: readonly OutputFile[], info: BuildInfo): Promise<WriteStats> {
    await this.add(files.filter((f) => !this.queued.has(f.key)));
    await this.writePending();
    await writeOrFail(path.join(this.staging, BUILD_INFO), buildInfoBytes(info));
    if (await this.putInPlace()) return { written: files.length, unchanged: 0, removed: 0 };
    // It may have removed the marker (and even the folder) before the rename failed: claim it again.
    await claimFolder(this.out, null);
    const fromStaging: Source = (f) => readFile(path.join(this.staging, ...f.key.split('/')));
    try {
      return await writeInPlace(this.out, files, fromStaging, info, this.options.onProgress);
    } finally {
      await this.abort();
    }
  }

  async abort(): Promise<void> {
    this.pending = [];
    await rm(this.staging, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Renames the staged folder over the output folder; false where that cannot be done. */
  private async putInPlace(): Promise<boolean> {
    const renameFolder = this.options.renameFolder ?? rename;
    try {
      if (this.entries) {
        // An empty folder can be renamed over; this one holds at most the marker and the build info.
        for (const name of this.entries) await rm(path.join(this.place, name), { force: true });
      }
      try {
        await renameFolder(this.staging, this.place);
      } catch (error) {
        // Some systems (Windows) do not rename over an existing folder, even an empty one.
        if (!this.entries) throw error;
        await rmdir(this.place);
        await renameFolder(this.staging, this.place);
      }
      return true;
    } catch {
      // EXDEV, EBUSY, EPERM (a mount point, a folder in use, ...): the caller writes in place.
      return false;
    }
  }
}

/** A rebuild (or a first build that cannot be staged): keeps the bytes added, and writes in place when the tree is finished. */
class KeptWriter implements TreeWriter {
  readonly streams = false;
  private readonly kept = new Map<string, Buffer>();

  constructor(
    private readonly out: string,
    private readonly entries: readonly string[] | null,
    private readonly previous: RecordedTree | null,
    private readonly options: TreeWriterOptions,
  ) {}

  async add(files: readonly OutputFile[]): Promise<void> {
    for (const f of files) this.kept.set(f.key, bytesOf(f));
  }

  async finish(files: readonly OutputFile[], info: BuildInfo): Promise<WriteStats> {
    const source: Source = (f) => this.kept.get(f.key) ?? bytesOf(f);
    if (this.previous) return writeChanges(this.out, files, source, info, this.previous, this.options.listing ?? [], this.options.onProgress);
    await claimFolder(this.out, this.entries);
    return writeInPlace(this.out, files, source, info, this.options.onProgress);
  }

  async abort(): Promise<void> {
    this.kept.clear();
  }
}

/**
 * Files in link order, phase by phase (layout.ts UPLOAD_PHASES: lessons, units, subject and
 * search files, search indexes, manifests; files of no known kind last): what a phase's files
 * link is in place before any of them is.
 */
export function inLinkOrder<T extends { key: string }>(files: readonly T[]): T[][] {
  const phases: T[][] = [...UPLOAD_PHASES.map(() => []), []];
  for (const f of files) {
    const kind = kindOfKey(f.key);
    const phase = kind === null ? -1 : phaseOf(kind);
    (phases[phase === -1 ? UPLOAD_PHASES.length : phase] as T[]).push(f);
  }
  return phases.filter((p) => p.length > 0);
}

/** Runs `write` on each file, at most OUTPUT_CONCURRENCY at once, one link-order phase after the other. */
async function writeInLinkOrder<T extends { key: string }>(files: readonly T[], write: (f: T) => Promise<void>): Promise<void> {
  const limit = pLimit(OUTPUT_CONCURRENCY);
  for (const phase of inLinkOrder(files)) await Promise.all(phase.map((f) => limit(() => write(f))));
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
  source: Source,
  info: BuildInfo,
  previous: RecordedTree,
  listing: readonly string[],
  onProgress: ((done: number) => void) | undefined,
): Promise<WriteStats> {
  const stats: WriteStats = { written: 0, unchanged: 0, removed: 0 };
  const changed = files.filter((f) => previous.hashOf(f.key) !== f.hash);
  stats.unchanged = files.length - changed.length;
  await makeFolders(outDir, changed);
  let done = stats.unchanged;
  await writeInLinkOrder(changed, async (f) => {
    await writeOne(path.join(outDir, ...f.key.split('/')), await source(f));
    stats.written++;
    onProgress?.(++done);
  });
  await writeBuildInfo(outDir, info);
  const limit = pLimit(OUTPUT_CONCURRENCY);
  const keep = new Set(files.map((f) => f.key));
  const stale = [...new Set([...previous.keys(), ...listing])].filter((k) => !OWN_FILES.has(k) && (!keep.has(k) || k.endsWith(TEMP_SUFFIX)));
  await Promise.all(stale.map((k) => limit(() => rm(path.join(outDir, ...k.split('/')), { force: true }))));
  stats.removed = stale.length;
  if (stale.length > 0) await removeEmptyFolders(outDir, true);
  return stats;
}

/** A rebuild: writes only what changed, each file atomically, and removes what the tree no longer has. */
async function writeInPlace(outDir: string, files: readonly OutputFile[], source: Source, info: BuildInfo, onProgress: ((done: number) => void) | undefined): Promise<WriteStats> {
  const stats: WriteStats = { written: 0, unchanged: 0, removed: 0 };
  await makeFolders(outDir, files);
  let done = 0;
  await writeInLinkOrder(files, async (f) => {
    const target = path.join(outDir, ...f.key.split('/'));
    const bytes = await source(f);
    if (await sameBytes(target, bytes)) stats.unchanged++;
    else {
      await writeOne(target, bytes);
      stats.written++;
    }
    onProgress?.(++done);
  });
  const limit = pLimit(OUTPUT_CONCURRENCY);

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
