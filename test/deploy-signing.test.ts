import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR } from '../samples/catalog.ts';
import { deploy } from '../src/deploy/deploy.ts';
import { memoryLogger } from '../src/log.ts';
import { startS3, S3RVER_SECRET_KEY, type S3Harness } from './s3rver.ts';
import { tempDir } from './helpers.ts';

const FAST = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2_000 };
const VIDEO_LESSON = 'lessons/درس-الكسور.json';
const HOUR = 3_600_000;

let s3: S3Harness;
beforeAll(async () => {
  s3 = await startS3({ bucket: 'memora-signing' });
});
afterAll(async () => {
  await s3?.close();
});

interface LessonFile {
  signed_url_expiry?: string;
  stages: { type: string; config: Record<string, unknown> }[];
}

describe('signed video URLs through a deploy', () => {
  it('are valid, stable within a window, rotated across windows, and refused once expired', async () => {
    const storage = s3.storage();
    const video = Buffer.from('not really an mp4');
    await storage.put('videos/intro-fractions.mp4', video, { contentType: 'video/mp4', cacheControl: 'no-store' });
    const root = await tempDir();
    let now = new Date('2026-11-24T09:10:00Z');
    const options = (outDir: string) => ({
      cacheDir: SAMPLE_CACHE_DIR,
      outDir,
      plans: [],
      force: false,
      dryRun: false,
      client: null,
      storage,
      purger: null,
      concurrency: 8,
      trigger: 'test',
      log: memoryLogger(),
      retry: FAST,
      signing: { expiryHours: 4, endpoint: s3.endpoint, bucket: s3.bucket, now: () => now },
    });
    const read = async (outDir: string) => JSON.parse(await readFile(path.join(outDir, VIDEO_LESSON), 'utf8')) as LessonFile;
    const signedUrl = (lesson: LessonFile) => lesson.stages.find((s) => s.type.toLowerCase() === 'video')?.config.video_key as string;
    try {
      const out = path.join(root, 'out');
      await deploy(options(out));
      const first = await read(out);
      expect(first.signed_url_expiry).toBe('2026-11-24T12:00:00Z');
      const url = signedUrl(first);
      expect(url).toMatch(/X-Amz-Signature=/);
      expect(url).toContain('X-Amz-Date=20261124T080000Z');
      expect(url).not.toContain(S3RVER_SECRET_KEY);
      // s3rver checks signatures' dates against its real clock: a deploy signing now gives a URL it serves.
      const liveOut = path.join(root, 'live');
      now = new Date();
      await deploy({ ...options(liveOut), dryRun: true });
      const served = await fetch(signedUrl(await read(liveOut)));
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(video)).toBe(true);

      now = new Date('2026-11-24T09:10:00Z');
      // Later in the same 2-hour window: byte-identical, nothing to upload.
      now = new Date('2026-11-24T09:55:00Z');
      const same = await deploy(options(out));
      expect(same.uploaded).toEqual([]);

      // The next window: the video lessons (and the files that link them) change, nothing else.
      now = new Date('2026-11-24T10:00:00Z');
      const rotated = await deploy(options(out));
      const second = await read(out);
      expect(second.signed_url_expiry).toBe('2026-11-24T14:00:00Z');
      expect(signedUrl(second)).not.toBe(url);
      expect(rotated.uploaded).toContain(VIDEO_LESSON);
      expect(rotated.uploaded.filter((k) => k.startsWith('lessons/')).length).toBeLessThan(10);

      // A URL past its expiry is refused by the store.
      const expired = await storage.presignGet?.('videos/intro-fractions.mp4', { expiresInSeconds: 1, signingDate: new Date(Date.now() - HOUR) });
      const refused = await fetch(expired as string);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toMatch(/expired/i);
    } finally {
      await storage.close();
    }
  });
});
