/**
 * The preview viewer for every reader: axe-core finds no serious or critical violation (contrast
 * included) on any view the router offers, in the light and the dark colour scheme, on a desktop
 * (1280x800) and a phone (390x844); no view scrolls sideways; Arabic text is marked
 * as Arabic and laid out right to left; counts, times and locks read as they should; a focused
 * element never hides under the sticky header.
 *
 * One Chromium for the file, one context per size and scheme. The catalog is the samples, deployed
 * into a local folder with signed video URLs (long ones, as a real bucket's), so that the deploy
 * panel has a report to show. Full-page screenshots of every view, size and scheme go to
 * test-artifacts/viewer-a11y/ (git-ignored).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, SAMPLE_IDS } from '../samples/catalog.ts';
import { deploy } from '../src/deploy/deploy.ts';
import type { DeployReport } from '../src/deploy/report.ts';
import { createDirectoryStorage } from '../src/deploy/storage/directory.ts';
import { createS3Storage } from '../src/deploy/storage/s3.ts';
import type { Storage } from '../src/deploy/storage/types.ts';
import { memoryLogger } from '../src/log.ts';
import { startPreviewServer, type PreviewServer } from '../src/preview/server.ts';
import { count, formatTimestamp, parseTimestamp } from '../src/preview/viewer/format.ts';
import { isArabic } from '../src/preview/viewer/lang.ts';
import { formatRoute, type Route } from '../src/preview/viewer/route.ts';
import { launchChromium } from './browser.ts';
import { tempDir } from './helpers.ts';

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/viewer-a11y/', import.meta.url));
const { plans: P, subjects: S } = SAMPLE_IDS;

const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const SCHEMES = ['light', 'dark'] as const;
type Size = (typeof SIZES)[number];
type Scheme = (typeof SCHEMES)[number];

/** The signing clock: every signed URL in the deployed lessons expires at SIGNED_EXPIRY. */
const SIGNING_NOW = new Date('2026-11-30T07:30:00Z');
const SIGNED_EXPIRY = '2026-11-30T10:00:00Z';

/** A paid lesson of the Arabic plan with a bucket video (signed by the deploy) and a question in Arabic numerals. */
const PAID = { subject: S.math, unit: 'f2r3a4c5t6', lesson: 'درس-الكسور', title: 'جمع الكسور المتشابهة', item: 'ITEM-MATH-7' };
/** A lesson with a video link and a question whose options are Arabic. */
const QUESTION = { subject: S.arabic, unit: 'i1r2a3b4n5', lesson: 'a1m2b3t4d5', title: 'المُبْتَدَأُ والخَبَرُ' };
/** A lesson with an interactive stage whose settings hold Arabic strings. */
const INTERACTIVE = { subject: S.arabic, unit: 'b3a4y5a6n7', lesson: 'a5r6k7a8n9', strings: ['"المشبه"', '"زيد"'] };
/** A query whose hits include PAID's lesson and lessons open to everyone. */
const QUERY = 'الكسور';

const anonymous = { kind: 'anonymous' } as const;
const owner = { kind: 'owner', items: [PAID.item] } as const;
const at = (route: Omit<Route, 'user'>, user: Route['user'] = anonymous): string => formatRoute({ ...route, user });

interface View {
  name: string;
  hash: string;
  /** Resolves once the view is drawn, its data loaded. */
  ready(page: Page): Promise<void>;
}

/** Every view the router offers (home, plan, subject, unit, lesson, search, a retyped search), and the lesson's states. */
const VIEWS: View[] = [
  { name: 'plans', hash: at({}), ready: (page) => page.getByTestId('plan-list').getByRole('link').first().waitFor() },
  { name: 'plan', hash: at({ planId: P.grade7Arabic }), ready: (page) => page.getByTestId('subject-row').first().waitFor() },
  { name: 'subject', hash: at({ planId: P.grade7Arabic, subjectId: S.math }), ready: (page) => page.getByTestId('unit-row').first().waitFor() },
  { name: 'unit', hash: at({ planId: P.grade7Arabic, subjectId: S.arabic, unitId: QUESTION.unit }), ready: (page) => page.getByTestId('lesson-row').first().waitFor() },
  { name: 'lesson-question', hash: at({ planId: P.grade7Arabic, subjectId: QUESTION.subject, unitId: QUESTION.unit, lessonId: QUESTION.lesson }), ready: stagesShown },
  { name: 'lesson-interactive', hash: at({ planId: P.grade7Arabic, subjectId: INTERACTIVE.subject, unitId: INTERACTIVE.unit, lessonId: INTERACTIVE.lesson }), ready: stagesAndJsonShown },
  { name: 'lesson-locked', hash: at({ planId: P.grade7Arabic, subjectId: PAID.subject, unitId: PAID.unit, lessonId: PAID.lesson }), ready: (page) => page.getByTestId('lock-reason').waitFor() },
  { name: 'lesson-signed-video', hash: at({ planId: P.grade7Arabic, subjectId: PAID.subject, unitId: PAID.unit, lessonId: PAID.lesson }, owner), ready: stagesShown },
  { name: 'search', hash: at({ planId: P.grade7Arabic, q: QUERY }), ready: (page) => page.getByTestId('search-hit').getByTestId('lock').first().waitFor() },
  // الكسور typed with the keyboard on English: the hits of the retyped query, and a line saying so.
  { name: 'search-retyped', hash: at({ planId: P.grade7Arabic, q: 'hg;s,v' }), ready: (page) => page.getByTestId('search-retyped').waitFor() },
  { name: 'not-found', hash: at({ planId: P.grade7Arabic, subjectId: 'no-such-subject' }), ready: (page) => page.getByTestId('vanished').waitFor() },
];

async function stagesShown(page: Page): Promise<void> {
  await page.getByTestId('stages').waitFor();
}

/** The stages, with every folded part open (each stage's config and the deploy report, as JSON). */
async function stagesAndJsonShown(page: Page): Promise<void> {
  await stagesShown(page);
  await page.getByTestId('deploy-panel').locator('details.raw').waitFor();
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
}

let browser: Browser;
let preview: PreviewServer;
let storage: Storage;
let report: DeployReport;
let axeSource: string;
const contexts = new Map<string, BrowserContext>();

/** One context per size and scheme (reused by the tests that need it), with axe injected into every page. */
async function contextFor(size: Size, scheme: Scheme): Promise<BrowserContext> {
  const key = `${size.name}-${scheme}`;
  let context = contexts.get(key);
  if (!context) {
    context = await browser.newContext({ viewport: { width: size.width, height: size.height }, colorScheme: scheme, locale: 'en-US', timezoneId: 'UTC' });
    // An init script runs before the page's own, through the DevTools protocol: the viewer's
    // Content-Security-Policy stays as it is.
    await context.addInitScript({ content: axeSource });
    contexts.set(key, context);
  }
  return context;
}

/**
 * Opens a view and waits until it and the status panels are drawn: the first by loading the page,
 * the next ones by following the hash, as a reader does.
 */
async function show(page: Page, view: View): Promise<void> {
  if (!page.url().startsWith(preview.url)) {
    await page.goto(preview.url + view.hash);
  } else {
    // The viewer redraws on hashchange, its listener first: once this one runs, the old view is gone.
    await page.evaluate(
      (hash) =>
        new Promise<void>((resolve) => {
          window.addEventListener('hashchange', () => resolve(), { once: true });
          location.hash = hash;
        }),
      view.hash,
    );
  }
  await view.ready(page);
  await page.getByTestId('build-summary').waitFor();
  await page.getByTestId('deploy-panel').getByTestId('deploy-status').waitFor();
  await page.getByTestId('loading').waitFor({ state: 'detached' });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** axe-core's serious and critical violations on the page, one readable line per element. */
async function seriousViolations(page: Page): Promise<string[]> {
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${JSON.stringify(n.target)}: ${v.help}${n.failureSummary ? ` - ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`));
}

/** How far the page scrolls sideways (0 when it fits the viewport). */
function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
}

beforeAll(async () => {
  const [chromium, axe] = await Promise.all([launchChromium(), readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')]);
  browser = chromium;
  axeSource = axe;
  await mkdir(ARTIFACTS, { recursive: true });
  const root = await tempDir('memora-viewer-a11y-');
  const outDir = path.join(root, 'out');
  // A folder bucket that presigns like S3 (a presigned URL is computed locally: no request).
  const signer = createS3Storage({ provider: 'aws-s3', region: 'eu-central-1', bucket: 'memora-media', accessKeyId: 'test-access-key', secretAccessKey: 'test-secret-key' });
  const folder = createDirectoryStorage(path.join(root, 'bucket'), { fsync: false });
  storage = { ...folder, presignGet: (key, options) => signer.presignGet!(key, options), close: async () => { await Promise.all([folder.close(), signer.close()]); } };
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
    trigger: 'viewer accessibility',
    log: memoryLogger(),
    signing: { expiryHours: 4, now: () => SIGNING_NOW },
  });
  expect(report.status).toBe('success');
  preview = await startPreviewServer({ outDir, port: 0, storage });
});

afterAll(async () => {
  for (const context of contexts.values()) await context.close();
  await browser?.close();
  await preview?.close();
  await storage?.close();
});

describe('viewer accessibility: every view, both sizes, both colour schemes', () => {
  for (const scheme of SCHEMES) {
    for (const size of SIZES) {
      it(`has no serious or critical axe violation and no sideways scrolling on any view (${size.name} ${size.width}x${size.height}, ${scheme})`, async () => {
        const page = await (await contextFor(size, scheme)).newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        const problems: string[] = [];
        for (const view of VIEWS) {
          await show(page, view);
          await page.screenshot({ path: path.join(ARTIFACTS, `${view.name}-${size.name}-${scheme}.png`), fullPage: true });
          for (const line of await seriousViolations(page)) problems.push(`${view.name}: ${line}`);
          const overflow = await sidewaysOverflow(page);
          if (overflow > 0) problems.push(`${view.name}: the page scrolls ${overflow} px sideways at ${size.width} px`);
        }
        // The plain index of the plans (no script), at /_viewer/plans beside the viewer.
        await page.goto(new URL('/_viewer/plans', preview.url).href);
        await page.locator('main section').first().waitFor();
        await page.screenshot({ path: path.join(ARTIFACTS, `plain-index-${size.name}-${scheme}.png`), fullPage: true });
        for (const line of await seriousViolations(page)) problems.push(`plain-index: ${line}`);
        const overflow = await sidewaysOverflow(page);
        if (overflow > 0) problems.push(`plain-index: the page scrolls ${overflow} px sideways at ${size.width} px`);
        await page.close();
        expect(errors).toEqual([]);
        expect(problems, `\n${problems.join('\n')}\n`).toEqual([]);
      });
    }
  }
});

/** A page of the desktop, light context, at a view. */
async function openAt(hash: string, size: Size = SIZES[0]): Promise<Page> {
  const page = await (await contextFor(size, 'light')).newPage();
  await page.goto(preview.url + hash);
  return page;
}

/** The text of an element with its white space folded (dates hold narrow no-break spaces). */
async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

describe('viewer: Arabic text', () => {
  it('marks Arabic titles, options and the search-hit path as Arabic, right to left; JSON settings stay left to right', async () => {
    const question = VIEWS.find((v) => v.name === 'lesson-question')!;
    const page = await openAt(question.hash);
    await question.ready(page);
    const title = page.getByTestId('lesson-title').locator('.title');
    expect(await title.getAttribute('lang')).toBe('ar');
    expect(await title.evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
    expect(await title.textContent()).toBe(QUESTION.title);

    // The options' list runs right to left, its numbers in the padding on the right (inside the card).
    const options = page.locator('[data-type=question] ol.options');
    expect(await options.evaluate((el) => [getComputedStyle(el).direction, el.getAttribute('lang')])).toEqual(['rtl', 'ar']);
    expect(await options.evaluate((el) => parseFloat(getComputedStyle(el).paddingRight))).toBeGreaterThanOrEqual(16);
    const optionBox = await options.boundingBox();
    const cardBox = await page.locator('[data-type=question]').boundingBox();
    expect(optionBox!.x + optionBox!.width).toBeLessThanOrEqual(cardBox!.x + cardBox!.width);
    expect(await options.locator('li bdi[lang=ar]').count()).toBe(3);

    // Search hits: the path reads right to left, subject first (on the right), then unit, then topic.
    await page.getByLabel('Search lessons').fill(QUERY);
    const hit = page.getByTestId('search-hit').filter({ hasText: PAID.title });
    await hit.getByTestId('lock').waitFor();
    expect(await hit.locator('.hit-title').getAttribute('lang')).toBe('ar');
    const pathEl = hit.getByTestId('hit-path');
    expect(await pathEl.evaluate((el) => [getComputedStyle(el).direction, el.getAttribute('lang')])).toEqual(['rtl', 'ar']);
    const [subjectX, unitX, topicX] = await pathEl.locator('bdi').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().left));
    expect(subjectX).toBeGreaterThan(unitX!);
    expect(unitX).toBeGreaterThan(topicX!);
    expect(await pathEl.locator('bdi[lang=ar]').count()).toBe(3);

    // Interactive settings holding Arabic: JSON as code, left to right; each Arabic string isolated, right to left.
    const interactive = VIEWS.find((v) => v.name === 'lesson-interactive')!;
    await page.goto(preview.url + interactive.hash);
    await interactive.ready(page);
    const settings = page.getByTestId('interactive-settings').locator('pre');
    expect(await settings.evaluate((el) => [el.getAttribute('dir'), getComputedStyle(el).direction])).toEqual(['ltr', 'ltr']);
    const strings = settings.locator('.json-string');
    const [first, second] = INTERACTIVE.strings;
    const firstString = strings.filter({ hasText: first! }).first();
    expect(await firstString.evaluate((el) => [el.getAttribute('lang'), getComputedStyle(el).direction, getComputedStyle(el).unicodeBidi])).toEqual(['ar', 'rtl', 'isolate']);
    // The pairs keep their order: the first string comes before the second.
    const firstTop = (await firstString.boundingBox())!.y;
    const secondTop = (await strings.filter({ hasText: second! }).first().boundingBox())!.y;
    expect(firstTop).toBeLessThan(secondTop);
    expect(await settings.textContent()).toContain(`${first},`);
    await page.close();
  });

  it('judges text Arabic by most of its letters and Arabic-Indic digits', () => {
    expect(isArabic('المُبْتَدَأُ والخَبَرُ')).toBe(true);
    expect(isArabic('٥/١٤')).toBe(true);
    expect(isArabic('HTML في الويب العربي')).toBe(true);
    expect(isArabic('Adding fractions')).toBe(false);
    expect(isArabic('Grade 7 mathematics: الجبر')).toBe(false);
    expect(isArabic('12:30')).toBe(false);
    expect(isArabic('')).toBe(false);
  });
});

describe('viewer: counts and times', () => {
  it('writes counts with the right plural: 1 topic, 2 topics', async () => {
    expect([0, 1, 2, 1234].map((n) => count(n, 'lesson'))).toEqual(['0 lessons', '1 lesson', '2 lessons', '1,234 lessons']);
    expect(count(1, 'dead letter')).toBe('1 dead letter');
    const page = await openAt(at({ planId: P.grade7Arabic, subjectId: S.math }));
    await page.getByTestId('subject-stats').waitFor();
    expect(await text(page, '[data-testid=subject-stats]')).toBe('4 tracks, 6 units, 6 topics, 12 lessons');
    const counts = await page.getByTestId('unit-count').allTextContents();
    expect(counts.map((c) => c.trim())).toContain('1 topic, 1 lesson');
    expect(counts.map((c) => c.trim())).toContain('1 topic, 2 lessons');
    expect(await page.getByTestId('content').textContent()).not.toMatch(/\b1 (topics|lessons|units|tracks)\b/);
    await page.close();
  });

  it('shows timestamps readably, the exact value in <time datetime> and its tooltip', async () => {
    const plan = parseTimestamp('2025-10-14 11:20:05.412309');
    expect(plan).toMatchObject({ datetime: '2025-10-14T11:20:05.412', zoned: false });
    expect(formatTimestamp(plan!, { locale: 'en-US', timeZone: 'Asia/Riyadh' }).replace(/\s+/g, ' ')).toBe('Oct 14, 2025, 11:20:05 AM');
    expect(formatTimestamp(parseTimestamp(SIGNED_EXPIRY)!, { locale: 'en-US', timeZone: 'Asia/Riyadh' }).replace(/\s+/g, ' ')).toBe('Nov 30, 2026, 1:00:00 PM GMT+3');
    expect(parseTimestamp('2025-10-14T11:20:05+03:00')?.date.toISOString()).toBe('2025-10-14T08:20:05.000Z');
    expect(parseTimestamp('yesterday')).toBeNull();

    const page = await openAt(at({ planId: P.grade7Arabic }));
    const generated = page.getByTestId('generated-at');
    await generated.waitFor();
    expect(await generated.evaluate((el) => el.tagName)).toBe('TIME');
    expect(await generated.getAttribute('datetime')).toBe('2025-10-14T11:20:05.412');
    expect(await generated.getAttribute('title')).toContain('2025-10-14 11:20:05.412309');
    expect(await text(page, '[data-testid=generated-at]')).toBe('Oct 14, 2025, 11:20:05 AM');
    const finished = page.getByTestId('deploy-finished');
    await finished.waitFor();
    expect(await finished.getAttribute('datetime')).toBe(report.finished_at.replace(/(\.\d{3})\d*/, '$1'));
    expect(await text(page, '[data-testid=deploy-finished]')).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} [AP]M UTC$/);

    await page.goto(preview.url + VIEWS.find((v) => v.name === 'lesson-signed-video')!.hash);
    const expiry = page.getByTestId('signed-url-expiry');
    await expiry.waitFor();
    expect(await expiry.getAttribute('datetime')).toBe(SIGNED_EXPIRY);
    expect(await text(page, '[data-testid=signed-url-expiry]')).toBe('Nov 30, 2026, 10:00:00 AM UTC');
    await page.close();
  });
});

describe('viewer: search hits', () => {
  it('shows on each hit whether the lesson is locked for the chosen student, worded as in the lesson lists', async () => {
    const page = await openAt(at({ planId: P.grade7Arabic, subjectId: PAID.subject, unitId: PAID.unit }));
    const row = page.getByTestId('lesson-row').filter({ hasText: PAID.title });
    await row.getByTestId('lock').waitFor();
    const listed = await row.getByTestId('lock').textContent();
    expect(listed).toContain(`buy item ${PAID.item}`);

    await page.goto(preview.url + at({ planId: P.grade7Arabic, q: QUERY }));
    const hit = page.getByTestId('search-hit').filter({ hasText: PAID.title });
    await hit.getByTestId('lock').waitFor();
    expect(await hit.getByTestId('lock').textContent()).toBe(listed);
    expect(await hit.getByTestId('access-badge').textContent()).toBe(`paid: ${PAID.item}`);
    // Free-preview hits are open to everyone: no lock.
    const open = page.getByTestId('search-hit').filter({ has: page.locator('.level-free_preview') });
    expect(await open.count()).toBeGreaterThan(0);
    expect(await open.getByTestId('lock').count()).toBe(0);

    // The item's owner sees the same hit unlocked.
    await page.goto(preview.url + at({ planId: P.grade7Arabic, q: QUERY }, owner));
    const owned = page.getByTestId('search-hit').filter({ hasText: PAID.title });
    await owned.getByTestId('access-badge').waitFor();
    expect(await owned.getByTestId('lock').count()).toBe(0);
    await page.close();
  });
});

describe('viewer: keyboard', () => {
  for (const size of SIZES) {
    it(`keeps the focused element clear of the header when tabbing backwards (${size.name} ${size.width}x${size.height})`, async () => {
      const view = VIEWS.find((v) => v.name === 'lesson-signed-video')!;
      const page = await openAt(view.hash, size);
      await view.ready(page);
      await page.getByTestId('deploy-panel').getByTestId('deploy-status').waitFor();
      // Start from the last focusable element, at the bottom of the page.
      await page.evaluate(() => {
        const focusable = [...document.querySelectorAll<HTMLElement>('a[href], button, input, select, summary, [tabindex="0"]')].filter((el) => el.offsetParent !== null);
        focusable.at(-1)?.focus();
      });
      const hidden: string[] = [];
      let steps = 0;
      for (; steps < 80; steps++) {
        await page.keyboard.press('Shift+Tab');
        const where = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          const header = document.querySelector('header.top')!;
          if (!el || el === document.body || header.contains(el)) return null;
          const r = el.getBoundingClientRect();
          const hr = header.getBoundingClientRect();
          const underHeader = r.top < hr.bottom && r.bottom > hr.top;
          const outOfView = r.bottom <= 0 || r.top >= window.innerHeight;
          return { what: `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 40)}"`, top: Math.round(r.top), headerBottom: Math.round(hr.bottom), underHeader, outOfView };
        });
        if (where === null) break;
        if (where.underHeader || where.outOfView) hidden.push(`${where.what}: top ${where.top}, header bottom ${where.headerBottom}${where.outOfView ? ', out of view' : ''}`);
      }
      expect(steps).toBeGreaterThan(10);
      expect(hidden, hidden.join('\n')).toEqual([]);
      // The page did scroll on the way up: the check above had something to check.
      expect(await page.evaluate(() => document.scrollingElement!.scrollHeight > window.innerHeight)).toBe(true);
      await page.close();
    });
  }
});
