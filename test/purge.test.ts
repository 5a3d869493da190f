import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudflarePurger, DEFAULT_PURGE_BATCH_SIZE, DEFAULT_PURGE_BURST, DEFAULT_PURGE_INTERVAL_MS, type CloudflarePurgerOptions } from '../src/deploy/purge/cloudflare.ts';
import { schedule } from '../src/deploy/purge/pacing.ts';
import { publicUrl } from '../src/deploy/purge/urls.ts';
import { startCloudflareEmulator, type CloudflareEmulator } from '../src/emulator/cloudflare.ts';
import { memoryLogger } from '../src/log.ts';

const TOKEN = 'cf-test-token-5a1d9e';
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5_000 };

function urls(n: number, prefix = 'lessons/l'): string[] {
  return Array.from({ length: n }, (_, i) => `https://cdn.memora.app/${prefix}${i}.json`);
}

describe('publicUrl', () => {
  it('joins the base and the key, with or without a trailing slash', () => {
    expect(publicUrl('https://cdn.memora.app', 'plans/p1/manifest.json')).toBe('https://cdn.memora.app/plans/p1/manifest.json');
    expect(publicUrl('https://cdn.memora.app/', 'plans/p1/manifest.json')).toBe('https://cdn.memora.app/plans/p1/manifest.json');
  });

  it('percent-encodes non-ASCII letters as UTF-8 with uppercase hex', () => {
    expect(publicUrl('https://cdn.memora.app', 'plans/p1/subjects/درس.json')).toBe('https://cdn.memora.app/plans/p1/subjects/%D8%AF%D8%B1%D8%B3.json');
    expect(publicUrl('https://cdn.memora.app', 'lessons/𝔸.json')).toBe('https://cdn.memora.app/lessons/%F0%9D%94%B8.json');
  });

  it('names an object whose key holds an escape the way the JSON links do: % itself is encoded', () => {
    expect(publicUrl('https://cdn.memora.app', 'lessons/a%2Fb.json')).toBe('https://cdn.memora.app/lessons/a%252Fb.json');
    expect(publicUrl('https://cdn.memora.app', 'units/a%20b.json')).toBe('https://cdn.memora.app/units/a%2520b.json');
  });
});

describe('the Cloudflare emulator', () => {
  let emulator: CloudflareEmulator;
  beforeAll(async () => {
    emulator = await startCloudflareEmulator({ token: TOKEN, zoneId: ZONE });
  });
  afterAll(async () => {
    await emulator.close();
  });

  const post = async (body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }, zone = ZONE) => {
    const response = await request(`${emulator.apiUrl}/zones/${zone}/purge_cache`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as { success: boolean; errors: { code: number; message: string; error_chain?: unknown[] }[]; result: unknown } };
  };

  it('accepts up to 30 files and answers with a purge id', async () => {
    const r = await post({ files: [...urls(29), { url: 'https://cdn.memora.app/x.json', headers: { 'CF-IPCountry': 'US' } }] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, errors: [], messages: [], result: { id: expect.stringMatching(/^[0-9a-f]{32}$/) } });
    expect(emulator.purges.at(-1)?.files).toHaveLength(30);
    expect(emulator.purges.at(-1)?.files.at(-1)).toBe('https://cdn.memora.app/x.json');
  });

  it('rejects more than 30 files in one request', async () => {
    const before = emulator.purges.length;
    const r = await post({ files: urls(31) });
    expect(r.status).toBe(400);
    expect(r.body.success).toBe(false);
    expect(r.body.errors[0]?.message).toMatch(/up to 30 files/);
    expect(emulator.purges).toHaveLength(before);
  });

  it('answers authentication failures with Cloudflare error bodies', async () => {
    const missing = await post({ files: urls(1) }, {});
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]?.code).toBe(9106);
    const malformed = await post({ files: urls(1) }, { Authorization: 'Basic abc' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0]).toMatchObject({ code: 6003, error_chain: [{ code: 6111 }] });
    const wrong = await post({ files: urls(1) }, { Authorization: 'Bearer wrong-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors[0]).toEqual({ code: 9109, message: 'Invalid access token' });
    const otherZone = await post({ files: urls(1) }, undefined, 'f'.repeat(32));
    expect(otherZone.status).toBe(403);
    expect(otherZone.body.errors[0]).toEqual({ code: 10000, message: 'Authentication error' });
    const notAZone = await post({ files: urls(1) }, undefined, 'cdn.memora.app');
    expect(notAZone.status).toBe(400);
    expect(notAZone.body.errors.map((e) => e.code)).toEqual([7003, 7000]);
  });

  it('validates the body', async () => {
    expect((await post('{not json')).status).toBe(400);
    expect((await post({})).body.errors[0]?.code).toBe(1012);
    expect((await post({ files: 'https://cdn.memora.app/a.json' })).body.errors[0]?.code).toBe(1014);
    const relative = await post({ files: ['/lessons/a.json'] });
    expect(relative.status).toBe(400);
    expect(relative.body.errors[0]?.message).toMatch(/absolute http\(s\) URL/);
  });

  it('rate limits with 429, Retry-After and the Ratelimit headers', async () => {
    const limited = await startCloudflareEmulator({ token: TOKEN, zoneId: ZONE, rateLimit: { requests: 2, windowMs: 60_000 } });
    try {
      const send = () =>
        request(`${limited.apiUrl}/zones/${ZONE}/purge_cache`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ files: urls(1) }) });
      const first = await send();
      await first.body.text();
      expect(first.statusCode).toBe(200);
      expect(first.headers.ratelimit).toBe('"default";r=1;t=60');
      expect(first.headers['ratelimit-policy']).toBe('"default";q=2;w=60');
      await (await send()).body.text();
      const third = await send();
      expect(third.statusCode).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(third.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(await third.body.json()).toMatchObject({ success: false, errors: [{ code: 971 }] });
      expect(limited.purges).toHaveLength(2);
    } finally {
      await limited.close();
    }
  });
});

/**
 * One virtual clock for the purger and the emulator: waits advance it at once, so pacing and
 * the rate limit are judged on the model's own times, whatever the machine's load.
 */
function virtualClock(start = 1_000_000): { now: () => number; sleep: (ms: number) => Promise<void> } {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += Math.max(0, ms);
    },
  };
}

describe('CloudflarePurger', () => {
  let emulator: CloudflareEmulator;
  const purgers: CloudflarePurger[] = [];

  const newPurger = (options: Partial<CloudflarePurgerOptions> = {}, target: CloudflareEmulator = emulator) => {
    const log = memoryLogger(true);
    const purger = new CloudflarePurger({ apiUrl: target.apiUrl, zoneId: ZONE, token: TOKEN, log, retry: FAST_RETRY, minIntervalMs: 0, timeoutMs: 5_000, ...options });
    purgers.push(purger);
    return { purger, log };
  };

  beforeAll(async () => {
    emulator = await startCloudflareEmulator({ token: TOKEN, zoneId: ZONE });
  });
  afterEach(() => {
    emulator.clearFaults();
    emulator.resetRequests();
  });
  afterAll(async () => {
    await Promise.all(purgers.map((p) => p.close()));
    await emulator.close();
  });

  it('purges in batches of 30, in order', async () => {
    const { purger, log } = newPurger();
    const before = emulator.purges.length;
    const list = urls(65);
    const result = await purger.purge(list);
    expect(result).toEqual({ requests: 3, purged: list, failed: [], retries: 0 });
    const sent = emulator.purges.slice(before);
    expect(sent.map((p) => p.files.length)).toEqual([30, 30, 5]);
    expect(sent.flatMap((p) => p.files)).toEqual(list);
    expect(emulator.requests).toEqual(Array.from({ length: 3 }, () => ({ method: 'POST', path: `/client/v4/zones/${ZONE}/purge_cache`, status: 200, at: expect.any(Number) })));
    expect(log.lines.filter((l) => /^purge: batch \d\/3/.test(l))).toHaveLength(3);
    expect(log.lines.at(-1)).toBe('purge: 65 URLs in 3 requests: 65 purged, 0 failed, 0 retries');
  });

  it('sends each URL once, in first-seen order', async () => {
    const { purger } = newPurger({ batchSize: 2 });
    const before = emulator.purges.length;
    const [a, b, c] = urls(3);
    const result = await purger.purge([a!, b!, a!, c!, b!, a!]);
    expect(result.purged).toEqual([a, b, c]);
    expect(result.requests).toBe(2);
    expect(emulator.purges.slice(before).map((p) => p.files)).toEqual([[a, b], [c]]);
  });

  it('sends nothing for an empty list', async () => {
    const { purger } = newPurger();
    expect(await purger.purge([])).toEqual({ requests: 0, purged: [], failed: [], retries: 0 });
    expect(emulator.requests).toHaveLength(0);
  });

  it('honours Retry-After on 429, then succeeds', async () => {
    emulator.addFault({ kind: 'status', status: 429, retryAfter: 1 });
    const clock = virtualClock();
    const { purger, log } = newPurger(clock);
    const started = clock.now();
    const result = await purger.purge(urls(5));
    expect(clock.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(result).toMatchObject({ requests: 2, retries: 1, failed: [] });
    expect(result.purged).toHaveLength(5);
    expect(emulator.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(log.lines.some((l) => /429: 971 Please wait and consider throttling your request speed.*attempt 2 in \d+ ms/.test(l))).toBe(true);
  });

  it('retries 5xx answers and dropped connections', async () => {
    emulator.addFault({ kind: 'status', status: 503 });
    emulator.addFault({ kind: 'reset' });
    const { purger } = newPurger({ retry: { ...FAST_RETRY, attempts: 4 } });
    const result = await purger.purge(urls(3));
    expect(result).toMatchObject({ requests: 3, retries: 2, failed: [] });
    expect(result.purged).toHaveLength(3);
    expect(emulator.requests.map((r) => r.status)).toEqual([503, 0, 200]);
  });

  it('reports a batch that keeps failing and still sends the others', async () => {
    // Faults hit requests in arrival order: the first batch gets a 500 on each of its 3 attempts.
    emulator.addFault({ kind: 'status', status: 500, times: 3 });
    const { purger, log } = newPurger();
    const list = urls(65);
    const result = await purger.purge(list);
    expect(result.requests).toBe(5);
    expect(result.retries).toBe(2);
    expect(result.failed).toEqual([{ urls: list.slice(0, 30), error: 'Cloudflare answered 500: 500 Internal Server Error, still failing after 3 attempt(s)' }]);
    expect(result.purged).toEqual(list.slice(30));
    expect(emulator.requests.map((r) => r.status)).toEqual([500, 500, 500, 200, 200]);
    expect(log.lines.at(-1)).toBe('purge: 65 URLs in 5 requests: 35 purged, 30 failed, 2 retries');
  });

  it('gives up on an edge error page after the attempts and says what Cloudflare answered', async () => {
    emulator.addFault({ kind: 'status', status: 502, times: 3 });
    const { purger } = newPurger();
    const result = await purger.purge(urls(2));
    expect(result.failed[0]?.error).toBe('Cloudflare answered 502: error code: 502, still failing after 3 attempt(s)');
  });

  it('stops at a wrong token: every URL failed with one clear message, without the token', async () => {
    const { purger, log } = newPurger({ token: 'wrong-token-0123456789' });
    const list = urls(65);
    const result = await purger.purge(list);
    expect(result.requests).toBe(1);
    expect(result.retries).toBe(0);
    expect(result.purged).toEqual([]);
    const message = 'Cloudflare rejected the API token (401: 9109 Invalid access token); check CLOUDFLARE_API_TOKEN';
    expect(result.failed).toEqual([
      { urls: list.slice(0, 30), error: message },
      { urls: list.slice(30), error: message },
    ]);
    expect(emulator.requests).toHaveLength(1);
    for (const line of [...log.lines, message]) expect(line).not.toContain('wrong-token-0123456789');
  });

  it('stops at a 403 (no access to the zone) and names the permission needed', async () => {
    const other = 'f'.repeat(32);
    const { purger, log } = newPurger({ zoneId: other });
    const list = urls(40);
    const result = await purger.purge(list);
    expect(result.requests).toBe(1);
    expect(result.failed.flatMap((f) => f.urls)).toEqual(list);
    expect(result.failed[0]?.error).toBe(`Cloudflare refused the purge (403: 10000 Authentication error); the API token needs the Zone > Cache Purge permission on zone ${other}`);
    expect(result.failed[1]?.error).toBe(result.failed[0]?.error);
    for (const line of log.lines) expect(line).not.toContain(TOKEN);
    for (const f of result.failed) expect(f.error).not.toContain(TOKEN);
  });

  it('stops at a zone ID that cannot be routed', async () => {
    const { purger } = newPurger({ zoneId: 'cdn.memora.app' });
    const result = await purger.purge(urls(31));
    expect(result.requests).toBe(1);
    expect(result.failed).toHaveLength(2);
    expect(result.failed[0]?.error).toMatch(/^Cloudflare could not route the purge \(400: 7003 Could not route to .*; 7000 No route for that URI\); check CLOUDFLARE_ZONE_ID/);
  });

  it('never shows the token, even when an answer quotes it', async () => {
    // A misbehaving server in front of the API that echoes the Authorization header back.
    const echo = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ success: false, errors: [{ code: 1, message: `bad header ${req.headers.authorization ?? ''}` }], messages: [], result: null }));
      });
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = echo.address() as AddressInfo;
      const { purger, log } = newPurger({ apiUrl: `http://127.0.0.1:${port}/client/v4` });
      const result = await purger.purge(urls(1));
      expect(result.failed[0]?.error).toBe('Cloudflare rejected the purge (400: 1 bad header Bearer [redacted])');
      for (const text of [...log.lines, ...result.failed.map((f) => f.error)]) expect(text).not.toContain(TOKEN);
      await purger.close();
    } finally {
      echo.closeAllConnections();
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });

  it('is rejected by the emulator when a request holds more than 30 files', async () => {
    const { purger } = newPurger({ batchSize: 31 });
    const list = urls(62);
    const result = await purger.purge(list);
    // A 400 is permanent for its batch only: no retry, the next batch is still sent.
    expect(result.requests).toBe(2);
    expect(result.retries).toBe(0);
    expect(result.failed).toEqual([
      { urls: list.slice(0, 31), error: 'Cloudflare rejected the purge (400: 1004 You may only purge up to 30 files per API call)' },
      { urls: list.slice(31, 62), error: 'Cloudflare rejected the purge (400: 1004 You may only purge up to 30 files per API call)' },
    ]);
    expect(result.purged).toEqual([]);
  });

  it('keeps URLs that are not absolute out of the requests', async () => {
    const { purger } = newPurger();
    const before = emulator.purges.length;
    const [a] = urls(1);
    const result = await purger.purge(['lessons/a.json', a!, 'ftp://cdn.memora.app/x']);
    expect(result.purged).toEqual([a]);
    expect(result.failed).toEqual([{ urls: ['lessons/a.json', 'ftp://cdn.memora.app/x'], error: expect.stringMatching(/not an absolute http\(s\) URL/) }]);
    expect(emulator.purges.slice(before).map((p) => p.files)).toEqual([[a]]);
  });

  it('gives up on a rate limit that outlasts the attempts and sends nothing more', async () => {
    emulator.addFault({ kind: 'status', status: 429, retryAfter: 0, times: 3 });
    const { purger } = newPurger();
    const list = urls(65);
    const result = await purger.purge(list);
    expect(result.requests).toBe(3);
    expect(result.purged).toEqual([]);
    expect(result.failed.flatMap((f) => f.urls)).toEqual(list);
    expect(result.failed[0]?.error).toMatch(/^Cloudflare is rate limiting \(429: 971 Please wait and consider throttling your request speed\), asking to wait 0 s; gave up after 3 attempt\(s\), later batches not sent$/);
  });

  it('counts the attempts made when a rate limit asks to wait longer than is honoured', async () => {
    emulator.addFault({ kind: 'status', status: 429, retryAfter: 3600, times: 1 });
    const { purger } = newPurger();
    const list = urls(3);
    const result = await purger.purge(list);
    expect(result.requests).toBe(1);
    expect(result.failed.flatMap((f) => f.urls)).toEqual(list);
    expect(result.failed[0]?.error).toMatch(/, asking to wait 3600 s, longer than the 5 s honoured; gave up after 1 attempt\(s\), later batches not sent$/);
  });

  it('refuses a batch size Cloudflare never accepts', () => {
    expect(() => newPurger({ batchSize: 0 })).toThrow(/batch size/);
    expect(() => newPurger({ batchSize: 501 })).toThrow(/batch size/);
  });

  describe('within a rate limit', () => {
    let limited: CloudflareEmulator | undefined;
    afterEach(async () => {
      await limited?.close();
      limited = undefined;
    });

    const gapsOf = (at: number[]) => at.slice(1).map((t, i) => t - (at[i] ?? 0));

    it('paces its requests so that none is refused', async () => {
      // At most 3 requests in any 200 ms; one request every 100 ms leaves one of margin.
      const clock = virtualClock();
      limited = await startCloudflareEmulator({ token: TOKEN, zoneId: ZONE, rateLimit: { requests: 3, windowMs: 200 }, now: clock.now });
      const { purger } = newPurger({ minIntervalMs: 100, burst: 1, batchSize: 2, ...clock }, limited);
      const list = urls(12);
      const result = await purger.purge(list);
      expect(result).toEqual({ requests: 6, purged: list, failed: [], retries: 0 });
      expect(limited.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      // Five waits of 100 ms between six requests.
      expect(gapsOf(limited.requests.map((r) => r.at))).toEqual([100, 100, 100, 100, 100]);
    });

    it('starts a burst of requests at once, then paces the rest, and none is refused', async () => {
      // At most 4 requests in any 1.6 s: 2 at once, then one every 800 ms keeps to it.
      const clock = virtualClock();
      limited = await startCloudflareEmulator({ token: TOKEN, zoneId: ZONE, rateLimit: { requests: 4, windowMs: 1_600 }, now: clock.now });
      const { purger } = newPurger({ minIntervalMs: 800, burst: 2, batchSize: 2, ...clock }, limited);
      const list = urls(10);
      const result = await purger.purge(list);
      expect(result).toEqual({ requests: 5, purged: list, failed: [], retries: 0 });
      expect(limited.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      // The second request did not wait for the interval; each later one did.
      expect(gapsOf(limited.requests.map((r) => r.at))).toEqual([0, 800, 800, 800]);
    });

    it('sends 600 URLs without waiting whatever the batch size, then paces', async () => {
      const clock = virtualClock();
      limited = await startCloudflareEmulator({ token: TOKEN, zoneId: ZONE, maxFilesPerRequest: 500, now: clock.now });
      // An Enterprise zone, 200 URLs per request: 3 requests at once, the 4th after the interval.
      const { purger } = newPurger({ minIntervalMs: 800, batchSize: 200, ...clock }, limited);
      const list = urls(800);
      const result = await purger.purge(list);
      expect(result).toMatchObject({ requests: 4, failed: [], retries: 0 });
      expect(gapsOf(limited.requests.map((r) => r.at))).toEqual([0, 0, 800]);
    });

    it('keeps the default pacing inside 1,200 requests in any 5 minutes and 800 URLs in any second', () => {
      // The model's own schedule for a long purge (3,000 requests of 30 URLs, asked for at once).
      const starts = schedule({ burst: DEFAULT_PURGE_BURST, intervalMs: DEFAULT_PURGE_INTERVAL_MS }, 3_000);
      const most = (windowMs: number) => {
        let best = 0;
        for (let i = 0, j = 0; i < starts.length; i++) {
          while ((starts[i] ?? 0) - (starts[j] ?? 0) >= windowMs) j++;
          best = Math.max(best, i - j + 1);
        }
        return best;
      };
      expect(starts.slice(0, DEFAULT_PURGE_BURST).every((t) => t === 0)).toBe(true);
      expect(most(300_000)).toBeLessThanOrEqual(1_200);
      expect(most(1_000) * DEFAULT_PURGE_BATCH_SIZE).toBeLessThanOrEqual(800);
      // A request asked for after a quiet spell starts at once again.
      expect(schedule({ burst: 2, intervalMs: 100 }, 3, 0)).toEqual([0, 0, 100]);
    });

    it('refuses a pacing it cannot keep', () => {
      expect(() => newPurger({ burst: 0 })).toThrow(/burst/);
      expect(() => newPurger({ burst: 1.5 })).toThrow(/burst/);
    });

    it('without pacing, waits out the 429s and purges everything', async () => {
      const clock = virtualClock();
      limited = await startCloudflareEmulator({ token: TOKEN, zoneId: ZONE, rateLimit: { requests: 3, windowMs: 200 }, now: clock.now });
      const { purger } = newPurger({ minIntervalMs: 0, batchSize: 2, ...clock }, limited);
      const list = urls(10);
      const result = await purger.purge(list);
      expect(result.purged).toEqual(list);
      expect(result.failed).toEqual([]);
      const statuses = limited.requests.map((r) => r.status);
      expect(statuses).toContain(429);
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(result.retries).toBe(statuses.filter((s) => s === 429).length);
    });
  });
});
