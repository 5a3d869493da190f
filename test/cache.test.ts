import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_FORMAT_VERSION, CACHE_INDEX_FILE, readCache, readCacheIndex, writeCache } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { CacheError } from '../src/errors.ts';
import { TEMP_SUFFIX } from '../src/io/atomic.ts';
import { sha256 } from '../src/io/hash.ts';
import { tempDir } from './helpers.ts';

const lesson = (name: string, title = name) => ({ name, title, modified: '2025-01-01 00:00:00.000000', stages: [{ name: `${name}-1`, idx: 1, type: 'Text', config: '{}' }] });

describe('content cache', () => {
  it('round-trips documents with their child rows, sorted by name', async () => {
    const dir = await tempDir();
    await writeCache(dir, { replace: { [DOCTYPES.lesson]: [lesson('b'), lesson('a'), lesson('درس')] }, sync: { watermark: 'x' } });
    const cache = await readCache(dir);
    expect(cache.docs[DOCTYPES.lesson].map((d) => d.name)).toEqual(['a', 'b', 'درس']);
    expect(cache.docs[DOCTYPES.lesson][0]?.stages).toEqual([{ name: 'a-1', idx: 1, type: 'Text', config: '{}' }]);
    expect(cache.docs[DOCTYPES.plan]).toEqual([]);
    expect(cache.index).toMatchObject({ format: 'memora-content-cache', format_version: CACHE_FORMAT_VERSION, sync: { watermark: 'x' } });
  });

  it('writes the lines of a data file in UTF-16 code-unit order, as content-cache.md says: an astral name before a high BMP one', async () => {
    const dir = await tempDir();
    // U+1F600 (two code units from 0xD83D) sorts before U+FF5E here; in code-point order it would come after.
    await writeCache(dir, { replace: { [DOCTYPES.lesson]: [lesson('\uFF5E'), lesson('\u{1F600}'), lesson('a')] } });
    const file = (await readdir(dir)).find((f) => f.startsWith('memora-lesson.'));
    const names = (await readFile(path.join(dir, String(file)), 'utf8')).trim().split('\n').map((line) => (JSON.parse(line) as { name: string }).name);
    expect(names).toEqual(['a', '\u{1F600}', '\uFF5E']);
    expect(await readFile(path.join(import.meta.dirname, '..', 'docs', 'content-cache.md'), 'utf8')).toMatch(/sorted by `name` in UTF-16 code-unit order/);
  });

  it('replaces only the DocTypes named, keeps the pull state, and removes files no index names', async () => {
    const dir = await tempDir();
    await writeCache(dir, { replace: { [DOCTYPES.lesson]: [lesson('a')], [DOCTYPES.topic]: [{ name: 't', title: 'T' }] }, sync: { n: 1 } });
    const before = await readdir(dir);
    await writeCache(dir, { replace: { [DOCTYPES.lesson]: [lesson('a', 'changed')] } });
    const cache = await readCache(dir);
    expect(cache.docs[DOCTYPES.topic].map((d) => d.name)).toEqual(['t']);
    expect(cache.docs[DOCTYPES.lesson][0]?.title).toBe('changed');
    expect(cache.index.sync).toEqual({ n: 1 });
    const after = await readdir(dir);
    expect(after).toHaveLength(before.length);
    expect(after.filter((f) => f.startsWith('memora-lesson.'))).toHaveLength(1);
  });

  it('survives a writer that died half-way: the old index still reads, and leftovers are cleaned', async () => {
    const dir = await tempDir();
    await writeCache(dir, { replace: { [DOCTYPES.lesson]: [lesson('a')] } });
    // What a crash leaves: a half-written temporary file and a new data file no index names yet.
    await writeFile(path.join(dir, `.memora-lesson.dead${TEMP_SUFFIX}`), '{"name":"a","tit');
    await writeFile(path.join(dir, 'memora-lesson.0123456789ab.jsonl'), '{"name":"x"}\n');
    expect((await readCache(dir)).docs[DOCTYPES.lesson].map((d) => d.name)).toEqual(['a']);
    await writeCache(dir, { replace: { [DOCTYPES.lesson]: [lesson('a'), lesson('b')] } });
    const names = await readdir(dir);
    expect(names.some((n) => n.endsWith(TEMP_SUFFIX))).toBe(false);
    expect(names).not.toContain('memora-lesson.0123456789ab.jsonl');
    expect((await readCache(dir)).docs[DOCTYPES.lesson]).toHaveLength(2);
  });

  it('reports a missing cache as null and refuses foreign or newer formats', async () => {
    const dir = await tempDir();
    expect(await readCacheIndex(dir)).toBeNull();
    await expect(readCache(dir)).rejects.toThrow(/no content cache in/);
    await writeFile(path.join(dir, CACHE_INDEX_FILE), '{"format":"other"}');
    await expect(readCache(dir)).rejects.toThrow(/is not a memora content cache index/);
    await writeFile(path.join(dir, CACHE_INDEX_FILE), JSON.stringify({ format: 'memora-content-cache', format_version: CACHE_FORMAT_VERSION + 1, doctypes: {} }));
    await expect(readCache(dir)).rejects.toThrow(new RegExp(`format_version ${CACHE_FORMAT_VERSION + 1}, but this memora-cdn reads up to ${CACHE_FORMAT_VERSION}`));
    await writeFile(path.join(dir, CACHE_INDEX_FILE), 'not json');
    await expect(readCache(dir)).rejects.toThrow(CacheError);
  });

  it('refuses an index that names a data file outside the cache folder, even one that reads and matches', async () => {
    const root = await tempDir();
    const dir = path.join(root, 'cache');
    const index = await writeCache(dir, { replace: { [DOCTYPES.lesson]: [lesson('a')] } });
    const entry = index.doctypes[DOCTYPES.lesson];
    if (!entry) throw new Error('no entry');
    // A copy beside the folder, with the right checksum and count: only its name is wrong.
    await writeFile(path.join(root, entry.file), await readFile(path.join(dir, entry.file)));
    for (const name of [`../${entry.file}`, `sub/${entry.file}`, `.${entry.file}`, path.join(root, entry.file)]) {
      await writeFile(path.join(dir, CACHE_INDEX_FILE), JSON.stringify({ ...index, doctypes: { ...index.doctypes, [DOCTYPES.lesson]: { ...entry, file: name } } }));
      const refused = readCache(dir);
      await expect(refused).rejects.toThrow(CacheError);
      await expect(refused).rejects.toThrow(`${CACHE_INDEX_FILE} names ${JSON.stringify(name)} as the file of Memora Lesson, which is not a file name in the cache folder`);
    }
  });

  it('names the file when a data file is damaged, truncated or miscounted', async () => {
    const dir = await tempDir();
    const index = await writeCache(dir, { replace: { [DOCTYPES.lesson]: [lesson('a'), lesson('b')] } });
    const entry = index.doctypes[DOCTYPES.lesson];
    if (!entry) throw new Error('no entry');
    const file = path.join(dir, entry.file);
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 5));
    await expect(readCache(dir)).rejects.toThrow(`${entry.file} (Memora Lesson): the file's checksum does not match`);
    // Changed bytes that still parse, as many documents as the index says: the checksum tells.
    await writeFile(file, Buffer.from(bytes.toString('utf8').replace('"title":"b"', '"title":"c"')));
    await expect(readCache(dir)).rejects.toThrow(`${entry.file} (Memora Lesson): the file's checksum does not match`);
    await writeFile(file, bytes);
    const raw = JSON.parse(await readFile(path.join(dir, CACHE_INDEX_FILE), 'utf8')) as { doctypes: Record<string, { count: number }> };
    const lessons = raw.doctypes[DOCTYPES.lesson];
    if (lessons) lessons.count = 3;
    await writeFile(path.join(dir, CACHE_INDEX_FILE), JSON.stringify(raw));
    await expect(readCache(dir)).rejects.toThrow(/holds 2 documents but cache.json says 3/);
  });

  it('reads a data file line by line: errors name the line counting blank ones, the last line needs no newline, and fingerprints follow the lines', async () => {
    const dir = await tempDir();
    const index = await writeCache(dir, { replace: { [DOCTYPES.lesson]: [lesson('a')] } });
    const entry = index.doctypes[DOCTYPES.lesson];
    if (!entry) throw new Error('no entry');
    /** Replaces the lesson data file with `text`, and the index entry with one that matches it. */
    const store = async (text: string, count: number) => {
      await writeFile(path.join(dir, entry.file), text);
      const raw = JSON.parse(await readFile(path.join(dir, CACHE_INDEX_FILE), 'utf8')) as { doctypes: Record<string, unknown> };
      raw.doctypes[DOCTYPES.lesson] = { file: entry.file, count, sha256: sha256(Buffer.from(text)) };
      await writeFile(path.join(dir, CACHE_INDEX_FILE), JSON.stringify(raw));
    };
    const fingerprints = async () => (await readCache(dir)).fingerprints[DOCTYPES.lesson];

    await store('{"name":"a"}\n\n{"name":"b"\n', 2);
    await expect(readCache(dir)).rejects.toThrow(`${entry.file} (Memora Lesson): line 3 is not valid JSON`);
    await store('{"name":"a"}\n\n[]\n', 2);
    await expect(readCache(dir)).rejects.toThrow('line 3 is not a document with a string "name"');

    await store('{"name":"a","title":"A"}\n{"name":"درس","title":"B"}', 2);
    expect((await readCache(dir)).docs[DOCTYPES.lesson].map((d) => d.title)).toEqual(['A', 'B']);
    const before = await fingerprints();
    await store('{"name":"a","title":"A"}\n{"name":"درس","title":"C"}\n', 2);
    const after = await fingerprints();
    expect(after.get('a')).toBe(before.get('a'));
    expect(after.get('درس')).not.toBe(before.get('درس'));

    // A name on two lines: its fingerprint covers both, so an edit of either changes it.
    await store('{"name":"a","title":"A"}\n{"name":"a","title":"B"}\n', 2);
    const twice = (await fingerprints()).get('a');
    await store('{"name":"a","title":"A"}\n{"name":"a","title":"C"}\n', 2);
    const secondEdited = (await fingerprints()).get('a');
    await store('{"name":"a","title":"Z"}\n{"name":"a","title":"C"}\n', 2);
    const firstEdited = (await fingerprints()).get('a');
    expect(new Set([before.get('a'), twice, secondEdited, firstEdited]).size).toBe(4);
  });
});
