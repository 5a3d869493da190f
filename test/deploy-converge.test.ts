/**
 * Exit 0 means the CDN is right: whatever happened before (a deploy killed, state writes
 * refused, an upload refused, a race, an undone edit), the next deploy that exits 0 leaves the
 * bucket serving exactly out/, as a reader crawling from the manifests sees it.
 */
import { once } from 'node:events';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseKey } from '../packages/client/src/layout.ts';
import { CloudflarePurger } from '../src/deploy/purge/cloudflare.ts';
import { publicUrl } from '../src/deploy/purge/urls.ts';
import { CHECKPOINT_INTERVAL_MS, StateStore, STATE_KEY } from '../src/deploy/state.ts';
import { startCloudflareEmulator, type CloudflareEmulator } from '../src/emulator/cloudflare.ts';
import { createDirectoryStorage } from '../src/deploy/storage/directory.ts';
import type { Storage } from '../src/deploy/storage/types.ts';
import { memoryLogger } from '../src/log.ts';
import { tempDir } from './helpers.ts';
import { catalog, deployCatalog, deployKilledAt, editB, editC, expectConverged as expectServes, FAST, later, withBucket, type Catalog } from './converge.ts';
import { bucketView, readerProblems } from './reader.ts';
import type { S3Harness } from './s3rver.ts';

let A: Catalog;
let B: Catalog;
let C: Catalog;

beforeAll(async () => {
  [A, B, C] = await Promise.all([catalog('a'), catalog('b', editB), catalog('c', editC)]);
});



/** Data writes (not the deploy state or reports) among the proxy's recorded commits. */
function dataCommits(s3: S3Harness): string[] {
  return s3.commits.filter((c) => !c.key.startsWith('_deploy/')).map((c) => `${c.op} ${c.key}`);
}


describe('an undone edit after an unfinished deploy', () => {
  it('A, then B killed midway, then A again: the bucket serves A', async () => {
    await withBucket(async (s3, storage) => {
      await deployCatalog(A, storage);
      for (const nth of [1, 6, 13]) {
        await deployKilledAt(s3, B, nth, { afterClaim: true });
        const report = await deployCatalog(A, storage, { now: later });
        expect(report.status).toBe('success');
        expect(report.reconciled?.reason).toMatch(/did not finish/);
        await expectServes(storage, A);
      }
    });
  });

  it('A, then B with every state write refused, then A: B writes nothing and fails', async () => {
    await withBucket(async (s3, storage) => {
      await deployCatalog(A, storage);
      s3.resetCommits();
      s3.addFault({ match: (r) => r.method === 'PUT' && r.key === STATE_KEY, kind: 'status', status: 503, code: 'SlowDown' });
      await expect(deployCatalog(B, storage)).rejects.toThrow(/SlowDown|503/);
      expect(dataCommits(s3)).toEqual([]);
      s3.clearFaults();
      const report = await deployCatalog(A, storage);
      expect(report.status).toBe('success');
      expect(report.uploaded).toEqual([]);
      await expectServes(storage, A);
    });
  });

  it('A, then B whose state writes fail after its claim, then A: the next deploy compares with the bucket', async () => {
    await withBucket(async (s3, storage) => {
      await deployCatalog(A, storage);
      let stateWrites = 0;
      s3.addFault({ match: (r) => r.method === 'PUT' && r.key === STATE_KEY && ++stateWrites > 1, kind: 'status', status: 500, code: 'InternalError' });
      await expect(deployCatalog(B, storage)).rejects.toThrow(/InternalError|500/);
      expect(stateWrites).toBeGreaterThan(1);
      s3.clearFaults();
      const left = await StateStore.load(storage, { retry: FAST });
      expect(left.state.lease).not.toBeNull();
      expect(left.state.unsettled.length).toBeGreaterThan(0);
      const report = await deployCatalog(A, storage, { now: later });
      expect(report.status).toBe('success');
      expect(report.reconciled?.reason).toMatch(/did not finish/);
      expect(report.uploaded.length).toBeGreaterThan(0);
      await expectServes(storage, A);
    });
  });

  it('A, then B with a unit upload refused, then A: the bucket serves A', async () => {
    await withBucket(async (s3, storage) => {
      await deployCatalog(A, storage);
      s3.addFault({ match: (r) => r.method === 'PUT' && r.key === 'units/u2e5q7r9t1.json', kind: 'status', status: 403, code: 'AccessDenied' });
      const failed = await deployCatalog(B, storage);
      expect(failed.status).toBe('failed');
      expect(failed.failures.some((f) => f.key.startsWith('units/'))).toBe(true);
      expect(readerProblems(await bucketView(storage))).toEqual([]);
      s3.clearFaults();
      const report = await deployCatalog(A, storage);
      expect(report.status).toBe('success');
      await expectServes(storage, A);
      // And forward again to B, then C.
      expect((await deployCatalog(B, storage)).status).toBe('success');
      await expectServes(storage, B);
      expect((await deployCatalog(C, storage)).status).toBe('success');
      await expectServes(storage, C);
    });
  });

  it('a bucket whose state was deleted: the next deploy lists it and removes what out/ does not have', async () => {
    await withBucket(async (_s3, storage) => {
      await deployCatalog(A, storage);
      await storage.deleteMany([STATE_KEY]);
      const report = await deployCatalog(B, storage);
      expect(report.status).toBe('success');
      expect(report.reconciled?.reason).toMatch(/no deploy state/);
      expect(report.deleted.length).toBeGreaterThan(0);
      await expectServes(storage, B);
    });
  });
});

describe('the lease: one writer per bucket', () => {
  /** Claims the lease as another deploy would, and leaves it held. */
  async function holdLease(storage: Storage, now: () => number): Promise<StateStore> {
    const other = await StateStore.load(storage, { retry: FAST, now });
    await other.claim('other-deploy', 'schedule', new Date(now()), []);
    other.abandon();
    return other;
  }

  /** The storage, calling `then` once after the first read of the state (the read a deploy makes while it builds). */
  function afterFirstRead(storage: Storage, then: () => Promise<unknown>): Storage {
    let first = true;
    return {
      ...storage,
      async get(key) {
        const found = await storage.get(key);
        if (key === STATE_KEY && first) {
          first = false;
          await then();
        }
        return found;
      },
    };
  }

  it('reads the state while it builds: a lease seen then that ended since costs no wait', async () => {
    await withBucket(async (_s3, storage) => {
      await deployCatalog(A, storage);
      const other = await holdLease(storage, Date.now);
      const waits: number[] = [];
      const sleep = async (ms: number) => {
        waits.push(ms);
      };
      const report = await deployCatalog(B, afterFirstRead(storage, () => other.release()), { sleep });
      expect(report.status).toBe('success');
      expect(report.reconciled).toBeNull();
      expect(waits).toEqual([]);
      await expectServes(storage, B);
    });
  });

  it('reads the state while it builds: a deploy that wrote since makes it read the state again before it writes', async () => {
    await withBucket(async (_s3, storage) => {
      await deployCatalog(A, storage);
      const log = memoryLogger();
      const report = await deployCatalog(B, afterFirstRead(storage, () => deployCatalog(C, storage)), { log });
      expect(report.status).toBe('success');
      expect(log.lines.join('\n')).toMatch(/another deploy changed the state while this one prepared: reading it again/);
      await expectServes(storage, B);
    });
  });

  it('reads the state while it builds: with nothing to write, it checks that state is still current before it exits 0', async () => {
    await withBucket(async (_s3, storage) => {
      await deployCatalog(B, storage);
      const log = memoryLogger();
      // Another deploy publishes C while this one builds B, which its early read says is deployed.
      const report = await deployCatalog(B, afterFirstRead(storage, () => deployCatalog(C, storage)), { log });
      expect(report.status).toBe('success');
      await expectServes(storage, B);
      expect(log.lines.join('\n')).toMatch(/another deploy changed the state while this one built: reading it again/);
    });
  });

  it('gives up after its wait, naming the holder, and writes nothing', async () => {
    await withBucket(async (s3, storage) => {
      await deployCatalog(A, storage);
      await holdLease(storage, Date.now);
      s3.resetCommits();
      let clock = Date.now();
      const waits: number[] = [];
      const sleep = async (ms: number) => {
        waits.push(ms);
        clock += ms;
      };
      await expect(deployCatalog(B, storage, { now: () => clock, sleep, lease: { waitMs: 20_000, pollMs: 5_000 } })).rejects.toThrow(/held by deploy other-deploy \(schedule, started/);
      expect(waits).toEqual([5_000, 5_000, 5_000, 5_000]);
      expect(s3.commits).toEqual([]);
    });
  });

  it('waits for a lease that expires (its holder was killed), then takes it and reconciles', async () => {
    await withBucket(async (_s3, storage) => {
      await deployCatalog(A, storage);
      let clock = Date.now();
      await holdLease(storage, () => clock);
      const sleep = async (ms: number) => {
        clock += ms;
      };
      const report = await deployCatalog(B, storage, { now: () => clock, sleep });
      expect(report.status).toBe('success');
      expect(report.reconciled?.reason).toMatch(/other-deploy .* did not finish/);
      await expectServes(storage, B);
    });
  });

  it.each([0, 2, 5, 12])('two deploys at once (the second starts at the first one\'s request %i): one writes at a time, and the next deploy converges', async (offset) => {
    await withBucket(async (_s3, base) => {
      await deployCatalog(A, base);
      const writes: string[] = [];
      let requests = 0;
      let startSecond: () => void = () => undefined;
      const secondMayStart = new Promise<void>((resolve) => (startSecond = resolve));
      if (offset === 0) startSecond();
      /** A storage client of its own per deploy, recording its data writes with its name. */
      const recording = (name: string, s: Storage, count: boolean): Storage => ({
        ...s,
        description: s.description,
        bucket: s.bucket,
        requests: s.requests,
        get: (k) => {
          if (count && ++requests === offset) startSecond();
          return s.get(k);
        },
        head: (k) => s.head(k),
        list: (p) => s.list(p),
        close: () => s.close(),
        async put(key, body, o) {
          if (count && ++requests === offset) startSecond();
          const r = await s.put(key, body, o);
          if (!key.startsWith('_deploy/')) writes.push(name);
          return r;
        },
        async deleteMany(keys) {
          if (count && ++requests === offset) startSecond();
          const r = await s.deleteMany(keys);
          if (r.deleted.length > 0) writes.push(name);
          return r;
        },
      });
      const fast = { pollMs: 10 };
      const first = deployCatalog(B, recording('B', base, true), { lease: fast });
      void first.finally(startSecond);
      const second = secondMayStart.then(() => deployCatalog(C, recording('C', base, false), { lease: fast }));
      const [b, c] = await Promise.all([first, second]);
      expect([b.status, c.status]).toEqual(['success', 'success']);
      // The writes of one deploy never interleave with the other's.
      const order = writes.filter((w, i) => i === 0 || writes[i - 1] !== w);
      expect(order.length).toBeLessThanOrEqual(2);
      await expectServes(base, order.at(-1) === 'B' ? B : C);
      expect((await deployCatalog(A, base)).status).toBe('success');
      await expectServes(base, A);
    });
  });
});

describe('a deploy that can no longer renew its lease', () => {
  it('stops writing once its lease is about to run out, and when another writer took the state', async () => {
    const dir = await tempDir('memora-lease-');
    const storage = createDirectoryStorage(path.join(dir, 'bucket'));
    let clock = Date.parse('2026-11-29T10:00:00Z');
    const timing = { ttlMs: 120_000, renewMs: 3_600_000, marginMs: 30_000 };
    const state = await StateStore.load(storage, { now: () => clock, timing });
    await state.claim('abc', 'test', new Date(clock), ['lessons/a.json']);
    expect(() => state.assertHeld()).not.toThrow();
    clock += 89_000;
    expect(() => state.assertHeld()).not.toThrow();
    clock += 2_000;
    expect(() => state.assertHeld()).toThrow(/lease on .* ran out/);
    state.abandon();

    // Another writer changes the state: the next write (a renewal or checkpoint) fails, and the deploy stops.
    const again = await StateStore.load(storage, { now: () => clock, timing: { ...timing, renewMs: 20 } });
    await again.claim('def', 'test', new Date(clock), ['lessons/b.json']);
    await storage.put(STATE_KEY, Buffer.from(JSON.stringify({ version: 2, keys: {} })), { contentType: 'application/json', cacheControl: 'no-store' });
    clock += 1_000;
    again.recordUpload('lessons/b.json', 'f'.repeat(64), new Date(clock).toISOString());
    await expect(again.release()).rejects.toThrow(/another deploy changed _deploy\/state\.json/);
  });

  it('gives its writes a signal that fires when the lease comes within half the margin of running out', async () => {
    const dir = await tempDir('memora-lease-');
    const storage = createDirectoryStorage(path.join(dir, 'bucket'));
    // Real time: the signal bounds requests in flight, which take real time.
    const state = await StateStore.load(storage, { timing: { ttlMs: 1_000, renewMs: 3_600_000, marginMs: 400 } });
    await state.claim('abc', 'test', new Date(), ['lessons/a.json']);
    const signal = state.writeSignal();
    expect(signal.aborted).toBe(false);
    expect(state.writeSignal()).toBe(signal);
    await once(signal, 'abort');
    expect((signal.reason as Error).message).toMatch(/lease on directory .* was about to run out \(it could not be renewed since /);
    // 200 ms left, under the margin: no write may start.
    expect(() => state.writeSignal()).toThrow(/lease on .* ran out/);
    state.abandon();
  });

  it('gives its writes one signal without a listener warning, however many are in flight', async () => {
    await withBucket(async (_s3, storage) => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
      process.on('warning', onWarning);
      try {
        expect((await deployCatalog(A, storage, { concurrency: 32 })).status).toBe('success');
        // Warnings are emitted on the next tick.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    });
  });

  it('does not send a write again once its lease has run out, nor start another', async () => {
    await withBucket(async (s3) => {
      // A client that gives up on a silent server soon, and a clock of the test's own.
      const storage = s3.storage({ timeoutMs: 600 });
      let clock = Date.parse('2026-11-29T10:00:00Z');
      const now = () => clock;
      expect((await deployCatalog(A, storage, { now })).status).toBe('success');
      let hung = -1;
      s3.addFault({
        // The first alias write gets no answer, and the lease runs out while the deploy waits for it.
        match: (r) => {
          if (hung !== -1 || r.method !== 'PUT' || r.key.startsWith('_deploy/') || r.key.includes('~')) return false;
          hung = s3.requests.length - 1;
          clock += 200_000;
          return true;
        },
        kind: 'timeout',
      });
      await expect(deployCatalog(B, storage, { now, concurrency: 1 })).rejects.toThrow(/lease on .* ran out/);
      await s3.settled();
      expect(hung).toBeGreaterThan(-1);
      // Not the same write again (its retry), nor any other, once the lease was gone.
      expect(s3.requests.slice(hung + 1).filter((r) => r.method !== 'GET' && !r.key.startsWith('_deploy/'))).toEqual([]);
    });
  });

  it('gives up the writes in flight when a renewal fails for good', async () => {
    await withBucket(async (s3) => {
      // A client that would wait ten minutes for an answer: only giving up the write ends it in time.
      const storage = s3.storage({ timeoutMs: 600_000 });
      expect((await deployCatalog(A, storage)).status).toBe('success');
      let hung = false;
      // The first alias write gets no answer.
      s3.addFault({ match: (r) => r.method === 'PUT' && !r.key.startsWith('_deploy/') && !r.key.includes('~') && (hung = true), kind: 'timeout', times: 1 });
      // From then on every state write is refused, so the next renewal fails while that write hangs.
      s3.addFault({ match: (r) => r.method === 'PUT' && r.key === STATE_KEY && hung, kind: 'status', status: 503 });
      const lease = { ttlMs: 120_000, renewMs: 200, marginMs: 30_000 };
      await expect(deployCatalog(B, storage, { lease, concurrency: 1 })).rejects.toThrow(/can no longer write to .*503/);
      await s3.settled();
    });
  }, 20_000);
});

describe('purges owed by an unfinished deploy', () => {
  const baseUrl = 'https://cdn.memora.test';
  const zoneId = '023e105f4ecef8ad9ca31a8372d0c353';
  const isAlias = (key: string) => parseKey(key)?.version === null;

  /** A purger of the Cloudflare emulator, and the settings that give the built command the same. */
  async function withCloudflare(test: (cf: CloudflareEmulator, purger: CloudflarePurger, env: Record<string, string>) => Promise<void>): Promise<void> {
    const cf = await startCloudflareEmulator({ token: 'cf-test-token', zoneId });
    const purger = new CloudflarePurger({ apiUrl: cf.apiUrl, zoneId, token: 'cf-test-token', log: memoryLogger(), retry: FAST, minIntervalMs: 0 });
    try {
      await test(cf, purger, { CDN_BASE_URL: baseUrl, CLOUDFLARE_ZONE_ID: zoneId, CLOUDFLARE_API_TOKEN: 'cf-test-token', CLOUDFLARE_API_URL: cf.apiUrl });
    } finally {
      await purger.close();
      await cf.close();
    }
  }

  it('killed after a progress checkpoint recorded some of its writes: the next deploy purges those aliases', async () => {
    await withCloudflare(async (cf, purger, env) => {
      await withBucket(async (s3, storage) => {
        expect((await deployCatalog(A, storage, { purger, baseUrl })).status).toBe('success');
        const deployed = new Set((await bucketView(storage)).keys());
        s3.resetCommits();
        // The first write of an alias deployed before is answered once the checkpoint spacing has
        // passed, so the batch it is in ends with a progress checkpoint; the deploy is killed at
        // the request after that.
        let delayed: string | null = null;
        const first = (r: { method: string; key: string }) => delayed === null && r.method === 'PUT' && isAlias(r.key) && deployed.has(r.key);
        s3.addFault({ match: (r) => first(r) && (delayed = r.key) !== null, kind: 'delay', delayMs: CHECKPOINT_INTERVAL_MS + 500 });
        let checkpointed = false;
        const when = (r: { method: string; key: string }) => {
          if (checkpointed) return true;
          checkpointed = r.method === 'PUT' && r.key === STATE_KEY && s3.commits.some((c) => c.key === delayed);
          return false;
        };
        await deployKilledAt(s3, B, 0, { env, when });
        expect(checkpointed).toBe(true);
        // Aliases the killed deploy changed (they were deployed before, so edges may hold them).
        const changed = [...new Set(s3.commits.filter((c) => c.op === 'put' && isAlias(c.key) && deployed.has(c.key)).map((c) => c.key))];
        expect(changed.length).toBeGreaterThan(0);
        const checkpoint = await StateStore.load(storage, { retry: FAST });
        expect(changed.filter((k) => checkpoint.unsettled.has(k))).toEqual([]);

        const purgedBefore = cf.purges.length;
        const next = await deployCatalog(B, storage, { purger, baseUrl, now: later });
        expect(next.status).toBe('success');
        const purged = new Set(cf.purges.slice(purgedBefore).flatMap((p) => p.files));
        expect(changed.map((k) => publicUrl(baseUrl, k)).filter((url) => !purged.has(url))).toEqual([]);
        await expectServes(storage, B);
        expect((await StateStore.load(storage, { retry: FAST })).state.pending_purge).toEqual([]);
      });
    });
  }, 30_000);

  it('a deletion carried out whose answer was lost: the next deploy purges the deleted aliases', async () => {
    await withCloudflare(async (cf, purger) => {
      await withBucket(async (s3, storage) => {
        expect((await deployCatalog(A, storage, { purger, baseUrl })).status).toBe('success');
        const deployed = new Set((await bucketView(storage)).keys());
        s3.addFault({ match: (r) => r.method === 'POST' && r.query.includes('delete'), kind: 'lost-answer' });
        const failed = await deployCatalog(B, storage, { purger, baseUrl });
        s3.clearFaults();
        expect(failed.status).toBe('failed');
        // The deletions happened, though the deploy could not know it.
        const after = await bucketView(storage);
        const gone = [...deployed].filter((k) => isAlias(k) && !after.has(k));
        expect(gone.length).toBeGreaterThan(0);

        const purgedBefore = cf.purges.length;
        const next = await deployCatalog(B, storage, { purger, baseUrl });
        expect(next.status).toBe('success');
        const purged = new Set(cf.purges.slice(purgedBefore).flatMap((p) => p.files));
        expect(gone.map((k) => publicUrl(baseUrl, k)).filter((url) => !purged.has(url))).toEqual([]);
        await expectServes(storage, B);
      });
    });
  });
});

describe('content warnings of an unfinished deploy', () => {
  it('killed after a progress checkpoint: its warnings are not recorded as reported, and the next deploy reports them as new', async () => {
    await withBucket(async (s3, storage) => {
      // The first version write is answered once the checkpoint spacing has passed, so the deploy
      // writes a progress checkpoint; it is killed when it goes on to write its report.
      let delayed = false;
      s3.addFault({ match: (r) => !delayed && r.method === 'PUT' && !r.key.startsWith('_deploy/') && (delayed = true), kind: 'delay', delayMs: CHECKPOINT_INTERVAL_MS + 500 });
      await deployKilledAt(s3, A, 0, { when: (r) => r.method === 'PUT' && r.key.startsWith('_deploy/history/') });
      const stateWrites = s3.commits.filter((c) => c.op === 'put' && c.key === STATE_KEY);
      expect(stateWrites.length).toBeGreaterThan(1);
      const left = (await StateStore.load(storage, { retry: FAST })).state;
      expect(left.lease).not.toBeNull();
      expect(left.content_warnings).toEqual([]);

      const next = await deployCatalog(A, storage, { now: later });
      expect(next.status).toBe('success');
      expect(next.build.warnings).toBeGreaterThan(0);
      expect(next.build.new_warnings).toBe(next.build.warnings);
      expect((await StateStore.load(storage, { retry: FAST })).state.content_warnings.length).toBeGreaterThan(0);
    });
  });
});
