/**
 * Scenario 3, incremental deploy: after a full deploy of one catalog, small edits to the content
 * cache, each deployed by memora-cdn, synced by `rclone sync --checksum` into its own bucket
 * (kept equal to out/ all along), and, for the scenario's edit, re-uploaded naively: every file
 * of the plans it affects (`deploy --plan P... --force`). Two changes per run:
 *
 *   - "one lesson title": the title of one lesson (the target's case);
 *   - "lesson + subject + override": one lesson title, one subject title and one plan override's
 *     value at once (the issue's scenario).
 *
 * Each run edits the same documents again (a new suffix), so every run makes the same change.
 */
import { encodeSegment, keys as cdnKeys } from '../../packages/client/src/layout.ts';
import { readCache, writeCache, type CacheDocs } from '../../src/content/cache.ts';
import { DOCTYPES } from '../../src/content/doctypes.ts';
import type { RawChildRow, RawDoc } from '../../src/content/raw.ts';
import { deploy, type DeployOptions } from '../../src/deploy/deploy.ts';
import type { DeployReport } from '../../src/deploy/report.ts';
import { CloudflarePurger, DEFAULT_PURGE_BATCH_SIZE, DEFAULT_PURGE_BURST, DEFAULT_PURGE_INTERVAL_MS } from '../../src/deploy/purge/cloudflare.ts';
import { startCloudflareEmulator } from '../../src/emulator/cloudflare.ts';
import { memoryLogger } from '../../src/log.ts';
import { bytes, int, ms, ratio, spread, table } from '../lib/format.ts';
import type { Rclone } from '../lib/rclone.ts';
import { startBucket, tally, type RequestTally } from '../lib/s3.ts';
import { summarize, type Summary } from '../lib/stats.ts';
import type { BenchParams, SectionResult, TargetRow } from '../lib/types.ts';
import { changedFiles, hashTree, type TreeFile, type Workspace } from '../lib/workspace.ts';
import { DEPLOY_CONCURRENCY } from './deploy.ts';

const BASE_URL = 'https://cdn.memora.bench';
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const TOKEN = 'cf-bench-token';
export const INCREMENTAL_TARGETS = { rcloneSpeedup: 10, purgeRequests: 1 } as const;

type Variant = 'lesson' | 'three';
const VARIANT_LABEL: Record<Variant, string> = { lesson: 'one lesson title', three: 'lesson + subject + override' };

interface SideRun {
  wallMs: number;
  /** Wall time without the build step (memora-cdn), = wallMs for rclone. */
  uploadMs: number;
  requests: RequestTally;
  bytes: number;
  purgeRequests: number;
  purgedUrls: number;
  /** memora-cdn only: the deploy's own step times (report.durations_ms), and the rest (state, report). */
  steps?: { build: number; diff: number; sync: number; purge: number; rest: number };
}

interface ChangeRun {
  variant: Variant;
  changed: { added: number; changed: number; removed: number };
  changedPlans: number;
  ours: SideRun;
  rclone: SideRun | null;
  naive: SideRun | null;
}

/** The documents the edits touch, chosen once from the catalog and the built tree. */
interface EditTargets {
  lesson: string;
  subject: string;
  subjectPlans: number;
  plan: string;
  override: string;
}

export async function runIncrementalScenario(params: BenchParams, ws: Workspace, rclone: Rclone | null, rcloneSkipped: string | null, log: (m: string) => void): Promise<SectionResult> {
  const lessons = params.deployLessons;
  const cacheDir = await ws.catalogCopy(lessons, 'incremental-cache');
  const outDir = await ws.fresh('incremental-out');
  const naiveOut = await ws.fresh('incremental-naive-out');
  const cf = await startCloudflareEmulator({ token: TOKEN, zoneId: ZONE_ID });
  const ours = await startBucket('ours-incremental');
  const theirs = rclone ? await startBucket('rclone-incremental') : null;
  try {
    const storage = ours.storage();
    const run = async (extra: Partial<DeployOptions>): Promise<{ report: DeployReport; wallMs: number }> => {
      const purger = new CloudflarePurger({ apiUrl: cf.apiUrl, zoneId: ZONE_ID, token: TOKEN, log: memoryLogger() });
      try {
        const started = performance.now();
        const report = await deploy({
          cacheDir, outDir, plans: [], force: false, dryRun: false, client: null, storage, purger, baseUrl: BASE_URL,
          concurrency: DEPLOY_CONCURRENCY, trigger: 'bench', log: memoryLogger(), ...extra,
        });
        const wallMs = performance.now() - started;
        if (report.status !== 'success') throw new Error(`deploy ${report.status}: ${JSON.stringify(report.failures.slice(0, 3))}`);
        return { report, wallMs };
      } finally {
        await purger.close();
      }
    };

    // Set-up, not measured: the first full deploy and the first rclone sync.
    await run({});
    if (rclone && theirs) await rclone.sync(outDir, theirs.endpoint, theirs.bucket);
    let tree = await hashTree(outDir);
    const docs = (await readCache(cacheDir)).docs;
    const targets = chooseTargets(docs, tree);
    const originals = snapshot(docs, targets);

    const runs: ChangeRun[] = [];
    for (let r = 0; r < params.runs; r++) {
      for (const variant of ['lesson', 'three'] as const) {
        await applyEdit(cacheDir, docs, targets, originals, variant, `rev ${r + 1}${variant === 'lesson' ? 'a' : 'b'}`);
        const before = tree;
        await ours.resetRequests();
        const mine = await run({});
        tree = await hashTree(outDir);
        const diff = changedFiles(before, tree);
        const oursSide = side(mine, tally(await ours.requests()));

        let rcloneSide: SideRun | null = null;
        if (rclone && theirs) {
          await theirs.resetRequests();
          const wallMs = await rclone.sync(outDir, theirs.endpoint, theirs.bucket);
          const requests = tally(await theirs.requests());
          rcloneSide = { wallMs, uploadMs: wallMs, requests, bytes: sizeOf(tree, requests.treePutKeys), purgeRequests: 0, purgedUrls: 0 };
        }

        let naiveSide: SideRun | null = null;
        if (variant === 'three' && mine.report.changed_plans.length > 0) {
          await ours.resetRequests();
          const naive = await run({ outDir: naiveOut, plans: mine.report.changed_plans, force: true });
          naiveSide = side(naive, tally(await ours.requests()));
        }
        runs.push({
          variant,
          changed: { added: diff.added.length, changed: diff.changed.length, removed: diff.removed.length },
          changedPlans: mine.report.changed_plans.length,
          ours: oursSide,
          rclone: rcloneSide,
          naive: naiveSide,
        });
        log(
          `incremental run ${r + 1}/${params.runs} (${VARIANT_LABEL[variant]}): ${diff.changed.length + diff.added.length} files changed; ` +
            `ours ${ms(oursSide.wallMs)} (without build ${ms(oursSide.uploadMs)}), rclone ${rcloneSide ? ms(rcloneSide.wallMs) : 'skipped'}` +
            `${naiveSide ? `, naive ${ms(naiveSide.wallMs)}` : ''}`,
        );
      }
    }
    return { scenario: 'incremental', ...render(runs, targets, params, rcloneSkipped, tree.size) };
  } finally {
    await Promise.all([ours.close(), theirs?.close(), cf.close()]);
  }
}

function side(run: { report: DeployReport; wallMs: number }, requests: RequestTally): SideRun {
  const { report, wallMs } = run;
  return {
    wallMs,
    uploadMs: wallMs - report.durations_ms.build - report.durations_ms.pull,
    requests,
    bytes: report.bytes_uploaded,
    purgeRequests: report.purge.requests,
    purgedUrls: report.purge.urls,
    steps: {
      ...pickSteps(report.durations_ms),
      rest: wallMs - report.durations_ms.pull - report.durations_ms.build - report.durations_ms.diff - report.durations_ms.sync - report.durations_ms.purge,
    },
  };
}

function pickSteps(d: DeployReport['durations_ms']): { build: number; diff: number; sync: number; purge: number } {
  return { build: d.build, diff: d.diff, sync: d.sync, purge: d.purge };
}

function sizeOf(tree: ReadonlyMap<string, TreeFile>, keys: readonly string[]): number {
  return keys.reduce((n, k) => n + (tree.get(k)?.size ?? 0), 0);
}

function byName(list: readonly RawDoc[]): Map<string, RawDoc> {
  return new Map(list.map((d) => [d.name, d]));
}

/**
 * The lesson in the middle of the published lessons (by name); a subject of another lesson's
 * tree used by the median number of plans; the first plan (by name) with a Rename override,
 * preferring one on a unit or a subject.
 */
function chooseTargets(docs: CacheDocs, tree: ReadonlyMap<string, TreeFile>): EditTargets {
  const lessons = docs[DOCTYPES.lesson].filter((l) => tree.has(cdnKeys.lesson(l.name))).map((l) => l.name).sort();
  const lesson = lessons[Math.floor(lessons.length / 2)];
  if (!lesson) throw new Error('incremental: the built tree has no lesson');
  const topics = byName(docs[DOCTYPES.topic]);
  const units = byName(docs[DOCTYPES.unit]);
  const tracks = byName(docs[DOCTYPES.track]);
  const lessonDoc = docs[DOCTYPES.lesson].find((l) => l.name === lesson) as RawDoc;
  const topic = topics.get(String(lessonDoc.parent_topic));
  const unit = units.get(String(topic?.parent_unit));
  const lessonSubject = String(tracks.get(String(unit?.parent_track))?.parent_subject);

  const plansOf = new Map<string, number>();
  for (const key of tree.keys()) {
    const m = /^plans\/[^/]+\/subjects\/([^/]+)\.json$/.exec(key);
    if (m?.[1]) plansOf.set(m[1], (plansOf.get(m[1]) ?? 0) + 1);
  }
  const subjects = docs[DOCTYPES.subject]
    .filter((s) => s.name !== lessonSubject && plansOf.has(encodeSegment(s.name)))
    .map((s) => ({ name: s.name, plans: plansOf.get(encodeSegment(s.name)) ?? 0 }))
    .sort((a, b) => a.plans - b.plans || (a.name < b.name ? -1 : 1));
  const subject = subjects[Math.floor(subjects.length / 2)] ?? { name: lessonSubject, plans: plansOf.get(encodeSegment(lessonSubject)) ?? 0 };

  const plans = docs[DOCTYPES.plan].filter((p) => tree.has(cdnKeys.manifest(p.name))).sort((a, b) => (a.name < b.name ? -1 : 1));
  const overridesOf = (p: RawDoc) => (p.overrides as RawChildRow[] | undefined) ?? [];
  const pick =
    plans.flatMap((p) => overridesOf(p).filter((o) => o.action === 'Rename' && (o.target_doctype === DOCTYPES.unit || o.target_doctype === DOCTYPES.subject)).map((o) => ({ p, o })))[0] ??
    plans.flatMap((p) => overridesOf(p).filter((o) => o.action === 'Rename').map((o) => ({ p, o })))[0] ??
    plans.flatMap((p) => overridesOf(p).map((o) => ({ p, o })))[0];
  if (!pick) throw new Error('incremental: no plan has an override');
  return { lesson, subject: subject.name, subjectPlans: subject.plans, plan: pick.p.name, override: pick.o.name };
}

interface Originals {
  lessonTitle: string;
  subjectTitle: string;
  override: { action: unknown; value: string };
}

function findDoc(docs: CacheDocs, doctype: (typeof DOCTYPES)[keyof typeof DOCTYPES], name: string): RawDoc {
  const doc = docs[doctype].find((d) => d.name === name);
  if (!doc) throw new Error(`incremental: ${doctype} ${name} is gone`);
  return doc;
}

function findOverride(docs: CacheDocs, t: EditTargets): RawChildRow {
  const row = ((findDoc(docs, DOCTYPES.plan, t.plan).overrides as RawChildRow[] | undefined) ?? []).find((o) => o.name === t.override);
  if (!row) throw new Error(`incremental: override ${t.override} is gone`);
  return row;
}

function snapshot(docs: CacheDocs, t: EditTargets): Originals {
  const o = findOverride(docs, t);
  return {
    lessonTitle: String(findDoc(docs, DOCTYPES.lesson, t.lesson).title),
    subjectTitle: String(findDoc(docs, DOCTYPES.subject, t.subject).title),
    override: { action: o.action, value: typeof o.override_value === 'string' && o.override_value !== '' ? o.override_value : 'Renamed' },
  };
}

async function applyEdit(cacheDir: string, docs: CacheDocs, t: EditTargets, o: Originals, variant: Variant, rev: string): Promise<void> {
  findDoc(docs, DOCTYPES.lesson, t.lesson).title = `${o.lessonTitle} (${rev})`;
  const replace: Parameters<typeof writeCache>[1]['replace'] = { [DOCTYPES.lesson]: docs[DOCTYPES.lesson] };
  if (variant === 'three') {
    findDoc(docs, DOCTYPES.subject, t.subject).title = `${o.subjectTitle} (${rev})`;
    const row = findOverride(docs, t);
    row.action = 'Rename';
    row.override_value = `${o.override.value} (${rev})`;
    replace[DOCTYPES.subject] = docs[DOCTYPES.subject];
    replace[DOCTYPES.plan] = docs[DOCTYPES.plan];
  }
  await writeCache(cacheDir, { replace, fsync: false });
}

function render(runs: ChangeRun[], t: EditTargets, params: BenchParams, rcloneSkipped: string | null, treeFiles: number): { body: string; targets: TargetRow[] } {
  const out: string[] = [
    `The ${int(params.deployLessons)}-lesson catalog (${int(treeFiles)} files), fully deployed first (not measured), then ${params.runs} run(s) of two changes each. ` +
      `Edited: lesson \`${t.lesson}\` (title), subject \`${t.subject}\` (title; used by ${t.subjectPlans} plans), and override \`${t.override}\` of plan \`${t.plan}\` ` +
      `(a Rename; its value). memora-cdn: \`deploy()\` with no pull, purging through the Cloudflare API emulator with the default batches ` +
      `(${DEFAULT_PURGE_BATCH_SIZE} URLs) and pacing (${DEFAULT_PURGE_BURST} requests at once, then one every ${DEFAULT_PURGE_INTERVAL_MS} ms). rclone: \`rclone sync --checksum\` of the same out/ into its own bucket, ` +
      `which it keeps equal to out/ all along (rclone purges nothing). Naive: \`deploy --plan P... --force\` of the plans the change affected ` +
      `(built into a separate folder), i.e. every file of those plans PUT and purged again. "Files changed" is counted independently, by hashing out/ before and after. ` +
      `"Without build": the deploy's wall time minus its build step. Bytes are object bodies. PUT counts include the deploy's \`_deploy/\` state and report writes; ` +
      `"CDN PUTs" do not.`,
  ];
  const targets: TargetRow[] = [];
  for (const variant of ['lesson', 'three'] as const) {
    const rs = runs.filter((r) => r.variant === variant);
    if (rs.length === 0) continue;
    const first = rs[0] as ChangeRun;
    const S = (f: (r: ChangeRun) => number): Summary => summarize(rs.map(f));
    const row = (name: string, get: (r: ChangeRun) => SideRun | null): string[] | null => {
      const have = rs.filter((r) => get(r) !== null);
      if (have.length === 0) return null;
      const g = (r: ChangeRun) => get(r) as SideRun;
      const one = g(have[0] as ChangeRun);
      const s = (f: (x: SideRun) => number) => summarize(have.map((r) => f(g(r))));
      return [
        name,
        spread(s((x) => x.wallMs), ms),
        spread(s((x) => x.uploadMs), ms),
        int(one.requests.treePuts),
        int(one.requests.PUT),
        int(one.requests.DELETE),
        int(one.requests.GET),
        int(one.requests.HEAD),
        int(one.requests.LIST),
        int(one.requests.total),
        bytes(one.bytes),
        int(one.purgeRequests),
        int(one.purgedUrls),
      ];
    };
    const rows = [row('memora-cdn deploy', (r) => r.ours), row('rclone sync --checksum', (r) => r.rclone), row('naive: deploy --plan P... --force', (r) => r.naive)].filter((x): x is string[] => x !== null);
    out.push(
      '',
      `### ${variant === 'lesson' ? '3a' : '3b'}. ${VARIANT_LABEL[variant]}`,
      '',
      `Files whose bytes changed: ${int(first.changed.changed)} changed, ${int(first.changed.added)} added, ${int(first.changed.removed)} removed; plans affected: ${first.changedPlans}. ` +
        `Request counts from the first run (they do not vary between runs).`,
      '',
      table(['side', 'wall time', 'without build', 'CDN PUTs', 'PUT', 'DELETE', 'GET', 'HEAD', 'LIST', 'all requests', 'bytes sent', 'purge requests', 'URLs purged'], rows),
      '',
      'Where the memora-cdn deploy\'s time goes (its report\'s `durations_ms`; "rest": reading the deploy state, writing the report and the state):',
      '',
      table(
        ['build', 'diff', 'sync (uploads)', 'purge', 'rest'],
        [(['build', 'diff', 'sync', 'purge', 'rest'] as const).map((k) => spread(summarize(rs.map((r) => r.ours.steps?.[k] ?? 0)), ms))],
      ),
    );
    const ratioRows: string[][] = [];
    const withR = rs.filter((r) => r.rclone !== null);
    const rc = (r: ChangeRun) => r.rclone as SideRun;
    if (withR.length > 0) {
      ratioRows.push(['rclone time / memora-cdn deploy time (whole command)', spread(summarize(withR.map((r) => rc(r).wallMs / r.ours.wallMs)), ratio)]);
      ratioRows.push(['rclone time / memora-cdn deploy time without build', spread(summarize(withR.map((r) => rc(r).wallMs / r.ours.uploadMs)), ratio)]);
      ratioRows.push(['rclone requests / memora-cdn requests', spread(summarize(withR.map((r) => rc(r).requests.total / r.ours.requests.total)), ratio)]);
      ratioRows.push(['rclone CDN PUTs / memora-cdn CDN PUTs', spread(summarize(withR.map((r) => rc(r).requests.treePuts / Math.max(1, r.ours.requests.treePuts))), ratio)]);
    }
    const withN = rs.filter((r) => r.naive !== null);
    const nv = (r: ChangeRun) => r.naive as SideRun;
    if (withN.length > 0) {
      ratioRows.push(['naive time / memora-cdn time (whole commands)', spread(summarize(withN.map((r) => nv(r).wallMs / r.ours.wallMs)), ratio)]);
      ratioRows.push(['naive time / memora-cdn time (without build)', spread(summarize(withN.map((r) => nv(r).uploadMs / r.ours.uploadMs)), ratio)]);
      ratioRows.push(['naive CDN PUTs / memora-cdn CDN PUTs', spread(summarize(withN.map((r) => nv(r).requests.treePuts / Math.max(1, r.ours.requests.treePuts))), ratio)]);
      ratioRows.push(['naive bytes / memora-cdn bytes', spread(summarize(withN.map((r) => nv(r).bytes / Math.max(1, r.ours.bytes))), ratio)]);
      ratioRows.push(['naive purge requests / memora-cdn purge requests', spread(summarize(withN.map((r) => nv(r).purgeRequests / Math.max(1, r.ours.purgeRequests))), ratio)]);
    }
    if (ratioRows.length > 0) out.push('', table(['ratio (same run)', 'median (min-max)'], ratioRows));
    if (withR.length === 0) out.push('', `rclone side skipped: ${rcloneSkipped ?? 'disabled with --no-rclone'}.`);

    if (variant === 'lesson') {
      // Each changed file is stored twice (layout.ts): its immutable version, then its alias.
      const worstExtra = Math.max(...rs.map((r) => r.ours.requests.treePuts - 2 * (r.changed.changed + r.changed.added)));
      const bytesChanged = first.changed.changed + first.changed.added;
      targets.push({
        target: 'Incremental deploy of one lesson edit: no more PUTs than two per file whose bytes changed (its version and its alias)',
        measured: `${int(first.ours.requests.treePuts)} CDN PUTs for ${int(bytesChanged)} changed files (+${int(first.ours.requests.PUT - first.ours.requests.treePuts)} \`_deploy/\` state, report and tree writes)`,
        status: worstExtra <= 0 ? 'met' : 'missed',
      });
      const purges = Math.max(...rs.map((r) => r.ours.purgeRequests));
      targets.push({
        target: 'Incremental deploy of one lesson edit: at most one purge request',
        measured: `${int(purges)} purge request(s) for ${int(first.ours.purgedUrls)} URLs`,
        status: purges <= INCREMENTAL_TARGETS.purgeRequests ? 'met' : 'missed',
        note:
          `at the default ${DEFAULT_PURGE_BATCH_SIZE} URLs per request (what Cloudflare accepts by URL on Free, Pro and Business zones); ` +
          `${int(Math.ceil(first.ours.purgedUrls / 100))} with CLOUDFLARE_PURGE_BATCH_SIZE=100, ${int(Math.ceil(first.ours.purgedUrls / 500))} at Enterprise's 500`,
      });
      const lists = Math.max(...rs.map((r) => r.ours.requests.LIST));
      targets.push({ target: 'Incremental deploy of one lesson edit: no LIST', measured: `${int(lists)} LIST`, status: lists === 0 ? 'met' : 'missed' });
      if (withR.length > 0) {
        const upload = summarize(withR.map((r) => rc(r).wallMs / r.ours.uploadMs)).median;
        const whole = summarize(withR.map((r) => rc(r).wallMs / r.ours.wallMs)).median;
        targets.push({
          target: 'Incremental deploy of one lesson edit: at least 10 times faster than rclone',
          measured: `without its build: ${ratio(upload)} faster; whole deploy command: ${ratio(whole)}`,
          status: upload >= INCREMENTAL_TARGETS.rcloneSpeedup ? 'met' : 'missed',
          note: 'judged like for like (both start from the built out/); a ratio below 1x means slower',
        });
      } else {
        targets.push({ target: 'Incremental deploy of one lesson edit: at least 10 times faster than rclone', measured: `deploy ${spread(S((r) => r.ours.wallMs), ms)}`, status: 'not measured', note: `rclone side skipped: ${rcloneSkipped ?? 'disabled'}` });
      }
    }
  }
  return { body: out.join('\n'), targets };
}

