/**
 * A fault matrix at the network boundary, each fault once: each S3 operation a deploy makes
 * (test/storage-faults.ts) answered with 500, 503 SlowDown, a connection reset or no answer at
 * all, once (retried within the run, and the deploy succeeds); Cloudflare's purge answered 429
 * with Retry-After, 5xx and resets, once and for good. The same storage faults for good are in
 * test/deploy-faults-lasting.test.ts. After every case the next deploy serves exactly out/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflarePurger } from '../src/deploy/purge/cloudflare.ts';
import { STATE_KEY } from '../src/deploy/state.ts';
import { startCloudflareEmulator, type CloudflareEmulator } from '../src/emulator/cloudflare.ts';
import { memoryLogger } from '../src/log.ts';
import { deployCatalog, FAST, tinyCatalog, tinyEditB, type Catalog } from './converge.ts';
import { startS3, type S3Harness } from './s3rver.ts';
import { cases, expectServes, faultClient, faultOn, fromA, OPERATIONS } from './storage-faults.ts';

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

describe('storage faults once', () => {
  beforeAll(async () => {
    s3 = await startS3({ bucket: 'memora-faults' });
  });
  afterAll(async () => {
    await s3?.close();
  });

  it.each(cases)('%s answered with %s once: retried, and the deploy succeeds', async (op, fault) => {
    const storage = faultClient(s3, fault);
    await fromA(storage, A);
    await OPERATIONS[op]?.setup?.(storage);
    let hit = 0;
    s3.addFault({ ...faultOn(op, fault, () => ++hit === 1), times: 1 });
    const report = await deployCatalog(B, storage);
    s3.clearFaults();
    expect(hit, `the deploy made a ${op}`).toBeGreaterThan(0);
    expect(report.status).toBe('success');
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
    // Retry-After is honoured on a clock of the test's own: waits advance it instead of passing.
    let t = Date.now();
    return new CloudflarePurger({
      apiUrl: cf.apiUrl,
      zoneId: '023e105f4ecef8ad9ca31a8372d0c353',
      token: 'cf-test-token',
      log: memoryLogger(),
      retry: FAST,
      minIntervalMs: 0,
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
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
