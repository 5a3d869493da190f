/**
 * The S3 storage providers: `aws-s3` and `cloudflare-r2`, on @aws-sdk/client-s3.
 *
 * - One attempt per call (`maxAttempts: 1`): retrying is the caller's job, and every failure is
 *   classified into a StorageError (`transient` for network trouble, timeouts, 5xx, throttling).
 * - Checksums only when an operation requires them (`WHEN_REQUIRED`, both ways): R2 rejects the
 *   SDK's default streaming (aws-chunked) checksums and simple S3 servers store their framing as
 *   object bytes. Single PUTs carry a Content-MD5 instead, which S3 and R2 verify. DeleteObjects
 *   still sends the CRC32 header its API model requires.
 * - Bodies are Buffers. Bodies above MULTIPART_THRESHOLD_BYTES go through a multipart upload
 *   (@aws-sdk/lib-storage, loaded then), except conditional writes: If-Match / If-None-Match are honoured on
 *   single PUTs only, so a conditional write is always one PUT whatever its size (the deploy state
 *   file that uses them is small; S3 accepts single PUTs up to 5 GiB).
 * - Path-style addressing whenever an endpoint is given (R2 and local S3 servers need it).
 * - The SDK's NodeVersionSupportWarning (printed once per process on Node < 22) is silenced through
 *   the SDK's own opt-out variable, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true, set only
 *   while the client is constructed (the SDK checks it there, once) unless the user set it.
 *
 * Messages name the operation, the key and the bucket, and for configuration problems the variable
 * to check; they never contain a secret or a presigned signature.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AsyncLocalStorage } from 'node:async_hooks';
import { ConfigError } from '../../errors.ts';
import { md5Base64, md5Etag } from '../../io/hash.ts';
import {
  abandonedError,
  assertDeleteBatch,
  emptyCounts,
  PreconditionFailedError,
  StorageError,
  type DeleteOptions,
  type DeleteResult,
  type ObjectInfo,
  type PutOptions,
  type RequestCounts,
  type Storage,
  type StoredObject,
} from './types.ts';
import { TRANSIENT_NETWORK_CODES } from '../../io/network.ts';

export type S3Provider = 'aws-s3' | 'cloudflare-r2';

export interface S3StorageOptions {
  provider: S3Provider;
  /** The S3 endpoint, e.g. https://<account>.r2.cloudflarestorage.com. Required for R2. */
  endpoint?: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Default: `auto` for R2, `us-east-1` for aws-s3. */
  region?: string;
  /** Default: true when an endpoint is given, else false (virtual-hosted AWS addressing). */
  forcePathStyle?: boolean;
  /** Longest wait for a response, and longest silence while a body streams (default 60 s). */
  timeoutMs?: number;
  /** Keys per ListObjectsV2 page, 1 to 1000 (default 1000). Tests use small pages. */
  listPageSize?: number;
  /** Bodies larger than this go through a multipart upload (default MULTIPART_THRESHOLD_BYTES). */
  multipartThresholdBytes?: number;
}

/** 8 MiB: smaller bodies are one PUT. */
export const MULTIPART_THRESHOLD_BYTES = 8 * 1024 * 1024;
/** R2 allows one write per second to one key (more are answered 429). */
export const R2_SAME_KEY_WRITE_INTERVAL_MS = 1_000;
/** S3's smallest part but the last. */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;
const WARNING_OPT_OUT = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

type Operation = 'put' | 'get' | 'head' | 'delete' | 'list' | 'presign';

export function createS3Storage(options: S3StorageOptions): Storage {
  const { provider, bucket, accessKeyId, secretAccessKey } = options;
  if (!bucket) throw new ConfigError(`${provider}: no bucket given (CDN_BUCKET)`);
  if (!accessKeyId) throw new ConfigError(`${provider}: no access key id given (CDN_ACCESS_KEY)`);
  if (!secretAccessKey) throw new ConfigError(`${provider}: no secret key given (CDN_SECRET_KEY)`);
  const endpoint = options.endpoint === undefined ? undefined : normalizeEndpoint(options.endpoint, bucket, provider);
  if (provider === 'cloudflare-r2' && endpoint === undefined) {
    throw new ConfigError('cloudflare-r2 needs an endpoint (CDN_ENDPOINT_URL), e.g. https://<account>.r2.cloudflarestorage.com');
  }
  const region = options.region ?? (provider === 'cloudflare-r2' ? 'auto' : 'us-east-1');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const listPageSize = options.listPageSize ?? 1000;
  if (!Number.isInteger(listPageSize) || listPageSize < 1 || listPageSize > 1000) {
    throw new RangeError(`listPageSize must be a whole number from 1 to 1000 (got ${listPageSize})`);
  }
  const multipartThreshold = options.multipartThresholdBytes ?? MULTIPART_THRESHOLD_BYTES;
  const description = endpoint !== undefined ? `${provider} bucket ${bucket} at ${endpoint}` : `${provider} bucket ${bucket} in ${region}`;

  const config: S3ClientConfig = {
    region,
    credentials: { accessKeyId, secretAccessKey },
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: Math.min(timeoutMs, CONNECT_TIMEOUT_MS),
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeoutMs,
    },
  };
  if (endpoint !== undefined) config.endpoint = endpoint;
  // Each command class's middleware is resolved once (`cacheMiddleware`), not on every request:
  // that resolution was a third of the CPU a PUT cost. A cached handler takes no per-request
  // options, so a request's abort signal and payload hash reach it through `perRequest`.
  const client = withoutNodeVersionWarning(() => new S3Client({ ...config, cacheMiddleware: true }));
  // Presigning adds a middleware to the client's stack while it signs: a client of its own keeps
  // it out of the cached handlers.
  let presigner: S3Client | null = null;
  const perRequest = new AsyncLocalStorage<RequestExtras>();
  passRequestExtras(client, perRequest);

  const requests = emptyCounts();
  // Counts HTTP requests as they are sent, those lib-storage's Upload makes included.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const kind = COMMAND_KINDS[context.commandName ?? ''];
      if (kind) requests[kind]++;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'memoraRequestCounter', override: true },
  );

  const fail = (error: unknown, operation: Operation, key?: string): StorageError =>
    toStorageError(error, { operation, key, provider, bucket, description, secretAccessKey });

  return {
    description,
    ...(provider === 'cloudflare-r2' ? { sameKeyWriteIntervalMs: R2_SAME_KEY_WRITE_INTERVAL_MS } : {}),
    bucket,
    requests,

    async get(key: string): Promise<StoredObject | null> {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!out.Body) throw new Error('the response had no body');
        const bytes = await out.Body.transformToByteArray();
        const object: StoredObject = { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), etag: out.ETag ?? '' };
        if (out.ContentType !== undefined) object.contentType = out.ContentType;
        if (out.CacheControl !== undefined) object.cacheControl = out.CacheControl;
        return object;
      } catch (error) {
        if (isMissingObject(error)) return null;
        throw fail(error, 'get', key);
      }
    },

    async head(key: string) {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        const info: ObjectInfo & { contentType?: string; cacheControl?: string } = { key, etag: out.ETag ?? '', size: out.ContentLength ?? 0 };
        if (out.ContentType !== undefined) info.contentType = out.ContentType;
        if (out.CacheControl !== undefined) info.cacheControl = out.CacheControl;
        return info;
      } catch (error) {
        // A HEAD response has no body, so a missing bucket cannot be told from a missing key here.
        if (statusOf(error) === 404) return null;
        throw fail(error, 'head', key);
      }
    },

    async put(key: string, body: Buffer, options: PutOptions): Promise<{ etag: string }> {
      const conditional = options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
      try {
        if (body.length > multipartThreshold && !conditional) {
          // Loaded when first needed: most runs upload no body this large.
          const { Upload } = await import('@aws-sdk/lib-storage');
          const upload = new Upload({
            client,
            params: { Bucket: bucket, Key: key, Body: body, ContentType: options.contentType, CacheControl: options.cacheControl },
            partSize: Math.max(multipartThreshold, MIN_PART_BYTES),
            queueSize: 4,
            leavePartsOnError: false,
          });
          const abort = () => void upload.abort();
          options.signal?.addEventListener('abort', abort, { once: true });
          try {
            const out = await upload.done();
            return { etag: out.ETag ?? '' };
          } finally {
            options.signal?.removeEventListener('abort', abort);
          }
        }
        const command = new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: md5Base64(body),
          ContentType: options.contentType,
          CacheControl: options.cacheControl,
          IfMatch: options.ifMatch,
          IfNoneMatch: options.ifNoneMatch,
        });
        const out = await perRequest.run({ signal: options.signal, payloadSha256: options.sha256 }, () => client.send(command));
        return { etag: out.ETag ?? md5Etag(body) };
      } catch (error) {
        if (options.signal?.aborted) throw abandonedError(`put ${key}`, description, options.signal);
        if (conditional && isPreconditionFailure(error, options)) throw new PreconditionFailedError(key);
        throw fail(error, 'put', key);
      }
    },

    async deleteMany(keys: readonly string[], deleteOptions: DeleteOptions = {}): Promise<DeleteResult> {
      assertDeleteBatch(keys);
      if (keys.length === 0) return { deleted: [], failed: [] };
      const what = `${keys.length} keys from ${keys[0]}`;
      let out;
      try {
        const command = new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: false } });
        out = await perRequest.run({ signal: deleteOptions.signal }, () => client.send(command));
      } catch (error) {
        if (deleteOptions.signal?.aborted) throw abandonedError(`delete ${what}`, description, deleteOptions.signal);
        throw fail(error, 'delete', what);
      }
      const failed: DeleteResult['failed'] = [];
      const failedKeys = new Set<string>();
      for (const e of out.Errors ?? []) {
        if (e.Key === undefined) continue;
        failedKeys.add(e.Key);
        const code = e.Code ?? 'Unknown';
        failed.push({
          key: e.Key,
          error: new StorageError(
            redact(`delete ${e.Key} on ${description} failed: ${code}${e.Message ? ` (${e.Message})` : ''}${hintFor(code, undefined, provider, bucket)}`, secretAccessKey),
            { transient: TRANSIENT_CODES.has(code), code },
          ),
        });
      }
      // Keys S3 does not report as errors were deleted (or did not exist, which counts as deleted).
      const deleted = keys.filter((k) => !failedKeys.has(k));
      return { deleted, failed };
    },

    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      let token: string | undefined;
      do {
        let out;
        try {
          out = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix === '' ? undefined : prefix, ContinuationToken: token, MaxKeys: listPageSize }),
          );
        } catch (error) {
          throw fail(error, 'list', prefix === '' ? '(all keys)' : `${prefix}*`);
        }
        for (const o of out.Contents ?? []) {
          if (o.Key === undefined) continue;
          yield { key: o.Key, etag: o.ETag ?? '', size: o.Size ?? 0 };
        }
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
        if (out.IsTruncated && token === undefined) {
          throw new StorageError(`list ${prefix}* on ${description}: a truncated page came without a continuation token`, { transient: false });
        }
      } while (token !== undefined);
    },

    async presignGet(key: string, options: { expiresInSeconds: number; signingDate: Date }): Promise<string> {
      try {
        presigner ??= withoutNodeVersionWarning(() => new S3Client(config));
        return await getSignedUrl(presigner, new GetObjectCommand({ Bucket: bucket, Key: key }), {
          expiresIn: options.expiresInSeconds,
          signingDate: options.signingDate,
        });
      } catch (error) {
        throw fail(error, 'presign', key);
      }
    },

    async close(): Promise<void> {
      client.destroy();
      presigner?.destroy();
    },
  };
}

/** What one request carries past the cached middleware: its abort signal, its body's SHA-256. */
interface RequestExtras {
  signal?: AbortSignal | undefined;
  /** Hex SHA-256 of the body, known by the caller: the signer uses it instead of hashing the body again. */
  payloadSha256?: string | undefined;
}

/**
 * Hands each request's extras to the SDK: the body's SHA-256 as `x-amz-content-sha256` (SigV4
 * signs that header's value as the payload hash, and S3 and R2 refuse a body that does not match
 * it), and the abort signal to the HTTP handler, which gives up the request when it fires.
 */
function passRequestExtras(client: S3Client, perRequest: AsyncLocalStorage<RequestExtras>): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const sha = perRequest.getStore()?.payloadSha256;
      const request = args.request as { headers?: Record<string, string> } | undefined;
      if (sha !== undefined && request?.headers) request.headers['x-amz-content-sha256'] = sha;
      return next(args);
    },
    { step: 'build', name: 'memoraPayloadHash', override: true },
  );
  const handler = client.config.requestHandler;
  const handle = handler.handle.bind(handler);
  handler.handle = (request, options) => {
    const signal = perRequest.getStore()?.signal;
    return handle(request, signal === undefined ? options : { ...options, abortSignal: signal });
  };
}

/** Which counter each SDK command (those Upload sends included) adds to. */
const COMMAND_KINDS: Record<string, keyof RequestCounts | undefined> = {
  PutObjectCommand: 'put',
  CreateMultipartUploadCommand: 'put',
  UploadPartCommand: 'put',
  CompleteMultipartUploadCommand: 'put',
  AbortMultipartUploadCommand: 'put',
  GetObjectCommand: 'get',
  HeadObjectCommand: 'head',
  DeleteObjectsCommand: 'delete',
  DeleteObjectCommand: 'delete',
  ListObjectsV2Command: 'list',
};

/**
 * Constructs the client with the SDK's own opt-out of its NodeVersionSupportWarning set. The SDK
 * reads the variable once, in the client constructor, and remembers that it has "warned"; the
 * variable is put back as it was right after, so nothing else in the process sees it changed.
 */
function withoutNodeVersionWarning<T>(make: () => T): T {
  if (process.env[WARNING_OPT_OUT] !== undefined) return make();
  process.env[WARNING_OPT_OUT] = 'true';
  try {
    return make();
  } finally {
    delete process.env[WARNING_OPT_OUT];
  }
}

function normalizeEndpoint(raw: string, bucket: string, provider: S3Provider): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${provider}: the endpoint is not a URL (CDN_ENDPOINT_URL): expected e.g. https://<account>.r2.cloudflarestorage.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`${provider}: the endpoint must be an http(s) URL (CDN_ENDPOINT_URL)`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (path === `/${bucket}`) {
    throw new ConfigError(`${provider}: CDN_ENDPOINT_URL ends with the bucket name; give the endpoint without it (${url.origin}) and the bucket in CDN_BUCKET`);
  }
  // The bucket's own host name (virtual-hosted style, as the AWS console shows object URLs): the
  // requests, addressed by path, would put every key under a folder named after the bucket.
  if (url.hostname.toLowerCase().startsWith(`${bucket.toLowerCase()}.`)) {
    const host = url.hostname.slice(bucket.length + 1);
    throw new ConfigError(`${provider}: CDN_ENDPOINT_URL names the bucket in its host (${url.hostname}); give the service endpoint without it (${url.protocol}//${host}${url.port ? `:${url.port}` : ''}) and the bucket in CDN_BUCKET`);
  }
  // Never keep credentials someone put in the URL: the endpoint is printed in descriptions.
  return `${url.origin}${path}`;
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

function statusOf(error: unknown): number | undefined {
  const e = shape(error);
  return e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
}

/** The S3 error code (`SlowDown`, `NoSuchKey`...), else the Node error code (`ECONNRESET`...). */
function codeOf(error: unknown): string | undefined {
  const e = shape(error);
  if (typeof e.Code === 'string') return e.Code;
  // Without an error body (HEAD answers have none) the SDK names the error Unknown or UnknownError.
  const name = typeof e.name === 'string' && !['Error', 'Unknown', 'UnknownError'].includes(e.name) ? e.name : undefined;
  if (statusOf(error) !== undefined && name !== undefined) return name;
  if (typeof e.code === 'string') return e.code;
  return name;
}

function isMissingObject(error: unknown): boolean {
  const code = codeOf(error);
  if (code === 'NoSuchKey' || code === 'NotFound') return true;
  return statusOf(error) === 404 && code !== 'NoSuchBucket';
}

function isPreconditionFailure(error: unknown, options: PutOptions): boolean {
  const status = statusOf(error);
  const code = codeOf(error);
  if (status === 412 || code === 'PreconditionFailed') return true;
  // A concurrent conditional write to the same key won the race.
  if (code === 'ConditionalRequestConflict' || (status === 409 && code === undefined)) return true;
  // If-Match on an object that no longer exists: AWS answers 404 NoSuchKey.
  if (options.ifMatch !== undefined && (code === 'NoSuchKey' || (status === 404 && code !== 'NoSuchBucket'))) return true;
  return false;
}

/** S3's codes for a failure worth another attempt, and the network's. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'SlowDown',
  'RequestTimeout',
  'InternalError',
  'ServiceUnavailable',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'RequestTimeoutException',
  'OperationAborted',
  'TimeoutError',
  ...TRANSIENT_NETWORK_CODES,
]);

function isTransient(error: unknown, code: string | undefined, status: number | undefined): boolean {
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  const e = shape(error);
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (status !== undefined) {
    if (status === 408 || status === 429) return true;
    if (status >= 500 && status !== 501) return true;
    return false;
  }
  // No HTTP status at all: the connection itself failed (reset, hang up, timeout).
  return /socket hang up|ECONNRESET|timed out|timeout/i.test(e.message ?? '');
}

/** The setting to check for a configuration-shaped failure, as a sentence fragment. */
function hintFor(code: string | undefined, status: number | undefined, provider: S3Provider, bucket: string): string {
  switch (code) {
    case 'AccessDenied':
    case 'Forbidden':
      return `: access denied; check CDN_ACCESS_KEY and CDN_SECRET_KEY, and that this key may read and write bucket ${bucket} (CDN_BUCKET)`;
    case 'InvalidAccessKeyId':
      return provider === 'cloudflare-r2'
        ? ': the access key id is not known; check CDN_ACCESS_KEY (the Access Key ID of an R2 API token) and CDN_ENDPOINT_URL (the account)'
        : ': the access key id is not known; check CDN_ACCESS_KEY';
    case 'SignatureDoesNotMatch':
      return provider === 'cloudflare-r2'
        ? ': the signature does not match; check CDN_SECRET_KEY (it must belong to CDN_ACCESS_KEY)'
        : ': the signature does not match; check CDN_SECRET_KEY (it must belong to CDN_ACCESS_KEY) and CDN_REGION';
    case 'NoSuchBucket':
      return `: bucket ${bucket} does not exist; check CDN_BUCKET and CDN_ENDPOINT_URL`;
    case 'InvalidBucketName':
      return `: ${bucket} is not a valid bucket name; check CDN_BUCKET`;
    case 'AuthorizationHeaderMalformed':
    case 'PermanentRedirect':
    case 'IllegalLocationConstraintException':
      return ': the bucket is in another region; check CDN_REGION (or CDN_ENDPOINT_URL)';
    case 'RequestTimeTooSkewed':
      return ": this machine's clock is off by more than 15 minutes; fix the system time";
    case 'ENOTFOUND':
      return ': the endpoint host name does not resolve; check CDN_ENDPOINT_URL';
    case 'ECONNREFUSED':
      return ': the connection was refused; check CDN_ENDPOINT_URL';
    case 'InvalidRequest':
    case 'NotImplemented':
      return ': the service does not support this request; check CDN_STORAGE_PROVIDER and CDN_ENDPOINT_URL';
  }
  if (status === 403) return `: access denied; check CDN_ACCESS_KEY and CDN_SECRET_KEY, and that this key may read and write bucket ${bucket} (CDN_BUCKET)`;
  if (status === 301) return ': the bucket is in another region; check CDN_REGION (or CDN_ENDPOINT_URL)';
  return '';
}

/** Removes anything secret-shaped from a message: the secret key and presigned signatures. */
function redact(message: string, secret: string): string {
  let out = message.replace(/(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature)=[^&\s]+/gi, '$1=…');
  if (secret.length >= 4) out = out.split(secret).join('…');
  return out;
}

/**
 * The SDK's error as the cause of a StorageError, its message and stack redacted: the CLI prints
 * an error's causes too (and their stacks with --verbose), and a server may echo what it was sent.
 */
function redactedCause(error: unknown, secret: string): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? redact(error, secret) : error;
  const copy = new Error(redact(error.message, secret));
  copy.name = error.name;
  copy.stack = redact(error.stack ?? '', secret);
  return copy;
}

function toStorageError(
  error: unknown,
  where: { operation: Operation; key: string | undefined; provider: S3Provider; bucket: string; description: string; secretAccessKey: string },
): StorageError {
  if (error instanceof StorageError) return error;
  const status = statusOf(error);
  const code = codeOf(error);
  const transient = isTransient(error, code, status);
  const e = shape(error);
  const detail = [status, code].filter((v) => v !== undefined).join(' ');
  const sdkMessage = e.message && e.message !== code && e.message !== 'Unknown' && e.message !== 'UnknownError' ? ` (${e.message})` : '';
  const subject = where.key === undefined ? '' : ` ${where.key}`;
  const message = `${where.operation}${subject} on ${where.description} failed: ${detail || 'error'}${sdkMessage}${hintFor(code, status, where.provider, where.bucket)}`;
  const options: { transient: boolean; status?: number; code?: string; cause?: unknown } = { transient, cause: redactedCause(error, where.secretAccessKey) };
  if (status !== undefined) options.status = status;
  if (code !== undefined) options.code = code;
  return new StorageError(redact(message, where.secretAccessKey), options);
}
