/**
 * The search index definition shared by the build and the frontend client. MiniSearch needs the
 * same fields, tokenizer and term processing at load time as at build time, so both sides take
 * them from here, and every index file names SEARCH_VERSION. Change anything that affects what
 * an index holds or how terms are processed, and bump SEARCH_VERSION.
 */
import MiniSearch, { type Options, type SearchOptions } from 'minisearch';
import { normalizeText, tokenize } from './normalize.ts';

export const SEARCH_VERSION = 1;

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
export const INDEXED_FIELDS = ['lesson_name', 'topic_name', 'unit_name'] as const satisfies readonly (keyof SearchDocument)[];

/** Defaults for queries: prefix matching always, fuzzy matching for words of 4 letters and more. */
export const SEARCH_OPTIONS: SearchOptions = {
  prefix: true,
  fuzzy: (term) => (term.length >= 4 ? 0.2 : false),
  boost: { lesson_name: 3, topic_name: 1.5, unit_name: 1 },
  combineWith: 'AND',
};

/** Normalized terms by raw term: titles repeat across a subject's lessons and across indexes. */
const normalizedTerms = new Map<string, string | null>();
const NORMALIZED_TERMS_MAX = 50_000;

/** A term as indexed and queried (`normalizeText`), null for a term that normalizes to nothing. Memoized. */
function normalizeTerm(term: string): string | null {
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
  processTerm: (term) => normalizeTerm(term),
  searchOptions: SEARCH_OPTIONS,
};

/** A new, empty index with the shared definition. */
export function createSearchIndex(): MiniSearch<SearchDocument> {
  return new MiniSearch<SearchDocument>(MINISEARCH_OPTIONS);
}

/** Loads an index file's text (a shard, or an unsharded search_index.json). */
export function loadSearchIndex(json: string): MiniSearch<SearchDocument> {
  return MiniSearch.loadJSON<SearchDocument>(json, MINISEARCH_OPTIONS);
}
