/**
 * Test helper: a local S3 (s3rver, in-process) behind a small counting and fault-injecting HTTP
 * proxy, both on 127.0.0.1 with ports chosen by the system.
 *
 *   const s3 = await startS3();            // in beforeAll
 *   const storage = s3.storage();          // a createS3Storage pointed at the proxy
 *   s3.addFault({ match: (r) => r.method === 'PUT', kind: 'status', status: 503, code: 'SlowDown', times: 1 });
 *   s3.requests                            // every HTTP request the proxy saw: method, key, query, status
 *   await s3.close();                      // in afterAll
 *
 * What s3rver (3.7) does and does not do, as found in node_modules/s3rver/lib:
 * - Signatures: V4 signatures are NOT verified (any secret key works); only the access key id is
 *   checked against its registry (`S3RVER` is the one it knows; another id gets 403
 *   InvalidAccessKeyId). Requests without any signature are served anonymously. Request dates
 *   more than 15 minutes off are refused (RequestTimeTooSkewed).
 * - Checksums: Content-MD5 and x-amz-checksum-* are not verified; an aws-chunked (streaming
 *   checksum) body would be stored with its framing as object bytes, which is why the client uses
 *   `requestChecksumCalculation: 'WHEN_REQUIRED'`.
 * - Conditional requests: If-Match / If-None-Match are ignored on PUT (a GET honours
 *   If-None-Match only, with 304). The proxy therefore enforces them on PUT by default
 *   (`enforceConditionalWrites: true`): before forwarding a PUT that carries one, it HEADs the
 *   object on s3rver and answers 412 PreconditionFailed when the condition does not hold (If-Match
 *   on a missing object: 404 NoSuchKey, as AWS does). Single PUTs to one key are serialized in
 *   the proxy, so check-and-write is atomic as seen by clients of the proxy (multipart uploads
 *   are not part of that; memora-cdn never sends them with a condition).
 * - DeleteObjects: s3rver deletes the listed keys in parallel and prunes each emptied folder as it
 *   goes (lib/stores/filesystem.js deleteObject: readdirSync + rmdir), so keys sharing a folder
 *   race and the request fails now and then with 500 InternalError (about one run in three for
 *   `a.json` + `sub/b.json`). A deletion's pruning also races with PUTs creating files in that
 *   folder. It reports every key as Deleted, ignores `Quiet`, never returns an Error entry.
 *   The proxy therefore answers DeleteObjects itself: it has s3rver check the credentials and the
 *   bucket (GET ?location with the request's headers), deletes the keys one after the other
 *   through s3rver's store (in-process; an HTTP DELETE per key costs ~3 ms), and answers an
 *   S3-style DeleteResult (Deleted / Error entries, Quiet honoured). Deletions (DeleteObjects,
 *   DELETE) run alone and writes (PUT, POST) run together, under a read/write lock in the proxy.
 * - ListObjectsV2 continuation tokens are DES-encrypted (`crypto.createCipheriv('des', ...)` in
 *   lib/controllers/bucket.js). OpenSSL 3 (Node 17+) only has DES in its legacy provider, so
 *   without `NODE_OPTIONS=--openssl-legacy-provider` every truncated V2 page fails with 500
 *   InternalError ("error:0308010C:digital envelope routines::unsupported"); a listing that fits
 *   one page works. As s3rver runs in-process here, the flag cannot be added after start, so when
 *   DES is unavailable the proxy emulates V2 paging: it forwards a V2 listing as a V1 (marker)
 *   listing of the same bucket, prefix and max-keys, and rewrites the answer into V2 form
 *   (KeyCount, ContinuationToken, NextContinuationToken = the last key, base64url). With the flag
 *   set (or `emulateListPaging: false`) requests pass through untouched. Delimiter listings are not
 *   emulated (memora-cdn never uses them).
 * - Listing order is the order of a sorted directory walk, not S3's key order: a key `a/b` is
 *   listed before `a.json` or `a-b` (folder `a` sorts before file `a.json._S3rver_object`), and
 *   paging across such a spot can skip keys. Tests use keys whose walk order is their key order.
 * - Keys are stored as files named `<key>._S3rver_object` under `<dir>/<bucket>/`, written in
 *   place: a GET during a PUT of the same key can read part of the new bytes, and a PUT whose
 *   client goes away mid-upload leaves part of an object. The proxy makes PUTs all-or-nothing as
 *   clients see them, as S3 and R2 do: it reads a PUT's whole body before s3rver sees any of it
 *   (an incomplete one is never stored), and GETs and HEADs of a key queue behind its writes (and
 *   each other).
 * - s3rver does not check a PUT's body against its signed `x-amz-content-sha256`; S3 and R2 refuse
 *   a body that does not match it (400 XAmzContentSHA256Mismatch), and so does the proxy.
 */
import { createCipheriv, createHash, getCiphers, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createS3Storage, type S3StorageOptions } from '../src/deploy/storage/s3.ts';
import type { Storage } from '../src/deploy/storage/types.ts';

/** The access key id s3rver knows. s3rver does not verify V4 signatures, so the secret is free. */
export const S3RVER_ACCESS_KEY = 'S3RVER';
export const S3RVER_SECRET_KEY = 'local-test-secret-7c1e9a';

export interface RecordedRequest {
  method: string;
  /** The object key, decoded; '' for bucket-level requests (list, DeleteObjects). */
  key: string;
  /** The raw query string, without `?`. */
  query: string;
  /** The status answered; 0 for a connection reset (or while the request is in flight). */
  status: number;
}

/** A change the bucket committed, in the order the proxy saw the answers (what a reader could see next). */
export type Commit = { op: 'put'; key: string; body: Buffer } | { op: 'delete'; key: string };

export interface Fault {
  match: (r: { method: string; key: string; query: string }) => boolean;
  /**
   * `status`: answer with an S3 XML error; `reset`: drop the connection without an answer;
   * `timeout`: read the request and never answer (the client gives up after its timeout);
   * `lost-answer`: carry the request out, then drop the connection instead of answering;
   * `delay`: carry the request out and answer `delayMs` later (a slow server).
   */
  kind: 'status' | 'reset' | 'timeout' | 'lost-answer' | 'delay';
  /** For `delay`. */
  delayMs?: number;
  /** Default 503. */
  status?: number;
  /** The S3 error code in the XML body (default from the status: SlowDown, InternalError...). */
  code?: string;
  /** How many matching requests it applies to (default: all). */
  times?: number;
}

export interface StartOptions {
  bucket?: string;
  /** Enforce If-Match / If-None-Match on PUT in the proxy (default true). */
  enforceConditionalWrites?: boolean;
  /** Emulate ListObjectsV2 paging (default: when this Node cannot use DES, see the header). */
  emulateListPaging?: boolean;
  /**
   * Keep every committed write, body included, in `commits` (default true). The benchmark's host
   * turns it off: over a run it would hold every byte ever uploaded.
   */
  keepCommits?: boolean;
}

export interface S3Harness {
  /** The proxy's URL, e.g. http://127.0.0.1:40123. */
  endpoint: string;
  bucket: string;
  /** s3rver's data folder. */
  dir: string;
  /** Whether ListObjectsV2 paging is emulated by the proxy. */
  listPagingEmulated: boolean;
  /** A createS3Storage for this bucket through the proxy; options override the defaults. */
  storage(overrides?: Partial<S3StorageOptions>): Storage;
  /** Every request the proxy received, in arrival order. */
  readonly requests: RecordedRequest[];
  resetRequests(): void;
  /** Every object written or deleted (single PUTs, DELETE, DeleteObjects), in commit order. */
  readonly commits: Commit[];
  resetCommits(): void;
  addFault(fault: Fault): void;
  clearFaults(): void;
  /**
   * Resolves once no request is in progress. A PUT whose client went away (a killed deploy) still
   * completes, as on S3; a test that lets a killed deploy's lease expire waits for this first, as
   * the lease's minutes would.
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: http.Server;
  /** Its file-system store (lib/stores/filesystem.js). */
  store: { existsObject(bucket: string, key: string): Promise<boolean>; deleteObject(bucket: string, key: string): Promise<void> };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);

interface StoredObject {
  bucket: string;
  key: string;
  content: Buffer | NodeJS.ReadableStream;
  metadata: Record<string, unknown>;
}
interface FilesystemStoreClass {
  prototype: {
    getResourcePath(bucket: string, key: string, resource: string): string;
    putMetadata(bucket: string, key: string, metadata: Record<string, unknown>, md5: string): Promise<void>;
    putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
  };
}

/**
 * S3 and R2 answer a PUT once the object is stored, and a GET after that gets the whole new
 * object (read-after-write consistency); a GET during an overwrite gets the old or the new one.
 * s3rver 3's file-system store answers a PUT as soon as it has handed the body to a write stream,
 * and overwrites the file in place, so a GET right after a PUT may read an empty or cut file.
 * Its putObject is replaced by one that writes a temporary file and renames it into place before
 * it answers (once per process).
 */
function storeLikeS3(): void {
  const Store = require('s3rver/lib/stores/filesystem.js') as FilesystemStoreClass;
  const proto = Store.prototype as FilesystemStoreClass['prototype'] & { memoraAtomic?: true };
  if (proto.memoraAtomic) return;
  proto.memoraAtomic = true;
  proto.putObject = async function putObject(this: FilesystemStoreClass['prototype'], object: StoredObject) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(path.dirname(objectPath), { recursive: true });
    let content: Buffer;
    if (Buffer.isBuffer(object.content)) content = object.content;
    else {
      const chunks: Buffer[] = [];
      for await (const chunk of object.content as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      content = Buffer.concat(chunks);
    }
    const temp = `${objectPath}.${randomUUID()}.partial`;
    await writeFile(temp, content);
    await rename(temp, objectPath);
    const md5 = createHash('md5').update(content).digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size: content.length, md5 };
  };
}

/** Whether this process's OpenSSL can do DES (only with the legacy provider on OpenSSL 3). */
export function desAvailable(): boolean {
  if (!getCiphers().includes('des-cbc')) return false;
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

export async function startS3(options: StartOptions = {}): Promise<S3Harness> {
  const bucket = options.bucket ?? 'memora-test';
  const enforce = options.enforceConditionalWrites ?? true;
  const keepCommits = options.keepCommits ?? true;
  const emulateListPaging = options.emulateListPaging ?? !desAvailable();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'memora-s3rver-'));
  const S3rver = require('s3rver') as S3rverConstructor;
  storeLikeS3();
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const upstreamAddress = await s3rver.run();
  const upstreamPort = upstreamAddress.port;
  const agent = new http.Agent({ keepAlive: true });

  const requests: RecordedRequest[] = [];
  const commits: Commit[] = [];
  let faults: (Fault & { remaining: number })[] = [];
  const keyLocks = new Map<string, Promise<void>>();

  /** Runs `task` after every earlier task on the same key has finished. */
  function serialized(key: string, task: () => Promise<void>): Promise<void> {
    const previous = keyLocks.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.catch(() => undefined);
    keyLocks.set(key, settled);
    void settled.then(() => {
      if (keyLocks.get(key) === settled) keyLocks.delete(key);
    });
    return run;
  }

  // s3rver prunes emptied folders when it deletes, racing with writes into them: deletions run
  // alone (exclusive), writes together (shared).
  const storeLock = createRwLock();

  /** One request straight to s3rver (not recorded); resolves with its status and body. */
  function upstreamRequest(method: string, rawPath: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: upstreamPort, method, path: rawPath, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * DeleteObjects, one key after the other: s3rver's own deletes the keys in parallel and fails
   * (500) when two of them prune the same folder. The request's credential headers are checked
   * first by s3rver itself (GET ?location with them), so an unknown access key id or a missing
   * bucket still fails the whole request; then each key goes through s3rver's store directly
   * (an HTTP DELETE per key costs ~3 ms, too slow for batches of 1,000).
   */
  async function deleteObjects(req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest, bucketPath: string, xml: string): Promise<void> {
    const keys = [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => xmlUnescape(m[1] ?? ''));
    if (!/<Delete[\s>]/.test(xml) || keys.length === 0 || keys.length > 1000) {
      await answerError(req, res, record, 400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
      return;
    }
    const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(xml);
    const auth: http.OutgoingHttpHeaders = {};
    for (const name of ['authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token']) {
      if (req.headers[name] !== undefined) auth[name] = req.headers[name];
    }
    const probe = await upstreamRequest('GET', `${bucketPath}?location`, auth);
    if (probe.status !== 200) {
      const code = /<Code>([\s\S]*?)<\/Code>/.exec(probe.body)?.[1] ?? 'InternalError';
      const message = /<Message>([\s\S]*?)<\/Message>/.exec(probe.body)?.[1] ?? '';
      await answerError(req, res, record, probe.status, code, xmlUnescape(message));
      return;
    }
    let out = '';
    for (const key of keys) {
      try {
        if (await s3rver.store.existsObject(bucket, key)) await s3rver.store.deleteObject(bucket, key);
        if (keepCommits) commits.push({ op: 'delete', key });
        if (!quiet) out += `<Deleted><Key>${xmlEscape(key)}</Key></Deleted>`;
      } catch (error) {
        out += `<Error><Key>${xmlEscape(key)}</Key><Code>InternalError</Code><Message>${xmlEscape(String(error))}</Message></Error>`;
      }
    }
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${out}</DeleteResult>`;
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    await endResponse(res, body);
  }

  function headUpstream(rawPath: string): Promise<{ status: number; etag: string | undefined }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: upstreamPort, method: 'HEAD', path: rawPath, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: headerValue(res.headers.etag) }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  function answerError(req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest, status: number, code: string, message: string, extra = ''): Promise<void> {
    return new Promise((resolve) => {
      const body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>` +
        `${record.key ? `<Key>${xmlEscape(record.key)}</Key>` : ''}${extra}<RequestId>${randomUUID()}</RequestId></Error>`;
      const send = () => {
        record.status = status;
        res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': 'memora-proxy' });
        void endResponse(res, body).then(resolve);
      };
      // Read the request body first, so the client is not cut off mid-upload.
      if (req.readableEnded) send();
      else {
        req.on('end', send);
        req.on('error', () => resolve());
        req.resume();
      }
    });
  }

  async function forward(req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest, rewrite?: { path: string; transform: (xml: string, status: number) => string }): Promise<void> {
    // Object writes and deletions are recorded once s3rver has answered them with success.
    const objectChange = record.key !== '' && (record.method === 'PUT' || record.method === 'DELETE') && !/(^|&)(uploadId|partNumber)=/.test(record.query);
    // S3 and R2 store a PUT whole or not at all. s3rver writes the object file as the body
    // streams in, so a client that goes away mid-upload would leave part of an object there: the
    // proxy takes the whole body first, stores nothing for an incomplete one, and once it has the
    // whole body lets the write finish even if the client has gone (as S3 may).
    const atomicPut = objectChange && record.method === 'PUT';
    let whole: Buffer | null = null;
    if (atomicPut) {
      whole = await readWhole(req);
      if (whole === null) {
        record.status = 0;
        return;
      }
      // S3 and R2 check a body against the SHA-256 the request signed (s3rver does not).
      const signed = headerValue(req.headers['x-amz-content-sha256']);
      if (signed !== undefined && /^[0-9a-f]{64}$/i.test(signed) && signed.toLowerCase() !== createHash('sha256').update(whole).digest('hex')) {
        await answerError(req, res, record, 400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
        return;
      }
    }
    const commit = (status: number) => {
      if (!keepCommits || !objectChange || status < 200 || status > 299) return;
      commits.push(record.method === 'PUT' ? { op: 'put', key: record.key, body: whole ?? Buffer.alloc(0) } : { op: 'delete', key: record.key });
    };
    return new Promise((resolve) => {
      const headers = { ...req.headers };
      delete headers.expect;
      delete headers.connection;
      if (whole !== null) {
        delete headers['transfer-encoding'];
        headers['content-length'] = String(whole.length);
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: upstreamPort, method: req.method, path: rewrite?.path ?? req.url, headers, agent },
        (up) => {
          const status = up.statusCode ?? 502;
          record.status = status;
          commit(status);
          if (res.destroyed) {
            // The client is gone (only an atomic PUT gets here): finish the exchange with s3rver.
            up.resume();
            up.on('end', () => resolve());
            up.on('error', () => resolve());
            return;
          }
          if (!rewrite) {
            res.writeHead(status, up.statusMessage, stripHopHeaders(up.headers));
            up.pipe(res);
            res.on('close', () => resolve());
            return;
          }
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            const body = Buffer.from(rewrite.transform(Buffer.concat(chunks).toString('utf8'), status), 'utf8');
            const out = stripHopHeaders(up.headers);
            delete out['content-length'];
            out['content-length'] = String(body.length);
            res.writeHead(status, up.statusMessage, out);
            void endResponse(res, body).then(resolve);
          });
          up.on('error', () => {
            res.destroy();
            resolve();
          });
        },
      );
      // A client that goes away (a deploy killed mid-request) ends the exchange: nothing may wait
      // on it. An atomic PUT already has its whole body, and goes on as S3 would.
      res.on('close', () => {
        if (atomicPut) return;
        if (!upstream.destroyed) upstream.destroy();
        resolve();
      });
      upstream.on('error', () => {
        if (res.destroyed) {
          resolve();
          return;
        }
        record.status = 502;
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('proxy: upstream failed');
        resolve();
      });
      if (whole !== null) upstream.end(whole);
      else req.pipe(upstream);
    });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const method = req.method ?? 'GET';
    // Path-style: /<bucket>/<key>; the key is '' for bucket-level requests.
    const slash = url.pathname.indexOf('/', 1);
    const key = slash === -1 ? '' : safeDecode(url.pathname.slice(slash + 1));
    const query = url.search.replace(/^\?/, '');
    const record: RecordedRequest = { method, key, query, status: 0 };
    requests.push(record);

    const fault = faults.find((f) => f.remaining > 0 && f.match({ method, key, query }));
    if (fault) {
      fault.remaining--;
      if (fault.kind === 'reset') {
        record.status = 0;
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'timeout') {
        record.status = 0;
        req.resume();
        await new Promise<void>((resolve) => res.on('close', () => resolve()));
        return;
      }
      if (fault.kind === 'lost-answer') {
        // Whatever answers the request (s3rver, or the proxy itself) has its answer dropped.
        const drop = (): http.ServerResponse => {
          req.socket.destroy();
          return res;
        };
        res.writeHead = drop as typeof res.writeHead;
        res.write = (() => true) as typeof res.write;
        res.end = drop as typeof res.end;
      } else if (fault.kind === 'delay') {
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 0));
      } else {
        const status = fault.status ?? 503;
        const code = fault.code ?? defaultCode(status);
        await answerError(req, res, record, status, code, `injected fault: ${code}`);
        return;
      }
    }

    const conditional = method === 'PUT' && key !== '' && (req.headers['if-match'] !== undefined || req.headers['if-none-match'] !== undefined);
    const isPart = url.searchParams.has('uploadId') || url.searchParams.has('partNumber');
    if (enforce && conditional && !isPart) {
      // Check and write under the shared store lock, so no deletion falls between them.
      await serialized(key, () => storeLock(false, async () => {
        const current = await headUpstream(url.pathname);
        const exists = current.status === 200;
        const ifMatch = headerValue(req.headers['if-match']);
        const ifNoneMatch = headerValue(req.headers['if-none-match']);
        if (ifMatch !== undefined) {
          if (!exists) {
            await answerError(req, res, record, 404, 'NoSuchKey', 'The specified key does not exist.');
            return;
          }
          if (!etagListMatches(ifMatch, current.etag)) {
            await answerError(req, res, record, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', '<Condition>If-Match</Condition>');
            return;
          }
        }
        if (ifNoneMatch !== undefined && exists && etagListMatches(ifNoneMatch, current.etag)) {
          await answerError(req, res, record, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', '<Condition>If-None-Match</Condition>');
          return;
        }
        await forward(req, res, record);
      }));
      return;
    }
    if (method === 'PUT' && enforce && key !== '' && !isPart) {
      // Unconditional writes queue behind conditional ones, so a check-and-write is never split.
      await serialized(key, () => storeLock(false, () => forward(req, res, record)));
      return;
    }
    if ((method === 'GET' || method === 'HEAD') && key !== '') {
      // s3rver writes an object's file in place, so a read during a write can see part of it;
      // S3 and R2 never serve a partial object: reads of a key wait for its writes.
      await serialized(key, () => forward(req, res, record));
      return;
    }
    const bucketPath = url.pathname.replace(/\/$/, '');
    if (method === 'POST' && key === '' && url.searchParams.has('delete') && bucketPath === `/${bucket}`) {
      // The request is read before it queues for the store, as a server reads what it was sent.
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const xml = Buffer.concat(chunks).toString('utf8');
      await storeLock(true, () => deleteObjects(req, res, record, bucketPath, xml));
      return;
    }
    if (method === 'DELETE') {
      await storeLock(true, () => forward(req, res, record));
      return;
    }
    if (method === 'PUT' || method === 'POST') {
      await storeLock(false, () => forward(req, res, record));
      return;
    }

    if (emulateListPaging && method === 'GET' && key === '' && url.pathname.replace(/\/$/, '') === `/${bucket}` && url.searchParams.get('list-type') === '2' && !url.searchParams.has('delimiter')) {
      const token = url.searchParams.get('continuation-token');
      const v1 = new URLSearchParams();
      for (const [name, value] of url.searchParams) {
        if (['list-type', 'continuation-token', 'start-after', 'fetch-owner'].includes(name)) continue;
        v1.append(name, value);
      }
      const marker = token !== null ? Buffer.from(token, 'base64url').toString('utf8') : url.searchParams.get('start-after');
      if (marker) v1.set('marker', marker);
      const qs = v1.toString();
      await forward(req, res, record, {
        path: `${url.pathname}${qs ? `?${qs}` : ''}`,
        transform: (xml, status) => (status === 200 ? listV1ToV2(xml, token) : xml),
      });
      return;
    }

    await forward(req, res, record);
  }

  const inProgress = new Set<Promise<void>>();
  const proxy = http.createServer((req, res) => {
    const handled = handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`proxy error: ${String(error)}`);
    });
    inProgress.add(handled);
    void handled.finally(() => inProgress.delete(handled));
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (proxy.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const storages: Storage[] = [];

  return {
    endpoint,
    bucket,
    dir,
    listPagingEmulated: emulateListPaging,
    storage(overrides = {}) {
      const storage = createS3Storage({
        provider: 'aws-s3',
        endpoint,
        bucket,
        accessKeyId: S3RVER_ACCESS_KEY,
        secretAccessKey: S3RVER_SECRET_KEY,
        region: 'us-east-1',
        timeoutMs: 10_000,
        ...overrides,
      });
      storages.push(storage);
      return storage;
    },
    requests,
    resetRequests() {
      requests.length = 0;
    },
    commits,
    resetCommits() {
      commits.length = 0;
    },
    addFault(fault) {
      faults.push({ ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults() {
      faults = [];
    },
    async settled() {
      while (inProgress.size > 0) await Promise.allSettled([...inProgress]);
    },
    async close() {
      await Promise.all(storages.map((s) => s.close()));
      await new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        proxy.closeAllConnections();
      });
      agent.destroy();
      const closing = s3rver.close();
      s3rver.httpServer?.closeAllConnections();
      await closing;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function defaultCode(status: number): string {
  switch (status) {
    case 503:
      return 'SlowDown';
    case 500:
      return 'InternalError';
    case 403:
      return 'AccessDenied';
    case 404:
      return 'NoSuchKey';
    case 412:
      return 'PreconditionFailed';
    case 429:
      return 'TooManyRequests';
    default:
      return status >= 500 ? 'ServiceUnavailable' : 'InvalidRequest';
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function stripHopHeaders(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding') continue;
    out[name] = value;
  }
  return out;
}

/** Whether an If-Match / If-None-Match list (`*` or quoted ETags) matches the current ETag. */
function etagListMatches(list: string, current: string | undefined): boolean {
  if (current === undefined) return false;
  const bare = (s: string) => s.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return list.split(',').some((v) => v.trim() === '*' || bare(v) === bare(current));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function xmlUnescape(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, entity: string) => {
    const e = entity.toLowerCase();
    if (e === 'amp') return '&';
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10));
  });
}

/** Rewrites s3rver's V1 (marker) listing into the V2 answer the client asked for. */
function listV1ToV2(xml: string, token: string | null): string {
  const keys = [...xml.matchAll(/<Contents>[\s\S]*?<Key>([\s\S]*?)<\/Key>/g)].map((m) => xmlUnescape(m[1] ?? ''));
  const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
  const last = keys[keys.length - 1];
  let added = `<KeyCount>${keys.length}</KeyCount>`;
  if (token !== null) added += `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`;
  if (truncated && last !== undefined) added += `<NextContinuationToken>${Buffer.from(last, 'utf8').toString('base64url')}</NextContinuationToken>`;
  return xml
    .replace(/<Marker>[\s\S]*?<\/Marker>|<Marker\/>/, '')
    .replace(/<NextMarker>[\s\S]*?<\/NextMarker>/, '')
    .replace('</ListBucketResult>', `${added}</ListBucketResult>`);
}

/** A first-come first-served read/write lock: `run(true, task)` runs alone, `run(false, task)` with other shared tasks. */
/** A request's whole body, or null if the client went away before sending all of it. */
function readWhole(req: http.IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(null));
    req.on('close', () => {
      if (!req.complete) resolve(null);
    });
  });
}

/**
 * Sends the last bytes of an answer; resolves once they are written or the client has gone away.
 * (`res.end`'s callback never runs on a destroyed response: a lock held until then would be held
 * for good, and every later request behind it would hang.)
 */
function endResponse(res: http.ServerResponse, body: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) {
      resolve();
      return;
    }
    res.once('close', () => resolve());
    res.end(body, () => resolve());
  });
}

function createRwLock(): <T>(exclusive: boolean, task: () => Promise<T>) => Promise<T> {
  let readers = 0;
  let writing = false;
  const waiting: { exclusive: boolean; go: () => void }[] = [];
  const pump = () => {
    while (waiting.length > 0) {
      const next = waiting[0] as { exclusive: boolean; go: () => void };
      if (writing || (next.exclusive && readers > 0)) return;
      waiting.shift();
      if (next.exclusive) writing = true;
      else readers++;
      next.go();
      if (next.exclusive) return;
    }
  };
  return async (exclusive, task) => {
    await new Promise<void>((go) => {
      waiting.push({ exclusive, go });
      pump();
    });
    try {
      return await task();
    } finally {
      if (exclusive) writing = false;
      else readers--;
      pump();
    }
  };
}
