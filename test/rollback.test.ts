/**
 * Versions stay for the retention period and then go; `rollback` publishes an earlier deploy
 * again from them, writing and purging only aliases.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys, parseKey, versionKey } from '../packages/client/src/layout.ts';
import { readOutTree } from '../src/deploy/inventory.ts';
import { publicUrl } from '../src/deploy/purge/urls.ts';
import { CloudflarePurger } from '../src/deploy/purge/cloudflare.ts';
import { rollback } from '../src/deploy/rollback.ts';
import { StateStore } from '../src/deploy/state.ts';
import type { Storage } from '../src/deploy/storage/types.ts';
import { startCloudflareEmulator, type CloudflareEmulator } from '../src/emulator/cloudflare.ts';
import { memoryLogger } from '../src/log.ts';
import { SAMPLE_IDS } from '../samples/catalog.ts';
import { catalog, deployCatalog, deployKilledAt, editB, editC, FAST, later, type Catalog } from './converge.ts';
import { bucketView, differencesFromOut, readerProblems } from './reader.ts';
import { startS3, type S3Harness } from './s3rver.ts';

const BASE_URL = 'https://cdn.memora.test';
const DAY = 86_400_000;
let A: Catalog;
let B: Catalog;
let C: Catalog;
let cf: CloudflareEmulator;
let bucketCounter = 0;

beforeAll(async () => {
  [A, B, C, cf] = await Promise.all([catalog('a'), catalog('b', editB), catalog('c', editC), startCloudflareEmulator()]);
});
afterAll(async () => {
  await cf?.close();
});

async function withBucket(test: (s3: S3Harness, storage: Storage) => Promise<void>): Promise<void> {
  const s3 = await startS3({ bucket: `memora-rollback-${++bucketCounter}` });
  try {
    await test(s3, s3.storage());
  } finally {
    await s3.close();
  }
}

function purger(): CloudflarePurger {
  return new CloudflarePurger({ apiUrl: cf.apiUrl, zoneId: '023e105f4ecef8ad9ca31a8372d0c353', token: 'cf-test-token', log: memoryLogger(), retry: FAST, minIntervalMs: 0 });
}

const session = (storage: Storage, extra: Partial<Parameters<typeof rollback>[0]> = {}) => ({ storage, log: memoryLogger(), trigger: 'test', dryRun: false, concurrency: 4, purger: null, retry: FAST, ...extra });

async function expectServes(storage: Storage, c: Catalog): Promise<void> {
  const view = await bucketView(storage);
  expect(await differencesFromOut(view, c.outDir)).toEqual([]);
  expect(readerProblems(view)).toEqual([]);
}

describe('rollback', () => {
  it('publishes the first of two deploys again, byte for byte as a reader sees it, writing and purging only aliases', async () => {
    await withBucket(async (s3, storage) => {
      const a = await deployCatalog(A, storage);
      const b = await deployCatalog(B, storage);
      const aliasesOfB = (await readOutTree(B.outDir)).files;
      const p = purger();
      try {
        s3.resetCommits();
        const purgesBefore = cf.purges.length;
        const report = await rollback(session(storage, { purger: p, baseUrl: BASE_URL }));
        expect(report.status).toBe('success');
        expect(report.rolled_back_to).toBe(a.id);
        await expectServes(storage, A);
        // Only aliases were written or deleted (versions were there already), and only they are purged.
        const written = s3.commits.filter((c) => !c.key.startsWith('_deploy/'));
        expect(written.length).toBeGreaterThan(0);
        expect(written.every((c) => parseKey(c.key)?.version === null)).toBe(true);
        const purged = cf.purges.slice(purgesBefore).flatMap((x) => x.files).sort();
        const changedBack = written.map((c) => c.key).filter((k) => aliasesOfB.has(k));
        expect(purged).toEqual(changedBack.map((k) => publicUrl(BASE_URL, k)).sort());
        expect(report.uploaded.every((k) => parseKey(k)?.version === null)).toBe(true);
      } finally {
        await p.close();
      }
      // Rolling back again goes forward to B; a deploy after a rollback publishes its own content.
      const forward = await rollback(session(storage));
      expect(forward.rolled_back_to).toBe(b.id);
      await expectServes(storage, B);
      expect((await deployCatalog(C, storage)).status).toBe('success');
      await expectServes(storage, C);
      // Any kept deploy by its ID.
      expect((await rollback(session(storage, { to: a.id }))).status).toBe('success');
      await expectServes(storage, A);
    });
  });

  it('writes nothing on a dry run, and refuses clearly what it cannot do', async () => {
    await withBucket(async (s3, storage) => {
      await expect(rollback(session(storage))).rejects.toThrow(/no earlier deploy to roll back to/);
      const a = await deployCatalog(A, storage);
      await expect(rollback(session(storage))).rejects.toThrow(/no earlier deploy to roll back to/);
      await expect(rollback(session(storage, { to: a.id }))).rejects.toThrow(/is what the bucket serves already/);
      await deployCatalog(B, storage);
      await expect(rollback(session(storage, { to: 'deadbeef' }))).rejects.toThrow(/deploy deadbeef cannot be rolled back to: .*kept for 7 day\(s\)/);
      s3.resetCommits();
      const dry = await rollback(session(storage, { dryRun: true }));
      expect(dry.status).toBe('dry-run');
      expect(dry.uploaded.length).toBeGreaterThan(0);
      expect(s3.commits).toEqual([]);

      // A version of A gone behind the deploy's back: nothing is written, and the message says why.
      const manifest = keys.manifest(SAMPLE_IDS.plans.grade7Arabic);
      const aHash = (await readOutTree(A.outDir)).files.get(manifest)?.hash ?? '';
      await storage.deleteMany([versionKey(manifest, aHash)]);
      s3.resetCommits();
      await expect(rollback(session(storage))).rejects.toThrow(/1 of its versions are gone \(plans\/p7ar2k4m9x\/manifest~[0-9a-f]{16}\.json\).*Nothing was written/);
      expect(s3.commits).toEqual([]);
    });
  });
});

describe('rollback after a deploy that did not finish', () => {
  const isAlias = (key: string) => parseKey(key)?.version === null;

  it('goes back to the last deploy that finished when a later one was killed halfway through publishing, and takes it by ID', async () => {
    await withBucket(async (s3, storage) => {
      await deployCatalog(A, storage);
      const b = await deployCatalog(B, storage);
      // C is killed at its second alias write: the first went up, so the bucket serves part of C.
      let aliases = 0;
      await deployKilledAt(s3, C, 0, { when: (r) => r.method === 'PUT' && isAlias(r.key) && ++aliases === 2 });
      expect(await differencesFromOut(await bucketView(storage), B.outDir)).not.toEqual([]);
      const dry = await rollback(session(storage, { now: later, to: b.id, dryRun: true }));
      expect(dry.rolled_back_to).toBe(b.id);
      expect(dry.uploaded.length).toBeGreaterThan(0);

      const report = await rollback(session(storage, { now: later }));
      expect(report.status).toBe('success');
      expect(report.rolled_back_to).toBe(b.id);
      await expectServes(storage, B);
    });
  });

  it('publishes a version that a failed deploy left current behind a lost answer, instead of calling it gone', async () => {
    await withBucket(async (s3, storage) => {
      const a = await deployCatalog(A, storage);
      // Every write of this alias lands but its answer is lost: B fails with the alias unsettled.
      const lesson = keys.lesson('l4m5u6l7t8');
      s3.addFault({ match: (r) => r.method === 'PUT' && r.key === lesson, kind: 'lost-answer' });
      const b = await deployCatalog(B, storage);
      s3.clearFaults();
      expect(b.status).toBe('failed');
      expect(b.failures.map((f) => f.key)).toEqual([lesson]);

      const report = await rollback(session(storage));
      expect(report.status).toBe('success');
      expect(report.rolled_back_to).toBe(a.id);
      await expectServes(storage, A);
    });
  });
});

describe('rollback and signed video URLs', () => {
  const VIDEO_LESSON = keys.lesson('درس-الكسور');
  it('refuses to publish lesson files whose signed URLs have expired, unless told to, and says when the others expire', async () => {
    await withBucket(async (_s3, storage) => {
      await storage.put('videos/intro-fractions.mp4', Buffer.from('not really an mp4'), { contentType: 'video/mp4', cacheControl: 'no-store' });
      let now = Date.parse('2026-11-24T09:10:00Z');
      const signing = { expiryHours: 4, endpoint: _s3.endpoint, bucket: _s3.bucket, now: () => new Date(now) };
      // Signed in the 08:00 window (valid until 12:00), then again in the 10:00 one (until 14:00).
      const first = await deployCatalog(A, storage, { signing });
      now = Date.parse('2026-11-24T10:00:00Z');
      const second = await deployCatalog(A, storage, { signing });
      expect(second.uploaded).toContain(VIDEO_LESSON);

      now = Date.parse('2026-11-24T12:30:00Z');
      const clock = () => now;
      const stale = memoryLogger();
      await expect(rollback(session(storage, { now: clock, log: stale }))).rejects.toThrow(
        new RegExp(
          `^deploy ${first.id} cannot be rolled back to: 4 lesson file\\(s\\) of deploy ${first.id} hold signed video URLs that have expired ` +
            `\\(lessons/l3o4n5e6s7\\.json at 2026-11-24T12:00:00Z, .*, \\.\\.\\. \\(1 more\\)\\): students would get an error playing those videos\\. ` +
            `Nothing was written\\. Deploy instead \\(undo the edit in Frappe\\), or pass --allow-expired-videos to publish them as they are$`,
        ),
      );
      expect((await StateStore.load(storage)).state.trees.at(-1)?.id).toBe(second.id);

      // Told to: published, with a warning.
      const told = memoryLogger();
      expect((await rollback(session(storage, { now: clock, log: told, allowExpiredVideos: true }))).status).toBe('success');
      expect(told.lines.join('\n')).toMatch(/4 lesson file\(s\) .* have expired .*publishing them as asked \(--allow-expired-videos\); a deploy signs them again/);

      // Not yet expired (the second deploy's, valid until 14:00): published, with a warning saying when.
      now = Date.parse('2026-11-24T13:00:00Z');
      const warned = memoryLogger();
      expect((await rollback(session(storage, { now: clock, log: warned, to: second.id }))).status).toBe('success');
      expect(warned.lines.join('\n')).toMatch(/4 lesson file\(s\) of deploy .* hold signed video URLs, the first expiring at 2026-11-24T14:00:00Z \(lessons\/l3o4n5e6s7\.json\): a deploy signs them again/);
    });
  });
});

describe('the retention period', () => {
  it('keeps old versions for readers holding older files, deletes them after it, and never a current one', async () => {
    await withBucket(async (_s3, storage) => {
      await deployCatalog(A, storage);
      const manifest = keys.manifest(SAMPLE_IDS.plans.grade7Arabic);
      const oldManifest = await readFile(path.join(A.outDir, manifest));
      await deployCatalog(B, storage);
      // A reader that fetched A's manifest before B still finds every version it links.
      const held = new Map(await bucketView(storage));
      held.set('reader/manifest.json', oldManifest);
      expect(readerProblems(held, { from: ['reader/manifest.json'], versionsOnly: true })).toEqual([]);
      const noncurrent = Object.keys((await StateStore.load(storage, { retry: FAST })).state.noncurrent);
      expect(noncurrent.length).toBeGreaterThan(0);

      // Six days later nothing is deleted; eight days later the old versions go.
      const sixDays = await deployCatalog(B, storage, { now: () => Date.now() + 6 * DAY });
      expect(sixDays.deleted).toEqual([]);
      const eightDays = await deployCatalog(B, storage, { now: () => Date.now() + 8 * DAY });
      expect(eightDays.status).toBe('success');
      expect([...eightDays.deleted].sort()).toEqual([...noncurrent].sort());
      await expectServes(storage, B);
      const after = new Map(await bucketView(storage));
      after.set('reader/manifest.json', oldManifest);
      expect(readerProblems(after, { from: ['reader/manifest.json'], versionsOnly: true }).length).toBeGreaterThan(0);
      expect((await StateStore.load(storage, { retry: FAST })).state.noncurrent).toEqual({});
      // The trees of those deploys are gone too: nothing to roll back to but the current.
      await expect(rollback(session(storage, { now: () => Date.now() + 8 * DAY }))).rejects.toThrow(/no earlier deploy to roll back to/);
    });
  });

  it('makes an old version current again when an edit is undone, even past the period, instead of deleting it', async () => {
    await withBucket(async (_s3, storage) => {
      await deployCatalog(A, storage);
      await deployCatalog(B, storage);
      const undone = await deployCatalog(A, storage, { now: () => Date.now() + 8 * DAY });
      expect(undone.status).toBe('success');
      // A's versions were still there: only aliases went up.
      expect(undone.uploaded.filter((k) => parseKey(k)?.version !== null)).toEqual([]);
      await expectServes(storage, A);
    });
  });
});
