import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, sampleCatalog } from '../samples/catalog.ts';
import { build } from '../src/build/build.ts';
import type { RenderedFile } from '../src/build/files.ts';
import { sha256 } from '../src/io/hash.ts';
import { keys } from '../packages/client/src/layout.ts';
import type { TreeFile } from '../src/build/files.ts';
import { layoutTree, renderTree, type RenderResult } from '../src/build/render/tree.ts';
import { DocumentDigests, lessonInput } from '../src/build/incremental/inputs.ts';
import { readCache } from '../src/content/cache.ts';
import { checkFile } from '../src/build/validate.ts';
import type { CacheDocs } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { buildCatalog, type Catalog } from '../src/content/model.ts';
import type { RawDoc } from '../src/content/raw.ts';
import { bucketKeyOf, collectVideoKeys, prepareSignedUrls, signingWindow, type BucketLocation, type SignedUrls } from '../src/build/sign.ts';
import { DeployError } from '../src/errors.ts';
import { memoryLogger } from '../src/log.ts';
import { byKey, changedKeys, cloneDocs, json, readTree, tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

describe('signingWindow', () => {
  it('rounds down to windows of half the expiry, aligned on the epoch in UTC', () => {
    expect(signingWindow(at('2025-03-01T03:59:59.999Z'), 4)).toEqual({ signingDate: at('2025-03-01T02:00:00Z'), expiresAt: at('2025-03-01T06:00:00Z') });
    expect(signingWindow(at('2025-03-01T04:00:00.000Z'), 4)).toEqual({ signingDate: at('2025-03-01T04:00:00Z'), expiresAt: at('2025-03-01T08:00:00Z') });
    expect(signingWindow(at('2025-03-01T04:00:00.001Z'), 4).signingDate).toEqual(at('2025-03-01T04:00:00Z'));
  });

  it('uses 30-minute windows for a 1-hour expiry', () => {
    expect(signingWindow(at('2025-03-01T10:29:59.999Z'), 1)).toEqual({ signingDate: at('2025-03-01T10:00:00Z'), expiresAt: at('2025-03-01T11:00:00Z') });
    expect(signingWindow(at('2025-03-01T10:30:00Z'), 1)).toEqual({ signingDate: at('2025-03-01T10:30:00Z'), expiresAt: at('2025-03-01T11:30:00Z') });
  });

  it('uses 12-hour windows for a 24-hour expiry', () => {
    expect(signingWindow(at('2025-03-01T11:59:59Z'), 24)).toEqual({ signingDate: at('2025-03-01T00:00:00Z'), expiresAt: at('2025-03-02T00:00:00Z') });
    expect(signingWindow(at('2025-03-01T12:00:00Z'), 24)).toEqual({ signingDate: at('2025-03-01T12:00:00Z'), expiresAt: at('2025-03-02T12:00:00Z') });
  });

  it('keeps odd expiries aligned (3 hours: 90-minute windows)', () => {
    const { signingDate } = signingWindow(at('2025-03-01T10:00:00Z'), 3);
    expect(signingDate.getTime() % (1.5 * HOUR)).toBe(0);
    expect(signingDate).toEqual(at('2025-03-01T09:00:00Z'));
  });

  it('guarantees every URL more than half the expiry of life from the moment it is signed', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let expiry = 1; expiry <= 24; expiry++) {
      const half = (expiry * HOUR) / 2;
      for (let i = 0; i < 200; i++) {
        const now = new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 400 * 24 * HOUR));
        const { signingDate, expiresAt } = signingWindow(now, expiry);
        expect(signingDate.getTime()).toBeLessThanOrEqual(now.getTime());
        expect(now.getTime() - signingDate.getTime()).toBeLessThan(half);
        expect(expiresAt.getTime() - signingDate.getTime()).toBe(expiry * HOUR);
        // Valid through the whole window and at least half the expiry after it ends.
        expect(expiresAt.getTime() - now.getTime()).toBeGreaterThan(half);
        expect(expiresAt.getTime()).toBe(signingDate.getTime() + half + half);
        // The same window from its first to its last millisecond.
        expect(signingWindow(new Date(signingDate.getTime() + half - 1), expiry).signingDate).toEqual(signingDate);
        expect(signingWindow(new Date(signingDate.getTime() + half), expiry).signingDate.getTime()).toBe(signingDate.getTime() + half);
      }
    }
  });

  it('rejects an expiry that is not a positive number of hours', () => {
    expect(() => signingWindow(new Date(), 0)).toThrow(RangeError);
    expect(() => signingWindow(new Date(), Number.NaN)).toThrow(RangeError);
  });
});

const R2: BucketLocation = { baseUrl: 'https://cdn.memora.app', endpoint: 'https://acct.r2.cloudflarestorage.com', bucket: 'memora-cdn' };

describe('bucketKeyOf', () => {
  it('reads bare keys, with or without a leading slash, ignoring query and fragment', () => {
    expect(bucketKeyOf('videos/a.mp4', R2)).toBe('videos/a.mp4');
    expect(bucketKeyOf('/videos/a.mp4', R2)).toBe('videos/a.mp4');
    expect(bucketKeyOf('videos/a.mp4?x=1#t=10', {})).toBe('videos/a.mp4');
    expect(bucketKeyOf('intro.mp4', {})).toBe('intro.mp4');
    expect(bucketKeyOf('videos/كسور.mp4', {})).toBe('videos/كسور.mp4');
  });

  it('reads URLs under CDN_BASE_URL, with or without the scheme, and under a base path', () => {
    expect(bucketKeyOf('https://cdn.memora.app/videos/a.mp4', R2)).toBe('videos/a.mp4');
    expect(bucketKeyOf('http://CDN.memora.app/videos/a.mp4?v=1', R2)).toBe('videos/a.mp4');
    expect(bucketKeyOf('//cdn.memora.app/videos/a.mp4', R2)).toBe('videos/a.mp4');
    expect(bucketKeyOf('cdn.memora.app/videos/a.mp4', R2)).toBe('videos/a.mp4');
    expect(bucketKeyOf('https://example.com/cdn/videos/a.mp4', { baseUrl: 'https://example.com/cdn/' })).toBe('videos/a.mp4');
    expect(bucketKeyOf('https://example.com/other/a.mp4', { baseUrl: 'https://example.com/cdn' })).toBeNull();
    expect(bucketKeyOf('https://cdn.memora.app:8443/videos/a.mp4', R2)).toBeNull();
  });

  it('reads path-style and virtual-host URLs of the storage endpoint', () => {
    expect(bucketKeyOf('https://acct.r2.cloudflarestorage.com/memora-cdn/videos/a.mp4', R2)).toBe('videos/a.mp4');
    expect(bucketKeyOf('https://memora-cdn.acct.r2.cloudflarestorage.com/videos/a.mp4?X-Amz-Signature=old', R2)).toBe('videos/a.mp4');
    expect(bucketKeyOf('https://acct.r2.cloudflarestorage.com/other-bucket/videos/a.mp4', R2)).toBeNull();
    expect(bucketKeyOf('https://other.acct.r2.cloudflarestorage.com/videos/a.mp4', R2)).toBeNull();
    // Without the bucket name, storage URLs cannot be told apart.
    expect(bucketKeyOf('https://acct.r2.cloudflarestorage.com/memora-cdn/videos/a.mp4', { endpoint: R2.endpoint })).toBeNull();
  });

  it("reads AWS S3's own hosts when no endpoint is configured", () => {
    const aws = { bucket: 'memora-cdn' };
    expect(bucketKeyOf('https://memora-cdn.s3.amazonaws.com/videos/a.mp4', aws)).toBe('videos/a.mp4');
    expect(bucketKeyOf('https://memora-cdn.s3.eu-west-1.amazonaws.com/videos/a.mp4', aws)).toBe('videos/a.mp4');
    expect(bucketKeyOf('https://s3.eu-west-1.amazonaws.com/memora-cdn/videos/a.mp4', aws)).toBe('videos/a.mp4');
    expect(bucketKeyOf('https://s3.eu-west-1.amazonaws.com/someone-else/videos/a.mp4', aws)).toBeNull();
    expect(bucketKeyOf('https://memora-cdn.s3.amazonaws.com/videos/a.mp4', R2)).toBeNull();
  });

  it('leaves YouTube, Vimeo and other hosts alone', () => {
    for (const url of [
      'https://www.youtube.com/watch?v=kJ8b3xGmR2s',
      'https://youtu.be/kJ8b3xGmR2s',
      'https://vimeo.com/123456',
      'www.youtube.com/watch?v=kJ8b3xGmR2s',
      'youtube.com/embed/kJ8b3xGmR2s',
      'kJ8b3xGmR2s',
      'https://videos.example.org/a.mp4',
      'ftp://cdn.memora.app/videos/a.mp4',
      'data:video/mp4;base64,AAAA',
      '',
      '   ',
    ]) {
      expect(bucketKeyOf(url, R2), url).toBeNull();
    }
  });

  it('percent-decodes keys', () => {
    expect(bucketKeyOf('https://cdn.memora.app/videos/a%20b%2Bc.mp4', R2)).toBe('videos/a b+c.mp4');
    expect(bucketKeyOf('https://cdn.memora.app/videos/%D9%83%D8%B3%D9%88%D8%B1.mp4', R2)).toBe('videos/كسور.mp4');
    expect(bucketKeyOf('https://cdn.memora.app/videos/a b.mp4', R2)).toBe('videos/a b.mp4');
    expect(bucketKeyOf('videos/a%20b.mp4', R2)).toBe('videos/a b.mp4');
    expect(bucketKeyOf('videos/100%.mp4', R2)).toBeNull();
  });

  it('refuses . and .. segments, however written, and the deploy prefix', () => {
    for (const url of [
      'videos/../secret.mp4',
      '../videos/a.mp4',
      './videos/a.mp4',
      'videos/%2e%2e/a.mp4',
      'videos/..%2Fa.mp4',
      'videos\\..\\a.mp4',
      'https://cdn.memora.app/videos/../_deploy/state.json',
      'https://cdn.memora.app/videos/%2E%2E/a.mp4',
      'https://acct.r2.cloudflarestorage.com/memora-cdn/../other/a.mp4',
      '_deploy/state.json',
      'https://cdn.memora.app/_deploy/state.json',
      'videos/a\u0000.mp4',
      'videos/',
    ]) {
      expect(bucketKeyOf(url, R2), url).toBeNull();
    }
    expect(bucketKeyOf('videos/a..b.mp4', R2)).toBe('videos/a..b.mp4');
  });
});

/** A presigner that signs like S3 would, without credentials: deterministic in key, date and expiry. */
function fakePresigner() {
  const calls: string[] = [];
  const presign = async (key: string, o: { expiresInSeconds: number; signingDate: Date }) => {
    calls.push(key);
    const date = o.signingDate.toISOString().replace(/[-:]|\.\d{3}/g, '');
    const path = key.split('/').map(encodeURIComponent).join('/');
    return `https://acct.r2.cloudflarestorage.com/memora-cdn/${path}?X-Amz-Date=${date}&X-Amz-Expires=${o.expiresInSeconds}&X-Amz-Signature=${sha256(`${key}|${date}|${o.expiresInSeconds}`)}`;
  };
  return { presign, calls };
}

const sampleDocs = sampleCatalog();
const sample = buildCatalog(sampleDocs);
const unsigned = renderTree(sample);

async function signedRender(catalog: Catalog, now: Date, where: BucketLocation = R2): Promise<{ result: RenderResult<TreeFile & { bytes: Buffer }>; signed: SignedUrls }> {
  const { presign } = fakePresigner();
  const signed = await prepareSignedUrls(catalog, { presign, expiryHours: 4, now, ...where });
  return { result: renderTree(catalog, { signedUrls: signed }), signed };
}

interface LessonJson {
  stages: { type: string; config: Record<string, unknown> }[];
  signed_url_expiry?: string;
}

/** Exported lessons of the sample whose Video stages name a bucket key. */
function bucketVideoLessons(files: readonly RenderedFile[]): string[] {
  return files
    .filter((f) => f.kind === 'lesson')
    .filter((f) => json<LessonJson>(f).stages.some((s) => s.type === 'video' && typeof s.config.video_key === 'string'))
    .map((f) => f.key)
    .sort();
}

const withoutVersions = (file: RenderedFile) => file.bytes.toString('utf8').replace(/~[0-9a-f]{16}\.json/g, '.json');

describe('signed video URLs in the sample build', () => {
  const videoLessons = bucketVideoLessons(unsigned.files);

  it('signs bucket videos, once per key, and stamps those lessons with signed_url_expiry', async () => {
    expect(videoLessons).toContain(keys.lesson('درس-الكسور'));
    expect(videoLessons.length).toBeGreaterThanOrEqual(4);
    const { presign, calls } = fakePresigner();
    const signed = await prepareSignedUrls(sample, { presign, expiryHours: 4, now: at('2025-03-01T03:10:00Z'), ...R2 });
    expect(signed.expiresAt).toBe('2025-03-01T06:00:00Z');
    expect(calls.sort()).toEqual([...new Set(calls)].sort());
    expect(calls).toContain('videos/intro-fractions.mp4');
    const files = byKey(renderTree(sample, { signedUrls: signed }).files);
    for (const key of videoLessons) {
      const lesson = json<LessonJson>(files.get(key));
      expect(lesson.signed_url_expiry, key).toBe('2025-03-01T06:00:00Z');
      for (const s of lesson.stages.filter((st) => st.type === 'video' && 'video_key' in st.config)) {
        expect(s.config.video_key).toMatch(/^https:\/\/acct\.r2\.cloudflarestorage\.com\/memora-cdn\/videos\/.+\?X-Amz-Date=20250301T020000Z&X-Amz-Expires=14400&/);
        expect(Object.keys(s.config)).toEqual(['video_key', 'duration_seconds']);
      }
    }
    const fractions = json<LessonJson>(files.get(keys.lesson('درس-الكسور')));
    expect(fractions.stages.find((s) => s.type === 'video')?.config.video_key).toBe(signed.byUrl.get('videos/intro-fractions.mp4'));
  });

  it('leaves every other lesson byte-identical, YouTube lessons included', async () => {
    const { result } = await signedRender(sample, at('2025-03-01T03:10:00Z'));
    const before = byKey(unsigned.files);
    const youtube = unsigned.files.filter((f) => f.kind === 'lesson' && json<LessonJson>(f).stages.some((s) => typeof s.config.video_url === 'string'));
    expect(youtube.length).toBeGreaterThan(0);
    const changedLessons = changedKeys(unsigned.files, result.files).filter((k) => k.startsWith('lessons/'));
    expect(changedLessons).toEqual(videoLessons);
    for (const f of result.files) {
      if (f.kind !== 'lesson' || videoLessons.includes(f.key)) continue;
      expect(f.bytes.equals(before.get(f.key)?.bytes ?? Buffer.alloc(0)), f.key).toBe(true);
      expect(json<LessonJson>(f).signed_url_expiry).toBeUndefined();
    }
  });

  it('changes unit, subject and manifest files only through the versions of the lessons they link', async () => {
    const { result } = await signedRender(sample, at('2025-03-01T03:10:00Z'));
    const before = byKey(unsigned.files);
    expect(result.files.map((f) => f.key)).toEqual(unsigned.files.map((f) => f.key));
    for (const f of result.files) {
      const old = before.get(f.key);
      if (!old) throw new Error(`${f.key} is new`);
      if (f.kind === 'unit' || f.kind === 'subject') expect(withoutVersions(f), f.key).toBe(withoutVersions(old));
      if (f.kind === 'search_index' || f.kind === 'search_shard') expect(f.hash, f.key).toBe(old.hash);
    }
  });

  it('is byte-identical within a window and changes only video lessons (and the links to them) across windows', async () => {
    const early = await signedRender(sample, at('2025-03-01T02:00:00Z'));
    const late = await signedRender(sample, at('2025-03-01T03:59:59Z'));
    expect(changedKeys(early.result.files, late.result.files)).toEqual([]);
    const next = await signedRender(sample, at('2025-03-01T04:00:00Z'));
    expect(next.signed.expiresAt).toBe('2025-03-01T08:00:00Z');
    const changed = changedKeys(early.result.files, next.result.files);
    expect(changed.filter((k) => k.startsWith('lessons/'))).toEqual(videoLessons);
    const nextFiles = byKey(next.result.files);
    for (const f of early.result.files) {
      if (f.kind === 'unit' || f.kind === 'subject') expect(withoutVersions(f), f.key).toBe(withoutVersions(nextFiles.get(f.key) as RenderedFile));
    }
  });

  it('keeps every file valid against the schemas', async () => {
    const { result } = await signedRender(sample, at('2025-03-01T03:10:00Z'));
    for (const f of result.files) expect(checkFile(f), f.key).toBeNull();
  });

  it('signs nothing without a presigner result: no bucket videos, no signed_url_expiry', () => {
    const files = renderTree(sample, { signedUrls: { expiresAt: '2025-03-01T06:00:00Z', byUrl: new Map() } }).files;
    expect(changedKeys(unsigned.files, files)).toEqual([]);
  });

  it('runs through build() with a function that prepares the URLs from the catalog', async () => {
    const dir = await tempDir();
    const { presign } = fakePresigner();
    await build({
      cacheDir: SAMPLE_CACHE_DIR,
      outDir: dir,
      log: memoryLogger(),
      signedUrls: (catalog) => prepareSignedUrls(catalog, { presign, expiryHours: 4, now: at('2025-03-01T03:10:00Z'), ...R2 }),
    });
    const text = await readFile(path.join(dir, keys.lesson('درس-الكسور')), 'utf8');
    const lesson = JSON.parse(text) as LessonJson;
    expect(lesson.signed_url_expiry).toBe('2025-03-01T06:00:00Z');
    expect(String(lesson.stages.find((s) => s.type === 'video')?.config.video_key)).toMatch(/^https:\/\/acct\.r2\.cloudflarestorage\.com\/memora-cdn\/videos\/intro-fractions\.mp4\?/);
  });
});

describe('signed video URLs in incremental builds', () => {
  /** A build of the samples into `outDir` at `now`, signing with `presign`; what it presigned, and the lesson files it rendered. */
  async function signedBuild(outDir: string, now: Date, presign: ReturnType<typeof fakePresigner>['presign'], full = false) {
    let files: readonly TreeFile[] = [];
    let rendered: ReadonlySet<string> = new Set();
    const summary = await build({
      cacheDir: SAMPLE_CACHE_DIR,
      outDir,
      log: memoryLogger(),
      full,
      onWritten: (written, _, keys) => ((files = written), (rendered = keys)),
      signedUrls: (catalog, lessons) => prepareSignedUrls(catalog, { presign, expiryHours: 4, now, lessons, ...R2 }),
    });
    return { summary, renderedLessons: files.filter((f) => f.kind === 'lesson' && rendered.has(f.key)).map((f) => f.key) };
  }

  it('signs only the videos of the lessons it renders, reuses video lessons within a window, and renders them again in the next one, as a full build would', async () => {
    const root = await tempDir();
    const out = path.join(root, 'out');
    const signer = fakePresigner();
    await signedBuild(out, at('2025-03-01T02:10:00Z'), signer.presign);
    const videos = signer.calls.filter((k) => k !== 'memora-cdn-signing-probe');
    expect(videos).toContain('videos/intro-fractions.mp4');

    // The same window: nothing is rendered again, and no video is signed (only the probe).
    signer.calls.length = 0;
    const same = await signedBuild(out, at('2025-03-01T03:50:00Z'), signer.presign);
    expect(same.summary.incremental.mode).toBe('incremental');
    expect(same.renderedLessons).toEqual([]);
    expect(signer.calls.every((k) => k === 'memora-cdn-signing-probe')).toBe(true);

    // The next window: the lessons with videos are rendered again and their videos signed again.
    signer.calls.length = 0;
    const next = await signedBuild(out, at('2025-03-01T04:00:00Z'), signer.presign);
    expect(next.renderedLessons).toContain(keys.lesson('درس-الكسور'));
    expect(signer.calls).toContain('videos/intro-fractions.mp4');
    const lesson = JSON.parse(await readFile(path.join(out, keys.lesson('درس-الكسور')), 'utf8')) as LessonJson;
    expect(lesson.signed_url_expiry).toBe('2025-03-01T08:00:00Z');

    // Byte for byte what a full build in that window writes.
    const fresh = path.join(root, 'fresh');
    await signedBuild(fresh, at('2025-03-01T04:00:00Z'), fakePresigner().presign, true);
    expect(await readTree(out)).toEqual(await readTree(fresh));
  });

  it('refuses signatures of another window than the one that decided what to render, before it changes the output folder', async () => {
    const out = path.join(await tempDir(), 'out');
    await signedBuild(out, at('2025-03-01T02:10:00Z'), fakePresigner().presign);
    // The first call (which lesson files to render) and the second (their videos' signatures) straddle a window's end.
    const times = [at('2025-03-01T04:10:00Z'), at('2025-03-01T08:10:00Z')];
    const { presign } = fakePresigner();
    const straddling = build({
      cacheDir: SAMPLE_CACHE_DIR,
      outDir: out,
      log: memoryLogger(),
      signedUrls: (catalog, lessons) => prepareSignedUrls(catalog, { presign, expiryHours: 4, now: times.shift() ?? new Date(0), lessons, ...R2 }),
    });
    await expect(straddling).rejects.toThrow(/signed URLs changed between two calls .*valid until 2025-03-01T08:00:00Z, then 2025-03-01T12:00:00Z/);
    // Nothing was written: the next build in one window is incremental and signs as a full build would.
    const next = await signedBuild(out, at('2025-03-01T04:20:00Z'), fakePresigner().presign);
    expect(next.summary.incremental.mode).toBe('incremental');
    expect(next.renderedLessons).toContain(keys.lesson('درس-الكسور'));
  });

  it('renders lessons with videos again when the signer changes within a window (other credentials)', async () => {
    const out = path.join(await tempDir(), 'out');
    await signedBuild(out, at('2025-03-01T02:10:00Z'), fakePresigner().presign);
    const rotated = fakePresigner();
    const presign: typeof rotated.presign = async (key, o) => `${await rotated.presign(key, o)}&rotated`;
    const after = await signedBuild(out, at('2025-03-01T02:20:00Z'), presign);
    expect(after.summary.incremental.mode).toBe('incremental');
    expect(after.renderedLessons).toContain(keys.lesson('درس-الكسور'));
    const lesson = JSON.parse(await readFile(path.join(out, keys.lesson('درس-الكسور')), 'utf8')) as LessonJson;
    expect(String(lesson.stages.find((s) => s.type === 'video')?.config.video_key)).toMatch(/&rotated$/);
  });
});

describe('lesson inputs under signing', () => {
  it('are remembered per place for one signing identity and expiry, and otherwise computed as they are', async () => {
    const cache = await readCache(SAMPLE_CACHE_DIR);
    const catalog = buildCatalog(cache.docs, cache.shape);
    const placements = layoutTree(catalog).subjects.flatMap((s) => s.lessons);
    const digests = new DocumentDigests(cache.fingerprints);
    const byUrl = new Map([['https://example.test/v.mp4', 'https://example.test/v.mp4?signed']]);
    const signings: (SignedUrls | undefined)[] = [
      { expiresAt: '2025-03-01T06:00:00Z', byUrl: new Map(), identity: 'a' },
      { expiresAt: '2025-03-01T06:00:00Z', byUrl, identity: 'a' },
      { expiresAt: '2025-03-01T08:00:00Z', byUrl: new Map(), identity: 'a' },
      { expiresAt: '2025-03-01T06:00:00Z', byUrl: new Map(), identity: 'b' },
      { expiresAt: '2025-03-01T06:00:00Z', byUrl },
      undefined,
    ];
    expect(placements.length).toBeGreaterThan(0);
    for (const signing of [...signings, ...signings]) {
      for (const p of placements) expect(digests.lesson(p, signing)).toBe(lessonInput(digests, p.lesson, p.access, p.previous, p.next, signing));
    }
  });
});

describe('signed video URLs in a generated 1,200-lesson build', () => {
  const generated = buildCatalog(generateCatalog({ plans: 3, lessons: 1200, seed: 5 }).docs);
  const plain = renderTree(generated);
  const videoLessons = bucketVideoLessons(plain.files);

  it('is byte-identical within a window; the next window changes only the bucket video lessons among lessons', async () => {
    expect(videoLessons.length).toBeGreaterThan(50);
    const a = await signedRender(generated, at('2025-06-10T14:00:00Z'));
    const b = await signedRender(generated, at('2025-06-10T15:59:59.999Z'));
    expect(changedKeys(a.result.files, b.result.files)).toEqual([]);
    const c = await signedRender(generated, at('2025-06-10T16:00:00Z'));
    expect(changedKeys(a.result.files, c.result.files).filter((k) => k.startsWith('lessons/'))).toEqual(videoLessons);
    expect(changedKeys(plain.files, a.result.files).filter((k) => k.startsWith('lessons/'))).toEqual(videoLessons);
  });
});

/** The sample with one bucket video lesson rewritten to hold these Video stage configs. */
function withVideoConfigs(configs: Record<string, unknown>[]): { docs: CacheDocs; lesson: string } {
  const docs = cloneDocs(sampleDocs);
  const lesson = docs[DOCTYPES.lesson].find((d) => d.name === 'درس-الكسور') as RawDoc;
  const rows = lesson.stages as RawDoc[];
  const template = rows[0] as RawDoc;
  const videos = configs.map((config, i) => ({ ...template, name: `video-${i}`, idx: i + 1, type: 'Video', title: `v${i}`, config: JSON.stringify(config) }));
  lesson.stages = [...videos, ...rows.map((r, i) => ({ ...r, idx: configs.length + i + 1 }))];
  return { docs, lesson: lesson.name };
}

describe('video URL fields', () => {
  const configs = [
    { video_url: 'https://cdn.memora.app/videos/a.mp4#t=30', duration: 1 },
    { url: 'https://memora-cdn.acct.r2.cloudflarestorage.com/videos/a.mp4' },
    { src: 'https://acct.r2.cloudflarestorage.com/memora-cdn/videos/b%20c.mp4', poster: 'https://cdn.memora.app/images/p.jpg' },
    { hls_url: '/videos/hls/master.m3u8', dash_url: 'https://www.youtube.com/watch?v=x' },
    { sources: ['videos/a.mp4', { src: 'videos/d.webm', type: 'video/webm' }, { url: 'https://vimeo.com/1' }, 7], captions: [{ src: 'videos/a.vtt' }] },
    { video_url: 'https://www.youtube.com/watch?v=kJ8b3xGmR2s', note: 'videos/not-a-video-field.mp4' },
  ];

  it('signs the video fields that point into the bucket and nothing else', async () => {
    const { docs, lesson } = withVideoConfigs(configs);
    const catalog = buildCatalog(docs);
    const found = collectVideoKeys(catalog, R2);
    expect(found.get('https://cdn.memora.app/videos/a.mp4#t=30')).toBe('videos/a.mp4');
    expect(found.has('https://www.youtube.com/watch?v=x')).toBe(false);
    expect(found.has('https://cdn.memora.app/images/p.jpg')).toBe(false);
    expect(found.has('videos/a.vtt')).toBe(false);
    expect(found.has('videos/not-a-video-field.mp4')).toBe(false);

    const { presign, calls } = fakePresigner();
    const signed = await prepareSignedUrls(catalog, { presign, expiryHours: 4, now: at('2025-03-01T03:10:00Z'), ...R2 });
    // videos/a.mp4 is named three ways and signed once.
    expect(calls.filter((k) => k === 'videos/a.mp4')).toHaveLength(1);
    expect(new Set(calls).size).toBe(calls.length);
    const file = byKey(renderTree(catalog, { signedUrls: signed }).files).get(keys.lesson(lesson));
    const stages = json<LessonJson>(file).stages.slice(0, configs.length).map((s) => s.config);
    const a = signed.byUrl.get('videos/a.mp4') as string;
    expect(a).toMatch(/\/memora-cdn\/videos\/a\.mp4\?X-Amz-Date=/);
    expect(stages[0]).toEqual({ video_url: `${a}#t=30`, duration: 1 });
    expect(stages[1]).toEqual({ url: a });
    expect(stages[2]?.src).toMatch(/\/memora-cdn\/videos\/b%20c\.mp4\?X-Amz-Date=/);
    expect(stages[2]?.poster).toBe('https://cdn.memora.app/images/p.jpg');
    expect(stages[3]?.hls_url).toMatch(/\/memora-cdn\/videos\/hls\/master\.m3u8\?/);
    expect(stages[3]?.dash_url).toBe('https://www.youtube.com/watch?v=x');
    expect(stages[4]).toEqual({
      sources: [a, { src: signed.byUrl.get('videos/d.webm'), type: 'video/webm' }, { url: 'https://vimeo.com/1' }, 7],
      captions: [{ src: 'videos/a.vtt' }],
    });
    expect(stages[5]).toEqual(configs[5]);
    expect(checkFile(file as RenderedFile)).toBeNull();
  });

  it('does not sign bucket URLs outside Video stages', async () => {
    const docs = cloneDocs(sampleDocs);
    const lesson = docs[DOCTYPES.lesson].find((d) => d.name === 'درس-الكسور') as RawDoc;
    lesson.stages = (lesson.stages as RawDoc[]).map((r) => ({ ...r, type: 'Text', config: JSON.stringify({ url: 'videos/intro-fractions.mp4' }) }));
    const catalog = buildCatalog(docs);
    expect([...collectVideoKeys(catalog, R2).values()]).not.toContain('videos/intro-fractions.mp4');
    const { result } = await signedRender(catalog, at('2025-03-01T03:10:00Z'));
    expect(json<LessonJson>(byKey(result.files).get(keys.lesson(lesson.name))).signed_url_expiry).toBeUndefined();
  });

  it('names the key when presigning fails', async () => {
    const presign = async (key: string) => {
      if (key === 'videos/intro-fractions.mp4') throw new Error('AccessDenied');
      return `https://signed/${key}`;
    };
    const failure = prepareSignedUrls(sample, { presign, expiryHours: 4, now: new Date(), ...R2 });
    await expect(failure).rejects.toThrow(DeployError);
    await expect(failure).rejects.toThrow(/sign: presign GET videos\/intro-fractions\.mp4: AccessDenied/);
  });
});

describe('with the AWS SDK presigner', () => {
  const client = new S3Client({
    endpoint: 'http://127.0.0.1:9/',
    region: 'auto',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  });
  const presign = (key: string, o: { expiresInSeconds: number; signingDate: Date }) =>
    getSignedUrl(client, new GetObjectCommand({ Bucket: 'memora-cdn', Key: key }), { expiresIn: o.expiresInSeconds, signingDate: o.signingDate });

  it('signs with the window start and the full expiry, identically within a window', async () => {
    const first = await prepareSignedUrls(sample, { presign, expiryHours: 4, now: at('2025-03-01T02:00:01Z'), ...R2 });
    const second = await prepareSignedUrls(sample, { presign, expiryHours: 4, now: at('2025-03-01T03:59:00Z'), ...R2 });
    const url = new URL(first.byUrl.get('videos/intro-fractions.mp4') as string);
    expect(url.pathname).toBe('/memora-cdn/videos/intro-fractions.mp4');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20250301T020000Z');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('14400');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect([...second.byUrl]).toEqual([...first.byUrl]);
    const third = await prepareSignedUrls(sample, { presign, expiryHours: 4, now: at('2025-03-01T04:00:00Z'), ...R2 });
    expect(third.byUrl.get('videos/intro-fractions.mp4')).not.toBe(first.byUrl.get('videos/intro-fractions.mp4'));
  });
});
