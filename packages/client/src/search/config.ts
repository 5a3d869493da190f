/**
 * The search index definition shared by the build and the frontend client. MiniSearch needs the
 * same fields, tokenizer and term processing at load time as at build time, so both sides take
 * them from here, and every index file names SEARCH_VERSION. Change anything that affects what
 * an index holds or how terms are processed, and bump SEARCH_VERSION.
 */
import MiniSearch, { type Options, type SearchOptions } from 'minisearch';
import { normalizeText, tokenize } from './normalize.ts';
import { stemsOf } from './stem.ts';

/** 2: light stems indexed beside the words (`~` + stem), subject names indexed. 3: routed term and document files for plan-wide search of sharded plans. */
export const SEARCH_VERSION = 3;

/**
 * Marks a stem among the indexed terms: a word is indexed as written (normalized) and, when its
 * stems differ from it, as each stem behind this mark. Normalized words never hold it (the
 * tokenizer splits on symbols), so a query for a word never prefix-matches a stem by accident.
 */
export const STEM_MARK = '~';

/** One searchable lesson, as stored in the index. */
export interface SearchDocument {
  lesson_id: string;
  lesson_name: string;
  subject_id: string;
  subject_name: string;
  unit_id: string;
  unit_name: string;
  topic_id: string;
  topic_name: string;
}

export const STORED_FIELDS = [
  'lesson_id',
  'lesson_name',
  'subject_id',
  'subject_name',
  'unit_id',
  'unit_name',
  'topic_id',
  'topic_name',
] as const satisfies readonly (keyof SearchDocument)[];

/** Fields whose words are indexed: the lesson's own title first, then where it sits. */
export const INDEXED_FIELDS = ['lesson_name', 'topic_name', 'unit_name', 'subject_name'] as const satisfies readonly (keyof SearchDocument)[];

/** How much a match in each field counts: the lesson's title most, the subject's name least. */
export const FIELD_BOOST: Readonly<Record<(typeof INDEXED_FIELDS)[number], number>> = { lesson_name: 3, topic_name: 1.5, unit_name: 1, subject_name: 0.5 };

/** Fuzzy matching (MiniSearch's relative edit distance) for words of this many letters and more. */
export const FUZZY_MIN_LETTERS = 4;
export const FUZZY = 0.2;
/** At most this many edits, however long the word: two edits on a long word match too much, and cost the most. */
export const MAX_FUZZY_EDITS = 2;

/** Defaults for MiniSearch's own `search` (the client ranks in tiers, see search/query.ts). */
export const SEARCH_OPTIONS: SearchOptions = {
  prefix: true,
  fuzzy: (term) => (term.length >= FUZZY_MIN_LETTERS ? FUZZY : false),
  maxFuzzy: MAX_FUZZY_EDITS,
  boost: { ...FIELD_BOOST },
  combineWith: 'AND',
  // Queries are words as typed: normalized, not expanded into stems (index terms are, see indexTerms).
  processTerm: (term) => normalizeTerm(term),
};

/** Normalized terms by raw term: titles repeat across a subject's lessons and across indexes. */
const normalizedTerms = new Map<string, string | null>();
const NORMALIZED_TERMS_MAX = 50_000;

/** A term as queried (`normalizeText`), null for a term that normalizes to nothing. Memoized. */
export function normalizeTerm(term: string): string | null {
  let t = normalizedTerms.get(term);
  if (t === undefined) {
    const n = normalizeText(term);
    t = n === '' ? null : n;
    if (normalizedTerms.size >= NORMALIZED_TERMS_MAX) normalizedTerms.clear();
    normalizedTerms.set(term, t);
  }
  return t;
}

export const MINISEARCH_OPTIONS: Options<SearchDocument> = {
  idField: 'lesson_id',
  fields: [...INDEXED_FIELDS],
  storeFields: [...STORED_FIELDS],
  tokenize,
  processTerm: (term) => indexTerms(term),
  searchOptions: SEARCH_OPTIONS,
};

/** The terms a word is indexed as: the normalized word, and each of its stems behind STEM_MARK. */
export function indexTerms(term: string): string[] | null {
  let terms = indexedTerms.get(term);
  if (terms === undefined) {
    const n = normalizeTerm(term);
    terms = n === null ? null : [n, ...stemsOf(n).map((s) => STEM_MARK + s)];
    if (indexedTerms.size >= NORMALIZED_TERMS_MAX) indexedTerms.clear();
    indexedTerms.set(term, terms);
  }
  return terms;
}

/** Index terms by raw term (memo of indexTerms). */
const indexedTerms = new Map<string, string[] | null>();

/** A new, empty index with the shared definition. */
export function createSearchIndex(): MiniSearch<SearchDocument> {
  return new MiniSearch<SearchDocument>(MINISEARCH_OPTIONS);
}

/** Loads an index file's text (a shard, or an unsharded search_index.json). */
export function loadSearchIndex(json: string): MiniSearch<SearchDocument> {
  return MiniSearch.loadJSON<SearchDocument>(json, MINISEARCH_OPTIONS);
}
