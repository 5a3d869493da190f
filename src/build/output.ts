/**
 * Writes a rendered tree into the output folder so that it holds exactly that tree: new and
 * changed files are written atomically (a preview server never reads half a file), unchanged ones
 * are left alone, and files the tree no longer has are removed. A marker file says the folder is
 * ours; a non-empty folder without it is never touched, so `--out` cannot wipe a wrong folder.
 */
import { mkdir, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import pLimit from 'p-limit';
import { BuildError } from '../errors.ts';
import { TEMP_SUFFIX, writeFileAtomic } from '../io/atomic.ts';
import type { RenderedFile } from './files.ts';

/** Marks a folder as a memora-cdn output folder; not part of the CDN tree. */
export const OUT_MARKER = '.memora-cdn-out';
/** Which plans the tree in the folder holds: `{"plans": null}` for every plan, or the IDs built with --plan. */
export const BUILD_INFO = '.memora-cdn-build.json';

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

async function claimFolder(outDir: string): Promise<void> {
  const entries = await readdir(outDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw new BuildError(`cannot read the output folder ${outDir}`, { cause: error });
  });
  if (entries && entries.length > 0 && !entries.includes(OUT_MARKER)) {
    throw new BuildError(
      `refusing to write into ${outDir}: it is not empty and was not made by memora-cdn (no ${OUT_MARKER} file); choose another --out, or empty the folder`,
    );
  }
  try {
    await mkdir(outDir, { recursive: true });
    if (!entries?.includes(OUT_MARKER)) {
      await writeFile(path.join(outDir, OUT_MARKER), 'This folder is written by memora-cdn: files not in the current build are removed.\n');
    }
  } catch (error) {
    throw new BuildError(`cannot create the output folder ${outDir}`, { cause: error });
  }
}

async function sameBytes(file: string, bytes: Buffer): Promise<boolean> {
  const info = await stat(file).catch(() => null);
  if (!info || !info.isFile() || info.size !== bytes.length) return false;
  return (await readFile(file)).equals(bytes);
}

export async function writeTree(outDir: string, files: readonly RenderedFile[], onProgress?: (done: number) => void, info: BuildInfo = { plans: null }): Promise<WriteStats> {
  await claimFolder(outDir);
  const stats: WriteStats = { written: 0, unchanged: 0, removed: 0 };
  const limit = pLimit(OUTPUT_CONCURRENCY);
  let done = 0;
  await Promise.all(
    files.map((f) =>
      limit(async () => {
        const target = path.join(outDir, ...f.key.split('/'));
        if (await sameBytes(target, f.bytes)) stats.unchanged++;
        else {
          // The output folder can be rebuilt at any time, so it is not flushed to disk file by file.
          await writeFileAtomic(target, f.bytes, { fsync: false }).catch((error: unknown) => {
            throw new BuildError(`cannot write ${target}`, { cause: error });
          });
          stats.written++;
        }
        onProgress?.(++done);
      }),
    ),
  );

  const keep = new Set(files.map((f) => f.key));
  const present = await fg('**/*', { cwd: outDir, dot: true, onlyFiles: true, followSymbolicLinks: false });
  await writeFileAtomic(path.join(outDir, BUILD_INFO), Buffer.from(`${JSON.stringify(info)}\n`), { fsync: false }).catch((error: unknown) => {
    throw new BuildError(`cannot write ${path.join(outDir, BUILD_INFO)}`, { cause: error });
  });
  const stale = present.filter((p) => p !== OUT_MARKER && p !== BUILD_INFO && (!keep.has(p) || p.endsWith(TEMP_SUFFIX)));
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
