import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleSite } from '../samples/catalog.ts';
import { runCli } from '../src/cli/cli.ts';
import { readCache, readCacheIndex, type CacheDocs } from '../src/content/cache.ts';
import { DOCTYPES, PARENT_DOCTYPES } from '../src/content/doctypes.ts';
import { startFrappeEmulator, type Fault, type FrappeEmulator } from '../src/emulator/server.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { memoryLogger } from '../src/log.ts';
import { FrappeClient } from '../src/pull/client.ts';
import { listByName } from '../src/pull/listing.ts';
import { pull, type PullOptions } from '../src/pull/pull.ts';
import { capture, tempDir } from './helpers.ts';

/** Documents with object keys sorted, so caches compare by content. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

function same(cache: CacheDocs, server: Partial<CacheDocs>): void {
  for (const doctype of PARENT_DOCTYPES) {
    expect(canonical(cache[doctype]), doctype).toEqual(canonical(server[doctype] ?? []));
  }
}

let emulator: FrappeEmulator;
let client: FrappeClient;

function newClient(e: FrappeEmulator, extra: Partial<ConstructorParameters<typeof FrappeClient>[0]> = {}): FrappeClient {
  return new FrappeClient({ baseUrl: e.url, apiKey: 'test-key', apiSecret: 'test-secret', timeoutMs: 2_000, retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2_000 }, ...extra });
}

async function pullInto(cacheDir: string, options: Partial<PullOptions> = {}) {
  return pull({ cacheDir, client, log: memoryLogger(), pageSize: 100, ...options });
}

afterEach(() => {
  emulator?.clearFaults();
});

afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

describe('pull from a Frappe site', () => {
  beforeAll(async () => {
    emulator = await startFrappeEmulator({ catalog: generateCatalog({ plans: 4, lessons: 1300, seed: 5 }).docs });
    client = newClient(emulator);
  });

  it('mirrors the whole catalog on the first pull, child rows included', async () => {
    const dir = await tempDir();
    const summary = await pullInto(dir);
    expect(summary.mode).toBe('full');
    same((await readCache(dir)).docs, emulator.snapshot());
    expect(summary.counts[DOCTYPES.lesson].inserted).toBe(1300);
    expect(summary.affectedPlans).toHaveLength(4);
  });

  it('mirrors inserts, updates, deletions, restores and removed child rows with a handful of requests', async () => {
    const dir = await tempDir();
    await pullInto(dir);
    const idle = await pullInto(dir);
    expect(idle.mode).toBe('incremental');
    expect(Object.values(idle.counts).every((c) => c.inserted + c.updated + c.deleted === 0)).toBe(true);
    const idleRequests = idle.requests;
    // The time zone, the metadata of six DocTypes, Deleted Document, Comment, six DocTypes and
    // three child DocTypes: one request each.
    expect(idleRequests).toBe(18);

    const snapshot = emulator.snapshot();
    const [l1, l2, l3] = snapshot[DOCTYPES.lesson];
    const plan = snapshot[DOCTYPES.plan][0];
    if (!l1 || !l2 || !l3 || !plan) throw new Error('catalog too small');
    emulator.update(DOCTYPES.lesson, l1.name, { title: 'A new title' });
    emulator.update(DOCTYPES.lesson, l2.name, { stages: (l2.stages as unknown[]).slice(0, 1) });
    emulator.update(DOCTYPES.plan, plan.name, { overrides: [] });
    const inserted = emulator.insert(DOCTYPES.lesson, { title: 'Inserted lesson', parent_topic: l1.parent_topic, is_published: 1, stages: [{ title: 'Read', type: 'Text', config: '{}' }] });
    emulator.remove(DOCTYPES.lesson, l3.name);
    const changed = await pullInto(dir);
    same((await readCache(dir)).docs, emulator.snapshot());
    expect(changed.counts[DOCTYPES.lesson]).toEqual({ inserted: 1, updated: 2, deleted: 1 });
    expect(changed.counts[DOCTYPES.plan]).toEqual({ inserted: 0, updated: 1, deleted: 0 });
    expect(changed.requests - idleRequests).toBeLessThanOrEqual(4);
    expect(changed.affectedPlans.length).toBeGreaterThan(0);
    const lastPull = ((await readCacheIndex(dir))?.sync as { last_pull?: unknown }).last_pull;
    expect(lastPull).toEqual({ mode: 'incremental', reason: null, counts: { [DOCTYPES.plan]: changed.counts[DOCTYPES.plan], [DOCTYPES.lesson]: changed.counts[DOCTYPES.lesson] }, affected_plans: changed.affectedPlans });
    expect((await readCache(dir)).docs[DOCTYPES.lesson].find((d) => d.name === inserted.name)?.title).toBe('Inserted lesson');

    // Restored: back as a new insert.
    const deleted = emulator.deletedDocuments().find((d) => d.deleted_name === l3.name);
    if (!deleted) throw new Error('no Deleted Document');
    const restored = emulator.restore(deleted.name);
    const again = await pullInto(dir);
    expect(again.counts[DOCTYPES.lesson].inserted).toBe(1);
    same((await readCache(dir)).docs, emulator.snapshot());
    expect((await readCache(dir)).docs[DOCTYPES.lesson].some((d) => d.name === restored.name)).toBe(true);
  });

  it('does not grow its requests with the size of the catalog, and reads a site with no change in 20 requests or fewer', async () => {
    const small = await startFrappeEmulator({ catalog: generateCatalog({ plans: 2, lessons: 100, seed: 1 }).docs });
    const smallClient = newClient(small);
    try {
      // The same history as the big site: it has deletions behind it.
      const [gone] = small.snapshot()[DOCTYPES.lesson].slice(-1);
      if (gone) small.remove(DOCTYPES.lesson, gone.name);
      const dir = await tempDir();
      await pull({ cacheDir: dir, client: smallClient, log: memoryLogger(), pageSize: 50 });
      const lesson = small.snapshot()[DOCTYPES.lesson][0];
      if (!lesson) throw new Error('no lesson');
      small.update(DOCTYPES.lesson, lesson.name, { title: 'x' });
      const few = await pull({ cacheDir: dir, client: smallClient, log: memoryLogger(), pageSize: 50 });

      const bigDir = await tempDir();
      await pullInto(bigDir);
      const bigLesson = emulator.snapshot()[DOCTYPES.lesson][5];
      if (!bigLesson) throw new Error('no lesson');
      emulator.update(DOCTYPES.lesson, bigLesson.name, { title: 'y' });
      const many = await pullInto(bigDir);
      expect(many.requests).toBe(few.requests);

      const quietSmall = await pull({ cacheDir: dir, client: smallClient, log: memoryLogger(), pageSize: 50 });
      const quietBig = await pullInto(bigDir);
      for (const quiet of [quietSmall, quietBig]) {
        expect(quiet.mode).toBe('incremental');
        expect(Object.values(quiet.counts).every((c) => c.inserted + c.updated + c.deleted === 0)).toBe(true);
        expect(quiet.requests).toBeLessThanOrEqual(20);
      }
      expect(quietBig.requests).toBe(quietSmall.requests);
    } finally {
      await smallClient.close();
      await small.close();
    }
  });

  it('pulls a bulk update of 1,200 documents sharing one modified across page boundaries, once each', async () => {
    const dir = await tempDir();
    await pullInto(dir);
    const names = emulator.snapshot()[DOCTYPES.lesson].slice(0, 1200).map((d) => d.name);
    expect(names.length).toBe(1200);
    const modified = emulator.bulkUpdate(DOCTYPES.lesson, names, { description: 'bulk' });
    emulator.resetRequests();
    const summary = await pullInto(dir, { pageSize: 500 });
    expect(summary.counts[DOCTYPES.lesson].updated).toBe(1200);
    const cache = (await readCache(dir)).docs;
    same(cache, emulator.snapshot());
    expect(cache[DOCTYPES.lesson].filter((d) => d.modified === modified)).toHaveLength(1200);
    expect(new Set(cache[DOCTYPES.lesson].map((d) => d.name)).size).toBe(cache[DOCTYPES.lesson].length);
    // Pages of 500 over one shared modified: 500 + 500 + 200 through the tie pages, then one empty page.
    const lessonLists = emulator.requests.filter((r) => r.doctype === DOCTYPES.lesson);
    expect(lessonLists.length).toBeLessThanOrEqual(5);
  });

  it('picks up documents saved later with the very modified of the last watermark', async () => {
    const dir = await tempDir();
    await pullInto(dir);
    const index = await readCacheIndex(dir);
    const mark = (index?.sync as { watermarks: Record<string, { value: string; name: string }> }).watermarks[DOCTYPES.lesson];
    if (!mark) throw new Error('no watermark');
    const later = emulator.snapshot()[DOCTYPES.lesson].filter((d) => d.name > mark.name && d.modified !== mark.value).slice(0, 3);
    for (const d of later) emulator.rawUpdate(DOCTYPES.lesson, d.name, { title: `same instant ${d.name}`, modified: mark.value });
    const summary = await pullInto(dir);
    expect(summary.counts[DOCTYPES.lesson].updated).toBe(later.length);
    same((await readCache(dir)).docs, emulator.snapshot());
  });
});

/** A fresh emulator serving the sample catalog for the tests of one block. */
async function restartOnSample(): Promise<void> {
  await client?.close();
  await emulator?.close();
  emulator = await startFrappeEmulator(sampleSite());
  client = newClient(emulator);
}

describe('raw writes', () => {
  beforeAll(restartOnSample);

  it('that change no modified (set_value with update_modified=False) are caught by --full', async () => {
    const dir = await tempDir();
    await pullInto(dir);
    emulator.rawUpdate(DOCTYPES.lesson, 'n2l3e4a5f6', { title: 'Raw write' });
    const incremental = await pullInto(dir);
    expect(incremental.counts[DOCTYPES.lesson]).toEqual({ inserted: 0, updated: 0, deleted: 0 });
    const full = await pullInto(dir, { full: true });
    expect(full.counts[DOCTYPES.lesson]).toEqual({ inserted: 0, updated: 1, deleted: 0 });
    same((await readCache(dir)).docs, emulator.snapshot());
  });

  it('reach the cache by themselves at the first pull 24 hours after the last full one, which says why, and the next pull is incremental again', async () => {
    const dir = await tempDir();
    const start = Date.now();
    const at = (hours: number) => () => new Date(start + hours * 3_600_000);
    expect((await pullInto(dir, { now: at(0) })).mode).toBe('full');
    emulator.rawUpdate(DOCTYPES.lesson, 'n2l3e4a5f6', { title: 'Raw write, seen by time' });
    // Name checks (every 24 pulls or 6 hours) compare names and modified: they do not see it.
    for (const hours of [1, 7, 23.9]) {
      const summary = await pullInto(dir, { now: at(hours) });
      expect(summary.mode, `${hours} h`).not.toBe('full');
      expect(summary.counts[DOCTYPES.lesson].updated).toBe(0);
    }
    const due = await pullInto(dir, { now: at(24) });
    expect(due.mode).toBe('full');
    expect(due.reason).toMatch(/at least every 24 hours .*update_modified=False.* the last full pull was at /);
    expect(due.counts[DOCTYPES.lesson]).toEqual({ inserted: 0, updated: 1, deleted: 0 });
    same((await readCache(dir)).docs, emulator.snapshot());
    expect((await pullInto(dir, { now: at(24.5) })).mode).toBe('incremental');
  });

  it('are left to --full when fullEveryHours is 0', async () => {
    const dir = await tempDir();
    const start = Date.now();
    await pullInto(dir, { now: () => new Date(start) });
    emulator.rawUpdate(DOCTYPES.lesson, 'n2l3e4a5f6', { title: 'Raw write, never by time' });
    const later = await pullInto(dir, { now: () => new Date(start + 30 * 24 * 3_600_000), fullEveryHours: 0 });
    expect(later.mode).not.toBe('full');
    expect(later.counts[DOCTYPES.lesson].updated).toBe(0);
  });

  it('are read by a full pull at once from a cache that records no full pull (pulled by an earlier release)', async () => {
    const dir = await tempDir();
    await pullInto(dir);
    const indexFile = path.join(dir, 'cache.json');
    const index = JSON.parse(await readFile(indexFile, 'utf8')) as { sync: Record<string, unknown> };
    delete index.sync.last_full_at;
    await writeFile(indexFile, JSON.stringify(index));
    emulator.rawUpdate(DOCTYPES.lesson, 'n2l3e4a5f6', { title: 'Raw write, before the upgrade' });
    const next = await pullInto(dir);
    expect(next.mode).toBe('full');
    expect(next.reason).toMatch(/the last full pull is not recorded/);
    expect(next.counts[DOCTYPES.lesson].updated).toBe(1);
  });
});

describe('faults', () => {
  beforeAll(restartOnSample);

  const transient = [
    { name: 'a connection reset', fault: { kind: 'reset' as const } },
    { name: 'a timeout', fault: { kind: 'delay' as const, delayMs: 2_000 }, timeoutMs: 300 },
    { name: 'a truncated body', fault: { kind: 'truncate' as const } },
    { name: 'a body that is not JSON', fault: { kind: 'invalid-json' as const } },
    { name: '429 with Retry-After', fault: { kind: 'status' as const, status: 429, retryAfter: 1 } },
    { name: '502', fault: { kind: 'status' as const, status: 502 } },
    { name: '503', fault: { kind: 'status' as const, status: 503 } },
    { name: '504', fault: { kind: 'status' as const, status: 504 } },
  ];

  it.each(transient)('retries $name to success', async ({ fault, timeoutMs }: { fault: Fault; timeoutMs?: number }) => {
    const dir = await tempDir();
    emulator.addFault({ ...fault, times: 2, match: (r) => r.doctype === DOCTYPES.lesson });
    // The waits between attempts are recorded, not slept.
    const waits: number[] = [];
    const own = newClient(emulator, { ...(timeoutMs === undefined ? {} : { timeoutMs }), sleep: async (ms) => void waits.push(ms) });
    try {
      const summary = await pull({ cacheDir: dir, client: own, log: memoryLogger(), pageSize: 100 });
      expect(summary.retries).toBe(2);
      expect(waits).toHaveLength(2);
      if (fault.kind === 'status' && fault.retryAfter !== undefined) for (const ms of waits) expect(ms).toBeGreaterThanOrEqual(fault.retryAfter * 1000);
      same((await readCache(dir)).docs, emulator.snapshot());
    } finally {
      await own.close();
    }
  });

  const permanent = [
    { status: 401, pattern: /rejected the API key and secret \(401 AuthenticationError.*check FRAPPE_API_KEY and FRAPPE_API_SECRET/ },
    { status: 403, pattern: /the API user may not read Memora Lesson \(403 PermissionError/ },
    { status: 404, pattern: /Memora Lesson not found \(404 .*is the Memora app installed/ },
    { status: 417, pattern: /the query for Memora Lesson was refused \(417 .*a bug in memora-cdn/ },
    { status: 500, pattern: /answered 500/ },
  ];

  it.each(permanent)('stops on $status with a clear message, exit code 1 and the previous cache intact', async ({ status, pattern }) => {
    const dir = await tempDir();
    await pullInto(dir);
    const before = await snapshotFiles(dir);
    emulator.update(DOCTYPES.lesson, 'n1p2h3o4t5', { title: `changed before a ${status}` });
    emulator.addFault({ kind: 'status', status, times: 10, match: (r) => r.doctype === DOCTYPES.lesson });
    const stderr = capture();
    const code = await runCli(['pull', '--cache', dir], { stdout: capture(), stderr, env: { FRAPPE_URL: emulator.url, FRAPPE_API_KEY: 'test-key', FRAPPE_API_SECRET: 'test-secret' } });
    expect(code).toBe(1);
    expect(stderr.text()).toMatch(pattern);
    expect(stderr.text()).not.toContain('Traceback');
    expect(stderr.text()).not.toContain('test-secret');
    expect(await snapshotFiles(dir)).toEqual(before);
  });

  it('prints no stack trace for an operational error, even with --verbose', async () => {
    emulator.addFault({ kind: 'status', status: 403, times: 10, match: (r) => r.doctype === DOCTYPES.lesson });
    const stderr = capture();
    const code = await runCli(['pull', '--verbose', '--cache', await tempDir()], { stdout: capture(), stderr, env: { FRAPPE_URL: emulator.url, FRAPPE_API_KEY: 'test-key', FRAPPE_API_SECRET: 'test-secret' } });
    expect(code).toBe(1);
    expect(stderr.text()).toMatch(/may not read Memora Lesson/);
    expect(stderr.text()).not.toMatch(/^\s+at /m);
    expect(stderr.text()).not.toContain('unexpected failure');
  });

  it('names the parent DocType when the rows of its child table are refused, as a child table has no permissions of its own', async () => {
    const locked = await startFrappeEmulator({ ...sampleSite(), readable: [...PARENT_DOCTYPES.filter((d) => d !== DOCTYPES.plan), 'Memora Plan Subject', 'Memora Plan Override', 'Memora Lesson Stage', 'Deleted Document', 'Comment'] });
    const c = newClient(locked);
    try {
      const refused = pull({ cacheDir: await tempDir(), client: c, log: memoryLogger() });
      await expect(refused).rejects.toThrow(/may not read Memora Academic Plan, whose child table Memora Plan (Subject|Override) was being read \(403 PermissionError[^)]*\); give one of the user's roles read permission on Memora Academic Plan$/);
    } finally {
      await c.close();
      await locked.close();
    }
  });

  it('says it gave up after the one attempt made when the server asks to wait longer than is honoured', async () => {
    emulator.resetRequests();
    emulator.addFault({ kind: 'status', status: 429, retryAfter: 3600, times: 10, match: (r) => r.doctype === DOCTYPES.lesson });
    const c = newClient(emulator, { retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 60_000 } });
    try {
      await expect(c.list(DOCTYPES.lesson, { fields: ['name'], orderBy: 'name asc', limit: 1 })).rejects.toThrow(/answered 429 .*\(it asked to wait 3600 s, longer than the 60 s honoured\), gave up after 1 attempt\(s\)$/);
      expect(emulator.requests.filter((r) => r.doctype === DOCTYPES.lesson)).toHaveLength(1);
    } finally {
      await c.close();
    }
  });

  it('reports a missing Deleted Document permission by name', async () => {
    const locked = await startFrappeEmulator({ ...sampleSite(), readable: [...PARENT_DOCTYPES, 'Memora Plan Subject', 'Memora Plan Override', 'Memora Lesson Stage'] });
    const c = newClient(locked);
    try {
      await expect(pull({ cacheDir: await tempDir(), client: c, log: memoryLogger() })).rejects.toThrow(/may not read Deleted Document .*give one of the user's roles read permission on Deleted Document/);
    } finally {
      await c.close();
      await locked.close();
    }
  });
});

describe('fields the API user may not read', () => {
  it.each([
    ['a parent field', { 'Memora Track': ['required_item'] }, /may not read Memora Track's required_item: the site's DocType has this field, but its lists leave it out \(a Perm Level above 0/],
    ['child row fields', { 'Memora Lesson Stage': ['config', 'title'] }, /may not read Memora Lesson Stage's (title, config|config, title): /],
  ] as const)('%s (Frappe leaves them out of every list) stops the pull, naming them, before anything is written', async (_name, unreadableFields, message) => {
    const site = await startFrappeEmulator({ ...sampleSite(), unreadableFields });
    const c = newClient(site);
    const dir = await tempDir();
    try {
      await expect(pull({ cacheDir: dir, client: c, log: memoryLogger() })).rejects.toThrow(message);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await c.close();
      await site.close();
    }
  });

  it('an incremental pull stops too, and the cache keeps what it held', async () => {
    const site = await startFrappeEmulator({ ...sampleSite() });
    const c = newClient(site);
    const dir = await tempDir();
    try {
      await pull({ cacheDir: dir, client: c, log: memoryLogger() });
      const before = await readFile(path.join(dir, 'cache.json'));
      await c.close();
      await site.close();
      // The same site, where a role lost read access to the field's level: the next edit's rows come without it.
      const locked = await startFrappeEmulator({ ...sampleSite(), unreadableFields: { 'Memora Subject': ['required_item'] } });
      const lc = newClient(locked);
      try {
        const subject = locked.snapshot()[DOCTYPES.subject][0];
        if (!subject) throw new Error('no subject');
        locked.update(DOCTYPES.subject, subject.name, { title: 'Edited' });
        await expect(pull({ cacheDir: dir, client: lc, log: memoryLogger() })).rejects.toThrow(/may not read Memora Subject's required_item/);
        expect((await readFile(path.join(dir, 'cache.json'))).equals(before)).toBe(true);
      } finally {
        await lc.close();
        await locked.close();
      }
    } finally {
      await c.close().catch(() => undefined);
    }
  });
});

describe('a hostile or broken server', () => {
  beforeAll(restartOnSample);
  const env = () => ({ FRAPPE_URL: emulator.url, FRAPPE_API_KEY: 'test-key', FRAPPE_API_SECRET: 'test-secret' });

  it('gives up on a body that drips one byte at a time, at the deadline of each attempt', async () => {
    const dir = await tempDir();
    await pullInto(dir);
    const before = await snapshotFiles(dir);
    emulator.update(DOCTYPES.lesson, 'n1p2h3o4t5', { title: 'dripped' });
    // Each byte arrives well within the idle timeout: only a deadline over the whole body ends it.
    emulator.addFault({ kind: 'drip', intervalMs: 50, times: 10, match: (r) => r.doctype === DOCTYPES.lesson });
    const slow = newClient(emulator, { timeoutMs: 2_000, deadlineMs: 400, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1_000 } });
    try {
      await expect(pull({ cacheDir: dir, client: slow, log: memoryLogger() })).rejects.toThrow(/gave no complete answer within 0.4 s, still failing after 2 attempt/);
      expect(await snapshotFiles(dir)).toEqual(before);
    } finally {
      await slow.close();
    }
  });

  it.each([
    { what: 'null', body: '{"data":[null]}', said: /the list of Memora Lesson is malformed: row 1 of the page is null/ },
    { what: 'a row without a name', body: '{"data":[{"name":"ok"},{"title":"x"}]}', said: /the list of Memora Lesson is malformed: row 2 of the page has no name/ },
    { what: 'a number', body: '{"data":[7]}', said: /row 1 of the page is number/ },
  ])('names the DocType and row of a malformed list row ($what) instead of crashing', async ({ body, said }) => {
    const dir = await tempDir();
    await pullInto(dir);
    const before = await snapshotFiles(dir);
    emulator.addFault({ kind: 'body', body, times: 10, match: (r) => r.doctype === DOCTYPES.lesson && r.name === null });
    const stderr = capture();
    const code = await runCli(['pull', '--cache', dir], { stdout: capture(), stderr, env: env() });
    expect(code).toBe(1);
    expect(stderr.text()).toMatch(said);
    expect(stderr.text()).not.toContain('unexpected failure');
    expect(await snapshotFiles(dir)).toEqual(before);
  });

  it('refuses an answer larger than the cap with a clear error, without buffering it', async () => {
    emulator.addFault({ kind: 'oversize', bytes: 8 * 1024 * 1024, times: 10, match: (r) => r.doctype === DOCTYPES.lesson });
    const capped = newClient(emulator, { maxResponseBytes: 1024 * 1024 });
    try {
      // No option to point at: the page size is not a setting, and one document can be that large.
      await expect(pull({ cacheDir: await tempDir(), client: capped, log: memoryLogger() })).rejects.toThrow(/the answer for the list of Memora Lesson is larger than 1 MB; nothing was pulled; look on the site for documents with very large fields$/);
      expect(capped.retries).toBe(0);
    } finally {
      await capped.close();
    }
  });

  it('reads a page of 300,000 rows without overflowing the stack', async () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => `{"name":"r${i}"}`).join(',');
    emulator.addFault({ kind: 'body', body: `{"data":[${rows}]}`, match: (r) => r.doctype === DOCTYPES.lesson });
    const got = await listByName(client, DOCTYPES.lesson, { fields: ['name'], pageSize: 1_000_000 });
    expect(got).toHaveLength(300_000);
    expect(got.at(-1)?.name).toBe('r299999');
  });

  it('refuses FRAPPE_URL with user info, naming the variable and never printing or storing the secret', async () => {
    const dir = await tempDir();
    const withSecret = emulator.url.replace('http://', 'http://editor:s3cret-pw@');
    const stderr = capture();
    const code = await runCli(['pull', '--verbose', '--cache', dir], { stdout: capture(), stderr, env: { ...env(), FRAPPE_URL: withSecret } });
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(/FRAPPE_URL is invalid: must not hold a user name or password/);
    expect(stderr.text()).not.toContain('s3cret-pw');
    expect(await readdir(dir)).toEqual([]);
    expect(() => newClient(emulator, { baseUrl: withSecret })).toThrow(/FRAPPE_URL holds a user name or password/);
  });
});

async function snapshotFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await readdir(dir)).sort()) out[f] = await readFile(path.join(dir, f), 'utf8');
  return out;
}

