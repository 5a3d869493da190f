/**
 * Every kind of change a Frappe v15 site makes reaches out/ after one incremental pull: each test
 * makes the change on the emulator the way Frappe makes it (src/emulator/store.ts cites the
 * Frappe source of each), pulls once, builds, and compares out/ with a build of the site's own
 * documents, file for file.
 */
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleCatalog, sampleSite } from '../samples/catalog.ts';
import { build } from '../src/build/build.ts';
import { keys } from '../packages/client/src/layout.ts';
import { readCache, writeCache } from '../src/content/cache.ts';
import { DOCTYPES, PARENT_DOCTYPES } from '../src/content/doctypes.ts';
import type { RawDoc } from '../src/content/raw.ts';
import { startFrappeEmulator, type FrappeEmulator, type FrappeEmulatorOptions } from '../src/emulator/server.ts';
import { memoryLogger } from '../src/log.ts';

type MemoryLogger = ReturnType<typeof memoryLogger>;
import { FrappeClient } from '../src/pull/client.ts';
import { pull, type PullOptions, type PullSummary } from '../src/pull/pull.ts';
import { readTree, tempDir } from './helpers.ts';

const SCIENCE_LESSON = 'n1p2h3o4t5';
const SCIENCE_TOPIC = 'p8h9o0t1o2';
const SCIENCE_UNIT = 'c3e4l5l6s7';

interface Site {
  emulator: FrappeEmulator;
  client: FrappeClient;
  cacheDir: string;
  log: MemoryLogger;
  /** One pull into the site's cache. */
  pullOnce(options?: Partial<PullOptions>): Promise<PullSummary>;
}

const open: Site[] = [];
afterEach(async () => {
  for (const site of open.splice(0)) {
    await site.client.close();
    await site.emulator.close();
  }
});

/** A site serving the samples, already pulled once (the full pull). */
async function site(options: FrappeEmulatorOptions = {}): Promise<Site> {
  const emulator = await startFrappeEmulator({ ...sampleSite(), ...options });
  const client = new FrappeClient({ baseUrl: emulator.url, apiKey: 'test-key', apiSecret: 'test-secret', retry: { attempts: 1 } });
  const cacheDir = await tempDir();
  const log = memoryLogger();
  const s: Site = { emulator, client, cacheDir, log, pullOnce: (extra = {}) => pull({ cacheDir, client, log, pageSize: 50, ...extra }) };
  open.push(s);
  expect((await s.pullOnce()).mode).toBe('full');
  return s;
}


/** out/ built from the pulled cache, after checking it equals out/ built from the site's own documents. */
async function outMatchesSite(s: Site): Promise<Record<string, string>> {
  const root = await tempDir();
  await build({ cacheDir: s.cacheDir, outDir: path.join(root, 'pulled'), log: memoryLogger() });
  await writeCache(path.join(root, 'site-cache'), { replace: s.emulator.snapshot() });
  await build({ cacheDir: path.join(root, 'site-cache'), outDir: path.join(root, 'site'), log: memoryLogger() });
  const pulled = await readTree(path.join(root, 'pulled'));
  expect(Object.keys(pulled).length).toBeGreaterThan(50);
  expect(pulled).toEqual(await readTree(path.join(root, 'site')));
  return pulled;
}

function jsonOf(files: Record<string, string>, key: string): Record<string, unknown> {
  const text = files[key];
  if (text === undefined) throw new Error(`out/ has no ${key}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const lessonStages = (files: Record<string, string>, lesson: string) => (jsonOf(files, `lessons/${lesson}.json`).stages as { title: string }[]).map((s) => s.title);
const subjectFilesNaming = (files: Record<string, string>, name: string) => Object.keys(files).filter((k) => /^plans\/[^/]+\/subjects\/[^/]+\.json$/.test(k) && (files[k] ?? '').includes(`"${name}"`));

async function cachedNames(s: Site, doctype: (typeof PARENT_DOCTYPES)[number]): Promise<string[]> {
  return (await readCache(s.cacheDir)).docs[doctype].map((d) => d.name);
}

describe('1. child rows saved on their own', () => {
  it('a stage deleted on its own (DELETE /api/resource/Memora Lesson Stage/<name>) leaves the lesson', async () => {
    const s = await site();
    const stage = (s.emulator.get(DOCTYPES.lesson, SCIENCE_LESSON)?.stages as { name: string; title: string }[])[1];
    if (!stage) throw new Error('no second stage');
    s.emulator.removeRow('Memora Lesson Stage', stage.name);
    const summary = await s.pullOnce();
    expect(summary.mode).toBe('incremental');
    expect(summary.counts[DOCTYPES.lesson].updated).toBe(1);
    expect(lessonStages(await outMatchesSite(s), SCIENCE_LESSON)).not.toContain(stage.title);
  });

  it('an override row inserted on its own (POST /api/resource/Memora Plan Override) hides the unit in that plan', async () => {
    const s = await site();
    const before = await outMatchesSite(s);
    const [shown] = subjectFilesNaming(before, SCIENCE_UNIT);
    const plan = shown?.split('/')[1];
    if (!plan) throw new Error('the science unit is shown in no plan');
    s.emulator.insertRow('Memora Plan Override', { parent: plan, parenttype: DOCTYPES.plan, parentfield: 'overrides', target_doctype: DOCTYPES.unit, target_name: SCIENCE_UNIT, action: 'Hide' });
    const summary = await s.pullOnce();
    expect(summary.counts[DOCTYPES.plan].updated).toBe(1);
    const after = await outMatchesSite(s);
    expect(subjectFilesNaming(after, SCIENCE_UNIT).filter((k) => k.startsWith(`plans/${plan}/`))).toEqual([]);
  });

  it('a stage saved on its own, or changed with frappe.db.set_value, shows its new title', async () => {
    const s = await site();
    const [first, second] = s.emulator.get(DOCTYPES.lesson, SCIENCE_LESSON)?.stages as { name: string }[];
    s.emulator.updateRow('Memora Lesson Stage', String(first?.name), { title: 'Saved on its own' });
    s.emulator.updateRow('Memora Lesson Stage', String(second?.name), { title: 'Set with set_value' });
    await s.pullOnce();
    expect(lessonStages(await outMatchesSite(s), SCIENCE_LESSON)).toEqual(expect.arrayContaining(['Saved on its own', 'Set with set_value']));
  });
});

describe('2. renames', () => {
  it('a bare rename (frappe.client.rename_doc) reaches out/ at once, with the links Frappe rewrote', async () => {
    const s = await site();
    s.emulator.rename(DOCTYPES.topic, SCIENCE_TOPIC, 'plants-make-food');
    const summary = await s.pullOnce();
    expect(summary.mode).toBe('incremental');
    expect(summary.reconciled).toEqual([expect.stringMatching(/^Memora Topic: .*renamed or restored/)]);
    expect(await cachedNames(s, DOCTYPES.topic)).toContain('plants-make-food');
    expect(await cachedNames(s, DOCTYPES.topic)).not.toContain(SCIENCE_TOPIC);
    const lesson = (await readCache(s.cacheDir)).docs[DOCTYPES.lesson].find((d) => d.name === SCIENCE_LESSON);
    expect(lesson?.parent_topic).toBe('plants-make-food');
    await outMatchesSite(s);
  });

  it('a rename followed by an edit replaces the old name instead of adding the new one, even without Comment', async () => {
    const s = await site({ readable: noComment() });
    s.emulator.rename(DOCTYPES.lesson, SCIENCE_LESSON, 'photosynthesis');
    s.emulator.update(DOCTYPES.lesson, 'photosynthesis', { title: 'Photosynthesis, renamed' });
    const summary = await s.pullOnce();
    expect(summary.counts[DOCTYPES.lesson]).toEqual({ inserted: 1, updated: 0, deleted: 1 });
    const out = await outMatchesSite(s);
    expect(out[`lessons/${SCIENCE_LESSON}.json`]).toBeUndefined();
    expect(jsonOf(out, 'lessons/photosynthesis.json').title).toBe('Photosynthesis, renamed');
  });

  it('renaming a unit, then editing one of its topics, keeps the topic and its lessons, even without Comment', async () => {
    const s = await site({ readable: noComment() });
    s.emulator.rename(DOCTYPES.unit, SCIENCE_UNIT, 'cells-and-plants');
    s.emulator.update(DOCTYPES.topic, SCIENCE_TOPIC, { description: 'edited after the rename' });
    const summary = await s.pullOnce();
    expect(summary.reconciled.some((r) => r.startsWith('Memora Unit: '))).toBe(true);
    const out = await outMatchesSite(s);
    expect(out[`units/cells-and-plants.json`]).toBeDefined();
    expect(out[`lessons/${SCIENCE_LESSON}.json`]).toBeDefined();
    expect(s.log.lines.join('\n')).toMatch(/may not read Comment/);
  });

  it('without Comment, a bare rename reaches out/ at the next name check', async () => {
    const s = await site({ readable: noComment() });
    s.emulator.rename(DOCTYPES.topic, SCIENCE_TOPIC, 'plants-make-food');
    const incremental = await s.pullOnce({ checkEvery: 2 });
    expect(incremental.mode).toBe('incremental');
    expect(await cachedNames(s, DOCTYPES.topic)).not.toContain('plants-make-food');
    const check = await s.pullOnce({ checkEvery: 2 });
    expect(check.mode).toBe('check');
    expect(await cachedNames(s, DOCTYPES.topic)).toContain('plants-make-food');
    await outMatchesSite(s);
  });

  it('without Comment, a bare rename reaches a cache restored from an older copy by the check due by time', async () => {
    // CI saves the cache only when it changed: each run may start from the same older copy,
    // whose pull count never reaches --check-every. The check is also due by time.
    const s = await site({ readable: noComment() });
    const saved = await tempDir();
    await cp(s.cacheDir, saved, { recursive: true });
    const start = Date.now();
    const at = (minutes: number) => () => new Date(start + minutes * 60_000);
    s.emulator.rename(DOCTYPES.topic, SCIENCE_TOPIC, 'plants-make-food');
    for (const minutes of [15, 30, 24 * 15 - 1]) {
      await rm(s.cacheDir, { recursive: true });
      await cp(saved, s.cacheDir, { recursive: true });
      expect((await s.pullOnce({ now: at(minutes) })).mode).toBe('incremental');
    }
    expect(await cachedNames(s, DOCTYPES.topic)).not.toContain('plants-make-food');
    await rm(s.cacheDir, { recursive: true });
    await cp(saved, s.cacheDir, { recursive: true });
    const check = await s.pullOnce({ now: at(24 * 15 + 1) });
    expect(check.mode).toBe('check');
    expect(check.reason).toMatch(/at least every 24 × 15 minutes/);
    expect(await cachedNames(s, DOCTYPES.topic)).toContain('plants-make-food');
    // The check is recorded: the next pull is incremental again.
    expect((await s.pullOnce({ now: at(24 * 15 + 16) })).mode).toBe('incremental');
    await outMatchesSite(s);
  });

  // Frappe keeps creation on a rename: the newest document of the last pull was created at its mark.
  it.each([
    ['with Comment', undefined],
    ['without Comment', noComment()],
  ])('a lesson renamed and edited when it was the newest at the last pull replaces its old name (%s)', async (_, readable) => {
    const s = await site(readable ? { readable } : {});
    s.emulator.insert(DOCTYPES.lesson, { name: 'newlesson1', title: 'Draft lesson', parent_topic: SCIENCE_TOPIC, is_published: 1, sort_order: 99, stages: [] });
    expect((await s.pullOnce()).counts[DOCTYPES.lesson]).toEqual({ inserted: 1, updated: 0, deleted: 0 });
    s.emulator.rename(DOCTYPES.lesson, 'newlesson1', 'respiration');
    s.emulator.update(DOCTYPES.lesson, 'respiration', { title: 'Respiration' });
    const summary = await s.pullOnce();
    expect(summary.counts[DOCTYPES.lesson]).toEqual({ inserted: 1, updated: 0, deleted: 1 });
    expect((await cachedNames(s, DOCTYPES.lesson)).filter((n) => n === 'newlesson1' || n === 'respiration')).toEqual(['respiration']);
    await outMatchesSite(s);
  });

  it('a unit renamed and edited when it was the newest at the last pull takes its topics with it', async () => {
    const s = await site();
    const unit = s.emulator.get(DOCTYPES.unit, SCIENCE_UNIT) as RawDoc;
    s.emulator.insert(DOCTYPES.unit, { ...unit, name: 'unit-draft', title: 'A draft unit', sort_order: 99 });
    s.emulator.update(DOCTYPES.topic, SCIENCE_TOPIC, { parent_unit: 'unit-draft' });
    await s.pullOnce();
    s.emulator.rename(DOCTYPES.unit, 'unit-draft', 'energy');
    s.emulator.update(DOCTYPES.unit, 'energy', { title: 'Energy' });
    await s.pullOnce();
    expect(await cachedNames(s, DOCTYPES.unit)).not.toContain('unit-draft');
    expect((await readCache(s.cacheDir)).docs[DOCTYPES.topic].find((t) => t.name === SCIENCE_TOPIC)?.parent_unit).toBe('energy');
    await outMatchesSite(s);
  });

  it('a rename that only changes case (MariaDB names ignore case) replaces the document', async () => {
    const s = await site();
    s.emulator.rename(DOCTYPES.lesson, SCIENCE_LESSON, SCIENCE_LESSON.toUpperCase());
    await s.pullOnce();
    expect((await cachedNames(s, DOCTYPES.lesson)).filter((n) => n.toLowerCase() === SCIENCE_LESSON)).toEqual([SCIENCE_LESSON.toUpperCase()]);
    await outMatchesSite(s);
  });
});

describe('2b. merges and reused names', () => {
  const OTHER_TOPIC = 'f0o1d2c3h4';
  const lessonOf = async (s: Site, name: string) => (await readCache(s.cacheDir)).docs[DOCTYPES.lesson].find((d) => d.name === name);

  it('a merge (rename_doc with merge=1) moves the lessons of the merged topic to the one it went into', async () => {
    const s = await site();
    s.emulator.rename(DOCTYPES.topic, SCIENCE_TOPIC, OTHER_TOPIC, { merge: true });
    await s.pullOnce();
    expect(await cachedNames(s, DOCTYPES.topic)).not.toContain(SCIENCE_TOPIC);
    expect((await lessonOf(s, SCIENCE_LESSON))?.parent_topic).toBe(OTHER_TOPIC);
    await outMatchesSite(s);
  });

  it('a renamed topic whose old name is given to a new topic: its lessons follow the renamed one', async () => {
    const s = await site();
    s.emulator.rename(DOCTYPES.topic, SCIENCE_TOPIC, 'plants-archived');
    const archived = s.emulator.get(DOCTYPES.topic, 'plants-archived') as RawDoc;
    s.emulator.update(DOCTYPES.topic, 'plants-archived', { title: 'How plants make food (archived)' });
    s.emulator.insert(DOCTYPES.topic, { ...archived, name: SCIENCE_TOPIC, title: 'How plants make food, new edition' });
    await s.pullOnce();
    expect((await lessonOf(s, SCIENCE_LESSON))?.parent_topic).toBe('plants-archived');
    await outMatchesSite(s);
  });

  it('a renamed topic whose old name goes to a new topic, without Comment: its lessons follow it at once all the same', async () => {
    const s = await site({ readable: noComment() });
    s.emulator.rename(DOCTYPES.topic, SCIENCE_TOPIC, 'plants-archived');
    const archived = s.emulator.get(DOCTYPES.topic, 'plants-archived') as RawDoc;
    s.emulator.insert(DOCTYPES.topic, { ...archived, name: SCIENCE_TOPIC, title: 'How plants make food, new edition' });
    await s.pullOnce();
    expect((await lessonOf(s, SCIENCE_LESSON))?.parent_topic).toBe('plants-archived');
    await outMatchesSite(s);
  });

  it('two topics that swap names: each keeps its own lessons', async () => {
    const s = await site();
    s.emulator.rename(DOCTYPES.topic, SCIENCE_TOPIC, 'swap-tmp');
    s.emulator.rename(DOCTYPES.topic, OTHER_TOPIC, SCIENCE_TOPIC);
    s.emulator.rename(DOCTYPES.topic, 'swap-tmp', OTHER_TOPIC);
    await s.pullOnce();
    expect((await lessonOf(s, SCIENCE_LESSON))?.parent_topic).toBe(OTHER_TOPIC);
    await outMatchesSite(s);
  });

  it('without Comment, two topics that swap names are set right at the next name check', async () => {
    const s = await site({ readable: noComment() });
    s.emulator.rename(DOCTYPES.topic, SCIENCE_TOPIC, 'swap-tmp');
    s.emulator.rename(DOCTYPES.topic, OTHER_TOPIC, SCIENCE_TOPIC);
    s.emulator.rename(DOCTYPES.topic, 'swap-tmp', OTHER_TOPIC);
    expect((await s.pullOnce({ checkEvery: 2 })).mode).toBe('incremental');
    const check = await s.pullOnce({ checkEvery: 2 });
    expect(check.mode).toBe('check');
    expect((await lessonOf(s, SCIENCE_LESSON))?.parent_topic).toBe(OTHER_TOPIC);
    await outMatchesSite(s);
  });

  // Frappe's cleanup after a delete takes the comments on the deleted name, a rename's included.
  it('a lesson renamed, then deleted, in one pull is gone from out/', async () => {
    const s = await site();
    s.emulator.rename(DOCTYPES.lesson, SCIENCE_LESSON, 'photosynthesis-old');
    s.emulator.remove(DOCTYPES.lesson, 'photosynthesis-old');
    const summary = await s.pullOnce();
    expect(summary.counts[DOCTYPES.lesson]).toEqual({ inserted: 0, updated: 0, deleted: 1 });
    expect(summary.reconciled).toEqual([expect.stringMatching(/^Memora Lesson: .*"photosynthesis-old" was deleted, a name the cache does not have/)]);
    expect(await cachedNames(s, DOCTYPES.lesson)).not.toContain(SCIENCE_LESSON);
    await outMatchesSite(s);
  });

  it('a lesson renamed, then merged into another, in one pull is gone from out/', async () => {
    const s = await site();
    s.emulator.rename(DOCTYPES.lesson, SCIENCE_LESSON, 'photosynthesis-old');
    s.emulator.rename(DOCTYPES.lesson, 'photosynthesis-old', 'n2l3e4a5f6', { merge: true });
    await s.pullOnce();
    expect(await cachedNames(s, DOCTYPES.lesson)).not.toContain(SCIENCE_LESSON);
    expect(await cachedNames(s, DOCTYPES.lesson)).toContain('n2l3e4a5f6');
    await outMatchesSite(s);
  });

  it('without Comment, a lesson deleted, then another renamed to its name, in one pull', async () => {
    // Also what a site shows when the cleanup after the delete ran late and took the rename's comment.
    const s = await site({ readable: noComment() });
    s.emulator.remove(DOCTYPES.lesson, SCIENCE_LESSON);
    s.emulator.rename(DOCTYPES.lesson, 'n2l3e4a5f6', SCIENCE_LESSON);
    await s.pullOnce();
    expect(await cachedNames(s, DOCTYPES.lesson)).not.toContain('n2l3e4a5f6');
    await outMatchesSite(s);
  });

  it('a lesson deleted, then another renamed to its name, in one pull', async () => {
    const s = await site();
    s.emulator.remove(DOCTYPES.lesson, SCIENCE_LESSON);
    s.emulator.rename(DOCTYPES.lesson, 'n2l3e4a5f6', SCIENCE_LESSON);
    await s.pullOnce();
    expect(await cachedNames(s, DOCTYPES.lesson)).not.toContain('n2l3e4a5f6');
    await outMatchesSite(s);
  });
});

describe('2c. deletes that leave no trace', () => {
  it('a lesson deleted with delete_permanently (no Deleted Document) leaves out/ at the next name check', async () => {
    const s = await site();
    s.emulator.remove(DOCTYPES.lesson, 'n2l3e4a5f6', { permanently: true });
    expect(s.emulator.deletedDocuments().some((d) => d.deleted_name === 'n2l3e4a5f6')).toBe(false);
    expect((await s.pullOnce({ checkEvery: 2 })).mode).toBe('incremental');
    expect(await cachedNames(s, DOCTYPES.lesson)).toContain('n2l3e4a5f6');
    const check = await s.pullOnce({ checkEvery: 2 });
    expect(check.mode).toBe('check');
    expect(check.counts[DOCTYPES.lesson]).toEqual({ inserted: 0, updated: 0, deleted: 1 });
    expect(await cachedNames(s, DOCTYPES.lesson)).not.toContain('n2l3e4a5f6');
    await outMatchesSite(s);
  });
});

describe('3. restores', () => {
  it('a restored lesson comes back under its new random name', async () => {
    const s = await site();
    s.emulator.remove(DOCTYPES.lesson, SCIENCE_LESSON);
    await s.pullOnce();
    const deleted = s.emulator.deletedDocuments().find((d) => d.deleted_name === SCIENCE_LESSON);
    const restored = s.emulator.restore(String(deleted?.name));
    expect(restored.name).not.toBe(SCIENCE_LESSON);
    const summary = await s.pullOnce();
    expect(summary.counts[DOCTYPES.lesson]).toEqual({ inserted: 1, updated: 0, deleted: 0 });
    const out = await outMatchesSite(s);
    expect(jsonOf(out, `lessons/${restored.name}.json`).title).toBe('Photosynthesis');
  });
});

describe('4. a clock that moves backwards', () => {
  it('an edit stamped below the watermark after a change of time zone arrives in one pull', async () => {
    const s = await site({ timeZone: 'Asia/Riyadh' });
    s.emulator.update(DOCTYPES.lesson, 'n2l3e4a5f6', { title: 'Before the change' });
    await s.pullOnce();
    // Riyadh is UTC+3: after the switch to UTC, Frappe stamps three hours lower.
    s.emulator.setTimeZone('UTC', -180);
    s.emulator.update(DOCTYPES.lesson, SCIENCE_LESSON, { title: 'Stamped in UTC' });
    expect(String(s.emulator.get(DOCTYPES.lesson, SCIENCE_LESSON)?.modified) < String(s.emulator.get(DOCTYPES.lesson, 'n2l3e4a5f6')?.modified)).toBe(true);
    const summary = await s.pullOnce();
    expect(summary.counts[DOCTYPES.lesson].updated).toBe(1);
    expect(jsonOf(await outMatchesSite(s), `lessons/${SCIENCE_LESSON}.json`).title).toBe('Stamped in UTC');
  });

  it('an edit in the repeated hour of a daylight-saving fall-back arrives in one pull', async () => {
    // 01:50 in London on 2025-10-26 is still BST (UTC+1); at 02:00 BST the clocks go back to 01:00 GMT.
    const s = await site({ timeZone: 'Europe/London', startTime: '2025-10-26 01:50:00.000000', utcOffsetMinutes: 60 });
    s.emulator.update(DOCTYPES.lesson, 'n2l3e4a5f6', { title: 'Just before the fall-back' });
    await s.pullOnce();
    s.emulator.shiftClock(-45, { utcOffsetMinutes: 0 });
    s.emulator.update(DOCTYPES.lesson, SCIENCE_LESSON, { title: 'In the repeated hour' });
    const summary = await s.pullOnce();
    expect(summary.counts[DOCTYPES.lesson].updated).toBe(1);
    expect(jsonOf(await outMatchesSite(s), `lessons/${SCIENCE_LESSON}.json`).title).toBe('In the repeated hour');
  });

  it('a lesson edited just before a daylight-saving fall-back and deleted in the repeated hour is gone after one pull', async () => {
    const s = await site({ timeZone: 'Europe/London', startTime: '2025-10-26 01:50:00.000000', utcOffsetMinutes: 60 });
    s.emulator.update(DOCTYPES.lesson, SCIENCE_LESSON, { title: 'Just before the fall-back' });
    await s.pullOnce();
    s.emulator.shiftClock(-45, { utcOffsetMinutes: 0 });
    s.emulator.remove(DOCTYPES.lesson, SCIENCE_LESSON);
    const deleted = s.emulator.deletedDocuments().find((d) => d.deleted_name === SCIENCE_LESSON);
    expect(String(deleted?.creation) < String((await readCache(s.cacheDir)).docs[DOCTYPES.lesson].find((d) => d.name === SCIENCE_LESSON)?.modified)).toBe(true);
    const summary = await s.pullOnce();
    expect(summary.counts[DOCTYPES.lesson].deleted).toBe(1);
    expect((await outMatchesSite(s))[`lessons/${SCIENCE_LESSON}.json`]).toBeUndefined();
  });

  it('a lesson deleted after the time zone moved west is gone after one pull, though its last edit is stamped later', async () => {
    const s = await site({ timeZone: 'Asia/Riyadh' });
    s.emulator.update(DOCTYPES.lesson, SCIENCE_LESSON, { title: 'Edited in Riyadh time' });
    await s.pullOnce();
    s.emulator.setTimeZone('UTC', -180);
    s.emulator.remove(DOCTYPES.lesson, SCIENCE_LESSON);
    const summary = await s.pullOnce();
    expect(summary.counts[DOCTYPES.lesson].deleted).toBe(1);
    expect((await outMatchesSite(s))[`lessons/${SCIENCE_LESSON}.json`]).toBeUndefined();
  });

  it('a lesson deleted and made again under its name before the last pull stays when that deletion is read again from the overlap', async () => {
    const s = await site();
    const lesson = s.emulator.get(DOCTYPES.lesson, SCIENCE_LESSON) as RawDoc;
    s.emulator.remove(DOCTYPES.lesson, SCIENCE_LESSON);
    s.emulator.insert(DOCTYPES.lesson, { ...lesson, title: 'Made again' });
    await s.pullOnce();
    // The next pull reads the deletion again (the overlap), and nothing else changed.
    const again = await s.pullOnce();
    expect(again.counts[DOCTYPES.lesson]).toEqual({ inserted: 0, updated: 0, deleted: 0 });
    expect(jsonOf(await outMatchesSite(s), `lessons/${SCIENCE_LESSON}.json`).title).toBe('Made again');
  });

  it('reads the overlap again without writing anything when nothing changed', async () => {
    const s = await site();
    s.emulator.update(DOCTYPES.lesson, SCIENCE_LESSON, { title: 'One edit' });
    await s.pullOnce();
    const files = await fg('*.jsonl', { cwd: s.cacheDir });
    const again = await s.pullOnce();
    expect(Object.values(again.counts).every((c) => c.inserted + c.updated + c.deleted === 0)).toBe(true);
    expect(again.affectedPlans).toEqual([]);
    expect(await fg('*.jsonl', { cwd: s.cacheDir })).toEqual(files);
  });
});

describe('5. collation', () => {
  it('pages through names that differ in case and accents, as MariaDB orders them, each document once, into out/', async () => {
    const catalog = sampleCatalog();
    const lessons = catalog[DOCTYPES.lesson] ?? [];
    const template = lessons.find((l) => l.name === SCIENCE_LESSON);
    if (!template) throw new Error('no template lesson');
    const names = ['Lesson-a', 'lesson-B', 'LESSON-c', 'léçon-d', 'Leçon-E', 'lesson-f ', 'LÉSSON-g'];
    for (const name of names) lessons.push({ ...structuredClone(template), name, stages: [] });
    const emulator = await startFrappeEmulator({ ...sampleSite(), catalog });
    const client = new FrappeClient({ baseUrl: emulator.url, apiKey: 'test-key', apiSecret: 'test-secret' });
    const cacheDir = await tempDir();
    const log = memoryLogger();
    const s: Site = { emulator, client, cacheDir, log, pullOnce: () => pull({ cacheDir, client, log, pageSize: 2 }) };
    open.push(s);
    await s.pullOnce();
    emulator.bulkUpdate(DOCTYPES.lesson, names, { description: 'bulk' });
    const summary = await s.pullOnce();
    expect(summary.counts[DOCTYPES.lesson]).toEqual({ inserted: 0, updated: names.length, deleted: 0 });
    const cached = (await readCache(cacheDir)).docs[DOCTYPES.lesson].map((d) => d.name);
    expect(cached.filter((n) => names.includes(n)).sort()).toEqual([...names].sort());
    expect(() => emulator.insert(DOCTYPES.lesson, { name: 'LESSON-A', title: 'x' })).toThrow(/already exists/);
    const out = await outMatchesSite(s);
    for (const name of names) expect(jsonOf(out, keys.lesson(name)).description).toBe('bulk');
  });
});

function noComment(): string[] {
  return [...PARENT_DOCTYPES, 'Memora Plan Subject', 'Memora Plan Override', 'Memora Lesson Stage', 'Deleted Document'];
}

