/**
 * The search-quality harness. Builds the catalog of catalog.ts with the real build into a
 * temporary out/, serves it with the preview server on 127.0.0.1, and runs every query of
 * queries.ts through the real client (`CdnClient.search`), as a student's app would. Pure data
 * out: `evaluateSearchQuality()` returns per query whether every expected lesson was found and
 * whether the expected lessons came first, totals per category, and the bytes, requests and
 * sequential round trips of plan-wide and subject searches; `formatQualityReport()` renders it as markdown tables (for
 * BENCHMARKS.md beside other engines' figures, which `judge` and `tally` score the same way).
 * Nothing here prints or reads the clock: a caller that wants query times passes one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from '../../src/build/build.ts';
import { writeCache } from '../../src/content/cache.ts';
import { memoryLogger } from '../../src/log.ts';
import { startPreviewServer } from '../../src/preview/server.ts';
import { CdnClient, DEFAULT_SEARCH_LIMIT } from '../../packages/client/src/client.ts';
import { SEARCH_VERSION } from '../../packages/client/src/search/config.ts';
import { QUALITY_PLANS, qualityCatalogDocs, qualityLessons, type QualityLesson, type QualityPlan } from './catalog.ts';
import { CATEGORIES, QUERIES, type Category, type QualityQuery } from './queries.ts';

/** The suite's goals (issue 15): every expected lesson found for at least 98% of queries, the expected lessons first for at least 90%. */
export const QUALITY_GOALS = { recall: 0.98, ranking: 0.9 } as const;

/** How one query fared. */
export interface QueryOutcome {
  plan: QualityPlan;
  query: string;
  category: Category;
  /** The expected lessons, resolved to lesson IDs, sorted. */
  expected: string[];
  /** Every expected lesson is among the first `max(limit, expected.length)` hits (recall). */
  found: boolean;
  /** The first `expected.length` hits are exactly the expected lessons (ranking). */
  rankedFirst: boolean;
  /** Each expected lesson's 1-based rank among all hits, null when not returned at all. */
  ranks: Record<string, number | null>;
  /** How many hits the query returned in all. */
  hitCount: number;
  /** The first hits, as many as expected and at least five: what a student saw first. */
  top: { lessonId: string; lessonName: string }[];
  /** The search's time in ms (the plan's first search includes fetching its files), when a clock was given. */
  ms?: number;
}

export interface Totals {
  queries: number;
  /** Queries that found every expected lesson. */
  found: number;
  /** Queries whose expected lessons came first. */
  rankedFirst: number;
  /** found / queries. */
  recall: number;
  /** rankedFirst / queries. */
  ranking: number;
}

/** What one cold search (a new client, nothing cached) fetched. */
export interface TransferFigures {
  plan: QualityPlan;
  /** `plan`: a plan-wide search; otherwise the subject searched (`subjectId`). */
  scope: 'plan' | { subjectId: string };
  query: string;
  /** Requests in all, the manifest included. */
  requests: number;
  /** Bytes of the bodies fetched (as served, before any compression), the manifest included. */
  bytes: number;
  /** Requests after the manifest: the search files. */
  searchRequests: number;
  /** Bytes after the manifest. */
  searchBytes: number;
  /**
   * Sequential network round trips after the manifest, from the order in which requests started
   * and finished (`roundTripsOf`): the depth of the deepest request, less the manifest's one.
   */
  roundTrips: number;
  /** The same, counting only the requests started before `client.search` resolved (the first result). */
  firstResultRoundTrips: number;
  /** Hits the search returned (at most the client's default limit). */
  hits: number;
  /** Vocabulary files fetched (a routed plan's near spellings of a word that matched no word or stem). */
  vocabularyRequests: number;
  /** The search's time in ms, from the first request to the hits, when a clock was given. */
  ms?: number;
}

export interface QualityReport {
  searchVersion: number;
  /** Hits a student sees (the client's default limit): the recall window. */
  limit: number;
  lessonCount: number;
  /** Warnings the build gave for the catalog (none expected). */
  buildWarnings: string[];
  outcomes: QueryOutcome[];
  overall: Totals;
  byCategory: Record<Category, Totals>;
  byPlan: Record<QualityPlan, Totals>;
  transfer: TransferFigures[];
}

export interface EvaluateOptions {
  queries?: readonly QualityQuery[];
  /** The recall window; the client's default limit when absent. */
  limit?: number;
  /** A clock in milliseconds (e.g. `performance.now`): when given, each outcome records its query's time. */
  clock?: () => number;
  /** Build every plan sharded, so that plan-wide searches go through the routed term files (as a large plan's do). */
  routed?: boolean;
}

/** The lesson IDs a query's `expect` names: lessons, and every lesson of a topic, unit or subject. */
export function resolveExpected(q: QualityQuery, lessons: ReadonlyMap<string, QualityLesson>): string[] {
  const ids = new Set<string>();
  for (const name of q.expect) {
    let matched = false;
    for (const l of lessons.values()) {
      if (l.plan !== q.plan) continue;
      if (l.id === name || l.topicId === name || l.unitId === name || l.subjectId === name) {
        ids.add(l.id);
        matched = true;
      }
    }
    if (!matched) throw new Error(`query ${JSON.stringify(q.query)} (${q.plan}): expects ${JSON.stringify(name)}, which names nothing in that plan`);
  }
  return [...ids].sort();
}

/** Judges hits (lesson IDs, best first) against the expected lessons. */
export function judge(expected: readonly string[], hits: readonly string[], limit: number): Pick<QueryOutcome, 'found' | 'rankedFirst' | 'ranks'> {
  const window = Math.max(limit, expected.length);
  const ranks: Record<string, number | null> = {};
  for (const id of expected) {
    const i = hits.indexOf(id);
    ranks[id] = i < 0 ? null : i + 1;
  }
  const found = expected.length > 0 && expected.every((id) => ranks[id] !== null && (ranks[id] as number) <= window);
  const first = new Set(hits.slice(0, expected.length));
  const rankedFirst = expected.length > 0 && expected.every((id) => first.has(id));
  return { found, rankedFirst, ranks };
}

/** Totals of some outcomes (of any engine judged with `judge`). */
export function totals(outcomes: readonly Pick<QueryOutcome, 'found' | 'rankedFirst'>[]): Totals {
  const found = outcomes.filter((o) => o.found).length;
  const rankedFirst = outcomes.filter((o) => o.rankedFirst).length;
  const n = outcomes.length;
  return { queries: n, found, rankedFirst, recall: n === 0 ? 0 : found / n, ranking: n === 0 ? 0 : rankedFirst / n };
}

/** Totals overall, per category and per plan. */
export function tally(outcomes: readonly Pick<QueryOutcome, 'plan' | 'category' | 'found' | 'rankedFirst'>[]): Pick<QualityReport, 'overall' | 'byCategory' | 'byPlan'> {
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, totals(outcomes.filter((o) => o.category === c))])) as Record<Category, Totals>;
  const byPlan = Object.fromEntries((Object.keys(QUALITY_PLANS) as QualityPlan[]).map((p) => [p, totals(outcomes.filter((o) => o.plan === p))])) as Record<QualityPlan, Totals>;
  return { overall: totals(outcomes), byCategory, byPlan };
}

/**
 * One request of a measured client: its URL, its body's size, and when it started and finished,
 * as numbers of a `RequestLog`'s event counter (no clock: only the order of events counts).
 */
export interface TimedRequest {
  url: string;
  /** Bytes of the body (as served, before any compression); 0 when the request failed. */
  bytes: number;
  /** The event number at which the request was made. */
  started: number;
  /** The event number at which its body had been read (or it failed); null while in flight. */
  finished: number | null;
}

/**
 * Each request's depth, in order: 1 + the largest depth among the requests that had finished
 * (body read) before it started, or 1 when none had. A request's depth is the number of
 * sequential round trips up to and including it: requests in flight together share a depth,
 * and a request that had to wait for an answer is one deeper than the deepest answer it could
 * have waited for.
 */
export function requestDepths(requests: readonly Pick<TimedRequest, 'started' | 'finished'>[]): number[] {
  const order = requests.map((_, i) => i).sort((a, b) => (requests[a] as TimedRequest).started - (requests[b] as TimedRequest).started);
  const depths = new Array<number>(requests.length).fill(0);
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const started = (requests[i] as TimedRequest).started;
    let deepest = 0;
    for (let m = 0; m < k; m++) {
      const j = order[m] as number;
      const finished = (requests[j] as TimedRequest).finished;
      if (finished !== null && finished < started) deepest = Math.max(deepest, depths[j] as number);
    }
    depths[i] = deepest + 1;
  }
  return depths;
}

/**
 * Round trips after the first (the manifest's): the largest depth (`requestDepths`) less one,
 * over the requests started before event `before` when given; 0 without requests.
 */
export function roundTripsOf(requests: readonly Pick<TimedRequest, 'started' | 'finished'>[], before?: number): number {
  const depths = requestDepths(requests);
  let deepest = 0;
  requests.forEach((r, i) => {
    if (before === undefined || r.started < before) deepest = Math.max(deepest, depths[i] as number);
  });
  return Math.max(0, deepest - 1);
}

/**
 * The requests a fetch made, with the order in which they started and finished: every start and
 * every finish takes the next number of one counter, so equal runs give equal records whatever
 * the machine's speed.
 */
export class RequestLog {
  readonly requests: TimedRequest[] = [];
  private events = 0;
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Takes the next event number (e.g. to mark the moment a search resolved). */
  mark(): number {
    return ++this.events;
  }

  /** `inner` (the global fetch when absent), recording each request; the body is read before the response is handed on. */
  fetch(inner: typeof fetch = globalThis.fetch): typeof fetch {
    return (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      const entry: TimedRequest = { url: input instanceof Request ? input.url : String(input), bytes: 0, started: this.mark(), finished: null };
      this.requests.push(entry);
      const pending = (async () => {
        try {
          const response = await inner(input, init);
          const body = new Uint8Array(await response.arrayBuffer());
          entry.bytes = body.byteLength;
          return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
        } finally {
          entry.finished = this.mark();
        }
      })();
      this.inFlight.add(pending);
      try {
        return await pending;
      } finally {
        this.inFlight.delete(pending);
      }
    }) as typeof fetch;
  }

  /** Resolves once no request is in flight, including those that answers already in flight lead to. */
  async settled(): Promise<void> {
    for (;;) {
      // A turn of the event loop, for work queued behind answers (a further request) to start.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.inFlight.size === 0) return;
      await Promise.allSettled([...this.inFlight]);
    }
  }
}

export interface ColdSearchOptions {
  /** The network fetch (the global fetch when absent); a test passes a fake. */
  fetch?: typeof fetch;
  /** A clock in milliseconds (e.g. `performance.now`): when given, the figures include the search's time. */
  clock?: () => number;
}

/**
 * What a cold search (a new client, nothing cached) of a plan fetches from the CDN at `baseUrl`:
 * requests and bytes, and the sequential round trips they took. Requests still in flight when
 * the search resolves (none today) are awaited and counted in `requests`, `bytes` and `roundTrips`,
 * not in `firstResultRoundTrips`.
 */
export async function measureColdSearch(baseUrl: string, planId: string, query: string, subjectId?: string, options: ColdSearchOptions = {}): Promise<Omit<TransferFigures, 'plan'>> {
  const log = new RequestLog();
  const client = new CdnClient({ baseUrl, fetch: log.fetch(options.fetch) });
  const started = options.clock?.();
  const hits = await client.search(planId, query, subjectId === undefined ? {} : { subjectId });
  const elapsed = started === undefined || !options.clock ? undefined : options.clock() - started;
  const resolved = log.mark();
  await log.settled();
  const all = log.requests;
  const after = all.filter((f) => !f.url.endsWith('/manifest.json'));
  const sum = (list: readonly TimedRequest[]) => list.reduce((n, f) => n + f.bytes, 0);
  return {
    scope: subjectId === undefined ? 'plan' : { subjectId },
    query,
    requests: all.length,
    bytes: sum(all),
    searchRequests: after.length,
    searchBytes: sum(after),
    roundTrips: roundTripsOf(all),
    firstResultRoundTrips: roundTripsOf(all, resolved),
    hits: hits.length,
    vocabularyRequests: all.filter((f) => /\/search\/~v\d+~[0-9a-f]+\.json$/.test(f.url)).length,
    ...(elapsed === undefined ? {} : { ms: elapsed }),
  };
}

async function coldSearch(baseUrl: string, plan: QualityPlan, query: string, subjectId?: string): Promise<TransferFigures> {
  return { plan, ...(await measureColdSearch(baseUrl, QUALITY_PLANS[plan], query, subjectId)) };
}

/** Builds the catalog, runs every query through the client, and returns the figures. */
export async function evaluateSearchQuality(options: EvaluateOptions = {}): Promise<QualityReport> {
  const queries = options.queries ?? QUERIES;
  const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
  const lessons = qualityLessons();
  const resolved = queries.map((q) => ({ q, expected: resolveExpected(q, lessons) }));

  const dir = await mkdtemp(path.join(os.tmpdir(), 'memora-search-quality-'));
  try {
    const cacheDir = path.join(dir, 'content-cache');
    const outDir = path.join(dir, 'out');
    await writeCache(cacheDir, { replace: qualityCatalogDocs(), fsync: false });
    const summary = await build({ cacheDir, outDir, log: memoryLogger(), ...(options.routed ? { searchUnshardedMaxLessons: 0 } : {}) });
    const buildWarnings = summary.warnings.map((w) => JSON.stringify(w));

    const server = await startPreviewServer({ outDir, port: 0, viewer: { files: new Map() } });
    try {
      const clients = new Map<QualityPlan, CdnClient>();
      const clientFor = (plan: QualityPlan) => {
        let c = clients.get(plan);
        if (!c) clients.set(plan, (c = new CdnClient({ baseUrl: server.url })));
        return c;
      };
      const outcomes: QueryOutcome[] = [];
      for (const { q, expected } of resolved) {
        // Every hit, so that ranks beyond the window are known too.
        const client = clientFor(q.plan);
        const started = options.clock?.();
        const hits = await client.search(QUALITY_PLANS[q.plan], q.query, { limit: lessons.size });
        const elapsed = started === undefined || !options.clock ? undefined : options.clock() - started;
        const ids = hits.map((h) => h.lessonId);
        outcomes.push({
          plan: q.plan,
          query: q.query,
          category: q.category,
          expected,
          ...judge(expected, ids, limit),
          hitCount: hits.length,
          top: hits.slice(0, Math.max(5, expected.length)).map((h) => ({ lessonId: h.lessonId, lessonName: h.lessonName })),
          ...(elapsed === undefined ? {} : { ms: elapsed }),
        });
      }

      const transfer: TransferFigures[] = [];
      for (const plan of Object.keys(QUALITY_PLANS) as QualityPlan[]) {
        const first = resolved.find((r) => r.q.plan === plan);
        if (!first) continue;
        transfer.push(await coldSearch(server.url, plan, first.q.query));
        const subjects = [...new Set([...lessons.values()].filter((l) => l.plan === plan).map((l) => l.subjectId))];
        for (const subjectId of subjects) transfer.push(await coldSearch(server.url, plan, first.q.query, subjectId));
      }

      return { searchVersion: SEARCH_VERSION, limit, lessonCount: lessons.size, buildWarnings, outcomes, ...tally(outcomes), transfer };
    } finally {
      await server.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The failed queries, worst first: those that missed the most expected lessons, then those whose
 * expected lessons ranked lowest.
 */
export function worstFailures(report: QualityReport, count: number): QueryOutcome[] {
  const missed = (o: QueryOutcome) => Object.values(o.ranks).filter((r) => r === null || r > Math.max(report.limit, o.expected.length)).length / o.expected.length;
  const worstRank = (o: QueryOutcome) => Math.max(...Object.values(o.ranks).map((r) => r ?? Number.MAX_SAFE_INTEGER));
  return report.outcomes
    .filter((o) => !o.found || !o.rankedFirst)
    .sort((a, b) => missed(b) - missed(a) || worstRank(b) - worstRank(a) || (a.query < b.query ? -1 : a.query > b.query ? 1 : 0))
    .slice(0, count);
}

/** Text made safe for a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, '\\`').replace(/[\r\n]+/g, ' ');
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The report as markdown: totals, totals per category, transfer figures and the worst failures. */
export function formatQualityReport(report: QualityReport, options: { failures?: number } = {}): string {
  const lines: string[] = [];
  lines.push(`Search version ${report.searchVersion}, ${report.outcomes.length} queries on ${report.lessonCount} lessons; found: every expected lesson in the first ${report.limit} hits; ranked first: the expected lessons are the first hits.`);
  lines.push('');
  lines.push('| Category | Queries | Found (recall) | Ranked first |');
  lines.push('| --- | ---: | ---: | ---: |');
  const row = (name: string, t: Totals) => `| ${name} | ${t.queries} | ${t.found} (${percent(t.recall)}) | ${t.rankedFirst} (${percent(t.ranking)}) |`;
  for (const c of CATEGORIES) lines.push(row(c, report.byCategory[c]));
  for (const p of Object.keys(report.byPlan) as QualityPlan[]) lines.push(row(`plan ${p}`, report.byPlan[p]));
  lines.push(row('**all**', report.overall));
  lines.push('');
  lines.push('| Plan | Search | Requests | Bytes | After the manifest | Round trips after the manifest |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const t of report.transfer) {
    const scope = t.scope === 'plan' ? 'plan-wide' : `subject ${cell(t.scope.subjectId)}`;
    lines.push(`| ${t.plan} | ${scope} | ${t.requests} | ${t.bytes} | ${t.searchRequests} requests, ${t.searchBytes} bytes | ${t.roundTrips} |`);
  }
  const failures = worstFailures(report, options.failures ?? 15);
  if (failures.length > 0) {
    lines.push('');
    lines.push('| Query | Category | Expected (rank) | First hits |');
    lines.push('| --- | --- | --- | --- |');
    for (const o of failures) {
      const expected = o.expected.map((id) => `${id} (${o.ranks[id] ?? '-'})`).join(', ');
      const top = o.top.map((h) => `${h.lessonId} ${h.lessonName}`).join('; ');
      lines.push(`| ${cell(o.query)} | ${o.category} | ${cell(expected)} | ${cell(top) || 'no hits'} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
