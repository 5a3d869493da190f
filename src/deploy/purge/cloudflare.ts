/**
 * Cloudflare cache purge by URL, the last step of a deploy: `POST /zones/{zone}/purge_cache` with
 * `{"files": [...]}`, in batches, one request at a time, paced, with retries of what is worth
 * another attempt. A batch that fails for good is reported and the others still run, except when
 * every later batch would fail the same way (the token or the zone is wrong, or Cloudflare keeps
 * rate limiting): then the remaining URLs are reported failed without being sent.
 *
 * Cloudflare's limits (cache/how-to/purge-cache and its purge-by-single-file page;
 * fundamentals/api/reference/limits):
 *   - 30 URLs per request on Free, Pro and Business zones, 500 on Enterprise (the newer limits
 *     table says 100, but purge by URL is still capped at 30: cloudflare/cloudflare-docs#21338),
 *     hence the default batch of 30;
 *   - purges are rate limited per account with a token bucket (purge by URL: 800 URLs per second
 *     on Free, 1,500 on Pro and Business); the API as a whole allows 1,200 requests per 5 minutes
 *     per user. The docs do not say whether purges count against the latter too, so the default
 *     pacing keeps to it: up to 20 requests at once (600 URLs in 30-URL batches, inside Free's
 *     800 URLs a second), then one every 260 ms (about 115 URLs a second); never more than 1,174
 *     requests in five minutes. A purge of up to 600 URLs (a content edit) is never slowed down;
 *   - over a limit Cloudflare answers 429 with `Retry-After` (seconds), which the retries honour.
 *
 * The token is only ever put in the Authorization header; it never appears in a log line or an
 * error message (any text from elsewhere that happens to contain it is redacted).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { LazyAgent } from '../../io/undici.ts';
import { CdnError, ConfigError } from '../../errors.ts';
import { attemptsEnded, DEFAULT_RETRY, parseRetryAfter, waitsTooLong, withRetry, type RetryPolicy } from '../../io/retry.ts';
import type { Logger } from '../../log.ts';
import { networkFailure } from '../../io/network.ts';
import { nextStart, type Pacing } from './pacing.ts';
import { isAbsoluteHttpUrl } from './urls.ts';

export const CLOUDFLARE_API_URL = 'https://api.cloudflare.com/client/v4';
/** URLs per purge request on Free, Pro and Business zones. */
export const DEFAULT_PURGE_BATCH_SIZE = 30;
/** The largest per-request cap Cloudflare has (Enterprise zones). */
export const MAX_PURGE_BATCH_SIZE = 500;
/** 1,200 API requests per 5 minutes per user: one request every 260 ms after the burst... */
export const DEFAULT_PURGE_INTERVAL_MS = 260;
/**
 * ...of this many requests at once: 20 + 300,000 / 260 = 1,174 requests in any 5 minutes at most.
 * With larger batches the burst shrinks to keep to PURGE_BURST_URLS (at least one request).
 */
export const DEFAULT_PURGE_BURST = 20;
/** URLs sent without pacing at the default burst: 20 batches of 30, inside Free's 800 URLs a second. */
export const PURGE_BURST_URLS = 600;
export const DEFAULT_PURGE_RETRY: RetryPolicy = { ...DEFAULT_RETRY, attempts: 3 };

export interface CloudflarePurgerOptions {
  /** The API base, without a trailing slash (default https://api.cloudflare.com/client/v4). */
  apiUrl?: string;
  zoneId: string;
  /** An API token with the Zone > Cache Purge permission. */
  token: string;
  /** URLs per request (default 30). */
  batchSize?: number;
  log: Logger;
  /** Default: 3 attempts, otherwise DEFAULT_RETRY. */
  retry?: Partial<RetryPolicy>;
  /** Per request: time to connect, to the response headers, and between body chunks (default 30 s). */
  timeoutMs?: number;
  /** Pacing: least time between the starts of two requests once the burst is spent, retries included (default 260 ms). */
  minIntervalMs?: number;
  /** Pacing: requests that may start at once before the interval applies (default 20 at 30 URLs per request: PURGE_BURST_URLS / batch size, at least 1; 1: every request waits its turn). */
  burst?: number;
  /** Random numbers in [0, 1) for the retry jitter (tests can fix it). */
  random?: () => number;
  /** The clock for pacing and retry waits (tests inject a virtual one); default Date.now. */
  now?: () => number;
  /** Waits that many milliseconds (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

export interface PurgeFailure {
  urls: string[];
  error: string;
}

export interface PurgeResult {
  /** HTTP requests sent, retries included. */
  requests: number;
  /** URLs Cloudflare accepted, in order. */
  purged: string[];
  failed: PurgeFailure[];
  /** Requests that were a retry of an earlier one. */
  retries: number;
}

/** Cloudflare codes meaning the zone in the path cannot be routed (a wrong zone ID, for every batch). */
const ROUTING_CODES = new Set([7000, 7003]);

interface CloudflareApiError {
  code: number | null;
  message: string;
  chain: CloudflareApiError[];
}

/**
 * How one attempt failed. `transient`: worth another attempt; `batch`: this batch failed for
 * good; `stop`: every later batch would fail the same way.
 */
class AttemptError extends CdnError {
  /** How many attempts the batch had when this one failed (set by `send`). */
  attempts = 1;

  constructor(
    message: string,
    readonly kind: 'transient' | 'batch' | 'stop',
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class CloudflarePurger {
  private readonly apiUrl: string;
  private readonly endpoint: string;
  private readonly batchSize: number;
  private readonly pacing: Pacing;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly policy: RetryPolicy;
  private readonly agent: LazyAgent;
  private readonly auth: string;
  private readonly token: string;
  private readonly log: Logger;
  /** Pacing (a token bucket kept as one time): when the bucket would be full again. */
  private fullAt = 0;
  private closed = false;

  constructor(private readonly options: CloudflarePurgerOptions) {
    if (options.zoneId.trim() === '') throw new ConfigError('cloudflare purge: the zone ID is empty');
    if (options.token.trim() === '') throw new ConfigError('cloudflare purge: the API token is empty');
    const batchSize = options.batchSize ?? DEFAULT_PURGE_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_PURGE_BATCH_SIZE) {
      throw new ConfigError(`cloudflare purge: the batch size must be a whole number from 1 to ${MAX_PURGE_BATCH_SIZE} (got ${batchSize})`);
    }
    const minIntervalMs = options.minIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS;
    if (!Number.isFinite(minIntervalMs) || minIntervalMs < 0) throw new ConfigError(`cloudflare purge: the interval between requests must be 0 ms or more (got ${minIntervalMs})`);
    this.apiUrl = (options.apiUrl ?? CLOUDFLARE_API_URL).replace(/\/+$/, '');
    this.endpoint = `${this.apiUrl}/zones/${encodeURIComponent(options.zoneId.trim())}/purge_cache`;
    this.batchSize = batchSize;
    const burst = options.burst ?? Math.max(1, Math.min(DEFAULT_PURGE_BURST, Math.floor(PURGE_BURST_URLS / batchSize)));
    if (!Number.isInteger(burst) || burst < 1) throw new ConfigError(`cloudflare purge: the burst must be a whole number of requests, 1 or more (got ${burst})`);
    this.pacing = { burst, intervalMs: minIntervalMs };
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    this.policy = { ...DEFAULT_PURGE_RETRY, ...options.retry };
    this.token = options.token.trim();
    this.auth = `Bearer ${this.token}`;
    this.log = options.log;
    const timeout = options.timeoutMs ?? 30_000;
    this.agent = new LazyAgent({ connections: 2, headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: timeout });
  }

  /** Closes the connections; calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }

  /** Starts loading the HTTP client (while a deploy uploads), so that the first purge need not wait for it. */
  prepare(): void {
    if (!this.closed) this.agent.prepare();
  }

  /** Purges the URLs (duplicates dropped, order kept); failures are reported in the result, never thrown. */
  async purge(urls: readonly string[]): Promise<PurgeResult> {
    const result: PurgeResult = { requests: 0, purged: [], failed: [], retries: 0 };
    const unique = [...new Set(urls)];
    const valid = unique.filter(isAbsoluteHttpUrl);
    const invalid = unique.filter((u) => !isAbsoluteHttpUrl(u));
    if (invalid.length > 0) {
      // Cloudflare rejects a whole request for one bad entry: keep them out of the batches.
      const error = 'not an absolute http(s) URL, so not sent (Cloudflare would reject the whole request)';
      result.failed.push({ urls: invalid, error });
      this.log.verbose(`purge: ${invalid.length} URL(s) skipped: ${error}`);
    }
    const batches: string[][] = [];
    for (let i = 0; i < valid.length; i += this.batchSize) batches.push(valid.slice(i, i + this.batchSize));

    for (const [index, batch] of batches.entries()) {
      const label = `batch ${index + 1}/${batches.length} (${batch.length} URL${batch.length === 1 ? '' : 's'})`;
      try {
        const id = await this.send(batch, label, result);
        result.purged.push(...batch);
        this.log.verbose(`purge: ${label}: purged${id ? ` (purge id ${id})` : ''}`);
      } catch (error) {
        const { message, stop } = this.finalError(error);
        result.failed.push({ urls: batch, error: message });
        this.log.verbose(`purge: ${label}: failed: ${message}`);
        if (stop) {
          const rest = batches.slice(index + 1).flat();
          if (rest.length > 0) {
            result.failed.push({ urls: rest, error: message });
            this.log.verbose(`purge: ${rest.length} remaining URL(s) not sent: every request would fail the same way`);
          }
          break;
        }
      }
    }

    const failedCount = result.failed.reduce((n, f) => n + f.urls.length, 0);
    const retries = result.retries === 1 ? '1 retry' : `${result.retries} retries`;
    this.log.info(
      `purge: ${unique.length} URL${unique.length === 1 ? '' : 's'} in ${result.requests} request${result.requests === 1 ? '' : 's'}: ${result.purged.length} purged, ${failedCount} failed, ${retries}`,
    );
    return result;
  }

  /** One batch, with retries; returns Cloudflare's purge id. */
  private async send(batch: string[], label: string, result: PurgeResult): Promise<string | null> {
    const body = JSON.stringify({ files: batch });
    return withRetry(
      async (attempt) => {
        await this.pace();
        result.requests++;
        try {
          return await this.once(body);
        } catch (error) {
          if (error instanceof AttemptError) error.attempts = attempt;
          throw error;
        }
      },
      this.policy,
      {
        classify: (error) =>
          error instanceof AttemptError && error.kind === 'transient'
            ? { retry: true, reason: error.message, ...(error.retryAfterMs !== undefined ? { afterMs: error.retryAfterMs } : {}) }
            : { retry: false },
        onRetry: ({ attempt, delayMs, reason }) => {
          result.retries++;
          this.log.verbose(`purge: ${label}: ${reason}; attempt ${attempt + 1} in ${delayMs} ms`);
        },
        ...(this.options.random ? { random: this.options.random } : {}),
        sleep: this.sleep,
      },
    );
  }

  /** Waits for the pacing model (pacing.ts) to let the next request start. */
  private async pace(): Promise<void> {
    const now = this.now();
    const next = nextStart(this.pacing, this.fullAt, now);
    this.fullAt = next.fullAt;
    if (next.startAt > now) await this.sleep(next.startAt - now);
  }

  private async once(body: string): Promise<string | null> {
    let response: Dispatcher.ResponseData;
    let text: string;
    const { dispatcher, request } = await this.agent.get();
    try {
      response = await request(this.endpoint, {
        method: 'POST',
        dispatcher,
        headers: { Authorization: this.auth, 'Content-Type': 'application/json', Accept: 'application/json' },
        body,
      });
      text = await response.body.text();
    } catch (error) {
      throw this.networkError(error);
    }
    const status = response.statusCode;
    const parsed = parseEnvelope(text);
    const said = this.redact(`${status}${describeBody(parsed, text)}`);

    if (status >= 200 && status < 300) {
      if (parsed === null) throw new AttemptError(`Cloudflare answered ${status} with a body that is not Cloudflare's JSON`, 'transient', status);
      if (parsed.success !== true) throw new AttemptError(`Cloudflare answered ${said} without success`, 'batch', status);
      return parsed.id;
    }
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.now());
      throw new AttemptError(`Cloudflare is rate limiting (${said})`, 'transient', status, retryAfterMs);
    }
    if (status >= 500 || status === 408) throw new AttemptError(`Cloudflare answered ${said}`, 'transient', status);
    if (status === 401) throw new AttemptError(`Cloudflare rejected the API token (${said}); check CLOUDFLARE_API_TOKEN`, 'stop', status);
    if (status === 403) {
      throw new AttemptError(
        `Cloudflare refused the purge (${said}); the API token needs the Zone > Cache Purge permission on zone ${this.options.zoneId}`,
        'stop',
        status,
      );
    }
    if (parsed?.errors.some((e) => e.code !== null && ROUTING_CODES.has(e.code))) {
      throw new AttemptError(`Cloudflare could not route the purge (${said}); check CLOUDFLARE_ZONE_ID (the zone's 32-character ID, not its domain name)`, 'stop', status);
    }
    if (parsed === null && (status === 404 || (status >= 300 && status < 400))) {
      throw new AttemptError(`${this.apiUrl} answered ${said}; is CLOUDFLARE_API_URL Cloudflare's API base?`, 'stop', status);
    }
    throw new AttemptError(`Cloudflare rejected the purge (${said})`, 'batch', status);
  }

  private networkError(error: unknown): AttemptError {
    const { detail, transient } = networkFailure(error);
    return new AttemptError(`cannot reach ${this.apiUrl}: ${this.redact(detail)}`, transient ? 'transient' : 'batch', 0);
  }

  /** The message of a batch that failed for good, and whether the remaining batches are pointless. */
  private finalError(error: unknown): { message: string; stop: boolean } {
    if (!(error instanceof AttemptError)) return { message: this.redact(error instanceof Error ? error.message : String(error)), stop: false };
    if (error.kind !== 'transient') return { message: error.message, stop: error.kind === 'stop' };
    if (error.status === 429) {
      // Cloudflare blocks every call for a while once a limit is hit: more requests only prolong it.
      const tooLong = waitsTooLong(this.policy, error.retryAfterMs) ? `, longer than the ${Math.round(this.policy.maxRetryAfterMs / 1000)} s honoured` : '';
      const wait = error.retryAfterMs !== undefined ? `, asking to wait ${Math.ceil(error.retryAfterMs / 1000)} s${tooLong}` : '';
      return { message: `${error.message}${wait}; gave up after ${error.attempts} attempt(s), later batches not sent`, stop: true };
    }
    return { message: `${error.message}${attemptsEnded(this.policy, error.attempts, error.retryAfterMs)}`, stop: false };
  }

  private redact(text: string): string {
    return this.token === '' ? text : text.split(this.token).join('[redacted]');
  }
}

/** Cloudflare's v4 envelope, as far as it can be read; null when the body is not one. */
function parseEnvelope(text: string): { success: boolean | null; errors: CloudflareApiError[]; id: string | null } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const b = parsed as Record<string, unknown>;
  if (!('success' in b) && !('errors' in b)) return null;
  const result = b.result;
  const id = result !== null && typeof result === 'object' && typeof (result as { id?: unknown }).id === 'string' ? (result as { id: string }).id : null;
  return { success: typeof b.success === 'boolean' ? b.success : null, errors: readErrors(b.errors), id };
}

function readErrors(value: unknown): CloudflareApiError[] {
  if (!Array.isArray(value)) return [];
  return value.map((e) => {
    const o = (e !== null && typeof e === 'object' ? e : {}) as Record<string, unknown>;
    return {
      code: typeof o.code === 'number' ? o.code : null,
      message: typeof o.message === 'string' ? o.message : '',
      chain: readErrors(o.error_chain),
    };
  });
}

function describeErrors(errors: readonly CloudflareApiError[]): string {
  return errors
    .map((e) => {
      const head = [e.code !== null ? String(e.code) : '', e.message].filter(Boolean).join(' ');
      return e.chain.length > 0 ? `${head} (${describeErrors(e.chain)})` : head;
    })
    .filter(Boolean)
    .join('; ');
}

/** `: <codes and messages>` from the envelope, else the start of the body; '' when there is nothing. */
function describeBody(parsed: ReturnType<typeof parseEnvelope>, text: string): string {
  if (parsed !== null) {
    const errors = describeErrors(parsed.errors);
    return errors ? `: ${errors}` : '';
  }
  const plain = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  if (plain === '') return '';
  return `: ${plain.length > 100 ? `${plain.slice(0, 100)}...` : plain}`;
}
