/**
 * How a query matches and ranks lessons in an index (docs/client.md, "Matching and ranking").
 * Each word of the query is looked up in three tiers, best first:
 *
 * 1. **word**: the indexed words that are the query word or begin with it (prefix matching);
 * 2. **stem**: the indexed stems (search/stem.ts) of the query word's stems, and the query word
 *    as a stem prefix: `كسور` finds `الكسور`, `معادلات` finds `معادلة`, `classes` finds `class`;
 * 3. **fuzzy**: words and stems within a small edit distance (words of 4 letters and more).
 *
 * A lesson must match every word (AND). Its tier is its worst word's best tier, and lessons sort
 * by tier first, then by relevance (MiniSearch's BM25 with field boosts, summed over the words),
 * then by ID. So a fuzzy match never outranks a word or stem match of the same query, and a stem
 * match never outranks a word match. Pure: no I/O, the same in browsers and Node.
 */
import type MiniSearch from 'minisearch';
import type { Query, SearchOptions, SearchResult } from 'minisearch';
import { FIELD_BOOST, FUZZY, FUZZY_MIN_LETTERS, normalizeTerm, STEM_MARK, type SearchDocument } from './config.ts';
import { tokenize } from './normalize.ts';
import { stemsOf } from './stem.ts';

/** Match tiers, best first. */
export const TIER = { word: 0, stem: 1, fuzzy: 2 } as const;
export type Tier = (typeof TIER)[keyof typeof TIER];

export interface MatchOptions {
  /** Prefix matching (on by default): a query word also matches longer words that begin with it. */
  prefix?: boolean;
  /** Fuzzy matching: false for none, a number for MiniSearch's relative edit distance; default FUZZY for words of FUZZY_MIN_LETTERS letters and more. */
  fuzzy?: number | boolean;
  /** Keeps only the documents for which it returns true. */
  filter?: (result: SearchResult) => boolean;
}

/** One lesson that matched every word. */
export interface RankedMatch {
  /** The lesson's stored fields and MiniSearch's result for its first word. */
  result: SearchResult;
  /** Its worst word's best tier. */
  tier: Tier;
  /** Relevance: the words' scores at their best tier, summed. */
  score: number;
  /** The index terms that matched, a stem with STEM_MARK in front. */
  terms: string[];
}

/** The query's words, normalized as the index's words were, without repeats. */
export function queryWords(query: string): string[] {
  const words: string[] = [];
  for (const token of tokenize(query)) {
    const word = normalizeTerm(token);
    if (word !== null && !words.includes(word)) words.push(word);
  }
  return words;
}

/** MiniSearch options that take each query string as one ready-made term. */
const LITERAL: SearchOptions = {
  tokenize: (text: string) => [text],
  processTerm: (term: string) => term,
  boost: { ...FIELD_BOOST },
  combineWith: 'OR',
};

interface WordMatch {
  tier: Tier;
  score: number;
  terms: string[];
  result: SearchResult;
}

function fuzzinessOf(word: string, fuzzy: MatchOptions['fuzzy']): number | false {
  if (fuzzy === false || fuzzy === 0) return false;
  if (typeof fuzzy === 'number') return fuzzy;
  return word.length >= FUZZY_MIN_LETTERS ? FUZZY : false;
}

/** The tiers' queries for one word, best tier first. */
function tierQueries(word: string, options: MatchOptions): { tier: Tier; query: Query; options: SearchOptions }[] {
  const prefix = options.prefix ?? true;
  const stems = stemsOf(word);
  const tiers: { tier: Tier; query: Query; options: SearchOptions }[] = [
    { tier: TIER.word, query: word, options: { prefix, fuzzy: false } },
    {
      tier: TIER.stem,
      query: {
        combineWith: 'OR',
        queries: [
          { queries: [STEM_MARK + word], prefix },
          ...stems.map((s) => ({ queries: [STEM_MARK + s, s], prefix: false })),
        ],
      },
      options: { fuzzy: false },
    },
  ];
  const fuzzy = fuzzinessOf(word, options.fuzzy);
  if (fuzzy !== false) {
    tiers.push({ tier: TIER.fuzzy, query: { combineWith: 'OR', queries: [word, ...[word, ...stems].filter((s) => s.length >= FUZZY_MIN_LETTERS).map((s) => STEM_MARK + s)] }, options: { prefix, fuzzy } });
  }
  return tiers;
}

/** Every document that matches the word, with its best tier. */
function matchWord(index: MiniSearch<SearchDocument>, word: string, options: MatchOptions): Map<unknown, WordMatch> {
  const matches = new Map<unknown, WordMatch>();
  for (const { tier, query, options: tierOptions } of tierQueries(word, options)) {
    const searchOptions: SearchOptions = { ...LITERAL, ...tierOptions };
    if (options.filter) searchOptions.filter = options.filter;
    for (const result of index.search(query, searchOptions)) {
      if (!matches.has(result.id)) matches.set(result.id, { tier, score: result.score, terms: result.terms, result });
    }
  }
  return matches;
}

/**
 * The documents of one index that match every word of the query, unsorted (see `compareMatches`).
 * `words` are `queryWords(query)`.
 */
export function matchIndex(index: MiniSearch<SearchDocument>, words: readonly string[], options: MatchOptions = {}): RankedMatch[] {
  if (words.length === 0) return [];
  const perWord = words.map((word) => matchWord(index, word, options));
  perWord.sort((a, b) => a.size - b.size);
  const [smallest, ...rest] = perWord as [Map<unknown, WordMatch>, ...Map<unknown, WordMatch>[]];
  const out: RankedMatch[] = [];
  for (const [id, first] of smallest) {
    let tier = first.tier;
    let score = first.score;
    const terms = new Set(first.terms);
    let all = true;
    for (const other of rest) {
      const m = other.get(id);
      if (!m) {
        all = false;
        break;
      }
      if (m.tier > tier) tier = m.tier;
      score += m.score;
      for (const t of m.terms) terms.add(t);
    }
    if (all) out.push({ result: first.result, tier, score, terms: [...terms] });
  }
  return out;
}

/** Ranking order: better tier first, then higher score, then lesson ID. */
export function compareMatches(a: RankedMatch, b: RankedMatch): number {
  if (a.tier !== b.tier) return a.tier - b.tier;
  if (a.score !== b.score) return b.score - a.score;
  const x = String(a.result.id);
  const y = String(b.result.id);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Whether a word of a title (as written) is one the search matched, for highlighting: its
 * normalized form begins with a matched word, or one of its stems is a matched stem.
 */
export function wordMatchesTerms(word: string, terms: readonly string[]): boolean {
  const n = normalizeTerm(word);
  if (n === null) return false;
  let stems: string[] | undefined;
  for (const term of terms) {
    if (term.startsWith(STEM_MARK)) {
      const stem = term.slice(STEM_MARK.length);
      stems ??= [n, ...stemsOf(n)];
      if (stems.includes(stem)) return true;
    } else if (n.startsWith(term)) {
      return true;
    }
  }
  return false;
}
