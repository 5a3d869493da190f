/** readDataFiles: the content cache's data files read in a worker thread, with their checksum and line digests. */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataFiles, type DataFileRead } from '../src/content/data-files.ts';
import { digest, sha256 } from '../src/io/hash.ts';
import { tempDir } from './helpers.ts';

/** The non-empty lines of `text` with their numbers (from 1, blank lines counted), as a reader of the cache sees them. */
function linesOf(text: Buffer): { line: Buffer; lineNo: number }[] {
  return text
    .toString('latin1')
    .split('\n')
    .map((l, i) => ({ line: Buffer.from(l, 'latin1'), lineNo: i + 1 }))
    .filter((l) => l.line.length > 0);
}

/** The three parts of a read, once all are known. */
async function settled(read: DataFileRead) {
  const [bytes, lines, sha256] = await Promise.all([read.bytes, read.lines, read.sha256]);
  return { bytes, ...lines, sha256 };
}

describe('readDataFiles', () => {
  it('gives each file its exact bytes, SHA-256, and every non-empty line with its number and digest', async () => {
    const dir = await tempDir('memora-data-files-');
    const contents = [
      Buffer.alloc(0),
      Buffer.from('\n'),
      Buffer.from('{"name":"a"}'),
      Buffer.from('{"name":"a"}\n\n\n{"name":"درس","title":"الوحدة"}\n'),
      // Several megabytes of random bytes, newlines included: lines of any length and content.
      randomBytes(5 * 1024 * 1024 + 3),
    ];
    const files = contents.map((_, i) => path.join(dir, `f${i}.jsonl`));
    for (const [i, bytes] of contents.entries()) await writeFile(files[i]!, bytes);
    const read = await Promise.all(readDataFiles(files).map(settled));
    for (const [i, bytes] of contents.entries()) {
      const got = read[i]!;
      expect(got.bytes.equals(bytes), `bytes of file ${i}`).toBe(true);
      expect(got.sha256).toBe(sha256(bytes));
      const lines = linesOf(bytes);
      expect(got.digests).toEqual(lines.map((l) => digest(l.line)));
      const spans = [...got.spans];
      expect(spans.length).toBe(3 * lines.length);
      for (const [n, { line, lineNo }] of lines.entries()) {
        expect(got.bytes.subarray(spans[3 * n], spans[3 * n + 1]).equals(line), `file ${i}, line ${lineNo}`).toBe(true);
        expect(spans[3 * n + 2]).toBe(lineNo);
      }
    }
    expect(read[4]!.digests.length).toBeGreaterThan(1000);
  });

  it('fails a file that cannot be read with the system error, and still reads the others', async () => {
    const dir = await tempDir('memora-data-files-');
    await writeFile(path.join(dir, 'ok.jsonl'), '{"name":"a"}\n');
    await mkdir(path.join(dir, 'folder.jsonl'));
    const [missing, folder, ok] = readDataFiles([path.join(dir, 'missing.jsonl'), path.join(dir, 'folder.jsonl'), path.join(dir, 'ok.jsonl')]);
    for (const part of [missing!.bytes, missing!.lines, missing!.sha256]) await expect(part).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('missing.jsonl') });
    await expect(folder!.bytes).rejects.toMatchObject({ code: 'EISDIR' });
    expect((await settled(ok!)).digests).toEqual([digest('{"name":"a"}')]);
  });

  it('reads nothing for no files', () => {
    expect(readDataFiles([])).toEqual([]);
  });
});
