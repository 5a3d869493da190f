/**
 * dev's parts without a browser: the event format, the serial runner, debouncing and the pull
 * interval on a manual clock, what a build changed, the viewer's refresh decisions and vanished
 * files, and the preview server's event stream (only when given a live channel).
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, sampleSite } from '../samples/catalog.ts';
import { runCli } from '../src/cli/cli.ts';
import { readCache, writeCache } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import type { RawDoc } from '../src/content/raw.ts';
import { changedKeys, pullChangedSomething } from '../src/dev/changes.ts';
import { startDev } from '../src/dev/dev.ts';
import { startFrappeEmulator } from '../src/emulator/server.ts';
import { watchFolder } from '../src/dev/watch-folder.ts';
import { memoryLogger } from '../src/log.ts';
import { debounce } from '../src/dev/debounce.ts';
import { repeatEvery } from '../src/dev/repeat.ts';
import { serialRunner } from '../src/dev/serial.ts';
import { changedSummary, LiveChannel } from '../src/preview/live.ts';
import { startPreviewServer, type PreviewServer } from '../src/preview/server.ts';
import { formatSse, formatSseComment } from '../src/preview/sse.ts';
import { isVersionUrl } from '../src/preview/viewer/client.ts';
import { refreshForBuild, refreshForStatus } from '../src/preview/viewer/live.ts';
import { vanishedOf } from '../src/preview/viewer/vanished.ts';
import { manualTimers } from './clock.ts';
import { capture } from './helpers.ts';

/** A promise with its resolve, for tasks a test finishes itself. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every promise callback that is ready run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('server-sent events format', () => {
  it('writes the event, id, retry and one data line per line of the payload, then a blank line', () => {
    expect(formatSse({ event: 'build', id: 3, data: { build: 3, changed: ['lessons/a.json'] } })).toBe('event: build\nid: 3\ndata: {"build":3,"changed":["lessons/a.json"]}\n\n');
    expect(formatSse({ data: 'one\ntwo\r\nthree' })).toBe('data: one\ndata: two\ndata: three\n\n');
    expect(formatSse({ retry: 1000.7, event: 'status', data: 'x' })).toBe('event: status\nretry: 1000\ndata: x\n\n');
    expect(formatSseComment('keep-alive')).toBe(': keep-alive\n\n');
    expect(formatSseComment('a\nb')).toBe(': a b\n\n');
  });

  it('refuses a line break in an event name or id, which would end the field', () => {
    expect(() => formatSse({ event: 'build\ndata: forged' })).toThrow(/line break/);
    expect(() => formatSse({ id: '1\n' })).toThrow(/line break/);
  });

  it('keeps titles with line breaks and Arabic intact inside JSON data', () => {
    const text = formatSse({ event: 'failure', data: { message: 'عنوان\nجديد' } });
    const data = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
    expect(JSON.parse(data)).toEqual({ message: 'عنوان\nجديد' });
  });
});

describe('serial runner', () => {
  it('never runs two tasks at once, and a request during a run schedules exactly one more', async () => {
    const runs: ReturnType<typeof deferred>[] = [];
    let active = 0;
    let most = 0;
    const runner = serialRunner(
      async () => {
        active++;
        most = Math.max(most, active);
        const run = deferred();
        runs.push(run);
        await run.promise;
        active--;
      },
      (error) => {
        throw error;
      },
    );
    const first = runner.request();
    expect(runner.running).toBe(true);
    const second = runner.request();
    const third = runner.request();
    expect(second).toBe(third);
    expect(runner.pending).toBe(true);
    await settle();
    expect(runs).toHaveLength(1);
    runs[0]?.resolve();
    await first;
    await settle();
    expect(runs).toHaveLength(2);
    expect(runner.pending).toBe(false);
    runs[1]?.resolve();
    await second;
    expect(runs).toHaveLength(2);
    expect(most).toBe(1);
    await runner.idle();
    expect(runner.running).toBe(false);
  });

  it('passes a failed run to onError and goes on with the next', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const runner = serialRunner(async () => {
      calls++;
      if (calls === 1) throw new Error('pull failed');
    }, (error) => errors.push(error));
    await runner.request();
    await runner.request();
    expect(calls).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['pull failed']);
  });
});

describe('debounce', () => {
  it('calls once, the wait after the last of a burst of triggers', () => {
    const clock = manualTimers();
    let calls = 0;
    const settled = debounce(() => calls++, 300, clock);
    settled.trigger();
    clock.advance(200);
    settled.trigger();
    clock.advance(200);
    settled.trigger();
    expect(calls).toBe(0);
    clock.advance(299);
    expect(calls).toBe(0);
    clock.advance(1);
    expect(calls).toBe(1);
    expect(settled.pending).toBe(false);
    clock.advance(10_000);
    expect(calls).toBe(1);
  });

  it('calls nothing once cancelled', () => {
    const clock = manualTimers();
    let calls = 0;
    const settled = debounce(() => calls++, 300, clock);
    settled.trigger();
    settled.cancel();
    clock.advance(1_000);
    expect(calls).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

describe('repeat every interval', () => {
  it('starts each run one interval after the previous one ended, never overlapping, and stops', async () => {
    const clock = manualTimers();
    const runs: ReturnType<typeof deferred>[] = [];
    const started: number[] = [];
    const repeater = repeatEvery(
      async () => {
        started.push(clock.now);
        const run = deferred();
        runs.push(run);
        await run.promise;
      },
      10_000,
      { timers: clock, onError: (error) => expect.fail(String(error)) },
    );
    clock.advance(9_999);
    expect(started).toEqual([]);
    clock.advance(1);
    expect(started).toEqual([10_000]);
    // A slow run: no second one while it lasts.
    clock.advance(50_000);
    expect(started).toEqual([10_000]);
    runs[0]?.resolve();
    await settle();
    clock.advance(9_999);
    expect(started).toEqual([10_000]);
    clock.advance(1);
    expect(started).toEqual([10_000, 70_000]);
    const stopping = repeater.stop();
    runs[1]?.resolve();
    await stopping;
    clock.advance(100_000);
    expect(started).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });

  it('reports a failed run and keeps the interval', async () => {
    const clock = manualTimers();
    const errors: string[] = [];
    let calls = 0;
    const repeater = repeatEvery(
      async () => {
        calls++;
        throw new Error(`failure ${calls}`);
      },
      1_000,
      { timers: clock, onError: (error) => errors.push((error as Error).message) },
    );
    clock.advance(1_000);
    await settle();
    clock.advance(1_000);
    await settle();
    expect(errors).toEqual(['failure 1', 'failure 2']);
    await repeater.stop();
  });
});

describe('what a rebuild changed', () => {
  it('lists keys added, changed and removed, sorted; none known without an earlier build', () => {
    const before = new Map([
      ['lessons/a.json', '1'],
      ['lessons/b.json', '2'],
      ['units/u.json', '3'],
    ]);
    const after = new Map([
      ['lessons/a.json', '1'],
      ['lessons/b.json', '9'],
      ['lessons/c.json', '4'],
    ]);
    expect(changedKeys(before, after)).toEqual(['lessons/b.json', 'lessons/c.json', 'units/u.json']);
    expect(changedKeys(after, after)).toEqual([]);
    expect(changedKeys(null, after)).toBeNull();
    expect(changedSummary(['b', 'a', 'c'], 2)).toEqual({ changed: ['a', 'b'], changed_count: 3 });
    expect(changedSummary(null)).toEqual({ changed: null, changed_count: null });
  });

  it('rebuilds after a pull only when a document was inserted, updated or deleted', () => {
    const none = { inserted: 0, updated: 0, deleted: 0 };
    expect(pullChangedSomething({ 'Memora Lesson': none, 'Memora Unit': none })).toBe(false);
    expect(pullChangedSomething({ 'Memora Lesson': none, 'Memora Unit': { ...none, deleted: 1 } })).toBe(true);
  });
});

describe('the viewer: when to refresh, what vanished', () => {
  const shown = { session: 's1', build: 3 };
  const build = (n: number, changed: string[] | null) => ({ build: n, at: '2025-01-01T00:00:00Z', changed, changed_count: changed?.length ?? null });

  it('refreshes for a newer build that changed something, not for an old or empty one', () => {
    expect(refreshForBuild(shown, build(4, ['lessons/a.json']))).toBe(true);
    expect(refreshForBuild(shown, build(4, null))).toBe(true);
    expect(refreshForBuild(shown, build(4, []))).toBe(false);
    expect(refreshForBuild(shown, build(3, ['lessons/a.json']))).toBe(false);
  });

  it('refreshes on (re)connecting when builds were missed or dev restarted', () => {
    const status = (session: string, n: number) => ({ session, source: 'x', build: n, last_build: null, failure: null });
    expect(refreshForStatus(shown, status('s1', 3))).toBe(false);
    expect(refreshForStatus(shown, status('s1', 5))).toBe(true);
    expect(refreshForStatus(shown, status('s2', 1))).toBe(true);
  });

  it('names what a 404 was for, from the URL of the file', () => {
    const notFound = (url: string, status = 404) => Object.assign(new Error('HTTP'), { url, status });
    expect(vanishedOf(notFound('http://x/lessons/a1~0123456789abcdef.json'))).toEqual({ kind: 'lesson', stale: true });
    expect(vanishedOf(notFound(`http://x/lessons/${encodeURIComponent('درس-الكسور')}.json`))).toEqual({ kind: 'lesson', stale: false });
    expect(vanishedOf(notFound('http://x/units/u1.json'))).toEqual({ kind: 'unit', stale: false });
    expect(vanishedOf(notFound('http://x/plans/p/subjects/s~0123456789abcdef.json'))).toEqual({ kind: 'subject', stale: true });
    expect(vanishedOf(notFound('http://x/plans/p/manifest.json'))).toEqual({ kind: 'plan', stale: false });
    expect(vanishedOf(notFound('http://x/plans/p/search_index~0123456789abcdef.json'))).toBeNull();
    expect(vanishedOf(notFound('http://x/plans/p/manifest.json', 500))).toBeNull();
    expect(vanishedOf(notFound('http://x/other.json'))).toBeNull();
    expect(vanishedOf(new Error('network'))).toBeNull();
  });

  it('revalidates aliases and takes versions from the HTTP cache', () => {
    expect(isVersionUrl('http://x/lessons/a~0123456789abcdef.json')).toBe(true);
    expect(isVersionUrl('http://x/plans/p/manifest.json')).toBe(false);
    expect(isVersionUrl('http://x/lessons/a.json')).toBe(false);
  });
});

describe('the event stream of the preview server', () => {
  let root: string;
  let outDir: string;
  let server: PreviewServer;
  let live: LiveChannel;
  const clock = manualTimers();

  /** Opens /_viewer/events and collects what arrives. */
  function subscribe(base: string): Promise<{ res: http.IncomingMessage; text: () => string; next: (match: RegExp) => Promise<string>; close: () => void }> {
    return new Promise((resolve, reject) => {
      const req = http.get(new URL('/_viewer/events', base), { headers: { Accept: 'text/event-stream', 'Accept-Encoding': 'br, gzip' } }, (res) => {
        let text = '';
        const waiters: { match: RegExp; resolve: (s: string) => void }[] = [];
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          for (const w of [...waiters]) {
            const m = w.match.exec(text);
            if (m) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(m[0]);
            }
          }
        });
        resolve({
          res,
          text: () => text,
          next: (match) =>
            new Promise((r) => {
              const m = match.exec(text);
              if (m) r(m[0]);
              else waiters.push({ match, resolve: r });
            }),
          close: () => req.destroy(),
        });
      });
      req.on('error', reject);
    });
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'memora-dev-events-'));
    outDir = path.join(root, 'out');
    await mkdir(path.join(outDir, 'lessons'), { recursive: true });
    await writeFile(path.join(outDir, 'lessons', 'a.json'), '{"id":"a"}');
    live = new LiveChannel({ source: 'the content cache in test', timers: clock, maxClients: 2 });
    server = await startPreviewServer({ outDir, port: 0, live });
  });

  afterAll(async () => {
    live?.close();
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('streams the status, then each build and failure, uncompressed and uncached, with keep-alive comments', async () => {
    const stream = await subscribe(server.url);
    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.res.headers['cache-control']).toBe('no-store');
    expect(stream.res.headers['content-encoding']).toBeUndefined();
    expect(stream.res.headers['access-control-allow-origin']).toBeUndefined();
    const status = await stream.next(/event: status\n[^]*?\n\n/);
    expect(status).toContain('retry: 1000');
    expect(status).toContain('"source":"the content cache in test"');
    expect(status).toContain('"build":0');

    live.published({ at: '2025-01-01T00:00:00.000Z', ...changedSummary(['lessons/a.json']) });
    const built = await stream.next(/event: build\n[^]*?\n\n/);
    expect(built).toContain('data: {"build":1,"at":"2025-01-01T00:00:00.000Z","changed":["lessons/a.json"],"changed_count":1}');

    live.failed('pull', 'GET https://frappe.example/api: 502', '2025-01-01T00:00:10.000Z');
    const failed = await stream.next(/event: failure\n[^]*?\n\n/);
    expect(failed).toContain('"stage":"pull"');
    expect(failed).toContain('"build":1');

    clock.advance(15_000);
    await stream.next(/: keep-alive\n\n/);
    stream.close();
  });

  it('tells a viewer that connects later the build and the failure it missed', async () => {
    const stream = await subscribe(server.url);
    const status = await stream.next(/event: status\n[^]*?\n\n/);
    expect(status).toContain('"build":1');
    expect(status).toContain('"failure":{"stage":"pull"');
    stream.close();
  });

  it('marks the viewer page as live, with the session and build it was served at', async () => {
    const html = await (await fetch(server.url)).text();
    const session = live.current().session;
    expect(html).toContain(`<meta name="memora-live" content="/_viewer/events" data-session="${session}" data-build="1">`);
  });

  it('refuses viewers beyond its limit with a 503 that asks to retry', async () => {
    const a = await subscribe(server.url);
    const b = await subscribe(server.url);
    await a.next(/event: status/);
    await b.next(/event: status/);
    const c = await fetch(new URL('/_viewer/events', server.url));
    expect(c.status).toBe(503);
    expect(c.headers.get('retry-after')).toBe('5');
    await c.arrayBuffer();
    a.close();
    b.close();
  });
});

/** A stderr that keeps what is written and resolves `found` with the first match of `pattern`. */
function waitingCapture(pattern: RegExp): Writable & { text(): string; found: Promise<RegExpExecArray> } {
  let text = '';
  let resolveFound!: (match: RegExpExecArray) => void;
  const found = new Promise<RegExpExecArray>((resolve) => (resolveFound = resolve));
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk);
      const match = pattern.exec(text);
      if (match) resolveFound(match);
      callback();
    },
  });
  return Object.assign(stream, { text: () => text, found });
}

describe('watching the content cache folder', () => {
  /** Each call: a promise of the next change the watch reports. */
  function changes() {
    let next = deferred();
    const onChange = () => next.resolve();
    return {
      onChange,
      async next() {
        await next.promise;
        next = deferred();
      },
    };
  }

  it('follows the folder when it is removed and made again, as a copy or a fresh pull makes it', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'memora-watch-'));
    const dir = path.join(root, 'cache');
    await mkdir(dir);
    const seen = changes();
    const errors: Error[] = [];
    const w = watchFolder(dir, seen.onChange, (e) => errors.push(e));
    try {
      await writeFile(path.join(dir, 'a.json'), '1');
      await seen.next();
      await rm(dir, { recursive: true });
      await seen.next();
      await mkdir(dir);
      await seen.next();
      // A file written into the new folder is seen: the watch moved to it.
      await writeFile(path.join(dir, 'b.json'), '2');
      await seen.next();
      expect(errors).toEqual([]);
    } finally {
      w.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('dev rebuilds from a cache folder that was replaced by a copy', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'memora-dev-replace-'));
    const cacheDir = path.join(root, 'cache');
    const outDir = path.join(root, 'out');
    const sample = await readCache(SAMPLE_CACHE_DIR);
    await writeCache(cacheDir, { replace: sample.docs, fsync: false });
    const dev = await startDev({ cacheDir, outDir, port: 0, source: { kind: 'cache', settleMs: 50 }, log: memoryLogger() });
    try {
      const lesson = sample.docs[DOCTYPES.lesson][0] as RawDoc;
      const titleNow = async () => (JSON.parse(await readFile(path.join(outDir, 'lessons', `${encodeURIComponent(lesson.name)}.json`), 'utf8')) as { title: string }).title;
      expect(await titleNow()).toBe(lesson.title);
      await rm(cacheDir, { recursive: true });
      // The build that follows fails (no cache); the watch then has only the new folder to go by.
      await expect.poll(() => dev.live.current().failure?.message ?? '', { timeout: 10_000 }).toMatch(/content cache/);
      await dev.idle();
      const copy = path.join(root, 'copy');
      await writeCache(copy, { replace: { ...sample.docs, [DOCTYPES.lesson]: sample.docs[DOCTYPES.lesson].map((l) => (l === lesson ? { ...l, title: 'From the copy' } : l)) }, fsync: false });
      await rename(copy, cacheDir);
      await expect.poll(titleNow, { timeout: 10_000 }).toBe('From the copy');
    } finally {
      await dev.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('the dev command', () => {
  it('refuses a partial Frappe configuration, naming what is missing', async () => {
    const stderr = capture();
    const code = await runCli(['dev', '--port', '0'], { env: { FRAPPE_URL: 'https://frappe.example' }, stdout: capture(), stderr });
    expect(code).toBe(2);
    expect(stderr.text()).toContain('FRAPPE_API_KEY, FRAPPE_API_SECRET not set');
  });

  it('following Frappe, stops on Ctrl-C at once while a pull waits on a site that does not answer', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'memora-dev-stop-'));
    const site = await startFrappeEmulator(sampleSite());
    try {
      let stop!: () => void;
      const stopSignal = new Promise<void>((resolve) => (stop = resolve));
      const stderr = waitingCapture(/preview of .* at (http:\/\/127\.0\.0\.1:\d+\/)/);
      const env = { FRAPPE_URL: site.url, FRAPPE_API_KEY: 'test-key', FRAPPE_API_SECRET: 'test-secret' };
      const running = runCli(['dev', '--port', '0', '--interval', '1', '--cache', path.join(root, 'cache'), '--out', path.join(root, 'out')], { env, stdout: capture(), stderr, untilStopped: () => stopSignal });
      await Promise.race([
        stderr.found,
        running.then((code) => {
          throw new Error(`dev exited with ${code} before serving: ${stderr.text()}`);
        }),
      ]);
      // The next pull's first request gets no answer for ten minutes (the client waits 30 s per attempt, 4 attempts).
      let hung!: () => void;
      const waiting = new Promise<void>((resolve) => (hung = resolve));
      site.addFault({ kind: 'delay', delayMs: 600_000, match: () => (hung(), true) });
      await waiting;
      stop();
      expect(await running).toBe(0);
      expect(stderr.text()).toContain('dev: stopping');
      expect(stderr.text()).not.toMatch(/the pull from .* failed/);
    } finally {
      await site.close();
      await rm(root, { recursive: true, force: true });
    }
  }, 20_000);

  it.each(['dev', 'preview'])('%s answers the host names given with --allow-host and refuses others (DNS rebinding)', async (command) => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'memora-allow-host-'));
    try {
      const cacheDir = path.join(root, 'cache');
      await writeCache(cacheDir, { replace: (await readCache(SAMPLE_CACHE_DIR)).docs, fsync: false });
      let stop!: () => void;
      const stopSignal = new Promise<void>((resolve) => (stop = resolve));
      const stderr = waitingCapture(/preview of .* at (http:\/\/127\.0\.0\.1:\d+\/)/);
      const args = [command, '--port', '0', '--allow-host', 'preview.example.com', '--out', path.join(root, 'out'), ...(command === 'dev' ? ['--cache', cacheDir] : [])];
      const running = runCli(args, { env: {}, stdout: capture(), stderr, untilStopped: () => stopSignal });
      const served = new URL(
        await Promise.race([
          stderr.found.then((m) => m[1] ?? ''),
          running.then((code) => {
            throw new Error(`${command} exited with ${code} before serving: ${stderr.text()}`);
          }),
        ]),
      );
      const statusFor = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = http.request({ host: served.hostname, port: served.port, path: '/_viewer/plans', headers: { host }, agent: false }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        });
      expect(await statusFor('preview.example.com')).toBe(200);
      expect(await statusFor(served.host)).toBe(200);
      expect(await statusFor('attacker.example')).toBe(403);
      stop();
      expect(await running).toBe(0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('without the Frappe settings watches the content cache, serves, and stops on Ctrl-C', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'memora-dev-cli-'));
    try {
      const sample = await readCache(SAMPLE_CACHE_DIR);
      const cacheDir = path.join(root, 'cache');
      await writeCache(cacheDir, { replace: sample.docs, fsync: false });
      let stop!: () => void;
      const stopSignal = new Promise<void>((resolve) => (stop = resolve));
      const stderr = waitingCapture(/preview of .* at (http:\/\/127\.0\.0\.1:\d+\/)/);
      const running = runCli(['dev', '--port', '0', '--cache', cacheDir, '--out', path.join(root, 'out')], { env: {}, stdout: capture(), stderr, untilStopped: () => stopSignal });
      // A dev command that stops before it serves fails the test with what it said, not a timeout.
      const served = await Promise.race([
        stderr.found.then((m) => m[1] ?? ''),
        running.then((code) => {
          throw new Error(`dev exited with ${code} before serving: ${stderr.text()}`);
        }),
      ]);
      const events = await fetch(new URL('/_viewer/events', served));
      expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      await events.body?.cancel();
      stop();
      expect(await running).toBe(0);
      expect(stderr.text()).toContain('watching the content cache instead of pulling');
      expect(stderr.text()).toContain(`dev: following the content cache in ${cacheDir}`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
