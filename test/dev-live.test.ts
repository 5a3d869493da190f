/**
 * The round trip `dev` promises, end to end: a Frappe site (the emulator, serving the sample
 * catalog), `dev` following it (in-process, with a short interval), and the viewer open in
 * Chromium. An edit made through Frappe's REST API appears in the open page without a reload; a
 * deleted lesson leaves the open search and, opened, says it is gone; a failing site is shown in
 * the status area. Many tabs of one browser share one event stream (a browser allows 6
 * connections per host): all load, an edit reaches each, and closing the tab that holds the
 * stream hands it to another. Then the same without Frappe: dev watching the content cache.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, SAMPLE_IDS, sampleSite } from '../samples/catalog.ts';
import { readCache, writeCache } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { startDev, type DevSession } from '../src/dev/dev.ts';
import { startFrappeEmulator, type FrappeEmulator } from '../src/emulator/server.ts';
import { memoryLogger } from '../src/log.ts';
import { startPreviewServer } from '../src/preview/server.ts';
import { FrappeClient } from '../src/pull/client.ts';
import { launchChromium } from './browser.ts';
import { tempDir } from './helpers.ts';

const { plans: P, subjects: S } = SAMPLE_IDS;
const KEY = 'dev-key';
const SECRET = 'dev-secret';
/** Lessons of the Arabic grade 7 plan's Arabic subject. */
const EDITED = { id: 'a1m2b3t4d5', title: 'المُبْتَدَأُ والخَبَرُ', newTitle: 'المبتدأ والخبر: درس محدث' };
const DELETED = { id: 'a2j3m4l5t6', title: 'أَنْوَاعُ الجُمْلَةِ', query: 'أنواع الجملة' };
/** Long enough for a wait to mean something went wrong, short of the test's own timeout. */
const WAIT = { timeout: 45_000 };

let browser: Browser;
const contexts: { context: BrowserContext; errors: string[] }[] = [];

async function openPage(url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  contexts.push({ context, errors });
  await page.goto(url);
  return page;
}

/**
 * `count` tabs of one browser (one context: they share its 6 connections per host), opened at
 * `url` one after the other, and the tabs that requested dev's event stream, in order.
 */
async function openTabs(url: string, count: number, init?: () => void): Promise<{ tabs: Page[]; streams: Page[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  if (init) await context.addInitScript(init);
  const errors: string[] = [];
  contexts.push({ context, errors });
  const tabs: Page[] = [];
  const streams: Page[] = [];
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (isEventStream(request)) streams.push(page);
    });
    await page.goto(url, WAIT);
    tabs.push(page);
  }
  return { tabs, streams };
}

/** Whether a request is for dev's event stream. */
function isEventStream(request: Request): boolean {
  return new URL(request.url()).pathname === '/_viewer/events';
}

/** Waits until the tab's live panel is connected and shows `build` (or a later one). */
async function connectedAt(page: Page, build: number): Promise<void> {
  await page.waitForFunction(
    (least) => {
      const status = document.querySelector<HTMLElement>('[data-testid="live-status"]');
      return status !== null && !status.textContent?.includes('Disconnected') && Number(status.dataset.build) >= least;
    },
    build,
    WAIT,
  );
}

/** The viewer route of a lesson, from the subject file dev built (its unit is read there). */
async function lessonHash(outDir: string, plan: string, subject: string, lesson: string): Promise<string> {
  const file = JSON.parse(await readFile(path.join(outDir, 'plans', plan, 'subjects', `${subject}.json`), 'utf8')) as {
    tracks: { units: { id: string; topics: { lessons: { id: string }[] }[] }[] }[];
  };
  const unit = file.tracks.flatMap((t) => t.units).find((u) => u.topics.some((t) => t.lessons.some((l) => l.id === lesson)));
  if (!unit) throw new Error(`lesson ${lesson} is not in ${plan}/${subject}`);
  const e = encodeURIComponent;
  return `#/plan/${e(plan)}/subject/${e(subject)}/unit/${e(unit.id)}/lesson/${e(lesson)}`;
}

/** A Frappe client's edit: the REST API's PUT or DELETE of a document. */
async function frappe(site: FrappeEmulator, method: 'PUT' | 'DELETE', doctype: string, name: string, fields?: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${site.url}/api/resource/${encodeURIComponent(doctype)}/${encodeURIComponent(name)}`, {
    method,
    headers: { Authorization: `token ${KEY}:${SECRET}`, 'Content-Type': 'application/json' },
    ...(fields ? { body: JSON.stringify(fields) } : {}),
  });
  expect(response.ok, await response.clone().text()).toBe(true);
  await response.arrayBuffer();
}

beforeAll(async () => {
  browser = await launchChromium();
});

afterEach(async () => {
  for (const { context, errors } of contexts.splice(0)) {
    await context.close();
    expect(errors).toEqual([]);
  }
});

afterAll(async () => {
  await browser?.close();
});

/** A Frappe emulator on the samples, and dev following it (a pull every 200 ms) into a folder of its own. */
async function startFollowing(prefix: string, log: ReturnType<typeof memoryLogger>): Promise<{ site: FrappeEmulator; client: FrappeClient; dev: DevSession; outDir: string }> {
  const site = await startFrappeEmulator({ ...sampleSite(), apiKey: KEY, apiSecret: SECRET });
  const client = new FrappeClient({ baseUrl: site.url, apiKey: KEY, apiSecret: SECRET, log, timeoutMs: 5_000, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 100 } });
  const root = await tempDir(prefix);
  const outDir = path.join(root, 'out');
  const dev = await startDev({ cacheDir: path.join(root, 'cache'), outDir, port: 0, source: { kind: 'frappe', client, intervalMs: 200 }, log });
  return { site, client, dev, outDir };
}

async function stopFollowing(dev: DevSession | undefined, client: FrappeClient | undefined, site: FrappeEmulator | undefined): Promise<void> {
  await dev?.close();
  await client?.close();
  await site?.close();
}

describe('dev following Frappe', () => {
  let site: FrappeEmulator;
  let client: FrappeClient;
  let dev: DevSession;
  let outDir: string;
  const log = memoryLogger();

  beforeAll(async () => {
    ({ site, client, dev, outDir } = await startFollowing('memora-dev-live-', log));
  });
  afterAll(() => stopFollowing(dev, client, site));

  it('builds before serving and says what it follows', async () => {
    expect(dev.source).toBe(`Frappe at ${site.url}, pulled every 0.2 s`);
    expect(dev.live.current().build).toBe(1);
    expect(log.lines.some((l) => l.startsWith('built 3 plan(s) into'))).toBe(true);
    expect(log.lines.join('\n')).not.toContain(SECRET);
  });

  it('shows a title edited in Frappe in the open lesson, in place', async () => {
    const page = await openPage(dev.url + (await lessonHash(outDir, P.grade7Arabic, S.arabic, EDITED.id)));
    await page.getByTestId('lesson-title').filter({ hasText: EDITED.title }).waitFor(WAIT);
    await page.getByTestId('live-panel').waitFor(WAIT);
    // A short window, scrolled down: the redraw keeps the place (what was on screen stays there).
    await page.setViewportSize({ width: 800, height: 200 });
    const stagesTop = () => page.getByTestId('stages').evaluate((e) => Math.round(e.getBoundingClientRect().top));
    const hash = await page.evaluate(() => {
      (window as { sameDocument?: boolean }).sameDocument = true;
      window.scrollTo(0, 60);
      return location.hash;
    });
    expect(await page.evaluate(() => window.scrollY)).toBe(60);
    const before = await stagesTop();

    await frappe(site, 'PUT', DOCTYPES.lesson, EDITED.id, { title: EDITED.newTitle });
    await page.getByTestId('lesson-title').filter({ hasText: EDITED.newTitle }).waitFor(WAIT);
    // The same page, redrawn: no reload, same route, not scrolled back to the top; the live panel names the new build.
    expect(await page.evaluate(() => (window as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(await page.evaluate(() => location.hash)).toBe(hash);
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
    expect(Math.abs((await stagesTop()) - before)).toBeLessThanOrEqual(40);
    await page.locator('nav.breadcrumbs').filter({ hasText: EDITED.newTitle }).waitFor(WAIT);
    const build = Number(await page.getByTestId('live-status').getAttribute('data-build'));
    expect(build).toBeGreaterThan(1);
    expect(log.lines.some((l) => /^dev: rebuilt .*: \d+ file\(s\) changed/.test(l))).toBe(true);
  });

  it("drops a deleted lesson from the open viewer's search, and opening it says it is gone", async () => {
    const lesson = await lessonHash(outDir, P.grade7Arabic, S.arabic, DELETED.id);
    const page = await openPage(`${dev.url}#/plan/${P.grade7Arabic}?q=${encodeURIComponent(DELETED.query)}`);
    const hit = page.getByTestId('search-hit').filter({ hasText: DELETED.title });
    await hit.waitFor(WAIT);
    await page.getByTestId('live-panel').waitFor(WAIT);

    await frappe(site, 'DELETE', DOCTYPES.lesson, DELETED.id);
    await hit.waitFor({ state: 'detached', ...WAIT });
    await page.getByTestId('search-count').waitFor(WAIT);
    expect(await page.getByLabel('Search lessons').inputValue()).toBe(DELETED.query);

    // A link to it (a bookmark, an old search hit) meets a lesson the build no longer has.
    await page.evaluate((hash) => {
      location.hash = hash;
    }, lesson);
    const notice = page.getByTestId('vanished');
    await notice.waitFor(WAIT);
    expect(await notice.getByTestId('vanished-message').textContent()).toBe('This lesson is no longer in the build: it was removed or renamed in Frappe (or unpublished, or hidden in this plan).');
    // Reload reads the build again (the manifest first), and the lesson is still gone.
    const reread = page.waitForRequest((request) => new URL(request.url()).pathname === `/plans/${P.grade7Arabic}/manifest.json`, WAIT);
    await notice.getByTestId('vanished-reload').click();
    await reread;
    await page.getByTestId('vanished').waitFor(WAIT);
    await page.getByTestId('vanished-back').click();
    await page.getByTestId('plan-title').waitFor(WAIT);
  });

  it('explains a stale link in a plain preview (no live refresh) and shows the current build on Reload', async () => {
    const plain = await startPreviewServer({ outDir, port: 0 });
    try {
      const lesson = await lessonHash(outDir, P.grade7Arabic, S.arabic, EDITED.id);
      const unit = lesson.slice(0, lesson.indexOf('/lesson/'));
      const page = await openPage(plain.url + unit);
      const row = page.getByTestId('lesson-row').filter({ hasText: EDITED.newTitle });
      await row.waitFor(WAIT);
      expect(await page.getByTestId('live-panel').count()).toBe(0);
      // Frappe changes the lesson; dev rebuilds; this page still holds the old subject file.
      await frappe(site, 'PUT', DOCTYPES.lesson, EDITED.id, { title: 'المبتدأ والخبر: الإصدار الثالث' });
      await dev.refresh();
      await row.getByRole('link').click();
      const notice = page.getByTestId('vanished');
      await notice.waitFor(WAIT);
      expect(await notice.getByTestId('vanished-message').textContent()).toContain('This lesson is not in the build as this page knew it');
      await notice.getByTestId('vanished-reload').click();
      await page.getByTestId('lesson-title').filter({ hasText: 'المبتدأ والخبر: الإصدار الثالث' }).waitFor(WAIT);
    } finally {
      await plain.close();
    }
  });

  it('says so in the status area when Frappe fails, keeps the page, and clears it when Frappe is back', async () => {
    const page = await openPage(dev.url + (await lessonHash(outDir, P.grade7Arabic, S.arabic, EDITED.id)));
    await page.getByTestId('lesson-title').filter({ hasText: 'المبتدأ والخبر: الإصدار الثالث' }).waitFor(WAIT);
    site.addFault({ kind: 'status', status: 502, times: 1_000_000 });
    const error = page.getByTestId('live-error');
    await error.filter({ hasText: 'The last pull failed' }).waitFor(WAIT);
    expect(await error.textContent()).toContain('The preview still serves build');
    expect(await page.getByTestId('lesson-title').textContent()).toContain('المبتدأ والخبر: الإصدار الثالث');
    site.clearFaults();
    await error.waitFor({ state: 'detached', ...WAIT });
    expect(log.lines.some((l) => l.startsWith('warning: dev: the pull from') && l.includes('the preview keeps the last good build'))).toBe(true);
    expect(log.lines.some((l) => l === 'dev: pulling and building work again')).toBe(true);
    // Failures are logged with what went wrong, never with the credentials.
    expect(log.lines.join('\n')).not.toContain(SECRET);
  });
});

describe('dev with many viewer tabs open in one browser', () => {
  /** More than the 6 connections per host a browser allows over HTTP/1.1. */
  const TABS = 8;
  let site: FrappeEmulator;
  let client: FrappeClient;
  let dev: DevSession;
  let outDir: string;
  const log = memoryLogger();

  beforeAll(async () => {
    ({ site, client, dev, outDir } = await startFollowing('memora-dev-tabs-', log));
  });
  afterAll(() => stopFollowing(dev, client, site));

  it(`loads ${TABS} tabs that share one event stream (one EventSource per tab froze them all at 6), and an edit reaches every tab`, async () => {
    const lesson = dev.url + (await lessonHash(outDir, P.grade7Arabic, S.arabic, EDITED.id));
    const built = dev.live.current().build;
    const { tabs, streams } = await openTabs(lesson, TABS);
    for (const tab of tabs) {
      await tab.getByTestId('lesson-title').filter({ hasText: EDITED.title }).waitFor(WAIT);
      await connectedAt(tab, built);
    }
    expect(streams).toHaveLength(1);
    expect(await holderOf(tabs)).toBe(streams[0]);
    expect(dev.live.subscribers).toBe(1);

    await frappe(site, 'PUT', DOCTYPES.lesson, EDITED.id, { title: EDITED.newTitle });
    for (const tab of tabs) {
      await tab.getByTestId('lesson-title').filter({ hasText: EDITED.newTitle }).waitFor(WAIT);
      await connectedAt(tab, built + 1);
    }
    expect(streams).toHaveLength(1);
    expect(dev.live.subscribers).toBe(1);
  });

  it('hands the stream to another tab when the tab holding it closes', async () => {
    const lesson = dev.url + (await lessonHash(outDir, P.grade7Arabic, S.arabic, EDITED.id));
    const { tabs, streams } = await openTabs(lesson, 3);
    for (const tab of tabs) await connectedAt(tab, dev.live.current().build);
    expect(streams).toHaveLength(1);

    for (const title of ['المبتدأ والخبر: بعد الإغلاق الأول', 'المبتدأ والخبر: بعد الإغلاق الثاني']) {
      const holder = await holderOf(tabs);
      const rest = tabs.filter((tab) => tab !== holder);
      const takeover = Promise.any(rest.map((tab) => tab.waitForRequest(isEventStream, WAIT).then(() => tab)));
      await holder.close();
      const next = await takeover;
      tabs.splice(tabs.indexOf(holder), 1);
      expect(await holderOf(tabs)).toBe(next);

      await frappe(site, 'PUT', DOCTYPES.lesson, EDITED.id, { title });
      for (const tab of tabs) await tab.getByTestId('lesson-title').filter({ hasText: title }).waitFor(WAIT);
    }
    expect(tabs).toHaveLength(1);
    expect(streams).toHaveLength(3);
    await connectedAt(tabs[0]!, dev.live.current().build);
  });

  it('falls back to a stream per tab where the browser has no Web Locks', async () => {
    const lesson = dev.url + (await lessonHash(outDir, P.grade7Arabic, S.arabic, EDITED.id));
    const { tabs, streams } = await openTabs(lesson, 2, () => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined }));
    for (const tab of tabs) {
      await connectedAt(tab, dev.live.current().build);
      expect(await tab.getByTestId('live-panel').getAttribute('data-stream')).toBe('own');
    }
    expect(streams).toHaveLength(2);
    expect(streams[0]).toBe(tabs[0]);
    expect(streams[1]).toBe(tabs[1]);
    await frappe(site, 'PUT', DOCTYPES.lesson, EDITED.id, { title: 'المبتدأ والخبر: لكل نافذة بثها' });
    for (const tab of tabs) await tab.getByTestId('lesson-title').filter({ hasText: 'المبتدأ والخبر: لكل نافذة بثها' }).waitFor(WAIT);
  });

  it('shows a failure in every tab, in one opened during it too, clears it in all, and says in all when the stream is lost', async () => {
    const lesson = dev.url + (await lessonHash(outDir, P.grade7Arabic, S.arabic, EDITED.id));
    const { tabs } = await openTabs(lesson, 2);
    for (const tab of tabs) await connectedAt(tab, dev.live.current().build);
    site.addFault({ kind: 'status', status: 502, times: 1_000_000 });
    try {
      for (const tab of tabs) await tab.getByTestId('live-error').filter({ hasText: 'The last pull failed' }).waitFor(WAIT);
      // A tab that joins now hears the failure from the tab that holds the stream.
      const late = await tabs[0]!.context().newPage();
      await late.goto(lesson, WAIT);
      tabs.push(late);
      await late.getByTestId('live-error').filter({ hasText: 'The last pull failed' }).waitFor(WAIT);
      await connectedAt(late, dev.live.current().build);
      expect(await late.getByTestId('live-panel').getAttribute('data-stream')).toBe('relayed');
    } finally {
      site.clearFaults();
    }
    for (const tab of tabs) await tab.getByTestId('live-error').waitFor({ state: 'detached', ...WAIT });
    // The stream ends and dev refuses another: every tab says it is disconnected, not only the holder.
    dev.live.close();
    for (const tab of tabs) await tab.getByTestId('live-status').filter({ hasText: 'Disconnected from dev' }).waitFor(WAIT);
  });
});

/** The tab that holds the shared stream (its live panel says so); the others hear it relayed. */
async function holderOf(tabs: Page[]): Promise<Page> {
  const holders: Page[] = [];
  for (const tab of tabs) {
    const mode = await tab.getByTestId('live-panel').getAttribute('data-stream');
    expect(['holder', 'relayed']).toContain(mode);
    if (mode === 'holder') holders.push(tab);
  }
  expect(holders).toHaveLength(1);
  return holders[0]!;
}

describe('dev watching the content cache', () => {
  let dev: DevSession;
  let cacheDir: string;
  let outDir: string;

  beforeAll(async () => {
    const root = await tempDir('memora-dev-watch-');
    cacheDir = path.join(root, 'cache');
    outDir = path.join(root, 'out');
    const sample = await readCache(SAMPLE_CACHE_DIR);
    await writeCache(cacheDir, { replace: sample.docs, ...(sample.index.site_meta ? { siteMeta: sample.index.site_meta } : {}), fsync: false });
    dev = await startDev({ cacheDir, outDir, port: 0, source: { kind: 'cache', settleMs: 100 }, log: memoryLogger() });
  });

  afterAll(async () => {
    await dev?.close();
  });

  it('rebuilds when a changed cache is written, and the open viewer shows it', async () => {
    expect(dev.source).toBe(`the content cache in ${cacheDir}`);
    const page = await openPage(dev.url + (await lessonHash(outDir, P.grade7Arabic, S.arabic, EDITED.id)));
    await page.getByTestId('lesson-title').filter({ hasText: EDITED.title }).waitFor(WAIT);
    await page.getByTestId('live-panel').waitFor(WAIT);

    const cache = await readCache(cacheDir);
    const lessons = cache.docs[DOCTYPES.lesson].map((l) => (l.name === EDITED.id ? { ...l, title: 'عنوان من ذاكرة المحتوى' } : l));
    await writeCache(cacheDir, { replace: { [DOCTYPES.lesson]: lessons }, fsync: false });
    await page.getByTestId('lesson-title').filter({ hasText: 'عنوان من ذاكرة المحتوى' }).waitFor(WAIT);
    expect(dev.live.current().last_build?.changed).toEqual(expect.arrayContaining([`lessons/${EDITED.id}.json`]));
  });
});
