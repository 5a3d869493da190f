import { cp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR } from '../samples/catalog.ts';
import { build } from '../src/build/build.ts';
import { readCache, writeCache } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import type { RawDoc } from '../src/content/raw.ts';
import { deploy } from '../src/deploy/deploy.ts';
import { readOutTree } from '../src/deploy/inventory.ts';
import { LEASE_TTL_MS } from '../src/deploy/lease.ts';
import { StateStore } from '../src/deploy/state.ts';
import { createDirectoryStorage } from '../src/deploy/storage/directory.ts';
import type { Storage } from '../src/deploy/storage/types.ts';
import { Random } from '../src/generate/random.ts';
import { memoryLogger } from '../src/log.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { startS3, type S3Harness } from './s3rver.ts';
import { deployKilledAt } from './converge.ts';
import { bucketView, differencesFromOut, readerProblems } from './reader.ts';
import { tempDir } from './helpers.ts';

const FAST = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2_000 };

async function sampleWorkspace() {
  const root = await tempDir();
  const cacheDir = path.join(root, 'cache');
  await cp(SAMPLE_CACHE_DIR, cacheDir, { recursive: true });
  return { root, cacheDir, outDir: path.join(root, 'out') };
}

/** Edits that add, change and remove files across plans. */
async function editSample(cacheDir: string): Promise<void> {
  const { docs } = await readCache(cacheDir);
  const lessons = docs[DOCTYPES.lesson];
  (lessons.find((l) => l.name === 'n1p2h3o4t5') as RawDoc).title = 'Edited title';
  const template = lessons.find((l) => l.name === 'n1p2h3o4t5') as RawDoc;
  lessons.push({ ...structuredClone(template), name: 'newlesson01', title: 'A new lesson', sort_order: 99 });
  docs[DOCTYPES.lesson] = lessons.filter((l) => l.name !== 'n2l3e4a5f6');
  docs[DOCTYPES.subject] = docs[DOCTYPES.subject].filter((s) => s.name !== 'sc7k2p8v1n');
  await writeCache(cacheDir, { replace: { [DOCTYPES.lesson]: docs[DOCTYPES.lesson], [DOCTYPES.subject]: docs[DOCTYPES.subject] }, fsync: false });
}

describe('a reader during a deploy', () => {
  it('never sees a manifest, subject, index or unit that links a missing object', async () => {
    const ws = await sampleWorkspace();
    const inner = createDirectoryStorage(path.join(ws.root, 'bucket'));
    // A reader's view of the bucket after every write or delete, while uploads run concurrently.
    const view = new Map<string, Buffer>();
    const broken: string[] = [];
    const check = (after: string): void => {
      for (const problem of readerProblems(view)) broken.push(`after ${after}: ${problem}`);
    };
    const storage: Storage = {
      ...inner,
      description: inner.description,
      bucket: inner.bucket,
      requests: inner.requests,
      get: (k) => inner.get(k),
      head: (k) => inner.head(k),
      list: (p) => inner.list(p),
      close: () => inner.close(),
      async put(key, body, options) {
        const result = await inner.put(key, body, options);
        if (!key.startsWith('_deploy/')) {
          view.set(key, body);
          check(`PUT ${key}`);
        }
        return result;
      },
      async deleteMany(keys) {
        const result = await inner.deleteMany(keys);
        for (const key of result.deleted) view.delete(key);
        check(`DELETE ${keys.join(',')}`);
        return result;
      },
    };
    const options = { cacheDir: ws.cacheDir, outDir: ws.outDir, plans: [], force: false, dryRun: false, client: null, storage, purger: null, concurrency: 8, trigger: 'test', log: memoryLogger(), retry: FAST };
    const first = await deploy(options);
    expect(first.uploaded.length).toBeGreaterThan(50);
    await editSample(ws.cacheDir);
    const second = await deploy(options);
    expect(second.uploaded.length).toBeGreaterThan(0);
    expect(second.deleted.length).toBeGreaterThan(0);
    expect(broken).toEqual([]);
  });
});

describe('a deploy killed at any moment', () => {
  let s3: S3Harness;
  beforeAll(async () => {
    s3 = await startS3({ bucket: 'memora-kill' });
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('converges on the next run to the bucket and state of an uninterrupted deploy', async () => {
    const random = new Random(4242);
    const ws = await sampleWorkspace();
    const storage = s3.storage();
    try {
      // The killed deploy's lease would block the next one for up to LEASE_TTL_MS: its clock runs ahead.
      const now = () => Date.now() + LEASE_TTL_MS;
      const options = { cacheDir: ws.cacheDir, outDir: ws.outDir, plans: [], force: false, dryRun: false, client: null, storage, purger: null, concurrency: 4, trigger: 'test', log: memoryLogger(), retry: FAST, now };
      await build({ cacheDir: ws.cacheDir, outDir: ws.outDir, log: memoryLogger() });
      const files = (await readOutTree(ws.outDir)).files.size;
      // A full deploy into the empty bucket, killed early, midway and late; then an edit, killed midway.
      for (const nth of [2, random.int(3, files), files + 1]) {
        await deployKilledAt(s3, ws, nth);
        expect((await deploy(options)).status).toBe('success');
        const tree = await readOutTree(ws.outDir);
        const bucket = await bucketView(storage);
        expect(await differencesFromOut(bucket, ws.outDir)).toEqual([]);
        const state = (await StateStore.load(storage)).state;
        expect(state.keys).toEqual(Object.fromEntries([...tree.files.values()].map((f) => [f.key, f.hash])));
        // Start the next round from an empty bucket.
        await storage.deleteMany([...bucket.keys(), '_deploy/state.json']);
      }
      await deploy(options);
      await editSample(ws.cacheDir);
      await deployKilledAt(s3, ws, 4);
      const healed = await deploy(options);
      expect(healed.status).toBe('success');
      const tree = await readOutTree(ws.outDir);
      const bucket = await bucketView(storage);
      expect(await differencesFromOut(bucket, ws.outDir)).toEqual([]);
      const state = (await StateStore.load(storage)).state;
      expect(state.keys).toEqual(Object.fromEntries([...tree.files.values()].map((f) => [f.key, f.hash])));
    } finally {
      await storage.close();
    }
  });

  it('converges with a routed plan (term and document files stored as versions only), killed in its first deploy and in a title edit', async () => {
    const root = await tempDir();
    const ws = { cacheDir: path.join(root, 'cache'), outDir: path.join(root, 'out') };
    // One plan of about 600 lessons: over the 500 of an unsharded index, so its search is routed.
    const { docs } = generateCatalog({ plans: 1, lessons: 650, seed: 5 });
    await writeCache(ws.cacheDir, { replace: docs, fsync: false });
    const storage = s3.storage();
    const converged = async () => {
      const tree = await readOutTree(ws.outDir);
      const bucket = await bucketView(storage);
      expect(await differencesFromOut(bucket, ws.outDir)).toEqual([]);
      expect(readerProblems(bucket)).toEqual([]);
      const state = (await StateStore.load(storage)).state;
      expect(state.keys).toEqual(Object.fromEntries([...tree.files.values()].map((f) => [f.key, f.hash])));
      return tree;
    };
    try {
      const now = () => Date.now() + LEASE_TTL_MS;
      const options = { cacheDir: ws.cacheDir, outDir: ws.outDir, plans: [], force: false, dryRun: false, client: null, storage, purger: null, concurrency: 4, trigger: 'test', log: memoryLogger(), retry: FAST, now };
      await build({ cacheDir: ws.cacheDir, outDir: ws.outDir, log: memoryLogger() });
      const files = (await readOutTree(ws.outDir)).files;
      expect([...files.values()].filter((f) => f.kind === 'search_terms').length).toBeGreaterThan(5);
      await deployKilledAt(s3, ws, Math.floor(files.size / 2));
      expect((await deploy(options)).status).toBe('success');
      const before = await converged();

      // Title edits change term files of the plan: each deploy killed early (among the versions),
      // later (term versions up, the index not yet switched) and last (among the aliases).
      const lesson = [...before.files.keys()].find((k) => k.startsWith('lessons/')) as string;
      let previous = before;
      for (const [i, nth] of [4, 12, 18].entries()) {
        const { docs: cached } = await readCache(ws.cacheDir);
        (cached[DOCTYPES.lesson].find((l) => `lessons/${String(l.name)}.json` === lesson) as RawDoc).title = `Quokkas and zebra crossings ${i + 1}`;
        await writeCache(ws.cacheDir, { replace: { [DOCTYPES.lesson]: cached[DOCTYPES.lesson] }, fsync: false });
        await deployKilledAt(s3, ws, nth);
        expect((await deploy(options)).status).toBe('success');
        const after = await converged();
        expect([...after.files.values()].filter((f) => f.kind === 'search_terms' && previous.files.get(f.key)?.hash !== f.hash).length).toBeGreaterThan(0);
        previous = after;
      }
    } finally {
      await storage.close();
    }
    // About 45 s alone; four and more times that beside the other long files on two cores.
  }, 420_000);
});
