/**
 * A sharded plan's routed search files (packages/client/src/search/routing.ts; docs/cdn-format.md,
 * "Routed search"): term files, each a sorted range of the plan's index terms with every lesson
 * they occur in and a precomputed score, and document files with the lessons' display data. The
 * plan's search_index.json lists them in `routing`, so that a plan-wide search fetches the term
 * files of its words only. Vocabulary files list the routing keys by length, for the near
 * spellings of a word that no term file of its own keys knows.
 *
 * Index terms are the shards' (`indexTerms` of search/config.ts), less the stems a client derives
 * from the words themselves (routing.ts, `storedStems`). A term's best lessons
 * (by score, then number) carry their display data in its term file, so that the first page of
 * hits of most queries needs no other file. Every file stays under the byte budgets below.
 */
import { INDEXED_FIELDS, normalizeTerm, SEARCH_VERSION, STEM_MARK, type SearchDocument } from '../../../packages/client/src/search/config.ts';
import { tokenize } from '../../../packages/client/src/search/normalize.ts';
import { routeKey, sortTerms, storedStems, termScore, VOCABULARY_MIN_LENGTH, type DocFile, type DocFileRef, type DocRow, type NodeRow, type Routing, type TermFile, type TermFileRef, type TermRow, type VocabFile, type VocabFileRef } from '../../../packages/client/src/search/routing.ts';
import { DEFAULT_SEARCH_LIMIT } from '../../../packages/client/src/client.ts';
import { keys, VERSION_HASH_LENGTH } from '../../../packages/client/src/layout.ts';
import { jsonFile, type RenderedFile, type TreeFile } from '../files.ts';
import { fnv1a32 } from '../../io/hash.ts';

/**
 * Term files are cut where the content says, not at fixed sizes, so that an edit changes the
 * files of the terms it touches and not every file after them: a file ends before a routing key
 * whose hash is a multiple of CUT_EVERY once it holds TERM_FILE_MIN_BYTES, and in any case before
 * it would pass TERM_FILE_MAX_BYTES. A query's words mostly fall in one or two files.
 */
export const TERM_FILE_MIN_BYTES = 12_000;
export const TERM_FILE_MAX_BYTES = 24_000;
/** Document files, likewise, by lesson ID. */
export const DOC_FILE_MIN_BYTES = 6_000;
export const DOC_FILE_MAX_BYTES = 12_000;
const CUT_EVERY = 4;

function isCutPoint(text: string): boolean {
  return fnv1a32(text) % CUT_EVERY === 0;
}
/** A term's best lessons whose display data its term file carries: a first page of hits. */
export const BEST_PER_TERM = DEFAULT_SEARCH_LIMIT;
/**
 * A term found in at most this many lessons carries the display data of all of them: every hit
 * of a query with such a word then has its display data in the term files (two round trips
 * after the manifest), whatever the query's other words.
 */
export const ALL_DOCS_UP_TO = 40;

/** UTF-8 bytes of a value's JSON. */
function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

interface Posting {
  doc: number;
  score: number;
}

/**
 * The terms of one text, each with how often it occurs, and the text's length in words. A word
 * is stored as itself; its stems only where the client cannot derive them from it (routing.ts,
 * `storedStems`).
 */
function fieldTerms(text: string): { counts: Map<string, number>; length: number } {
  const counts = new Map<string, number>();
  const tokens = tokenize(text);
  const add = (term: string) => counts.set(term, (counts.get(term) ?? 0) + 1);
  for (const token of tokens) {
    const word = normalizeTerm(token);
    if (word === null) continue;
    add(word);
    for (const stem of storedStems(word)) add(STEM_MARK + stem);
  }
  return { counts, length: tokens.length };
}

/** A lesson's terms with their scores. They depend on the lesson alone (fixed field lengths), so plans sharing a lesson's document share them. */
const scoredTerms = new WeakMap<SearchDocument, [term: string, score: number][]>();
const fieldMemo = new Map<string, { counts: Map<string, number>; length: number }>();
const FIELD_MEMO_MAX = 50_000;

function termsOfDoc(doc: SearchDocument): [string, number][] {
  let out = scoredTerms.get(doc);
  if (out) return out;
  const fields = INDEXED_FIELDS.map((f) => {
    let t = fieldMemo.get(doc[f]);
    if (!t) {
      if (fieldMemo.size >= FIELD_MEMO_MAX) fieldMemo.clear();
      fieldMemo.set(doc[f], (t = fieldTerms(doc[f])));
    }
    return t;
  });
  const terms = new Set<string>();
  for (const f of fields) for (const term of f.counts.keys()) terms.add(term);
  const lengths = fields.map((f) => f.length);
  out = [...terms].map((term) => [term, termScore(fields.map((f) => f.counts.get(term) ?? 0), lengths)]);
  scoredTerms.set(doc, out);
  return out;
}

/** Every term's postings, by lesson number, with scores. */
function postingsOf(docs: readonly SearchDocument[]): Map<string, Posting[]> {
  const postings = new Map<string, Posting[]>();
  docs.forEach((doc, n) => {
    for (const [term, score] of termsOfDoc(doc)) {
      let list = postings.get(term);
      if (!list) postings.set(term, (list = []));
      list.push({ doc: n, score });
    }
  });
  return postings;
}

/** Bytes of a lesson's display row and of its topic, unit and subject rows (about), computed once per document. */
const rowBytes = new WeakMap<SearchDocument, [lesson: number, topic: number, unit: number, subject: number]>();

function bytesOfRows(d: SearchDocument): [number, number, number, number] {
  let b = rowBytes.get(d);
  if (!b) {
    b = [jsonBytes([d.lesson_id, d.lesson_name, 0]), jsonBytes([d.topic_id, d.topic_name, 0]) + 1, jsonBytes([d.unit_id, d.unit_name, 0]) + 1, jsonBytes([d.subject_id, d.subject_name, -1]) + 1];
    rowBytes.set(d, b);
  }
  return b;
}

/** Display rows and the node table they point into, built per file. */
class DisplayTable {
  readonly docs: Record<string, DocRow> = {};
  readonly nodes: NodeRow[] = [];
  /** Node row numbers by ID, per level (subjects, units and topics are numbered in one table). */
  private readonly subjects = new Map<string, number>();
  private readonly units = new Map<string, number>();
  private readonly topics = new Map<string, number>();
  private bytes = 2;

  constructor(private readonly all: readonly SearchDocument[]) {}

  get size(): number {
    return this.bytes;
  }

  has(n: number): boolean {
    return this.docs[n] !== undefined;
  }

  /** What adding lesson `n` would add, in bytes (about). */
  cost(n: number): number {
    if (this.has(n)) return 0;
    const d = this.all[n]!;
    const [lesson, topic, unit, subject] = bytesOfRows(d);
    let cost = lesson + digits(n) + 4;
    if (!this.topics.has(d.topic_id)) cost += topic;
    if (!this.units.has(d.unit_id)) cost += unit;
    if (!this.subjects.has(d.subject_id)) cost += subject;
    return cost;
  }

  add(n: number): DocRow {
    const cost = this.cost(n);
    const d = this.all[n]!;
    const subject = this.node(this.subjects, d.subject_id, d.subject_name, -1);
    const unit = this.node(this.units, d.unit_id, d.unit_name, subject);
    const topic = this.node(this.topics, d.topic_id, d.topic_name, unit);
    const row: DocRow = [d.lesson_id, d.lesson_name, topic];
    this.docs[n] = row;
    this.bytes += cost;
    return row;
  }

  private node(level: Map<string, number>, id: string, name: string, parent: number): number {
    let i = level.get(id);
    if (i === undefined) {
      i = this.nodes.length;
      this.nodes.push([id, name, parent]);
      level.set(id, i);
    }
    return i;
  }
}

/** The lesson numbers of a term's best lessons: by score, highest first, then by number. */
function best(postings: readonly Posting[], count: number): number[] {
  const before = (a: Posting, b: Posting) => b.score - a.score || a.doc - b.doc;
  if (count >= postings.length) return [...postings].sort(before).map((p) => p.doc);
  // The first `count` of the order, kept sorted while the postings pass once: a common word's
  // thousands of postings are not all sorted to find its few best.
  const top: Posting[] = [];
  for (const p of postings) {
    if (top.length === count && before(p, top[count - 1]!) >= 0) continue;
    let at = top.length;
    while (at > 0 && before(p, top[at - 1]!) < 0) at--;
    top.splice(at, 0, p);
    if (top.length > count) top.pop();
  }
  return top.map((p) => p.doc);
}

/** Postings as a term row writes them: lesson-number gaps and scores in pairs (routing.ts, TermRow). */
function flat(postings: readonly Posting[]): number[] {
  const out: number[] = [];
  let last = 0;
  for (const p of postings) {
    out.push(p.doc - last, p.score);
    last = p.doc;
  }
  return out;
}

/** Characters of a whole number as JSON writes it. */
function digits(n: number): number {
  if (n < 0) return 1 + digits(-n);
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Bytes of postings as `flat` writes them (about): each pair as digits and commas. */
function postingsBytes(postings: readonly Posting[], after = 0): number {
  let n = 0;
  let last = after;
  for (const p of postings) {
    n += digits(p.doc - last) + digits(p.score) + 2;
    last = p.doc;
  }
  return n;
}

interface TermPart {
  term: string;
  postings: Posting[];
  /** Best lessons to carry (only in a term's first part). */
  best: number[];
}

/** A term's parts: the whole term, or for a term too large for one file, parts that each fit. */
function partsOfTerm(term: string, list: Posting[]): TermPart[] {
  const top = best(list, list.length <= ALL_DOCS_UP_TO ? list.length : BEST_PER_TERM);
  // Leave room for the display rows and the term itself.
  const room = TERM_FILE_MAX_BYTES * 0.75;
  if (postingsBytes(list) <= room) return [{ term, postings: list, best: top }];
  const parts: TermPart[] = [];
  let start = 0;
  while (start < list.length) {
    let bytes = 0;
    let end = start;
    while (end < list.length && (end === start || bytes + postingsBytes([list[end]!], list[end - 1]!.doc) <= room)) {
      bytes += postingsBytes([list[end]!], end === start ? 0 : list[end - 1]!.doc);
      end++;
    }
    parts.push({ term, postings: list.slice(start, end), best: start === 0 ? top : [] });
    start = end;
  }
  return parts;
}

/**
 * Packs term parts, in term order, into term files: a file ends before a part that would pass
 * TERM_FILE_MAX_BYTES, or at a cut point once it holds TERM_FILE_MIN_BYTES. Where a file ends
 * depends only on the parts from its start, so two renders that start a file at the same part
 * and are given the same parts from there write the same files.
 */
class TermPacker {
  private rows: TermRow[] = [];
  private table: DisplayTable;
  private bytes = 0;
  private lastKey: string | null = null;

  constructor(
    private readonly docs: readonly SearchDocument[],
    private readonly emit: (rows: TermRow[], table: DisplayTable) => void,
  ) {
    this.table = new DisplayTable(docs);
  }

  /** Whether the open file ends before `part`. */
  endsBefore(part: TermPart): boolean {
    if (this.rows.length === 0) return false;
    const key = routeKeyOf(part.term);
    const size = this.bytes + this.table.size;
    if (key !== this.lastKey && size >= TERM_FILE_MIN_BYTES && isCutPoint(key)) return true;
    const own = jsonBytes(part.term) + postingsBytes(part.postings) + 8;
    const display = part.best.reduce((n, d) => n + this.table.cost(d), 0);
    return size + own + display > TERM_FILE_MAX_BYTES;
  }

  add(part: TermPart): void {
    if (this.endsBefore(part)) this.flush();
    this.lastKey = routeKeyOf(part.term);
    for (const d of part.best) this.table.add(d);
    this.rows.push([part.term, flat(part.postings), part.best.length]);
    this.bytes += jsonBytes(part.term) + postingsBytes(part.postings) + 8;
  }

  flush(): void {
    if (this.rows.length === 0) return;
    this.emit(this.rows, this.table);
    this.rows = [];
    this.table = new DisplayTable(this.docs);
    this.bytes = 0;
  }
}

/** Routing keys of terms, computed once per term (stemming is not free). */
const routeKeys = new Map<string, string>();
const ROUTE_KEYS_MAX = 200_000;

function routeKeyOf(term: string): string {
  let key = routeKeys.get(term);
  if (key === undefined) {
    if (routeKeys.size >= ROUTE_KEYS_MAX) routeKeys.clear();
    routeKeys.set(term, (key = routeKey(term)));
  }
  return key;
}

/** Terms in the order term files hold them (sortTerms): by routing key, then the term itself. */
function compareTerms(a: string, b: string): number {
  const ka = routeKeyOf(a);
  const kb = routeKeyOf(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface RoutedSearch {
  routing: Routing;
  /** Files rendered (term files, document files). */
  files: RenderedFile[];
  /** Term files of the previous build kept as they are (bytes null): the output folder holds them. */
  reused: TreeFile[];
  /** Whether the term files were rendered from the previous build's (only the ranges an edit reaches), rather than from every document. */
  incremental: boolean;
}

/**
 * What renderRouting may take from the previous build of the plan: its files (search_index.json,
 * term and document files) by key, as the output folder holds them.
 */
export interface PreviousRouting {
  /** The previous build's bytes of a file, or null when the output folder no longer holds them as recorded. */
  read(key: string): Buffer | null;
  /** The previous build's file at `key` (bytes null), or null. */
  at(key: string): TreeFile | null;
}

/** A subject of a plan's search, in plan order: its lessons in `docs`, and whether they are the previous build's (the digest of its documents). */
export interface RoutingSubject {
  id: string;
  lessons: number;
  same: boolean;
}

/**
 * The routed search files of a plan whose lessons, in plan order, are `docs`. With the previous
 * build's files of the plan, only what the lessons that changed reach is rendered again
 * (incrementalRouting); the bytes are those of a render from every lesson. `subjects`, when
 * known, narrow down where lessons changed.
 */
export function renderRouting(planId: string, docs: readonly SearchDocument[], previous?: PreviousRouting, subjects?: readonly RoutingSubject[]): RoutedSearch {
  const prior = previous ? priorRouting(planId, docs.length, previous) : null;
  if (previous && prior) {
    try {
      const fromPrevious = incrementalRouting(planId, docs, prior.routing, previous, subjects ? changedRange(subjects, prior.shards) : null);
      if (fromPrevious) return fromPrevious;
    } catch (error) {
      if (!(error instanceof Inconsistent)) throw error;
    }
  }
  const docFiles = renderDocFiles(planId, docs);
  const terms = allTermFiles(planId, docs);
  const vocabulary = renderVocabulary(planId, terms.keys);
  return {
    routing: { documents: docs.length, terms: terms.refs, docs: docFiles.refs, vocabulary: vocabulary.refs },
    files: [...terms.files, ...docFiles.files, ...vocabulary.files],
    reused: [],
    incremental: false,
  };
}

/**
 * Vocabulary files, likewise, by key: a file ends before a key that is a cut point once it holds
 * VOCAB_FILE_MIN_BYTES, and in any case before it would pass VOCAB_FILE_MAX_BYTES (a search
 * fetches those of a few lengths, only for a word that matched no word or stem).
 */
export const VOCAB_FILE_MIN_BYTES = 4_000;
export const VOCAB_FILE_MAX_BYTES = 8_000;

/**
 * Whether a vocabulary file lists a routing key: one of VOCABULARY_MIN_LENGTH characters or more,
 * all letters (words have near spellings; numbers, codes and words with digits, such as `2nd`,
 * are not looked for that way).
 */
function inVocabulary(key: string): boolean {
  return key.length >= VOCABULARY_MIN_LENGTH && /^\p{L}+$/u.test(key);
}

/**
 * The vocabulary files of a plan's routing keys (those `inVocabulary` takes): by length, then in
 * key order, in files cut where the keys say (so that a key that comes or goes changes its own
 * file). With the previous build's files, a file whose bytes are those at its position, and
 * which the output folder holds as recorded, is kept.
 */
function renderVocabulary(planId: string, routingKeys: Iterable<string>, previous?: PreviousRouting): { refs: VocabFileRef[]; files: RenderedFile[]; reused: TreeFile[] } {
  const out: { refs: VocabFileRef[]; files: RenderedFile[]; reused: TreeFile[] } = { refs: [], files: [], reused: [] };
  const sorted = [...new Set(routingKeys)].filter(inVocabulary).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const emit = (list: string[]) => {
    const body: VocabFile = { search_version: SEARCH_VERSION, plan_id: planId, keys: list };
    const file = jsonFile(keys.searchVocab(planId, out.refs.length + 1), 'search_vocab', body);
    out.refs.push([list[0]!.length, file.hash.slice(0, VERSION_HASH_LENGTH)]);
    const was = previous?.at(file.key);
    if (was && was.hash === file.hash && previous?.read(file.key)) out.reused.push(was);
    else out.files.push(file);
  };
  let list: string[] = [];
  let bytes = 0;
  for (const key of sorted) {
    const own = jsonBytes(key) + 1;
    if (list.length > 0 && ((bytes >= VOCAB_FILE_MIN_BYTES && isCutPoint(key)) || bytes + own > VOCAB_FILE_MAX_BYTES)) {
      emit(list);
      list = [];
      bytes = 0;
    }
    list.push(key);
    bytes += own;
  }
  if (list.length > 0) emit(list);
  return out;
}

/** The keys the previous build's vocabulary files list; Inconsistent when it has none (a build from before them) or they are not as recorded. */
function previousVocabulary(planId: string, prior: Routing, previous: PreviousRouting): Set<string> {
  if (!Array.isArray(prior.vocabulary)) throw new Inconsistent('the previous search index lists no vocabulary files');
  const out = new Set<string>();
  prior.vocabulary.forEach((_, i) => {
    for (const key of readPrevious<VocabFile>(previous, keys.searchVocab(planId, i + 1)).keys) out.add(key);
  });
  return out;
}

interface TermFiles {
  refs: TermFileRef[];
  files: RenderedFile[];
  reused: TreeFile[];
}

/** Every term file, and the routing keys of their terms. */
interface AllTermFiles extends TermFiles {
  keys: Set<string>;
}

/** A term file of `rows` at position `n` (from 1). */
function termFile(planId: string, n: number, rows: TermRow[], table: DisplayTable): RenderedFile {
  return jsonFile(keys.searchTerms(planId, n), 'search_terms', { search_version: SEARCH_VERSION, plan_id: planId, terms: rows, docs: table.docs, nodes: table.nodes });
}

/** Every term file, from every lesson's terms. */
function allTermFiles(planId: string, docs: readonly SearchDocument[]): AllTermFiles {
  const out: AllTermFiles = { refs: [], files: [], reused: [], keys: new Set() };
  const packer = new TermPacker(docs, (rows, table) => {
    const file = termFile(planId, out.refs.length + 1, rows, table);
    out.files.push(file);
    out.refs.push([routeKeyOf(rows[0]![0]), file.hash.slice(0, VERSION_HASH_LENGTH)]);
  });
  const postings = postingsOf(docs);
  for (const term of sortTerms(postings.keys())) {
    out.keys.add(routeKeyOf(term));
    for (const part of partsOfTerm(term, postings.get(term)!)) packer.add(part);
  }
  packer.flush();
  return out;
}

/**
 * Packs lessons, by number, into document files: a file ends before a lesson that would pass
 * DOC_FILE_MAX_BYTES, or at a cut point (by the lesson's ID) once it holds DOC_FILE_MIN_BYTES.
 * Where a file ends depends only on the lessons from its start.
 */
class DocPacker {
  private table: DisplayTable;
  private first: number;

  constructor(
    private readonly planId: string,
    private readonly docs: readonly SearchDocument[],
    private readonly out: { refs: DocFileRef[]; files: RenderedFile[] },
    from: number,
  ) {
    this.table = new DisplayTable(docs);
    this.first = from;
  }

  /** Whether the open file ends before lesson n. */
  endsBefore(n: number): boolean {
    const size = this.table.size;
    return n > this.first && (size + this.table.cost(n) > DOC_FILE_MAX_BYTES || (size >= DOC_FILE_MIN_BYTES && isCutPoint(this.docs[n]!.lesson_id)));
  }

  add(n: number): void {
    if (this.endsBefore(n)) this.flush(n);
    this.table.add(n);
  }

  /** Ends the open file before lesson `end`. */
  flush(end: number): void {
    if (end === this.first) return;
    const rows: DocRow[] = [];
    for (let n = this.first; n < end; n++) rows.push(this.table.docs[n]!);
    const file = jsonFile(keys.searchDocs(this.planId, this.out.refs.length + 1), 'search_docs', {
      search_version: SEARCH_VERSION,
      plan_id: this.planId,
      first: this.first,
      docs: rows,
      nodes: this.table.nodes,
    });
    this.out.files.push(file);
    this.out.refs.push([this.first, file.hash.slice(0, VERSION_HASH_LENGTH)]);
    this.table = new DisplayTable(this.docs);
    this.first = end;
  }
}

interface DocFiles {
  refs: DocFileRef[];
  files: RenderedFile[];
  /** Document files of the previous build kept as they are (bytes null). */
  reused: TreeFile[];
}

/** Document files: runs of lessons by number, cut where the lessons' IDs say. */
function renderDocFiles(planId: string, docs: readonly SearchDocument[]): DocFiles {
  const out: DocFiles = { refs: [], files: [], reused: [] };
  const packer = new DocPacker(planId, docs, out, 0);
  for (let n = 0; n < docs.length; n++) packer.add(n);
  packer.flush(docs.length);
  return out;
}

/**
 * The document files from the previous build's: those before the first changed lesson's are
 * kept, lessons are packed again from the start of its file until a file ends where a previous
 * one began, past the last changed lesson's file; from there the previous files are kept (their
 * bytes again where their position moved).
 */
function repackDocFiles(planId: string, docs: readonly SearchDocument[], prior: PriorDocs, changed: ReadonlyMap<number, SearchDocument>): DocFiles {
  const out: DocFiles = { refs: [], files: [], reused: [] };
  const count = prior.firsts.length;
  let next = 0;
  if (changed.size > 0) {
    const numbers = [...changed.keys()];
    const a = prior.fileOf(Math.min(...numbers));
    const last = prior.fileOf(Math.max(...numbers));
    while (next < a) prior.keep(next++, out);
    const packer = new DocPacker(planId, docs, out, prior.firsts[a]!);
    const starts = new Map(prior.firsts.map((first, k) => [first, k]));
    next = count;
    for (let n = prior.firsts[a]!; n < docs.length; n++) {
      const k = starts.get(n);
      if (k !== undefined && k > last && packer.endsBefore(n)) {
        // From here the lessons and the files are the previous build's.
        packer.flush(n);
        next = k;
        break;
      }
      packer.add(n);
    }
    if (next === count) packer.flush(docs.length);
  }
  while (next < count) prior.keep(next++, out);
  return out;
}

/** The previous build's files do not fit together as a render leaves them: render every term file. */
class Inconsistent extends Error {}

/** A term of the previous build's term files, its parts joined, and which of its parts began a file. */
interface PreviousTerm {
  term: string;
  postings: Posting[];
  /** By part number (0 for the first), the previous term file that part began. */
  starts: Map<number, number>;
}

/**
 * The routing and shards of the plan's previous search index, when it can be built on: the same
 * number of lessons, term and document files listed.
 */
function priorRouting(planId: string, lessons: number, previous: PreviousRouting): { routing: Routing; shards: { subject_id: string; lesson_count: number }[] } | null {
  const indexBytes = previous.read(keys.searchIndex(planId));
  if (!indexBytes) return null;
  const index = JSON.parse(indexBytes.toString('utf8')) as { routing?: Routing; shards?: { subject_id: string; lesson_count: number }[] };
  const prior = index.routing;
  // Another number of lessons: lesson numbers may have moved, and with them every posting.
  if (!prior || prior.documents !== lessons || !Array.isArray(prior.terms) || prior.terms.length === 0 || !Array.isArray(prior.docs) || prior.docs.length === 0) return null;
  return { routing: prior, shards: Array.isArray(index.shards) ? index.shards : [] };
}

/**
 * The lesson numbers [from, to) outside which the plan's search documents are the previous
 * build's: the span of the subjects whose documents changed, when the plan shows the same
 * subjects with as many lessons each, in the same order, as its previous index's shards say
 * (then every lesson outside the span kept its number); else null.
 */
function changedRange(subjects: readonly RoutingSubject[], shards: readonly { subject_id: string; lesson_count: number }[]): [number, number] | null {
  // A subject's shards, and a subject the plan lists twice in a row, count as one run.
  const runs = <T>(items: readonly T[], id: (t: T) => string, lessons: (t: T) => number, same: (t: T) => boolean) => {
    const out: { id: string; lessons: number; same: boolean }[] = [];
    for (const item of items) {
      const last = out.at(-1);
      if (last && last.id === id(item)) {
        last.lessons += lessons(item);
        last.same &&= same(item);
      } else out.push({ id: id(item), lessons: lessons(item), same: same(item) });
    }
    return out;
  };
  const now = runs(subjects.filter((s) => s.lessons > 0), (s) => s.id, (s) => s.lessons, (s) => s.same);
  const before = runs(shards, (s) => s.subject_id, (s) => s.lesson_count, () => true);
  if (now.length !== before.length) return null;
  let at = 0;
  let from = -1;
  let to = 0;
  for (const [i, run] of now.entries()) {
    if (run.id !== before[i]!.id || run.lessons !== before[i]!.lessons) return null;
    if (!run.same) {
      if (from < 0) from = at;
      to = at + run.lessons;
    }
    at += run.lessons;
  }
  return from < 0 ? [0, 0] : [from, to];
}

/**
 * The routed files of a plan rendered from its previous build's: the lessons whose search
 * documents changed are found (in `changedRange`, when known, or by comparing every document file), the
 * document files are packed again around them, and the term files only where their terms, before
 * and after the change, fall (TermRepacker). Null when a quarter of the lessons or more changed:
 * most terms are reached anyway. Throws Inconsistent when the previous files are not as recorded.
 */
function incrementalRouting(planId: string, docs: readonly SearchDocument[], prior: Routing, previous: PreviousRouting, changedRange: readonly [number, number] | null): RoutedSearch | null {
  const priorDocs = new PriorDocs(planId, prior, previous);
  let changed: Map<number, SearchDocument>;
  let docFiles: DocFiles;
  if (changedRange) {
    changed = priorDocs.changedIn(docs, changedRange);
    if (changed.size > docs.length / 4) return null;
    docFiles = repackDocFiles(planId, docs, priorDocs, changed);
  } else {
    docFiles = renderDocFiles(planId, docs);
    changed = priorDocs.changedFiles(docs, docFiles);
    if (changed.size > docs.length / 4) return null;
  }
  const before = previousVocabulary(planId, prior, previous);
  const repacker = new TermRepacker(planId, docs, prior, previous, changed);
  const terms = repacker.run();
  // The keys of terms whose postings changed are listed when a term of theirs still has lessons.
  for (const [key, present] of repacker.touchedKeys()) {
    if (present) before.add(key);
    else before.delete(key);
  }
  const vocabulary = renderVocabulary(planId, before, previous);
  return {
    routing: { documents: docs.length, terms: terms.refs, docs: docFiles.refs, vocabulary: vocabulary.refs },
    files: [...terms.files, ...docFiles.files, ...vocabulary.files],
    reused: [...terms.reused, ...docFiles.reused, ...vocabulary.reused],
    incremental: true,
  };
}

/** The previous build's bytes of a file; Inconsistent when the output folder no longer holds them as recorded. */
function previousBytes(previous: PreviousRouting, key: string): Buffer {
  const bytes = previous.read(key);
  if (!bytes) throw new Inconsistent(`${key} is not in the output folder as the record says`);
  return bytes;
}

/** A file of the previous build, parsed; Inconsistent when it is gone or not as recorded. */
function readPrevious<T>(previous: PreviousRouting, key: string): T {
  return JSON.parse(previousBytes(previous, key).toString('utf8')) as T;
}

/**
 * Keeps the previous build's routed file at position k (from 0) as it is, at the next position of
 * `out`: the record's file where the position is the same, else its bytes under the new
 * position's name. `keyAt` names a position (from 1).
 */
function keepPrevious<R>(previous: PreviousRouting, kind: 'search_terms' | 'search_docs', keyAt: (n: number) => string, k: number, ref: R, out: { refs: R[]; files: RenderedFile[]; reused: TreeFile[] }): void {
  const at = out.refs.length + 1;
  const was = previous.at(keyAt(k + 1));
  if (!was) throw new Inconsistent(`${keyAt(k + 1)} is not in the record`);
  out.refs.push(ref);
  if (at === k + 1) out.reused.push(was);
  else out.files.push({ key: keyAt(at), kind, bytes: previousBytes(previous, was.key), hash: was.hash });
}

/** A lesson's search document as a document file shows it. */
function docOfRow(row: DocRow, nodes: readonly NodeRow[]): SearchDocument {
  const topic = nodes[row[2]];
  const unit = topic ? nodes[topic[2]] : undefined;
  const subject = unit ? nodes[unit[2]] : undefined;
  if (!topic || !unit || !subject) throw new Inconsistent(`lesson ${row[0]}: its node rows are incomplete`);
  return { lesson_id: row[0], lesson_name: row[1], subject_id: subject[0], subject_name: subject[1], unit_id: unit[0], unit_name: unit[1], topic_id: topic[0], topic_name: topic[1] };
}

function sameDoc(a: SearchDocument, b: SearchDocument): boolean {
  return (
    a.lesson_id === b.lesson_id &&
    a.lesson_name === b.lesson_name &&
    a.topic_id === b.topic_id &&
    a.topic_name === b.topic_name &&
    a.unit_id === b.unit_id &&
    a.unit_name === b.unit_name &&
    a.subject_id === b.subject_id &&
    a.subject_name === b.subject_name
  );
}

/** The previous build's document files of a plan: its lessons' search documents as they were. */
class PriorDocs {
  readonly firsts: number[];
  private readonly parsed = new Map<number, DocFile>();

  constructor(
    private readonly planId: string,
    private readonly prior: Routing,
    private readonly previous: PreviousRouting,
  ) {
    this.firsts = prior.docs.map((r) => r[0]);
  }

  /** The previous file whose run holds lesson n. */
  fileOf(n: number): number {
    let lo = 0;
    let hi = this.firsts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.firsts[mid]! <= n) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Lesson n's search document as the previous build had it. */
  doc(n: number): SearchDocument {
    const k = this.fileOf(n);
    let file = this.parsed.get(k);
    if (!file) this.parsed.set(k, (file = readPrevious<DocFile>(this.previous, this.key(k))));
    const row = file.docs[n - file.first];
    if (!row) throw new Inconsistent(`lesson ${n} is not in the previous document file ${k + 1}`);
    return docOfRow(row, file.nodes);
  }

  /** The lessons in [from, to) whose documents changed, with their previous documents. */
  changedIn(docs: readonly SearchDocument[], [from, to]: readonly [number, number]): Map<number, SearchDocument> {
    const changed = new Map<number, SearchDocument>();
    for (let n = from; n < to; n++) {
      const before = this.doc(n);
      if (!sameDoc(before, docs[n]!)) changed.set(n, before);
    }
    return changed;
  }

  /**
   * The lessons whose documents changed, found from every document file rendered again: a file
   * holds all of its lessons' documents, so the lessons of a file the previous build had with the
   * same first lesson and the same bytes are unchanged; the others are compared one by one.
   */
  changedFiles(docs: readonly SearchDocument[], rendered: DocFiles): Map<number, SearchDocument> {
    const hashByFirst = new Map<number, string | undefined>();
    this.firsts.forEach((first, k) => hashByFirst.set(first, this.previous.at(this.key(k))?.hash));
    const changed = new Map<number, SearchDocument>();
    rendered.refs.forEach(([first], i) => {
      const end = i + 1 < rendered.refs.length ? rendered.refs[i + 1]![0] : docs.length;
      const hash = hashByFirst.get(first);
      if (hash !== undefined && hash === rendered.files[i]!.hash) return;
      for (const [n, before] of this.changedIn(docs, [first, end])) changed.set(n, before);
    });
    return changed;
  }

  /** Keeps previous document file k as it is, at the next position of `out` (keepPrevious). */
  keep(k: number, out: DocFiles): void {
    keepPrevious(this.previous, 'search_docs', (n) => keys.searchDocs(this.planId, n), k, this.prior.docs[k]!, out);
  }

  private key(k: number): string {
    return keys.searchDocs(this.planId, k + 1);
  }
}

/** Postings as a term row writes them, read back (routing.ts, TermRow). */
function unflat(pairs: readonly number[], into: Posting[]): void {
  let doc = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    doc += pairs[i]!;
    into.push({ doc, score: pairs[i + 1]! });
  }
}

/** The repacking of incrementalTerms, over the previous build's term files. */
class TermRepacker {
  private readonly firsts: string[];
  private readonly parsed = new Map<number, TermFile>();
  private readonly rawFiles = new Map<number, RawTermFile>();
  private readonly out: TermFiles = { refs: [], files: [], reused: [] };
  /** The terms whose postings changed (a changed lesson's score in it differs, or it came or went), in term order. */
  private readonly touched: string[];
  /** Terms a changed lesson has with the same score before and after: only files showing the lesson change for them. */
  private readonly shown = new Map<string, number[]>();
  /** Postings a changed lesson has now, by term. */
  private readonly added = new Map<string, Posting[]>();
  /** Routing keys of the terms packed again with lessons. */
  private readonly packedKeys = new Set<string>();
  /** Previous term files kept as they are. */
  private readonly kept = new Set<number>();
  private next = 0;

  constructor(
    private readonly planId: string,
    private readonly docs: readonly SearchDocument[],
    private readonly prior: Routing,
    private readonly previous: PreviousRouting,
    private readonly changed: ReadonlyMap<number, SearchDocument>,
  ) {
    this.firsts = prior.terms.map((r) => r[0]);
    const touched = new Set<string>();
    const same: [string, number][] = [];
    for (const [n, before] of changed) {
      const was = new Map(termsOfDoc(before));
      for (const [term, score] of termsOfDoc(docs[n]!)) {
        let list = this.added.get(term);
        if (!list) this.added.set(term, (list = []));
        list.push({ doc: n, score });
        if (was.get(term) === score) same.push([term, n]);
        else touched.add(term);
        was.delete(term);
      }
      for (const term of was.keys()) touched.add(term);
    }
    for (const [term, n] of same) {
      if (touched.has(term)) continue;
      const list = this.shown.get(term);
      if (list) list.push(n);
      else this.shown.set(term, [n]);
    }
    this.touched = [...touched].sort(compareTerms);
  }

  run(): TermFiles {
    const groups = this.groups();

    let t = 0;
    for (const [a, b] of groups) {
      if (b < this.next) continue;
      if (a < this.next) throw new Inconsistent('a repacked run ended inside another');
      while (this.next < a) this.keep(this.next++);
      t = this.repack(a, t, groups);
    }
    while (this.next < this.firsts.length) this.keep(this.next++);
    if (t < this.touched.length) throw new Inconsistent('terms of changed lessons were left out');
    return this.out;
  }

  /** A previous term file, parsed. */
  private file(k: number): TermFile {
    let file = this.parsed.get(k);
    if (!file) {
      file = JSON.parse(this.raw(k).bytes.toString('utf8')) as TermFile;
      if (!Array.isArray(file.terms) || file.terms.length === 0) throw new Inconsistent(`term file ${k + 1} has no terms`);
      this.parsed.set(k, file);
    }
    return file;
  }

  /** A previous term file as bytes: what the runs to pack are found from, without parsing most files. */
  private raw(k: number): RawTermFile {
    let file = this.rawFiles.get(k);
    if (!file) {
      const key = keys.searchTerms(this.planId, k + 1);
      this.rawFiles.set(k, (file = new RawTermFile(key, previousBytes(this.previous, key))));
    }
    return file;
  }

  /**
   * The runs of previous files to pack again, in order, as [first, last]: for each touched term,
   * the files that hold it, and the one before when it begins a file (its new size may let the
   * file before end later), or for a term no file holds, the file it sorts into; for a term whose
   * postings did not change, the files that show a changed lesson it has (their display rows
   * change). Widened so that no term cut across files is cut at a run's edge.
   */
  private groups(): [number, number][] {
    const count = this.firsts.length;
    const ranges: [number, number][] = [];
    for (const term of this.touched) {
      const { held, sortsInto } = this.locate(term);
      ranges.push(held ?? [sortsInto, sortsInto]);
    }
    for (const [term, lessons] of this.shown) {
      const { held } = this.locate(term);
      if (!held) throw new Inconsistent(`term ${term} of an unchanged score is in no previous file`);
      for (let k = held[0]; k <= held[1]; k++) if (lessons.some((n) => this.raw(k).shows(n))) ranges.push([k, k]);
    }
    ranges.sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const [a0, b0] of ranges) {
      let a = a0;
      let b = b0;
      while (a > 0 && this.lastTerm(a - 1) === this.firstTerm(a)) a--;
      while (b + 1 < count && this.lastTerm(b) === this.firstTerm(b + 1)) b++;
      const last = merged.at(-1);
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else merged.push([a, b]);
    }
    return merged;
  }

  /**
   * Where a term is in the previous files: the files that hold it (from the one before, when it
   * begins a file), or null; and the last file whose first term sorts before it.
   */
  private locate(term: string): { held: [number, number] | null; sortsInto: number } {
    // The files whose key range may hold the term (routing.ts, termFilesFor), and the one before.
    const key = routeKeyOf(term);
    const start = Math.max(0, lowerBound(this.firsts, key) - 1);
    const end = Math.max(start, upperBound(this.firsts, key) - 1);
    let held: [number, number] | null = null;
    let sortsInto = start;
    for (let k = start; k <= end; k++) {
      const file = this.raw(k);
      const at = file.row(term);
      if (at !== null) held = held ? [held[0], k] : [at === 'first' && k > 0 ? k - 1 : k, k];
      if (compareTerms(file.firstTerm(), term) < 0) sortsInto = k;
    }
    return { held, sortsInto };
  }

  private firstTerm(k: number): string {
    return this.raw(k).firstTerm();
  }

  private lastTerm(k: number): string {
    return this.raw(k).lastTerm();
  }

  /**
   * The routing keys of the terms whose postings changed, each with whether a term of that key has
   * lessons after the change: one packed again with lessons, or one in a file kept as it was.
   * After `run`.
   */
  touchedKeys(): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const term of this.touched) {
      const key = routeKeyOf(term);
      if (!out.has(key)) out.set(key, this.packedKeys.has(key) || this.keptFileHolds(key));
    }
    return out;
  }

  /** Whether a previous term file kept as it is holds a term of this routing key. */
  private keptFileHolds(key: string): boolean {
    const start = Math.max(0, lowerBound(this.firsts, key) - 1);
    const end = Math.max(start, upperBound(this.firsts, key) - 1);
    for (let k = start; k <= end; k++) {
      if (this.kept.has(k) && this.file(k).terms.some(([term]) => routeKeyOf(term) === key)) return true;
    }
    return false;
  }

  /** Keeps previous term file k as it is, at the next position (keepPrevious). */
  private keep(k: number): void {
    this.kept.add(k);
    keepPrevious(this.previous, 'search_terms', (n) => keys.searchTerms(this.planId, n), k, this.prior.terms[k]!, this.out);
  }

  /** The previous files' terms from file a on, parts joined, with the parts that began a file. */
  private *termsFrom(a: number): Generator<PreviousTerm> {
    let current: PreviousTerm | null = null;
    let parts = 0;
    for (let k = a; k < this.firsts.length; k++) {
      const rows = this.file(k).terms;
      for (let r = 0; r < rows.length; r++) {
        const [term, pairs] = rows[r]!;
        if (current && current.term === term) {
          if (r === 0) current.starts.set(parts, k);
          parts++;
        } else {
          if (current) yield current;
          current = { term, postings: [], starts: r === 0 ? new Map([[0, k]]) : new Map() };
          parts = 1;
        }
        unflat(pairs, current.postings);
      }
    }
    if (current) yield current;
  }

  /** A touched term's postings now: the previous ones without the changed lessons, and theirs as they are. */
  private corrected(term: string, before: readonly Posting[]): Posting[] {
    const list = before.filter((p) => !this.changed.has(p.doc));
    const added = this.added.get(term);
    if (added) {
      list.push(...added);
      list.sort((x, y) => x.doc - y.doc);
    }
    return list;
  }

  /**
   * Packs again from previous file a, until a file ends where a previous one ended (outside every
   * run to pack), or the terms end. `t`: the next touched term not yet packed. Returns it, and
   * sets `next` to the previous file from which the files are the same.
   */
  private repack(a: number, t: number, groups: readonly [number, number][]): number {
    const inGroup = (k: number) => groups.some(([x, y]) => k >= x && k <= y);
    const packer = new TermPacker(this.docs, (rows, table) => {
      const file = termFile(this.planId, this.out.refs.length + 1, rows, table);
      this.out.files.push(file);
      this.out.refs.push([routeKeyOf(rows[0]![0]), file.hash.slice(0, VERSION_HASH_LENGTH)]);
    });
    let fed = false;
    const pack = (term: string, postings: Posting[], starts: ReadonlyMap<number, number> | null): number | null => {
      if (postings.length === 0) return null;
      this.packedKeys.add(routeKeyOf(term));
      const parts = partsOfTerm(term, postings);
      for (let q = 0; q < parts.length; q++) {
        const part = parts[q]!;
        const k = starts?.get(q);
        if (k !== undefined && k > a && !inGroup(k) && packer.endsBefore(part)) {
          // From here the parts are the previous build's, and so are the files.
          packer.flush();
          return k;
        }
        packer.add(part);
        fed = true;
      }
      return null;
    };
    for (const prev of this.termsFrom(a)) {
      while (t < this.touched.length && compareTerms(this.touched[t]!, prev.term) < 0) {
        // A term no previous file has: it goes where it sorts. Before anything is packed, it would belong in the file before.
        if (!fed && a > 0) throw new Inconsistent(`a new term sorts before the run that starts at term file ${a + 1}`);
        pack(this.touched[t]!, this.corrected(this.touched[t]!, []), null);
        t++;
      }
      let synced: number | null;
      if (t < this.touched.length && this.touched[t] === prev.term) {
        synced = pack(prev.term, this.corrected(prev.term, prev.postings), null);
        t++;
      } else synced = pack(prev.term, prev.postings, prev.starts);
      if (synced !== null) {
        this.next = synced;
        return t;
      }
    }
    for (; t < this.touched.length; t++) pack(this.touched[t]!, this.corrected(this.touched[t]!, []), null);
    packer.flush();
    this.next = this.firsts.length;
    return t;
  }
}

/**
 * A term file's bytes, searched without parsing them (a run to pack is found from a few terms
 * among many files): the file as jsonFile writes it, `{"search_version":..,"plan_id":..,
 * "terms":[[term,[pairs],best],...],"docs":{"n":[...],...},"nodes":[...]}`, where a term row, and
 * only a term row, begins with a JSON string followed by `,[`, and the display rows, and only
 * they, are keyed `"n":[`.
 */
class RawTermFile {
  private readonly terms: number;
  private readonly docs: number;

  constructor(
    private readonly key: string,
    readonly bytes: Buffer,
  ) {
    const at = bytes.indexOf('"terms":[[');
    this.docs = bytes.indexOf(']],"docs":{');
    if (at < 0 || this.docs < at) throw new Inconsistent(`${key} is not a term file`);
    this.terms = at + '"terms":['.length;
  }

  /** Where the term's first row is: the file's first row, a later one, or none. */
  row(term: string): 'first' | 'later' | null {
    const at = this.bytes.indexOf(`[${JSON.stringify(term)},[`, this.terms);
    if (at < 0 || at > this.docs) return null;
    return at === this.terms ? 'first' : 'later';
  }

  /** Whether the file carries lesson n's display row. */
  shows(n: number): boolean {
    return this.bytes.indexOf(`"${n}":[`, this.docs) >= 0;
  }

  firstTerm(): string {
    return this.termAt(this.terms);
  }

  lastTerm(): string {
    // Rows are separated by `],[` followed by a string; inside a row a string is followed by `,[`.
    const last = this.bytes.lastIndexOf('],["', this.docs);
    return this.termAt(last < this.terms ? this.terms : last + 2);
  }

  /** The term of the row that begins at byte `at` (`["term",[`). */
  private termAt(at: number): string {
    const end = this.bytes.indexOf('",[', at);
    try {
      const term: unknown = JSON.parse(this.bytes.toString('utf8', at + 1, end + 1));
      if (typeof term === 'string') return term;
    } catch {
      // not a row: said below
    }
    throw new Inconsistent(`${this.key}: no term row at byte ${at}`);
  }
}

/** The first index whose value is at least `key` (values sorted). */
function lowerBound(values: readonly string[], key: string): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose value is above `key` (values sorted). */
function upperBound(values: readonly string[], key: string): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
