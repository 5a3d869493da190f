/**
 * A small client for Frappe's REST API (v14 and v15, API v1) on undici: token authentication,
 * timeouts, bounded connections, retries of transient faults, and errors that say what to do.
 * It never logs or reports the Authorization header.
 */
import type { Dispatcher } from 'undici';
import { LazyAgent } from '../io/undici.ts';
import { attemptsEnded, DEFAULT_RETRY, parseRetryAfter, withRetry, type RetryPolicy } from '../io/retry.ts';
import type { Logger } from '../log.ts';
import { ConfigError } from '../errors.ts';
import { FrappeError, readFrappeError, StoppedError, TransientError } from './errors.ts';
import { networkFailure } from '../io/network.ts';

export type Filter = [string, string, unknown];

export interface ListQuery {
  fields: readonly string[];
  filters?: readonly Filter[];
  /** ORed together, the group ANDed with `filters` (Frappe's `or_filters`). */
  orFilters?: readonly Filter[];
  orderBy: string;
  limit: number;
  /** For child DocTypes: the parent DocType (Frappe answers 403 without it). */
  parent?: string;
}

export type Row = Record<string, unknown> & { name: string };

export interface FrappeClientOptions {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Per request: time to the response headers, and between body chunks. */
  timeoutMs?: number;
  /** Per attempt: the whole exchange, body included (a body that drips never ends otherwise). */
  deadlineMs?: number;
  /** The largest answer read; a larger one is refused with a clear error, never buffered. */
  maxResponseBytes?: number;
  retry?: Partial<RetryPolicy>;
  /** Connections to Frappe at most. */
  connections?: number;
  log?: Logger;
  random?: () => number;
  /** Waits between attempts (default: a timer; tests can record the waits instead). */
  sleep?: (ms: number) => Promise<void>;
}

const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);

/** Default deadline of one attempt, body included. */
export const DEFAULT_DEADLINE_MS = 120_000;
/** Default cap on one answer: far above any page of 500 documents. */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/**
 * The site's address as it may be logged and stored: FRAPPE_URL with user info would put a secret
 * in the log and the content cache, so it is refused (the configuration refuses it first).
 */
export function siteAddress(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ConfigError('FRAPPE_URL is not a URL: expected the site\'s address, e.g. https://memora.example.com');
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError('FRAPPE_URL holds a user name or password: give the address alone (https://host) and the credentials in FRAPPE_API_KEY and FRAPPE_API_SECRET');
  }
  return baseUrl.replace(/\/+$/, '');
}

/** A list row must be an object with a non-empty string name; anything else is named, not crashed on. */
function checkRows(doctype: string, data: unknown[]): Row[] {
  data.forEach((row, i) => {
    const bad =
      row === null || typeof row !== 'object' || Array.isArray(row)
        ? `is ${row === null ? 'null' : Array.isArray(row) ? 'a list' : typeof row}`
        : typeof (row as { name?: unknown }).name !== 'string' || (row as { name: string }).name === ''
          ? 'has no name'
          : null;
    if (bad !== null) throw new FrappeError(`frappe: the list of ${doctype} is malformed: row ${i + 1} of the page ${bad} (expected a document with a name)`, 200);
  });
  return data as Row[];
}
export class FrappeClient {
  /** Requests sent, retries included. */
  requests = 0;
  retries = 0;
  readonly baseUrl: string;
  private readonly agent: LazyAgent;
  private readonly auth: string;
  private readonly policy: RetryPolicy;
  private readonly deadlineMs: number;
  private readonly maxResponseBytes: number;

  private readonly stopping = new AbortController();

  constructor(private readonly options: FrappeClientOptions) {
    this.baseUrl = siteAddress(options.baseUrl);
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.auth = `token ${options.apiKey}:${options.apiSecret}`;
    this.policy = { ...DEFAULT_RETRY, ...options.retry };
    const timeout = options.timeoutMs ?? 30_000;
    this.agent = new LazyAgent({ connections: options.connections ?? 6, headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: timeout });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * Gives up every request in flight, every retry waiting and every request to come: they fail
   * with a StoppedError at once (`dev` stopping on Ctrl-C, while a pull waits on a slow site).
   */
  stop(): void {
    this.stopping.abort();
  }

  /** `GET /api/resource/{doctype}` with the query; the rows of `data`. */
  async list(doctype: string, query: ListQuery): Promise<Row[]> {
    const params = new URLSearchParams({
      fields: JSON.stringify(query.fields),
      filters: JSON.stringify(query.filters ?? []),
      order_by: query.orderBy,
      limit_start: '0',
      limit_page_length: String(query.limit),
    });
    if (query.orFilters) params.set('or_filters', JSON.stringify(query.orFilters));
    if (query.parent) params.set('parent', query.parent);
    const data = await this.call(doctype, null, `/api/resource/${encodeURIComponent(doctype)}?${params}`, () => JSON.stringify({ fields: query.fields, filters: query.filters ?? [], order_by: query.orderBy }), 'data', query.parent);
    if (!Array.isArray(data)) throw new FrappeError(`frappe: answered the list of ${doctype} without a "data" list`, 200);
    return checkRows(doctype, data);
  }

  /** `GET /api/resource/{doctype}/{name}`: the document with its child rows, or null if it does not exist. */
  async get(doctype: string, name: string): Promise<Row | null> {
    try {
      const data = await this.call(doctype, name, `/api/resource/${encodeURIComponent(doctype)}/${encodeURIComponent(name)}`, () => '');
      if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new FrappeError(`frappe: answered ${doctype} ${JSON.stringify(name)} without a "data" object`, 200);
      return checkRows(doctype, [data])[0] as Row;
    } catch (error) {
      if (error instanceof FrappeError && error.status === 404 && error.excType !== 'DocTypeNotFound' && !/DocType .* not found/i.test(error.message)) return null;
      throw error;
    }
  }

  /**
   * `GET /api/method/{method}`: a whitelisted method's answer (its `message`, or another key of
   * the body such as `docs`), and the server's Date header.
   */
  async method(method: string, params: Record<string, string> = {}, key: 'message' | 'docs' = 'message'): Promise<{ message: unknown; serverDate: Date | null }> {
    const query = new URLSearchParams(params).toString();
    const answer = (await this.call(method, null, `/api/method/${method}${query ? `?${query}` : ''}`, () => query, key)) as { message: unknown; date: string | null };
    const date = answer.date === null ? Number.NaN : Date.parse(answer.date);
    return { message: answer.message, serverDate: Number.isNaN(date) ? null : new Date(date) };
  }

  /** `parent`: for a child DocType, the parent DocType whose permission governs the read. */
  private async call(doctype: string, name: string | null, path: string, describeQuery: () => string, key: 'data' | 'message' | 'docs' = 'data', parent?: string): Promise<unknown> {
    const what = name === null ? `the list of ${doctype}` : `${doctype} ${JSON.stringify(name)}`;
    let attempts = 0;
    try {
      return await withRetry(
        async () => {
          this.requests++;
          attempts++;
          return this.once(doctype, name, path, describeQuery, key, parent);
        },
        this.policy,
        {
          classify: (error) => (error instanceof TransientError ? { retry: true, reason: error.message, ...(error.retryAfterMs !== undefined ? { afterMs: error.retryAfterMs } : {}) } : { retry: false }),
          onRetry: ({ attempt, delayMs, reason }) => {
            this.retries++;
            this.options.log?.verbose(`frappe: ${what}: ${reason}; attempt ${attempt + 1} in ${delayMs} ms`);
          },
          ...(this.options.random ? { random: this.options.random } : {}),
          sleep: this.options.sleep ?? ((ms: number) => sleepUnlessStopped(ms, this.stopping.signal)),
        },
      );
    } catch (error) {
      if (error instanceof TransientError) {
        // A server asking to wait longer than is honoured ends the attempts early: say how many were made.
        throw new FrappeError(`frappe: ${what}: ${error.message}${attemptsEnded(this.policy, attempts, error.retryAfterMs)}`, error.status);
      }
      throw error;
    }
  }

  private async once(doctype: string, name: string | null, path: string, describeQuery: () => string, key: 'data' | 'message' | 'docs', parent?: string): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    let response: Dispatcher.ResponseData;
    if (this.stopping.signal.aborted) throw new StoppedError(this.baseUrl);
    const deadline = AbortSignal.timeout(this.deadlineMs);
    const signal = AbortSignal.any([deadline, this.stopping.signal]);
    const failed = (error: unknown) => (this.stopping.signal.aborted ? new StoppedError(this.baseUrl) : deadline.aborted ? new TransientError(`${this.baseUrl} gave no complete answer within ${this.deadlineMs / 1000} s`, 0) : networkError(error, this.baseUrl));
    const { dispatcher, request } = await this.agent.get();
    try {
      response = await request(url, { method: 'GET', dispatcher, signal, headers: { Authorization: this.auth, Accept: 'application/json' } });
    } catch (error) {
      throw failed(error);
    }
    let body: string;
    try {
      body = await readCapped(response, this.maxResponseBytes, () => `${name === null ? `the list of ${doctype}` : `${doctype} ${JSON.stringify(name)}`}`);
    } catch (error) {
      if (error instanceof FrappeError) throw error;
      throw failed(error);
    }
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      try {
        const value = (JSON.parse(body) as Record<string, unknown>)[key];
        if (key === 'data') return value;
        const date = response.headers.date;
        return { message: value, date: typeof date === 'string' ? date : null };
      } catch {
        throw new TransientError(`answered ${status} with a body that is not JSON (${JSON.stringify(body.slice(0, 60))}...); is FRAPPE_URL the site's address?`, status);
      }
    }
    const { message, excType } = readFrappeError(body);
    const said = `${status}${excType ? ` ${excType}` : ''}${message ? `: ${message}` : ''}`;
    if (TRANSIENT_STATUS.has(status)) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      throw new TransientError(`answered ${said}`, status, retryAfterMs);
    }
    const what = name === null ? doctype : `${doctype} ${JSON.stringify(name)}`;
    switch (status) {
      case 401:
        throw new FrappeError(`frappe: ${this.baseUrl} rejected the API key and secret (${said}); check FRAPPE_API_KEY and FRAPPE_API_SECRET`, status, excType);
      case 403: {
        // A child table has no permissions of its own: Frappe checks the parent's (check_parent_permission).
        if (parent) throw new FrappeError(`frappe: the API user may not read ${parent}, whose child table ${doctype} was being read (${said}); give one of the user's roles read permission on ${parent}`, status, excType);
        throw new FrappeError(`frappe: the API user may not read ${doctype} (${said}); give one of the user's roles read permission on ${doctype}`, status, excType);
      }
      case 404:
        throw new FrappeError(`frappe: ${what} not found (${said}); is the Memora app installed on ${this.baseUrl}?`, status, excType);
      case 417:
        throw new FrappeError(`frappe: the query for ${what} was refused (${said}); this is a bug in memora-cdn, please report it with the query ${describeQuery()}`, status, excType);
      default:
        throw new FrappeError(`frappe: ${what}: ${this.baseUrl} answered ${said}`, status, excType);
    }
  }
}

/** The body as text, refusing (and abandoning) one larger than `max` bytes. */
async function readCapped(response: Dispatcher.ResponseData, max: number, what: () => string): Promise<string> {
  const tooLarge = () => new FrappeError(`frappe: the answer for ${what()} is larger than ${formatBytes(max)}; nothing was pulled; look on the site for documents with very large fields`, response.statusCode);
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    response.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > max) {
      response.body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Waits `ms`, or less when `signal` fires (the attempt that follows then fails at once). */
function sleepUnlessStopped(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MB` : `${Math.round(n / 1024)} KB`;
}

function networkError(error: unknown, baseUrl: string): Error {
  const { detail, transient } = networkFailure(error);
  if (transient) return new TransientError(`cannot reach ${baseUrl}: ${detail}`, 0);
  return new FrappeError(`frappe: cannot reach ${baseUrl}: ${detail}`, 0, null, { cause: error });
}
