/**
 * `lessonInPlan`: a lesson's neighbours and access as its plan shows them. Lesson files are
 * shared by every plan, so their `navigation` and `access` are the base content's; a frontend
 * that follows them leads a student into a topic the plan hides, and shows a lock on a lesson the
 * plan sets free. Built from Frappe-shaped documents, served by the preview server, read by the
 * client over HTTP.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CdnClient, canAccess, lessonInPlan, type LessonFile, type SubjectFile } from '../packages/client/src/index.ts';
import { build } from '../src/build/build.ts';
import { writeCache } from '../src/content/cache.ts';
import { memoryLogger } from '../src/log.ts';
import { startPreviewServer, type PreviewServer } from '../src/preview/server.ts';
import { fixture } from './fixtures.ts';
import { tempDir } from './helpers.ts';

let server: PreviewServer;
let cdn: CdnClient;

/**
 * Subject S (paid with ITEM-S) > tracks TR1 (unit U1: topics T1 [L1, L2], T2 [L3]) and TR2
 * (unit U2: topic T3 [L4]). Plan HIDES hides topic T2 and sets L4 free; plan BASE changes nothing.
 */
beforeAll(async () => {
  const dir = await tempDir('memora-navigation-');
  const cacheDir = path.join(dir, 'cache');
  const outDir = path.join(dir, 'out');
  const docs = fixture({
    plans: [
      { name: 'HIDES', subjects: ['S'], overrides: [['Hide', 'Topic', 'T2'], ['Set Free', 'Lesson', 'L4']] },
      { name: 'BASE', subjects: ['S'] },
    ],
    subjects: [
      {
        name: 'S',
        required_item: 'ITEM-S',
        tracks: [
          { name: 'TR1', units: [{ name: 'U1', topics: [{ name: 'T1', lessons: [{ name: 'L1' }, { name: 'L2' }] }, { name: 'T2', lessons: [{ name: 'L3' }] }] }] },
          { name: 'TR2', units: [{ name: 'U2', topics: [{ name: 'T3', lessons: [{ name: 'L4' }] }] }] },
        ],
      },
    ],
  });
  await writeCache(cacheDir, { replace: docs, fsync: false });
  await build({ cacheDir, outDir, log: memoryLogger() });
  server = await startPreviewServer({ outDir, port: 0, viewer: { files: new Map() } });
  cdn = new CdnClient({ baseUrl: server.url });
});

afterAll(async () => {
  await server?.close();
});

async function subjectOf(plan: string): Promise<SubjectFile> {
  const manifest = await cdn.loadManifest(plan);
  const entry = manifest.subjects.find((s) => s.id === 'S');
  if (!entry) throw new Error(`plan ${plan} does not show subject S`);
  return cdn.loadSubject(entry);
}

describe('a lesson as its plan shows it (lessonInPlan)', () => {
  it("leads past a topic the plan hides, where the lesson file's navigation leads into it", async () => {
    const subject = await subjectOf('HIDES');
    const l2 = lessonInPlan(subject, 'L2');
    const file: LessonFile = await cdn.loadLesson(l2?.lesson ?? { url: '' });
    // The shared lesson file follows the course without the plan's overrides.
    expect(file.navigation.next?.id).toBe('L3');
    expect(l2?.next?.id).toBe('L4');
    expect(l2?.previous?.id).toBe('L1');
    // The hidden lesson is not in the plan at all.
    expect(lessonInPlan(subject, 'L3')).toBeNull();
    // Following `next` loads the plan's next lesson, across a unit and a track.
    const next = await cdn.loadLesson(l2?.next ?? { url: '' });
    expect(next.id).toBe('L4');
    expect(lessonInPlan(subject, 'L4')).toMatchObject({ previous: { id: 'L2' }, next: null, topic: { id: 'T3' }, unit: { id: 'U2' }, track: { id: 'TR2' } });
    expect(lessonInPlan(subject, 'L1')?.previous).toBeNull();
  });

  it('gives the access the plan sets, where the lesson file gives the base access', async () => {
    const subject = await subjectOf('HIDES');
    const l4 = lessonInPlan(subject, 'L4');
    const file = await cdn.loadLesson(l4?.lesson ?? { url: '' });
    const student = { kind: 'authenticated' } as const;
    expect(canAccess(file, student)).toMatchObject({ allowed: false });
    expect(l4?.lesson.access.access_level).toBe('free_preview');
    expect(canAccess(l4?.lesson ?? file, student)).toMatchObject({ allowed: true });
  });

  it('follows the whole course in a plan without overrides, as the lesson files do', async () => {
    const subject = await subjectOf('BASE');
    const order: string[] = [];
    for (let place = lessonInPlan(subject, 'L1'); place; place = place.next ? lessonInPlan(subject, place.next.id) : null) {
      const file = await cdn.loadLesson(place.lesson);
      expect(file.navigation.next?.id ?? null).toBe(place.next?.id ?? null);
      expect(file.navigation.previous?.id ?? null).toBe(place.previous?.id ?? null);
      order.push(place.lesson.id);
    }
    expect(order).toEqual(['L1', 'L2', 'L3', 'L4']);
    expect(lessonInPlan(subject, 'nowhere')).toBeNull();
  });
});
