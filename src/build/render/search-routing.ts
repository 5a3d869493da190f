/**
 * A sharded plan's routed search files (packages/client/src/search/routing.ts; docs/cdn-format.md,
 * "Routed search"): term files, each a sorted range of the plan's index terms with every lesson
 * they occur in and a precomputed score, and document files with the lessons' display data. The
 * plan's search_index.json lists them in `routing`, so that a plan-wide search fetches the term
 * files of its words only.
 *
 * Index terms are the shards' (`indexTerms` of search/config.ts), less the stems a client derives
 * from the words themselves (routing.ts, `storedStems`). A term's best lessons
 * (by score, then number) carry their display data in its term file, so that the first page of
 * hits of most queries needs no other file. Every file stays under the byte budgets below.
 */
import { INDEXED_FIELDS, normalizeTerm, SEARCH_VERSION, STEM_MARK, type SearchDocument } from '../../../packages/client/src/search/config.ts';
import { tokenize } from '../../../packages/client/src/search/normalize.ts';
import { routeKey, sortTerms, storedStems, termScore, type DocRow, type NodeRow, type Routing, type TermRow } from '../../../packages/client/src/search/routing.ts';
import { DEFAULT_SEARCH_LIMIT } from '../../../packages/client/src/client.ts';
import { keys, VERSION_HASH_LENGTH } from '../../../packages/client/src/layout.ts';
import { jsonFile, type RenderedFile } from '../files.ts';
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

/** Terms in order, a term too large for one file cut into parts that each fit. */
function termParts(postings: Map<string, Posting[]>, limit: number): TermPart[] {
  const parts: TermPart[] = [];
  for (const term of sortTerms(postings.keys())) {
    const list = postings.get(term)!;
    const top = best(list, list.length <= ALL_DOCS_UP_TO ? list.length : BEST_PER_TERM);
    // Leave room for the display rows and the term itself.
    const room = limit * 0.75;
    if (postingsBytes(list) <= room) {
      parts.push({ term, postings: list, best: top });
      continue;
    }
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
  }
  return parts;
}

export interface RoutedSearch {
  routing: Routing;
  files: RenderedFile[];
}

/** The routed search files of a plan whose lessons, in plan order, are `docs`. */
export function renderRouting(planId: string, docs: readonly SearchDocument[]): RoutedSearch {
  const files: RenderedFile[] = [];
  const routing: Routing = { documents: docs.length, terms: [], docs: [] };

  // Term files: parts packed in term order while the file stays within the budget.
  let rows: TermRow[] = [];
  let table = new DisplayTable(docs);
  let bytes = 0;
  const flush = () => {
    if (rows.length === 0) return;
    const file = jsonFile(keys.searchTerms(planId, routing.terms.length + 1), 'search_terms', {
      search_version: SEARCH_VERSION,
      plan_id: planId,
      terms: rows,
      docs: table.docs,
      nodes: table.nodes,
    });
    files.push(file);
    routing.terms.push([routeKey(rows[0]![0]), file.hash.slice(0, VERSION_HASH_LENGTH)]);
    rows = [];
    table = new DisplayTable(docs);
    bytes = 0;
  };
  let lastKey: string | null = null;
  for (const part of termParts(postingsOf(docs), TERM_FILE_MAX_BYTES)) {
    const own = jsonBytes(part.term) + postingsBytes(part.postings) + 8;
    const display = part.best.reduce((n, d) => n + table.cost(d), 0);
    const key = routeKey(part.term);
    const size = bytes + table.size;
    if (rows.length > 0 && (size + own + display > TERM_FILE_MAX_BYTES || (key !== lastKey && size >= TERM_FILE_MIN_BYTES && isCutPoint(key)))) flush();
    lastKey = key;
    for (const d of part.best) table.add(d);
    rows.push([part.term, flat(part.postings), part.best.length]);
    bytes += own;
  }
  flush();

  // Document files: runs of lessons by number.
  let docTable = new DisplayTable(docs);
  let first = 0;
  const flushDocs = (end: number) => {
    if (end === first) return;
    const rowsOut: DocRow[] = [];
    for (let n = first; n < end; n++) rowsOut.push(docTable.docs[n]!);
    const file = jsonFile(keys.searchDocs(planId, routing.docs.length + 1), 'search_docs', {
      search_version: SEARCH_VERSION,
      plan_id: planId,
      first,
      docs: rowsOut,
      nodes: docTable.nodes,
    });
    files.push(file);
    routing.docs.push([first, file.hash.slice(0, VERSION_HASH_LENGTH)]);
    docTable = new DisplayTable(docs);
    first = end;
  };
  for (let n = 0; n < docs.length; n++) {
    const size = docTable.size;
    if (n > first && (size + docTable.cost(n) > DOC_FILE_MAX_BYTES || (size >= DOC_FILE_MIN_BYTES && isCutPoint(docs[n]!.lesson_id)))) flushDocs(n);
    docTable.add(n);
  }
  flushDocs(docs.length);
  return { routing, files };
}
