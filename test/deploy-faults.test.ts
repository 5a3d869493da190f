/**
 * A fault matrix at the network boundary: each S3 operation a deploy makes (state read and
 * write, version and alias uploads, the reconciling listing, DeleteObjects) answered with 500,
 * 503 SlowDown, a connection reset or no answer at all, once (retried within the run) and for
 * good (the run does not exit 0, or does not claim what it did not do); Cloudflare's purge
 * answered 429 with Retry-After, 5xx and resets. After every case the faults clear and the next
 * deploy serves exactly out/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKey } from '../packages/client/src/layout.ts';
import { CloudflarePurger } from '../src/deploy/purge/cloudflare.ts';
import { STATE_KEY } from '../src/deploy/state.ts';
import type { Storage } from '../src/deploy/storage/types.ts';
import { startCloudflareEmulator, type CloudflareEmulator } from '../src/emulator/cloudflare.ts';
import { memoryLogger } from '../src/log.ts';
import { deployCatalog, FAST, tinyCatalog, tinyEditB, type Catalog } from './converge.ts';
import { bucketView, differencesFromOut, readerProblems } from './reader.ts';
import { startS3, type Fault, type S3Harness } from './s3rver.ts';

let A: Catalog;
let B: Catalog;
let s3: S3Harness;
let cf: CloudflareEmulator;
let bucketCounter = 0;

beforeAll(async () => {
  [A, B, cf] = await Promise.all([tinyCatalog('faults-a'), tinyCatalog('faults-b', tinyEditB), startCloudflareEmulator()]);
});
afterAll(async () => {
  await cf?.close();
});

type Request = Parameters<Fault['match']>[0];
const OPERATIONS: Record<string, { match: (r: Request) => boolean; setup?: (storage: Storage) => Promise<void> }> = {
  'GET of the state': { match: (r) => r.method === 'GET' && r.key === STATE_KEY },
  'PUT of the state': { match: (r) => r.method === 'PUT' && r.key === STATE_KEY },
  'PUT of a version': { match: (r) => r.method === 'PUT' && parseKey(r.key)?.version !== null && parseKey(r.key) !== null },
  'PUT of an alias': { match: (r) => r.method === 'PUT' && parseKey(r.key)?.version === null },
  'the listing': {
    match: (r) => r.method === 'GET' && r.key === '' && r.query.includes('list-type'),
    // A lost state: the deploy lists the bucket before it diffs.
    setup: async (storage) => {
      await storage.deleteMany([STATE_KEY]);
    },
  },
  DeleteObjects: { match: (r) => r.method === 'POST' && r.query.includes('delete') },
};
const FAULTS: Record<string, Omit<Fault, 'match' | 'times'>> = {
  '500': { kind: 'status', status: 500, code: 'InternalError' },
  '503 SlowDown': { kind: 'status', status: 503, code: 'SlowDown' },
  'a reset connection': { kind: 'reset' },
  'no answer': { kind: 'timeout' },
};
const cases = Object.keys(OPERATIONS).flatMap((op) => Object.keys(FAULTS).map((fault) => [op, fault] as const));

async function expectServes(storage: Storage, c: Catalog): Promise<void> {
  const view = await bucketView(storage);
  expect(await differencesFromOut(view, c.outDir)).toEqual([]);
  expect(readerProblems(view)).toEqual([]);
}

describe('storage faults', () => {
  beforeAll(async () => {
    s3 = await startS3({ bucket: 'memora-faults' });
  });
  afterAll(async () => {
    await s3?.close();
  });

  /** A bucket prefix of its own is not possible with s3rver: start each case from A, cleanly. */
  async function fromA(storage: Storage): Promise<void> {
    const keys: string[] = [];
    for await (const o of storage.list('')) keys.push(o.key);
    if (keys.length > 0) await storage.deleteMany(keys);
    expect((await deployCatalog(A, storage)).status).toBe('success');
  }

  /** A storage client that gives up on a silent server soon (only where no answer is the fault). */
  const client = (fault: string) => s3.storage(FAULTS[fault]?.kind === 'timeout' ? { timeoutMs: 600 } : {});

  it.each(cases)('%s answered with %s once: retried, and the deploy succeeds', async (op, fault) => {
    const storage = client(fault);
    await fromA(storage);
    await OPERATIONS[op]?.setup?.(storage);
    let hit = 0;
    s3.addFault({ ...FAULTS[fault], match: (r) => (OPERATIONS[op] as { match: (r: Request) => boolean }).match(r) && ++hit === 1, times: 1 } as Fault);
    const report = await deployCatalog(B, storage);
    s3.clearFaults();
    expect(hit, `the deploy made a ${op}`).toBeGreaterThan(0);
    expect(report.status).toBe('success');
    await expectServes(storage, B);
  });

  it.each(cases)('%s answered with %s every time: no exit 0 that is not true, and the next deploy converges', async (op, fault) => {
    const storage = client(fault);
    await fromA(storage);
    await OPERATIONS[op]?.setup?.(storage);
    s3.addFault({ ...FAULTS[fault], match: (r) => (OPERATIONS[op] as { match: (r: Request) => boolean }).match(r) } as Fault);
    let outcome: string;
    try {
      outcome = (await deployCatalog(B, storage)).status;
    } catch {
      outcome = 'stopped';
    }
    s3.clearFaults();
    if (outcome === 'success') await expectServes(storage, B);
    else expect(['failed', 'stopped']).toContain(outcome);
    // Whatever was left behind (a lease, unsettled keys): once the fault is gone, converge.
    const next = await deployCatalog(B, storage, { now: () => Date.now() + 10 * 60_000 });
    expect(next.status).toBe('success');
    await expectServes(storage, B);
  });
});

describe('Cloudflare faults', () => {
  const storageFaults = () => s3.storage();
  beforeAll(async () => {
    s3 = await startS3({ bucket: `memora-cf-faults-${++bucketCounter}` });
  });
  afterAll(async () => {
    await s3?.close();
  });

  function purger(): CloudflarePurger {
    return new CloudflarePurger({ apiUrl: cf.apiUrl, zoneId: '023e105f4ecef8ad9ca31a8372d0c353', token: 'cf-test-token', log: memoryLogger(), retry: FAST, minIntervalMs: 0 });
  }

  it.each([
    ['429 with Retry-After', { kind: 'status', status: 429, retryAfter: 1 }],
    ['502', { kind: 'status', status: 502 }],
    ['a reset connection', { kind: 'reset' }],
  ] as const)('a purge answered with %s: retried once, failing for good kept for the next deploy', async (_name, fault) => {
    const storage = storageFaults();
    const p = purger();
    try {
      await deployCatalog(A, storage, { purger: p, baseUrl: 'https://cdn.memora.test' });
      cf.addFault({ ...fault, times: 1 });
      const once = await deployCatalog(B, storage, { purger: p, baseUrl: 'https://cdn.memora.test' });
      expect(once.status).toBe('success');
      expect(once.purge.failed).toBe(0);
      expect(once.purge.urls).toBeGreaterThan(0);

      cf.addFault({ ...fault, times: 1_000 });
      const always = await deployCatalog(A, storage, { purger: p, baseUrl: 'https://cdn.memora.test' });
      cf.clearFaults();
      expect(always.status).toBe('failed');
      expect(always.purge.failed).toBeGreaterThan(0);
      // The bucket is right; only the cache may be stale, and the next deploy purges those URLs.
      await expectServes(storage, A);
      const purgesBefore = cf.purges.length;
      const next = await deployCatalog(A, storage, { purger: p, baseUrl: 'https://cdn.memora.test' });
      expect(next.status).toBe('success');
      expect(next.purge.urls).toBe(always.purge.failed);
      expect(cf.purges.length).toBeGreaterThan(purgesBefore);
    } finally {
      await p.close();
      await s3.storage().deleteMany([STATE_KEY]);
    }
  });
});
