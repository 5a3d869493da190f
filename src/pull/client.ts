/**
 * A small client for Frappe's REST API (v14 and v15, API v1) on undici: token authentication,
 * timeouts, bounded connections, retries of transient faults, and errors that say what to do.
 * It never logs or reports the Authorization header.
 */
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { DEFAULT_RETRY, parseRetryAfter, withRetry, type RetryPolicy } from '../io/retry.ts';
import type { Logger } from '../log.ts';
import { FrappeError, readFrappeError, TransientError } from './errors.ts';

export type Filter = [string, string, unknown];

export interface ListQuery {
  fields: readonly string[];
  filters?: readonly Filter[];
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
  retry?: Partial<RetryPolicy>;
  /** Connections to Frappe at most. */
  connections?: number;
  log?: Logger;
  random?: () => number;
}

/** Network error codes worth another attempt. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);
const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);

export class FrappeClient {
  /** Requests sent, retries included. */
  requests = 0;
  retries = 0;
  readonly baseUrl: string;
  private readonly dispatcher: Dispatcher;
  private readonly auth: string;
  private readonly policy: RetryPolicy;

  constructor(private readonly options: FrappeClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.auth = `token ${options.apiKey}:${options.apiSecret}`;
    this.policy = { ...DEFAULT_RETRY, ...options.retry };
    const timeout = options.timeoutMs ?? 30_000;
    this.dispatcher = new Agent({ connections: options.connections ?? 6, headersTimeout: timeout, bodyTimeout: timeout, connectTimeout: timeout });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
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
    if (query.parent) params.set('parent', query.parent);
    const data = await this.call(doctype, null, `/api/resource/${encodeURIComponent(doctype)}?${params}`, () => JSON.stringify({ fields: query.fields, filters: query.filters ?? [], order_by: query.orderBy }));
    if (!Array.isArray(data)) throw new FrappeError(`Frappe answered the list of ${doctype} without a "data" list`, 200);
    return data as Row[];
  }

  /** `GET /api/resource/{doctype}/{name}`: the document with its child rows, or null if it does not exist. */
  async get(doctype: string, name: string): Promise<Row | null> {
    try {
      const data = await this.call(doctype, name, `/api/resource/${encodeURIComponent(doctype)}/${encodeURIComponent(name)}`, () => '');
      if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new FrappeError(`Frappe answered ${doctype} ${JSON.stringify(name)} without a "data" object`, 200);
      return data as Row;
    } catch (error) {
      if (error instanceof FrappeError && error.status === 404 && error.excType !== 'DocTypeNotFound' && !/DocType .* not found/i.test(error.message)) return null;
      throw error;
    }
  }

  private async call(doctype: string, name: string | null, path: string, describeQuery: () => string): Promise<unknown> {
    const what = name === null ? `the list of ${doctype}` : `${doctype} ${JSON.stringify(name)}`;
    try {
      return await withRetry(
        async () => {
          this.requests++;
          return this.once(doctype, name, path, describeQuery);
        },
        this.policy,
        {
          classify: (error) => (error instanceof TransientError ? { retry: true, reason: error.message, ...(error.retryAfterMs !== undefined ? { afterMs: error.retryAfterMs } : {}) } : { retry: false }),
          onRetry: ({ attempt, delayMs, reason }) => {
            this.retries++;
            this.options.log?.verbose(`frappe: ${what}: ${reason}; attempt ${attempt + 1} in ${delayMs} ms`);
          },
          ...(this.options.random ? { random: this.options.random } : {}),
        },
      );
    } catch (error) {
      if (error instanceof TransientError) {
        const wait = error.retryAfterMs !== undefined && error.retryAfterMs > this.policy.maxRetryAfterMs ? ` (it asked to wait ${Math.ceil(error.retryAfterMs / 1000)} s)` : '';
        throw new FrappeError(`frappe: ${what}: ${error.message}${wait}, still failing after ${this.policy.attempts} attempt(s)`, error.status);
      }
      throw error;
    }
  }

  private async once(doctype: string, name: string | null, path: string, describeQuery: () => string): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, { method: 'GET', dispatcher: this.dispatcher, headers: { Authorization: this.auth, Accept: 'application/json' } });
    } catch (error) {
      throw networkError(error, this.baseUrl);
    }
    let body: string;
    try {
      body = await response.body.text();
    } catch (error) {
      throw networkError(error, this.baseUrl);
    }
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      try {
        return (JSON.parse(body) as { data?: unknown }).data;
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
        const role = doctype === 'Deleted Document' ? ' (reading Deleted Document needs the System Manager role)' : '';
        throw new FrappeError(`frappe: the API user may not read ${doctype} (${said}); give the user's role read permission on ${doctype}${role}`, status, excType);
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

function networkError(error: unknown, baseUrl: string): Error {
  const code = (error as { code?: string }).code ?? (error instanceof undiciErrors.UndiciError ? error.name : undefined);
  const detail = `${code ?? 'network error'}${error instanceof Error && error.message ? ` (${error.message})` : ''}`;
  if (code !== undefined && TRANSIENT_CODES.has(code)) return new TransientError(`cannot reach ${baseUrl}: ${detail}`, 0);
  return new FrappeError(`frappe: cannot reach ${baseUrl}: ${detail}`, 0, null, { cause: error });
}
