import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Suffix of the temporary files `writeFileAtomic` creates; readers and cleaners skip them. */
export const TEMP_SUFFIX = '.tmp-memora';

export interface WriteFileAtomicOptions {
  /** Flush the file and its directory entry to disk (default true). */
  fsync?: boolean;
  /**
   * Create the file's folder first, with its parents (default true). A caller writing many files
   * that has created their folders already passes false and saves a call per file.
   */
  mkdir?: boolean;
}

/**
 * Writes `data` to `file` so that a reader sees either the old file or the whole new one,
 * never a part: write a temporary sibling, flush it to disk, then rename it over the target.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  if (options.mkdir !== false) await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      if (options.fsync !== false) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (options.fsync !== false) await syncDirectory(dir);
}

/** Flushes a directory entry (the rename) to disk; a no-op where the platform cannot. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync directories; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}
