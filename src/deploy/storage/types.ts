/**
 * The one small interface the deploy stage writes through. Providers: `aws-s3` and
 * `cloudflare-r2` (s3.ts, on @aws-sdk/client-s3) and `directory` (directory.ts, a local folder).
 * Providers make one attempt per call and classify what went wrong; retrying is the caller's job,
 * so attempts are counted in one place.
 */
import { CdnError } from '../../errors.ts';

export interface PutOptions {
  contentType: string;
  cacheControl: string;
  /** Write only if the object's current ETag is this one (optimistic concurrency). */
  ifMatch?: string;
  /** `*`: write only if the object does not exist yet. */
  ifNoneMatch?: '*';
  /** Gives up on the write when it fires: a transient StorageError naming the signal's reason. */
  signal?: AbortSignal;
  /** The hex SHA-256 of the body when the caller knows it (S3 signs it rather than hashing the body again). */
  sha256?: string;
}

export interface DeleteOptions {
  /** Gives up on the request when it fires, as PutOptions' signal. */
  signal?: AbortSignal;
}

export interface ObjectInfo {
  key: string;
  /** The ETag as the store gives it, quotes included. */
  etag: string;
  size: number;
}

export interface StoredObject {
  body: Buffer;
  etag: string;
  contentType?: string;
  cacheControl?: string;
}

export interface DeleteResult {
  deleted: string[];
  failed: { key: string; error: StorageError }[];
}

/** Requests made, by kind, for reports and benchmarks. */
export interface RequestCounts {
  put: number;
  get: number;
  head: number;
  delete: number;
  list: number;
}

export interface Storage {
  /** For logs and reports: provider, bucket or folder, endpoint. Never a secret. */
  readonly description: string;
  /** The bucket name (or folder) that `doctor` prints. */
  readonly bucket: string;
  readonly requests: RequestCounts;
  /** The shortest spacing of two writes to one key the store allows (R2: one a second); absent: none. */
  readonly sameKeyWriteIntervalMs?: number;
  get(key: string): Promise<StoredObject | null>;
  head(key: string): Promise<(ObjectInfo & { contentType?: string; cacheControl?: string }) | null>;
  /** Throws PreconditionFailedError when ifMatch / ifNoneMatch does not hold. */
  put(key: string, body: Buffer, options: PutOptions): Promise<{ etag: string }>;
  /** At most MAX_DELETE_BATCH keys per call (DeleteObjects); keys that do not exist count as deleted. */
  deleteMany(keys: readonly string[], options?: DeleteOptions): Promise<DeleteResult>;
  /** Every object under the prefix with its ETag, in key order (verify, and a deploy reconciling after an unfinished one). */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** A presigned GET URL, for providers that have one (S3, R2). */
  presignGet?(key: string, options: { expiresInSeconds: number; signingDate: Date }): Promise<string>;
  close(): Promise<void>;
}

/** Keys per deleteMany call: what S3's DeleteObjects accepts per request, for every provider. */
export const MAX_DELETE_BATCH = 1000;

/** Refuses a deleteMany call over MAX_DELETE_BATCH keys (a bug in the caller, which must split them). */
export function assertDeleteBatch(keys: readonly string[]): void {
  if (keys.length > MAX_DELETE_BATCH) throw new RangeError(`deleteMany takes at most ${MAX_DELETE_BATCH} keys per call (got ${keys.length})`);
}

/** A storage failure; `transient` ones (network, 5xx, throttling) are worth another attempt. */
export class StorageError extends CdnError {
  readonly transient: boolean;
  readonly status: number | undefined;
  readonly code: string | undefined;
  constructor(message: string, options: { transient: boolean; status?: number; code?: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.transient = options.transient;
    this.status = options.status;
    this.code = options.code;
  }
}

/**
 * A request given up because its caller's signal fired (PutOptions' signal): transient, as the
 * caller may try again once whatever fired the signal (a lease running low) is settled.
 */
export function abandonedError(what: string, description: string, signal: AbortSignal): StorageError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : 'its caller gave up';
  return new StorageError(`${what} on ${description} was given up: ${why}`, { transient: true });
}

/** A conditional write lost: someone else wrote the object since it was read. */
export class PreconditionFailedError extends StorageError {
  constructor(key: string) {
    super(`${key} was changed by someone else since it was read (precondition failed)`, { transient: false, status: 412, code: 'PreconditionFailed' });
  }
}

export function emptyCounts(): RequestCounts {
  return { put: 0, get: 0, head: 0, delete: 0, list: 0 };
}
