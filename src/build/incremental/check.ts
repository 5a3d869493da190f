/**
 * Reads back the files a build record lists and compares each with its recorded size and hash.
 * The record is trusted without this on the machine (and in the boot) that wrote it; a record
 * from before the machine last started, or from another machine (an output folder restored from
 * a cache in CI), is trusted only for the files that pass. Reading the tree once costs far less
 * than rendering it again.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { sha256 } from '../../io/hash.ts';
import { OUTPUT_CONCURRENCY } from '../output.ts';
import type { Snapshot } from './snapshot.ts';

export interface RecordCheck {
  /** Recorded files present in the folder, read back and compared. */
  checked: number;
  /** Those whose bytes differ from the record (or that could not be read), sorted. */
  differing: string[];
}

/** Compares every recorded file in `present` (the folder's listing) with the record. */
export async function checkRecordedFiles(outDir: string, snapshot: Snapshot, present: ReadonlySet<string>): Promise<RecordCheck> {
  const limit = pLimit(OUTPUT_CONCURRENCY);
  const rows = snapshot.files.filter((row) => present.has(row[0]));
  const differing: string[] = [];
  await Promise.all(
    rows.map(([key, , hash, size]) =>
      limit(async () => {
        const bytes = await readFile(path.join(outDir, ...key.split('/'))).catch(() => null);
        if (bytes === null || bytes.length !== size || sha256(bytes) !== hash) differing.push(key);
      }),
    ),
  );
  return { checked: rows.length, differing: differing.sort() };
}
