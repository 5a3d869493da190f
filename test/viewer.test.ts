/**
 * End-to-end tests of the preview viewer in Chromium, driven by playwright-core (which never
 * downloads a browser): CHROMIUM_PATH, else a system Chromium, else the one shipped in the
 * `@sparticuz/chromium` npm package (test/browser.ts). These tests never skip: a viewer nobody
 * tested is not done.
 *
 * Screenshots go to test-artifacts/viewer/ (git-ignored; CI can upload the folder).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, SAMPLE_IDS } from '../samples/catalog.ts';
import { CDN_FORMAT_VERSION, keys } from '../packages/client/src/layout.ts';
import { lessonInPlan, type LessonFile, type Manifest, type SubjectFile, type SubjectLesson, type User } from '../packages/client/src/index.ts';
import { build } from '../src/build/build.ts';
import { writeCache } from '../src/content/cache.ts';
import { deploy } from '../src/deploy/deploy.ts';
import type { DeployReport } from '../src/deploy/report.ts';
import { createDirectoryStorage } from '../src/deploy/storage/directory.ts';
import type { Storage } from '../src/deploy/storage/types.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { memoryLogger } from '../src/log.ts';
import { startPreviewServer, type PreviewServer } from '../src/preview/server.ts';
import { formatRoute, parseRoute } from '../src/preview/viewer/route.ts';
import { launchChromium } from './browser.ts';
import { tempDir } from './helpers.ts';

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/viewer/', import.meta.url));
const { plans: P, subjects: S, badData: BAD } = SAMPLE_IDS;

/** A paid lesson of the Arabic plan (Math, fractions track): ITEM-MATH-7 unlocks it. */
const PAID = { subject: S.math, unit: 'f2r3a4c5t6', lesson: 'درس-الكسور', title: 'جمع الكسور المتشابهة', item: 'ITEM-MATH-7' };
/** A lesson whose title has diacritics (المُبْتَدَأُ); the query has none. */
const SEARCH = { query: 'المبتدأ', marked: 'المُبْتَدَأُ', title: 'المُبْتَدَأُ والخَبَرُ' };

let browser: Browser;
let preview: PreviewServer;
let storage: Storage;
let report: DeployReport;
let outDir: string;

/** Pages opened by a test, with every URL they requested and every script error. */
const opened: { context: BrowserContext; requests: string[]; errors: string[]; origin: string }[] = [];

/** A fresh page on `server` (optionally at a hash route), recording what it requests. */
async function openViewer(server: PreviewServer, hash = ''): Promise<{ page: Page; requests: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  opened.push({ context, requests, errors, origin: new URL(server.url).origin });
  await page.goto(server.url + hash);
  return { page, requests };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Requests for CDN files (the keys the build writes), as paths. */
function cdnRequests(requests: readonly string[]): string[] {
  return requests.map((u) => new URL(u)).filter((u) => /^\/(plans|units|lessons)\//.test(u.pathname)).map((u) => u.pathname);
}

function lessonHash(plan: string, subject: string, unit: string, lesson: string): string {
  return `#/plan/${encodeURIComponent(plan)}/subject/${encodeURIComponent(subject)}/unit/${encodeURIComponent(unit)}/lesson/${encodeURIComponent(lesson)}`;
}

beforeAll(async () => {
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
  const root = await tempDir('memora-viewer-');
  outDir = path.join(root, 'out');
  storage = createDirectoryStorage(path.join(root, 'bucket'), { fsync: false });
  // A real deploy of the samples into a local folder: builds out/ and leaves a state and a report.
  report = await deploy({
    cacheDir: SAMPLE_CACHE_DIR,
    outDir,
    plans: [],
    force: false,
    dryRun: false,
    client: null,
    storage,
    purger: null,
    purgeSkipped: 'no Cloudflare in tests',
    concurrency: 8,
    trigger: 'viewer e2e',
    log: memoryLogger(),
  });
  expect(report.status).toBe('success');
  preview = await startPreviewServer({ outDir, port: 0, storage });
});

afterEach(async () => {
  // The viewer never talks to anything but the preview server.
  for (const { context, requests, errors, origin } of opened.splice(0)) {
    await context.close();
    expect(errors).toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
  }
});

afterAll(async () => {
  await browser?.close();
  await preview?.close();
  await storage?.close();
});

describe('viewer: browsing', () => {
  it('picks a plan and navigates subject, unit and lesson, with access badges and stages', async () => {
    const { page } = await openViewer(preview);
    await expect.poll(() => page.getByTestId('plan-list').getByRole('link').count()).toBe(3);
    await shot(page, '01-plans');

    await page.getByLabel('Plan').selectOption(P.grade7Arabic);
    await page.getByTestId('plan-title').filter({ hasText: 'الخطة الدراسية - الصف السابع' }).waitFor();
    // Every subject row carries an access badge; Math is paid and locked for an anonymous visitor.
    const subjects = page.getByTestId('subject-row');
    await expect.poll(() => subjects.count()).toBe(3);
    await expect.poll(() => subjects.filter({ has: page.getByTestId('access-badge') }).count()).toBe(3);
    const math = subjects.filter({ hasText: 'الرياضيات' });
    await expect.poll(() => math.getByTestId('access-badge').textContent()).toBe(`paid: ${PAID.item}`);
    await math.getByTestId('lock').waitFor();
    await shot(page, '02-plan');

    await page.getByRole('link', { name: 'اللغة العربية' }).click();
    await page.getByTestId('subject-title').filter({ hasText: 'اللغة العربية' }).waitFor();
    await expect.poll(() => page.getByTestId('subject-title').getByTestId('access-badge').textContent()).toBe('public');
    await page.getByRole('link', { name: 'الجُمْلَةُ العَرَبِيَّةُ' }).click();
    await page.getByTestId('unit-title').waitFor();
    await expect.poll(() => page.getByTestId('lesson-row').count()).toBeGreaterThan(2);
    await page.getByRole('link', { name: SEARCH.title }).click();

    const lesson = page.getByTestId('lesson');
    await lesson.getByTestId('lesson-title').filter({ hasText: SEARCH.title }).waitFor();
    const stages = page.getByTestId('stage');
    await expect.poll(() => stages.count()).toBe(2);
    await expect.poll(() => stages.nth(0).getAttribute('data-type')).toBe('video');
    await expect.poll(() => stages.nth(0).getByRole('link').getAttribute('href')).toBe('https://www.youtube.com/watch?v=kJ8b3xGmR2s');
    await expect.poll(() => stages.nth(0).textContent()).toContain('5:01');
    await expect.poll(() => stages.nth(1).getAttribute('data-type')).toBe('question');
    await expect.poll(() => stages.nth(1).getByTestId('answer').textContent()).toContain('مبتدأ مرفوع');
    await shot(page, '03-lesson');

    // The state is in the URL: a reload shows the same lesson, back returns to the unit.
    await page.reload();
    await page.getByTestId('lesson-title').filter({ hasText: SEARCH.title }).waitFor();
    await page.goBack();
    await page.getByTestId('unit-title').waitFor();
  });

  it("shows the plan's previous and next lesson, past a topic the plan hides, and what the lesson file links instead", async () => {
    // A lesson of the Arabic plan whose file (shared by every plan) leads into a topic the plan hides.
    const read = async <T,>(key: string): Promise<T> => JSON.parse(await readFile(path.join(outDir, ...key.split('/')), 'utf8')) as T;
    const manifest = await read<Manifest>(keys.manifest(P.grade7Arabic));
    let found: { subject: string; unit: string; lesson: string; next: SubjectLesson; fileNext: string; items: string[] } | undefined;
    for (const entry of manifest.subjects) {
      const subject = await read<SubjectFile>(keys.subject(P.grade7Arabic, entry.id));
      for (const track of subject.tracks) for (const unit of track.units) for (const topic of unit.topics) for (const lesson of topic.lessons) {
        const place = lessonInPlan(subject, lesson.id);
        const file = await read<LessonFile>(keys.lesson(lesson.id));
        if (!found && place?.next && file.navigation.next && file.navigation.next.id !== place.next.id) found = { subject: subject.id, unit: unit.id, lesson: lesson.id, next: place.next, fileNext: file.navigation.next.id, items: [lesson.access.required_item ?? ''].filter(Boolean) };
      }
    }
    if (!found) throw new Error('the sample plan hides no lesson that another lesson file leads to');
    // Seen by the owner of its item, if it has one: a locked lesson shows no stages and no navigation.
    const user: User = found.items.length > 0 ? { kind: 'owner', items: found.items } : { kind: 'anonymous' };
    const { page } = await openViewer(preview, formatRoute({ planId: P.grade7Arabic, subjectId: found.subject, unitId: found.unit, lessonId: found.lesson, user }));
    const nav = page.getByTestId('lesson-nav');
    await nav.waitFor();
    await expect.poll(() => nav.getByRole('link').last().textContent()).toBe(found.next.title);
    await expect.poll(() => nav.textContent()).toContain(`(the lesson file links ${found.fileNext}: not in this plan's order)`);
  });

  it("lists the last build's warnings and the last deploy's status", async () => {
    const { page } = await openViewer(preview, `#/plan/${P.grade7Arabic}`);
    const warnings = page.getByTestId('build-warnings');
    await warnings.waitFor();
    await warnings.getByTestId('build-warning').filter({ hasText: BAD.emptyTitleLesson }).filter({ hasText: 'empty or blank title' }).waitFor();
    await warnings.getByTestId('build-warning').filter({ hasText: BAD.orphanLesson }).waitFor();

    const deployPanel = page.getByTestId('deploy-panel');
    await expect.poll(() => deployPanel.getByTestId('deploy-status').textContent()).toBe('success');
    await expect.poll(() => deployPanel.textContent()).toContain('viewer e2e');
    await expect.poll(() => deployPanel.textContent()).toContain(report.id);
    await expect.poll(() => deployPanel.textContent()).toContain(`Uploaded${report.uploaded.length}`);
    await shot(page, '04-build-and-deploy');
  });
});

describe('viewer: search', () => {
  it('finds an Arabic title by a word typed without diacritics, highlights it right to left and opens the hit', async () => {
    const { page, requests } = await openViewer(preview, `#/plan/${P.grade7Arabic}`);
    await page.getByTestId('plan-title').waitFor();
    await page.getByLabel('Search lessons').fill(SEARCH.query);
    const hit = page.getByTestId('search-hit').filter({ hasText: SEARCH.title });
    await hit.waitFor();
    // The matched word is marked as written, diacritics and all.
    await expect.poll(() => hit.locator('mark').first().textContent()).toBe(SEARCH.marked);
    const title = hit.locator('.hit-title');
    await expect.poll(() => title.getAttribute('lang')).toBe('ar');
    await expect.poll(() => title.evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
    expect(cdnRequests(requests).some((p) => p.startsWith(`/plans/${P.grade7Arabic}/search_index~`))).toBe(true);
    await shot(page, '05-search');

    await hit.click();
    await page.getByTestId('lesson-title').filter({ hasText: SEARCH.title }).waitFor();
    await expect.poll(() => page.getByTestId('stage').count()).toBe(2);
    await shot(page, '06-search-hit-opened');
  });

  it('finds the lesson from the same keys typed on the English layout, and says what it searched', async () => {
    const { page } = await openViewer(preview, `#/plan/${P.grade7Arabic}`);
    await page.getByTestId('plan-title').waitFor();
    // المبتدا, typed with the keyboard left on English.
    await page.getByLabel('Search lessons').fill('hglfj]h');
    await page.getByTestId('search-hit').filter({ hasText: SEARCH.title }).waitFor();
    const notice = page.getByTestId('search-retyped');
    await expect.poll(() => notice.textContent()).toBe('Results for “المبتدا”: the keys of “hglfj]h” on the other keyboard layout.');
    await expect.poll(() => notice.locator('bdi').first().getAttribute('lang')).toBe('ar');
    await shot(page, '05b-search-retyped');
  });
});

describe('viewer: view as', () => {
  it('locks a paid lesson for anonymous and logged-in students, naming its item, and unlocks it for its owner', async () => {
    const { page, requests } = await openViewer(preview, lessonHash(P.grade7Arabic, PAID.subject, PAID.unit, PAID.lesson));
    await page.getByTestId('lesson-title').filter({ hasText: PAID.title }).waitFor();
    const lock = page.getByTestId('lock-reason');
    await lock.waitFor();
    await expect.poll(() => lock.getByTestId('unlocked-by').textContent()).toBe(`Unlocked by ${PAID.item}.`);
    await expect.poll(() => lock.textContent()).toContain('anonymous');
    expect(await page.getByTestId('stage').count()).toBe(0);
    await shot(page, '07-paid-lesson-anonymous');

    await page.getByRole('radio', { name: 'Logged in' }).check();
    await expect.poll(() => lock.textContent()).toContain('logged-in');
    await expect.poll(() => lock.textContent()).toContain(`needs item ${PAID.item}`);
    expect(await page.getByTestId('stage').count()).toBe(0);
    // A locked lesson's file is never fetched: its stages stay hidden.
    expect(cdnRequests(requests).filter((p) => p.startsWith('/lessons/'))).toEqual([]);

    await page.getByRole('radio', { name: 'Owner of items' }).check();
    await page.getByTestId('owned-items').waitFor();
    await expect.poll(() => lock.isVisible()).toBe(true);
    await page.getByRole('checkbox', { name: PAID.item, exact: true }).check();
    await expect.poll(() => page.getByTestId('stage').count()).toBe(2);
    expect(await page.getByTestId('lock-reason').count()).toBe(0);
    await expect.poll(() => page.getByTestId('lesson').textContent()).toContain(`unlocked by item ${PAID.item}`);
    await expect.poll(() => page.getByTestId('viewing-as').textContent()).toContain(PAID.item);
    expect(page.url()).toContain(`item=${PAID.item}`);
    await shot(page, '08-paid-lesson-owner');

    // Another item does not unlock it.
    await page.getByRole('checkbox', { name: PAID.item, exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'ITEM-MATH-7-GEO', exact: true }).check();
    await page.getByTestId('lock-reason').waitFor();
    expect(await page.getByTestId('stage').count()).toBe(0);
  });
});

describe('viewer: a 5,000-lesson plan', () => {
  let big: PreviewServer;
  let planId: string;

  beforeAll(async () => {
    const root = await tempDir('memora-viewer-big-');
    const cacheDir = path.join(root, 'cache');
    const outDir = path.join(root, 'out');
    const catalog = generateCatalog({ plans: 1, lessons: 5_000, seed: 11 });
    await writeCache(cacheDir, { replace: catalog.docs, fsync: false });
    const summary = await build({ cacheDir, outDir, log: memoryLogger() });
    expect(summary.plans).toHaveLength(1);
    planId = summary.plans[0] as string;
    big = await startPreviewServer({ outDir, port: 0 });
  });

  afterAll(async () => {
    await big?.close();
  });

  it('opens a subject, a unit and a lesson while fetching only the files it shows', async () => {
    const { page, requests } = await openViewer(big);
    await page.getByLabel('Plan').selectOption(planId);
    await page.getByTestId('subject-row').first().waitFor();
    expect(cdnRequests(requests)).toEqual([`/plans/${planId}/manifest.json`]);

    await page.getByTestId('subject-row').first().getByRole('link').click();
    await page.getByTestId('subject-title').waitFor();
    await page.getByTestId('unit-row').first().waitFor();
    const afterSubject = cdnRequests(requests);
    expect(afterSubject).toHaveLength(2);
    expect(afterSubject[1]).toMatch(new RegExp(`^/plans/${planId}/subjects/`));
    await shot(page, '09-large-plan-subject');

    // The unit page is drawn from the subject file: nothing more is fetched.
    await page.getByTestId('unit-row').first().getByRole('link').click();
    await page.getByTestId('unit-title').waitFor();
    await page.getByTestId('lesson-row').first().waitFor();
    expect(cdnRequests(requests)).toHaveLength(2);

    // Opening a lesson fetches that lesson's file only (view as an owner of everything it may need).
    await page.getByRole('radio', { name: 'Owner of items' }).check();
    await page.getByTestId('owned-items').waitFor();
    for (const box of await page.getByTestId('owned-items').getByRole('checkbox').all()) {
      if (!(await box.isChecked())) await box.check();
    }
    await page.getByTestId('lesson-row').first().getByRole('link').click();
    await page.getByTestId('lesson-title').waitFor();
    await page.getByTestId('lesson').filter({ has: page.getByTestId('stages').or(page.getByTestId('lock-reason')) }).waitFor();
    const all = cdnRequests(requests);
    expect(all.length).toBeLessThanOrEqual(3);
    expect(all.filter((p) => p.startsWith('/units/'))).toEqual([]);
    expect(all.filter((p) => p.startsWith('/lessons/')).length).toBeLessThanOrEqual(1);
  });
});

describe('viewer: content is shown as text', () => {
  let hostile: PreviewServer;
  const open = { is_published: true, access_level: 'public', is_sold_separately: false, parent_item_required: false };
  const IMG = '<img src="/pwned.png" onerror="window.__pwned=1">';

  beforeAll(async () => {
    const outDir = path.join(await tempDir('memora-viewer-xss-'), 'out');
    const put = async (key: string, value: unknown): Promise<void> => {
      await mkdir(path.dirname(path.join(outDir, key)), { recursive: true });
      await writeFile(path.join(outDir, key), JSON.stringify(value));
    };
    const lesson = { id: 'l', title: `${IMG} lesson`, sort_order: 1, access: open, url: 'lessons/l.json' };
    await put('plans/x/manifest.json', {
      format_version: CDN_FORMAT_VERSION, plan_id: 'x', title: `${IMG} plan`, season: null, grade: null, stream: null, version: 'v', generated_at: 'g',
      subjects: [{ id: 's', title: '<script>window.__pwned=2</script>subject', color_code: 'red;background:url(/pwned.png)', image: '/pwned.png', sort_order: 1, url: 'plans/x/subjects/s.json', access: open }],
      search_index_url: 'plans/x/search_index.json',
    });
    await put('plans/x/subjects/s.json', {
      id: 's', title: 'subject', description: IMG, image: '/pwned.png', color_code: null, sort_order: 1, access: open,
      tracks: [{ id: 't', title: 'track', description: null, image: null, sort_order: 1, access: open, units: [{ id: 'u', title: 'unit', sort_order: 1, access: open, url: 'units/u.json', topics: [{ id: 'tp', title: 'topic', sort_order: 1, access: open, lessons: [lesson] }] }] }],
      stats: { tracks: 1, units: 1, topics: 1, lessons: 1 },
    });
    await put('lessons/l.json', {
      id: 'l', title: 'base', description: IMG, image: '/pwned.png', sort_order: 1, access: open,
      parents: { topic: { id: 'tp', title: 'topic' }, unit: { id: 'u', title: 'unit', url: 'units/u.json' }, track: { id: 't', title: 'track' }, subject: { id: 's', title: 'subject' } },
      stages: [
        { idx: 1, title: IMG, type: 'video', config: { video_url: 'javascript:window.__pwned=3', duration_seconds: 10 } },
        { idx: 2, title: 'text', type: 'text', config: { format: 'html', body: `<b onmouseover="window.__pwned=4">bold</b>${IMG}` } },
        { idx: 3, title: 'question', type: 'question', config: { question: IMG, options: [IMG, 'b'], answer: 1 } },
      ],
      navigation: { previous: null, next: null },
    });
    hostile = await startPreviewServer({ outDir, port: 0 });
  });

  afterAll(async () => {
    await hostile?.close();
  });

  it('never turns titles, descriptions or stage bodies into markup', async () => {
    const { page, requests } = await openViewer(hostile, lessonHash('x', 's', 'u', 'l'));
    await page.getByTestId('lesson-title').filter({ hasText: `${IMG} lesson` }).waitFor();
    await expect.poll(() => page.getByTestId('lesson').textContent()).toContain(`<b onmouseover="window.__pwned=4">bold</b>`);
    await expect.poll(() => page.getByTestId('stage').count()).toBe(3);
    // A javascript: URL is shown, never linked.
    expect(await page.getByTestId('stage').nth(0).getByRole('link').count()).toBe(0);
    await page.getByTestId('stage').nth(1).hover();
    await page.goto(`${hostile.url}#/plan/x`);
    await page.getByTestId('plan-title').filter({ hasText: `${IMG} plan` }).waitFor();
    await page.getByTestId('subject-row').filter({ hasText: '<script>window.__pwned=2</script>subject' }).waitFor();
    expect(await page.locator('img, script:not([src])').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(requests.filter((u) => u.includes('pwned'))).toEqual([]);
    await shot(page, '10-content-as-text');
  });
});

describe('viewer: routes', () => {
  it('keeps plan, subject, unit, lesson, view-as and query in the hash', () => {
    const route = { planId: 'خطة 1', subjectId: 'MATH/7', unitId: 'Unit 1 Intro', lessonId: 'lesson..x', user: { kind: 'owner' as const, items: ['ITEM B', 'ITEM-A'] }, q: 'المبتدأ' };
    const hash = formatRoute(route);
    expect(hash.startsWith('#/plan/')).toBe(true);
    expect(parseRoute(hash)).toEqual(route);
    expect(parseRoute('#/plan/p/lesson/l')).toEqual({ planId: 'p', user: { kind: 'anonymous' } });
    expect(parseRoute('#/plan/p?as=authenticated')).toEqual({ planId: 'p', user: { kind: 'authenticated' } });
    expect(parseRoute('#/plan/%E0%A4%A')).toEqual({ user: { kind: 'anonymous' } });
    expect(formatRoute({ user: { kind: 'anonymous' } })).toBe('#/');
  });
});
