/**
 * Plan-wide search of a sharded plan through its routed files (search/routing.ts): fetch the
 * term files that can hold the query's words, match every word in the tiers of search/query.ts
 * (word and prefix, stem, fuzzy), rank, and take the display data of the best hits from the
 * term files, or from document files when a hit's is not there. A query fetches the search
 * index, then its term files (one round trip, in parallel), and only rarely document files.
 *
 * Differences from a search of loaded shards, both documented in docs/client.md:
 * - a prefix whose keys span more than MAX_PREFIX_FILES term files matches only the words of the
 *   files the query fetches anyway (a one- or two-letter word, or an article and one letter);
 * - fuzzy matching looks among the terms of the files fetched for the word (its alphabetical
 *   neighbourhood), and, for a word that matched no word or stem there, among the terms of the
 *   nearest keys the plan's vocabulary files list (at most MAX_NEAR_KEYS keys, MAX_NEAR_FILES
 *   more term files: two more round trips, only for such words).
 */
import { FUZZY, FUZZY_MIN_LETTERS, MAX_FUZZY_EDITS, STEM_MARK } from './config.ts';
import { TIER, type MatchOptions, type Tier } from './query.ts';
import { derivedStems, docFileFor, idf, prefixEnd, routedFilePath, routeKey, SCORE_SCALE, stemKey, termFilesFor, vocabFilesFor, type DocFile, type NodeRow, type DocRow, type Routing, type TermFile, type VocabFile, type VocabFileRef } from './routing.ts';
import { prefixBases, prefixStarts, stemsOf } from './stem.ts';

/** A prefix whose keys span more term files than this is not fetched for: it matches only the words of the files fetched anyway. */
export const MAX_PREFIX_FILES = 3;
/** MiniSearch's weights for prefix and fuzzy matches. */
const PREFIX_WEIGHT = 0.375;
const FUZZY_WEIGHT = 0.45;

/** A lesson as a hit shows it. */
export interface RoutedDoc {
  lessonId: string;
  lessonName: string;
  topicId: string;
  topicName: string;
  unitId: string;
  unitName: string;
  subjectId: string;
  subjectName: string;
}

export interface RoutedHit {
  doc: RoutedDoc;
  tier: Tier;
  score: number;
  terms: string[];
}

/** Fetches and parses a routed file by its path relative to the plan's search_index.json (the client's cache). */
export type LoadFile = (url: string, what: string) => Promise<unknown>;

const NO_TIER = 255;

/** Whether postings (lesson numbers and scores in pairs, by number) hold lesson `n`. */
function hasDoc(postings: Int32Array, n: number): boolean {
  let lo = 0;
  let hi = postings.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = postings[mid * 2]!;
    if (v === n) return true;
    if (v < n) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** A term file's terms with their postings as lesson numbers (not gaps) and scores in pairs: decoded once per file. */
interface DecodedTerms {
  terms: [term: string, postings: Int32Array][];
}

const decodedFiles = new WeakMap<TermFile, DecodedTerms>();

function decode(file: TermFile): DecodedTerms {
  let d = decodedFiles.get(file);
  if (!d) {
    d = {
      terms: file.terms.map(([term, gaps]) => {
        const postings = new Int32Array(gaps.length - (gaps.length % 2));
        let n = 0;
        for (let i = 0; i + 1 < gaps.length; i += 2) {
          n += gaps[i]!;
          postings[i] = n;
          postings[i + 1] = gaps[i + 1]!;
        }
        return [term, postings];
      }),
    };
    decodedFiles.set(file, d);
  }
  return d;
}

function resolve(row: DocRow, nodes: readonly NodeRow[]): RoutedDoc | null {
  const topic = nodes[row[2]];
  const unit = topic ? nodes[topic[2]] : undefined;
  const subject = unit ? nodes[unit[2]] : undefined;
  if (!topic || !unit || !subject) return null;
  return { lessonId: row[0], lessonName: row[1], topicId: topic[0], topicName: topic[1], unitId: unit[0], unitName: unit[1], subjectId: subject[0], subjectName: subject[1] };
}

/** Levenshtein distance, or max + 1 once it is sure to exceed `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(d);
      if (d < best) best = d;
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * How many edits fuzzy matching allows a word and its shortest stem, as a shard's fuzzy tier
 * does: MiniSearch's fuzziness times the length of the query term (`~stem` for the stem), at most
 * MAX_FUZZY_EDITS.
 */
function maxEdits(word: string, fuzzyStem: string, fuzzy: MatchOptions['fuzzy']): { edits: number; stemEdits: number } {
  if (fuzzy === false || fuzzy === 0) return { edits: 0, stemEdits: 0 };
  const f = typeof fuzzy === 'number' ? fuzzy : word.length >= FUZZY_MIN_LETTERS ? FUZZY : 0;
  const edits = (term: string) => Math.min(MAX_FUZZY_EDITS, Math.round(f * term.length));
  return { edits: edits(word), stemEdits: edits(STEM_MARK + fuzzyStem) };
}

/** What one word looks for: term ranges to fetch, and how each tier matches a term. */
interface WordPlan {
  word: string;
  stems: string[];
  /** Prefix matching: longer words and stems that begin with the word match (among the files fetched). */
  prefix: boolean;
  /** With prefix matching, the word without its article or proclitic (`prefixBases`): words and stems that begin with one match at the stem tier. */
  bases: string[];
  /** The shortest stem, or the word: what fuzzy matching compares stems with. */
  fuzzyStem: string;
  /** Edits fuzzy matching allows the word (compared with words), and its shortest stem (compared with stems). */
  edits: number;
  stemEdits: number;
  ranges: [string, string][];
}

function planWord(word: string, routing: Routing, options: MatchOptions): WordPlan {
  const prefixOn = options.prefix ?? true;
  const stems = stemsOf(word);
  // Routing keys: the word's (the word, its forms, the words that begin with it), its stems'.
  // A misspelt word's key falls in the file of the keys around it, where near spellings are.
  // The word read as a stem too (`بناء`: the `~بناء` of `البناء` is kept under its stem key), and
  // each stem as a word of its own (`بسيط` of `البسيطة`), as a subject's shard matches them.
  const key = routeKey(word);
  const keys = new Set([key, stemKey(word)]);
  for (const s of stems) keys.add(stemKey(s)).add(routeKey(s));
  const ranges: [string, string][] = [...keys].map((k): [string, string] => [k, k]);
  if (prefixOn) {
    // Words that begin with the word have keys that begin with its key, or with what follows
    // its article or proclitic (الح: the keys of الحركة, الحرارة... begin with ح).
    for (const start of new Set([key, ...prefixStarts(word)])) {
      if (start !== '' && termFilesFor(routing.terms, start, prefixEnd(start)).length <= MAX_PREFIX_FILES) ranges.push([start, prefixEnd(start)]);
    }
  }
  const fuzzyStem = stems.at(-1) ?? word;
  return { word, stems, prefix: prefixOn, bases: prefixOn ? prefixBases(word) : [], fuzzyStem, ...maxEdits(word, fuzzyStem, options.fuzzy), ranges };
}

/** MiniSearch's weight of a prefix match: lower the more letters the term adds. */
function prefixWeight(query: string, term: string): number {
  return term.length === query.length ? 1 : (PREFIX_WEIGHT * query.length) / (query.length + 0.3 * (term.length - query.length));
}

/** The weight at which a stem (stored, or derived from a word) matches the word at the stem tier, or 0. */
function stemWeight(plan: WordPlan, stem: string): number {
  if (stem === plan.word || plan.stems.includes(stem)) return 1;
  if (plan.prefix && stem.startsWith(plan.word)) return prefixWeight(plan.word, stem);
  return baseWeight(plan, stem);
}

/** The weight at which a stem or word begins with the word without its article or proclitic (`WordPlan.bases`), as a shard's stem tier matches them, or 0. */
function baseWeight(plan: WordPlan, term: string): number {
  const base = plan.bases.find((b) => term.startsWith(b));
  return base === undefined ? 0 : prefixWeight(base, term);
}

/** Whether a stem is a near spelling of the word's shortest stem (as the shards compare `~` terms). */
function nearStem(plan: WordPlan, stem: string): number {
  if (plan.stemEdits === 0 || plan.fuzzyStem.length < FUZZY_MIN_LETTERS) return -1;
  const d = editDistance(STEM_MARK + plan.fuzzyStem, STEM_MARK + stem, plan.stemEdits);
  return d <= plan.stemEdits ? d : -1;
}

const derivedMemo = new Map<string, string[]>();
function derived(word: string): string[] {
  let stems = derivedMemo.get(word);
  if (!stems) {
    if (derivedMemo.size >= 50_000) derivedMemo.clear();
    derivedMemo.set(word, (stems = derivedStems(word)));
  }
  return stems;
}

/**
 * The tier and weight at which a term matches a word, or null. A word of the file also stands
 * for its derived stems (routing.ts, `derivedStems`), as the shards' `~` terms do: their weights
 * add up, as a shard's matches of several terms of one lesson do.
 */
function matchTerm(plan: WordPlan, term: string): { tier: Tier; weight: number } | null {
  const isStem = term.startsWith(STEM_MARK);
  const stems = isStem ? [term.slice(STEM_MARK.length)] : derived(term);
  if (!isStem) {
    if (term === plan.word || (plan.prefix && term.startsWith(plan.word))) return { tier: TIER.word, weight: prefixWeight(plan.word, term) };
  }
  let weight = isStem ? 0 : plan.stems.includes(term) ? 1 : baseWeight(plan, term);
  for (const s of stems) weight += stemWeight(plan, s);
  if (weight > 0) return { tier: TIER.stem, weight };
  if (plan.edits > 0) {
    let d = isStem ? -1 : editDistance(plan.word, term, plan.edits);
    if (d > plan.edits) d = -1;
    let len = term.length;
    for (const s of stems) {
      const near = nearStem(plan, s);
      if (near >= 0 && (d < 0 || near < d)) {
        d = near;
        len = s.length + STEM_MARK.length;
      }
    }
    if (d >= 0) return { tier: TIER.fuzzy, weight: (FUZZY_WEIGHT * len) / (len + d) };
  }
  return null;
}

/**
 * Searches a routed plan: the best `limit` lessons matching every word (`queryWords`), best
 * first (tier, then score, then plan order).
 */
export async function searchRouted(routing: Routing, words: readonly string[], limit: number, options: MatchOptions, load: LoadFile): Promise<RoutedHit[]> {
  if (words.length === 0 || limit <= 0) return [];
  const plans = words.map((w) => planWord(w, routing, options));
  const wanted = new Set<number>();
  for (const p of plans) for (const [from, to] of p.ranges) for (const i of termFilesFor(routing.terms, from, to)) wanted.add(i);
  const fetched = new Map<number, TermFile>();
  const fetchTerms = async (list: Iterable<number>) => {
    const order = [...list].sort((a, b) => a - b);
    const got = await Promise.all(order.map((i) => load(routedFilePath('terms', i, routing.terms[i]![1]), 'search term file') as Promise<TermFile>));
    order.forEach((i, k) => fetched.set(i, got[k]!));
  };
  /** The fetched term files in routing order. */
  const inOrder = () => [...fetched.keys()].sort((a, b) => a - b).map((i) => fetched.get(i)!);
  await fetchTerms(wanted);
  let files = inOrder();
  let perWord = matchWords(plans, files, routing.documents);

  // A word that matched no word or stem where its keys are (a typo; in its first letters, the
  // keys of its near spellings lie far from its own): the keys within its edit distance from the
  // vocabulary files, and their term files, as a shard compares every term.
  const lost = plans.filter((p, i) => p.edits > 0 && !perWord[i]!.docs.some((d) => perWord[i]!.tier[d]! < TIER.fuzzy));
  if (lost.length > 0 && routing.vocabulary && routing.vocabulary.length > 0) {
    const more = await nearKeyFiles(routing, routing.vocabulary, lost, load, (i) => fetched.has(i));
    if (more.length > 0) {
      await fetchTerms(more);
      files = inOrder();
      perWord = matchWords(plans, files, routing.documents);
    }
  }
  return rankAndShow(routing, perWord, files, limit, load);
}

/** At most this many near spellings' keys are looked up for a word (the nearest, then in key order). */
export const MAX_NEAR_KEYS = 8;
/** At most this many more term files are fetched for the near spellings of a query's words. */
export const MAX_NEAR_FILES = 4;

/** The routing keys a word's near spellings can have (its own, and its shortest stem's). */
function wordKeys(plan: WordPlan): string[] {
  return [...new Set([routeKey(plan.word), stemKey(plan.fuzzyStem)])];
}

/**
 * The term files (positions in the routing list) not fetched yet of the keys within a word's edit
 * distance, for words that matched no word or stem: the vocabulary files of the lengths those
 * keys can have, then the term files of the nearest keys other than the word's own.
 */
async function nearKeyFiles(routing: Routing, refs: readonly VocabFileRef[], lost: readonly WordPlan[], load: LoadFile, fetched: (i: number) => boolean): Promise<number[]> {
  const wanted = new Set<number>();
  // A key may be as far from the word's keys as the word from a word, or its stem from a stem.
  const reach = (plan: WordPlan) => Math.max(plan.edits, plan.stemEdits);
  for (const plan of lost) for (const key of wordKeys(plan)) for (const i of vocabFilesFor(refs, key.length - reach(plan), key.length + reach(plan))) wanted.add(i);
  const order = [...wanted].sort((a, b) => a - b);
  const vocab = await Promise.all(order.map((i) => load(routedFilePath('vocab', i, refs[i]![1]), 'search vocabulary file') as Promise<VocabFile>));
  const out: number[] = [];
  for (const plan of lost) {
    const near: { key: string; d: number }[] = [];
    const own = wordKeys(plan);
    const max = reach(plan);
    for (const file of vocab) {
      for (const key of file.keys) {
        let d = max + 1;
        for (const k of own) d = Math.min(d, editDistance(k, key, max));
        if (d > 0 && d <= max) near.push({ key, d });
      }
    }
    near.sort((a, b) => a.d - b.d || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { key } of near.slice(0, MAX_NEAR_KEYS)) {
      for (const i of termFilesFor(routing.terms, key, key)) if (!fetched(i) && !out.includes(i) && out.length < MAX_NEAR_FILES) out.push(i);
    }
  }
  return out;
}

interface WordMatches {
  tier: Uint8Array;
  score: Float64Array;
  docs: number[];
  matched: { term: string; postings: Int32Array; tier: Tier }[];
}

/** Each word's lessons at their best tier among the terms of `files`, in arrays by lesson number (large plans have words in thousands of lessons). */
function matchWords(plans: readonly WordPlan[], files: readonly TermFile[], n: number): WordMatches[] {
  // Each term's lesson count across the fetched files (a term cut across files has all its files fetched).
  const decoded = files.map(decode);
  const dfs = new Map<string, number>();
  for (const file of decoded) for (const [term, postings] of file.terms) dfs.set(term, (dfs.get(term) ?? 0) + postings.length / 2);
  return plans.map((plan) => {
    const tier = new Uint8Array(n).fill(NO_TIER);
    const score = new Float64Array(n);
    const docs: number[] = [];
    const matched: { term: string; postings: Int32Array; tier: Tier }[] = [];
    for (const file of decoded) {
      for (const [term, postings] of file.terms) {
        const m = matchTerm(plan, term);
        if (!m) continue;
        matched.push({ term, postings, tier: m.tier });
        const weight = (m.weight * idf(dfs.get(term)!, n)) / SCORE_SCALE;
        for (let i = 0; i < postings.length; i += 2) {
          const doc = postings[i]!;
          if (doc >= n) continue;
          const t = tier[doc]!;
          const add = weight * postings[i + 1]!;
          if (t === NO_TIER) {
            tier[doc] = m.tier;
            score[doc] = add;
            docs.push(doc);
          } else if (m.tier < t) {
            tier[doc] = m.tier;
            score[doc] = add;
          } else if (m.tier === t) {
            score[doc]! += add;
          }
        }
      }
    }
    return { tier, score, docs, matched };
  });
}

/** The best `limit` lessons matching every word, with their display data from the term files, else from document files. */
async function rankAndShow(routing: Routing, perWord: readonly WordMatches[], files: readonly TermFile[], limit: number, load: LoadFile): Promise<RoutedHit[]> {
  // Lessons matching every word: the worst word's tier, the scores summed.
  const [smallest, ...rest] = [...perWord].sort((a, b) => a.docs.length - b.docs.length) as [(typeof perWord)[number], ...(typeof perWord)[number][]];
  const ranked: { n: number; tier: Tier; score: number }[] = [];
  for (const doc of smallest.docs) {
    let t = smallest.tier[doc]!;
    let sc = smallest.score[doc]!;
    let all = true;
    for (const other of rest) {
      const o = other.tier[doc]!;
      if (o === NO_TIER) {
        all = false;
        break;
      }
      if (o > t) t = o;
      sc += other.score[doc]!;
    }
    if (all) ranked.push({ n: doc, tier: t as Tier, score: sc });
  }
  ranked.sort((a, b) => a.tier - b.tier || b.score - a.score || a.n - b.n);
  const top = ranked.slice(0, limit).map((h) => {
    // The terms that matched it, each word's at the tier it matched at.
    const terms: string[] = [];
    for (const w of perWord) {
      for (const m of w.matched) if (m.tier === w.tier[h.n] && hasDoc(m.postings, h.n) && !terms.includes(m.term)) terms.push(m.term);
    }
    return { ...h, terms };
  });

  // Display data from the term files, else from the document files.
  const display = new Map<number, RoutedDoc>();
  for (const h of top) {
    for (const file of files) {
      const row = file.docs[h.n];
      const doc = row ? resolve(row, file.nodes) : null;
      if (doc) {
        display.set(h.n, doc);
        break;
      }
    }
  }
  const missing = [...new Set(top.filter((h) => !display.has(h.n)).map((h) => docFileFor(routing.docs, h.n)))].filter((i) => i >= 0);
  const docFiles = await Promise.all(missing.map((i) => load(routedFilePath('docs', i, routing.docs[i]![1]), 'search document file') as Promise<DocFile>));
  for (const h of top) {
    if (display.has(h.n)) continue;
    for (const file of docFiles) {
      const row = file.docs[h.n - file.first];
      const doc = h.n >= file.first && row ? resolve(row, file.nodes) : null;
      if (doc) display.set(h.n, doc);
    }
  }
  return top.map((h) => {
    const doc = display.get(h.n);
    if (!doc) throw new Error(`lesson number ${h.n} has no display data in the plan's search files`);
    return { doc, tier: h.tier, score: h.score, terms: h.terms };
  });
}
