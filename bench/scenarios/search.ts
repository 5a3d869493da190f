/**
 * Scenario 5, search: the search files of every plan of one built catalog. Per plan: the largest
 * search file (bytes and gzip), the time to load it (`loadSearchIndex`, i.e. MiniSearch.loadJSON
 * with the shared options, JSON parsing included), and query times on it for Arabic and English
 * queries taken from its own lesson titles: a whole word, a 3-letter prefix, two words, and a
 * word with a typo (fuzzy). Also the whole plan: all its files loaded, each query run on each.
 * Then what a cold client fetches over HTTP: for the plan with the most lessons of that catalog
 * (information), and for the one plan of a 1-plan catalog of `searchPlanLessons` lessons (issue
 * 15's goal: a plan-wide query on a 10,000-lesson plan fetches at most 150 KB, the first result
 * in at most two round trips after the manifest), a query of each shape taken from its titles.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type MiniSearch from 'minisearch';
import { MAX_SEARCH_FILE_BYTES } from '../../src/build/render/search.ts';
import { loadSearchIndex, type SearchDocument } from '../../packages/client/src/search/config.ts';
import { tokenize } from '../../packages/client/src/search/normalize.ts';
import { queryWords, searchIndexes } from '../../packages/client/src/search/query.ts';
import { CdnClient, DEFAULT_SEARCH_LIMIT } from '../../packages/client/src/client.ts';
import { kindOfKey } from '../../packages/client/src/layout.ts';
import { startPreviewServer } from '../../src/preview/server.ts';
import { measureColdSearch } from '../../test/search-quality/evaluate.ts';
import { bytes, int, ms, table } from '../lib/format.ts';
import type { PlanTree } from '../lib/plan-tree.ts';
import { median, summarize } from '../lib/stats.ts';
import type { BenchParams, SectionResult, TargetRow, TargetStatus } from '../lib/types.ts';
import type { OnePlanTree, Workspace } from '../lib/workspace.ts';

export const SEARCH_TARGETS = { maxFileBytes: MAX_SEARCH_FILE_BYTES, queryP95Ms: 5 } as const;
/** Issue 15's goal for a plan-wide query on a plan of `lessons` lessons: at most `bytes` fetched (before gzip), the first result in at most `roundTrips` after the manifest. */
export const PLAN_WIDE_GOAL = { lessons: 10_000, bytes: 150_000, roundTrips: 2 } as const;
/** Cold searches of each query shape on the 1-plan catalog (a new client each); the time is their median. */
const COLD_REPEATS = 3;
const LOAD_REPEATS = 3;
/** Searches timed per query shape once a client has its files. */
const WARM_REPEATS = 20;
const NAMES_PER_LANGUAGE = 4;

type Lang = 'ar' | 'en';
const ARABIC = /[\u0600-\u06FF]/;

interface LoadedFile {
  key: string;
  size: number;
  lang: Lang;
  index: MiniSearch<SearchDocument>;
  names: string[];
}

interface PlanResult {
  plan: string;
  files: number;
  totalBytes: number;
  totalGzip: number;
  largest: { key: string; size: number; gzip: number };
  loadLargestMs: number;
  loadPlanMs: number;
  /** Query samples on the largest file of each language. */
  fileQueries: Record<Lang, number[]>;
  /** Distinct queries run on the largest file of each language, and how many found something. */
  queries: Record<Lang, { total: number; withHits: number }>;
  /** Whole-plan query times (one search on every file of the plan, summed). */
  planQueries: Record<Lang, number[]>;
  langs: Lang[];
}

export async function runSearchScenario(params: BenchParams, ws: Workspace, log: (m: string) => void): Promise<SectionResult> {
  const outDir = await ws.built(params.searchLessons);
  const plansDir = path.join(outDir, 'plans');
  const plans = (await readdir(plansDir)).sort();
  const results: PlanResult[] = [];
  const allSizes: number[] = [];
  let biggest: BiggestPlan | null = null;
  for (const plan of plans) {
    const keys = [`plans/${plan}/search_index.json`];
    const shardDir = path.join(plansDir, plan, 'search');
    const shards = await readdir(shardDir).catch(() => [] as string[]);
    // Subject shards (MiniSearch indexes); routed term and document files are measured by the one-plan table below.
    keys.push(...shards.sort().map((s) => `plans/${plan}/search/${s}`).filter((key) => kindOfKey(key) === 'search_shard'));
    const texts = await Promise.all(keys.map(async (key) => ({ key, text: await readFile(path.join(outDir, key), 'utf8') })));
    const sized = texts.map(({ key, text }) => ({ key, text, size: Buffer.byteLength(text), gzip: gzipSync(text).length }));
    allSizes.push(...sized.map((s) => s.size));
    const largest = sized.reduce((a, b) => (b.size > a.size ? b : a));

    // Load every file that holds an index (shards; or an unsharded search_index.json).
    const loaded: LoadedFile[] = [];
    let loadPlanMs = 0;
    for (const s of sized) {
      const header = JSON.parse(s.text) as { sharded?: boolean };
      if (header.sharded === true) continue;
      const started = performance.now();
      const index = loadSearchIndex(s.text);
      loadPlanMs += performance.now() - started;
      const names = storedNames(s.text);
      const arabic = names.filter((n) => ARABIC.test(n)).length;
      loaded.push({ key: s.key, size: s.size, lang: arabic * 2 >= names.length ? 'ar' : 'en', index, names });
    }
    const biggestLoadable = loaded.reduce<LoadedFile | null>((a, b) => (a === null || b.size > a.size ? b : a), null);
    const loadTimes: number[] = [];
    if (biggestLoadable) {
      const text = (sized.find((s) => s.key === biggestLoadable.key) as { text: string }).text;
      for (let i = 0; i < LOAD_REPEATS; i++) {
        const started = performance.now();
        loadSearchIndex(text);
        loadTimes.push(performance.now() - started);
      }
    }

    const fileQueries: Record<Lang, number[]> = { ar: [], en: [] };
    const planQueries: Record<Lang, number[]> = { ar: [], en: [] };
    const queryCounts: Record<Lang, { total: number; withHits: number }> = { ar: { total: 0, withHits: 0 }, en: { total: 0, withHits: 0 } };
    const langs: Lang[] = [];
    for (const lang of ['ar', 'en'] as const) {
      const ofLang = loaded.filter((f) => f.lang === lang);
      const target = ofLang.reduce<LoadedFile | null>((a, b) => (a === null || b.size > a.size ? b : a), null);
      if (!target) continue;
      langs.push(lang);
      const queries = makeQueries(target.names);
      const all = loaded.map((f) => f.index);
      const header = JSON.parse(sized[0]!.text) as { plan_id: string; lesson_count: number; shards?: { subject_id: string }[] };
      if (queries.length > 0 && (biggest === null || header.lesson_count > biggest.lessons)) {
        biggest = { planId: header.plan_id, lessons: header.lesson_count, query: queries[0]!, subjectId: header.shards?.[0]?.subject_id ?? null };
      }
      for (const q of queries) {
        // The warm-up pass also counts the queries that find something.
        queryCounts[lang].total++;
        if (query([target.index], q).length > 0) queryCounts[lang].withHits++;
      }
      for (let rep = 0; rep < params.queryRepeats; rep++) {
        for (const q of queries) {
          const started = performance.now();
          query([target.index], q);
          fileQueries[lang].push(performance.now() - started);
        }
      }
      for (const q of queries) {
        const started = performance.now();
        query(all, q);
        planQueries[lang].push(performance.now() - started);
      }
    }
    results.push({
      plan,
      files: sized.length,
      totalBytes: sized.reduce((n, s) => n + s.size, 0),
      totalGzip: sized.reduce((n, s) => n + s.gzip, 0),
      largest: { key: largest.key, size: largest.size, gzip: largest.gzip },
      loadLargestMs: summarize(loadTimes).median,
      loadPlanMs,
      fileQueries,
      queries: queryCounts,
      planQueries,
      langs,
    });
  }
  log(`search: ${results.length} plans, ${allSizes.length} search files`);
  const transfer = biggest === null ? null : await measureTransfer(outDir, biggest);
  const onePlan = await measureOnePlan(params, ws, log);
  return { scenario: 'search', ...render(results, allSizes, params, transfer, onePlan) };
}

/** The lesson titles stored in an index file. */
function storedNames(text: string): string[] {
  const json = JSON.parse(text) as { storedFields?: Record<string, { lesson_name?: string }> };
  return Object.values(json.storedFields ?? {}).flatMap((f) => (typeof f.lesson_name === 'string' ? [f.lesson_name] : []));
}

interface BiggestPlan {
  planId: string;
  lessons: number;
  /** A whole word from one of its titles. */
  query: string;
  /** Its first shard's subject (sharded plans). */
  subjectId: string | null;
}

interface Transfer {
  plan: BiggestPlan;
  planWide: Awaited<ReturnType<typeof measureColdSearch>>;
  subject: Awaited<ReturnType<typeof measureColdSearch>> | null;
}

/** What a cold client fetches for a plan-wide and a subject search of the plan with the most lessons, from the preview server. */
async function measureTransfer(outDir: string, plan: BiggestPlan): Promise<Transfer> {
  const server = await startPreviewServer({ outDir, port: 0, viewer: { files: new Map() } });
  try {
    const planWide = await measureColdSearch(server.url, plan.planId, plan.query);
    const subject = plan.subjectId === null ? null : await measureColdSearch(server.url, plan.planId, plan.query, plan.subjectId);
    return { plan, planWide, subject };
  } finally {
    await server.close();
  }
}

/** A query of the 1-plan measurement: what it stands for, its text, and the subject it is restricted to (none: plan-wide). */
export interface QueryShape {
  shape: string;
  query: string;
  subjectId?: string;
}

/** The letters a typo puts in a word's place (bench/typo-recall.ts too). */
export const ARABIC_LETTERS = [...'ابتثجحخدذرزسشصضطظعغفقكلمنهوي'];
export const LATIN_LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];

/** A word fit to be a query: 3 letters or more, not a number. */
const queryable = (w: string) => [...w].length >= 3 && !/^\d+$/.test(w);

/** The word with its third letter changed to the next letter of its alphabet (a typo the fuzzy tier should forgive). */
export function withTypo(word: string): string {
  const chars = [...word];
  const i = Math.min(2, chars.length - 1);
  const c = chars[i] as string;
  const alphabet = ARABIC_LETTERS.includes(c) ? ARABIC_LETTERS : LATIN_LETTERS;
  const k = alphabet.indexOf(c);
  chars[i] = k < 0 ? (alphabet[0] as string) : (alphabet[(k + 1) % alphabet.length] as string);
  return chars.join('');
}

/**
 * Queries of fixed shapes from a plan's own lesson titles, words normalized as the client
 * normalizes a query (`queryWords`), 3 letters or more, counted once per title: the most
 * frequent word (ties: the first in code-point order); a rare word (in 1 to 3 titles, else the
 * least frequent; preferably 5 letters or more; the middle one in code-point order); two words of
 * the middle title that has two; the first 3 letters of a word and the word with one letter
 * changed (the rare word when it has 5 letters or more); and the frequent word restricted to the
 * subject with the most titles holding it.
 */
export function planQueryShapes(plan: Pick<PlanTree, 'lessons' | 'subjects'>): QueryShape[] {
  const titleWords = plan.lessons.map((l) => queryWords(l.title).filter(queryable));
  const frequency = new Map<string, number>();
  for (const words of titleWords) for (const w of words) frequency.set(w, (frequency.get(w) ?? 0) + 1);
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const words = [...frequency.keys()].sort(byCodePoint);
  if (words.length === 0) return [];
  const common = words.reduce((a, b) => ((frequency.get(b) as number) > (frequency.get(a) as number) ? b : a));
  const long = (w: string) => [...w].length >= 5;
  const preferLong = (list: string[]) => (list.some(long) ? list.filter(long) : list);
  // A word in 1 to 3 titles; a generated catalog's vocabulary is small, so a large plan may have
  // none: then the least frequent words stand in, and the shape says so.
  const rareAll = words.filter((w) => (frequency.get(w) as number) <= 3);
  const fewest = Math.min(...preferLong(words).map((w) => frequency.get(w) as number));
  const rarePool = rareAll.length > 0 ? preferLong(rareAll) : preferLong(words).filter((w) => frequency.get(w) === fewest);
  const rare = rarePool[Math.floor(rarePool.length / 2)] as string;
  const rareCount = frequency.get(rare) as number;
  const titles = (n: number) => `${int(n)} title${n === 1 ? '' : 's'}`;

  const shapes: QueryShape[] = [{ shape: 'very common word', query: common }];
  shapes.push({ shape: rareAll.length > 0 ? `rare word (in ${titles(rareCount)})` : `rarest word (in ${titles(rareCount)}; no word is in 1 to 3)`, query: rare });
  const middle = Math.floor(plan.lessons.length / 2);
  for (let k = 0; k < plan.lessons.length; k++) {
    const words2 = titleWords[(middle + k) % plan.lessons.length] as string[];
    if (words2.length >= 2) {
      shapes.push({ shape: 'two words of one title', query: `${words2[0]} ${words2[1]}` });
      break;
    }
  }
  // The prefix and the typo of a word of 5 letters or more (fuzzy matching starts at 4): the
  // rare word, else the most frequent such word.
  const longWord = long(rare) ? rare : (words.filter(long).sort((a, b) => (frequency.get(b) as number) - (frequency.get(a) as number))[0] ?? rare);
  shapes.push({ shape: '3-letter prefix of a word', query: [...longWord].slice(0, 3).join('') });
  shapes.push({ shape: 'word with one letter changed (typo)', query: withTypo(longWord) });

  const perSubject = new Map<string, number>();
  plan.lessons.forEach((l, i) => {
    if ((titleWords[i] as string[]).includes(common)) perSubject.set(l.subjectId, (perSubject.get(l.subjectId) ?? 0) + 1);
  });
  const subject = plan.subjects.reduce<{ id: string; n: number } | null>((best, s) => {
    const n = perSubject.get(s.id) ?? 0;
    return n > 0 && (best === null || n > best.n) ? { id: s.id, n } : best;
  }, null);
  if (subject !== null) shapes.push({ shape: 'very common word, one subject (`subjectId`)', query: common, subjectId: subject.id });
  return shapes;
}

interface ShapeResult extends QueryShape {
  figures: Awaited<ReturnType<typeof measureColdSearch>>;
  /** Largest requests, bytes and round trips over the repeats, when a repeat differed from the first. */
  varied: boolean;
  medianMs: number;
  /** The same search again on a client that has its files (median, p95 over WARM_REPEATS). */
  warm: { median: number; p95: number };
}

interface OnePlanResult {
  tree: OnePlanTree;
  shapes: ShapeResult[];
}

/** Cold searches of each query shape on the one plan of a 1-plan catalog of `searchPlanLessons` lessons, from the preview server. */
async function measureOnePlan(params: BenchParams, ws: Workspace, log: (m: string) => void): Promise<OnePlanResult> {
  const tree = await ws.onePlanBuilt(params.searchPlanLessons);
  log(`search: 1-plan catalog, ${tree.plan.lessons.length} lessons shown of ${tree.generated} generated (${tree.attempts} build${tree.attempts === 1 ? '' : 's'})`);
  const shapes = planQueryShapes(tree.plan);
  const server = await startPreviewServer({ outDir: tree.outDir, port: 0, viewer: { files: new Map() } });
  try {
    const out: ShapeResult[] = [];
    for (const shape of shapes) {
      const runs: Awaited<ReturnType<typeof measureColdSearch>>[] = [];
      for (let i = 0; i < COLD_REPEATS; i++) runs.push(await measureColdSearch(server.url, tree.plan.planId, shape.query, shape.subjectId, { clock: () => performance.now() }));
      const first = runs[0] as (typeof runs)[number];
      const max = (f: (r: typeof first) => number) => Math.max(...runs.map(f));
      const varied = runs.some((r) => r.requests !== first.requests || r.bytes !== first.bytes || r.roundTrips !== first.roundTrips || r.firstResultRoundTrips !== first.firstResultRoundTrips || r.hits !== first.hits);
      const figures = { ...first, requests: max((r) => r.requests), bytes: max((r) => r.bytes), roundTrips: max((r) => r.roundTrips), firstResultRoundTrips: max((r) => r.firstResultRoundTrips) };
      // Once loaded: the same client, its files cached, the query again.
      const client = new CdnClient({ baseUrl: server.url });
      const search = () => client.search(tree.plan.planId, shape.query, shape.subjectId === undefined ? {} : { subjectId: shape.subjectId });
      await search();
      const warmTimes: number[] = [];
      for (let i = 0; i < WARM_REPEATS; i++) {
        const started = performance.now();
        await search();
        warmTimes.push(performance.now() - started);
      }
      const w = summarize(warmTimes);
      out.push({ ...shape, figures, varied, medianMs: median(runs.map((r) => r.ms ?? Number.NaN)), warm: { median: w.median, p95: w.p95 } });
    }
    return { tree, shapes: out };
  } finally {
    await server.close();
  }
}

/** The two goal rows of issue 15, judged on the plan-wide shapes: missed when over, met only on a plan of 10,000 lessons or more. */
function onePlanTargets(r: OnePlanResult): TargetRow[] {
  const g = PLAN_WIDE_GOAL;
  const lessons = r.tree.plan.lessons.length;
  const planWide = r.shapes.filter((s) => s.subjectId === undefined);
  const judge = (value: number, goal: number): TargetStatus => (planWide.length === 0 ? 'not measured' : value > goal ? 'missed' : lessons >= g.lessons ? 'met' : 'not measured');
  const small = lessons < g.lessons ? `the plan has ${int(lessons)} lessons at this scale: under the goal there says nothing of ${int(g.lessons)} (--scale medium or full measures it)` : '';
  const worst = <K extends 'bytes' | 'firstResultRoundTrips'>(key: K, shapes = planWide) => shapes.reduce<ShapeResult | null>((a, b) => (a === null || b.figures[key] > a.figures[key] ? b : a), null);
  const byBytes = worst('bytes');
  // A query that finds nothing has no first result: its answer ("no lesson") comes after the
  // client has also tried the query on the other keyboard layout, one round trip more. A
  // misspelt word that matched no word or stem in its own term files is looked up in the
  // vocabulary files first (two round trips more): reported beside the goal, as before those
  // files such a word found nothing.
  const found = planWide.filter((s) => s.figures.hits > 0 && s.figures.vocabularyRequests === 0);
  const byTrips = worst('firstResultRoundTrips', found);
  const emptyTrips = worst('firstResultRoundTrips', planWide.filter((s) => s.figures.hits === 0));
  const nearTrips = worst('firstResultRoundTrips', planWide.filter((s) => s.figures.hits > 0 && s.figures.vocabularyRequests > 0));
  const maxBytes = byBytes?.figures.bytes ?? Number.NaN;
  const maxTrips = byTrips?.figures.firstResultRoundTrips ?? Number.NaN;
  const bytesStatus = judge(maxBytes, g.bytes);
  const tripsStatus = judge(maxTrips, g.roundTrips);
  const byWarm = planWide.reduce<ShapeResult | null>((a, b) => (a === null || b.warm.p95 > a.warm.p95 ? b : a), null);
  const warmP95 = byWarm?.warm.p95 ?? Number.NaN;
  const warmStatus = judge(warmP95, SEARCH_TARGETS.queryP95Ms);
  return [
    {
      target: `Search: a plan-wide query on a ${int(g.lessons)}-lesson plan under ${SEARCH_TARGETS.queryP95Ms} ms at the 95th percentile once its files are loaded`,
      measured: byWarm === null ? 'no query' : `at most p95 ${ms(warmP95)} (${byWarm.shape}) over ${planWide.length} plan-wide query shapes on a ${int(lessons)}-lesson plan`,
      status: warmStatus,
      note: [warmStatus === 'not measured' ? small : '', `the client's search on its cached term files, ${WARM_REPEATS} runs a shape`].filter(Boolean).join('; '),
    },
    {
      target: `Search: a plan-wide query on a ${int(g.lessons)}-lesson plan fetches at most ${int(g.bytes / 1000)} KB`,
      measured:
        byBytes === null
          ? 'no query'
          : `at most ${bytes(maxBytes)} (${int(maxBytes)} bytes, ${int(byBytes.figures.requests)} requests; ${byBytes.shape}) over ${planWide.length} plan-wide query shapes on a ${int(lessons)}-lesson plan`,
      status: bytesStatus,
      note: [bytesStatus === 'not measured' ? small : '', 'bytes as served, before gzip, the manifest included'].filter(Boolean).join('; '),
    },
    {
      target: `Search: first result in at most ${g.roundTrips === 2 ? 'two' : int(g.roundTrips)} round trips after the manifest (a plan-wide query, ${int(g.lessons)}-lesson plan)`,
      measured:
        byTrips === null
          ? 'no query found a lesson'
          : `at most ${int(maxTrips)} (${byTrips.shape}) over the ${found.length} of ${planWide.length} plan-wide query shapes that found lessons from their words' own term files on a ${int(lessons)}-lesson plan` +
            (nearTrips === null ? '' : `; a misspelt word found through the vocabulary files in ${int(nearTrips.figures.firstResultRoundTrips)} (${nearTrips.shape})`) +
            (emptyTrips === null ? '' : `; the others answered "no lesson" in at most ${int(emptyTrips.figures.firstResultRoundTrips)} (${emptyTrips.shape})`),
      status: tripsStatus,
      note: [
        tripsStatus === 'not measured' ? small : '',
        'counted from the order requests started and finished (a request is one deeper than the deepest answer read before it started)',
        nearTrips === null ? '' : 'a word that matched no word or stem in its own term files has its near spellings looked up in the vocabulary files, then their term files (before those files it found nothing)',
        emptyTrips === null ? '' : 'a query that finds nothing is tried again on the other keyboard layout before the answer',
      ]
        .filter(Boolean)
        .join('; '),
    },
  ];
}
function onePlanBody(r: OnePlanResult): string[] {
  const p = r.tree.plan;
  const cellText = (t: string) => `\`${t.replace(/`/g, "'")}\``;
  const trips = (f: ShapeResult['figures']) => (f.firstResultRoundTrips === f.roundTrips ? int(f.roundTrips) : `${int(f.roundTrips)} (first result: ${int(f.firstResultRoundTrips)})`);
  const subjectTitle = (id: string) => p.subjects.find((s) => s.id === id)?.title ?? id;
  const rows = r.shapes.map((s) => [
    s.subjectId === undefined ? s.shape : `${s.shape}: ${subjectTitle(s.subjectId)}`,
    cellText(s.query),
    int(s.figures.requests),
    `${bytes(s.figures.bytes)} (${int(s.figures.bytes)})`,
    trips(s.figures),
    int(s.figures.hits),
    ms(s.medianMs),
    `${ms(s.warm.median)} / ${ms(s.warm.p95)}`,
  ]);
  const varied = r.shapes.filter((s) => s.varied).map((s) => s.shape);
  return [
    '',
    `**One plan of ${int(p.lessons.length)} lessons** (issue 15's goal is stated for ${int(PLAN_WIDE_GOAL.lessons)}). A catalog of one plan, generated with ${int(r.tree.generated)} lessons ` +
      `(some are unpublished or hidden by the plan's overrides; the plan shows ${int(p.lessons.length)} in ${int(p.subjects.length)} subjects), built by \`build()\` and served by the preview server on 127.0.0.1. ` +
      `Each query is a cold search: a new \`CdnClient\` (nothing cached) calls \`search\` as an app would, ${COLD_REPEATS} times. ` +
      `Requests and bytes count everything fetched, the manifest included (bytes as served, before gzip). Round trips after the manifest come from the order in which requests ` +
      `started and finished, not from the clock: a request is one deeper than the deepest request whose answer had been read before it started, the manifest is depth 1. ` +
      `Hits: what the search returned (at most ${DEFAULT_SEARCH_LIMIT}, the client's default limit). Time: the median of the ${COLD_REPEATS} searches over loopback ` +
      `(no network latency; over a real network add a round-trip time per round trip and the transfer time of the bytes). ` +
      `Once loaded: the same query ${WARM_REPEATS} more times on one client that has fetched its files (what a student typing on waits for), in this Node process.`,
    '',
    table(['query shape', 'query', 'requests', 'bytes', 'round trips after the manifest', 'hits', `time (loopback, median of ${COLD_REPEATS})`, `once loaded, median / p95 of ${WARM_REPEATS}`], rows),
    ...(varied.length > 0 ? ['', `Requests, bytes or round trips differed between repeats for: ${varied.join(', ')}; the table shows the largest.`] : []),
  ];
}

function requestsAndBytes(t: { searchRequests: number; searchBytes: number }): string {
  return `${int(t.searchRequests)} request${t.searchRequests === 1 ? '' : 's'}, ${bytes(t.searchBytes)}`;
}

/** A query as the client runs it once the indexes are loaded (CdnClient.search): its words, matched in tiers, the best DEFAULT_SEARCH_LIMIT hits. */
function query(indexes: readonly MiniSearch<SearchDocument>[], text: string): unknown[] {
  return searchIndexes(indexes, queryWords(text), DEFAULT_SEARCH_LIMIT);
}

/** Queries from titles spread over the index: a word, its first 3 letters, two words, the word with two letters swapped. */
export function makeQueries(names: readonly string[]): string[] {
  const picked: string[] = [];
  for (let i = 0; i < NAMES_PER_LANGUAGE && names.length > 0; i++) picked.push(names[Math.floor(((i + 0.5) * names.length) / NAMES_PER_LANGUAGE)] as string);
  const queries: string[] = [];
  for (const name of new Set(picked)) {
    const words = tokenize(name).filter((w) => w.length >= 3 && !/^\d+$/.test(w));
    const word = [...words].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))[0];
    if (!word) continue;
    queries.push(word, word.slice(0, 3));
    if (words.length >= 2) queries.push(`${words[0]} ${words[1]}`);
    const chars = [...word];
    if (chars.length >= 5) {
      [chars[1], chars[2]] = [chars[2] as string, chars[1] as string];
      queries.push(chars.join(''));
    }
  }
  return queries;
}

function render(results: PlanResult[], allSizes: number[], params: BenchParams, transfer: Transfer | null, onePlan: OnePlanResult): { body: string; targets: TargetRow[] } {
  const t = SEARCH_TARGETS;
  const pool = (f: (r: PlanResult) => number[]) => results.flatMap(f);
  const over = allSizes.filter((s) => s > t.maxFileBytes).length;
  const largest = results.reduce<PlanResult | null>((a, b) => (a === null || b.largest.size > a.largest.size ? b : a), null);
  const q = (samples: number[]) => {
    const s = summarize(samples);
    return s.n === 0 ? 'n/a' : `${ms(s.median)} / ${ms(s.p95)} / ${ms(s.max)}`;
  };
  const dist = (values: number[], f: (n: number) => string) => {
    const s = summarize(values);
    return s.n === 0 ? 'n/a' : `${f(s.median)} / ${f(s.p95)} / ${f(s.max)}`;
  };
  const summaryRows = [
    ['search files (all plans)', `${int(allSizes.length)}, ${int(over)} over ${int(t.maxFileBytes)} bytes`],
    ['largest search file of a plan: bytes', dist(results.map((r) => r.largest.size), bytes)],
    ['largest search file of a plan: gzip', dist(results.map((r) => r.largest.gzip), bytes)],
    ['all search files of a plan: bytes (gzip)', `${dist(results.map((r) => r.totalBytes), bytes)} (${dist(results.map((r) => r.totalGzip), bytes)})`],
    ['load time of the largest index file', dist(results.map((r) => r.loadLargestMs), ms)],
    ['load time of all index files of a plan', dist(results.map((r) => r.loadPlanMs), ms)],
    ['distinct queries with at least one result', (['ar', 'en'] as const).map((l) => `${l === 'ar' ? 'Arabic' : 'English'} ${int(results.reduce((n, r) => n + r.queries[l].withHits, 0))} of ${int(results.reduce((n, r) => n + r.queries[l].total, 0))}`).join(', ')],
    ['query on one file, Arabic', q(pool((r) => r.fileQueries.ar))],
    ['query on one file, English', q(pool((r) => r.fileQueries.en))],
    ['query on a whole plan (every file), Arabic', q(pool((r) => r.planQueries.ar))],
    ['query on a whole plan (every file), English', q(pool((r) => r.planQueries.en))],
  ];
  const planRows = results.map((r) => [
    r.plan,
    r.langs.join('+'),
    int(r.files),
    bytes(r.largest.size),
    bytes(r.largest.gzip),
    ms(r.loadLargestMs),
    r.fileQueries.ar.length ? `${ms(summarize(r.fileQueries.ar).median)} / ${ms(summarize(r.fileQueries.ar).p95)}` : '',
    r.fileQueries.en.length ? `${ms(summarize(r.fileQueries.en).median)} / ${ms(summarize(r.fileQueries.en).p95)}` : '',
    ms(summarize([...r.planQueries.ar, ...r.planQueries.en]).p95),
  ]);
  const body = [
    `The search files of the ${int(params.searchLessons)}-lesson catalog's ${results.length} plans, built by \`build()\`. Index files are loaded with ` +
      `\`loadSearchIndex\` (packages/client/src/search/config.ts: MiniSearch.loadJSON with the shared options; parsing included), in this Node process (${process.version}). ` +
      `Queries come from each file's own lesson titles (${NAMES_PER_LANGUAGE} titles per language: a whole word, its first 3 letters, two words, ` +
      `the word with two letters swapped for the fuzzy path), searched as the client searches once the files are loaded (\`searchIndexes\` of packages/client/src/search/query.ts: every word matched in tiers, words and prefixes, stems, then fuzzy from 4 letters, the best ${DEFAULT_SEARCH_LIMIT} hits); ` +
      `each timed ${params.queryRepeats} times after a warm-up pass, on the plan's largest index file of that language. A whole-plan query runs once on all the plan's index files together. ` +
      `Cells read median / p95 / max over plans (sizes, load times) or over every timed query (query times). Gzip at zlib's default level.`,
    '',
    table(['measure', 'median / p95 / max'], summaryRows),
    '',
    largest ? `The largest search file: \`${largest.largest.key}\`, ${int(largest.largest.size)} bytes (${int(largest.largest.gzip)} gzipped).` : '',
    '',
    '<details><summary>Per plan</summary>',
    '',
    table(['plan', 'languages', 'search files', 'largest', 'gzip', 'load largest', 'ar query median / p95', 'en query median / p95', 'whole-plan query p95'], planRows),
    '',
    '</details>',
    ...(transfer === null
      ? []
      : [
          '',
          `What a cold client (\`CdnClient.search\`, nothing cached, from the preview server) fetches to search the plan with the most lessons of this catalog (${int(transfer.plan.lessons)}) for \`${transfer.plan.query}\`, the manifest included (bytes as served, before gzip), for information (the goal is judged on the one-plan catalog below):`,
          '',
          table(
            ['search', 'requests', 'bytes', 'after the manifest', 'round trips after the manifest'],
            [
              ['plan-wide', int(transfer.planWide.requests), bytes(transfer.planWide.bytes), requestsAndBytes(transfer.planWide), int(transfer.planWide.roundTrips)],
              ...(transfer.subject === null ? [] : [['one subject (`subjectId`)', int(transfer.subject.requests), bytes(transfer.subject.bytes), requestsAndBytes(transfer.subject), int(transfer.subject.roundTrips)]]),
            ],
          ),
        ]),
    ...onePlanBody(onePlan),
  ].join('\n');

  const fileQ = summarize(pool((r) => [...r.fileQueries.ar, ...r.fileQueries.en]));
  const targets: TargetRow[] = [
    {
      target: `Search: every search file under 100 KB (${int(t.maxFileBytes)} bytes)`,
      measured: `largest ${int(Math.max(...allSizes))} bytes; ${int(over)} of ${int(allSizes.length)} over`,
      status: over === 0 ? 'met' : 'missed',
    },
    {
      target: `Search: a query under ${t.queryP95Ms} ms at the 95th percentile once loaded`,
      measured: `p95 ${ms(fileQ.p95)} on one file (Arabic ${ms(summarize(pool((r) => r.fileQueries.ar)).p95)}, English ${ms(summarize(pool((r) => r.fileQueries.en)).p95)}); whole plan p95 ${ms(summarize(pool((r) => [...r.planQueries.ar, ...r.planQueries.en])).p95)}`,
      status: fileQ.n === 0 ? 'not measured' : fileQ.p95 < t.queryP95Ms ? 'met' : 'missed',
      note: 'judged on one index file (a subject\'s shard, or an unsharded plan index), what a client loads to search',
    },
    ...onePlanTargets(onePlan),
  ];
  return { body, targets };
}
