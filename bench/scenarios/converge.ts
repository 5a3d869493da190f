/**
 * Scenario 6, convergence: what the lease, the intent, the versions and the retention period cost
 * on the deployed catalog. Each run:
 *
 *   1. a one-lesson title edit, deployed cleanly (requests, bytes, purges, time);
 *   2. another edit, whose deploy is cut off after a few uploads (every request after them hangs,
 *      as if the process died), then the deploy that follows it (its lease expired), which lists
 *      the bucket and reconciles before it diffs;
 *   3. `rollback` to the deploy before, then a deploy of the content again.
 *
 * At the end, the bytes of the noncurrent versions the edits left, and what a day of such edits
 * (one per 15-minute scheduled run) keeps for the retention period.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { encodeSegment } from '../../packages/client/src/keys.ts';
import { lockFileOf } from '../../src/build/lock.ts';
import { readCache, writeCache } from '../../src/content/cache.ts';
import { DOCTYPES } from '../../src/content/doctypes.ts';
import type { RawDoc } from '../../src/content/raw.ts';
import { deploy, type DeployOptions } from '../../src/deploy/deploy.ts';
import { LEASE_TTL_MS } from '../../src/deploy/lease.ts';
import { CloudflarePurger } from '../../src/deploy/purge/cloudflare.ts';
import type { DeployReport } from '../../src/deploy/report.ts';
import { rollback } from '../../src/deploy/rollback.ts';
import { StateStore } from '../../src/deploy/state.ts';
import type { Storage } from '../../src/deploy/storage/types.ts';
import { startCloudflareEmulator } from '../../src/emulator/cloudflare.ts';
import { memoryLogger } from '../../src/log.ts';
import { bytes, int, ms, spread, table } from '../lib/format.ts';
import { startBucket, tally, type RequestTally } from '../lib/s3.ts';
import { summarize } from '../lib/stats.ts';
import type { BenchParams, SectionResult } from '../lib/types.ts';
import type { Workspace } from '../lib/workspace.ts';
import { DEPLOY_CONCURRENCY } from './deploy.ts';

const BASE_URL = 'https://cdn.memora.bench';
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const TOKEN = 'cf-bench-token';
/** The cut-off deploy "dies" after this share of the uploads a clean deploy of one edit makes. */
const KILL_AT_SHARE = 0.5;
/** Scheduled runs a day (every 15 minutes). */
const RUNS_PER_DAY = 96;

interface Measured {
  wallMs: number;
  requests: RequestTally;
  report: DeployReport;
}

export async function runConvergeScenario(params: BenchParams, ws: Workspace, log: (m: string) => void): Promise<SectionResult> {
  const lessons = params.deployLessons;
  const cacheDir = await ws.catalogCopy(lessons, 'converge-cache');
  const outDir = await ws.fresh('converge-out');
  const cf = await startCloudflareEmulator({ token: TOKEN, zoneId: ZONE_ID });
  const bucket = await startBucket('converge');
  try {
    const storage = bucket.storage();
    const purger = new CloudflarePurger({ apiUrl: cf.apiUrl, zoneId: ZONE_ID, token: TOKEN, log: memoryLogger() });
    const options = (extra: Partial<DeployOptions> = {}): DeployOptions => ({
      cacheDir, outDir, plans: [], force: false, dryRun: false, client: null, storage, purger, baseUrl: BASE_URL,
      concurrency: DEPLOY_CONCURRENCY, trigger: 'bench', log: memoryLogger(), ...extra,
    });
    const measure = async (work: () => Promise<DeployReport>): Promise<Measured> => {
      await bucket.resetRequests();
      const started = performance.now();
      const report = await work();
      const wallMs = performance.now() - started;
      if (report.status !== 'success') throw new Error(`${report.status}: ${JSON.stringify(report.failures.slice(0, 3))}`);
      return { wallMs, requests: tally(await bucket.requests()), report };
    };

    await deploy(options());
    const docs = (await readCache(cacheDir)).docs;
    // The first lesson (by name) that some plan exports: its edit reaches the CDN.
    const exported = new Set((await readdir(path.join(outDir, 'lessons'))).map((f) => f.replace(/\.json$/, '')));
    const lesson = [...docs[DOCTYPES.lesson]].filter((l) => exported.has(encodeSegment(l.name))).sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1))[0] as RawDoc;
    const original = String(lesson.title);
    const edit = async (suffix: string) => {
      lesson.title = `${original} (${suffix})`;
      await writeCache(cacheDir, { replace: { [DOCTYPES.lesson]: docs[DOCTYPES.lesson] }, fsync: false });
    };

    /** The bytes the noncurrent versions take, from a listing. */
    const noncurrentBytes = async (): Promise<number> => {
      const noncurrent = (await StateStore.load(storage)).state.noncurrent;
      let total = 0;
      for await (const o of storage.list('')) if (noncurrent[o.key] !== undefined) total += o.size;
      return total;
    };
    let perEdit = 0;

    const clean: Measured[] = [];
    const reconciling: Measured[] = [];
    const rollbacks: Measured[] = [];
    let clock = Date.now();
    const later = () => clock;
    for (let r = 0; r < params.runs; r++) {
      await edit(`clean ${r}`);
      clean.push(await measure(() => deploy(options())));
      if (r === 0) perEdit = await noncurrentBytes();

      // Cut off halfway through its uploads: every request after them hangs, as if the process died.
      await edit(`killed ${r}`);
      const uploadsBeforeKill = Math.max(1, Math.floor((clean.at(-1)?.report.uploaded.length ?? 2) * KILL_AT_SHARE));
      let uploads = 0;
      let died: () => void = () => undefined;
      const dead = new Promise<void>((resolve) => (died = resolve));
      const dying: Storage = {
        ...storage,
        description: storage.description,
        bucket: storage.bucket,
        requests: storage.requests,
        get: (k) => storage.get(k),
        head: (k) => storage.head(k),
        list: (p) => storage.list(p),
        close: async () => undefined,
        deleteMany: () => new Promise(() => undefined),
        put: (key, body, o) => {
          if (key.startsWith('_deploy/')) return storage.put(key, body, o);
          if (++uploads > uploadsBeforeKill) {
            died();
            return new Promise(() => undefined);
          }
          return storage.put(key, body, o);
        },
      };
      // A deploy that ends before the cut-off would leave nothing to converge from: say so, never wait forever.
      const ended = deploy(options({ storage: dying, lease: { renewMs: 3_600_000 } })).then(
        () => 'finished',
        () => 'failed',
      );
      const how = await Promise.race([dead.then(() => 'cut off'), ended]);
      if (how !== 'cut off') throw new Error(`converge: the deploy to cut off ${how} before its upload ${uploadsBeforeKill + 1}`);
      // A killed deploy's lock on the output folder names a process that no longer runs, and the
      // next run takes it over; this one "died" inside the harness's process, so its lock goes here.
      await rm(await lockFileOf(outDir), { force: true });
      clock += LEASE_TTL_MS + 60_000;
      await edit(`after kill ${r}`);
      reconciling.push(await measure(() => deploy(options({ now: later }))));

      rollbacks.push(await measure(() => rollback({ storage, log: memoryLogger(), trigger: 'bench', dryRun: false, concurrency: DEPLOY_CONCURRENCY, purger, baseUrl: BASE_URL, now: later })));
      await deploy(options({ now: later }));
      log(`converge run ${r + 1}/${params.runs}: clean ${ms(clean.at(-1)?.wallMs ?? 0)}, reconciling ${ms(reconciling.at(-1)?.wallMs ?? 0)}, rollback ${ms(rollbacks.at(-1)?.wallMs ?? 0)}`);
    }

    await purger.close();

    const row = (label: string, m: Measured[]): string[] => {
      const first = m[0] as Measured;
      return [
        label,
        spread(summarize(m.map((x) => x.wallMs)), ms),
        int(first.requests.total),
        int(first.requests.PUT),
        int(first.requests.treePuts),
        int(first.requests.GET),
        int(first.requests.LIST),
        int(first.requests.DELETE),
        bytes(first.report.bytes_uploaded),
        int(first.report.purge.requests),
        int(first.report.purge.urls),
      ];
    };
    const body = [
      `The ${int(lessons)}-lesson catalog, deployed first (not measured), then ${params.runs} run(s). \`deploy()\` with no pull and \`rollback()\`, into s3rver behind the counting proxy (\`bench/s3-host.ts\`), purging through the Cloudflare API emulator. ` +
        `A cut-off deploy makes half the uploads of a clean one, then every request it makes hangs (as if its process died, leaving its lease and its unsettled keys); the next deploy runs once the lease has expired (an injected clock) and lists the bucket first. ` +
        'Request counts from the first run (they do not vary between runs); PUT counts include the `_deploy/` state, report and tree writes, "CDN PUTs" do not.',
      '',
      table(
        ['run', 'wall time', 'requests', 'PUT', 'CDN PUTs', 'GET', 'LIST', 'DELETE', 'bytes sent', 'purge requests', 'URLs purged'],
        [row('one lesson edit, clean history', clean), row('one lesson edit after a cut-off deploy (reconciling)', reconciling), row('rollback to the deploy before', rollbacks)],
      ),
      '',
      `Storage of retained versions: the first one-lesson edit left ${bytes(perEdit)} of noncurrent versions (the old versions of the files it changed). ` +
        `A day of ${RUNS_PER_DAY} such edits (one per 15-minute scheduled run, each changing as much) keeps about ${bytes(perEdit * RUNS_PER_DAY)}, and the default retention of 7 days about ${bytes(perEdit * RUNS_PER_DAY * 7)}; ` +
        `the current tree is ${bytes(clean[0]?.report.build.bytes ?? 0)} in out/, twice that in the bucket (each file's alias and version).`,
    ].join('\n');
    return { scenario: 'converge', body, targets: [] };
  } finally {
    await bucket.close();
    await cf.close();
  }
}
