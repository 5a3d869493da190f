import http from 'node:http';
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { ALIAS_CACHE, IMMUTABLE_CACHE, SHORT_CACHE, versionKey } from '../packages/client/src/layout.ts';
import { sha256 } from '../src/io/hash.ts';
import { createDirectoryStorage } from '../src/deploy/storage/directory.ts';
import { STATE_KEY } from '../src/deploy/state.ts';
import { bundleViewer } from '../src/preview/assets.ts';
import { parseRequestPath } from '../src/preview/handler.ts';
import { parseHttpDate } from '../src/preview/http-date.ts';
import { renderIndexPage } from '../src/preview/index-page.ts';
import { startPreviewServer } from '../src/preview/server.ts';
import { hostAllowed, hostName } from '../src/preview/host-check.ts';
import { allowedHostsOption } from '../src/cli/args.ts';
import type { PreviewServer } from '../src/preview/server.ts';

const ARABIC_PLAN = 'خطة';
const ARABIC_LESSON = 'درس';
const SCRIPT_TITLE = '<script>alert("x")</script> Math & Science';
const ARABIC_TITLE = 'خطة العلوم للصف الثالث';

let root: string;
let outDir: string;
let preview: PreviewServer;

async function put(rel: string, data: unknown): Promise<void> {
  const file = path.join(outDir, ...rel.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, typeof data === 'string' ? data : JSON.stringify(data));
}

function manifest(planId: string, title: string, subjects: string[]): Record<string, unknown> {
  const enc = encodeURIComponent;
  return {
    plan_id: planId,
    title,
    season: '2025',
    grade: 'G3',
    stream: 'general',
    version: 'abc123',
    generated_at: '2025-01-01T00:00:00Z',
    subjects: subjects.map((id, i) => ({
      id,
      title: `Subject ${id}`,
      color_code: '#123456',
      image: null,
      sort_order: i,
      url: `plans/${enc(planId)}/subjects/${enc(id)}.json?v=abc`,
      access: { is_public: true },
    })),
    search_index_url: `plans/${enc(planId)}/search_index.json?v=abc`,
  };
}

/** Sends a request with the path exactly as given (fetch would normalize dot segments), to `server` with `headers`. */
function rawRequest(rawPath: string, method = 'GET', headers: Record<string, string> = {}, server: PreviewServer = preview): Promise<{ status: number; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: rawPath, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A GET (or HEAD) with the given headers, the body as the raw bytes on the wire (fetch would decode it). */
function rawGet(rawPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(preview.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: rawPath, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The server's URL for a path (`//x` stays a path, not a host). */
function at(pathname: string): string {
  return preview.url.replace(/\/$/, '') + pathname;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'memora-preview-'));
  outDir = path.join(root, 'out');
  await put('plans/p1/manifest.json', manifest('p1', SCRIPT_TITLE, ['math', 'sci']));
  await put('plans/p1/search_index.json', { documents: [] });
  await put('plans/p1/subjects/math.json', { id: 'math', title: 'Math' });
  await put('plans/p1/subjects/sci.json', { id: 'sci', title: 'Science' });
  await put(`plans/${ARABIC_PLAN}/manifest.json`, manifest(ARABIC_PLAN, ARABIC_TITLE, ['علوم']));
  await put(`plans/${ARABIC_PLAN}/search_index.json`, { documents: [] });
  await put(`plans/${ARABIC_PLAN}/subjects/علوم.json`, { id: 'علوم', title: 'العلوم' });
  await put('plans/broken/manifest.json', '{ not json');
  await put('lessons/a%20b.json', { id: 'a b', title: 'Spaced' });
  await put(`lessons/${ARABIC_LESSON}.json`, { id: ARABIC_LESSON, title: 'الدرس الأول' });
  await put('units/u1.json', { id: 'u1' });
  await put('assets/style.css', 'body{}');
  await writeFile(path.join(root, 'secret.json'), '{"secret":true}');
  await symlink(path.join(root, 'secret.json'), path.join(outDir, 'lessons', 'escape.json'));
  await symlink(root, path.join(outDir, 'up'));
  await symlink(path.join(outDir, 'units', 'u1.json'), path.join(outDir, 'lessons', 'alias.json'));
  preview = await startPreviewServer({ outDir, port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await preview?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('preview server: files', () => {
  it("serves JSON with the content type, CORS and the CDN's cache header", async () => {
    const res = await fetch(at('/units/u1.json?v=ignored'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe(ALIAS_CACHE);
    expect(res.headers.get('etag')).toBeTruthy();
    expect(await res.json()).toEqual({ id: 'u1' });
  });

  it('serves other types sensibly', async () => {
    const res = await fetch(at('/assets/style.css'));
    expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await res.text()).toBe('body{}');
  });

  it('answers the OPTIONS preflight', async () => {
    const res = await fetch(at('/units/u1.json'), {
      method: 'OPTIONS',
      headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'GET' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('*');
  });

  it('answers HEAD with headers and no body', async () => {
    const get = await fetch(at('/units/u1.json'));
    const head = await fetch(at('/units/u1.json'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String((await get.arrayBuffer()).byteLength));
    expect(head.headers.get('etag')).toBe(get.headers.get('etag'));
    expect(await head.text()).toBe('');
  });

  it('answers 304 when If-None-Match matches the ETag', async () => {
    const first = await fetch(at('/units/u1.json'));
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    await first.arrayBuffer();
    const second = await fetch(at('/units/u1.json'), { headers: { 'If-None-Match': etag ?? '' } });
    expect(second.status).toBe(304);
    expect(second.headers.get('etag')).toBe(etag);
    const other = await fetch(at('/units/u1.json'), { headers: { 'If-None-Match': 'W/"nope"' } });
    expect(other.status).toBe(200);
    await other.arrayBuffer();
  });

  it('answers 404 with a JSON body', async () => {
    const res = await fetch(at('/lessons/missing.json'));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual({ error: 'not found', path: '/lessons/missing.json' });
    const dir = await fetch(at('/lessons/'));
    expect(dir.status).toBe(404);
    await dir.arrayBuffer();
  });

  it('answers 404 to a file key with a trailing slash, as S3 and R2 do (their keys are exact)', async () => {
    const version = versionKey('units/u1.json', sha256(await readFile(path.join(outDir, 'units', 'u1.json'))));
    expect((await rawGet(`/${version}`)).status).toBe(200);
    for (const key of ['units/u1.json', `lessons/${encodeURIComponent('a%20b.json')}`, 'plans/p1/manifest.json', version]) {
      const res = await rawGet(`/${key}/`);
      expect(res.status, key).toBe(404);
      expect(JSON.parse(res.body.toString('utf8')).error, key).toBe('not found');
      expect((await rawGet(`/${key}/?v=1`)).status, key).toBe(404);
      expect((await rawGet(`/${key}/`, {}, 'HEAD')).status, key).toBe(404);
    }
  });

  it('answers 405 to other methods', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(at('/units/u1.json'), { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
      await res.arrayBuffer();
    }
  });

  it('answers 400 to malformed percent-encoding', async () => {
    expect((await rawRequest('/lessons/%E0%A4%A.json')).status).toBe(400);
    expect((await rawRequest('/lessons/%zz.json')).status).toBe(400);
  });

  it('serves the %20 and Arabic files at their encodeURIComponent-ed URLs', async () => {
    const spaced = await fetch(at(`/lessons/${encodeURIComponent('a%20b.json')}`));
    expect(spaced.status).toBe(200);
    expect(await spaced.json()).toEqual({ id: 'a b', title: 'Spaced' });
    const arabic = await fetch(at(`/lessons/${encodeURIComponent(`${ARABIC_LESSON}.json`)}`));
    expect(arabic.status).toBe(200);
    expect(await arabic.json()).toEqual({ id: ARABIC_LESSON, title: 'الدرس الأول' });
    // The decoded name is a different key: `a b.json` does not exist.
    const decoded = await fetch(at('/lessons/a%20b.json'));
    expect(decoded.status).toBe(404);
    await decoded.arrayBuffer();
  });
});

describe('preview server: serves like the CDN', () => {
  /** A lesson large enough to be compressed, Arabic included. */
  const BIG = 'lessons/big.json';
  let bigBytes: Buffer;

  beforeAll(async () => {
    const stages = Array.from({ length: 200 }, (_, i) => ({ idx: i + 1, title: `المرحلة ${i + 1} stage`, type: 'text', config: { body: 'نص '.repeat(20) } }));
    await put(BIG, { id: 'big', title: 'درس كبير', stages });
    bigBytes = await readFile(path.join(outDir, ...BIG.split('/')));
  });

  it("sends the CDN's Cache-Control: versions immutable, manifests and search indexes short, other aliases longer, the viewer's own answers never cached", async () => {
    const u1 = await readFile(path.join(outDir, 'units', 'u1.json'));
    const cases: [string, string][] = [
      ['/plans/p1/manifest.json', SHORT_CACHE],
      ['/plans/p1/search_index.json', SHORT_CACHE],
      ['/units/u1.json', ALIAS_CACHE],
      [`/${BIG}`, ALIAS_CACHE],
      [`/${versionKey('units/u1.json', sha256(u1))}`, IMMUTABLE_CACHE],
      ['/_viewer/api/plans', 'no-store'],
      ['/_viewer/app.js', 'no-store'],
      ['/', 'no-store'],
      ['/lessons/missing.json', 'no-store'],
    ];
    for (const [target, expected] of cases) {
      const res = await rawGet(target);
      expect(res.headers['cache-control'], target).toBe(expected);
    }
  });

  it('compresses with brotli or gzip as Accept-Encoding negotiates, and the body decodes to the exact file bytes', async () => {
    const cases: [string | undefined, 'br' | 'gzip' | undefined][] = [
      ['br', 'br'],
      ['gzip', 'gzip'],
      ['gzip, deflate, br', 'br'],
      ['br;q=0.5, gzip', 'gzip'],
      ['gzip;q=0.8, br;q=0.9', 'br'],
      ['*', 'br'],
      ['br;q=0, gzip;q=0', undefined],
      ['identity', undefined],
      ['deflate', undefined],
      [undefined, undefined],
    ];
    for (const [accept, expected] of cases) {
      // Twice: the second answer comes from the cache of compressed bodies.
      for (const round of [1, 2]) {
        const res = await rawGet(`/${BIG}`, accept === undefined ? {} : { 'Accept-Encoding': accept });
        const label = `${accept ?? '(none)'}, request ${round}`;
        expect(res.status, label).toBe(200);
        expect(res.headers['content-encoding'], label).toBe(expected);
        expect(res.headers.vary, label).toBe('Accept-Encoding');
        const decoded = expected === 'br' ? zlib.brotliDecompressSync(res.body) : expected === 'gzip' ? zlib.gunzipSync(res.body) : res.body;
        expect(decoded.equals(bigBytes), label).toBe(true);
        if (expected !== undefined) expect(res.body.length, label).toBeLessThan(bigBytes.length / 2);
        if (expected === undefined || round === 2) expect(res.headers['content-length'], label).toBe(String(res.body.length));
      }
    }
  });

  it('leaves small files and other types uncompressed', async () => {
    const small = await rawGet('/units/u1.json', { 'Accept-Encoding': 'br, gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString('utf8'))).toEqual({ id: 'u1' });
    await put('assets/blob.bin', 'x'.repeat(5000));
    const binary = await rawGet('/assets/blob.bin', { 'Accept-Encoding': 'br, gzip' });
    expect(binary.headers['content-encoding']).toBeUndefined();
    expect(binary.headers.vary).toBeUndefined();
    expect(binary.body.length).toBe(5000);
  });

  it("compresses the viewer's script and JSON answers too", async () => {
    const app = await rawGet('/_viewer/app.js', { 'Accept-Encoding': 'gzip' });
    expect(app.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(app.body).toString('utf8').includes('CdnClient')).toBe(true);
    expect(app.headers['content-length']).toBe(String(app.body.length));
  });

  it("answers HEAD with GET's headers and no body, compressed or not", async () => {
    for (const accept of ['br', 'gzip', 'identity']) {
      const get = await rawGet(`/${BIG}`, { 'Accept-Encoding': accept });
      const head = await rawGet(`/${BIG}`, { 'Accept-Encoding': accept }, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      for (const name of ['content-type', 'content-encoding', 'vary', 'etag', 'last-modified', 'cache-control', 'access-control-allow-origin']) {
        expect(head.headers[name], `${accept}: ${name}`).toBe(get.headers[name]);
      }
    }
  });

  it('answers 304 to If-Modified-Since at or after the last modification, to the second', async () => {
    const file = path.join(outDir, 'lessons', 'dated.json');
    await put('lessons/dated.json', { id: 'dated' });
    await utimes(file, new Date('2025-03-01T10:00:00.700Z'), new Date('2025-03-01T10:00:00.700Z'));
    const first = await rawGet('/lessons/dated.json');
    expect(first.headers['last-modified']).toBe('Sat, 01 Mar 2025 10:00:00 GMT');
    expect((await rawGet('/lessons/dated.json', { 'If-Modified-Since': 'Sat, 01 Mar 2025 10:00:00 GMT' })).status).toBe(304);
    expect((await rawGet('/lessons/dated.json', { 'If-Modified-Since': 'Sat, 01 Mar 2025 11:00:00 GMT' })).status).toBe(304);
    const older = await rawGet('/lessons/dated.json', { 'If-Modified-Since': 'Sat, 01 Mar 2025 09:59:59 GMT' });
    expect(older.status).toBe(200);
    expect(JSON.parse(older.body.toString('utf8'))).toEqual({ id: 'dated' });
    // A change later in the same second as the date the client holds: the ETag still tells.
    await writeFile(file, JSON.stringify({ id: 'dated', v: 2 }));
    await utimes(file, new Date('2025-03-01T10:00:00.900Z'), new Date('2025-03-01T10:00:00.900Z'));
    const changed = await rawGet('/lessons/dated.json', { 'If-None-Match': String(first.headers.etag), 'If-Modified-Since': 'Sat, 01 Mar 2025 10:00:00 GMT' });
    expect(changed.status).toBe(200);
  });

  it('ignores an If-Modified-Since that is not an HTTP-date (RFC 9110 section 13.1.3) instead of answering 304', async () => {
    const file = path.join(outDir, 'lessons', 'dated-strict.json');
    await put('lessons/dated-strict.json', { id: 'dated-strict' });
    await utimes(file, new Date('2025-03-01T10:00:00Z'), new Date('2025-03-01T10:00:00Z'));
    // Date.parse reads each of these as a date after the file's.
    const notDates = [
      '2099',
      '2099-01-01',
      '2099-01-01T00:00:00Z',
      'Sat, 01 Mar 2099 10:00:00',
      'Sat, 01 Mar 2099 10:00:00 UTC',
      'Sat, 01 Mar 2099 10:00:00 +0000',
      'sat, 01 mar 2099 10:00:00 gmt',
      'Sat,  01 Mar 2099 10:00:00 GMT',
      'Sat, 1 Mar 2099 10:00:00 GMT',
      'March 1, 2099',
      'Sat, 31 Apr 2099 10:00:00 GMT',
      'Sat, 01 Mar 2099 24:00:00 GMT',
    ];
    for (const value of notDates) {
      expect(Number.isNaN(Date.parse(value)), value).toBe(false);
      const res = await rawGet('/lessons/dated-strict.json', { 'If-Modified-Since': value });
      expect(res.status, value).toBe(200);
      expect(JSON.parse(res.body.toString('utf8')), value).toEqual({ id: 'dated-strict' });
    }
    // The three forms of an HTTP-date all count.
    for (const value of ['Sat, 01 Mar 2025 10:00:00 GMT', 'Saturday, 01-Mar-25 10:00:00 GMT', 'Sat Mar  1 10:00:00 2025']) {
      expect((await rawGet('/lessons/dated-strict.json', { 'If-Modified-Since': value })).status, value).toBe(304);
    }
    expect((await rawGet('/lessons/dated-strict.json', { 'If-Modified-Since': 'Sat Mar  1 09:59:59 2025' })).status).toBe(200);
  });

  it('lets If-None-Match decide over If-Modified-Since', async () => {
    const first = await rawGet('/units/u1.json');
    const etag = String(first.headers.etag);
    const lastModified = String(first.headers['last-modified']);
    const longAgo = 'Thu, 01 Jan 1970 00:00:00 GMT';
    expect((await rawGet('/units/u1.json', { 'If-None-Match': etag, 'If-Modified-Since': longAgo })).status).toBe(304);
    const other = await rawGet('/units/u1.json', { 'If-None-Match': 'W/"other"', 'If-Modified-Since': lastModified });
    expect(other.status).toBe(200);
    expect(other.body.length).toBeGreaterThan(0);
    // A reload's Cache-Control: no-cache asks for revalidation, which a 304 is.
    expect((await rawGet('/units/u1.json', { 'If-None-Match': etag, 'Cache-Control': 'no-cache' })).status).toBe(304);
  });

  it('answers 304 with the validators, Vary and no body, for compressed and version answers alike', async () => {
    const br = await rawGet(`/${BIG}`, { 'Accept-Encoding': 'br' });
    expect(br.headers.etag).toMatch(/^W\//);
    const again = await rawGet(`/${BIG}`, { 'Accept-Encoding': 'br', 'If-None-Match': String(br.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.vary).toBe('Accept-Encoding');
    expect(again.headers.etag).toBe(br.headers.etag);
    expect(again.headers['cache-control']).toBe(ALIAS_CACHE);
    expect(again.headers['content-encoding']).toBeUndefined();

    const version = `/${versionKey(BIG, sha256(bigBytes))}`;
    const v = await rawGet(version);
    expect(v.headers.etag).toBe(`"${sha256(bigBytes).slice(0, 16)}"`);
    expect(v.body.equals(bigBytes)).toBe(true);
    const v304 = await rawGet(version, { 'If-None-Match': String(v.headers.etag) });
    expect(v304.status).toBe(304);
    expect(v304.headers['cache-control']).toBe(IMMUTABLE_CACHE);
    const vBr = await rawGet(version, { 'Accept-Encoding': 'br' });
    expect(zlib.brotliDecompressSync(vBr.body).equals(bigBytes)).toBe(true);
    // Another version of the same alias is not in out/.
    expect((await rawGet(`/${versionKey(BIG, 'f'.repeat(64))}`)).status).toBe(404);
  });

  it('serves a routed search file at its version only, as the CDN stores it', async () => {
    // In a plan folder of its own, removed after: other tests list the plans.
    const term = 'plans/routed/search/~t1.json';
    const bytes = Buffer.from('{"search_version":3,"terms":[],"docs":{},"nodes":[]}');
    await put(term, bytes.toString('utf8'));
    try {
      const version = await rawGet(`/${versionKey(term, sha256(bytes))}`);
      expect(version.status).toBe(200);
      expect(version.body.equals(bytes)).toBe(true);
      const alias = await rawGet(`/${term}`);
      expect(alias.status).toBe(404);
      expect(JSON.parse(alias.body.toString('utf8')).error).toMatch(/only at their versions/);
    } finally {
      await rm(path.join(outDir, 'plans', 'routed'), { recursive: true });
    }
  });

  it('never serves dotfiles, directly, through a version link, a link or the plan list', async () => {
    await put('.memora-cdn-out', 'marker');
    await put('.memora-cdn-build.json', { plans: null, warnings: [] });
    await put('lessons/.big.json.0123abcd.tmp-memora', { id: 'half' });
    await put('plans/.staging/manifest.json', manifest('.staging', 'Hidden plan', []));
    await symlink(path.join(outDir, '.memora-cdn-build.json'), path.join(outDir, 'lessons', 'dot-link.json'));
    const hidden = [
      '/.memora-cdn-out',
      '/.memora-cdn-build.json',
      `/.memora-cdn-build~${'0'.repeat(16)}.json`,
      '/lessons/.big.json.0123abcd.tmp-memora',
      '/plans/.staging/manifest.json',
      `/plans/.staging/manifest~${'0'.repeat(16)}.json`,
      '/lessons/dot-link.json',
      `/lessons/${encodeURIComponent('.big.json.0123abcd.tmp-memora')}`,
    ];
    for (const target of hidden) {
      for (const method of ['GET', 'HEAD']) {
        const res = await rawGet(target, {}, method);
        expect(res.status, `${method} ${target}`).toBe(404);
        expect(res.body.toString('utf8'), target).not.toContain('warnings');
      }
    }
    // The viewer still reads the build's warnings through its own API, and lists no hidden plan.
    expect(await (await fetch(at('/_viewer/api/build'))).json()).toEqual({ exists: true, plans: null, warnings: [] });
    const plans = (await (await fetch(at('/_viewer/api/plans'))).json()) as { plans: { dir: string }[]; unreadable: { dir: string }[] };
    expect([...plans.plans, ...plans.unreadable].map((p) => p.dir)).not.toContain('.staging');
    await rm(path.join(outDir, '.memora-cdn-build.json'));
    await rm(path.join(outDir, 'lessons', 'dot-link.json'));
  });

  it('offers no event stream outside dev', async () => {
    const res = await rawGet('/_viewer/events', { Accept: 'text/event-stream' });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const page = await (await fetch(at('/'))).text();
    expect(page).not.toContain('memora-live');
  });
});

describe('preview server: never leaves out/', () => {
  const attempts = [
    '/..%2F..%2Fetc/passwd',
    '/%2e%2e/x',
    '/%2E%2E/secret.json',
    '/../secret.json',
    '/lessons/../../secret.json',
    '/lessons/%2e%2e%2f%2e%2e%2fsecret.json',
    '/lessons/..%5C..%5Csecret.json',
    '/%5C..%5Csecret.json',
    '/lessons/a%00.json',
    '/units/u1.json%00.txt',
    '//etc/passwd',
    `/${encodeURIComponent(path.join(path.parse(os.tmpdir()).root, 'etc', 'passwd'))}`,
    '/up/secret.json',
    '/lessons/escape.json',
  ];

  it.each(attempts)('refuses %s (raw request)', async (attempt) => {
    const res = await rawRequest(attempt);
    expect([400, 403]).toContain(res.status);
    expect(res.body).not.toContain('"secret":true');
    expect(res.body).not.toContain('root:');
  });

  it.each(attempts)('refuses %s (fetch)', async (attempt) => {
    const res = await fetch(at(attempt));
    const body = await res.text();
    // fetch normalizes `..` and `%2e%2e` away, so some attempts become plain (missing) paths.
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(body).not.toContain('"secret":true');
    expect(body).not.toContain('root:');
  });

  it('refuses a symlink that resolves outside out/ but follows one that stays inside', async () => {
    const escape = await fetch(at('/lessons/escape.json'));
    expect(escape.status).toBe(403);
    expect(await escape.text()).not.toContain('"secret":true');
    const alias = await fetch(at('/lessons/alias.json'));
    expect(alias.status).toBe(200);
    expect(await alias.json()).toEqual({ id: 'u1' });
  });

  it('parses request paths into decoded key segments', () => {
    expect(parseRequestPath('/lessons/a%2520b.json?v=1')).toEqual({ ok: true, segments: ['lessons', 'a%20b.json'], folder: false });
    expect(parseRequestPath('/lessons/a%2520b.json/?v=1')).toEqual({ ok: true, segments: ['lessons', 'a%20b.json'], folder: true });
    expect(parseRequestPath('/')).toEqual({ ok: true, segments: [], folder: true });
    expect(parseRequestPath('/a/%2e%2e/b').ok).toBe(false);
    expect(parseRequestPath('/a%2Fb').ok).toBe(false);
    expect(parseRequestPath('/a%5Cb').ok).toBe(false);
    expect(parseRequestPath('/a%00b').ok).toBe(false);
    expect(parseRequestPath('/a//b').ok).toBe(false);
    expect(parseRequestPath('/%E0%A4%A').ok).toBe(false);
    expect(parseRequestPath('http://evil/x').ok).toBe(false);
  });
});

describe('preview server: DNS rebinding', () => {
  const served = (host: string, server: PreviewServer = preview) => rawRequest('/plans/p1/manifest.json', 'GET', { host }, server);

  it.each(['localhost', 'LOCALHOST:4173', 'viewer.localhost:8080', '127.0.0.1:4173', '192.168.1.20', '[::1]:4173'])('answers a request for %s (this machine)', async (host) => {
    const res = await served(host);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ plan_id: 'p1' });
  });

  it.each(['attacker.example', 'attacker.example:4173', 'localhost.attacker.example', '127.0.0.1.attacker.example', 'attacker.example.:4173', 'a b', '127.1'])(
    'refuses a request for %s with a 403 that says how to allow a name, and none of the file',
    async (host) => {
      const res = await served(host);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'host not allowed', reason: expect.stringContaining('--allow-host') });
      expect(res.body).not.toContain('p1');
    },
  );

  it('answers the names given with --allow-host, a leading dot for every name under it, and no other', async () => {
    const allowing = await startPreviewServer({ outDir, port: 0, allowedHosts: ['preview.example.com', '.app.github.dev'] });
    try {
      for (const host of ['preview.example.com', 'Preview.Example.com:443', 'app.github.dev', 'x-4173.app.github.dev', 'localhost']) expect((await served(host, allowing)).status, host).toBe(200);
      for (const host of ['other.example.com', 'evilapp.github.dev', 'preview.example.com.attacker.example']) expect((await served(host, allowing)).status, host).toBe(403);
    } finally {
      await allowing.close();
    }
  });
});

describe('host names (host-check.ts)', () => {
  it('reads the host name of a Host header, without port, case or final dot', () => {
    expect(hostName('Example.COM:8080')).toBe('example.com');
    expect(hostName('example.com.')).toBe('example.com');
    expect(hostName('[::1]:4173')).toBe('[::1]');
    expect(hostName('a b')).toBeNull();
    expect(hostName('user@example.com')).toBeNull();
  });

  it('answers a request without a Host header (not a browser)', () => {
    expect(hostAllowed(undefined)).toBe(true);
  });

  it('refuses an --allow-host that is not a host name, naming it', () => {
    expect(allowedHostsOption({ 'allow-host': ['preview.example.com', '.example.org'] })).toEqual(['preview.example.com', '.example.org']);
    for (const bad of ['https://preview.example.com', 'preview.example.com:443', 'example.com/path', '', '.']) {
      expect(() => allowedHostsOption({ 'allow-host': [bad] }), bad).toThrow(new RegExp(`--allow-host ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: expected a host name`));
    }
  });
});

describe('HTTP-date', () => {
  const at = (iso: string): number => new Date(iso).getTime();

  it('reads the IMF-fixdate, RFC 850 and asctime forms (RFC 9110 section 5.6.7)', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')?.getTime()).toBe(at('1994-11-06T08:49:37Z'));
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', new Date('2026-01-01'))?.getTime()).toBe(at('1994-11-06T08:49:37Z'));
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')?.getTime()).toBe(at('1994-11-06T08:49:37Z'));
    expect(parseHttpDate('Thu Feb 29 00:00:00 2024')?.getTime()).toBe(at('2024-02-29T00:00:00Z'));
    expect(parseHttpDate('Sat, 01 Jan 0005 00:00:00 GMT')?.getUTCFullYear()).toBe(5);
  });

  it("takes RFC 850's two-digit year as the latest one not more than 50 years ahead", () => {
    const now = new Date('2026-06-01T00:00:00Z');
    expect(parseHttpDate('Monday, 01-Jan-76 00:00:00 GMT', now)?.getUTCFullYear()).toBe(2076);
    expect(parseHttpDate('Thursday, 01-Jan-77 00:00:00 GMT', now)?.getUTCFullYear()).toBe(1977);
    expect(parseHttpDate('Saturday, 01-Jan-00 00:00:00 GMT', now)?.getUTCFullYear()).toBe(2000);
  });

  it('refuses anything else, where Date.parse would guess', () => {
    for (const value of [
      '',
      '2099',
      '1994-11-06T08:49:37Z',
      'Sun, 06 Nov 1994 08:49:37',
      'Sun, 06 Nov 1994 08:49:37 UTC',
      'Sun, 06 Nov 1994 08:49:37 +0000',
      'sun, 06 nov 1994 08:49:37 GMT',
      'Sun, 06 Nov 1994 08:49:37 gmt',
      ' Sun, 06 Nov 1994 08:49:37 GMT',
      'Sun, 06 Nov 1994 08:49:37 GMT ',
      'Sun, 6 Nov 1994 08:49:37 GMT',
      'Sun, 06 Nov 94 08:49:37 GMT',
      'Sunday, 06 Nov 1994 08:49:37 GMT',
      'Sun, 06-Nov-94 08:49:37 GMT',
      'Sun Nov 6 08:49:37 1994',
      'Sun Nov 06 08:49:37 1994 GMT',
      'Sun, 31 Nov 1994 08:49:37 GMT',
      'Tue, 29 Feb 2025 08:49:37 GMT',
      'Sun, 00 Nov 1994 08:49:37 GMT',
      'Sun, 06 Nov 1994 24:00:00 GMT',
      'Sun, 06 Nov 1994 08:60:00 GMT',
      'Sun, 06 Nov 1994 8:49:37 GMT',
    ]) {
      expect(parseHttpDate(value), JSON.stringify(value)).toBeNull();
    }
  });
});

describe('preview server: plain index page', () => {
  it('lists both plans with escaped titles and working links', async () => {
    const res = await fetch(at('/_viewer/plans'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; Math &#38; Science');
    expect(html).toContain(`<h2 lang="ar" dir="rtl">${ARABIC_TITLE}</h2>`);
    expect(html).toContain('plain list of the plans');
    // Plans in code-point order: p1 before the Arabic id.
    expect(html.indexOf('Math &#38; Science')).toBeLessThan(html.indexOf(ARABIC_TITLE));
    // The broken manifest is skipped and mentioned.
    expect(html).toContain('plans/broken/manifest.json');
    expect(html).toMatch(/invalid JSON/);

    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => (m[1] ?? '').replaceAll('&#38;', '&'));
    const arabicSubject = `/plans/${encodeURIComponent(ARABIC_PLAN)}/subjects/${encodeURIComponent('علوم')}.json?v=abc`;
    expect(hrefs).toContain('/plans/p1/manifest.json');
    expect(hrefs).toContain('/plans/p1/subjects/math.json?v=abc');
    expect(hrefs).toContain('/plans/p1/search_index.json?v=abc');
    expect(hrefs).toContain(arabicSubject);
    for (const href of hrefs) {
      const linked = await fetch(at(href));
      expect(linked.status, href).toBe(200);
      await linked.json();
    }
  });

  it('answers HEAD on the index page', async () => {
    const res = await fetch(at('/_viewer/plans'), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await res.text()).toBe('');
  });

  it('renders escaped content, Arabic text as lang="ar" right to left and other text dir="auto", and same-origin links only', () => {
    const html = renderIndexPage([
      {
        plan_id: 'p"x',
        dir: 'p%22x',
        title: ARABIC_TITLE,
        season: null,
        grade: null,
        stream: null,
        version: null,
        generated_at: null,
        manifest_key: 'plans/p%22x/manifest.json',
        search_index_url: null,
        subjects: [
          { id: 's', title: 'العلوم <i>', url: '//evil.example/x.json' },
          { id: 't', title: 'Science', url: 'plans/p/subjects/t.json' },
        ],
      },
    ]);
    expect(html).toContain(`<h2 lang="ar" dir="rtl">${ARABIC_TITLE}</h2>`);
    expect(html).toContain('<span lang="ar" dir="rtl">العلوم &#60;i&#62;</span>');
    expect(html).toContain('<span dir="auto">Science</span>');
    expect(html).toContain('href="/evil.example/x.json"');
    expect(html).toContain('href="/plans/p%2522x/manifest.json"');
    expect(html).toContain('<code dir="auto">p&#34;x</code>');
    expect(renderIndexPage([])).toContain('npm run build');
  });
});

describe('preview server: empty out/', () => {
  it('says to run the build when out/ is missing or has no plans', async () => {
    const emptyRoot = await mkdtemp(path.join(os.tmpdir(), 'memora-preview-empty-'));
    const missing = await startPreviewServer({ outDir: path.join(emptyRoot, 'out'), port: 0 });
    try {
      expect(missing.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(await (await fetch(new URL('/_viewer/api/plans', missing.url))).json()).toEqual({ outDirExists: false, plans: [], unreadable: [] });
      expect(await (await fetch(new URL('/_viewer/api/build', missing.url))).json()).toMatchObject({ exists: false, reason: expect.stringMatching(/run the build/) });
      const plainIndex = new URL('/_viewer/plans', missing.url).href;
      const html = await (await fetch(plainIndex)).text();
      expect(html).toContain('npm run build');
      expect(html).toContain('no built tree yet');
      const file = await fetch(new URL('/lessons/x.json', missing.url));
      expect(file.status).toBe(404);
      await file.arrayBuffer();

      // A build that appears later shows up without a restart.
      await mkdir(path.join(emptyRoot, 'out', 'plans'), { recursive: true });
      const none = await (await fetch(plainIndex)).text();
      expect(none).toContain('No plans have been built yet');
      expect(none).toContain('npm run build');
      await mkdir(path.join(emptyRoot, 'out', 'plans', 'late'));
      await writeFile(path.join(emptyRoot, 'out', 'plans', 'late', 'manifest.json'), JSON.stringify(manifest('late', 'Late plan', [])));
      expect(await (await fetch(plainIndex)).text()).toContain('Late plan');
      const api = (await (await fetch(new URL('/_viewer/api/plans', missing.url))).json()) as { plans: { title: string }[] };
      expect(api.plans.map((p) => p.title)).toEqual(['Late plan']);
    } finally {
      await missing.close();
      await rm(emptyRoot, { recursive: true, force: true });
    }
  });
});

describe('preview server: startup', () => {
  it('fails clearly when the port is in use', async () => {
    const port = Number(new URL(preview.url).port);
    await expect(startPreviewServer({ outDir, port })).rejects.toThrow(new RegExp(`Port ${port}.*--port`));
  });
});

describe('preview server: viewer', () => {
  it('serves the viewer page at / with a same-origin-only content policy', async () => {
    const res = await fetch(at('/'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/_viewer/app.js"></script>');
    expect(html).toContain('href="/_viewer/style.css"');
    expect(html).toContain('href="/_viewer/plans"');
    const head = await fetch(at('/'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('serves the bundled app and its style from memory, with ETags', async () => {
    const app = await fetch(at('/_viewer/app.js'));
    expect(app.status).toBe(200);
    expect(app.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const js = await app.text();
    // (booleans: a failure message with the whole bundle in it would be unreadable)
    expect(js.includes('CdnClient')).toBe(true);
    expect(js.includes('sourceMappingURL=data:application/json')).toBe(true);
    expect(/from\s*["']node:|require\(["']node:/.test(js)).toBe(false);
    const etag = app.headers.get('etag') ?? '';
    expect(etag).not.toBe('');
    const again = await fetch(at('/_viewer/app.js'), { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    const css = await fetch(at('/_viewer/style.css'));
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('.badge');
    const missing = await fetch(at('/_viewer/nope.js'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not found', path: '/_viewer/nope.js' });
  });

  it('answers the plans, build and deploy API as JSON', async () => {
    const plans = (await (await fetch(at('/_viewer/api/plans'))).json()) as { outDirExists: boolean; plans: { plan_id: string }[]; unreadable: { dir: string }[] };
    expect(plans.outDirExists).toBe(true);
    expect(plans.plans.map((p) => p.plan_id)).toEqual(['p1', ARABIC_PLAN]);
    expect(plans.unreadable.map((u) => u.dir)).toEqual(['broken']);

    expect(await (await fetch(at('/_viewer/api/build'))).json()).toMatchObject({ exists: false });
    const warning = { doctype: 'Memora Lesson', name: 'l1', reason: 'has an empty or blank title; skipped', plan: 'p1' };
    await put('.memora-cdn-build.json', { plans: null, warnings: [warning] });
    expect(await (await fetch(at('/_viewer/api/build'))).json()).toEqual({ exists: true, plans: null, warnings: [warning] });

    const deploy = await fetch(at('/_viewer/api/deploy'));
    expect(deploy.status).toBe(200);
    // Same origin only: other sites may read CDN files (as from the CDN), not the deploy info.
    expect(deploy.headers.get('access-control-allow-origin')).toBeNull();
    expect(deploy.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await deploy.json()).toEqual({ configured: false });
  });

  it("shows the storage's deploy state, dead letters and last report", async () => {
    const bucket = await mkdtemp(path.join(os.tmpdir(), 'memora-preview-bucket-'));
    const storage = createDirectoryStorage(bucket, { fsync: false });
    const reportKey = '_deploy/history/2025-01-01T00-00-00.000Z-abcd1234.json';
    const lastDeploy = { id: 'abcd1234', status: 'failed', started_at: '2025-01-01T00:00:00.000Z', finished_at: '2025-01-01T00:00:05.000Z', report_key: reportKey, uploaded: 3, deleted: 0, failed: 1 };
    const failure = { op: 'upload', runs: 3, last_error: 'HTTP 500', first_failed_at: 'a', last_failed_at: 'b' };
    const state = { version: 1, keys: {}, failures: { 'lessons/x.json': failure, 'lessons/y.json': { ...failure, runs: 1 } }, last_deploy: lastDeploy, pending_purge: [], updated_at: '' };
    await storage.put(STATE_KEY, Buffer.from(JSON.stringify(state)), { contentType: 'application/json', cacheControl: 'no-store' });
    const server = await startPreviewServer({ outDir, port: 0, storage });
    try {
      const url = new URL('/_viewer/api/deploy', server.url);
      const noReport = (await (await fetch(url)).json()) as Record<string, unknown>;
      expect(noReport).toMatchObject({ configured: true, last_deploy: lastDeploy, report: null, dead_letters: [{ key: 'lessons/x.json', runs: 3 }] });
      expect(noReport.storage).toContain(bucket);
      expect(noReport.error).toMatch(/report .* is missing/);

      await storage.put(reportKey, Buffer.from(JSON.stringify({ id: 'abcd1234', trigger: 'manual', status: 'failed' })), { contentType: 'application/json', cacheControl: 'no-store' });
      const info = (await (await fetch(url)).json()) as Record<string, unknown>;
      expect(info).toMatchObject({ configured: true, last_deploy: lastDeploy, report: { trigger: 'manual' } });
      expect(info.error).toBeUndefined();
    } finally {
      await server.close();
      await storage.close();
      await rm(bucket, { recursive: true, force: true });
    }
  });

  it('fails with the compiler messages when the viewer does not bundle', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'memora-preview-broken-'));
    try {
      await writeFile(path.join(dir, 'broken.ts'), 'export const answer = ;\n');
      await expect(bundleViewer({ entries: { app: path.join(dir, 'broken.ts') } })).rejects.toThrow(/cannot bundle the preview viewer[\s\S]*broken\.ts:1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
