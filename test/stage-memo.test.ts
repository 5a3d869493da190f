/**
 * The stage memo (src/content/stage-memo.ts): a build that knows a lesson line from the previous
 * build parses it without its stages, and the stages only when asked for; the catalog it makes
 * must be the one a full parse makes: the same warnings in the same order, the same stages.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, SAMPLE_IDS } from '../samples/catalog.ts';
import { CACHE_INDEX_FILE, readCache, writeCache, type CacheIndex } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { buildCatalog, type Catalog, type Lesson } from '../src/content/model.ts';
import { StageMemo, stageMemoProblem, type StageMemoRecord } from '../src/content/stage-memo.ts';
import { sha256 } from '../src/io/hash.ts';
import { tempDir } from './helpers.ts';

/** Reads a cache and builds its catalog with a memo made from `record`; returns both. */
async function catalogOf(dir: string, record: StageMemoRecord | null): Promise<{ catalog: Catalog; memo: StageMemo }> {
  const memo = new StageMemo(record);
  const cache = await readCache(dir, { stageMemo: memo });
  return { catalog: buildCatalog(cache.docs, cache.shape, memo), memo };
}

function lessonsOf(catalog: Catalog): Lesson[] {
  const out: Lesson[] = [];
  for (const subject of catalog.subjects.values())
    for (const track of subject.tracks) for (const unit of track.units) for (const topic of unit.topics) out.push(...topic.lessons);
  return out;
}

/** What a catalog says of its lessons' stages, read through the (possibly lazy) `stages`. */
function stagesByLesson(catalog: Catalog) {
  return lessonsOf(catalog).map((l) => ({ name: l.name, hasVideo: l.hasVideo, stages: structuredClone(l.stages) }));
}

describe('the stage memo', () => {
  it('a line the memo knows is read without its stages, which are parsed when asked for; the catalog equals a full parse, warnings and their order included', async () => {
    const plain = buildCatalog((await readCache(SAMPLE_CACHE_DIR)).docs, (await readCache(SAMPLE_CACHE_DIR)).shape);
    const first = await catalogOf(SAMPLE_CACHE_DIR, null);
    const lessons = (await readCache(SAMPLE_CACHE_DIR)).docs[DOCTYPES.lesson].length;
    expect(first.memo.counts).toEqual({ partial: 0, full: lessons });
    const second = await catalogOf(SAMPLE_CACHE_DIR, first.memo.toRecord());
    expect(second.memo.counts).toEqual({ partial: lessons, full: 0 });

    // The samples' lessons with a bad stage: their warnings come from the memo, in the same place.
    expect(plain.warnings.filter((w) => w.name === SAMPLE_IDS.badData.malformedStageLesson || w.name === SAMPLE_IDS.badData.unknownStageTypeLesson)).toHaveLength(2);
    expect(second.catalog.warnings).toEqual(plain.warnings);
    expect(first.catalog.warnings).toEqual(plain.warnings);
    // Every lesson's stages, parsed on demand, are those of a full parse.
    const lazy = lessonsOf(second.catalog);
    expect(lazy.length).toBeGreaterThan(5);
    expect(Object.getOwnPropertyDescriptor(lazy[0]!, 'stages')?.get).toBeTypeOf('function');
    expect(stagesByLesson(second.catalog)).toEqual(stagesByLesson(plain));
    expect(lessonsOf(plain).some((l) => l.hasVideo)).toBe(true);
    // The memo the second build leaves is the one the first left: what a build with no memo leaves.
    expect(second.memo.toRecord()).toEqual(first.memo.toRecord());
    expect(stageMemoProblem(second.memo.toRecord())).toBeNull();
  });

  it('an edited lesson is read in full, the others without their stages', async () => {
    const dir = path.join(await tempDir('memora-stage-memo-'), 'cache');
    const sample = await readCache(SAMPLE_CACHE_DIR);
    await writeCache(dir, { replace: sample.docs, ...(sample.index.site_meta ? { siteMeta: sample.index.site_meta } : {}), fsync: false });
    const first = await catalogOf(dir, null);
    const docs = structuredClone(sample.docs);
    const edited = docs[DOCTYPES.lesson].find((d) => Array.isArray(d.stages) && d.stages.length > 1)!;
    (edited.stages as { title: string }[])[0]!.title = 'A new first stage title';
    await writeCache(dir, { replace: docs, fsync: false });
    const second = await catalogOf(dir, first.memo.toRecord());
    expect(second.memo.counts).toEqual({ partial: docs[DOCTYPES.lesson].length - 1, full: 1 });
    const full = buildCatalog((await readCache(dir)).docs, sample.shape);
    expect(stagesByLesson(second.catalog)).toEqual(stagesByLesson(full));
    expect(lessonsOf(second.catalog).find((l) => l.name === edited.name)!.stages.map((s) => s.title)).toContain('A new first stage title');
  });

  it('a memo row that does not fit its line (a damaged or foreign record) is not used: the line is parsed in full', async () => {
    const first = await catalogOf(SAMPLE_CACHE_DIR, null);
    const record = structuredClone(first.memo.toRecord());
    // Every row shifted by one byte: no splice point is where it says.
    for (let i = 0; i < record.rows.length; i += 4) record.rows[i]! += 1;
    const shifted = await catalogOf(SAMPLE_CACHE_DIR, record);
    expect(shifted.memo.counts.partial).toBe(0);
    expect(shifted.catalog.warnings).toEqual(first.catalog.warnings);
    expect(stagesByLesson(shifted.catalog)).toEqual(stagesByLesson(first.catalog));
  });

  it('a line not written the way JSON.stringify writes it is parsed in full every time, and read right', async () => {
    const dir = path.join(await tempDir('memora-stage-memo-'), 'cache');
    const sample = await readCache(SAMPLE_CACHE_DIR);
    await writeCache(dir, { replace: sample.docs, ...(sample.index.site_meta ? { siteMeta: sample.index.site_meta } : {}), fsync: false });
    // Rewrite the lesson file with a space after every key, and point the index at it.
    const index = JSON.parse(await readFile(path.join(dir, CACHE_INDEX_FILE), 'utf8')) as CacheIndex;
    const entry = index.doctypes[DOCTYPES.lesson]!;
    const spaced = (await readFile(path.join(dir, entry.file), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.stringify(JSON.parse(line)).replaceAll('":', '": '))
      .join('\n');
    await writeFile(path.join(dir, entry.file), `${spaced}\n`);
    entry.sha256 = sha256(Buffer.from(`${spaced}\n`));
    await writeFile(path.join(dir, CACHE_INDEX_FILE), JSON.stringify(index));
    const first = await catalogOf(dir, null);
    expect(first.memo.toRecord().lines).toEqual([]);
    const second = await catalogOf(dir, first.memo.toRecord());
    expect(second.memo.counts.partial).toBe(0);
    expect(stagesByLesson(second.catalog)).toEqual(stagesByLesson(buildCatalog(sample.docs, sample.shape)));
  });

  it('says what is wrong with a malformed record', () => {
    expect(stageMemoProblem(null)).toBe('not an object');
    expect(stageMemoProblem({ lines: ['a'], rows: [1, 20, 0], reasons: {} })).toBe('rows that do not match the lines');
    expect(stageMemoProblem({ lines: ['a'], rows: [0, 20, 0, 0], reasons: {} })).toBe('line 0 has a malformed row');
    expect(stageMemoProblem({ lines: ['a'], rows: [5, 20, 1, 2], reasons: {} })).toBe('line 0 has a malformed row');
    expect(stageMemoProblem({ lines: ['a'], rows: [5, 20, 1, 1], reasons: { 3: ['x'] } })).toBe('the reasons of line 3 are malformed');
    expect(stageMemoProblem({ lines: ['a'], rows: [5, 20, 1, 1], reasons: { 0: ['x'] } })).toBeNull();
  });
});
