import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../src/build/build.ts';
import { MAX_SEARCH_FILE_BYTES } from '../src/build/render/search.ts';
import { ALL_DOCS_UP_TO, BEST_PER_TERM, renderRouting, TERM_FILE_MAX_BYTES, VOCAB_FILE_MAX_BYTES, type PreviousRouting, type RoutingSubject } from '../src/build/render/search-routing.ts';
import { jsonFile } from '../src/build/files.ts';
import { Random } from '../src/generate/random.ts';
import { writeGeneratedCatalog } from '../src/generate/generator.ts';
import { memoryLogger } from '../src/log.ts';
import { startPreviewServer, type PreviewServer } from '../src/preview/server.ts';
import { CdnClient, CdnClientError } from '../packages/client/src/client.ts';
import MiniSearch from 'minisearch';
import { indexTerms, loadSearchIndex, type SearchDocument } from '../packages/client/src/search/config.ts';
import { queryWords, searchIndexes, TIER } from '../packages/client/src/search/query.ts';
import { editDistance } from '../packages/client/src/search/routed.ts';
import {
  derivedStems,
  docFileFor,
  idf,
  routeKey,
  sortTerms,
  storedStems,
  termFilesFor,
  termScore,
  type DocFile,
  type Routing,
  type TermFile,
  type TermFileRef,
  type VocabFile,
  vocabFilesFor,
  VOCABULARY_MIN_LENGTH,
} from '../packages/client/src/search/routing.ts';
import { tokenize } from '../packages/client/src/search/normalize.ts';
import { keys } from '../packages/client/src/layout.ts';
import { outFile, tempDir } from './helpers.ts';
import { RequestLog, roundTripsOf } from './search-quality/evaluate.ts';

describe('routing keys', () => {
  it('gives a word, its forms with article, proclitic, suffix or plural ending, and its stems one key', () => {
    for (const w of ['الكسور', 'كسور', 'بالكسور', 'والكسور', 'وكسور', '~كسور']) expect(routeKey(w), w).toBe('كسور');
    for (const w of ['المعادلات', 'معادله', '~معادل', '~معادلات']) expect(routeKey(w), w).toBe('معادل');
    for (const w of ['fractions', 'fraction', '~fraction']) expect(routeKey(w), w).toBe('fraction');
  });

  it('stores as terms only the stems a client cannot derive under the word\'s own key', () => {
    // الوحدة: its stems وحده and وحد share its key وحد.
    expect(derivedStems('الوحده')).toEqual(['وحده', 'وحد']);
    expect(storedStems('الوحده')).toEqual([]);
    // وحدة, read as و + حدة, has the key حد; its other reading's stem وحد is found under وحد.
    expect(routeKey('وحده')).toBe('حد');
    expect(storedStems('وحده')).toEqual(['وحد']);
    // Every stem is one or the other.
    for (const w of ['الوحده', 'وحده', 'البيانات', 'classes', 'بمتغير']) {
      const stems = indexTerms(w)!.slice(1).map((t) => t.slice(1));
      expect([...derivedStems(w), ...storedStems(w)].sort(), w).toEqual(stems.sort());
    }
  });

  it('orders terms by key, then by term', () => {
    const sorted = sortTerms(['كسور', 'الكسور', '~كسور', 'المعادلات', 'fractions', 'fraction']);
    // Keys fraction < كسور < معادل; within a key, JS string order (~ sorts before Arabic letters).
    expect(sorted).toEqual(['fraction', 'fractions', '~كسور', 'الكسور', 'كسور', 'المعادلات']);
  });
});

describe('finding routed files', () => {
  const refs: TermFileRef[] = [
    ['a', '0000000000000001'],
    ['d', '0000000000000002'],
    ['k', '0000000000000003'],
    // A key cut across two files: it ends the file before and begins this one.
    ['k', '0000000000000004'],
    ['q', '0000000000000005'],
  ];

  it('lists the files whose key ranges meet a range, both ends included', () => {
    expect(termFilesFor(refs, 'b', 'b')).toEqual([0]);
    expect(termFilesFor(refs, 'd', 'd')).toEqual([0, 1]);
    expect(termFilesFor(refs, 'k', 'k')).toEqual([1, 2, 3]);
    expect(termFilesFor(refs, 'l', 'm')).toEqual([3]);
    expect(termFilesFor(refs, 'z', 'z')).toEqual([4]);
    // Before the first file's first key: no file holds it.
    expect(termFilesFor(refs, '0', '0')).toEqual([]);
    expect(termFilesFor(refs, 'b', 'e')).toEqual([0, 1]);
    expect(termFilesFor([], 'a', 'z')).toEqual([]);
  });

  it('finds the document file holding a lesson number', () => {
    const docs: Routing['docs'] = [
      [0, '0000000000000001'],
      [40, '0000000000000002'],
      [95, '0000000000000003'],
    ];
    expect([0, 39, 40, 94, 95, 10_000].map((n) => docFileFor(docs, n))).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('counts edits, giving up past the bound', () => {
    expect(editDistance('الخوارزميت', 'الخوارزميات', 2)).toBe(1);
    expect(editDistance('fracton', 'fraction', 1)).toBe(1);
    expect(editDistance('abc', 'xyz', 1)).toBe(2);
    expect(editDistance('a', 'abcdef', 2)).toBe(3);
  });
});

describe('scores', () => {
  it('weighs a term by the field it is in, and less in a longer field', () => {
    // Fields: lesson, topic, unit, subject names.
    expect(termScore([1, 0, 0, 0], [6, 0, 0, 0])).toBeGreaterThan(termScore([0, 1, 0, 0], [0, 6, 0, 0]));
    expect(termScore([0, 0, 0, 1], [0, 0, 0, 2])).toBeLessThan(termScore([0, 0, 1, 0], [0, 0, 2, 0]));
    expect(termScore([1, 0, 0, 0], [3, 0, 0, 0])).toBeGreaterThan(termScore([1, 0, 0, 0], [12, 0, 0, 0]));
    expect(Number.isInteger(termScore([2, 1, 0, 0], [5, 4, 3, 2]))).toBe(true);
    expect(idf(1, 1000)).toBeGreaterThan(idf(500, 1000));
  });
});

/** Documents of a synthetic plan: `n` lessons, one word shared by all, others rarer. */
function syntheticDocs(n: number): SearchDocument[] {
  return Array.from({ length: n }, (_, i) => ({
    lesson_id: `L${String(i).padStart(6, '0')}`,
    lesson_name: `الدرس المشترك ${['الكسور', 'المعادلات', 'الخلية', 'الطاقة'][i % 4]} رقم${i % 97} حالة${i}`,
    subject_id: `S${Math.floor(i / 4000)}`,
    subject_name: ['الرياضيات', 'العلوم', 'الفيزياء'][Math.floor(i / 4000)]!,
    unit_id: `U${Math.floor(i / 50)}`,
    unit_name: `الوحدة ${Math.floor(i / 50)}`,
    topic_id: `T${Math.floor(i / 10)}`,
    topic_name: `الموضوع ${Math.floor(i / 10)}`,
  }));
}

/** Every term's postings (lesson numbers), read back from the rendered term files. */
function readPostings(files: TermFile[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const file of files) {
    for (const [term, gaps] of file.terms) {
      const list = out.get(term) ?? [];
      let n = 0;
      for (let i = 0; i < gaps.length; i += 2) list.push((n += gaps[i]!));
      out.set(term, list);
    }
  }
  return out;
}

describe('rendering a plan\'s routed files', () => {
  const docs = syntheticDocs(6_000);
  const routed = renderRouting('P', docs);
  const termFiles = routed.files.filter((f) => f.kind === 'search_terms');
  const docFiles = routed.files.filter((f) => f.kind === 'search_docs');
  const parsed = termFiles.map((f) => JSON.parse(f.bytes.toString('utf8')) as TermFile);

  it('keeps every file under the search file limit, and term files near their budget', () => {
    for (const f of routed.files) expect(f.bytes.length, f.key).toBeLessThanOrEqual(MAX_SEARCH_FILE_BYTES);
    for (const f of termFiles) expect(f.bytes.length, f.key).toBeLessThanOrEqual(TERM_FILE_MAX_BYTES * 1.25);
    expect(termFiles.map((f) => f.key)).toEqual(termFiles.map((_, i) => keys.searchTerms('P', i + 1)));
    expect(docFiles.map((f) => f.key)).toEqual(docFiles.map((_, i) => keys.searchDocs('P', i + 1)));
  });

  it('lists each file in the routing with its first key and version, in key order', () => {
    expect(routed.routing.documents).toBe(docs.length);
    expect(routed.routing.terms).toHaveLength(termFiles.length);
    routed.routing.terms.forEach(([first, version], i) => {
      expect(version).toBe(termFiles[i]!.hash.slice(0, 16));
      expect(first).toBe(routeKey(parsed[i]!.terms[0]![0]));
    });
    const firsts = routed.routing.terms.map(([first]) => first);
    expect(firsts).toEqual([...firsts].sort());
  });

  it('holds every lesson of every term, a very common term cut across files and whole again', () => {
    const postings = readPostings(parsed);
    // The shared word is in every lesson, too many for one file.
    const shared = postings.get('المشترك')!;
    expect(shared).toEqual(docs.map((_, i) => i));
    expect(parsed.filter((f) => f.terms.some(([t]) => t === 'المشترك')).length).toBeGreaterThan(1);
    // Every term of every lesson, as the client expects it.
    docs.forEach((doc, n) => {
      if (n % 499 !== 0) return;
      for (const token of tokenize(doc.lesson_name)) {
        const [word, ...stems] = indexTerms(token)!;
        expect(postings.get(word!), word).toContain(n);
        for (const stem of storedStems(word!)) expect(stems).toContain(`~${stem}`);
        for (const stem of storedStems(word!)) expect(postings.get(`~${stem}`), stem).toContain(n);
      }
    });
    // A term's rows sit in the files the routing gives for its key.
    const holding = new Map<string, number[]>();
    parsed.forEach((f, i) => {
      for (const [t] of f.terms) holding.set(t, [...(holding.get(t) ?? []), i]);
    });
    for (const [term, files] of holding) {
      const routedTo = termFilesFor(routed.routing.terms, routeKey(term), routeKey(term));
      for (const i of files) expect(routedTo, term).toContain(i);
    }
  });

  it('lists every routing key of three characters or more in vocabulary files, by length then key, under their budget', () => {
    const vocabFiles = routed.files.filter((f) => f.kind === 'search_vocab');
    const vocab = vocabFiles.map((f) => JSON.parse(f.bytes.toString('utf8')) as VocabFile);
    expect(vocab.length).toBeGreaterThan(0);
    expect(vocabFiles.map((f) => f.key)).toEqual(vocabFiles.map((_, i) => keys.searchVocab('P', i + 1)));
    expect(routed.routing.vocabulary).toEqual(vocab.map((v, i) => [v.keys[0]!.length, vocabFiles[i]!.hash.slice(0, 16)]));
    for (const f of vocabFiles) expect(f.bytes.length).toBeLessThanOrEqual(VOCAB_FILE_MAX_BYTES + 200);
    const listed = vocab.flatMap((v) => v.keys);
    expect(listed).toEqual([...listed].sort((a, b) => a.length - b.length || (a < b ? -1 : 1)));
    const expected = [...new Set(parsed.flatMap((f) => f.terms.map(([t]) => routeKey(t))))].filter((k) => k.length >= VOCABULARY_MIN_LENGTH && /^\p{L}+$/u.test(k));
    expect([...listed].sort()).toEqual(expected.sort());
    // Keys with digits are not listed (the synthetic titles have many: رقم12).
    expect(parsed.some((f) => f.terms.some(([t]) => /\d/.test(routeKey(t))))).toBe(true);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('cuts a large vocabulary into files that the routing finds by key length', () => {
    // Titles of many made-up words of 3 to 12 letters: a vocabulary of thousands of keys.
    const random = new Random(8);
    const word = () => Array.from({ length: random.int(3, 12) }, () => String.fromCharCode(97 + random.int(0, 25))).join('');
    const big = syntheticDocs(3_000).map((d) => ({ ...d, lesson_name: `${word()} ${word()} ${word()}` }));
    const r = renderRouting('P', big);
    const vocab = r.files.filter((f) => f.kind === 'search_vocab').map((f) => JSON.parse(f.bytes.toString('utf8')) as VocabFile);
    expect(vocab.length).toBeGreaterThan(5);
    for (const f of r.files.filter((x) => x.kind === 'search_vocab')) expect(f.bytes.length).toBeLessThanOrEqual(VOCAB_FILE_MAX_BYTES + 200);
    // For any length, every file that lists keys of it is found.
    const listed = vocab.flatMap((v) => v.keys);
    for (const length of new Set(listed.map((k) => k.length))) {
      const holding = vocab.flatMap((v, i) => (v.keys.some((k) => k.length === length) ? [i] : []));
      const found = vocabFilesFor(r.routing.vocabulary!, length, length);
      for (const i of holding) expect(found).toContain(i);
      expect(found.length).toBeLessThanOrEqual(holding.length + 1);
    }
  });

  it('carries the display data of a term\'s best lessons, and of all of a rare term\'s', () => {
    const total = new Map<string, number>();
    // Every term's postings across its parts: [lesson number, score], decoded from the gaps.
    const postings = new Map<string, [number, number][]>();
    for (const f of parsed) {
      for (const [term, pairs] of f.terms) {
        total.set(term, (total.get(term) ?? 0) + pairs.length / 2);
        const list = postings.get(term) ?? [];
        postings.set(term, list);
        for (let i = 0, doc = 0; i < pairs.length; i += 2) list.push([(doc += pairs[i]!), pairs[i + 1]!]);
      }
    }
    const firstPart = new Set<string>();
    let checkedBest = 0;
    for (const f of parsed) {
      for (const [term, , best] of f.terms) {
        // A term cut across files carries its best lessons' display data in its first part.
        if (firstPart.has(term)) {
          expect(best, term).toBe(0);
          continue;
        }
        firstPart.add(term);
        expect(best, term).toBe(Math.min(total.get(term)!, total.get(term)! <= ALL_DOCS_UP_TO ? Infinity : BEST_PER_TERM));
        // Those are its highest-scoring lessons, the lower number first among equal scores.
        const top = [...postings.get(term)!].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, best);
        for (const [n] of top) expect(f.docs[n], `${term}: lesson ${n}`).toBeDefined();
        if (best < total.get(term)!) checkedBest++;
      }
      for (const [n, [id, title, topic]] of Object.entries(f.docs)) {
        const doc = docs[Number(n)]!;
        expect([id, title]).toEqual([doc.lesson_id, doc.lesson_name]);
        const topicRow = f.nodes[topic]!;
        const unitRow = f.nodes[topicRow[2]]!;
        const subjectRow = f.nodes[unitRow[2]]!;
        expect([topicRow[0], topicRow[1], unitRow[0], subjectRow[0], subjectRow[1], subjectRow[2]]).toEqual([doc.topic_id, doc.topic_name, doc.unit_id, doc.subject_id, doc.subject_name, -1]);
      }
    }
    // Some terms are common enough that only their best lessons are carried.
    expect(checkedBest).toBeGreaterThan(0);
    // Document files hold every lesson, in order.
    const all = docFiles.flatMap((f) => (JSON.parse(f.bytes.toString('utf8')) as DocFile).docs.map(([id]) => id));
    expect(all).toEqual(docs.map((d) => d.lesson_id));
  });

  it('renders the same bytes every time', () => {
    const again = renderRouting('P', docs);
    expect(again.files.map((f) => f.hash)).toEqual(routed.files.map((f) => f.hash));
    expect(again.routing).toEqual(routed.routing);
  });

  it('changes only the files of the words an edit touches (cuts follow the content)', () => {
    const edited = docs.map((d, i) => (i === 2500 ? { ...d, lesson_name: `${d.lesson_name} جديدة` } : d));
    const after = renderRouting('P', edited);
    const before = new Map(routed.files.map((f) => [f.key, f.hash]));
    const changed = after.files.filter((f) => before.get(f.key) !== f.hash);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length * 4).toBeLessThan(routed.files.length);
  });
});

/** The subjects of a plan's documents in order, each the same as before when none of its documents changed. */
function subjectsOf(before: readonly SearchDocument[], now: readonly SearchDocument[]): RoutingSubject[] {
  const subjects: RoutingSubject[] = [];
  now.forEach((d, n) => {
    const last = subjects.at(-1);
    const same = JSON.stringify(d) === JSON.stringify(before[n]);
    if (last?.id === d.subject_id) {
      last.lessons++;
      last.same &&= same;
    } else subjects.push({ id: d.subject_id, lessons: 1, same });
  });
  return subjects;
}

/** The previous render of a plan's routed files as a build's record and output folder give them (its shards' subjects from `docs`). */
function previousOf(planId: string, render: ReturnType<typeof renderRouting>, docs: readonly SearchDocument[] = []): PreviousRouting {
  const shards = subjectsOf(docs, docs).map((s) => ({ subject_id: s.id, lesson_count: s.lessons }));
  const index = jsonFile(keys.searchIndex(planId), 'search_index', { search_version: 1, plan_id: planId, sharded: true, shards, routing: render.routing });
  const byKey = new Map([...render.files, index].map((f) => [f.key, f]));
  return {
    read: (key) => byKey.get(key)?.bytes ?? null,
    at: (key) => {
      const f = byKey.get(key);
      return f ? { key: f.key, kind: f.kind, hash: f.hash, size: f.bytes.length, bytes: null } : null;
    },
  };
}

/** A render's files by key with their hashes, the files it kept from the previous build included. */
function hashesOf(render: ReturnType<typeof renderRouting>): Map<string, string> {
  return new Map([...render.files, ...render.reused].map((f) => [f.key, f.hash]));
}

describe("rendering term files from the previous build's (incremental)", () => {
  const WORDS = ['الكسور', 'المعادلات', 'الخلية', 'الطاقة', 'الضوء', 'الصوت', 'المغناطيس', 'الزلازل', 'النبات', 'الحيوان', 'fractions', 'energy', 'cells', 'light'];
  /** A plan with many term files: titles of varied words, a word in every lesson (cut across files), topics and units of their own. */
  function planDocs(n: number, random: Random): SearchDocument[] {
    return Array.from({ length: n }, (_, i) => ({
      lesson_id: `L${String(i).padStart(5, '0')}`,
      lesson_name: `درس ${random.pick(WORDS)} ${random.pick(WORDS)} رقم${random.int(0, 400)} مثال${i}`,
      // Topics in units in subjects, as a plan's tree nests them.
      subject_id: `S${Math.floor(i / 720)}`,
      subject_name: ['الرياضيات', 'العلوم', 'الفيزياء', 'الكيمياء', 'الأحياء', 'الجغرافيا'][Math.floor(i / 720)]!,
      unit_id: `U${Math.floor(i / 60)}`,
      unit_name: `الوحدة ${Math.floor(i / 60)} ${WORDS[Math.floor(i / 60) % WORDS.length]}`,
      topic_id: `T${Math.floor(i / 12)}`,
      topic_name: `الموضوع ${Math.floor(i / 12)}`,
    }));
  }

  /** One random edit, as a Frappe site makes them; its name for the failure message. */
  function edit(docs: SearchDocument[], random: Random): [string, SearchDocument[]] {
    const next = docs.map((d) => ({ ...d }));
    const n = random.int(0, docs.length - 1);
    switch (random.int(0, 8)) {
      case 0:
        next[n]!.lesson_name = `${docs[n]!.lesson_name} ${random.pick(WORDS)} جديد${random.int(0, 50)}`;
        return [`lesson ${n}: a word added`, next];
      case 1:
        next[n]!.lesson_name = `مراجعة ${random.pick(WORDS)}`;
        return [`lesson ${n}: retitled`, next];
      case 2:
        next[n]!.lesson_name = docs[n]!.lesson_name.split(' ').slice(1).join(' ') || 'درس';
        return [`lesson ${n}: its first word removed (the word every lesson has)`, next];
      case 3: {
        const topic = docs[n]!.topic_id;
        for (const d of next) if (d.topic_id === topic) d.topic_name = `موضوع ${random.pick(WORDS)} ${random.int(0, 99)}`;
        return [`topic ${topic}: renamed`, next];
      }
      case 4: {
        const unit = docs[n]!.unit_id;
        for (const d of next) if (d.unit_id === unit) d.unit_name = `الوحدة ${random.pick(WORDS)}`;
        return [`unit ${unit}: renamed`, next];
      }
      case 5:
        next[n] = { ...next[n]!, lesson_id: `X${random.int(0, 99_999)}`, lesson_name: `درس بديل ${random.pick(WORDS)}` };
        return [`lesson ${n}: another lesson in its place`, next];
      case 6: {
        const m = random.int(0, docs.length - 1);
        next[n]!.lesson_name = `${random.pick(WORDS)} ${random.pick(WORDS)}`;
        next[m]!.lesson_name = `${docs[m]!.lesson_name} ${random.pick(WORDS)}`;
        return [`lessons ${n} and ${m}: retitled`, next];
      }
      case 7: {
        // Words that sort next to the word every lesson has (cut across files), first or last.
        const word = random.pick(['دار', 'درسز', 'يييي', 'ءءء']);
        next[n]!.lesson_name = `${docs[n]!.lesson_name} ${word}`;
        return [`lesson ${n}: ${word} added`, next];
      }
      default:
        next[n]!.lesson_name = docs[n]!.lesson_name.toUpperCase();
        return [`lesson ${n}: the same words (case only)`, next];
    }
  }

  it('gives the bytes of a render from every lesson, after every step of random edit sequences, and takes the incremental path for them', () => {
    let incremental = 0;
    let steps = 0;
    for (const seed of [1, 2, 3]) {
      const random = new Random(seed);
      let docs = planDocs(1_400 + seed * 100, random);
      let previous = renderRouting('P', docs);
      expect(previous.routing.terms.length, 'term files').toBeGreaterThan(20);
      const history: string[] = [];
      for (let step = 0; step < 16; step++) {
        const [what, next] = edit(docs, random);
        history.push(what);
        const full = renderRouting('P', next);
        const where = `seed ${seed}: ${history.join('; ')}`;
        const bytes = new Map(full.files.map((f) => [f.key, f.bytes]));
        // Changed lessons found by comparing every document file, and within the subjects whose documents changed.
        for (const subjects of [undefined, subjectsOf(docs, next)]) {
          const fromPrevious = renderRouting('P', next, previousOf('P', previous, docs), subjects);
          expect(fromPrevious.routing, where).toEqual(full.routing);
          expect(hashesOf(fromPrevious), where).toEqual(hashesOf(full));
          for (const f of fromPrevious.files) expect(f.bytes.equals(bytes.get(f.key)!), `${where}: ${f.key}`).toBe(true);
          if (fromPrevious.incremental) incremental++;
        }
        steps++;
        docs = next;
        previous = full;
      }
    }
    expect(incremental).toBe(steps * 2);
  });

  it('gives the same bytes for edits at the edges: next to a term cut across files, and after every term', () => {
    // A word in seven lessons of eight: cut across files, and not in the lessons edited below.
    const docs = planDocs(4_000, new Random(11)).map((d, n) => (n % 8 === 4 ? d : { ...d, lesson_name: `${d.lesson_name} مشترك` }));
    const before = renderRouting('P', docs);
    const rows = before.files.filter((f) => f.kind === 'search_terms').flatMap((f) => (JSON.parse(f.bytes.toString('utf8')) as TermFile).terms.map(([term]) => term));
    const terms = [...new Set(rows)];
    // A term in every lesson, cut across files.
    const cut = 'مشترك';
    expect(rows.filter((r) => r === cut).length).toBeGreaterThan(1);
    const at = terms.indexOf(cut);
    const last = ['يييييي', 'ييييييي ييي', 'ۿۿۿ'].find((w) => sortTerms([...terms, tokenize(w).map((x) => indexTerms(x)![0]!)[0]!]).at(-1) === indexTerms(tokenize(w)[0]!)![0]);
    expect(last, 'a word that sorts after every term').toBeDefined();
    const words = [terms[at - 1]!, terms[at + 1]!, terms[at - 2]!, terms[at + 2]!, last!];
    for (const [i, word] of words.entries()) {
      const edited = docs.map((d, n) => (n === 100 + i * 720 ? { ...d, lesson_name: `${d.lesson_name} ${word.replace(/^~/, '')}` } : d));
      const full = renderRouting('P', edited);
      const fromPrevious = renderRouting('P', edited, previousOf('P', before));
      expect(fromPrevious.incremental, word).toBe(true);
      expect(fromPrevious.routing, word).toEqual(full.routing);
      expect(hashesOf(fromPrevious), word).toEqual(hashesOf(full));
    }
  });

  it('renders again only the term files around the terms a title edit reaches, and keeps the others as they are', () => {
    const random = new Random(9);
    const docs = planDocs(2_000, random);
    const before = renderRouting('P', docs);
    const edited = docs.map((d, i) => (i === 1_234 ? { ...d, lesson_name: `${d.lesson_name} الزلازل` } : d));
    const after = renderRouting('P', edited, previousOf('P', before));
    expect(after.incremental).toBe(true);
    const termFiles = after.files.filter((f) => f.kind === 'search_terms');
    const reusedTerms = after.reused.filter((f) => f.kind === 'search_terms');
    expect(reusedTerms.length).toBeGreaterThan(0);
    expect(termFiles.length + reusedTerms.length).toBe(after.routing.terms.length);
    expect(termFiles.length * 3).toBeLessThan(after.routing.terms.length);
    // A word the plan had already: the vocabulary is the same, its files kept as they are.
    expect(after.routing.vocabulary).toEqual(before.routing.vocabulary);
    expect(after.reused.filter((f) => f.kind === 'search_vocab').length).toBe(before.routing.vocabulary!.length);
  });

  it('renders again only the vocabulary files around a key that comes or goes', () => {
    // Many words of their own (a vocabulary of many files), and one only lesson 7 has (الفريدة,
    // key فريد); the edit takes it away and brings new ones.
    const random = new Random(4);
    const made = () => Array.from({ length: random.int(4, 9) }, () => String.fromCharCode(97 + random.int(0, 25))).join('');
    const docs = planDocs(2_000, random).map((d, i) => ({ ...d, lesson_name: `${d.lesson_name} ${made()}${i === 7 ? ' الفريدة' : ''}` }));
    const before = renderRouting('P', docs);
    const vocabOf = (r: typeof before) => r.files.filter((f) => f.kind === 'search_vocab').map((f) => JSON.parse(f.bytes.toString('utf8')) as VocabFile);
    const keysOf = (r: typeof before) => new Set(vocabOf(r).flatMap((f) => f.keys));
    expect(keysOf(before).has('فريد')).toBe(true);
    const own = docs[7]!.lesson_name.split(' ').at(-2)!;
    const edited = docs.map((d, i) => (i === 7 ? { ...d, lesson_name: `درس الزلازل البركانية ${own}` } : d));
    const full = renderRouting('P', edited);
    const after = renderRouting('P', edited, previousOf('P', before));
    expect(after.incremental).toBe(true);
    expect(hashesOf(after)).toEqual(hashesOf(full));
    const [was, now] = [keysOf(before), keysOf(full)];
    expect(now.has('فريد')).toBe(false);
    expect(now.has('بركان')).toBe(true);
    // The files rendered again are those of the keys that came or went (بركان, its stem's key برك, فريد).
    const cameOrWent = [...was].filter((k) => !now.has(k)).concat([...now].filter((k) => !was.has(k)));
    expect(cameOrWent.sort()).toEqual(['برك', 'بركان', 'فريد'].sort());
    const rendered = after.files.filter((f) => f.kind === 'search_vocab').map((f) => JSON.parse(f.bytes.toString('utf8')) as VocabFile);
    expect(after.routing.vocabulary!.length).toBeGreaterThan(3);
    expect(rendered.length).toBeLessThanOrEqual(cameOrWent.length * 2);
    for (const key of cameOrWent.filter((k) => now.has(k))) expect(rendered.some((v) => v.keys.includes(key)), key).toBe(true);
    expect(after.reused.filter((f) => f.kind === 'search_vocab').length).toBeGreaterThan(0);
  });

  it('renders every term file again when the previous files cannot be used: another number of lessons, a file not as recorded, most lessons changed', () => {
    const random = new Random(5);
    const docs = planDocs(1_500, random);
    const before = renderRouting('P', docs);
    const cases: [string, SearchDocument[], PreviousRouting][] = [
      ['a lesson added', [...docs, { ...docs[0]!, lesson_id: 'NEW' }], previousOf('P', before)],
      ['most lessons retitled', docs.map((d, i) => (i % 2 === 0 ? { ...d, lesson_name: `عنوان ${i}` } : d)), previousOf('P', before)],
      [
        'a term file gone from the output folder',
        docs.map((d, i) => (i === 10 ? { ...d, lesson_name: 'درس جديد' } : d)),
        { ...previousOf('P', before), read: (key) => (key.includes('/~t') ? null : previousOf('P', before).read(key)) },
      ],
    ];
    for (const [what, next, previous] of cases) {
      const full = renderRouting('P', next);
      const again = renderRouting('P', next, previous);
      expect(again.incremental, what).toBe(false);
      expect(hashesOf(again), what).toEqual(hashesOf(full));
    }
  });
});

describe('plan-wide search through routed files', () => {
  let out: string;
  let server: PreviewServer;
  let plan: string;
  let shards: ReturnType<typeof loadSearchIndex>[];
  /** Queries from the plan's own titles: words as written, in other forms, pairs of words. */
  let queries: string[];
  /** A word found in few lessons. */
  let rare: string;
  /** Every lesson title of the plan. */
  let lessonTitles: string[];

  beforeAll(async () => {
    const dir = await tempDir('memora-routed-');
    const cache = path.join(dir, 'cache');
    out = path.join(dir, 'out');
    await writeGeneratedCatalog(cache, { plans: 1, lessons: 1500, seed: 5 });
    await build({ cacheDir: cache, outDir: out, log: memoryLogger() });
    plan = decodeURIComponent((await readdir(path.join(out, 'plans')))[0]!);
    const index = JSON.parse(await readFile(outFile(out, keys.searchIndex(plan)), 'utf8')) as { shards: { url: string }[] };
    shards = await Promise.all(
      index.shards.map(async (s) => loadSearchIndex(await readFile(path.join(out, decodeURIComponent(s.url).replace(/~[0-9a-f]{16}\.json$/, '.json')), 'utf8'))),
    );
    server = await startPreviewServer({ outDir: out, port: 0, viewer: { files: new Map() } });

    const titles = (lessonTitles = shards.flatMap((s) => s.search(MiniSearch.wildcard).map((r) => String(r.lesson_name))));
    const counts = new Map<string, number>();
    for (const t of titles) for (const w of new Set(tokenize(t.toLowerCase()))) counts.set(w, (counts.get(w) ?? 0) + 1);
    queries = [];
    for (const title of titles.filter((_, i) => i % 97 === 0).slice(0, 8)) {
      const words = tokenize(title.toLowerCase()).filter((w) => w.length >= 4);
      const [a, b] = words;
      if (!a) continue;
      queries.push(a, a.endsWith('s') ? a.slice(0, -1) : `${a}s`, a.slice(0, 3));
      if (b) queries.push(`${a} ${b}`);
    }
    rare = [...counts].filter(([w, n]) => n <= 3 && w.length >= 5 && /^\p{L}+$/u.test(w)).sort((x, y) => (x[0] < y[0] ? -1 : 1))[0]![0];
  });

  afterAll(async () => {
    await server?.close();
  });

  /** A client whose requests are recorded (RequestLog: the order they start and finish, for round trips), over `inner`. */
  function recordingClient(inner?: typeof fetch) {
    const log = new RequestLog();
    return { client: new CdnClient({ baseUrl: server.url, fetch: log.fetch(inner) }), requests: log.requests };
  }

  /** The lessons whose title holds the word as written. */
  function titlesWith(word: string): string[] {
    return shards.flatMap((s) => s.search(MiniSearch.wildcard).filter((r) => tokenize(String(r.lesson_name)).includes(word)).map((r) => String(r.id)));
  }

  /** A query's lessons and their tiers (`id:tier`, fuzzy off, sorted) from the subject shards and from the client's routed search. */
  async function bothWays(client: CdnClient, query: string): Promise<{ shard: string[]; routed: string[] }> {
    const shard = searchIndexes(shards, queryWords(query), 10_000, { fuzzy: false })
      .filter((m) => m.tier !== TIER.fuzzy)
      .map((m) => `${String(m.result.id)}:${m.tier}`)
      .sort();
    const routed = (await client.search(plan, query, { limit: 10_000, fuzzy: false })).map((h) => `${h.lessonId}:${['word', 'stem', 'fuzzy'].indexOf(h.match)}`).sort();
    return { shard, routed };
  }

  it('finds the same lessons as the subject shards, word and stem matches alike', async () => {
    const client = new CdnClient({ baseUrl: server.url });
    expect(queries.length).toBeGreaterThanOrEqual(20);
    for (const query of queries) {
      const { shard, routed } = await bothWays(client, query);
      expect(routed, query).toEqual(shard);
    }
    // The queries are real: whole words as written find lessons, other forms at the stem tier.
    const found = await Promise.all(queries.map((q) => client.search(plan, q, { fuzzy: false })));
    expect(found.filter((h) => h.length > 0).length).toBeGreaterThan(queries.length * 0.8);
    expect(found.flat().some((h) => h.match === 'stem')).toBe(true);
  });

  it('finds the same lessons as the subject shards for Arabic words with and without their article and proclitics', async () => {
    const client = new CdnClient({ baseUrl: server.url });
    const arabic = [...new Set(lessonTitles.flatMap((t) => tokenize(t)).filter((w) => /^[\u0621-\u064A]{4,}$/u.test(w)))].sort().filter((_, i) => i % 7 === 0).slice(0, 12);
    expect(arabic.length).toBeGreaterThanOrEqual(8);
    const bare = (w: string) => (w.startsWith('ال') ? w.slice(2) : w);
    const arabicQueries = [...new Set(arabic.flatMap((w) => [w, bare(w), `و${w}`, `و${bare(w)}`, `ب${bare(w)}`, `ل${w}`]))];
    for (const query of arabicQueries) {
      const { shard, routed } = await bothWays(client, query);
      expect(routed, query).toEqual(shard);
    }
  });

  it('finds the same lessons as the subject shards for a word typed so far, with an article or proclitic the title\'s word may lack', async () => {
    const client = new CdnClient({ baseUrl: server.url });
    const words = [...new Set(lessonTitles.flatMap((t) => tokenize(t)).filter((w) => /^[\u0621-\u064A]{5,}$/u.test(w)))].sort();
    // Not a base that begins with و, ب, ل or ال: the words it begins may be routed under what follows
    // (`باستخدام` under `استخدام`), whose range a three-letter prefix does not fetch on this plan
    // (docs/client.md: a prefix matches only the words of the files the query fetches).
    const bases = [...new Set(words.map((w) => (w.startsWith('ال') ? w.slice(2) : w)))].filter((b) => !/^(?:[وبل]|ال)/u.test(b)).filter((_, i) => i % 5 === 0).slice(0, 10);
    expect(bases.length).toBeGreaterThanOrEqual(8);
    const partials = [...new Set(bases.flatMap((b) => [`ال${b.slice(0, 3)}`, `وال${b.slice(0, 3)}`, `لل${b.slice(0, 4)}`, `و${b.slice(0, 3)}`]))];
    let stemOnly = 0;
    for (const query of partials) {
      const { shard, routed } = await bothWays(client, query);
      expect(routed, query).toEqual(shard);
      if (routed.length > 0 && routed.every((g) => g.endsWith(':1'))) stemOnly++;
    }
    // Some of them are found only without their article or proclitic, as the beginning of a stem or word.
    expect(stemOnly).toBeGreaterThan(0);
  });

  it('fetches the search index, then only the term files of the query\'s words, in one round trip', async () => {
    const { client, requests } = recordingClient();
    const hits = await client.search(plan, rare);
    expect(hits.length).toBeGreaterThan(0);
    expect(requests[0]!.url).toMatch(/manifest\.json$/);
    expect(requests[1]!.url).toMatch(/search_index~[0-9a-f]{16}\.json$/);
    const rest = requests.slice(2);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.length).toBeLessThanOrEqual(2);
    for (const r of rest) expect(r.url).toMatch(/\/search\/~t\d+~[0-9a-f]{16}\.json$/);
    // Round trips after the manifest: the index, then the term files together.
    expect(roundTripsOf(requests)).toBe(2);
  });

  it('finds a word with a typo in its first letters through the vocabulary files, about as often as the subject shards do, two round trips later', async () => {
    const letters = 'ابتثجحخدذرزسشصضطظعغفقكلمنهوي';
    const words = [...new Set(lessonTitles.flatMap((t) => tokenize(t)).filter((w) => /^[\u0621-\u064A]{5,}$/u.test(w)))].sort().filter((_, i) => i % 3 === 0);
    expect(words.length).toBeGreaterThanOrEqual(20);
    let shardFound = 0;
    let routedFound = 0;
    for (const [k, word] of words.entries()) {
      // The first letter after the article, replaced by another.
      const at = word.startsWith('ال') ? 2 : 0;
      const other = [...letters].filter((c) => c !== word[at])[k % (letters.length - 1)]!;
      const typo = word.slice(0, at) + other + word.slice(at + 1);
      const holders = new Set(titlesWith(word));
      const shard = searchIndexes(shards, queryWords(typo), 20).map((m) => String(m.result.id));
      const routed = (await new CdnClient({ baseUrl: server.url }).search(plan, typo, { retype: false })).map((h) => h.lessonId);
      if (shard.some((id) => holders.has(id))) shardFound++;
      if (routed.some((id) => holders.has(id))) routedFound++;
    }
    expect(shardFound).toBeGreaterThan(words.length / 2);
    expect(routedFound).toBeGreaterThanOrEqual(shardFound * 0.8);

    // The round trips: the index, the term files of its own keys, the vocabulary files, the near keys' term files.
    const word = words.find((w) => !w.startsWith('ال'))!;
    const typo = (word[0] === 'ث' ? 'ت' : 'ث') + word.slice(1);
    const { client, requests } = recordingClient();
    const hits = await client.search(plan, typo, { retype: false });
    expect(hits.some((h) => titlesWith(word).includes(h.lessonId)), typo).toBe(true);
    expect(hits[0]!.match).toBe('fuzzy');
    const vocabulary = requests.filter((r) => /\/search\/~v\d+~[0-9a-f]{16}\.json$/.test(r.url));
    expect(vocabulary.length).toBeGreaterThan(0);
    expect(roundTripsOf(requests)).toBeGreaterThanOrEqual(3);
    expect(roundTripsOf(requests)).toBeLessThanOrEqual(5);
    // A word spelt right fetches no vocabulary file.
    const right = recordingClient();
    expect((await right.client.search(plan, word)).length).toBeGreaterThan(0);
    expect(right.requests.some((r) => r.url.includes('/search/~v'))).toBe(false);
  });

  it('takes a hit\'s display data from a document file when no term file it came with holds it', async () => {
    const expected = await new CdnClient({ baseUrl: server.url }).search(plan, queries[0]!);
    expect(expected.length).toBeGreaterThan(0);
    // Term files without their display rows: every hit's must come from the document files.
    const { client, requests } = recordingClient(async (input, init) => {
      const response = await fetch(input, init);
      if (!/\/search\/~t\d+~/.test(String(input))) return response;
      return new Response(JSON.stringify({ ...((await response.json()) as object), docs: {} }), { status: response.status });
    });
    const hits = await client.search(plan, queries[0]!);
    expect(hits).toEqual(expected);
    const docFiles = requests.filter((r) => /\/search\/~d\d+~[0-9a-f]{16}\.json$/.test(r.url));
    expect(docFiles.length).toBeGreaterThan(0);
    // Index, term files, then document files: three round trips after the manifest.
    expect(roundTripsOf(requests)).toBe(3);
  });

  it('refuses a term file that is not one, naming it, and does not keep it: the next search fetches it again', async () => {
    let broken = true;
    const client = new CdnClient({
      baseUrl: server.url,
      // A document file's shape where a term file should be (its docs a list, no terms).
      fetch: async (input, init) => (broken && /\/search\/~t\d+~/.test(String(input)) ? new Response('{"search_version":3,"first":1,"docs":[],"nodes":[]}') : fetch(input, init)),
    });
    await expect(client.search(plan, rare)).rejects.toThrow(CdnClientError);
    await expect(client.search(plan, rare)).rejects.toThrow(/\/search\/~t\d+~[0-9a-f]{16}\.json: not a search term file/);
    broken = false;
    expect(await client.search(plan, rare)).toEqual(await new CdnClient({ baseUrl: server.url }).search(plan, rare));
  });

  it('says which lesson has no display data when the files disagree', async () => {
    const client = new CdnClient({
      baseUrl: server.url,
      fetch: async (input, init) => {
        const url = String(input);
        if (!/\/search\/~[td]\d+~/.test(url)) return fetch(input, init);
        const body = (await (await fetch(input, init)).json()) as { docs: unknown };
        body.docs = Array.isArray(body.docs) ? [['x', 'x', 0]] : {};
        return new Response(JSON.stringify(body));
      },
    });
    await expect(client.search(plan, rare)).rejects.toThrow(/search_index~[0-9a-f]{16}\.json: lesson number \d+ has no display data/);
  });
});
