/**
 * The routed search files of a sharded plan (docs/cdn-format.md, "Routed search"), shared by the
 * build, which writes them, and the client, which reads them. A plan-wide search fetches only
 * the term files its words can match, listed by the plan's search_index.json (`routing`), instead
 * of every subject shard.
 *
 * - A **term file** holds a sorted range of index terms (words and `~` stems, as the shards
 *   index them), each with every lesson it occurs in and a precomputed score, and the display
 *   data (lesson ID and title, topic, unit and subject) of each term's best lessons.
 * - A **document file** holds the display data of a run of lessons by number, for hits whose
 *   display data no term file they came with holds.
 * - A **vocabulary file** lists a run of the plan's routing keys, by length then key: where a
 *   word none of its term files knows finds its near spellings' keys, and with them the term
 *   files to fetch (a typo in a word's first letters moves its key far from the word's own).
 *
 * Lessons are numbered 0, 1, ... in the plan's order (subjects, tracks, units, topics, lessons).
 * Pure: no I/O.
 */
import { FIELD_BOOST, INDEXED_FIELDS, STEM_MARK } from './config.ts';
import { primaryStem, stemsOf, suffixStem } from './stem.ts';

/**
 * The routing key of an index term: a word's first stem (`primaryStem`: without article or
 * proclitic, then suffixes), a stem's own (`suffixStem`, behind the mark). Term files hold terms
 * in key order, so a word, its stems and its forms with articles, suffixes and plural endings
 * mostly share one file: `الكسور`, `كسور` and `بالكسور` have the key `كسور`; `المعادلات`,
 * `معادلة` and `معادله` the key `معادل`.
 */
export function routeKey(term: string): string {
  return term.startsWith(STEM_MARK) ? stemKey(term.slice(STEM_MARK.length)) : primaryStem(term);
}

/** The key under which a stem is found (routeKey of the stem's term). */
export function stemKey(stem: string): string {
  return suffixStem(stem);
}

/**
 * The stems of a word that term files store as terms of their own (`~` + stem): those whose key
 * is not the word's, so that a search for them, which looks under their key, finds them there
 * (`كسور` of `الكسور` and of `وكسور`, whose key is `كسور`, is derived; `وحد`, the stem of the
 * second reading of `وحدة`, whose key is `حد`, is stored).
 * The client derives the others from the word itself (`derivedStems`).
 */
export function storedStems(word: string): string[] {
  const key = routeKey(word);
  return stemsOf(word).filter((s) => stemKey(s) !== key);
}

/** The stems of a word that a client derives from it: those that share its key (the rest of `stemsOf`). */
export function derivedStems(word: string): string[] {
  const key = routeKey(word);
  return stemsOf(word).filter((s) => stemKey(s) === key);
}

/** Terms in term-file order: by routing key, then by term (JS string order); each key computed once. */
export function sortTerms(terms: Iterable<string>): string[] {
  return [...terms]
    .map((term) => ({ term, key: routeKey(term) }))
    .sort((a, b) => (a.key !== b.key ? (a.key < b.key ? -1 : 1) : a.term < b.term ? -1 : a.term > b.term ? 1 : 0))
    .map((t) => t.term);
}

/**
 * A term file in the routing list: `[first, version]`. The files are listed in key order; file i
 * holds the terms whose keys lie between its `first` and the next file's `first` (both
 * included: a term cut across files ends one file and begins the next). `version` is the
 * file's version hash: the file is `search/~t{i + 1}~{version}.json` beside the plan's
 * search_index.json.
 */
export type TermFileRef = [first: string, version: string];

/** A document file in the routing list: `[first lesson number, version]`; it holds the lessons up to the next file's first. The file is `search/~d{i + 1}~{version}.json`. */
export type DocFileRef = [first: number, version: string];

/**
 * A vocabulary file in the routing list: `[length of its first key, version]`. The files list the
 * plan's routing keys by length, then in JS string order; file i holds the keys from its first to
 * the next file's first (several lengths in a small plan; one length may fill several files in a
 * large one). The file is `search/~v{i + 1}~{version}.json`. Keys shorter than
 * VOCABULARY_MIN_LENGTH are not listed.
 */
export type VocabFileRef = [length: number, version: string];

/** The shortest routing key a vocabulary file lists (they list keys of letters only): the shortest a near spelling of a word of FUZZY_MIN_LETTERS letters can have. */
export const VOCABULARY_MIN_LENGTH = 3;

/** `routing` of a sharded plan's search_index.json. */
export interface Routing {
  /** Lessons in the plan (the N of the inverse document frequency). */
  documents: number;
  terms: TermFileRef[];
  docs: DocFileRef[];
  /** Vocabulary files, by key length (absent from plans built before them: no such search there). */
  vocabulary?: VocabFileRef[];
}

const FILE_LETTER = { terms: 't', docs: 'd', vocab: 'v' } as const;

/** A routed file's path relative to the plan's search_index.json. */
export function routedFilePath(kind: keyof typeof FILE_LETTER, i: number, version: string): string {
  return `search/~${FILE_LETTER[kind]}${i + 1}~${version}.json`;
}

/** A vocabulary file: routing keys by length, then in JS string order. */
export interface VocabFile {
  search_version: number;
  plan_id: string;
  keys: string[];
}

/** The vocabulary files that can list keys of `from` to `to` characters, by position in the routing list. */
export function vocabFilesFor(refs: readonly VocabFileRef[], from: number, to: number): number[] {
  const out: number[] = [];
  refs.forEach(([length], i) => {
    const next = refs[i + 1]?.[0];
    if (length <= to && (next === undefined || next >= from)) out.push(i);
  });
  return out;
}

/** A node of a file's node table: `[id, title, parent]`, the parent an index into the same table, -1 for a subject. */
export type NodeRow = [id: string, title: string, parent: number];

/** A lesson's display data: `[lesson ID, lesson title, index of its topic in the node table]`. */
export type DocRow = [id: string, title: string, topic: number];

/**
 * One term of a term file: `[term, postings, best]`. `postings` lists lessons and scores in
 * pairs, by lesson number, each number written as the gap from the pair before it (the first as
 * the number): `[n1, s1, n2 - n1, s2, ...]`; a term whose postings did not fit one file continues
 * in the next file (the same term, more pairs, the first gap counted from 0 again). `best` counts how many of the term's
 * lessons, taken by score, have their display data in this file's `docs`.
 */
export type TermRow = [term: string, postings: number[], best: number];

export interface TermFile {
  search_version: number;
  plan_id: string;
  terms: TermRow[];
  /** Display data by lesson number (as a string key). */
  docs: Record<string, DocRow>;
  nodes: NodeRow[];
}

export interface DocFile {
  search_version: number;
  plan_id: string;
  /** The number of `docs[0]`. */
  first: number;
  docs: DocRow[];
  nodes: NodeRow[];
}

/** BM25+ parameters, as MiniSearch uses them. */
const K1 = 1.2;
const B = 0.7;
const DELTA = 0.5;

/**
 * The field lengths (in words) scores are normalized to. Fixed, not the catalog's averages, so
 * that a lesson's scores depend on that lesson alone: an edit changes only the term files of the
 * terms it touches.
 */
export const NOMINAL_FIELD_LENGTH: Readonly<Record<(typeof INDEXED_FIELDS)[number], number>> = { lesson_name: 6, topic_name: 4, unit_name: 4, subject_name: 2 };

/** Scores are stored as integers: the score times this. */
export const SCORE_SCALE = 100;

/** A term's weight in one lesson, before the inverse document frequency: BM25+ over the fields, with their boosts. */
export function termScore(frequencies: readonly number[], lengths: readonly number[]): number {
  let score = 0;
  INDEXED_FIELDS.forEach((field, i) => {
    const tf = frequencies[i] ?? 0;
    if (tf === 0) return;
    const norm = 1 - B + (B * (lengths[i] ?? 0)) / NOMINAL_FIELD_LENGTH[field];
    score += FIELD_BOOST[field] * ((tf * (K1 + 1)) / (tf + K1 * norm) + DELTA);
  });
  return Math.round(score * SCORE_SCALE);
}

/** The inverse document frequency of a term found in `df` of `n` lessons (BM25's). */
export function idf(df: number, n: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/** The term files whose key ranges meet the keys [from, to] (inclusive), by position in the routing list. */
export function termFilesFor(refs: readonly TermFileRef[], from: string, to: string): number[] {
  // The last file that begins at or before `from` (or the first file), then back over files that end at it.
  let lo = 0;
  let hi = refs.length - 1;
  let start = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (refs[mid]![0] <= from) {
      start = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  while (start > 0 && refs[start]![0] >= from) start--;
  const out: number[] = [];
  for (let i = start; i < refs.length && refs[i]![0] <= to; i++) {
    const next = refs[i + 1]?.[0];
    if (next === undefined || next >= from) out.push(i);
  }
  return out;
}

/** The document file holding lesson number `n`, by position in the routing list, or -1. */
export function docFileFor(refs: readonly DocFileRef[], n: number): number {
  let lo = 0;
  let hi = refs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (refs[mid]![0] <= n) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** The highest string that begins with `prefix`, for ranges: [prefix, prefixEnd(prefix)]. */
export function prefixEnd(prefix: string): string {
  return `${prefix}\uffff`;
}
