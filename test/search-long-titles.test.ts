import { describe, expect, it } from 'vitest';
import { CdnClient } from '../packages/client/src/index.ts';
import { keys } from '../packages/client/src/layout.ts';
import { loadSearchIndex } from '../packages/client/src/search/config.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { buildCatalog } from '../src/content/model.ts';
import { WarningSink, formatWarning, type ContentWarning } from '../src/content/warnings.ts';
import type { RenderedFile } from '../src/build/files.ts';
import { MAX_SEARCH_FILE_BYTES, renderSearch, ShardCache, type NameCut, type SubjectSearch } from '../src/build/render/search.ts';
import { SearchDigests } from '../src/build/incremental/inputs.ts';
import { digest } from '../src/io/hash.ts';
import type { SearchDocument } from '../packages/client/src/search/config.ts';
import type { RSubject } from '../src/build/tree.ts';
import { cutName, MAX_INDEXED_NAME_CHARS, nameLength } from '../src/build/render/search-names.ts';
import { resolvePlan } from '../src/build/tree.ts';
import { fixture } from './fixtures.ts';
import { byKey, json, linkTarget, render } from './helpers.ts';

/** Arabic words repeated to `length` characters, between a first and a last word of their own. */
function arabicTitle(first: string, length: number, last = 'الخاتمة'): string {
  const filler = ' والجبر والهندسة الفراغية';
  const text = (first + filler.repeat(Math.ceil(length / filler.length))).slice(0, length - last.length - 1);
  // No space before the last word but one: titles are trimmed, and the length must hold.
  return `${text.endsWith(' ') ? `${text.slice(0, -1)}ب` : text} ${last}`;
}

/** The same text, without a diff of megabytes when it is not. */
function expectSame(actual: string | undefined, expected: string, what: string): void {
  expect(actual?.length, what).toBe(expected.length);
  expect(actual === expected, what).toBe(true);
}

const LONG_LESSON = arabicTitle('المثلثات', 2_000_000);
const LONG_TOPIC = arabicTitle('الحساب', 5_000);
const AT_LIMIT = 'Exactly at the limit '.padEnd(MAX_INDEXED_NAME_CHARS, 'x');
const RENAMED = `Zebra ${'crossing stories '.repeat(200)}`.trim();

/**
 * One subject S > TR > U > T (5,000 characters) with L1 (2,000,000 characters, Arabic), L2 (just
 * at the limit) and L3. P1 and P3 show it as it is (so they share its search documents); P2
 * renames L3 to 3,000-odd characters.
 */
function longTitles() {
  return fixture({
    plans: [
      { name: 'P1', subjects: ['S'] },
      { name: 'P2', subjects: ['S'], overrides: [['Rename', 'Lesson', 'L3', RENAMED]] },
      { name: 'P3', subjects: ['S'] },
    ],
    subjects: [
      {
        name: 'S',
        tracks: [
          {
            name: 'TR',
            units: [{ name: 'U', topics: [{ name: 'T', title: LONG_TOPIC, lessons: [{ name: 'L1', title: LONG_LESSON }, { name: 'L2', title: AT_LIMIT }, { name: 'L3' }] }] }],
          },
        ],
      },
    ],
  });
}

function searchFiles(files: readonly RenderedFile[]): RenderedFile[] {
  return files.filter((f) => f.kind === 'search_index' || f.kind === 'search_shard');
}

function cutWarnings(warnings: readonly ContentWarning[]): ContentWarning[] {
  return warnings.filter((w) => w.reason.includes('for the search index'));
}

/** A fetch serving rendered files from memory, as the CDN would. */
function memoryFetch(files: readonly RenderedFile[], base: string): typeof fetch {
  const all = byKey(files);
  return (async (input: RequestInfo | URL) => {
    const url = String(input);
    const { alias } = linkTarget(url.slice(base.length));
    const file = all.get(alias);
    return file ? new Response(file.bytes.toString('utf8'), { status: 200, headers: { 'content-type': 'application/json' } }) : new Response('{}', { status: 404 });
  }) as typeof fetch;
}

describe('overlong titles in search files', () => {
  const result = render(longTitles());
  const files = byKey(result.files);

  it(`keeps every search file at or under ${MAX_SEARCH_FILE_BYTES} bytes with a 2,000,000-character lesson title and a 5,000-character topic`, () => {
    const search = searchFiles(result.files);
    expect(search.length).toBeGreaterThanOrEqual(3);
    for (const f of search) expect(f.bytes.length, f.key).toBeLessThanOrEqual(MAX_SEARCH_FILE_BYTES);
    // Small enough for one unsharded index per plan.
    for (const plan of ['P1', 'P2', 'P3']) expect(json(files.get(keys.searchIndex(plan))).sharded, plan).toBe(false);
  });

  it('cuts the names in the index to the limit, at a word boundary, and keeps a title just at the limit whole', () => {
    const index = loadSearchIndex(files.get(keys.searchIndex('P1'))?.bytes.toString('utf8') ?? '');
    const stored = (id: string) => index.search(id === 'L2' ? 'Exactly' : 'المثلثات').find((h) => h.lesson_id === id);
    const l1 = stored('L1');
    expect(nameLength(String(l1?.lesson_name))).toBeLessThanOrEqual(MAX_INDEXED_NAME_CHARS);
    expect(LONG_LESSON.startsWith(String(l1?.lesson_name))).toBe(true);
    // A word boundary: the next character of the title is a space.
    expect(LONG_LESSON[String(l1?.lesson_name).length]).toBe(' ');
    expect(nameLength(String(l1?.topic_name))).toBeLessThanOrEqual(MAX_INDEXED_NAME_CHARS);
    expect(LONG_TOPIC.startsWith(String(l1?.topic_name))).toBe(true);
    expect(stored('L2')?.lesson_name).toBe(AT_LIMIT);
  });

  it('warns once per document, naming it, its length and the cut, and names the plan of a renamed title', () => {
    const warnings = cutWarnings(result.warnings);
    const l1 = warnings.filter((w) => w.name === 'L1');
    expect(l1).toHaveLength(1);
    expect(l1[0]).toEqual({ doctype: DOCTYPES.lesson, name: 'L1', reason: expect.stringMatching(/^title of 2,000,000 characters is cut to its first \d+ for the search index/) });
    const cutTo = Number(/first (\d+)/.exec(l1[0]?.reason ?? '')?.[1]);
    expect(cutTo).toBeGreaterThan(MAX_INDEXED_NAME_CHARS - 40);
    expect(cutTo).toBeLessThanOrEqual(MAX_INDEXED_NAME_CHARS);

    const topic = warnings.filter((w) => w.name === 'T');
    expect(topic).toEqual([{ doctype: DOCTYPES.topic, name: 'T', reason: expect.stringMatching(/^title of 5,000 characters is cut to its first \d+ for the search index/) }]);

    const renamed = warnings.filter((w) => w.name === 'L3');
    expect(renamed).toEqual([
      { doctype: DOCTYPES.lesson, name: 'L3', plan: 'P2', reason: expect.stringMatching(new RegExp(`^title \\(as the plan renames it\\) of ${RENAMED.length.toLocaleString('en-US')} characters is cut`)) },
    ]);
    expect(formatWarning(renamed[0]!)).toMatch(/^Memora Lesson "L3" \(plan "P2"\): title \(as the plan renames it\)/);

    // Nothing else is cut: not the title just at the limit, not the short ones.
    expect(warnings.map((w) => w.name).sort()).toEqual(['L1', 'L3', 'T']);
    // No search file is reported as too large.
    expect(result.warnings.filter((w) => w.doctype === 'CDN file')).toEqual([]);
  });

  it('reports the cuts on every build, and for every plan reusing cached search documents', () => {
    expect(cutWarnings(render(longTitles()).warnings)).toEqual(cutWarnings(result.warnings));
    // P1 and P3 share the subject's documents through the shard cache: the second plan still reports.
    const catalog = buildCatalog(longTitles());
    const cache = new ShardCache();
    for (const plan of ['P1', 'P3']) {
      const tree = resolvePlan(catalog.plans.find((p) => p.name === plan)!, catalog, new WarningSink());
      const seen: ContentWarning[] = [];
      renderSearch(tree, cache, (w) => seen.push(w));
      expect(seen.map((w) => w.name).sort(), plan).toEqual(['L1', 'T']);
    }
  });

  it('keeps the whole title in the lesson, unit and subject files', () => {
    const lesson = json<{ title: string }>(files.get(keys.lesson('L1')));
    expectSame(lesson.title, LONG_LESSON, 'lesson file');
    const unit = json<{ topics: { title: string; lessons: { id: string; title: string }[] }[] }>(files.get(keys.unit('U')));
    expectSame(unit.topics[0]?.title, LONG_TOPIC, 'topic in the unit file');
    expectSame(unit.topics[0]?.lessons.find((l) => l.id === 'L1')?.title, LONG_LESSON, 'lesson in the unit file');
    const renamed = json<{ tracks: { units: { topics: { lessons: { id: string; title: string }[] }[] }[] }[] }>(files.get(keys.subject('P2', 'S')));
    expect(renamed.tracks[0]?.units[0]?.topics[0]?.lessons.find((l) => l.id === 'L3')?.title).toBe(RENAMED);
  });

  it('still finds the lesson through the client by a word at the start of its long title, and not by one past the cut', async () => {
    const base = 'https://cdn.example.test/';
    const client = new CdnClient({ baseUrl: base, fetch: memoryFetch(result.files, base) });
    const hits = await client.search('P1', 'المثلثات');
    expect(hits.map((h) => h.lessonId)).toEqual(['L1']);
    expect(LONG_LESSON.startsWith(hits[0]?.lessonName ?? '-')).toBe(true);
    // The last word of the title is past the cut, so not in the index.
    expect(LONG_LESSON.endsWith(' الخاتمة')).toBe(true);
    expect(await client.search('P1', 'الخاتمة')).toEqual([]);
    // The lesson it opens has the whole title.
    expectSame((await client.loadLesson(hits[0]!)).title, LONG_LESSON, 'lesson loaded from the hit');
    // Renamed in P2: found by the start of its new title there.
    expect((await client.search('P2', 'Zebra')).map((h) => h.lessonId)).toEqual(['L3']);
  });
});

describe('a search file still too large', () => {
  it('is a warning naming the file: an ID is never cut', () => {
    const id = `L${'x'.repeat(MAX_SEARCH_FILE_BYTES)}`;
    const { files, warnings } = render(fixture({ plans: [{ name: 'P', subjects: ['S'] }], subjects: [{ name: 'S', tracks: [{ name: 'TR', units: [{ name: 'U', topics: [{ name: 'T', lessons: [{ name: id, title: 'Short' }] }] }] }] }] }));
    const big = searchFiles(files).filter((f) => f.bytes.length > MAX_SEARCH_FILE_BYTES);
    expect(big.length).toBeGreaterThan(0);
    for (const f of big) {
      expect(warnings).toContainEqual({ doctype: 'CDN file', name: f.key, reason: expect.stringMatching(new RegExp(`^is ${f.bytes.length} bytes, above the ${MAX_SEARCH_FILE_BYTES}-byte limit of a search file`)) });
    }
  });
});

describe('cutting a name for the search index', () => {
  const max = MAX_INDEXED_NAME_CHARS;

  it('leaves a name of up to the limit as it is, and cuts one character more', () => {
    const at = 'a'.repeat(max);
    expect(cutName(at)).toBe(at);
    expect(cutName(`${at}b`)).toBe(at);
    // Characters are code points: 200 emoji (400 UTF-16 units) are within the limit.
    const emoji = '😀'.repeat(max);
    expect(cutName(emoji)).toBe(emoji);
  });

  it('cuts at the last word boundary near the limit, without trailing spaces or punctuation', () => {
    const words = 'word, '.repeat(60);
    const cut = cutName(words);
    expect(cut.endsWith('word')).toBe(true);
    expect(words.startsWith(cut)).toBe(true);
    expect(nameLength(cut)).toBeGreaterThan(max - 40);
    // No boundary near the limit: cut mid-word at the limit.
    expect(cutName(`a ${'b'.repeat(max * 2)}`)).toBe(`a ${'b'.repeat(max - 2)}`);
  });

  it('never cuts inside a surrogate pair or between an Arabic letter and its marks', () => {
    const astral = `${'x'.repeat(max - 1)}${'𝑨'.repeat(5)}`;
    const cut = cutName(astral);
    expect(cut).toBe(`${'x'.repeat(max - 1)}𝑨`);
    // مَّ: meem, fatha, shadda; the limit falls between the meem and its marks.
    const marked = `${'ب'.repeat(max - 1)}${'مَّ'.repeat(10)}`;
    const m = cutName(marked);
    expect(m).toBe('ب'.repeat(max - 1));
    expect(nameLength(m)).toBeLessThanOrEqual(max);
    const whole = `${'ب'.repeat(max - 3)}${'مَّ'.repeat(10)}`;
    expect(cutName(whole)).toBe(`${'ب'.repeat(max - 3)}مَّ`);
  });
});

/** A subject's search documents and cuts as a walk document by document gives them: each name indexed, and cut, when first met. */
function searchByWalk(subject: RSubject): Omit<SubjectSearch, 'chunks'> {
  const cuts: NameCut[] = [];
  const seen = new Map<object, string>();
  const indexed = (doctype: string, r: { node: { name: string; title: string }; title: string }): string => {
    let text = seen.get(r);
    if (text === undefined) {
      text = cutName(r.title);
      seen.set(r, text);
      if (text !== r.title) cuts.push({ doctype, name: r.node.name, renamed: r.title !== r.node.title, from: nameLength(r.title), to: nameLength(text) });
    }
    return text;
  };
  const docs: SearchDocument[] = [];
  for (const track of subject.children)
    for (const unit of track.children)
      for (const topic of unit.children)
        for (const lesson of topic.children)
          docs.push({
            lesson_id: lesson.node.name,
            lesson_name: indexed(DOCTYPES.lesson, lesson),
            subject_id: subject.node.name,
            subject_name: indexed(DOCTYPES.subject, subject),
            unit_id: unit.node.name,
            unit_name: indexed(DOCTYPES.unit, unit),
            topic_id: topic.node.name,
            topic_name: indexed(DOCTYPES.topic, topic),
          });
  return { docs, subjectName: docs.length > 0 ? indexed(DOCTYPES.subject, subject) : cutName(subject.title), cuts };
}

describe('search documents made unit by unit', () => {
  it('are the documents and cuts, in order, of a walk document by document, and digest unit by unit, for plans sharing units and renaming names', () => {
    const long = (word: string) => `${word} ${'and more words '.repeat(30)}`.trim();
    const lessons = (prefix: string, titles: (string | undefined)[]) => titles.map((title, i) => ({ name: `${prefix}${i + 1}`, ...(title ? { title } : {}) }));
    const catalog = buildCatalog(
      fixture({
        plans: [
          { name: 'P1', subjects: ['S', 'S2'] },
          { name: 'P2', subjects: ['S'], overrides: [['Rename', 'Subject', 'S', long('Renamed subject')], ['Rename', 'Lesson', 'A2', long('Renamed lesson')]] },
          { name: 'P3', subjects: ['S', 'S2'], overrides: [['Rename', 'Unit', 'U2', 'Short'], ['Hide', 'Lesson', 'A1']] },
        ],
        subjects: [
          {
            name: 'S',
            title: long('Subject'),
            tracks: [
              {
                name: 'TR',
                units: [
                  { name: 'U0', topics: [{ name: 'T0', lessons: [] }] },
                  { name: 'U1', title: long('Unit one'), topics: [{ name: 'T1', title: long('Topic one'), lessons: lessons('A', [long('Lesson'), undefined, long('Another')]) }, { name: 'T2', lessons: [] }] },
                  { name: 'U2', title: long('Unit two'), topics: [{ name: 'T3', lessons: lessons('B', [undefined, long('Third')]) }, { name: 'T4', title: long('Topic four'), lessons: lessons('C', [long('Fourth')]) }] },
                ],
              },
            ],
          },
          { name: 'S2', tracks: [{ name: 'TR2', units: [{ name: 'U3', topics: [{ name: 'T5', lessons: lessons('D', [long('Lesson')]) }] }] }] },
        ],
      }),
    );
    const cache = new ShardCache();
    const digests = new SearchDigests();
    let cut = 0;
    for (const plan of catalog.plans) {
      const tree = resolvePlan(plan, catalog, new WarningSink());
      for (const subject of tree.subjects) {
        const search = cache.docs(subject);
        const walked = searchByWalk(subject);
        expect({ docs: search.docs, subjectName: search.subjectName, cuts: search.cuts }, `${plan.name} ${subject.node.name}`).toEqual(walked);
        expect(search.chunks.flat()).toEqual(search.docs);
        // The digest covers the documents unit by unit.
        expect(digests.subject(search)).toBe(digest(JSON.stringify([walked.subjectName, search.chunks.map((chunk) => digest(JSON.stringify(chunk))), walked.cuts])));
        cut += search.cuts.length;
      }
    }
    expect(cut).toBeGreaterThan(10);
  });
});
