/**
 * Scenario 2, full deploy: the built tree of one catalog into an empty bucket, by memora-cdn's
 * deploy and, side by side in the same run, by `rclone sync --checksum` into another empty bucket
 * of the same local S3 setup. The output folder is built once beforehand, so neither side pays
 * the first write of the tree; the deploy still runs its build (which then finds every file
 * unchanged), as `npm run deploy -- --no-pull` does.
 */
import { deploy } from '../../src/deploy/deploy.ts';
import { memoryLogger } from '../../src/log.ts';
import { bytes, int, ms, ratio, spread, table } from '../lib/format.ts';
import type { Rclone } from '../lib/rclone.ts';
import { startBucket, tally, type RequestTally } from '../lib/s3.ts';
import { summarize } from '../lib/stats.ts';
import type { BenchParams, SectionResult, TargetRow } from '../lib/types.ts';
import { hashTree, type Workspace } from '../lib/workspace.ts';
import { runChild } from '../lib/child.ts';

export const DEPLOY_CONCURRENCY = 16;

interface FullRun {
  ours: { wallMs: number; buildMs: number; uploadMs: number; requests: RequestTally; bytes: number; uploaded: number };
  rclone: { wallMs: number; requests: RequestTally; bytes: number } | null;
}

export async function runDeployScenario(params: BenchParams, ws: Workspace, rclone: Rclone | null, rcloneSkipped: string | null, log: (m: string) => void): Promise<SectionResult> {
  const lessons = params.deployLessons;
  const cacheDir = await ws.catalog(lessons);
  const outDir = await ws.fresh('deploy-out');
  await runChild(['build', '--cache', cacheDir, '--out', outDir]);
  const tree = await hashTree(outDir);
  const treeBytes = [...tree.values()].reduce((n, f) => n + f.size, 0);
  const sizeOf = (keys: readonly string[]) => keys.reduce((n, k) => n + (tree.get(k)?.size ?? 0), 0);

  const runs: FullRun[] = [];
  for (let r = 0; r < params.runs; r++) {
    const ours = await startBucket(`ours-full-${r}`);
    let oursRun: FullRun['ours'];
    try {
      const storage = ours.storage();
      const started = performance.now();
      const report = await deploy({
        cacheDir, outDir, plans: [], force: false, dryRun: false, client: null, storage, purger: null, purgeSkipped: 'empty bucket: nothing to purge',
        concurrency: DEPLOY_CONCURRENCY, trigger: 'bench', log: memoryLogger(),
      });
      const wallMs = performance.now() - started;
      if (report.status !== 'success') throw new Error(`full deploy ${report.status}: ${JSON.stringify(report.failures.slice(0, 3))}`);
      const requests = tally(await ours.requests());
      oursRun = { wallMs, buildMs: report.durations_ms.build, uploadMs: wallMs - report.durations_ms.build - report.durations_ms.pull, requests, bytes: report.bytes_uploaded, uploaded: report.uploaded.length };
    } finally {
      await ours.close();
    }
    let rcloneRun: FullRun['rclone'] = null;
    if (rclone) {
      const theirs = await startBucket(`rclone-full-${r}`);
      try {
        const wallMs = await rclone.sync(outDir, theirs.endpoint, theirs.bucket);
        const requests = tally(await theirs.requests());
        rcloneRun = { wallMs, requests, bytes: sizeOf(requests.treePutKeys) };
      } finally {
        await theirs.close();
      }
    }
    runs.push({ ours: oursRun, rclone: rcloneRun });
    log(`full deploy run ${r + 1}/${params.runs}: ours ${ms(oursRun.wallMs)} (upload part ${ms(oursRun.uploadMs)}), rclone ${rcloneRun ? ms(rcloneRun.wallMs) : 'skipped'}`);
  }

  const s = (f: (r: FullRun) => number) => summarize(runs.map(f));
  const withRclone = runs.filter((r): r is FullRun & { rclone: NonNullable<FullRun['rclone']> } => r.rclone !== null);
  const reqCells = (t: RequestTally) => [int(t.PUT), int(t.HEAD), int(t.GET), int(t.LIST), int(t.DELETE), int(t.total)];
  const first = runs[0] as FullRun;
  const rows = [
    ['memora-cdn deploy (whole command)', spread(s((r) => r.ours.wallMs), ms), int(first.ours.uploaded), bytes(first.ours.bytes), ...reqCells(first.ours.requests)],
    ['memora-cdn deploy, without its build', spread(s((r) => r.ours.uploadMs), ms), '', '', '', '', '', '', '', ''],
  ];
  if (withRclone.length > 0) {
    const fr = (withRclone[0] as (typeof withRclone)[number]).rclone;
    rows.push(['rclone sync --checksum', spread(summarize(withRclone.map((r) => r.rclone.wallMs)), ms), int(fr.requests.treePuts), bytes(fr.bytes), ...reqCells(fr.requests)]);
  }
  const body = [
    `The ${int(lessons)}-lesson catalog: ${int(tree.size)} files, ${bytes(treeBytes)}, into an empty bucket, ${params.runs} run(s); every run uses two fresh buckets ` +
      `(one per side) of the local S3. memora-cdn: \`deploy()\` (src/deploy/deploy.ts) with no pull, ${DEPLOY_CONCURRENCY} uploads in flight (the default ` +
      `CDN_UPLOAD_CONCURRENCY), no purge (nothing can be cached yet). "Without its build" is the deploy's wall time minus its build step (diff, uploads, state and report writes). ` +
      `Request counts are those the S3 proxy saw (one run; they do not vary between runs), "PUT" including the deploy's own \`_deploy/\` state and report writes.`,
    '',
    table(['side', 'wall time', 'files uploaded', 'bytes sent', 'PUT', 'HEAD', 'GET', 'LIST', 'DELETE', 'all requests'], rows),
  ];
  const targets: TargetRow[] = [];
  if (withRclone.length > 0) {
    const whole = summarize(withRclone.map((r) => r.ours.wallMs / r.rclone.wallMs));
    const upload = summarize(withRclone.map((r) => r.ours.uploadMs / r.rclone.wallMs));
    body.push(
      '',
      table(
        ['ratio (same run)', 'median (min-max)'],
        [
          ['memora-cdn deploy / rclone', spread(whole, ratio)],
          ['memora-cdn deploy without its build / rclone', spread(upload, ratio)],
        ],
      ),
    );
    targets.push({
      target: 'Full deploy: no slower than rclone on the same tree',
      measured: `deploy without its build ${ratio(upload.median)} rclone's time; whole deploy command ${ratio(whole.median)}`,
      status: upload.median <= 1 ? 'met' : 'missed',
      note: 'judged like for like: both start from the built out/ (rclone builds nothing); the whole command re-runs the build',
    });
  } else {
    body.push('', `rclone side skipped: ${rcloneSkipped ?? 'disabled with --no-rclone'}.`);
    targets.push({ target: 'Full deploy: no slower than rclone on the same tree', measured: `deploy ${spread(s((r) => r.ours.wallMs), ms)}`, status: 'not measured', note: `rclone side skipped: ${rcloneSkipped ?? 'disabled'}` });
  }
  return { scenario: 'deploy', body: body.join('\n'), targets };
}
