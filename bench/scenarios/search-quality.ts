/**
 * Scenario 7, search quality: the suite of test/search-quality (a hand-written Arabic and English
 * catalog and the queries students type) run through memora-cdn's client by
 * `evaluateSearchQuality()`, and the same documents and queries run through Lucene's
 * ArabicAnalyzer (Arabic plan) and EnglishAnalyzer (English plan) by bench/lucene/SearchQuality.java
 * when Java and Debian's Lucene 4.10 are installed. Both engines' hits are judged by the same
 * `judge` and `tally`: found (every expected lesson in the first 20 hits) and ranked first (the
 * expected lessons are the first hits). Also the bytes and requests of plan-wide and subject
 * searches, and memora-cdn's query times.
 */
import { QUALITY_GOALS, evaluateSearchQuality, judge, resolveExpected, tally, type QualityReport, type QueryOutcome, type Totals } from '../../test/search-quality/evaluate.ts';
import { QUALITY_PLANS, qualityLessons, type QualityPlan } from '../../test/search-quality/catalog.ts';
import { CATEGORIES, QUERIES } from '../../test/search-quality/queries.ts';
import { bytes, int, ms, table } from '../lib/format.ts';
import { findLucene, type Lucene } from '../lib/lucene.ts';
import { summarize } from '../lib/stats.ts';
import type { SectionResult, TargetRow } from '../lib/types.ts';

/** The issue's goals on the suite: shares of queries, and ahead of Lucene on both. */
/** How many queries Lucene gets right and memora-cdn does not the section lists. */
const LUCENE_ONLY_ROWS = 15;

/** Lucene's outcomes on the suite, judged like memora-cdn's. */
export async function luceneOutcomes(lucene: Lucene, limit: number): Promise<QueryOutcome[]> {
  const lessons = qualityLessons();
  const docs = [...lessons.values()].map((l) => ({ plan: l.plan, id: l.id, lessonName: l.title, topicName: l.topicName, unitName: l.unitName, subjectName: l.subjectName }));
  const queries = QUERIES.map((q, i) => ({ id: `q${i}`, plan: q.plan, text: q.query }));
  const hits = await lucene.search(docs, queries, lessons.size);
  return QUERIES.map((q, i) => {
    const ids = hits.get(`q${i}`) ?? [];
    const expected = resolveExpected(q, lessons);
    return {
      plan: q.plan,
      query: q.query,
      category: q.category,
      expected,
      ...judge(expected, ids, limit),
      hitCount: ids.length,
      top: ids.slice(0, Math.max(5, expected.length)).map((id) => ({ lessonId: id, lessonName: lessons.get(id)?.title ?? id })),
    };
  });
}

/** `jarDir`: where Lucene's jars are looked for (default Debian's folder). */
export async function runSearchQualityScenario(log: (m: string) => void, jarDir?: string): Promise<SectionResult> {
  const ours = await evaluateSearchQuality({ clock: () => performance.now() });
  const found = await findLucene(jarDir);
  let lucene: { version: string; outcomes: QueryOutcome[] } | null = null;
  if (found.lucene) lucene = { version: found.lucene.version, outcomes: await luceneOutcomes(found.lucene, ours.limit) };
  else log(`Lucene side skipped: ${found.reason ?? ''}`);
  return render(ours, lucene, found.reason);
}

/** Text made safe for a markdown table cell (format.ts's `table` escapes the pipes). */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/[\r\n]+/g, ' ');
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const share = (t: Totals, key: 'found' | 'rankedFirst') => `${t[key]} of ${t.queries} (${percent(key === 'found' ? t.recall : t.ranking)})`;

function render(ours: QualityReport, lucene: { version: string; outcomes: QueryOutcome[] } | null, reason: string | null): SectionResult {
  const theirs = lucene ? tally(lucene.outcomes) : null;
  const out: string[] = [];
  out.push(
    `${int(ours.outcomes.length)} queries written as students type them (test/search-quality/queries.ts) on a hand-written catalog of ${int(ours.lessonCount)} lessons ` +
      `in an Arabic and an English plan (test/search-quality/catalog.ts), built by memora-cdn's build and searched through its client (search version ${ours.searchVersion}). ` +
      `**Found**: every expected lesson is among the first ${ours.limit} hits (recall); **ranked first**: the first hits are exactly the expected lessons.`,
    '',
    lucene
      ? `Lucene: ${lucene.version}, bench/lucene/SearchQuality.java on the same lessons (lesson, topic, unit and subject names as fields boosted 3, 1.5, 1 and 0.5) ` +
          `and queries; ArabicAnalyzer for the Arabic plan, EnglishAnalyzer for the English one; every query word required (in any field), or any word when that finds nothing.`
      : `Lucene side skipped: ${reason ?? 'not installed'} (install a JDK and Debian's liblucene4.10-java to compare).`,
    '',
  );
  const row = (name: string, a: Totals, b: Totals | undefined) => [name, int(a.queries), share(a, 'found'), b ? share(b, 'found') : 'n/a', share(a, 'rankedFirst'), b ? share(b, 'rankedFirst') : 'n/a'];
  const rows = [
    row('**all**', ours.overall, theirs?.overall),
    ...(Object.keys(ours.byPlan) as QualityPlan[]).map((p) => row(`plan ${p} (${QUALITY_PLANS[p]})`, ours.byPlan[p], theirs?.byPlan[p])),
    ...CATEGORIES.map((c) => row(c, ours.byCategory[c], theirs?.byCategory[c])),
  ];
  out.push(table(['queries', 'count', 'found: memora-cdn', 'found: Lucene', 'ranked first: memora-cdn', 'ranked first: Lucene'], rows), '');

  // Query times: the first search of each plan fetches its files; the later ones run on the loaded index.
  const firstOfPlan = new Set<QueryOutcome>();
  for (const p of Object.keys(QUALITY_PLANS) as QualityPlan[]) {
    const first = ours.outcomes.find((o) => o.plan === p);
    if (first) firstOfPlan.add(first);
  }
  const times = (list: QueryOutcome[]) => {
    const s = summarize(list.flatMap((o) => (o.ms === undefined ? [] : [o.ms])));
    return s.n === 0 ? 'n/a' : `${ms(s.median)} / ${ms(s.p95)} / ${ms(s.max)} (${int(s.n)} queries)`;
  };
  const warm = ours.outcomes.filter((o) => !firstOfPlan.has(o));
  out.push(
    table(
      ['memora-cdn query time (client.search, loopback server), median / p95 / max', ''],
      [
        ['first search of a plan (fetches its search files)', times([...firstOfPlan])],
        ...(['ar', 'en'] as const).map((p) => [`later searches, plan ${p}`, times(warm.filter((o) => o.plan === p))]),
      ],
    ),
    '',
  );
  out.push(
    table(
      ['cold search (a new client)', 'query', 'requests', 'bytes', 'after the manifest', 'round trips after the manifest'],
      ours.transfer.map((t) => [
        `${t.plan}: ${t.scope === 'plan' ? 'plan-wide' : `subject ${cell(t.scope.subjectId)}`}`,
        cell(t.query),
        int(t.requests),
        bytes(t.bytes),
        `${int(t.searchRequests)} request${t.searchRequests === 1 ? '' : 's'}, ${bytes(t.searchBytes)}`,
        int(t.roundTrips),
      ]),
    ),
    '',
  );

  if (lucene) {
    const oursByQuery = ours.outcomes;
    const luceneOnly = lucene.outcomes
      .map((l, i) => ({ l, o: oursByQuery[i] as QueryOutcome }))
      .filter(({ l, o }) => (l.found && !o.found) || (l.rankedFirst && !o.rankedFirst));
    // Every category in turn, so that the rows show each kind of miss; within a category, the
    // queries memora-cdn does not find first, then those it only ranks worse.
    const missedFirst = (x: { l: QueryOutcome; o: QueryOutcome }) => Number(!(x.l.found && !x.o.found));
    const queues = CATEGORIES.map((c) => luceneOnly.filter((x) => x.o.category === c).sort((a, b) => missedFirst(a) - missedFirst(b)));
    const shown: typeof luceneOnly = [];
    while (shown.length < Math.min(LUCENE_ONLY_ROWS, luceneOnly.length)) for (const q of queues) if (q.length > 0 && shown.length < LUCENE_ONLY_ROWS) shown.push(q.shift() as (typeof luceneOnly)[number]);
    const ourOnly = lucene.outcomes.filter((l, i) => {
      const o = oursByQuery[i] as QueryOutcome;
      return (o.found && !l.found) || (o.rankedFirst && !l.rankedFirst);
    }).length;
    out.push(
      `Queries Lucene gets right and memora-cdn does not: ${int(luceneOnly.length)} (the other way round: ${int(ourOnly)}). ${int(shown.length)} of them, each category in turn:`,
      '',
    );
    const ranks = (o: QueryOutcome) => {
      const listed = o.expected.slice(0, 4).map((id) => `${id} (${o.ranks[id] ?? '-'})`).join(', ');
      if (o.expected.length <= 4) return listed;
      const within = o.expected.filter((id) => o.ranks[id] !== null && (o.ranks[id] as number) <= Math.max(ours.limit, o.expected.length)).length;
      return `${within} of ${o.expected.length} found: ${listed}, ...`;
    };
    const top = (o: QueryOutcome) => o.top.slice(0, 3).map((h) => h.lessonId).join(', ') || 'no hits';
    out.push(
      table(
        ['query', 'plan', 'category', 'expected (rank): memora-cdn', 'first hits: memora-cdn', 'expected (rank): Lucene'],
        shown.map(({ l, o }) => [cell(o.query), o.plan, o.category, cell(ranks(o)), cell(top(o)), cell(ranks(l))]),
      ),
      '',
    );
  }
  if (ours.buildWarnings.length > 0) out.push(`The build warned ${int(ours.buildWarnings.length)} time(s) on the catalog: ${cell(ours.buildWarnings.slice(0, 3).join('; '))}`, '');

  const status = (ok: boolean) => (ok ? 'met' : 'missed') as TargetRow['status'];
  const ahead = (key: 'recall' | 'ranking'): TargetRow => {
    const name = key === 'recall' ? 'found' : 'ranked first';
    if (!theirs) return { target: `Search quality: ${name} ahead of Lucene's ArabicAnalyzer`, measured: `${percent(ours.overall[key])} vs n/a`, status: 'not measured', note: `Lucene side skipped: ${reason ?? ''}` };
    return { target: `Search quality: ${name} ahead of Lucene's ArabicAnalyzer`, measured: `${percent(ours.overall[key])} vs ${percent(theirs.overall[key])}`, status: status(ours.overall[key] > theirs.overall[key]) };
  };
  const targets: TargetRow[] = [
    { target: `Search quality: every expected lesson found for at least ${percent(QUALITY_GOALS.recall)} of queries`, measured: share(ours.overall, 'found'), status: status(ours.overall.recall >= QUALITY_GOALS.recall) },
    { target: `Search quality: expected lessons ranked first for at least ${percent(QUALITY_GOALS.ranking)} of queries`, measured: share(ours.overall, 'rankedFirst'), status: status(ours.overall.ranking >= QUALITY_GOALS.ranking) },
    ahead('recall'),
    ahead('ranking'),
  ];
  return { scenario: 'search-quality', body: out.join('\n').trimEnd(), targets };
}
