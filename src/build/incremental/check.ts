/**
 * Reads back the files a build record lists and compares each with its recorded size and hash.
 * The record is trusted without this on the machine (and in the boot) that wrote it; a record
 * from before the machine last started, or from another machine (an output folder restored from
 * a cache in CI), is trusted only for the files that pass. Reading the tree once costs far less
 * than rendering it again.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sha256 } from '../../io/hash.ts';
import type { Snapshot } from './snapshot.ts';

export interface RecordCheck {
  /** Recorded files present in the folder, read back and compared. */
  checked: number;
  /** Those whose bytes differ from the record (or that could not be read), sorted. */
  differing: string[];
}

/**
 * Compares every recorded file in `present` (the folder's listing) with the record. The files are
 * read one after the other, synchronously: for tens of thousands of small files just written or
 * restored (in the page cache), that is about four times faster than asynchronous reads, whose
 * cost is the thread pool's round trips (0.9 s against 3.4 s for the 59,865 files of the
 * 50,000-lesson benchmark catalog).
 */
export function checkRecordedFiles(outDir: string, snapshot: Snapshot, present: ReadonlySet<string>): RecordCheck {
  let checked = 0;
  const differing: string[] = [];
  for (const [key, , hash, size] of snapshot.files) {
    if (!present.has(key)) continue;
    checked++;
    let bytes: Buffer | null;
    try {
      bytes = readFileSync(path.join(outDir, ...key.split('/')));
    } catch {
      bytes = null;
    }
    if (bytes === null || bytes.length !== size || sha256(bytes) !== hash) differing.push(key);
  }
  return { checked, differing: differing.sort() };
}
