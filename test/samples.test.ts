import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, SAMPLE_IDS, SAMPLE_SITE, sampleCatalog, sampleSiteMeta } from '../samples/catalog.ts';
import { CACHE_INDEX_FILE, readCache, writeCache } from '../src/content/cache.ts';
import { DOCTYPES, PARENT_DOCTYPES, STAGE_TYPES } from '../src/content/doctypes.ts';
import type { RawDoc } from '../src/content/raw.ts';

const catalog = sampleCatalog();
const FRAPPE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const HASH_ID = /^[0-9a-z]{10}$/;

function childRows(doc: RawDoc, field: string): RawDoc[] {
  const rows = doc[field];
  return Array.isArray(rows) ? (rows as RawDoc[]) : [];
}

const allDocs = PARENT_DOCTYPES.flatMap((doctype) => catalog[doctype].map((doc) => ({ doctype, doc })));
const plans = catalog[DOCTYPES.plan];
const overrides = plans.flatMap((p) => childRows(p, 'overrides'));
const stages = catalog[DOCTYPES.lesson].flatMap((l) => childRows(l, 'stages'));
const names = (doctype: (typeof PARENT_DOCTYPES)[number]) => new Set(catalog[doctype].map((d) => d.name));
const byName = (doctype: (typeof PARENT_DOCTYPES)[number], name: string) => catalog[doctype].find((d) => d.name === name);

describe('the committed sample cache', () => {
  let fresh: string;

  beforeAll(async () => {
    fresh = await mkdtemp(path.join(tmpdir(), 'memora-samples-'));
    await writeCache(fresh, { replace: sampleCatalog(), siteMeta: sampleSiteMeta(), fsync: false });
  });
  afterAll(async () => {
    await rm(fresh, { recursive: true, force: true });
  });

  it('is exactly what sampleCatalog() produces (run `npm run samples` after editing the catalog)', async () => {
    const committed = (await readdir(SAMPLE_CACHE_DIR)).sort();
    const expected = (await readdir(fresh)).sort();
    expect(committed).toEqual(expected);
    for (const file of expected) {
      const [a, b] = await Promise.all([readFile(path.join(SAMPLE_CACHE_DIR, file)), readFile(path.join(fresh, file))]);
      expect(a.equals(b), `${file} differs from sampleCatalog(); run \`npm run samples\``).toBe(true);
    }
    expect(expected).toContain(CACHE_INDEX_FILE);
  });

  it('loads with readCache', async () => {
    const loaded = await readCache(SAMPLE_CACHE_DIR);
    for (const doctype of PARENT_DOCTYPES) {
      expect(loaded.docs[doctype]).toHaveLength(catalog[doctype].length);
      expect(loaded.docs[doctype].map((d) => d.name).sort()).toEqual(catalog[doctype].map((d) => d.name).sort());
    }
    expect(loaded.index.sync).toBeUndefined();
  });

  it('is deterministic: two calls give equal documents', () => {
    expect(sampleCatalog()).toEqual(sampleCatalog());
  });
});

describe('the sample documents look like Frappe documents', () => {
  it('carry the standard fields', () => {
    for (const { doctype, doc } of allDocs) {
      const where = `${doctype} ${JSON.stringify(doc.name)}`;
      expect(doc.creation, where).toMatch(FRAPPE_TIME);
      expect(doc.modified, where).toMatch(FRAPPE_TIME);
      expect(doc.modified! >= doc.creation!, where).toBe(true);
      expect(typeof doc.owner, where).toBe('string');
      expect(typeof doc.modified_by, where).toBe('string');
      expect(doc.docstatus, where).toBe(0);
      expect(doc.idx, where).toBe(0);
    }
  });

  it('have unique names per DocType', () => {
    for (const doctype of PARENT_DOCTYPES) expect(names(doctype).size).toBe(catalog[doctype].length);
  });

  it('keep check fields 0/1', () => {
    const checks = ['is_published', 'is_free_preview', 'is_public', 'is_sold_separately', 'parent_item_required'];
    for (const { doc } of allDocs) {
      for (const field of checks) if (field in doc) expect([0, 1], `${doc.name}.${field}`).toContain(doc[field]);
    }
  });

  it('nest child rows with their standard fields', () => {
    const tables = [
      { doctype: DOCTYPES.plan, field: 'subjects', fields: ['subject', 'sort_order'] },
      { doctype: DOCTYPES.plan, field: 'overrides', fields: ['target_doctype', 'target_name', 'action', 'override_value'] },
      { doctype: DOCTYPES.lesson, field: 'stages', fields: ['title', 'type', 'config'] },
    ] as const;
    for (const { doctype, field, fields } of tables) {
      for (const parent of catalog[doctype]) {
        const rows = childRows(parent, field);
        expect(Array.isArray(parent[field]), `${parent.name}.${field}`).toBe(true);
        rows.forEach((row, i) => {
          expect(row).toMatchObject({ parent: parent.name, parentfield: field, parenttype: doctype, idx: i + 1, docstatus: 0 });
          expect(row.modified).toBe(parent.modified);
          expect(row.creation).toMatch(FRAPPE_TIME);
          expect(row.name).toMatch(HASH_ID);
          for (const f of fields) expect(row, `${parent.name}.${field}[${i}]`).toHaveProperty(f);
        });
      }
    }
  });

  it('store stage config as JSON text', () => {
    for (const stage of stages) expect(typeof stage.config).toBe('string');
  });
});

describe('the sample covers every rule', () => {
  it('has at least three plans, one titled in Arabic and one in English', () => {
    expect(plans.length).toBeGreaterThanOrEqual(3);
    expect(plans.some((p) => /[\u0600-\u06FF]/.test(String(p.title)))).toBe(true);
    expect(plans.some((p) => /^[\x20-\x7E]+$/.test(String(p.title)))).toBe(true);
  });

  it('shares at least two subjects between plans and leaves one subject out of every plan', () => {
    const listings = new Map<string, number>();
    for (const p of plans) for (const row of childRows(p, 'subjects')) listings.set(String(row.subject), (listings.get(String(row.subject)) ?? 0) + 1);
    expect([...listings.values()].filter((n) => n >= 2).length).toBeGreaterThanOrEqual(2);
    expect(names(DOCTYPES.subject).has(SAMPLE_IDS.subjects.robotics)).toBe(true);
    expect(listings.has(SAMPLE_IDS.subjects.robotics)).toBe(false);
  });

  it('uses every override action and every access level', () => {
    // Every action the sample site offers: generation 002's, and Set Access Level, which the site added.
    expect(new Set(overrides.map((o) => o.action))).toEqual(new Set(SAMPLE_SITE.selectOptions['Memora Plan Override.action']));
    const levels = overrides.filter((o) => o.action === 'Set Access Level').map((o) => o.override_value);
    expect(new Set(levels)).toEqual(new Set(['public', 'authenticated', 'paid', 'free_preview']));
    expect(overrides.some((o) => o.action === 'Hide' && o.target_doctype === DOCTYPES.topic && names(DOCTYPES.topic).has(String(o.target_name)))).toBe(true);
    expect(overrides.some((o) => o.action === 'Rename' && o.target_doctype === DOCTYPES.unit && names(DOCTYPES.unit).has(String(o.target_name)))).toBe(true);
  });

  it('has exactly one override whose target does not exist', () => {
    const dangling = overrides.filter((o) => {
      const doctype = PARENT_DOCTYPES.find((d) => d === o.target_doctype);
      return doctype === undefined || !names(doctype).has(String(o.target_name));
    });
    expect(dangling.map((o) => o.target_name)).toEqual([SAMPLE_IDS.badData.overrideMissingTarget]);
  });

  it('uses every stage type, an unknown type and malformed config', () => {
    const types = new Set(stages.map((s) => s.type));
    for (const t of STAGE_TYPES) expect(types).toContain(t);
    expect([...types].filter((t) => !(STAGE_TYPES as readonly unknown[]).includes(t))).toEqual(['Flashcards']);
    const malformed = catalog[DOCTYPES.lesson].filter((l) =>
      childRows(l, 'stages').some((s) => {
        try {
          JSON.parse(String(s.config));
          return false;
        } catch {
          return true;
        }
      }),
    );
    expect(malformed.map((l) => l.name)).toEqual([SAMPLE_IDS.badData.malformedStageLesson]);
    expect(childRows(malformed[0]!, 'stages').length).toBeGreaterThan(1);
  });

  it('has a YouTube video and a bucket video', () => {
    const videos = stages.filter((s) => s.type === 'Video').map((s) => JSON.parse(String(s.config)) as Record<string, unknown>);
    expect(videos.some((c) => String(c.video_url).startsWith('https://www.youtube.com/'))).toBe(true);
    expect(videos.some((c) => c.video_key === 'videos/intro-fractions.mp4')).toBe(true);
  });

  it('has ids with a slash, a space, Arabic letters and ".."; most ids look like Frappe hashes', () => {
    const ids = allDocs.map(({ doc }) => doc.name);
    expect(ids.some((id) => id.includes('/'))).toBe(true);
    expect(ids.some((id) => id.includes(' '))).toBe(true);
    expect(ids.some((id) => /[\u0600-\u06FF]/.test(id))).toBe(true);
    expect(ids.some((id) => id.includes('..'))).toBe(true);
    expect(ids.filter((id) => HASH_ID.test(id)).length / ids.length).toBeGreaterThan(0.9);
  });

  it('has paid, public, authenticated and sold-separately content, including the bad track', () => {
    const subjects = catalog[DOCTYPES.subject];
    const tracks = catalog[DOCTYPES.track];
    expect(byName(DOCTYPES.subject, SAMPLE_IDS.subjects.math)?.required_item).toBe('ITEM-MATH-7');
    expect(subjects.some((s) => s.is_public === 1 && tracks.some((t) => t.parent_subject === s.name && typeof t.required_item === 'string'))).toBe(true);
    expect(subjects.some((s) => s.is_public === 0 && s.required_item === null)).toBe(true);
    const sold = tracks.filter((t) => t.is_sold_separately === 1);
    expect(sold.some((t) => t.required_item && t.parent_item_required === 1)).toBe(true);
    expect(sold.some((t) => t.required_item && t.parent_item_required === 0)).toBe(true);
    expect(sold.filter((t) => !t.required_item).map((t) => t.name)).toEqual([SAMPLE_IDS.badData.soldSeparatelyWithoutItem]);
  });

  it('has free-preview content under the paid subject', () => {
    const mathTracks = new Set(catalog[DOCTYPES.track].filter((t) => t.parent_subject === SAMPLE_IDS.subjects.math).map((t) => t.name));
    const mathUnits = catalog[DOCTYPES.unit].filter((u) => mathTracks.has(String(u.parent_track)));
    const mathUnitNames = new Set(mathUnits.map((u) => u.name));
    expect(mathUnits.some((u) => u.is_free_preview === 1)).toBe(true);
    expect(catalog[DOCTYPES.topic].some((t) => t.is_free_preview === 1 && mathUnitNames.has(String(t.parent_unit)))).toBe(true);
  });

  it('has drafts under published parents and published nodes under drafts', () => {
    const unpublished = (doctype: (typeof PARENT_DOCTYPES)[number]) => new Set(catalog[doctype].filter((d) => d.is_published === 0).map((d) => d.name));
    const draftTopics = unpublished(DOCTYPES.topic);
    const draftTracks = unpublished(DOCTYPES.track);
    const lessons = catalog[DOCTYPES.lesson];
    expect(lessons.some((l) => l.is_published === 0 && byName(DOCTYPES.topic, String(l.parent_topic))?.is_published === 1)).toBe(true);
    expect(catalog[DOCTYPES.unit].some((u) => u.is_published === 0 && byName(DOCTYPES.track, String(u.parent_track))?.is_published === 1)).toBe(true);
    expect(lessons.some((l) => l.is_published === 1 && draftTopics.has(String(l.parent_topic)))).toBe(true);
    expect(catalog[DOCTYPES.unit].some((u) => u.is_published === 1 && draftTracks.has(String(u.parent_track)))).toBe(true);
  });

  it('has orphans, empty and blank titles', () => {
    const orphan = byName(DOCTYPES.lesson, SAMPLE_IDS.badData.orphanLesson);
    expect(orphan?.parent_topic).toBe(SAMPLE_IDS.badData.orphanLessonMissingTopic);
    expect(names(DOCTYPES.topic).has(SAMPLE_IDS.badData.orphanLessonMissingTopic)).toBe(false);
    expect(byName(DOCTYPES.unit, SAMPLE_IDS.badData.orphanUnit)?.parent_track).toBe('');
    expect(byName(DOCTYPES.lesson, SAMPLE_IDS.badData.emptyTitleLesson)?.title).toBe('');
    const blank = byName(DOCTYPES.topic, SAMPLE_IDS.badData.blankTitleTopic)?.title;
    expect(typeof blank === 'string' && blank.length > 0 && blank.trim() === '').toBe(true);
  });

  it('has duplicate sort orders among siblings', () => {
    const seen = new Set<string>();
    let duplicates = 0;
    for (const lesson of catalog[DOCTYPES.lesson]) {
      const key = `${String(lesson.parent_topic)}\u0000${String(lesson.sort_order)}`;
      if (seen.has(key)) duplicates++;
      seen.add(key);
    }
    expect(duplicates).toBeGreaterThan(0);
  });

  it('has Arabic titles with diacritics, alef forms and taa marbuta, and the English titles', () => {
    const titles = allDocs.map(({ doc }) => String(doc.title));
    expect(titles).toContain('الكَسْرُ العَشْرِيُّ');
    expect(titles).toContain('مُقَدِّمَةٌ فِي الجَبْرِ');
    for (const letter of ['أ', 'إ', 'آ', 'ة']) expect(titles.some((t) => t.includes(letter)), letter).toBe(true);
    expect(titles).toContain('Adding fractions');
    expect(titles).toContain('Photosynthesis');
  });

  it('has at least 25 lessons across at least 4 subjects', () => {
    const topicUnit = new Map(catalog[DOCTYPES.topic].map((t) => [t.name, String(t.parent_unit)]));
    const unitTrack = new Map(catalog[DOCTYPES.unit].map((u) => [u.name, String(u.parent_track)]));
    const trackSubject = new Map(catalog[DOCTYPES.track].map((t) => [t.name, String(t.parent_subject)]));
    const subjectsWithLessons = new Set<string>();
    for (const lesson of catalog[DOCTYPES.lesson]) {
      const subject = trackSubject.get(unitTrack.get(topicUnit.get(String(lesson.parent_topic)) ?? '') ?? '');
      if (subject) subjectsWithLessons.add(subject);
    }
    expect(catalog[DOCTYPES.lesson].length).toBeGreaterThanOrEqual(25);
    expect(subjectsWithLessons.size).toBeGreaterThanOrEqual(4);
  });
});
