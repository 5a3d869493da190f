import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, SAMPLE_IDS } from '../samples/catalog.ts';
import { encodeSegment } from '../packages/client/src/layout.ts';
import { readCache, writeCache } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import type { RawDoc } from '../src/content/raw.ts';
import { deploy, type DeployOptions } from '../src/deploy/deploy.ts';
import { publicUrl } from '../src/deploy/purge/urls.ts';
import { readOutTree } from '../src/deploy/inventory.ts';
import { cacheControlFor, CONTENT_TYPE, keys, keysToPurge, kindOfKey, parseKey, storedKeys, versionKey } from '../packages/client/src/layout.ts';
import { CloudflarePurger } from '../src/deploy/purge/cloudflare.ts';
import { StateStore, STATE_KEY } from '../src/deploy/state.ts';
import type { Storage } from '../src/deploy/storage/types.ts';
import { startCloudflareEmulator, type CloudflareEmulator } from '../src/emulator/cloudflare.ts';
import { memoryLogger } from '../src/log.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { startS3, type S3Harness } from './s3rver.ts';
import { tempDir } from './helpers.ts';
import { bucketView, differencesFromOut, readerProblems } from './reader.ts';

const BASE_URL = 'https://cdn.memora.test';
const FAST = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2_000 };
const { plans: P } = SAMPLE_IDS;

let s3: S3Harness;
let cf: CloudflareEmulator;

beforeAll(async () => {
  [s3, cf] = await Promise.all([startS3(), startCloudflareEmulator()]);
});

afterAll(async () => {
  await Promise.all([s3?.close(), cf?.close()]);
});

afterEach(() => {
  s3.clearFaults();
  cf.clearFaults();
});

/** A fresh copy of the sample cache, an output folder, and a bucket prefix of its own (a fresh storage each time). */
async function workspace() {
  const root = await tempDir();
  const cacheDir = path.join(root, 'cache');
  await cp(SAMPLE_CACHE_DIR, cacheDir, { recursive: true });
  return { cacheDir, outDir: path.join(root, 'out') };
}

let bucketCounter = 0;
async function freshBucket(): Promise<S3Harness> {
  // One s3rver, one bucket per test: a second harness keeps the tests independent.
  bucketCounter++;
  return startS3({ bucket: `memora-test-${bucketCounter}` });
}

/** A fresh bucket, a fresh workspace and a storage client for one test. */
async function withBucket(test: (h: S3Harness, ws: { cacheDir: string; outDir: string }, storage: Storage) => Promise<void>): Promise<void> {
  const h = await freshBucket();
  const ws = await workspace();
  const storage = h.storage();
  try {
    await test(h, ws, storage);
  } finally {
    await storage.close();
    await h.close();
  }
}

function purger(): CloudflarePurger {
  return new CloudflarePurger({ apiUrl: cf.apiUrl, zoneId: '023e105f4ecef8ad9ca31a8372d0c353', token: 'cf-test-token', log: memoryLogger(), retry: FAST, minIntervalMs: 0 });
}

async function run(ws: { cacheDir: string; outDir: string }, storage: Storage, extra: Partial<DeployOptions> = {}) {
  const p = purger();
  try {
    return await deploy({
      cacheDir: ws.cacheDir,
      outDir: ws.outDir,
      plans: [],
      force: false,
      dryRun: false,
      client: null,
      storage,
      purger: p,
      baseUrl: BASE_URL,
      concurrency: 8,
      trigger: 'test',
      log: memoryLogger(),
      retry: FAST,
      ...extra,
    });
  } finally {
    await p.close();
  }
}

async function editCache(cacheDir: string, edit: (docs: Awaited<ReturnType<typeof readCache>>['docs']) => void, doctypes: (typeof DOCTYPES)[keyof typeof DOCTYPES][]) {
  const { docs } = await readCache(cacheDir);
  edit(docs);
  await writeCache(cacheDir, { replace: Object.fromEntries(doctypes.map((d) => [d, docs[d]])), fsync: false });
}

/** Every object of the output folder's files (storedKeys: its version, and its alias unless stored as versions only) is in the bucket with its bytes and headers, and no other alias is. */
async function expectBucketEqualsOut(storage: Storage, outDir: string): Promise<void> {
  expect(await differencesFromOut(await bucketView(storage), outDir)).toEqual([]);
  const tree = await readOutTree(outDir);
  for (const file of tree.files.values()) {
    for (const key of storedKeys(file.key, file.hash)) {
      const object = await storage.head(key);
      expect(object?.contentType, key).toBe(CONTENT_TYPE);
      expect(object?.cacheControl, key).toBe(cacheControlFor(key));
    }
  }
}

/** The aliases among keys (what changed for readers). */
function aliasesOf(keys: readonly string[]): string[] {
  return keys.filter((k) => parseKey(k)?.version === null).sort();
}

/** The keys PUT, in the order first written (each once, whatever a busy machine made the storage client retry). */
function puts(h: S3Harness, prefix = ''): string[] {
  return [...new Set(h.requests.filter((r) => r.method === 'PUT' && r.key.startsWith(prefix) && !r.key.startsWith('_deploy/')).map((r) => r.key))];
}

describe('deploy to S3', () => {
  it('uploads the whole tree into an empty bucket, then nothing the second time', async () => {
    await withBucket(async (h, ws, storage) => {
      const first = await run(ws, storage);
      expect(first.status).toBe('success');
      await expectBucketEqualsOut(storage, ws.outDir);
      const tree = await readOutTree(ws.outDir);
      expect(aliasesOf(first.uploaded)).toEqual([...tree.files.keys()].sort());
      expect(first.uploaded).toHaveLength(2 * tree.files.size);
      expect(first.purge.urls).toBe(0); // nothing was cached before

      h.resetRequests();
      cf.resetRequests();
      const second = await run(ws, storage);
      expect(second.uploaded).toEqual([]);
      expect(second.deleted).toEqual([]);
      expect(second.purge.requests).toBe(0);
      expect(puts(h)).toEqual([]);
      expect(h.requests.filter((r) => r.method === 'GET' && r.query.includes('list-type'))).toEqual([]);
      // One state read (while the build runs, so checked with a HEAD: nothing is claimed), one report and one state write.
      expect(h.requests.map((r) => `${r.method} ${r.key}`).filter((r) => !r.includes('_deploy/history/'))).toEqual([`GET ${STATE_KEY}`, `HEAD ${STATE_KEY}`, `PUT ${STATE_KEY}`]);
    });
  });

  it('uploads and purges exactly the files that show an edited lesson title', async () => {
    await withBucket(async (h, ws, storage) => {
      await run(ws, storage);
      const before = await readOutTree(ws.outDir);
      const lessonName = 'n1p2h3o4t5';
      await editCache(ws.cacheDir, (docs) => {
        const lesson = docs[DOCTYPES.lesson].find((l) => l.name === lessonName) as RawDoc;
        lesson.title = 'A brand new title';
      }, [DOCTYPES.lesson]);
      h.resetRequests();
      cf.resetRequests();
      const purgesBefore = cf.purges.length;
      const report = await run(ws, storage);
      const after = await readOutTree(ws.outDir);
      const changed = [...after.files.values()].filter((f) => before.files.get(f.key)?.hash !== f.hash).map((f) => f.key).sort();
      expect(changed).toContain(`lessons/${lessonName}.json`);
      expect(changed.length).toBeLessThan(15);
      // Each changed file's version, then its alias.
      const versions = changed.map((k) => versionKey(k, after.files.get(k)?.hash ?? ''));
      expect(report.uploaded).toEqual([...changed, ...versions].sort());
      expect(puts(h).sort()).toEqual([...changed, ...versions].sort());
      const lastVersion = Math.max(...versions.map((v) => puts(h).indexOf(v)));
      expect(Math.min(...changed.map((k) => puts(h).indexOf(k)))).toBeGreaterThan(lastVersion);
      const purged = cf.purges.slice(purgesBefore).flatMap((p) => p.files).sort();
      // Every changed alias (frontends may fetch any seed path); versions never.
      expect(changed.some((k) => kindOfKey(k) === 'subject')).toBe(true);
      expect(purged).toEqual(changed.map((k) => publicUrl(BASE_URL, k)).sort());
      expect(purged).toContain(publicUrl(BASE_URL, `lessons/${lessonName}.json`));
      expect(purged.some((u) => u.endsWith('/manifest.json'))).toBe(true);
      expect(report.purge.requests).toBe(1);
      // The state is written twice: the claim (lease and intent) before the first upload, the
      // release at the end; a deploy shorter than the checkpoint interval writes no checkpoint.
      const writes = h.requests.map((r, i) => ({ ...r, i })).filter((r) => r.method === 'PUT' && !r.key.startsWith('_deploy/history/'));
      expect(writes.filter((r) => r.key === STATE_KEY).map((r) => r.i)).toEqual([writes[0]?.i, writes.at(-1)?.i]);
      const released = (await StateStore.load(storage)).state;
      expect(released.lease).toBeNull();
      expect(released.unsettled).toEqual([]);
      await expectBucketEqualsOut(storage, ws.outDir);
    });
  });

  it('deletes a lesson, a subject in several plans and a whole plan, updating parents and purging', async () => {
    await withBucket(async (_h, ws, storage) => {
      await run(ws, storage);
      const before = await readOutTree(ws.outDir);
      const lesson = 'n1p2h3o4t5';
      const subject = SAMPLE_IDS.subjects.science;
      const subjectPlans = [...before.plans].filter(([, keys]) => [...keys].some((k) => k.endsWith(`/subjects/${encodeSegment(subject)}.json`))).map(([p]) => p);
      expect(subjectPlans.length).toBeGreaterThan(1);
      await editCache(ws.cacheDir, (docs) => {
        docs[DOCTYPES.lesson] = docs[DOCTYPES.lesson].filter((l) => l.name !== lesson);
        docs[DOCTYPES.subject] = docs[DOCTYPES.subject].filter((s) => s.name !== subject);
        docs[DOCTYPES.plan] = docs[DOCTYPES.plan].filter((p) => p.name !== P.summerBridge);
      }, [DOCTYPES.lesson, DOCTYPES.subject, DOCTYPES.plan]);
      const purgesBefore = cf.purges.length;
      const report = await run(ws, storage);
      expect(report.status).toBe('success');
      expect(report.deleted).toContain(`lessons/${lesson}.json`);
      for (const plan of subjectPlans) if (plan !== P.summerBridge) expect(report.deleted).toContain(`plans/${encodeSegment(plan)}/subjects/${encodeSegment(subject)}.json`);
      expect(report.deleted).toContain(`plans/${encodeSegment(P.summerBridge)}/manifest.json`);
      expect(report.deleted.filter((k) => k.startsWith(`plans/${encodeSegment(P.summerBridge)}/`))).toEqual([...(before.plans.get(P.summerBridge) ?? [])].filter((k) => k.startsWith('plans/')).sort());
      const purged = new Set(cf.purges.slice(purgesBefore).flatMap((p) => p.files));
      // Deleted aliases are purged; their versions stay for the retention period.
      for (const key of report.deleted) expect(purged.has(publicUrl(BASE_URL, key)), key).toBe(true);
      expect(report.deleted.every((k) => parseKey(k)?.version === null)).toBe(true);
      await expectBucketEqualsOut(storage, ws.outDir);
      expect(report.changed_plans).toContain(P.summerBridge);
    });
  });

  it('retries transient storage failures, keeps persistent ones out of the state, and dead-letters them after 3 runs', async () => {
    await withBucket(async (h, ws, storage) => {
      await run(ws, storage);
      const lesson = 'n1p2h3o4t5';
      await editCache(ws.cacheDir, (docs) => {
        (docs[DOCTYPES.lesson].find((l) => l.name === lesson) as RawDoc).title = 'Edited under faults';
        docs[DOCTYPES.lesson] = docs[DOCTYPES.lesson].filter((l) => l.name !== 'n2l3e4a5f6');
      }, [DOCTYPES.lesson]);

      // Transient: one 503 SlowDown on the lesson, retried within the run.
      h.addFault({ match: (r) => r.method === 'PUT' && r.key === `lessons/${lesson}.json`, kind: 'status', status: 503, code: 'SlowDown', times: 1 });
      const ws2 = { ...ws, outDir: `${ws.outDir}-2` };
      await cp(ws.cacheDir, `${ws.cacheDir}-2`, { recursive: true });
      const transient = await run({ cacheDir: `${ws.cacheDir}-2`, outDir: ws2.outDir }, storage);
      expect(transient.status).toBe('success');
      expect(transient.uploaded).toContain(`lessons/${lesson}.json`);

      // Persistent: the new version of the lesson fails every time.
      await editCache(ws.cacheDir, (docs) => {
        (docs[DOCTYPES.lesson].find((l) => l.name === lesson) as RawDoc).title = 'Edited again';
      }, [DOCTYPES.lesson]);
      h.addFault({ match: (r) => r.method === 'PUT' && r.key.startsWith(`lessons/${lesson}~`), kind: 'status', status: 500, code: 'InternalError', times: 1_000 });
      let failing = '';
      const state = async () => (await StateStore.load(storage)).state;
      for (let attempt = 1; attempt <= 3; attempt++) {
        const report = await run(ws, storage);
        failing = versionKey(`lessons/${lesson}.json`, (await readOutTree(ws.outDir)).files.get(`lessons/${lesson}.json`)?.hash ?? '');
        expect(report.status).toBe('failed');
        expect(report.failures.map((f) => f.key)).toContain(failing);
        // The lesson's alias and the files linking the failed version keep their deployed bytes.
        expect(report.held_back).toContain(`lessons/${lesson}.json`);
        expect(report.held_back.some((k) => kindOfKey(k) === 'manifest')).toBe(true);
        expect(report.uploaded.some((k) => report.held_back.includes(k))).toBe(false);
        const s = await state();
        expect(s.failures[failing]?.runs).toBe(attempt);
        expect(report.dead_letters.map((d) => d.key).includes(failing)).toBe(attempt >= 3);
      }
      h.clearFaults();
      const healed = await run(ws, storage);
      expect(healed.status).toBe('success');
      expect(healed.dead_letters).toEqual([]);
      expect((await state()).failures).toEqual({});
      await expectBucketEqualsOut(storage, ws.outDir);
    });
  });

  it('keeps the failures of plans a --plan deploy does not touch', async () => {
    await withBucket(async (h, ws, storage) => {
      await run(ws, storage);
      const lesson = 'n1p2h3o4t5';
      const key = `lessons/${lesson}.json`;
      await editCache(ws.cacheDir, (docs) => {
        (docs[DOCTYPES.lesson].find((l) => l.name === lesson) as RawDoc).title = 'Edited while failing';
      }, [DOCTYPES.lesson]);
      h.addFault({ match: (r) => r.method === 'PUT' && r.key === key, kind: 'status', status: 500, code: 'InternalError', times: 1_000 });
      expect((await run(ws, storage)).status).toBe('failed');
      const tree = await readOutTree(ws.outDir);
      const other = [...tree.plans].find(([, keys]) => !keys.has(key))?.[0];
      if (!other) throw new Error('every plan shows the lesson');
      await run(ws, storage, { plans: [other] });
      expect((await StateStore.load(storage)).state.failures[key]?.runs).toBe(1);
    });
  });

  it('stops loudly when another deploy wrote the state meanwhile', async () => {
    const h = await freshBucket();
    const storage = h.storage();
    try {
      const a = await StateStore.load(storage, { retry: FAST });
      const b = await StateStore.load(storage, { retry: FAST });
      a.recordUpload('lessons/a.json', 'x', '2026-11-29T00:00:00.000Z');
      await a.flush();
      b.recordUpload('lessons/b.json', 'y', '2026-11-29T00:00:00.000Z');
      await expect(b.flush()).rejects.toThrow(/another deploy changed _deploy\/state\.json/);
      const c = await StateStore.load(storage, { retry: FAST });
      expect(c.state.keys).toEqual({ 'lessons/a.json': 'x' });
    } finally {
      await storage.close();
      await h.close();
    }
  });

  it("a deploy of one plan (--plan) whose search is routed publishes the term and document files its new index names", async () => {
    // Routed search files are named by the index's `routing` as [first key, version], not by a URL:
    // a deploy that found a plan's files through URLs alone left them out of a --plan deploy.
    await withBucket(async (_h, ws, storage) => {
      // Routed from the first lesson on (threshold 0), so that a small plan has term files.
      const { docs } = generateCatalog({ plans: 1, lessons: 60, seed: 3 });
      await writeCache(ws.cacheDir, { replace: docs, fsync: false });
      const routed = { searchUnshardedMaxLessons: 0 };
      const first = await run(ws, storage, routed);
      expect(first.status).toBe('success');
      const plan = first.plans[0] as string;
      const lesson = (await readOutTree(ws.outDir)).plans.get(plan);
      const lessonKey = [...(lesson ?? [])].find((k) => k.startsWith('lessons/')) as string;
      await editCache(ws.cacheDir, (d) => {
        (d[DOCTYPES.lesson].find((l) => `lessons/${l.name}.json` === lessonKey) as RawDoc).title = 'Zebra crossings and quokkas';
      }, [DOCTYPES.lesson]);
      const one = await run(ws, storage, { ...routed, plans: [plan] });
      expect(one.status).toBe('success');
      // Term files go up as their versions only (layout.ts): no alias of theirs is written.
      expect(one.uploaded.filter((k) => kindOfKey(k) === 'search_terms' && parseKey(k)?.version !== null).length).toBeGreaterThan(0);
      expect(aliasesOf(one.uploaded).filter((k) => kindOfKey(k) === 'search_terms' || kindOfKey(k) === 'search_docs')).toEqual([]);
      await expectBucketEqualsOut(storage, ws.outDir);
      const view = await bucketView(storage);
      expect(readerProblems(view)).toEqual([]);
      // The reader follows the routing: a term file's version gone is a link to a missing file.
      const index = keys.searchIndex(plan);
      const term = [...view.keys()].find((k) => k.includes('/search/~t1~') && (view.get(index)?.toString('utf8') ?? '').includes(parseKey(k)?.version ?? '-'));
      view.delete(term as string);
      expect(readerProblems(view)).toEqual([expect.stringMatching(/links missing .*\/search\/~t1~/)]);
    });
  });

  it('a bucket an earlier release deployed (routed search files at their aliases too, state version 2) loses those aliases on the next deploy, which purges none of them', async () => {
    await withBucket(async (_h, ws, storage) => {
      const { docs } = generateCatalog({ plans: 1, lessons: 60, seed: 3 });
      await writeCache(ws.cacheDir, { replace: docs, fsync: false });
      const routed = { searchUnshardedMaxLessons: 0 };
      expect((await run(ws, storage, routed)).status).toBe('success');
      // What the earlier release left: every term and document file at its alias as well, and a state of version 2.
      const tree = await readOutTree(ws.outDir);
      const routedFiles = [...tree.files.values()].filter((f) => f.kind === 'search_terms' || f.kind === 'search_docs');
      expect(routedFiles.length).toBeGreaterThan(1);
      for (const f of routedFiles) {
        await storage.put(f.key, await readFile(path.join(ws.outDir, ...f.key.split('/'))), { contentType: CONTENT_TYPE, cacheControl: cacheControlFor(f.key) });
      }
      const state = JSON.parse(((await storage.get(STATE_KEY))?.body ?? Buffer.alloc(0)).toString('utf8')) as Record<string, unknown>;
      delete state.strays;
      await storage.put(STATE_KEY, Buffer.from(JSON.stringify({ ...state, version: 2 })), { contentType: CONTENT_TYPE, cacheControl: 'no-store' });
      expect(await differencesFromOut(await bucketView(storage), ws.outDir)).toEqual(routedFiles.map((f) => `an alias of a file stored as its version only: ${f.key}`).sort());

      const lessonKey = [...tree.files.keys()].find((k) => k.startsWith('lessons/')) as string;
      await editCache(ws.cacheDir, (d) => {
        (d[DOCTYPES.lesson].find((l) => `lessons/${l.name}.json` === lessonKey) as RawDoc).title = 'Zebra crossings and quokkas';
      }, [DOCTYPES.lesson]);
      // A dry run says the same: the old aliases to delete, and no alias of a routed file to write.
      const dry = await run(ws, storage, { ...routed, dryRun: true });
      expect(dry.deleted).toEqual(routedFiles.map((f) => f.key).sort());
      expect(dry.uploaded.filter((k) => parseKey(k)?.version === null && /\/search\/~[td]\d+\.json$/.test(k))).toEqual([]);
      expect(dry.uploaded.length).toBeGreaterThan(0);
      const purgesBefore = cf.purges.length;
      const next = await run(ws, storage, routed);
      expect(next.status).toBe('success');
      expect(next.reconciled?.reason).toMatch(/earlier release/);
      expect(next.deleted).toEqual(routedFiles.map((f) => f.key).sort());
      await expectBucketEqualsOut(storage, ws.outDir);
      expect(readerProblems(await bucketView(storage))).toEqual([]);
      const purged = cf.purges.slice(purgesBefore).flatMap((p) => p.files);
      expect(purged).toContain(`${BASE_URL}/${lessonKey}`);
      expect(purged.filter((u) => /\/search\/~[td]\d+/.test(u))).toEqual([]);
      const stored = await StateStore.load(storage);
      expect(stored.uncleanReason).toBeNull();
      expect(stored.strays).toEqual([]);
    });
  });

  it('writes nothing on a dry run, and limits itself to the named plans', async () => {
    await withBucket(async (h, ws, storage) => {
      const dry = await run(ws, storage, { dryRun: true });
      expect(dry.status).toBe('dry-run');
      expect(dry.uploaded.length).toBeGreaterThan(0);
      expect(h.requests.filter((r) => r.method === 'PUT' || r.method === 'DELETE' || r.method === 'POST')).toEqual([]);

      const one = await run(ws, storage, { plans: [P.grade7English] });
      const tree = await readOutTree(ws.outDir);
      expect(aliasesOf(one.uploaded)).toEqual([...(tree.plans.get(P.grade7English) ?? [])].sort());
      expect(one.uploaded).toHaveLength(2 * aliasesOf(one.uploaded).length);
      const forced = await run(ws, storage, { plans: [P.grade7English], force: true });
      expect(forced.uploaded.sort()).toEqual(one.uploaded.sort());
      expect(forced.purge.urls).toBe(keysToPurge(forced.uploaded).length);
      expect(forced.purge.urls).toBeGreaterThan(0);
      expect(forced.purge.urls).toBeLessThan(forced.uploaded.length);
    });
  });
});
