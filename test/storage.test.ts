/**
 * The storage contract, run against both providers: `aws-s3` on s3rver (through the counting and
 * fault-injecting proxy of test/s3rver.ts) and `directory` on a temporary folder. Then what only
 * one provider has: error classification and presigned URLs (S3), key safety, metadata files and
 * lock files (directory), and storageFromConfig.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import http from 'node:http';
import path from 'node:path';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, describeError } from '../src/errors.ts';
import { createDirectoryStorage } from '../src/deploy/storage/directory.ts';
import { PROVIDER_VARIABLES, providerVariables, storageFromConfig } from '../src/deploy/storage/index.ts';
import { createS3Storage } from '../src/deploy/storage/s3.ts';
import { PreconditionFailedError, StorageError, type ObjectInfo, type RequestCounts, type Storage } from '../src/deploy/storage/types.ts';
import { tempDir } from './helpers.ts';
import { sha256 } from '../src/io/hash.ts';
import { desAvailable, S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3, type S3Harness } from './s3rver.ts';

const JSON_TYPE = 'application/json; charset=utf-8';
const CACHE = 'public, max-age=300, stale-while-revalidate=60';
const opts = { contentType: JSON_TYPE, cacheControl: CACHE };

const md5Etag = (b: Uint8Array) => `"${createHash('md5').update(b).digest('hex')}"`;

async function listAll(storage: Storage, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of storage.list(prefix)) out.push(o);
  return out;
}

function delta(before: RequestCounts, after: RequestCounts): Partial<RequestCounts> {
  const d: Partial<RequestCounts> = {};
  for (const k of Object.keys(before) as (keyof RequestCounts)[]) if (after[k] !== before[k]) d[k] = after[k] - before[k];
  return d;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

interface Subject {
  /** The storage under test. */
  storage: Storage;
  /** The same store, listing in pages of 3 where the provider pages (S3). */
  paged: Storage;
  /** Whether `paged` makes one list request per page. */
  pages: boolean;
}

/** The behaviour every provider shares. */
function contract(getSubject: () => Subject): void {
  it('round-trips bytes, content type and cache control; the ETag is the quoted MD5', async () => {
    const { storage } = getSubject();
    const bytes = Buffer.concat([Buffer.from('{"ü":"€ \u0000 \\"}\n', 'utf8'), randomBytes(4096)]);
    const put = await storage.put('rt/object.json', bytes, opts);
    expect(put.etag).toBe(md5Etag(bytes));
    const got = await storage.get('rt/object.json');
    expect(got?.body.equals(bytes)).toBe(true);
    expect(got?.etag).toBe(put.etag);
    expect(got?.contentType).toBe(JSON_TYPE);
    expect(got?.cacheControl).toBe(CACHE);
    const head = await storage.head('rt/object.json');
    expect(head).toEqual({ key: 'rt/object.json', etag: put.etag, size: bytes.length, contentType: JSON_TYPE, cacheControl: CACHE });
    // Overwrite.
    const second = Buffer.from('[]');
    await storage.put('rt/object.json', second, { contentType: 'text/plain', cacheControl: 'no-store' });
    const again = await storage.get('rt/object.json');
    expect(again?.body.equals(second)).toBe(true);
    expect(again?.contentType).toBe('text/plain');
    expect(again?.cacheControl).toBe('no-store');
  });

  it('gives up a put or a deletion whose signal has fired, as transient, naming the reason, and writes nothing', async () => {
    const { storage } = getSubject();
    await storage.put('given-up/kept.json', Buffer.from('{}'), opts);
    const controller = new AbortController();
    controller.abort(new Error('the lease is running out'));
    const put = await rejection(storage.put('given-up/new.json', Buffer.from('[]'), { ...opts, signal: controller.signal }));
    expect(put).toBeInstanceOf(StorageError);
    expect(put).toMatchObject({ transient: true });
    expect((put as Error).message).toMatch(/^put given-up\/new\.json on .* was given up: the lease is running out$/);
    const deletion = await rejection(storage.deleteMany(['given-up/kept.json'], { signal: controller.signal }));
    expect(deletion).toMatchObject({ transient: true });
    expect((deletion as Error).message).toMatch(/^delete 1 keys from given-up\/kept\.json on .* was given up: the lease is running out$/);
    expect((await listAll(storage, 'given-up/')).map((o) => o.key)).toEqual(['given-up/kept.json']);
  });

  it('keeps non-ASCII, %-escaped and punctuated keys exactly', async () => {
    const { storage } = getSubject();
    const keys = ['nk/ünïcödé/数学.json', 'nk/a%20b%2Fc.json', 'nk/space name+plus=&.json', 'nk/درس-الكسور.json', 'nk/emoji-😀.json'];
    for (const [i, key] of keys.entries()) await storage.put(key, Buffer.from(`{"i":${i}}`), opts);
    for (const [i, key] of keys.entries()) {
      expect((await storage.get(key))?.body.toString()).toBe(`{"i":${i}}`);
      expect((await storage.head(key))?.key).toBe(key);
    }
    const listed = (await listAll(storage, 'nk/')).map((o) => o.key);
    expect(listed).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });

  it('answers null for a missing key on get and head', async () => {
    const { storage } = getSubject();
    expect(await storage.get('missing/nothing.json')).toBeNull();
    expect(await storage.head('missing/nothing.json')).toBeNull();
  });

  it('deletes existing and missing keys alike, and refuses batches over 1,000', async () => {
    const { storage } = getSubject();
    await storage.put('del/a.json', Buffer.from('a'), opts);
    await storage.put('del/sub/b.json', Buffer.from('b'), opts);
    const before = { ...storage.requests };
    const result = await storage.deleteMany(['del/a.json', 'del/sub/b.json', 'del/never.json']);
    expect(delta(before, storage.requests)).toEqual({ delete: 1 });
    expect([...result.deleted].sort()).toEqual(['del/a.json', 'del/never.json', 'del/sub/b.json']);
    expect(result.failed).toEqual([]);
    expect(await storage.get('del/a.json')).toBeNull();
    expect(await listAll(storage, 'del/')).toEqual([]);
    expect(await storage.deleteMany([])).toEqual({ deleted: [], failed: [] });
    const beforeRefusal = { ...storage.requests };
    const tooMany = Array.from({ length: 1001 }, (_, i) => `del/${i}.json`);
    await expect(storage.deleteMany(tooMany)).rejects.toThrow(/at most 1000 keys/);
    expect(delta(beforeRefusal, storage.requests)).toEqual({});
  });

  it('lists a prefix in key order, with ETags and sizes, across pages', async () => {
    const { storage, paged, pages } = getSubject();
    // Keys whose folder walk order is their key order (see test/s3rver.ts on s3rver's order).
    const keys = ['order/01.json', 'order/02/x.json', 'order/03.json', 'order/04/a/b.json', 'order/05.json', 'order/06.json', 'order/07.json', 'order/08/z.json'];
    const shuffled = [...keys].sort(() => Math.random() - 0.5);
    for (const key of shuffled) await storage.put(key, Buffer.from(key), opts);
    await storage.put('orderly.json', Buffer.from('outside'), opts);
    await storage.put('other/order/x.json', Buffer.from('outside'), opts);

    const before = { ...paged.requests };
    const listed = await listAll(paged, 'order/');
    expect(listed).toEqual(keys.map((key) => ({ key, etag: md5Etag(Buffer.from(key)), size: Buffer.byteLength(key) })));
    expect(delta(before, paged.requests)).toEqual({ list: pages ? 3 : 1 });
    // A prefix that ends inside a name, and the whole store.
    expect((await listAll(storage, 'order/0')).map((o) => o.key)).toEqual(keys);
    const all = (await listAll(storage, '')).map((o) => o.key);
    expect(all).toEqual(expect.arrayContaining([...keys, 'orderly.json', 'other/order/x.json']));
    expect(all).toEqual([...all].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(await listAll(storage, 'no-such-prefix/')).toEqual([]);
  });

  it('enforces conditional writes: If-None-Match * and If-Match', async () => {
    const { storage } = getSubject();
    const key = 'cond/state.json';
    const first = await storage.put(key, Buffer.from('{"v":1}'), { ...opts, ifNoneMatch: '*' });

    const exists = await rejection(storage.put(key, Buffer.from('{"v":"x"}'), { ...opts, ifNoneMatch: '*' }));
    expect(exists).toBeInstanceOf(PreconditionFailedError);
    expect(exists).toMatchObject({ transient: false, status: 412, code: 'PreconditionFailed' });

    const second = await storage.put(key, Buffer.from('{"v":2}'), { ...opts, ifMatch: first.etag });
    expect(second.etag).toBe(md5Etag(Buffer.from('{"v":2}')));
    const stale = await rejection(storage.put(key, Buffer.from('{"v":"stale"}'), { ...opts, ifMatch: first.etag }));
    expect(stale).toBeInstanceOf(PreconditionFailedError);
    expect((await storage.get(key))?.body.toString()).toBe('{"v":2}');

    // If-Match on a key that is gone: someone deleted it since it was read.
    await expect(storage.put('cond/gone.json', Buffer.from('{}'), { ...opts, ifMatch: second.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(await storage.head('cond/gone.json')).toBeNull();
  });

  it('lets exactly one of several racing conditional writes win', async () => {
    const { storage } = getSubject();
    const key = 'cond/race.json';
    const base = await storage.put(key, Buffer.from('{"v":0}'), opts);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => storage.put(key, Buffer.from(`{"v":${i + 1}}`), { ...opts, ifMatch: base.etag })),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.every((o) => o.reason instanceof PreconditionFailedError)).toBe(true);
    const winner = outcomes.findIndex((o) => o.status === 'fulfilled');
    expect((await storage.get(key))?.body.toString()).toBe(`{"v":${winner + 1}}`);
  });

  it('counts requests by kind', async () => {
    const { storage } = getSubject();
    const before = { ...storage.requests };
    await storage.put('count/a.json', Buffer.from('1'), opts);
    await storage.get('count/a.json');
    await storage.get('count/none.json');
    await storage.head('count/a.json');
    await listAll(storage, 'count/');
    await storage.deleteMany(['count/a.json']);
    expect(delta(before, storage.requests)).toEqual({ put: 1, get: 2, head: 1, list: 1, delete: 1 });
  });

  it('stores a body larger than the single-PUT limit', async () => {
    const { storage } = getSubject();
    const big = randomBytes(9 * 1024 * 1024);
    const put = await storage.put('big/blob.bin', big, { contentType: 'application/octet-stream', cacheControl: 'no-store' });
    const got = await storage.get('big/blob.bin');
    expect(got?.body.equals(big)).toBe(true);
    expect(got?.etag).toBe(put.etag);
    expect(got?.contentType).toBe('application/octet-stream');
    expect((await storage.head('big/blob.bin'))?.size).toBe(big.length);
  });
}

describe('aws-s3 on s3rver', () => {
  let s3: S3Harness;
  let storage: Storage;
  let paged: Storage;
  beforeAll(async () => {
    s3 = await startS3();
    storage = s3.storage();
    paged = s3.storage({ listPageSize: 3 });
  });
  afterAll(async () => {
    await s3?.close();
  });

  describe('contract', () => {
    contract(() => ({ storage, paged, pages: true }));
  });

  it('describes itself without secrets', () => {
    expect(storage.description).toBe(`aws-s3 bucket memora-test at ${s3.endpoint}`);
    expect(storage.bucket).toBe('memora-test');
    const r2 = createS3Storage({ provider: 'cloudflare-r2', endpoint: 'https://user:pw@0123abcd.r2.cloudflarestorage.com/', bucket: 'memora', accessKeyId: 'id', secretAccessKey: 'secret' });
    expect(r2.description).toBe('cloudflare-r2 bucket memora at https://0123abcd.r2.cloudflarestorage.com');
    expect(() => createS3Storage({ provider: 'cloudflare-r2', bucket: 'memora', accessKeyId: 'id', secretAccessKey: 'secret' })).toThrow(/CDN_ENDPOINT_URL/);
    expect(() => createS3Storage({ provider: 'cloudflare-r2', endpoint: 'https://a.r2.cloudflarestorage.com/memora', bucket: 'memora', accessKeyId: 'id', secretAccessKey: 'secret' })).toThrow(ConfigError);
  });

  it('refuses an endpoint that names the bucket in its host (virtual-hosted style), naming the endpoint to give instead', () => {
    const make = (provider: 'aws-s3' | 'cloudflare-r2', endpoint: string) => () => createS3Storage({ provider, endpoint, bucket: 'memora-cdn', accessKeyId: 'id', secretAccessKey: 'secret' });
    expect(make('aws-s3', 'https://memora-cdn.s3.eu-west-1.amazonaws.com')).toThrow(
      'aws-s3: CDN_ENDPOINT_URL names the bucket in its host (memora-cdn.s3.eu-west-1.amazonaws.com); give the service endpoint without it (https://s3.eu-west-1.amazonaws.com) and the bucket in CDN_BUCKET',
    );
    expect(make('cloudflare-r2', 'https://Memora-CDN.0123abcd.r2.cloudflarestorage.com/')).toThrow(/give the service endpoint without it \(https:\/\/0123abcd\.r2\.cloudflarestorage\.com\)/);
    // A host that merely begins with the bucket's letters is another host.
    expect(make('cloudflare-r2', 'https://memora-cdnx.r2.cloudflarestorage.com')).not.toThrow();
  });

  it('sends one HTTP request per operation, multipart for large bodies, and PUT bodies as plain bytes', async () => {
    s3.resetRequests();
    const before = { ...storage.requests };
    await storage.put('http/a.json', Buffer.from('{"a":1}'), opts);
    await storage.get('http/a.json');
    await storage.head('http/a.json');
    await storage.deleteMany(['http/a.json']);
    expect(s3.requests.map((r) => `${r.method} ${r.key} ${r.status}`)).toEqual(['PUT http/a.json 200', 'GET http/a.json 200', 'HEAD http/a.json 200', 'POST  200']);
    expect(s3.requests[3]?.query).toContain('delete');
    // The bytes s3rver stored are the body itself: no aws-chunked checksum framing.
    await storage.put('http/raw.json', Buffer.from('{"raw":true}'), opts);
    expect(await readFile(path.join(s3.dir, 'memora-test', 'http', 'raw.json._S3rver_object'), 'utf8')).toBe('{"raw":true}');

    s3.resetRequests();
    await storage.put('http/big.bin', Buffer.alloc(9 * 1024 * 1024, 1), opts);
    expect(s3.requests.map((r) => r.method)).toEqual(['POST', 'PUT', 'PUT', 'POST']); // create, 2 parts, complete
    expect(delta(before, storage.requests)).toEqual({ put: 6, get: 1, head: 1, delete: 1 });

    // A conditional write of a large body stays a single PUT, so the condition holds.
    s3.resetRequests();
    const big = await storage.head('http/big.bin');
    await storage.put('http/big.bin', Buffer.alloc(9 * 1024 * 1024, 2), { ...opts, ifMatch: big?.etag ?? '' });
    expect(s3.requests.map((r) => r.method)).toEqual(['HEAD', 'PUT']);
  });

  it('classifies injected throttling, server errors and connection resets as transient', async () => {
    await storage.put('fault/a.json', Buffer.from('{}'), opts);
    s3.addFault({ match: (r) => r.method === 'PUT' && r.key === 'fault/a.json', kind: 'status', status: 503, code: 'SlowDown', times: 1 });
    const slow = await rejection(storage.put('fault/a.json', Buffer.from('{"b":1}'), opts));
    expect(slow).toBeInstanceOf(StorageError);
    expect(slow).toMatchObject({ transient: true, status: 503, code: 'SlowDown' });
    expect((slow as Error).message).toMatch(/^put fault\/a\.json on aws-s3 bucket memora-test at .* failed: 503 SlowDown/);

    s3.addFault({ match: (r) => r.method === 'GET', kind: 'status', status: 500, code: 'InternalError', times: 1 });
    expect(await rejection(storage.get('fault/a.json'))).toMatchObject({ transient: true, status: 500, code: 'InternalError' });

    s3.addFault({ match: (r) => r.method === 'HEAD', kind: 'reset', times: 1 });
    const reset = await rejection(storage.head('fault/a.json'));
    expect(reset).toBeInstanceOf(StorageError);
    expect(reset).toMatchObject({ transient: true });

    s3.addFault({ match: (r) => r.method === 'GET' && r.query.includes('list-type'), kind: 'status', status: 429, code: 'TooManyRequests', times: 1 });
    await expect(listAll(storage, 'fault/')).rejects.toMatchObject({ transient: true, status: 429 });

    s3.addFault({ match: (r) => r.method === 'POST' && r.query.includes('delete'), kind: 'status', status: 503, code: 'ServiceUnavailable', times: 1 });
    await expect(storage.deleteMany(['fault/a.json'])).rejects.toMatchObject({ transient: true, status: 503 });

    // Faults used up: the next attempts go through.
    expect((await storage.get('fault/a.json'))?.body.toString()).toBe('{}');
    s3.clearFaults();
  });

  it('classifies configuration problems as permanent and names the setting to check', async () => {
    s3.addFault({ match: (r) => r.key === 'fault/denied.json', kind: 'status', status: 403, code: 'AccessDenied' });
    const denied = await rejection(storage.get('fault/denied.json'));
    expect(denied).toMatchObject({ transient: false, status: 403, code: 'AccessDenied' });
    expect((denied as Error).message).toMatch(/get fault\/denied\.json .*CDN_ACCESS_KEY and CDN_SECRET_KEY/);
    // HEAD answers carry no error body: the status alone says which setting to check.
    expect(((await rejection(storage.head('fault/denied.json'))) as Error).message).toMatch(/403.*CDN_ACCESS_KEY/);
    s3.clearFaults();

    const unknownKey = s3.storage({ accessKeyId: 'NOT-A-KEY' });
    const invalid = await rejection(unknownKey.put('fault/x.json', Buffer.from('{}'), opts));
    expect(invalid).toMatchObject({ transient: false, status: 403, code: 'InvalidAccessKeyId' });
    expect((invalid as Error).message).toContain('check CDN_ACCESS_KEY');

    const noBucket = s3.storage({ bucket: 'no-such-bucket' });
    const missing = await rejection(noBucket.get('fault/x.json')); // not null: the bucket is missing, not the key
    expect(missing).toMatchObject({ transient: false, status: 404, code: 'NoSuchBucket' });
    expect((missing as Error).message).toContain('check CDN_BUCKET');

    s3.addFault({ match: (r) => r.key === 'fault/sig.json', kind: 'status', status: 403, code: 'SignatureDoesNotMatch', times: 1 });
    expect(((await rejection(storage.get('fault/sig.json'))) as Error).message).toContain('check CDN_SECRET_KEY');

    s3.addFault({ match: (r) => r.key === 'fault/conflict.json', kind: 'status', status: 409, code: 'ConditionalRequestConflict', times: 1 });
    await expect(storage.put('fault/conflict.json', Buffer.from('{}'), { ...opts, ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
    s3.clearFaults();

    for (const error of [denied, invalid, missing]) {
      expect(String((error as Error).message)).not.toContain(S3RVER_SECRET_KEY);
    }
  });

  it('reports a refused connection as transient, pointing at CDN_ENDPOINT_URL', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const p = (server.address() as { port: number }).port;
        server.close(() => resolve(p));
      });
    });
    const closed = createS3Storage({ provider: 'cloudflare-r2', endpoint: `http://127.0.0.1:${port}`, bucket: 'memora', accessKeyId: 'S3RVER', secretAccessKey: S3RVER_SECRET_KEY, timeoutMs: 2_000 });
    const error = await rejection(closed.get('x.json'));
    expect(error).toMatchObject({ transient: true, code: 'ECONNREFUSED' });
    expect((error as Error).message).toMatch(/^get x\.json on cloudflare-r2 bucket memora at http:\/\/127\.0\.0\.1:\d+ failed: .*CDN_ENDPOINT_URL/);
    await closed.close();
  });

  it('gives up on a server that never answers after timeoutMs, as transient', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const slow = createS3Storage({ provider: 'aws-s3', endpoint: `http://127.0.0.1:${port}`, bucket: 'memora', accessKeyId: 'S3RVER', secretAccessKey: S3RVER_SECRET_KEY, timeoutMs: 300 });
    const error = await rejection(slow.get('slow.json'));
    expect(error).toMatchObject({ transient: true });
    expect((error as Error).message).toMatch(/^get slow\.json on aws-s3 bucket memora at .* failed: .*(Timeout|ETIMEDOUT)/);
    await slow.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('keeps secrets out of the whole chain of an error, causes included, when a server echoes them', async () => {
    const secret = 'the-secret-key-0123456789';
    const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code><Message>echoed ${secret} and https://cdn.example/a.json?X-Amz-Signature=deadbeefcafe&amp;X-Amz-Credential=AKIDEXAMPLE</Message><RequestId>1</RequestId></Error>`;
    const echo = http.createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/xml' });
      res.end(body);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const port = (echo.address() as { port: number }).port;
    const storage = createS3Storage({ provider: 'aws-s3', endpoint: `http://127.0.0.1:${port}`, bucket: 'memora', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secret, timeoutMs: 5_000 });
    try {
      const error = await rejection(storage.get('a.json'));
      const told = describeError(error);
      expect(told).toMatch(/^get a\.json on aws-s3 bucket memora at .* failed: 400 InvalidArgument \(echoed … and /);
      for (const leak of [secret, 'deadbeefcafe']) expect(told).not.toContain(leak);
      // Every error in the chain, and its stack, as --verbose would print them.
      for (let e: unknown = error; e instanceof Error; e = e.cause) for (const leak of [secret, 'deadbeefcafe']) expect(`${e.message}\n${e.stack ?? ''}`).not.toContain(leak);
    } finally {
      await storage.close();
      await new Promise((resolve) => echo.close(resolve));
    }
  });

  it('gives up a put in flight when its signal fires, long before timeoutMs, and only the put that signal belongs to', async () => {
    const sockets: Socket[] = [];
    const controller = new AbortController();
    const other = new AbortController();
    let arrived = 0;
    // A server that reads the requests and never answers; the first signal fires once both arrived.
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.once('data', () => {
        if (++arrived === 2) controller.abort(new Error('the lease is running out'));
      });
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const slow = createS3Storage({ provider: 'aws-s3', endpoint: `http://127.0.0.1:${port}`, bucket: 'memora', accessKeyId: 'S3RVER', secretAccessKey: S3RVER_SECRET_KEY, timeoutMs: 3_600_000 });
    let otherSettled = false;
    const otherPut = rejection(slow.put('other.json', Buffer.from('{"other":1}'), { ...opts, signal: other.signal })).finally(() => (otherSettled = true));
    const error = await rejection(slow.put('slow.json', Buffer.from('{}'), { ...opts, signal: controller.signal }));
    expect(error).toMatchObject({ transient: true });
    expect((error as Error).message).toMatch(/^put slow\.json on aws-s3 bucket memora at .* was given up: the lease is running out$/);
    // The other put, sent at the same time with a signal of its own, is still waiting for its answer.
    await new Promise((resolve) => setImmediate(resolve));
    expect(otherSettled).toBe(false);
    other.abort(new Error('the deploy stopped'));
    expect(((await otherPut) as Error).message).toMatch(/^put other\.json .* was given up: the deploy stopped$/);
    await slow.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('signs the SHA-256 the caller gives as the payload hash, which the server checks against the body', async () => {
    const body = Buffer.from('{"hashed":true}');
    await storage.put('hashed/right.json', body, { ...opts, sha256: sha256(body) });
    expect((await storage.get('hashed/right.json'))?.body.toString()).toBe('{"hashed":true}');
    // The hash given is the one sent (the SDK does not hash the body again): a wrong one is refused, as S3 and R2 refuse it.
    const error = await rejection(storage.put('hashed/wrong.json', body, { ...opts, sha256: sha256(Buffer.from('other bytes')) }));
    expect(error).toMatchObject({ transient: false, code: 'XAmzContentSHA256Mismatch' });
    expect(await storage.head('hashed/wrong.json')).toBeNull();
    // Without one, the SDK hashes the body itself.
    await storage.put('hashed/unhashed.json', body, opts);
    expect(await storage.head('hashed/unhashed.json')).not.toBeNull();
  });

  /** A raw request through the proxy; s3rver checks the access key id, not the signature. */
  const raw = async (head: string, body: string): Promise<Socket> => {
    const url = new URL(s3.endpoint);
    const socket = connect(Number(url.port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const date = new Date().toISOString().replace(/[-:]|\.\d+/g, '');
    const auth = `AWS4-HMAC-SHA256 Credential=${S3RVER_ACCESS_KEY}/${date.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
    const seen = s3.requests.length;
    socket.on('error', () => undefined);
    socket.write(`${head} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${auth}\r\nX-Amz-Date: ${date}\r\nX-Amz-Content-Sha256: UNSIGNED-PAYLOAD\r\n${body}`);
    await expect.poll(() => s3.requests.length).toBeGreaterThan(seen);
    return socket;
  };

  it('the proxy stores nothing of a PUT whose client went away mid-upload, as S3 does', async () => {
    await storage.put('partial/a.json', Buffer.from('{"v":1}'), opts);
    const put = await raw(`PUT /${s3.bucket}/partial/a.json`, 'Content-Length: 12\r\n\r\n{"v":');
    put.resetAndDestroy();
    await new Promise<void>((resolve) => put.once('close', () => resolve()));
    await expect.poll(() => s3.requests.at(-1)?.status).toBe(0);
    expect((await storage.get('partial/a.json'))?.body.toString()).toBe('{"v":1}');
  });

  it('the proxy serves DeleteObjects after a client that went away before its answer', async () => {
    // A client that gives up (its timeout, a killed deploy) must not leave the proxy's deletion
    // lock held: every later DeleteObjects and write would wait behind it for good.
    await storage.put('gone/a.json', Buffer.from('{}'), opts);
    // A write in progress holds the store (shared), so the DeleteObjects waits for it...
    const put = await raw(`PUT /${s3.bucket}/gone/slow.json`, 'Content-Length: 2\r\n\r\n{');
    const xml = '<Delete><Object><Key>gone/a.json</Key></Object></Delete>';
    const del = await raw(`POST /${s3.bucket}?delete`, `Content-Type: application/xml\r\nContent-Length: ${xml.length}\r\n\r\n${xml}`);
    // ...and its client goes away meanwhile. Then the write completes and the deletion runs
    // (S3 may apply a request whose client is gone), answering no one.
    del.resetAndDestroy();
    await new Promise<void>((resolve) => del.once('close', () => resolve()));
    const answered = new Promise<string>((resolve) => put.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
    put.write('}');
    expect(await answered).toMatch(/^HTTP\/1\.1 200/);
    put.destroy();
    await storage.put('gone/b.json', Buffer.from('{}'), opts);
    await storage.deleteMany(['gone/b.json']);
    expect(await storage.head('gone/b.json')).toBeNull();
    expect(await storage.head('gone/a.json')).toBeNull();
  });

  it('presigns GET URLs that s3rver serves and that hold no secret', async () => {
    const body = Buffer.from('{"video":"ok"}');
    await storage.put('videos/ünï clip.json', body, opts);
    const url = await storage.presignGet!('videos/ünï clip.json', { expiresInSeconds: 3600, signingDate: new Date() });
    expect(url.startsWith(`${s3.endpoint}/memora-test/videos/`)).toBe(true);
    expect(url).toContain('X-Amz-Signature=');
    expect(url).toContain('X-Amz-Expires=3600');
    expect(url).not.toContain(S3RVER_SECRET_KEY);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
    // The same signing date gives the same URL.
    const at = new Date('2030-01-02T03:04:05Z');
    expect(await storage.presignGet!('a.json', { expiresInSeconds: 60, signingDate: at })).toBe(await storage.presignGet!('a.json', { expiresInSeconds: 60, signingDate: at }));
    expect(await storage.presignGet!('a.json', { expiresInSeconds: 60, signingDate: at })).toContain('X-Amz-Date=20300102T030405Z');
  });

  it('lists more than 1,000 keys in pages of 1,000', async () => {
    // 1,005 PUTs through s3rver take about 3 s; the objects are written into its folder instead,
    // in its own layout (<key>._S3rver_object; it computes the MD5 and metadata on first read).
    const keys = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(4, '0')}.json`);
    const limit = pLimit(32);
    await Promise.all(
      keys.map((key) =>
        limit(async () => {
          const file = path.join(s3.dir, 'memora-test', ...key.split('/')) + '._S3rver_object';
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, key);
        }),
      ),
    );
    const before = { ...storage.requests };
    const listed = await listAll(storage, 'many/');
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(listed[1004]).toEqual({ key: 'many/1004.json', etag: md5Etag(Buffer.from('many/1004.json')), size: 14 });
    expect(delta(before, storage.requests)).toEqual({ list: 2 });
    // Deleting is slow on s3rver in a folder this big (it reads the folder after each key): a few.
    const gone = [keys[0] as string, keys[999] as string, keys[1000] as string];
    expect((await storage.deleteMany(gone)).deleted).toEqual(gone);
    expect((await listAll(storage, 'many/')).map((o) => o.key)).toEqual(keys.filter((k) => !gone.includes(k)));
  });

  it.runIf(!desAvailable())('finds s3rver unable to page ListObjectsV2 without the OpenSSL legacy provider (hence the emulation)', async () => {
    expect(s3.listPagingEmulated).toBe(true);
    const raw = await startS3({ bucket: 'raw-paging', emulateListPaging: false });
    try {
      const st = raw.storage({ listPageSize: 1 });
      await st.put('p/1.json', Buffer.from('1'), opts);
      await st.put('p/2.json', Buffer.from('2'), opts);
      // One page fits: no continuation token is made.
      expect((await listAll(raw.storage(), 'p/')).map((o) => o.key)).toEqual(['p/1.json', 'p/2.json']);
      // A truncated page needs a DES-encrypted token: 500 InternalError.
      await expect(listAll(st, 'p/')).rejects.toMatchObject({ status: 500, code: 'InternalError' });
    } finally {
      await raw.close();
    }
  });

  it.runIf(desAvailable())('pages ListObjectsV2 natively when DES is available (--openssl-legacy-provider)', () => {
    expect(s3.listPagingEmulated).toBe(false);
  });
});

describe('directory', () => {
  let root: string;
  let storage: Storage;
  beforeAll(async () => {
    root = path.join(await tempDir(), 'bucket');
    storage = createDirectoryStorage(root);
  });

  describe('contract', () => {
    contract(() => ({ storage, paged: storage, pages: false }));
  });

  it('describes itself by its folder', () => {
    expect(storage.description).toBe(`directory ${root}`);
    expect(storage.bucket).toBe(root);
    expect(storage.presignGet).toBeUndefined();
  });

  it('refuses keys that could leave the folder or hit its metadata', async () => {
    const bad = ['../x', 'a/../../x', '/etc/passwd', 'a\\b', 'a\0b', '.hidden/x', 'a/.meta', 'a//b', 'a/', '', 'C:/x', './a'];
    for (const key of bad) {
      const error = await rejection(storage.put(key, Buffer.from('x'), opts));
      expect(error, key).toBeInstanceOf(StorageError);
      expect(error, key).toMatchObject({ transient: false, code: 'InvalidKey' });
      await expect(storage.get(key), key).rejects.toMatchObject({ code: 'InvalidKey' });
      await expect(storage.head(key), key).rejects.toMatchObject({ code: 'InvalidKey' });
    }
    const result = await storage.deleteMany(['../x', 'ok.json']);
    expect(result.deleted).toEqual(['ok.json']);
    expect(result.failed.map((f) => [f.key, f.error.code])).toEqual([['../x', 'InvalidKey']]);
    await expect(listAll(storage, '../')).rejects.toMatchObject({ code: 'InvalidKey' });
    expect(await readdir(path.dirname(root))).toEqual(['bucket']);
  });

  it('keeps metadata in hidden files that listing skips, and removes emptied folders', async () => {
    await storage.put('meta/deep/er/a.json', Buffer.from('{"a":1}'), opts);
    await storage.put('meta/deep/er/a.json.meta.json', Buffer.from('{"not":"metadata"}'), opts);
    expect((await readdir(path.join(root, 'meta', 'deep', 'er'))).sort()).toEqual(['.a.json.meta.json', '.a.json.meta.json.meta.json', 'a.json', 'a.json.meta.json']);
    expect((await listAll(storage, 'meta/')).map((o) => o.key)).toEqual(['meta/deep/er/a.json', 'meta/deep/er/a.json.meta.json']);
    expect((await storage.get('meta/deep/er/a.json.meta.json'))?.body.toString()).toBe('{"not":"metadata"}');
    await storage.put('meta/keep.json', Buffer.from('{}'), opts);
    await storage.deleteMany(['meta/deep/er/a.json', 'meta/deep/er/a.json.meta.json']);
    expect(await readdir(path.join(root, 'meta'))).toEqual(['.keep.json.meta.json', 'keep.json']);
    await storage.deleteMany(['meta/keep.json']);
    await expect(stat(path.join(root, 'meta'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(root)).isDirectory()).toBe(true);
  });

  it('computes the ETag from the bytes when a file was changed behind its back', async () => {
    await storage.put('edit/a.json', Buffer.from('{"v":1}'), opts);
    const file = path.join(root, 'edit', 'a.json');
    await writeFile(file, '{"v":"edited by hand"}');
    await utimes(file, new Date(), new Date(Date.now() + 5_000));
    const expected = md5Etag(Buffer.from('{"v":"edited by hand"}'));
    expect((await storage.head('edit/a.json'))?.etag).toBe(expected);
    expect((await listAll(storage, 'edit/'))[0]?.etag).toBe(expected);
    await expect(storage.put('edit/a.json', Buffer.from('{}'), { ...opts, ifMatch: md5Etag(Buffer.from('{"v":1}')) })).rejects.toBeInstanceOf(PreconditionFailedError);
    await storage.put('edit/a.json', Buffer.from('{}'), { ...opts, ifMatch: expected });
  });

  it('holds conditional writes from two stores on one folder apart with lock files', async () => {
    // Two stores stand for two processes: they share no in-process queue, only the lock files.
    const other = createDirectoryStorage(root, { fsync: false });
    const base = await storage.put('lock/state.json', Buffer.from('{"v":0}'), opts);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? storage : other).put('lock/state.json', Buffer.from(`{"v":${i + 1}}`), { ...opts, ifMatch: base.etag })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').every((o) => (o as PromiseRejectedResult).reason instanceof PreconditionFailedError)).toBe(true);
    expect((await readdir(path.join(root, 'lock'))).filter((n) => n.endsWith('.lock'))).toEqual([]);
  });

  it('waits for a fresh lock, and stops with a clear error at a stale one', async () => {
    const lock = path.join(root, 'lock', '.held.json.lock');
    await mkdir(path.dirname(lock), { recursive: true });
    await writeFile(lock, '{"pid":1}');
    let released = false;
    const put = storage.put('lock/held.json', Buffer.from('{}'), opts);
    setTimeout(() => {
      released = true;
      void import('node:fs/promises').then((fs) => fs.rm(lock));
    }, 100);
    await put;
    // The write went through only once the other holder let go.
    expect(released).toBe(true);

    await writeFile(lock, '{"pid":12345,"host":"ci"}');
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    const stale = await rejection(storage.put('lock/held.json', Buffer.from('{"v":2}'), opts));
    expect(stale).toMatchObject({ transient: false, code: 'StaleLock' });
    expect((stale as Error).message).toContain(lock);
    expect((stale as Error).message).toMatch(/Remove that file if no other memora-cdn run/);
    await import('node:fs/promises').then((fs) => fs.rm(lock));
  });

  it('cannot hold an object and objects under it, and says so', async () => {
    await storage.put('clash/a', Buffer.from('file'), opts);
    const error = await rejection(storage.put('clash/a/b.json', Buffer.from('{}'), opts));
    expect(error).toMatchObject({ transient: false });
    expect((error as Error).message).toMatch(/put clash\/a\/b\.json on directory .*a folder cannot hold both/);
    expect(await storage.get('clash/a/b.json')).toBeNull();
    expect((await storage.deleteMany(['clash/a/b.json'])).deleted).toEqual(['clash/a/b.json']);
  });
});

describe('storageFromConfig', () => {
  it('opens the provider the configuration names', async () => {
    const dir = await tempDir();
    expect(storageFromConfig({ CDN_DIRECTORY: dir }).description).toBe(`directory ${dir}`);
    expect(storageFromConfig({ CDN_STORAGE_PROVIDER: 'directory', CDN_DIRECTORY: dir }).bucket).toBe(dir);
    const r2 = storageFromConfig({
      CDN_STORAGE_PROVIDER: 'cloudflare-r2',
      CDN_ENDPOINT_URL: 'https://0123abcd.r2.cloudflarestorage.com',
      CDN_BUCKET: 'memora',
      CDN_ACCESS_KEY: 'id',
      CDN_SECRET_KEY: 'secret',
    });
    expect(r2.description).toBe('cloudflare-r2 bucket memora at https://0123abcd.r2.cloudflarestorage.com');
    const aws = storageFromConfig({ CDN_STORAGE_PROVIDER: 'aws-s3', CDN_BUCKET: 'memora', CDN_ACCESS_KEY: 'id', CDN_SECRET_KEY: 'secret', CDN_REGION: 'eu-west-1' });
    expect(aws.description).toBe('aws-s3 bucket memora in eu-west-1');
    await Promise.all([r2.close(), aws.close()]);
  });

  it('names every variable the chosen provider is missing', () => {
    const message = (config: Record<string, unknown>) => {
      try {
        storageFromConfig(config);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(message({})).toMatch(/CDN_DIRECTORY is not set/);
    // Left unset, the provider is named as the default, with the bucket providers to choose instead.
    expect(message({ CDN_BUCKET: 'memora', CDN_ENDPOINT_URL: 'https://0123abcd.r2.cloudflarestorage.com' })).toMatch(
      /^configuration: CDN_STORAGE_PROVIDER is not set, so it is directory \(a local folder; set it to aws-s3 or cloudflare-r2 for a bucket\), which needs:\n {2}CDN_DIRECTORY is not set/,
    );
    expect(message({ CDN_STORAGE_PROVIDER: 'directory' })).toMatch(/^configuration: CDN_STORAGE_PROVIDER=directory needs:/);
    const r2 = message({ CDN_STORAGE_PROVIDER: 'cloudflare-r2', CDN_BUCKET: 'memora', CDN_ACCESS_KEY: 'id', CDN_SECRET_KEY: '' });
    expect(r2).toMatch(/CDN_ENDPOINT_URL is not set/);
    expect(r2).toMatch(/CDN_SECRET_KEY is not set/);
    expect(r2).not.toMatch(/CDN_BUCKET|CDN_DIRECTORY/);
    expect(message({ CDN_STORAGE_PROVIDER: 'aws-s3', CDN_BUCKET: 'memora', CDN_ACCESS_KEY: 'id', CDN_SECRET_KEY: 'secret' })).toMatch(/CDN_REGION or CDN_ENDPOINT_URL must be set/);
    expect(message({ CDN_STORAGE_PROVIDER: 'ftp' })).toMatch(/CDN_STORAGE_PROVIDER is invalid/);
  });

  it('lists the variables each provider uses', () => {
    expect(providerVariables('cloudflare-r2')).toEqual(['CDN_STORAGE_PROVIDER', 'CDN_ENDPOINT_URL', 'CDN_BUCKET', 'CDN_ACCESS_KEY', 'CDN_SECRET_KEY', 'CDN_REGION']);
    expect(providerVariables('directory')).toEqual(['CDN_STORAGE_PROVIDER', 'CDN_DIRECTORY']);
    expect(PROVIDER_VARIABLES['aws-s3'].oneOf).toEqual(['CDN_REGION', 'CDN_ENDPOINT_URL']);
  });
});
