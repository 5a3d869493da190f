/**
 * How a query matches and ranks lessons in an index (docs/client.md, "Matching and ranking").
 * Each word of the query is looked up in three tiers, best first:
 *
 * 1. **word**: the indexed words that are the query word or begin with it (prefix matching);
 * 2. **stem**: the indexed stems (search/stem.ts) of the query word's stems, and the query word
 *    as a stem prefix: `كسور` finds `الكسور`, `معادلات` finds `معادلة`, `classes` finds `class`;
 *    and the query word without its article or proclitic as a stem or word prefix: `التسا` finds
 *    `والتسارع`, a word typed so far that the title writes with another article or proclitic;
 * 3. **fuzzy**: words and stems within a small edit distance (words of 4 letters and more).
 *
 * A lesson must match every word (AND). Its tier is its worst word's best tier, and lessons sort
 * by tier first, then by relevance (MiniSearch's BM25 with field boosts, summed over the words),
 * then by ID. So a fuzzy match never outranks a word or stem match of the same query, and a stem
 * match never outranks a word match. Pure: no I/O, the same in browsers and Node.
 */
import type MiniSearch from 'minisearch';
import type { Query, SearchOptions, SearchResult } from 'minisearch';
import { FIELD_BOOST, FUZZY, FUZZY_MIN_LETTERS, MAX_FUZZY_EDITS, normalizeTerm, STEM_MARK, type SearchDocument } from './config.ts';
import { tokenize } from './normalize.ts';
import { prefixBases, stemsOf } from './stem.ts';

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

interface WordMatch extends WordHit {
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
  const bases = prefixBases(word);
  const tiers: { tier: Tier; query: Query; options: SearchOptions }[] = [
    { tier: TIER.word, query: word, options: { prefix, fuzzy: false } },
    {
      tier: TIER.stem,
      query: {
        combineWith: 'OR',
        queries: [
          { queries: [STEM_MARK + word], prefix },
          // The word without its article or proclitic also as the beginning of stems and words, for
          // a word typed so far: `التسا` finds `والتسارع` (stem `تسارع`) before the word is whole.
          ...stems.map((s) => ({ queries: [STEM_MARK + s, s], prefix: prefix && bases.includes(s) })),
        ],
      },
      options: { fuzzy: false },
    },
  ];
  const fuzzy = fuzzinessOf(word, options.fuzzy);
  if (fuzzy !== false) {
    // The word among words, and among stems its shortest stem (what is left without proclitics
    // and suffixes), or itself: fracton meets ~fraction, the stem of fractions.
    const stem = stems.at(-1) ?? word;
    const queries: Query[] = [word];
    if (stem.length >= FUZZY_MIN_LETTERS) queries.push(STEM_MARK + stem);
    tiers.push({ tier: TIER.fuzzy, query: { combineWith: 'OR', queries }, options: { prefix, fuzzy, maxFuzzy: MAX_FUZZY_EDITS } });
  }
  return tiers;
}

/**
 * Matches the query's words in one index, tier by tier: `upTo(tier)` returns the documents that
 * match every word at that tier or a better one (unsorted, see `compareMatches`). A caller that
 * has enough matches at a good tier never pays for the worse ones (fuzzy matching is the costly
 * part); the tiers already run are kept. `words` are `queryWords(query)`.
 */
export class IndexMatcher {
  private readonly perWord: Map<unknown, WordMatch>[];
  private readonly queries: ReturnType<typeof tierQueries>[];
  /** How many of each word's tier queries have run. */
  private ran = 0;

  constructor(
    private readonly index: MiniSearch<SearchDocument>,
    words: readonly string[],
    private readonly options: MatchOptions = {},
  ) {
    this.perWord = words.map(() => new Map());
    this.queries = words.map((word) => tierQueries(word, options));
  }

  upTo(maxTier: Tier): RankedMatch[] {
    for (; this.ran < TIERS.length && TIERS[this.ran]! <= maxTier; this.ran++) {
      const tier = TIERS[this.ran]!;
      this.queries.forEach((queries, i) => {
        const q = queries.find((t) => t.tier === tier);
        if (!q) return;
        const searchOptions: SearchOptions = { ...LITERAL, ...q.options };
        if (this.options.filter) searchOptions.filter = this.options.filter;
        const matches = this.perWord[i]!;
        for (const result of this.index.search(q.query, searchOptions)) {
          if (!matches.has(result.id)) matches.set(result.id, { tier, score: result.score, terms: result.terms, result });
        }
      });
    }
    return intersectWords(this.perWord, maxTier).map(({ first, tier, score, terms }) => ({ result: first.result, tier, score, terms }));
  }
}

const TIERS: readonly Tier[] = [TIER.word, TIER.stem, TIER.fuzzy];

/** A document's match of one word: its best tier, the score there, the terms that matched. */
export interface WordHit {
  tier: Tier;
  score: number;
  terms: readonly string[];
}

/**
 * The documents in every word's matches (at `maxTier` or better): each with its first word's
 * match, its worst word's tier, the words' scores summed and their terms. Unsorted.
 */
export function intersectWords<K, M extends WordHit>(perWord: readonly Map<K, M>[], maxTier: Tier): { key: K; first: M; tier: Tier; score: number; terms: string[] }[] {
  if (perWord.length === 0) return [];
  const [smallest, ...rest] = [...perWord].sort((a, b) => a.size - b.size) as [Map<K, M>, ...Map<K, M>[]];
  const out: { key: K; first: M; tier: Tier; score: number; terms: string[] }[] = [];
  for (const [key, first] of smallest) {
    if (first.tier > maxTier) continue;
    let tier = first.tier;
    let score = first.score;
    const terms = new Set(first.terms);
    let all = true;
    for (const other of rest) {
      const m = other.get(key);
      if (!m || m.tier > maxTier) {
        all = false;
        break;
      }
      if (m.tier > tier) tier = m.tier;
      score += m.score;
      for (const t of m.terms) terms.add(t);
    }
    if (all) out.push({ key, first, tier, score, terms: [...terms] });
  }
  return out;
}

/**
 * The best `limit` matches of the query's words across indexes (a plan's shards), best first.
 * Tiers run one at a time, and stop as soon as `limit` lessons match at the tiers run so far:
 * a lesson that needs a worse tier could not rank among them.
 */
export function searchIndexes(indexes: readonly MiniSearch<SearchDocument>[], words: readonly string[], limit: number, options: MatchOptions = {}): RankedMatch[] {
  if (words.length === 0 || limit <= 0) return [];
  const matchers = indexes.map((index) => new IndexMatcher(index, words, options));
  let matches: RankedMatch[] = [];
  for (const tier of TIERS) {
    matches = matchers.flatMap((m) => m.upTo(tier));
    if (matches.length >= limit) break;
  }
  return matches.sort(compareMatches).slice(0, limit);
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
