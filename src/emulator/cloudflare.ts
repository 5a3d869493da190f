/**
 * Cloudflare's purge-by-URL endpoint on 127.0.0.1, for tests and the demo:
 *
 *   POST /client/v4/zones/{zone_id}/purge_cache   {"files": ["https://...", {"url": "https://...", "headers": {...}}]}
 *   GET  /client/v4/user/tokens/verify            {"result": {"id": "...", "status": "active"}} (doctor)
 *
 * What it reproduces, and where Cloudflare documents or shows it:
 *   - The v4 envelope `{"success", "errors": [{"code", "message"}], "messages", "result"}`; on
 *     success `result` is `{"id": "<hex>"}` (API reference, "Purge Cached Content":
 *     developers.cloudflare.com/api/resources/cache/methods/purge).
 *   - `files` holds absolute URLs, or `{url, headers}` objects for custom cache keys (same page).
 *   - A cap on files per request: 30 for Free/Pro/Business zones, 500 for Enterprise
 *     (cache/how-to/purge-cache/purge-by-single-file; the newer limits table says 100 per
 *     request, but purge by URL stays at 30 in practice: cloudflare/cloudflare-docs#21338).
 *     Over the cap: 400. Cloudflare documents neither the code nor the text of that error; the
 *     emulator answers code 1004 with the text users report ("You may only purge up to 30 files
 *     per API call").
 *   - Rate limiting: 429 with `Retry-After` in whole seconds, rounded up (fundamentals/api/
 *     reference/limits: "retry-after: the number of seconds, rounded up, until more capacity is
 *     available", only on a limited request) and the `Ratelimit` / `Ratelimit-Policy` headers of
 *     the same page. Body code 971 "Please wait and consider throttling your request speed", as
 *     Cloudflare's API answers it (reported in e.g. cloudflare/workers-sdk#10025). The window is
 *     the test's; Cloudflare's own limits are 1,200 requests per 5 minutes per user for the API
 *     and a per-account token bucket for purges (cache/how-to/purge-cache).
 *   - Authentication by `Authorization: Bearer <token>`: no credentials -> 400, code 9106
 *     "Missing X-Auth-Key, X-Auth-Email or Authorization headers"; a header that is not a bearer
 *     token -> 400, 6003 "Invalid request headers" with error_chain 6111 "Invalid format for
 *     Authorization header"; a wrong token -> 401, 9109 "Invalid access token"; a token with no
 *     access to the zone -> 403, 10000 "Authentication error". These are the answers Cloudflare's
 *     API gives (seen in many client reports; Cloudflare does not publish an error-code table).
 *   - A zone identifier that is not 32 hex digits cannot be routed: 400 with 7003 "Could not route
 *     to /client/v4/zones/..., perhaps your object identifier is invalid?" and 7000 "No route for
 *     that URI"; an unknown path is 400 with 7000; a wrong method is 405 with 7001.
 *   - Body errors: no `files` -> 400, 1012 "Request must contain one of ..."; `files` not a list
 *     -> 400, 1014 (both as Cloudflare words them in client reports). Bodies that are not JSON and
 *     entries that are not absolute http(s) URLs -> 400 with codes of the emulator's choosing
 *     (1001, 1016): Cloudflare rejects them, but its codes for them are not documented.
 *
 * Faults a test injects come first (before authentication): `status` answers that status with
 * the body Cloudflare would send (JSON envelope; for 502, 503, 504 and 52x, the edge's plain
 * `error code: NNN` text), `reset` drops the connection without an answer.
 */
import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isAbsoluteHttpUrl } from '../deploy/purge/urls.ts';

export interface CloudflareEmulatorOptions {
  /** The API token that is accepted. */
  token?: string;
  /** The zone the token may purge. */
  zoneId?: string;
  /** Files per purge request at most (Cloudflare: 30, Enterprise 500). */
  maxFilesPerRequest?: number;
  /** At most `requests` authenticated requests in any `windowMs`; more are answered 429. */
  rateLimit?: { requests: number; windowMs: number };
  /** The clock for the rate limit and the recorded times (tests share a virtual one with the client); default Date.now. */
  now?: () => number;
}

export type CloudflareFault = { kind: 'status'; status: number; retryAfter?: number; times?: number } | { kind: 'reset'; times?: number };

export interface CloudflareRequest {
  method: string;
  path: string;
  /** The status answered (0 for a reset connection). */
  status: number;
  /** When the request arrived (ms since the epoch). */
  at: number;
}

export interface CloudflarePurge {
  /** The URLs purged, in request order. */
  files: string[];
  /** The emulator clock's time when the purge was accepted. */
  at: number;
}

export interface CloudflareEmulator {
  /** The API base, e.g. http://127.0.0.1:PORT/client/v4 (no trailing slash). */
  readonly apiUrl: string;
  /** Accepted purge requests, in order. */
  readonly purges: readonly CloudflarePurge[];
  /** Every request since the start or the last resetRequests(). */
  readonly requests: readonly CloudflareRequest[];
  resetRequests(): void;
  addFault(fault: CloudflareFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

interface ApiError {
  code: number;
  message: string;
  error_chain?: ApiError[];
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const PREFIX = '/client/v4';
const ZONE_ID = /^[0-9a-f]{32}$/;
/** What Cloudflare accepts as a token in a bearer header (letters, digits, `-`, `_`). */
const BEARER = /^Bearer\s+([A-Za-z0-9_-]+)$/i;
const MAX_BODY_BYTES = 1024 * 1024;

function envelope(status: number, errors: ApiError[], headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ success: false, errors, messages: [], result: null }) };
}

/** The body Cloudflare sends with an error status the emulator does not otherwise produce. */
function faultAnswer(status: number, retryAfter: number | undefined): Answer {
  const headers: Record<string, string> = retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {};
  if (status === 502 || status === 503 || status === 504 || (status >= 520 && status <= 527)) {
    return { status, headers: { 'Content-Type': 'text/plain; charset=UTF-8', ...headers }, body: `error code: ${status}` };
  }
  switch (status) {
    case 429:
      return envelope(429, [{ code: 971, message: 'Please wait and consider throttling your request speed' }], headers);
    case 401:
      return envelope(401, [{ code: 9109, message: 'Invalid access token' }], headers);
    case 403:
      return envelope(403, [{ code: 10000, message: 'Authentication error' }], headers);
    default:
      return envelope(status, [{ code: status, message: STATUS_CODES[status] ?? 'Error' }], headers);
  }
}

export async function startCloudflareEmulator(options: CloudflareEmulatorOptions = {}): Promise<CloudflareEmulator> {
  const token = options.token ?? 'cf-test-token';
  const zoneId = options.zoneId ?? '023e105f4ecef8ad9ca31a8372d0c353';
  const maxFiles = options.maxFilesPerRequest ?? 30;
  const rateLimit = options.rateLimit;
  const now = options.now ?? Date.now;

  const requests: CloudflareRequest[] = [];
  const purges: CloudflarePurge[] = [];
  let faults: { fault: CloudflareFault; left: number }[] = [];
  /** Arrival times of the requests counted by the rate limit, oldest first. */
  let counted: number[] = [];

  const takeFault = (): CloudflareFault | undefined => {
    const armed = faults.find((f) => f.left > 0);
    if (!armed) return undefined;
    armed.left--;
    faults = faults.filter((f) => f.left > 0);
    return armed.fault;
  };

  /** Ratelimit headers, and whether this request is over the limit (it is counted if not). */
  const checkRate = (now: number): { limited: boolean; headers: Record<string, string> } => {
    if (!rateLimit) return { limited: false, headers: {} };
    counted = counted.filter((t) => t > now - rateLimit.windowMs);
    const limited = counted.length >= rateLimit.requests;
    if (!limited) counted.push(now);
    const oldest = counted[0] ?? now;
    const resetSeconds = Math.max(1, Math.ceil((oldest + rateLimit.windowMs - now) / 1000));
    const headers: Record<string, string> = {
      Ratelimit: `"default";r=${Math.max(0, rateLimit.requests - counted.length)};t=${resetSeconds}`,
      'Ratelimit-Policy': `"default";q=${rateLimit.requests};w=${Math.max(1, Math.ceil(rateLimit.windowMs / 1000))}`,
    };
    if (limited) headers['Retry-After'] = String(resetSeconds);
    return { limited, headers };
  };

  const answer = (req: IncomingMessage, path: string, body: Buffer | null): Answer => {
    if (!path.startsWith(`${PREFIX}/`)) return envelope(400, [{ code: 7000, message: 'No route for that URI' }]);
    if (path === `${PREFIX}/user/tokens/verify` && req.method === 'GET') {
      // GET /user/tokens/verify: any token may call it; it says whether the token is active.
      const given = BEARER.exec((req.headers.authorization ?? '').trim());
      if (!given || given[1] !== token) return envelope(401, [{ code: 1000, message: 'Invalid API Token' }]);
      return {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ success: true, errors: [], messages: [{ code: 10000, message: 'This API Token is valid and active', type: null }], result: { id: 'f267e341f3dd4697bd3b9f71dd96247f', status: 'active' } }),
      };
    }
    const m = /^\/client\/v4\/zones\/([^/]*)\/purge_cache\/?$/.exec(path);
    if (!m) return envelope(400, [{ code: 7000, message: 'No route for that URI' }]);
    const zone = m[1] ?? '';
    if (!ZONE_ID.test(zone)) {
      return envelope(400, [
        { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
        { code: 7000, message: 'No route for that URI' },
      ]);
    }
    // The API reference documents POST; DELETE is the older verb for the same call.
    if (req.method !== 'POST' && req.method !== 'DELETE') return envelope(405, [{ code: 7001, message: `Method ${req.method ?? ''} not available for that URI.` }]);

    const authorization = req.headers.authorization;
    if (authorization === undefined || authorization.trim() === '') {
      return envelope(400, [{ code: 9106, message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers' }]);
    }
    const bearer = BEARER.exec(authorization.trim());
    if (!bearer) {
      return envelope(400, [{ code: 6003, message: 'Invalid request headers', error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }] }]);
    }
    if (bearer[1] !== token) return envelope(401, [{ code: 9109, message: 'Invalid access token' }]);
    if (zone !== zoneId) return envelope(403, [{ code: 10000, message: 'Authentication error' }]);

    const rate = checkRate(now());
    if (rate.limited) return envelope(429, [{ code: 971, message: 'Please wait and consider throttling your request speed' }], rate.headers);
    const fail = (code: number, message: string): Answer => envelope(400, [{ code, message }], rate.headers);

    if (body === null) return envelope(413, [{ code: 413, message: 'Request Entity Too Large' }], rate.headers);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return fail(1001, 'Invalid request: the body is not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return fail(1001, 'Invalid request: the body must be a JSON object');
    const request = parsed as Record<string, unknown>;
    if (!('files' in request)) {
      if (request.purge_everything === true || 'tags' in request || 'hosts' in request || 'prefixes' in request) {
        return fail(1016, 'The emulator only purges by URL ("files")');
      }
      return fail(1012, 'Request must contain one of "purge_everything", "files", "tags", "hosts" or "prefixes"');
    }
    if (!Array.isArray(request.files)) return fail(1014, '"files", "tags", or "hosts" must be an array');
    if (request.files.length > maxFiles) return fail(1004, `You may only purge up to ${maxFiles} files per API call`);
    const files: string[] = [];
    for (const entry of request.files as unknown[]) {
      const url = typeof entry === 'string' ? entry : entry !== null && typeof entry === 'object' ? (entry as { url?: unknown }).url : undefined;
      if (typeof url !== 'string' || !isAbsoluteHttpUrl(url)) return fail(1016, `Invalid url: ${JSON.stringify(url ?? entry)} is not an absolute http(s) URL`);
      files.push(url);
    }
    purges.push({ files, at: now() });
    return {
      status: 200,
      headers: { 'Content-Type': 'application/json', ...rate.headers },
      body: JSON.stringify({ success: true, errors: [], messages: [], result: { id: randomBytes(16).toString('hex') } }),
    };
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    const arrived = now();
    const record = (status: number): void => {
      requests.push({ method: req.method ?? 'GET', path, status, at: arrived });
    };
    const fault = takeFault();
    if (fault?.kind === 'reset') {
      record(0);
      req.socket.resetAndDestroy();
      return;
    }
    readBody(req).then(
      (body) => {
        const response = fault?.kind === 'status' ? faultAnswer(fault.status, fault.retryAfter) : answer(req, path, body);
        record(response.status);
        send(res, response);
      },
      () => {
        record(0);
        req.socket.destroy();
      },
    );
  });

  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;

  return {
    apiUrl: `http://127.0.0.1:${port}${PREFIX}`,
    get purges() {
      return purges;
    },
    get requests() {
      return requests;
    },
    resetRequests: () => {
      requests.length = 0;
    },
    addFault: (fault) => {
      faults.push({ fault, left: fault.times ?? 1 });
    },
    clearFaults: () => {
      faults = [];
    },
    close: async () => {
      faults = [];
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** The request body, or null when it is larger than the emulator accepts (the rest is drained). */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: Answer): void {
  const bytes = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(bytes.length) });
  res.end(bytes);
}
