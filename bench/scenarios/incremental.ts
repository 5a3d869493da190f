/**
 * Scenario 3, incremental deploy: at each catalog size (params.incrementalLessons), a catalog is
 * fully deployed first (not measured), then small edits to the content cache are each deployed
 * by memora-cdn's `deploy --no-pull` command, run as a real process (bench/lib/cli.ts), and,
 * side by side in the same run:
 *
 *   - `rclone sync --checksum` of the same out/ into its own bucket (kept equal to out/ all along);
 *   - a full build (`build`, a real process, rendering every file) of the same cache into a
 *     folder of its own: with the rclone sync, the pipeline without incremental builds;
 *   - for the three-document change, at the first size and in the first run only: the naive
 *     re-upload, `deploy --plan P... --force` of every plan the change affected.
 *
 * The changes, each run making the same change again (a new suffix):
 *
 *   - "one lesson title": the title of one lesson (the targets' case);
 *   - "one lesson stage": the title of that lesson's first stage (content only: no search file
 *     changes);
 *   - "lesson + subject + override": one lesson title, one subject title and one plan override's
 *     value at once (the issue's scenario), at the first size only.
 *
 * Every measured deploy must be incremental (its report's `build.mode`): the scenario fails
 * otherwise, since it would be measuring something else.
 */
import { cp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { encodeSegment, FILE_KINDS, keys as cdnKeys, parseKey, type FileKind } from '../../packages/client/src/layout.ts';
import { SNAPSHOT_FILE } from '../../src/build/output.ts';
import { signingWindow } from '../../src/build/sign.ts';
import { readCache, writeCache, type CacheDocs } from '../../src/content/cache.ts';
import { DOCTYPES } from '../../src/content/doctypes.ts';
import type { RawChildRow, RawDoc } from '../../src/content/raw.ts';
import { DEFAULT_PURGE_BATCH_SIZE, DEFAULT_PURGE_BURST, DEFAULT_PURGE_INTERVAL_MS } from '../../src/deploy/purge/cloudflare.ts';
import type { DeployReport } from '../../src/deploy/report.ts';
import { startCloudflareEmulator, type CloudflareEmulator } from '../../src/emulator/cloudflare.ts';
import { prepareCli, type Cli } from '../lib/cli.ts';
import { bytes, int, ms, ratio, spread, table } from '../lib/format.ts';
import type { Rclone } from '../lib/rclone.ts';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startBucket, tally, type BenchBucket, type RequestTally } from '../lib/s3.ts';
import { summarize, type Summary } from '../lib/stats.ts';
import type { BenchParams, SectionResult, TargetRow } from '../lib/types.ts';
import { changedFiles, hashTree, type TreeFile, type Workspace } from '../lib/workspace.ts';
import { settle } from './build.ts';
import { DEPLOY_CONCURRENCY } from './deploy.ts';

const BASE_URL = 'https://cdn.memora.bench';
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const TOKEN = 'cf-bench-token';
export const INCREMENTAL_TARGETS = { rcloneSpeedup: 3, fullBuildSpeedup: 10, purgeRequests: 1 } as const;
/**
 * Uploads in flight of the set-up deploys and rclone syncs (not measured): the most
 * CDN_UPLOAD_CONCURRENCY allows. Into an empty bucket of the local S3, a 3,000-lesson catalog
 * (31,732 objects) uploaded in 60 s with 64, 100 s with 16; rclone synced its tree in 41 s with
 * 64 transfers, 51 s with 16.
 */
const SETUP_CONCURRENCY = 64;
/**
 * The deploy signs the bucket videos of lesson stages (the generated catalogs have some), with
 * signatures that change once per window of half this many hours (src/build/sign.ts). 24 hours:
 * windows start at 00:00 and 12:00 UTC, so a run seldom crosses one (see `SigningClock`).
 */
const SIGNED_URL_EXPIRY_HOURS = 24;

type Variant = 'title' | 'stage' | 'three';
const VARIANTS: readonly Variant[] = ['title', 'stage', 'three'];
const VARIANT_LABEL: Record<Variant, string> = { title: 'one lesson title', stage: 'one lesson stage (content only)', three: 'lesson + subject + override' };

/** A `deploy` command run: its wall time, when it was spawned, its report and the requests the bucket saw. */
interface DeployRun {
  wallMs: number;
  spawnedAt: number;
  report: DeployReport;
  requests: RequestTally;
}

type WithRclone = ChangeRun & { rclone: NonNullable<ChangeRun['rclone']> };

interface ChangeRun {
  variant: Variant;
  /** Files whose bytes changed, by hashing out/ before and after; and how many of each kind. */
  changed: { added: number; changed: number; removed: number; byKind: Record<FileKind, number> };
  ours: DeployRun;
  /** `unchanged`: files rclone uploaded whose bytes had not changed; `deleted`: keys it deleted (none vanished from out/). */
  rclone: { wallMs: number; requests: RequestTally; bytes: number; unchanged: string[]; deleted: string[] } | null;
  /** The full build's process, from spawn to exit. */
  fullBuildMs: number;
  naive: DeployRun | null;
}

/** The documents the edits touch, chosen once per catalog from the catalog and the built tree. */
interface EditTargets {
  lesson: string;
  subject: string;
  subjectPlans: number;
  plan: string;
  override: string;
}

interface SizeResult {
  lessons: number;
  files: number;
  bytes: number;
  targets: EditTargets;
  variants: Variant[];
  runs: ChangeRun[];
  setup: { deployMs: number; rcloneMs: number | null; buildMs: number };
  /** Deploys run, not measured, because the signing window changed since the one before. */
  catchUps: number;
}

/** What every size shares: the command, the Cloudflare emulator, rclone, the scratch folder. */
interface Shared {
  params: BenchParams;
  ws: Workspace;
  cli: Cli;
  /** The `build` command has `--full` (else its record is removed to make it render everything). */
  buildHasFull: boolean;
  cf: CloudflareEmulator;
  rclone: Rclone | null;
  /** The commands' current folder: empty, so no `.env` configures them. */
  cwd: string;
  log: (m: string) => void;
}

export async function runIncrementalScenario(params: BenchParams, ws: Workspace, rclone: Rclone | null, rcloneSkipped: string | null, log: (m: string) => void): Promise<SectionResult> {
  const cli = await prepareCli(log);
  const cwd = await ws.fresh('incremental-cwd');
  const buildHasFull = /--full\b/.test((await cli.run(['build', '--help'], { cwd, env: {} })).stdout);
  const cf = await startCloudflareEmulator({ token: TOKEN, zoneId: ZONE_ID });
  try {
    const shared: Shared = { params, ws, cli, buildHasFull, cf, rclone, cwd, log };
    const sizes: SizeResult[] = [];
    for (const [i, lessons] of params.incrementalLessons.entries()) {
      sizes.push(await runSize(shared, lessons, i === 0 ? VARIANTS : VARIANTS.filter((v) => v !== 'three')));
    }
    return { scenario: 'incremental', ...render(sizes, shared, rcloneSkipped) };
  } finally {
    await cf.close();
  }
}

/**
 * Which signing window the tree in out/ was signed in: a deploy that starts in another one
 * re-signs every lesson with a bucket video, which is not the change measured. Before each
 * measured deploy the tree is brought to the current window (a deploy, not measured), and a
 * measured deploy during which the window changed fails the scenario.
 */
class SigningClock {
  signedIn: number | null = null;

  static now(): number {
    return signingWindow(new Date(), SIGNED_URL_EXPIRY_HOURS).signingDate.getTime();
  }

  /** Runs a deploy and records the window it signed in (null when the window changed while it ran). */
  async around<T>(deploy: () => Promise<T>): Promise<{ result: T; steady: boolean }> {
    const before = SigningClock.now();
    const result = await deploy();
    const steady = SigningClock.now() === before;
    this.signedIn = steady ? before : null;
    return { result, steady };
  }

  get current(): boolean {
    return this.signedIn === SigningClock.now();
  }
}

async function runSize(shared: Shared, lessons: number, variants: readonly Variant[]): Promise<SizeResult> {
  const { params, ws, cli, rclone, cwd, log } = shared;
  const dir = await ws.fresh(`incremental-${lessons}`);
  const cacheDir = await ws.catalogCopy(lessons, path.join(`incremental-${lessons}`, 'cache'));
  const outDir = path.join(dir, 'out');
  const fullOut = path.join(dir, 'full-out');
  const naiveOut = path.join(dir, 'naive-out');
  const reportFile = path.join(dir, 'report.json');
  const ours = await startBucket(`ours-incremental-${lessons}`);
  const theirs = rclone ? await startBucket(`rclone-incremental-${lessons}`) : null;
  try {
    const clock = new SigningClock();
    const deployEnv = (purge: boolean, concurrency: number) => ({ ...storageEnv(ours), ...(purge ? purgeEnv(shared.cf) : {}), CDN_UPLOAD_CONCURRENCY: String(concurrency), CDN_SIGNED_URL_EXPIRY_HOURS: String(SIGNED_URL_EXPIRY_HOURS) });
    const deployCommand = async (o: { out: string; purge: boolean; concurrency: number; plans?: readonly string[]; force?: boolean }): Promise<{ wallMs: number; spawnedAt: number; report: DeployReport }> => {
      await rm(reportFile, { force: true });
      const args = ['deploy', '--no-pull', '--cache', cacheDir, '--out', o.out, '--report', reportFile, '--trigger', 'bench', ...(o.plans ?? []).map((p) => `--plan=${p}`), ...(o.force ? ['--force'] : [])];
      const run = await cli.run(args, { cwd, env: deployEnv(o.purge, o.concurrency) });
      const report = JSON.parse(await readFile(reportFile, 'utf8')) as DeployReport;
      if (report.status !== 'success') throw new Error(`incremental: deploy ${report.status}: ${JSON.stringify(report.failures.slice(0, 3))}`);
      return { wallMs: run.wallMs, spawnedAt: run.spawnedAt, report };
    };
    const fullBuild = async (): Promise<number> => {
      await rm(path.join(fullOut, SNAPSHOT_FILE), { force: true });
      const run = await cli.run(['build', '--cache', cacheDir, '--out', fullOut, ...(shared.buildHasFull ? ['--full'] : [])], { cwd, env: {} });
      if (!/full build \(/.test(run.stderr + run.stdout)) throw new Error(`incremental: the full build did not say it was one: ${(run.stderr + run.stdout).trim().slice(-500)}`);
      return run.wallMs;
    };
    const rcloneSync = (transfers?: number) => (rclone && theirs ? rclone.sync(outDir, theirs.endpoint, theirs.bucket, transfers) : Promise.resolve(null));

    // Set-up, not measured: the first deploy (a full build; no purge: nothing is cached yet), the
    // first rclone sync and the first full build.
    const setupDeploy = await clock.around(() => deployCommand({ out: outDir, purge: false, concurrency: SETUP_CONCURRENCY }));
    const setupRclone = await rcloneSync(SETUP_CONCURRENCY);
    const setupBuild = await fullBuild();
    if (variants.includes('three')) await cp(outDir, naiveOut, { recursive: true });
    let tree = await hashTree(outDir);
    log(
      `incremental ${int(lessons)} lessons: set-up (not measured) deploy ${ms(setupDeploy.result.wallMs)}, ` +
        `rclone ${setupRclone === null ? 'skipped' : ms(setupRclone)}, full build ${ms(setupBuild)}; ${int(tree.size)} files`,
    );
    const docs = (await readCache(cacheDir)).docs;
    const targets = chooseTargets(docs, tree);
    const originals = snapshot(docs, targets);

    const runs: ChangeRun[] = [];
    let catchUps = 0;
    for (let r = 0; r < params.runs; r++) {
      for (const variant of variants) {
        if (!clock.current) {
          // Not measured: every lesson with a bucket video is signed again in this window.
          await clock.around(() => deployCommand({ out: outDir, purge: false, concurrency: SETUP_CONCURRENCY }));
          await rcloneSync(SETUP_CONCURRENCY);
          tree = await hashTree(outDir);
          catchUps++;
          log(`incremental ${int(lessons)} lessons: the signing window changed; deployed again (not measured) before the next change`);
        }
        await applyEdit(cacheDir, docs, targets, originals, variant, `rev ${r + 1}${variant}`);
        const before = tree;
        await ours.resetRequests();
        // Each measured command starts with nothing left to write back from the step before (as the builds of scenario 1).
        await settle();
        const measured = await clock.around(() => deployCommand({ out: outDir, purge: true, concurrency: DEPLOY_CONCURRENCY }));
        if (!measured.steady) throw new Error('incremental: the signing window changed while a measured deploy ran (it re-signed every bucket video); run the benchmark again');
        const mine: DeployRun = { ...measured.result, requests: tally(await ours.requests()) };
        if (mine.report.build.mode !== 'incremental') {
          throw new Error(`incremental: the measured deploy (${int(lessons)} lessons, ${VARIANT_LABEL[variant]}) made a ${mine.report.build.mode ?? 'unreported'} build (${mine.report.build.reason ?? 'no reason given'}): it would not measure an incremental deploy`);
        }
        tree = await hashTree(outDir);
        const diff = changedFiles(before, tree);

        let rcloneSide: ChangeRun['rclone'] = null;
        if (theirs) {
          await theirs.resetRequests();
          await settle();
          const wallMs = (await rcloneSync()) as number;
          const raw = await theirs.requests();
          const requests = tally(raw);
          const changedKeys = new Set([...diff.added, ...diff.changed]);
          rcloneSide = {
            wallMs,
            requests,
            bytes: sizeOf(tree, requests.treePutKeys),
            unchanged: requests.treePutKeys.filter((k) => !changedKeys.has(k)),
            deleted: raw.filter((q) => q.method === 'DELETE' && q.key !== '').map((q) => q.key),
          };
        }
        await settle();
        const fullBuildMs = await fullBuild();

        let naive: DeployRun | null = null;
        if (variant === 'three' && r === 0 && mine.report.changed_plans.length > 0) {
          await ours.resetRequests();
          await settle();
          const run = await clock.around(() => deployCommand({ out: naiveOut, purge: true, concurrency: DEPLOY_CONCURRENCY, plans: mine.report.changed_plans, force: true }));
          naive = { ...run.result, requests: tally(await ours.requests()) };
        }
        runs.push({ variant, changed: { added: diff.added.length, changed: diff.changed.length, removed: diff.removed.length, byKind: countKinds([...diff.added, ...diff.changed]) }, ours: mine, rclone: rcloneSide, fullBuildMs, naive });
        log(
          `incremental ${int(lessons)} lessons, run ${r + 1}/${params.runs} (${VARIANT_LABEL[variant]}): ${int(diff.changed.length + diff.added.length)} files changed, ` +
            `${int(mine.report.build.rendered ?? 0)} rendered; deploy ${ms(mine.wallMs)}, rclone ${rcloneSide ? ms(rcloneSide.wallMs) : 'skipped'}, full build ${ms(fullBuildMs)}` +
            `${naive ? `, naive ${ms(naive.wallMs)}` : ''}`,
        );
      }
    }
    const treeBytes = [...tree.values()].reduce((n, f) => n + f.size, 0);
    return {
      lessons,
      files: tree.size,
      bytes: treeBytes,
      targets,
      variants: [...variants],
      runs,
      setup: { deployMs: setupDeploy.result.wallMs, rcloneMs: setupRclone, buildMs: setupBuild },
      catchUps,
    };
  } finally {
    await Promise.all([ours.close(), theirs?.close()]);
    // The buckets are gone; the trees and the cache of a large catalog are not needed any more.
    await rm(dir, { recursive: true, force: true });
  }
}

/** The deploy command's storage: the local S3 bucket, through its counting proxy. */
function storageEnv(bucket: BenchBucket): Record<string, string> {
  return {
    CDN_STORAGE_PROVIDER: 'aws-s3',
    CDN_ENDPOINT_URL: bucket.endpoint,
    CDN_BUCKET: bucket.bucket,
    CDN_ACCESS_KEY: S3RVER_ACCESS_KEY,
    CDN_SECRET_KEY: S3RVER_SECRET_KEY,
    CDN_REGION: 'us-east-1',
    CDN_BASE_URL: BASE_URL,
  };
}

/** Purging through the Cloudflare API emulator, with the default batch size and pacing. */
function purgeEnv(cf: CloudflareEmulator): Record<string, string> {
  return { CLOUDFLARE_ZONE_ID: ZONE_ID, CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_API_URL: cf.apiUrl };
}

function countKinds(keys: readonly string[]): Record<FileKind, number> {
  const counts = Object.fromEntries(FILE_KINDS.map((k) => [k, 0])) as Record<FileKind, number>;
  for (const key of keys) {
    const kind = parseKey(key)?.kind;
    if (kind) counts[kind]++;
  }
  return counts;
}

function sizeOf(tree: ReadonlyMap<string, TreeFile>, keys: readonly string[]): number {
  return keys.reduce((n, k) => n + (tree.get(k)?.size ?? 0), 0);
}

function byName(list: readonly RawDoc[]): Map<string, RawDoc> {
  return new Map(list.map((d) => [d.name, d]));
}

function stagesOf(lesson: RawDoc): RawChildRow[] {
  return (lesson.stages as RawChildRow[] | undefined) ?? [];
}

/**
 * The lesson in the middle of the published lessons with a stage (by name); a subject of another
 * lesson's tree used by the median number of plans; the first plan (by name) with a Rename
 * override, preferring one on a unit or a subject.
 */
function chooseTargets(docs: CacheDocs, tree: ReadonlyMap<string, TreeFile>): EditTargets {
  const lessons = docs[DOCTYPES.lesson]
    .filter((l) => tree.has(cdnKeys.lesson(l.name)) && stagesOf(l).length > 0)
    .map((l) => l.name)
    .sort();
  const lesson = lessons[Math.floor(lessons.length / 2)];
  if (!lesson) throw new Error('incremental: the built tree has no lesson with a stage');
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
  stageTitle: string;
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

function firstStage(docs: CacheDocs, t: EditTargets): RawChildRow {
  const stage = stagesOf(findDoc(docs, DOCTYPES.lesson, t.lesson))[0];
  if (!stage) throw new Error(`incremental: lesson ${t.lesson} has no stage`);
  return stage;
}

function snapshot(docs: CacheDocs, t: EditTargets): Originals {
  const o = findOverride(docs, t);
  return {
    lessonTitle: String(findDoc(docs, DOCTYPES.lesson, t.lesson).title),
    stageTitle: String(firstStage(docs, t).title ?? ''),
    subjectTitle: String(findDoc(docs, DOCTYPES.subject, t.subject).title),
    override: { action: o.action, value: typeof o.override_value === 'string' && o.override_value !== '' ? o.override_value : 'Renamed' },
  };
}

async function applyEdit(cacheDir: string, docs: CacheDocs, t: EditTargets, o: Originals, variant: Variant, rev: string): Promise<void> {
  if (variant === 'stage') firstStage(docs, t).title = `${o.stageTitle} (${rev})`;
  else findDoc(docs, DOCTYPES.lesson, t.lesson).title = `${o.lessonTitle} (${rev})`;
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

// ---- the report ----

/** The deploy command's time, split as its report splits it; start-up, wind-down and rest computed. */
const SPLIT = ['read', 'plan', 'render', 'validate', 'write', 'diff', 'sync', 'purge', 'startup', 'winddown', 'rest'] as const;
type SplitName = (typeof SPLIT)[number];
const SPLIT_LABEL: Record<SplitName, string> = {
  read: 'read',
  plan: 'plan',
  render: 'render',
  validate: 'validate',
  write: 'write',
  diff: 'diff',
  sync: 'upload (sync)',
  purge: 'purge',
  startup: 'start-up',
  winddown: 'record and exit',
  rest: 'rest',
};

function split(run: DeployRun): Record<SplitName, number> {
  const d = run.report.durations_ms;
  const p = run.report.build.phases_ms ?? { read: Number.NaN, plan: Number.NaN, render: Number.NaN, validate: Number.NaN, write: Number.NaN };
  const inside = p.read + p.plan + p.render + p.validate + p.write + d.pull + d.diff + d.sync + d.purge;
  // The deploy's clock starts with its `started_at` (ms since the epoch, like `spawnedAt`) and runs
  // for `duration_ms`, which ends when the report is made: what follows is the record and exit.
  const startup = Math.max(0, Date.parse(run.report.started_at) - run.spawnedAt);
  const winddown = Math.max(0, run.wallMs - startup - run.report.duration_ms);
  // The report rounds each duration to the millisecond: a rest of -2 ms is rounding.
  return { ...p, diff: d.diff, sync: d.sync, purge: d.purge, startup, winddown, rest: Math.max(0, run.report.duration_ms - inside) };
}

function kinds(byKind: Record<FileKind, number>): string {
  const parts = FILE_KINDS.filter((k) => byKind[k] > 0).map((k) => `${int(byKind[k])} ${k.replace('_', ' ')}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

const letter = (i: number) => String.fromCharCode('a'.charCodeAt(0) + i);

function render(sizes: readonly SizeResult[], shared: Shared, rcloneSkipped: string | null): { body: string; targets: TargetRow[] } {
  const { params, cli } = shared;
  const first = sizes[0];
  const buildCommand = `${cli.label} build --cache C --out F${shared.buildHasFull ? ' --full' : ''}`;
  const out: string[] = [
    `Catalogs of ${sizes.map((s) => `${int(s.lessons)} lessons (${int(s.files)} files, ${bytes(s.bytes)})`).join(' and ')}, ${params.plans} plans each, seed ${params.seed}. ` +
      `Each is fully deployed first (not measured: \`deploy --no-pull\` into an empty bucket with CDN_UPLOAD_CONCURRENCY=${SETUP_CONCURRENCY}, a first rclone sync with ${SETUP_CONCURRENCY} transfers and a first full build), ` +
      `then ${params.runs} run(s) of ${sizes.length > 1 ? 'these changes' : 'the changes'}: ${VARIANTS.map((v) => `"${VARIANT_LABEL[v]}"`).join(', ')}` +
      `${sizes.length > 1 && first ? ` (the last at ${int(first.lessons)} lessons only)` : ''}. Each change is deployed before the next, so the catalog is always fully deployed when an edit is made. ` +
      `Every measured command (each side of each run) starts after \`sync\`, with nothing left to write back from the step before, as the builds of section 1.`,
    '',
    `- **memora-cdn**: the whole command as a real process, \`${cli.label} deploy --no-pull --cache C --out O --report R\`${cli.fallback ? ` (${cli.fallback})` : ''}, ` +
      `configured by environment variables only (CDN_STORAGE_PROVIDER=aws-s3 on the local S3 bucket through its counting proxy, CLOUDFLARE_API_URL = the Cloudflare API emulator, CDN_BASE_URL, ` +
      `CDN_SIGNED_URL_EXPIRY_HOURS=${SIGNED_URL_EXPIRY_HOURS}; defaults otherwise: ${DEPLOY_CONCURRENCY} uploads in flight, ${DEFAULT_PURGE_BATCH_SIZE} URLs per purge request, ` +
      `${DEFAULT_PURGE_BURST} requests at once, then one every ${DEFAULT_PURGE_INTERVAL_MS} ms), run from an empty folder (no \`.env\`). Timed from spawn to exit. ` +
      `Its build is incremental (it reuses the record out/ keeps of the previous build); every measured deploy's report says \`build.mode\` = incremental, or the scenario fails. ` +
      `It signs the bucket videos of lesson stages, as a deploy to S3 or R2 does.`,
    `- **rclone**: \`rclone sync --checksum\` of the same out/, as the deploy left it, into its own bucket, which it keeps equal to out/ all along (rclone purges nothing).`,
    `- **Full build**: \`${buildCommand}\` as a real process into a folder of its own that holds the previous full build, ` +
      `${shared.buildHasFull ? 'so that it renders every file' : 'its record of the previous build removed first, so that it renders every file (the `build` command has no `--full` option; it is the code path `--full` takes)'}; ` +
      `it signs nothing. **Full build + rclone** adds to it the time of the rclone sync above: the same sync, since rclone hashes every file of the tree and uploads those that differ, ` +
      `whatever built it. Together, the pipeline without incremental builds.`,
    `- **Naive**: \`deploy --no-pull --plan P... --force\` of every plan the three-document change affected (into a copy of out/), i.e. every file of those plans PUT and purged again; ` +
      `${first ? `at ${int(first.lessons)} lessons only` : 'at the first size only'}, in the first run only (at 50,000 lessons it would upload tens of thousands of files per run).`,
    '',
    `"Files changed" is counted independently, by hashing out/ before and after. Ratios are computed per run, between measurements of that run, then their median taken. ` +
      `Not measured: pulling from Frappe (\`--no-pull\`), the network between a CI runner and S3 or Cloudflare (everything is on 127.0.0.1), and S3's own speed (s3rver writes files on a local disk).`,
  ];

  // Side by side, whole commands.
  const sideRows: string[][] = [];
  const splitRows: string[][] = [];
  for (const size of sizes) {
    for (const variant of size.variants) {
      const rs = size.runs.filter((r) => r.variant === variant);
      const firstRun = rs[0];
      if (!firstRun) continue;
      const S = (f: (r: ChangeRun) => number): Summary => summarize(rs.map(f));
      const withR = rs.filter((r): r is WithRclone => r.rclone !== null);
      const R = (f: (r: WithRclone) => number): Summary | null => (withR.length > 0 ? summarize(withR.map(f)) : null);
      const rcloneMs = R((r) => r.rclone.wallMs);
      const pipeline = R((r) => r.fullBuildMs + r.rclone.wallMs);
      const vsRclone = R((r) => r.rclone.wallMs / r.ours.wallMs);
      const vsPipeline = R((r) => (r.fullBuildMs + r.rclone.wallMs) / r.ours.wallMs);
      const na = 'n/a';
      sideRows.push([
        int(size.lessons),
        VARIANT_LABEL[variant],
        int(firstRun.changed.changed + firstRun.changed.added),
        `${int(firstRun.ours.report.build.rendered ?? 0)} / ${int(firstRun.ours.report.build.reused ?? 0)}`,
        spread(S((r) => r.ours.wallMs), ms),
        rcloneMs ? spread(rcloneMs, ms) : na,
        spread(S((r) => r.fullBuildMs), ms),
        pipeline ? spread(pipeline, ms) : na,
        vsRclone ? spread(vsRclone, ratio) : na,
        vsPipeline ? spread(vsPipeline, ratio) : na,
      ]);
      splitRows.push([int(size.lessons), VARIANT_LABEL[variant], ...SPLIT.map((k) => spread(summarize(rs.map((r) => split(r.ours)[k])), ms)), spread(S((r) => r.ours.wallMs), ms)]);
    }
  }
  out.push(
    '',
    `Whole commands side by side (targets, for the one-lesson title edit: rclone / deploy at least ${INCREMENTAL_TARGETS.rcloneSpeedup}x, ` +
      `(full build + rclone) / deploy at least ${INCREMENTAL_TARGETS.fullBuildSpeedup}x). "Rendered / reused": files the deploy's build rendered, and reused from the previous build.`,
    '',
    table(['lessons', 'change', 'files changed', 'rendered / reused', 'deploy (whole command)', 'rclone sync --checksum', 'full build', 'full build + rclone', 'rclone / deploy', '(full build + rclone) / deploy'], sideRows),
    '',
    `Where the deploy command's time goes, from its report: the build's phases (\`build.phases_ms\`: reading and checking the cache and signing video URLs, planning (resolving every plan), rendering, ` +
      `validating against schemas/, writing out/ and the build's record), then \`durations_ms\` diff (reading the deploy state, comparing, taking the lease), upload (sync) and purge; ` +
      `start-up: from spawn to the report's \`started_at\` (Node's start-up, loading the modules, reading the settings, opening the storage); ` +
      `record and exit: what follows the report's \`duration_ms\` (writing the published tree record, the report and the state to \`_deploy/\` and releasing the lease, writing the --report file, exiting); ` +
      `rest: \`duration_ms\` minus its steps above (the build step outside its phases, and what falls between steps).`,
    '',
    table(['lessons', 'change', ...SPLIT.map((k) => SPLIT_LABEL[k]), 'whole command'], splitRows),
  );
  if (sizes.some((s) => s.runs.every((r) => r.rclone === null))) out.push('', `rclone side skipped: ${rcloneSkipped ?? 'disabled with --no-rclone'}.`);
  const catchUps = sizes.reduce((n, s) => n + s.catchUps, 0);
  if (catchUps > 0) out.push('', `The signing window changed during the run: ${catchUps} deploy(s), not measured, signed the videos again before the next change.`);

  // Details per size and change.
  let section = 0;
  for (const size of sizes) {
    for (const variant of size.variants) {
      const rs = size.runs.filter((r) => r.variant === variant);
      const firstRun = rs[0];
      if (!firstRun) continue;
      const t = size.targets;
      const edited =
        variant === 'title'
          ? `the title of lesson \`${t.lesson}\``
          : variant === 'stage'
            ? `the title of the first stage of lesson \`${t.lesson}\``
            : `the title of lesson \`${t.lesson}\`, the title of subject \`${t.subject}\` (used by ${t.subjectPlans} plans) and the value of override \`${t.override}\` of plan \`${t.plan}\` (a Rename)`;
      const reqRow = (name: string, requests: RequestTally, bytesSent: number, purgeRequests: number | null, purgedUrls: number | null): string[] => [
        name,
        int(requests.treePuts),
        int(requests.PUT),
        int(requests.DELETE),
        int(requests.GET),
        int(requests.HEAD),
        int(requests.LIST),
        int(requests.total),
        bytes(bytesSent),
        purgeRequests === null ? '' : int(purgeRequests),
        purgedUrls === null ? '' : int(purgedUrls),
      ];
      const strays = firstRun.rclone && firstRun.rclone.unchanged.length + firstRun.rclone.deleted.length > 0 ? firstRun.rclone : null;
      const rows = [reqRow('memora-cdn deploy', firstRun.ours.requests, firstRun.ours.report.bytes_uploaded, firstRun.ours.report.purge.requests, firstRun.ours.report.purge.urls)];
      if (firstRun.rclone) rows.push(reqRow('rclone sync --checksum', firstRun.rclone.requests, firstRun.rclone.bytes, 0, 0));
      const naive = rs.find((r) => r.naive !== null);
      if (naive?.naive) rows.push(reqRow('naive: deploy --plan P... --force', naive.naive.requests, naive.naive.report.bytes_uploaded, naive.naive.report.purge.requests, naive.naive.report.purge.urls));
      out.push(
        '',
        `### 3${letter(section++)}. ${VARIANT_LABEL[variant]}, ${int(size.lessons)} lessons`,
        '',
        `Edited: ${edited}. Files whose bytes changed: ${int(firstRun.changed.changed)} changed, ${int(firstRun.changed.added)} added, ${int(firstRun.changed.removed)} removed ` +
          `(${kinds(firstRun.changed.byKind)}); plans affected: ${firstRun.ours.report.changed_plans.length}. Requests from the first run (they do not vary between runs); ` +
          `PUT counts include the deploy's \`_deploy/\` state and report writes, "CDN PUTs" do not; bytes are object bodies.`,
        '',
        table(['side', 'CDN PUTs', 'PUT', 'DELETE', 'GET', 'HEAD', 'LIST', 'all requests', 'bytes sent', 'purge requests', 'URLs purged'], rows),
      );
      if (strays) {
        const list = (keys: readonly string[]) => (keys.length === 0 ? 'none' : `${keys.slice(0, 3).map((k) => `\`${k}\``).join(', ')}${keys.length > 3 ? `, ... (${keys.length} in all)` : ''}`);
        out.push('', `rclone also uploaded ${int(strays.unchanged.length)} file(s) whose bytes had not changed (${list(strays.unchanged)}) and deleted ${int(strays.deleted.length)} key(s) (${list(strays.deleted)}): its view of the local S3 bucket differs from out/ there (see Method).`);
      }
      if (naive?.naive) {
        const n = naive.naive;
        out.push(
          '',
          table(
            ['naive re-upload, first run', 'value'],
            [
              ['naive time / memora-cdn deploy time (whole commands)', ratio(n.wallMs / naive.ours.wallMs)],
              ['naive time / memora-cdn deploy time (upload and purge steps)', ratio((n.report.durations_ms.sync + n.report.durations_ms.purge) / Math.max(1, naive.ours.report.durations_ms.sync + naive.ours.report.durations_ms.purge))],
              ['naive CDN PUTs / memora-cdn CDN PUTs', ratio(n.requests.treePuts / Math.max(1, naive.ours.requests.treePuts))],
              ['naive bytes / memora-cdn bytes', ratio(n.report.bytes_uploaded / Math.max(1, naive.ours.report.bytes_uploaded))],
              ['naive purge requests / memora-cdn purge requests', ratio(n.report.purge.requests / Math.max(1, naive.ours.report.purge.requests))],
            ],
          ),
        );
      }
    }
  }
  return { body: out.join('\n'), targets: targetRows(sizes, rcloneSkipped) };
}

function targetRows(sizes: readonly SizeResult[], rcloneSkipped: string | null): TargetRow[] {
  const targets: TargetRow[] = [];
  const titleRuns = sizes.map((s) => ({ size: s, rs: s.runs.filter((r) => r.variant === 'title') })).filter((x) => x.rs.length > 0);
  for (const { size, rs } of titleRuns) {
    const at = `Incremental deploy of one lesson edit at ${int(size.lessons)} lessons`;
    const withR = rs.filter((r): r is WithRclone => r.rclone !== null);
    const deployMs = summarize(rs.map((r) => r.ours.wallMs)).median;
    const rcloneTarget = `${at}: whole deploy command at least ${INCREMENTAL_TARGETS.rcloneSpeedup}x faster than rclone sync --checksum on the built tree`;
    const pipelineTarget = `${at}: whole deploy command at least ${INCREMENTAL_TARGETS.fullBuildSpeedup}x faster than a full build followed by rclone sync`;
    if (withR.length === 0) {
      const note = `rclone side skipped: ${rcloneSkipped ?? 'disabled'}`;
      targets.push({ target: rcloneTarget, measured: `deploy ${ms(deployMs)}`, status: 'not measured', note });
      targets.push({ target: pipelineTarget, measured: `deploy ${ms(deployMs)}, full build ${ms(summarize(rs.map((r) => r.fullBuildMs)).median)}`, status: 'not measured', note });
      continue;
    }
    const vsRclone = summarize(withR.map((r) => r.rclone.wallMs / r.ours.wallMs)).median;
    const vsPipeline = summarize(withR.map((r) => (r.fullBuildMs + r.rclone.wallMs) / r.ours.wallMs)).median;
    const rcloneMs = summarize(withR.map((r) => r.rclone.wallMs)).median;
    const buildMs = summarize(withR.map((r) => r.fullBuildMs)).median;
    targets.push({
      target: rcloneTarget,
      measured: `${ratio(vsRclone)} (deploy ${ms(deployMs)}, rclone ${ms(rcloneMs)})`,
      status: vsRclone >= INCREMENTAL_TARGETS.rcloneSpeedup ? 'met' : 'missed',
      note: 'both real processes, timed from spawn to exit; median of the per-run ratios',
    });
    targets.push({
      target: pipelineTarget,
      measured: `${ratio(vsPipeline)} (deploy ${ms(deployMs)}, full build ${ms(buildMs)} + rclone ${ms(rcloneMs)})`,
      status: vsPipeline >= INCREMENTAL_TARGETS.fullBuildSpeedup ? 'met' : 'missed',
      note: 'the full build is the `build` command rendering every file; median of the per-run ratios',
    });
  }
  if (titleRuns.length === 0) return targets;
  // Judged at every size at once: the row lists each.
  const each = (f: (x: (typeof titleRuns)[number]) => string) => titleRuns.map((x) => `${int(x.size.lessons)}: ${f(x)}`).join('; ');
  // Each changed file is stored twice (layout.ts): its immutable version, then its alias.
  const extraPuts = titleRuns.flatMap(({ rs }) => rs.map((r) => r.ours.requests.treePuts - 2 * (r.changed.changed + r.changed.added)));
  targets.push({
    target: 'Incremental deploy of one lesson edit: no more PUTs than two per file whose bytes changed (its version and its alias)',
    measured: each(({ rs }) => {
      const r = rs[0] as ChangeRun;
      return `${int(r.ours.requests.treePuts)} CDN PUTs for ${int(r.changed.changed + r.changed.added)} changed files (+${int(r.ours.requests.PUT - r.ours.requests.treePuts)} \`_deploy/\`)`;
    }),
    status: Math.max(...extraPuts) <= 0 ? 'met' : 'missed',
  });
  const purges = Math.max(...titleRuns.flatMap(({ rs }) => rs.map((r) => r.ours.report.purge.requests)));
  const urls = Math.max(...titleRuns.flatMap(({ rs }) => rs.map((r) => r.ours.report.purge.urls)));
  targets.push({
    target: 'Incremental deploy of one lesson edit: at most one purge request',
    measured: each(({ rs }) => `${int((rs[0] as ChangeRun).ours.report.purge.requests)} request(s) for ${int((rs[0] as ChangeRun).ours.report.purge.urls)} URLs`),
    status: purges <= INCREMENTAL_TARGETS.purgeRequests ? 'met' : 'missed',
    note:
      `at the default ${DEFAULT_PURGE_BATCH_SIZE} URLs per request (what Cloudflare accepts by URL on Free, Pro and Business zones); ` +
      `for the most URLs, ${int(Math.ceil(urls / 100))} with CLOUDFLARE_PURGE_BATCH_SIZE=100, ${int(Math.ceil(urls / 500))} at Enterprise's 500`,
  });
  const lists = Math.max(...titleRuns.flatMap(({ rs }) => rs.map((r) => r.ours.requests.LIST)));
  targets.push({ target: 'Incremental deploy of one lesson edit: no LIST', measured: each(({ rs }) => `${int(Math.max(...rs.map((r) => r.ours.requests.LIST)))} LIST`), status: lists === 0 ? 'met' : 'missed' });
  return targets;
}
