/**
 * Test helper for convergence tests: catalogs A, B and C (the samples, an edit of them, and a
 * further edit), a deploy in this process, and `deploy --no-pull` by the built command in a child
 * process killed with SIGKILL at the proxy's Nth request.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { SAMPLE_CACHE_DIR } from '../samples/catalog.ts';
import { readCache, writeCache } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import type { RawDoc } from '../src/content/raw.ts';
import { deploy, type DeployOptions } from '../src/deploy/deploy.ts';
import { LEASE_TTL_MS } from '../src/deploy/lease.ts';
import { STATE_KEY, StateStore } from '../src/deploy/state.ts';
import type { DeployReport } from '../src/deploy/report.ts';
import type { Storage } from '../src/deploy/storage/types.ts';
import { memoryLogger } from '../src/log.ts';
import { tempDir } from './helpers.ts';
import { bucketView, differencesFromOut, readerProblems } from './reader.ts';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3, type Fault, type S3Harness } from './s3rver.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FAST = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2_000 };

export interface Catalog {
  name: string;
  cacheDir: string;
  outDir: string;
}

type Edit = (docs: Awaited<ReturnType<typeof readCache>>['docs']) => void;

/** B: a lesson retitled, a lesson added beside it, another removed, and a subject (in several plans) removed. */
export const editB: Edit = (docs) => {
  const lessons = docs[DOCTYPES.lesson];
  const retitled = lessons.find((l) => l.name === 'l4m5u6l7t8') as RawDoc;
  retitled.title = 'Edited title';
  lessons.push({ ...structuredClone(retitled), name: 'newlesson01', title: 'A new lesson', sort_order: 99 });
  docs[DOCTYPES.lesson] = lessons.filter((l) => l.name !== 'l6a7g8e9w0');
  docs[DOCTYPES.subject] = docs[DOCTYPES.subject].filter((s) => s.name !== 'sc7k2p8v1n');
};

/** C (on top of B): the lessons' unit retitled, and B's new lesson retitled again. */
export const editC: Edit = (docs) => {
  editB(docs);
  const unit = docs[DOCTYPES.unit].find((u) => u.name === 'u2e5q7r9t1') as RawDoc;
  unit.title = `${String(unit.title)} (revised)`;
  (docs[DOCTYPES.lesson].find((l) => l.name === 'newlesson01') as RawDoc).title = 'A newer lesson';
};

/** A copy of the sample cache with an edit applied, and an output folder of its own. */
export async function catalog(name: string, edit?: Edit): Promise<Catalog> {
  const root = await tempDir(`memora-${name}-`);
  const cacheDir = path.join(root, 'cache');
  await cp(SAMPLE_CACHE_DIR, cacheDir, { recursive: true });
  if (edit) {
    const { docs } = await readCache(cacheDir);
    edit(docs);
    await writeCache(cacheDir, { replace: { [DOCTYPES.lesson]: docs[DOCTYPES.lesson], [DOCTYPES.subject]: docs[DOCTYPES.subject], [DOCTYPES.unit]: docs[DOCTYPES.unit] }, fsync: false });
  }
  return { name, cacheDir, outDir: path.join(root, 'out') };
}

/** A generated catalog of one plan and six lessons (12 files), for tests that repeat a deploy many times. */
export async function tinyCatalog(name: string, edit?: Edit): Promise<Catalog> {
  const root = await tempDir(`memora-${name}-`);
  const cacheDir = path.join(root, 'cache');
  const { docs } = generateCatalog({ plans: 1, lessons: 6, seed: 3 });
  edit?.(docs);
  await writeCache(cacheDir, { replace: docs, fsync: false });
  return { name, cacheDir, outDir: path.join(root, 'out') };
}

/** Published lessons of a generated catalog, by name. */
function lessonsByName(docs: Parameters<Edit>[0]): RawDoc[] {
  return [...docs[DOCTYPES.lesson]].filter((l) => l.is_published === 1).sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1));
}

/** Tiny B: a lesson retitled, one added beside another, a third removed. */
export const tinyEditB: Edit = (docs) => {
  const [first, second, third] = lessonsByName(docs) as [RawDoc, RawDoc, RawDoc];
  first.title = 'Edited title';
  docs[DOCTYPES.lesson].push({ ...structuredClone(second), name: 'newlesson01', title: 'A new lesson', sort_order: Number(second.sort_order) + 1 });
  docs[DOCTYPES.lesson] = docs[DOCTYPES.lesson].filter((l) => l.name !== third.name);
};

/** Tiny C (on top of B): a unit retitled and the new lesson retitled again. */
export const tinyEditC: Edit = (docs) => {
  tinyEditB(docs);
  const unit = docs[DOCTYPES.unit][0] as RawDoc;
  unit.title = `${String(unit.title)} (revised)`;
  (docs[DOCTYPES.lesson].find((l) => l.name === 'newlesson01') as RawDoc).title = 'A newer lesson';
};

/** Deploys a catalog (build included, no pull) in this process. */
export function deployCatalog(c: Catalog, storage: Storage, extra: Partial<DeployOptions> = {}): Promise<DeployReport> {
  return deploy({
    cacheDir: c.cacheDir,
    outDir: c.outDir,
    plans: [],
    force: false,
    dryRun: false,
    client: null,
    storage,
    purger: null,
    concurrency: 4,
    trigger: 'test',
    log: memoryLogger(),
    retry: FAST,
    ...extra,
  });
}

/** The built command (dist/, rebuilt from the sources by the test run's global setup). */
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

/**
 * `deploy --no-pull` of `c` by the memora-cdn command in a child process, killed with SIGKILL when
 * the proxy sees its Nth request (that request and every later one get a reset connection until
 * the kill lands). Resolves once the child is gone and the bucket has finished what it sent;
 * rejects, with the child's error output, when the child ended without being killed.
 * `afterClaim`: counts only the requests after its first deploy-state write (the lease claim), so
 * that the kill falls midway whatever the deploy reads first. `when`: kills at the first request
 * it accepts instead (`nth` unused). `env`: more settings for the child (purge settings...).
 */
export async function deployKilledAt(
  s3: S3Harness,
  c: Pick<Catalog, 'cacheDir' | 'outDir'>,
  nth: number,
  options: { afterClaim?: boolean; env?: Record<string, string>; when?: (r: Parameters<Fault['match']>[0]) => boolean } = {},
): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'deploy', '--no-pull', '--cache', c.cacheDir, '--out', c.outDir], {
    cwd: ROOT,
    env: {
      ...process.env,
      CI: '1',
      CDN_STORAGE_PROVIDER: 'aws-s3',
      CDN_ENDPOINT_URL: s3.endpoint,
      CDN_BUCKET: s3.bucket,
      CDN_ACCESS_KEY: S3RVER_ACCESS_KEY,
      CDN_SECRET_KEY: S3RVER_SECRET_KEY,
      CDN_REGION: 'us-east-1',
      CDN_UPLOAD_CONCURRENCY: '4',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let seen = 0;
  let claimed = !options.afterClaim;
  s3.addFault({
    match: (r) => {
      if (options.when) {
        if (seen > 0 || options.when(r)) seen++;
        if (seen === 1) child.kill('SIGKILL');
        return seen > 0;
      }
      if (!claimed) {
        claimed = r.method === 'PUT' && r.key === STATE_KEY;
        return false;
      }
      seen++;
      if (seen < nth) return false;
      if (seen === nth) child.kill('SIGKILL');
      return true;
    },
    kind: 'reset',
  });
  const [code, signal] = await exited;
  s3.clearFaults();
  // What the killed deploy had sent completes at the bucket before anyone goes on (as it would
  // long before its lease expired).
  await s3.settled();
  // A child that ended by itself (an error before its Nth request, or fewer requests than that)
  // would leave the test checking something else than a killed deploy.
  if (signal !== 'SIGKILL') throw new Error(`the deploy was to be killed at its request ${nth} but exited with ${code} after ${seen}:\n${stderr}`);
}

let bucketCounter = 0;

/** A bucket of its own for one test. */
export async function withBucket(test: (s3: S3Harness, storage: Storage) => Promise<void>): Promise<void> {
  const s3 = await startS3({ bucket: `memora-converge-${++bucketCounter}` });
  const storage = s3.storage();
  try {
    await test(s3, storage);
  } finally {
    await s3.close();
  }
}

/** The reader's view equals the catalog's out/, links and versions included, and verify's view (the state) agrees. */
export async function expectConverged(storage: Storage, c: Catalog): Promise<void> {
  const view = await bucketView(storage);
  expect(await differencesFromOut(view, c.outDir)).toEqual([]);
  expect(readerProblems(view)).toEqual([]);
  const state = await StateStore.load(storage, { retry: FAST });
  expect(state.state.lease).toBeNull();
  expect(state.state.unsettled).toEqual([]);
}

/** A clock past any lease a killed deploy left behind. */
export const later = () => Date.now() + LEASE_TTL_MS + 1_000;
