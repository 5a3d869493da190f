/**
 * The bundled sample curriculum: a small, hand-written Memora catalog that `demo`, the preview
 * and the tests run on. It looks like what the Frappe REST API serves (standard fields, check
 * fields as 0/1, child tables inline, stage config as JSON text) and it deliberately exercises
 * every content and access rule of DESIGN.md sections 2 to 4, bad data included. Each document
 * that exists to exercise a rule says so in a `RULE:` comment; samples/README.md lists them.
 *
 * Regenerate the committed cache after editing: `npm run samples`.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CHILD_TABLES, DOCTYPES, type DocTypeName } from '../src/content/doctypes.ts';
import { generationMeta, OVERRIDE_ACTION_OPTIONS, type Generation, type SiteMeta } from '../src/content/fields.ts';
import type { RawChildRow, RawDoc } from '../src/content/raw.ts';

/** Where the committed sample cache lives (`samples/content-cache/`). */
export const SAMPLE_CACHE_DIR = fileURLToPath(new URL('./content-cache/', import.meta.url));

/** IDs that tests and docs refer to. Everything here exists in `sampleCatalog()` unless it says "missing". */
export const SAMPLE_IDS = {
  plans: {
    grade7Arabic: 'p7ar2k4m9x',
    grade7English: 'p7en3h8q2w',
    summerBridge: 'p8br1d9g3e',
  },
  subjects: {
    math: 'm7th4c9x2a',
    science: 'sc7k2p8v1n',
    english: 'en7w5r3j6d',
    arabic: 'ar7q1z9f4k',
    /** Listed in no plan: never exported. */
    robotics: 'rb0t1cs8y3',
  },
  badData: {
    /** Plan override (Hide) whose target lesson does not exist, in the Arabic grade 7 plan. */
    overrideMissingTarget: 'd3l3t3d0ls',
    /** Track sold separately without a required_item. */
    soldSeparatelyWithoutItem: 'k0nob4yit1',
    /** Lesson whose parent_topic does not exist. */
    orphanLesson: 'o9r8p7h6n5',
    /** The missing topic the orphan lesson points at. */
    orphanLessonMissingTopic: 't0deleted0',
    /** Unit with an empty parent_track. */
    orphanUnit: 'o0r1p2h3a4',
    /** Lesson with an empty title. */
    emptyTitleLesson: 'e0m1p2t3y4',
    /** Topic whose title is white space only. */
    blankTitleTopic: 'w0s1p2c3e4',
    /** Lesson with a stage whose config is not valid JSON (among valid stages). */
    malformedStageLesson: 'e2q3u4e5s6',
    /** Lesson with a stage of unknown type ("Flashcards"). */
    unknownStageTypeLesson: 'e4i5r6r7e8',
  },
} as const;

// ---------------------------------------------------------------------------------------------
// Helpers that stamp Frappe's standard fields. Nothing reads the clock: every time is a literal.
// ---------------------------------------------------------------------------------------------

/** `[creation, modified]`, both `YYYY-MM-DD HH:MM:SS.ffffff` in the site's time zone. */
type Stamp = readonly [creation: string, modified: string];
type Check = 0 | 1;

const AUTHOR = 'content@memora.app';
const EDITOR = 'editor@memora.app';

function standard(name: string, [creation, modified]: Stamp, modifiedBy: string = EDITOR): RawDoc {
  return { name, owner: AUTHOR, creation, modified, modified_by: modifiedBy, docstatus: 0, idx: 0 };
}

/**
 * A child row's name. Frappe gives child rows random 10-character hashes; the sample derives
 * them from the parent, the table and the position so that they never change between runs.
 */
function childName(parent: string, parentfield: string, idx: number): string {
  const hex = createHash('sha256').update(`${parent}\u0000${parentfield}\u0000${idx}`).digest('hex');
  return BigInt(`0x${hex.slice(0, 16)}`).toString(36).padStart(13, '0').slice(0, 10);
}

/** Child-table rows with the standard fields a parent's rows carry (modified = the parent's). */
function childRows(parent: RawDoc, parenttype: string, parentfield: string, rows: readonly Record<string, unknown>[]): RawChildRow[] {
  return rows.map((fields, i) => ({
    name: childName(parent.name, parentfield, i + 1),
    owner: parent.owner,
    creation: parent.creation,
    modified: parent.modified,
    modified_by: parent.modified_by,
    docstatus: 0,
    idx: i + 1,
    ...fields,
    parent: parent.name,
    parentfield,
    parenttype,
  }));
}

interface NodeFields {
  title: string;
  description?: string | null;
  image?: string | null;
  /** Default 1: most sample content is published; drafts say so. */
  is_published?: Check;
  is_free_preview?: Check;
  sort_order: number;
}

function node(f: NodeFields): { description: string | null; image: string | null; is_published: Check; is_free_preview: Check } {
  return {
    description: f.description ?? null,
    image: f.image ?? null,
    is_published: f.is_published ?? 1,
    is_free_preview: f.is_free_preview ?? 0,
  };
}

interface PlanFields {
  title: string;
  season: string;
  stream: string;
  grade: string;
}
interface PlanSubjectRow {
  subject: string;
  sort_order: number;
}
interface OverrideRow {
  target_doctype: DocTypeName;
  target_name: string;
  action: string;
  override_value: string | null;
}

function plan(name: string, stamp: Stamp, f: PlanFields, subjects: PlanSubjectRow[], overrides: OverrideRow[]): RawDoc {
  const doc: RawDoc = { ...standard(name, stamp), title: f.title, season: f.season, stream: f.stream, grade: f.grade };
  doc.subjects = childRows(doc, DOCTYPES.plan, 'subjects', subjects.map((r) => ({ subject: r.subject, sort_order: r.sort_order })));
  doc.overrides = childRows(
    doc,
    DOCTYPES.plan,
    'overrides',
    overrides.map((r) => ({ target_doctype: r.target_doctype, target_name: r.target_name, action: r.action, override_value: r.override_value })),
  );
  return doc;
}

function subject(name: string, stamp: Stamp, f: NodeFields & { color_code: string; is_public?: Check; required_item?: string | null }): RawDoc {
  const n = node(f);
  return {
    ...standard(name, stamp),
    title: f.title,
    description: n.description,
    image: n.image,
    color_code: f.color_code,
    is_published: n.is_published,
    is_free_preview: n.is_free_preview,
    is_public: f.is_public ?? 0,
    required_item: f.required_item ?? null,
    sort_order: f.sort_order,
  };
}

function track(
  name: string,
  stamp: Stamp,
  f: NodeFields & { parent_subject: string; is_sold_separately?: Check; required_item?: string | null; parent_item_required?: Check },
): RawDoc {
  const n = node(f);
  return {
    ...standard(name, stamp),
    title: f.title,
    parent_subject: f.parent_subject,
    description: n.description,
    image: n.image,
    is_published: n.is_published,
    is_free_preview: n.is_free_preview,
    is_sold_separately: f.is_sold_separately ?? 0,
    required_item: f.required_item ?? null,
    parent_item_required: f.parent_item_required ?? 0,
    sort_order: f.sort_order,
  };
}

function unit(name: string, stamp: Stamp, f: NodeFields & { parent_track: string; badge_image?: string | null }): RawDoc {
  const n = node(f);
  return {
    ...standard(name, stamp),
    title: f.title,
    parent_track: f.parent_track,
    description: n.description,
    image: n.image,
    badge_image: f.badge_image ?? null,
    is_published: n.is_published,
    is_free_preview: n.is_free_preview,
    sort_order: f.sort_order,
  };
}

function topic(name: string, stamp: Stamp, f: NodeFields & { parent_unit: string }): RawDoc {
  const n = node(f);
  return {
    ...standard(name, stamp),
    title: f.title,
    parent_unit: f.parent_unit,
    description: n.description,
    image: n.image,
    is_published: n.is_published,
    is_free_preview: n.is_free_preview,
    sort_order: f.sort_order,
  };
}

interface StageRow {
  title: string;
  type: string;
  /** JSON text, exactly as Frappe stores a JSON/Code field (it may be broken: see the bad data). */
  config: string;
}

function lesson(name: string, stamp: Stamp, f: NodeFields & { parent_topic: string }, stages: StageRow[]): RawDoc {
  const n = node(f);
  const doc: RawDoc = {
    ...standard(name, stamp),
    title: f.title,
    parent_topic: f.parent_topic,
    description: n.description,
    image: n.image,
    is_published: n.is_published,
    is_free_preview: n.is_free_preview,
    sort_order: f.sort_order,
  };
  doc.stages = childRows(doc, DOCTYPES.lesson, 'stages', stages.map((s) => ({ title: s.title, type: s.type, config: s.config })));
  return doc;
}

// Stage builders. Config conventions of the sample (the build passes config through untouched):
//   Video:       { video_url, duration_seconds } for an external (YouTube) URL, or
//                { video_key, duration_seconds } for an object in the bucket (gets a signed URL)
//   Question:    { question, options, answer (index into options), explanation? }
//   Text:        { format: "markdown", body }
//   Interactive: { widget, params }
const json = (value: object): string => JSON.stringify(value);
const youtube = (title: string, id: string, duration_seconds: number): StageRow => ({
  title,
  type: 'Video',
  config: json({ video_url: `https://www.youtube.com/watch?v=${id}`, duration_seconds }),
});
const bucketVideo = (title: string, key: string, duration_seconds: number): StageRow => ({
  title,
  type: 'Video',
  config: json({ video_key: key, duration_seconds }),
});
const question = (title: string, q: string, options: string[], answer: number, explanation?: string): StageRow => ({
  title,
  type: 'Question',
  config: json(explanation === undefined ? { question: q, options, answer } : { question: q, options, answer, explanation }),
});
const text = (title: string, body: string): StageRow => ({ title, type: 'Text', config: json({ format: 'markdown', body }) });
const interactive = (title: string, widget: string, params: object): StageRow => ({
  title,
  type: 'Interactive',
  config: json({ widget, params }),
});

const { subjects: S, plans: P, badData: BAD } = SAMPLE_IDS;

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------

function plans(): RawDoc[] {
  return [
    // RULE: an Arabic plan. Shares Math and Science with the English plan, Math and Arabic with the bridge.
    plan(
      P.grade7Arabic,
      ['2025-08-01 09:00:00.000000', '2025-10-14 11:20:05.412309'],
      { title: 'الخطة الدراسية - الصف السابع', season: '2025-2026', stream: 'عام', grade: '7' },
      [
        { subject: S.math, sort_order: 1 },
        { subject: S.science, sort_order: 2 },
        { subject: S.arabic, sort_order: 3 },
      ],
      [
        // RULE: Hide a topic (the word problems topic and its lessons leave this plan only).
        { target_doctype: DOCTYPES.topic, target_name: 't3h5j7k9l2', action: 'Hide', override_value: null },
        // RULE: Rename a unit.
        { target_doctype: DOCTYPES.unit, target_name: 'u2e5q7r9t1', action: 'Rename', override_value: 'معادلات الدرجة الأولى' },
        // RULE: Rename a subject (the English-titled Science subject shows an Arabic title here).
        { target_doctype: DOCTYPES.subject, target_name: S.science, action: 'Rename', override_value: 'العلوم' },
        // RULE: Set Free on a lesson inside a sold-separately (paid) track.
        { target_doctype: DOCTYPES.lesson, target_name: 'm0p1r2o3t4', action: 'Set Free', override_value: null },
        // RULE: Set Access Level "public" on an otherwise authenticated subject.
        { target_doctype: DOCTYPES.subject, target_name: S.arabic, action: 'Set Access Level', override_value: 'public' },
        // RULE (bad data): an override whose target lesson does not exist.
        { target_doctype: DOCTYPES.lesson, target_name: BAD.overrideMissingTarget, action: 'Hide', override_value: null },
      ],
    ),
    // RULE: an English plan.
    plan(
      P.grade7English,
      ['2025-08-01 09:05:12.118734', '2025-10-12 16:41:27.003518'],
      { title: 'Grade 7 Study Plan (English stream)', season: '2025-2026', stream: 'English', grade: '7' },
      [
        { subject: S.science, sort_order: 1 },
        { subject: S.math, sort_order: 2 },
        { subject: S.english, sort_order: 3 },
      ],
      [
        // RULE: Rename a subject.
        { target_doctype: DOCTYPES.subject, target_name: S.math, action: 'Rename', override_value: 'Mathematics' },
        // RULE: Set Sold Separately "1" on a paid track that is not sold separately by default.
        { target_doctype: DOCTYPES.track, target_name: 'l4b5t6r7k8', action: 'Set Sold Separately', override_value: '1' },
        // RULE: Set Access Level "authenticated" on a public subject.
        { target_doctype: DOCTYPES.subject, target_name: S.science, action: 'Set Access Level', override_value: 'authenticated' },
        // RULE: Set Access Level "free_preview" on a topic under the paid subject.
        { target_doctype: DOCTYPES.topic, target_name: 't2s4d6f8g0', action: 'Set Access Level', override_value: 'free_preview' },
        // RULE: Hide a unit (also hidden in the bridge: hidden in every plan that lists its subject).
        { target_doctype: DOCTYPES.unit, target_name: 'r5e6a7d8i9', action: 'Hide', override_value: null },
      ],
    ),
    // RULE: a third plan, English title, grade 8.
    plan(
      P.summerBridge,
      ['2025-09-03 13:30:41.551020', '2025-10-15 08:02:19.770431'],
      { title: 'Summer Bridge: Grade 7 to 8', season: 'Summer 2026', stream: 'Bridge', grade: '8' },
      [
        { subject: S.math, sort_order: 1 },
        { subject: S.english, sort_order: 2 },
        { subject: S.arabic, sort_order: 3 },
      ],
      [
        // RULE: Set Access Level "paid" on the free-preview unit (it takes the subject's item here).
        { target_doctype: DOCTYPES.unit, target_name: 'Unit 1 Intro', action: 'Set Access Level', override_value: 'paid' },
        // RULE: Set Sold Separately "0" on a sold-separately track.
        { target_doctype: DOCTYPES.track, target_name: 'k9sta7ts2q', action: 'Set Sold Separately', override_value: '0' },
        // RULE: Hide the same unit as the English plan: no plan exports it, so it has no unit file.
        { target_doctype: DOCTYPES.unit, target_name: 'r5e6a7d8i9', action: 'Hide', override_value: null },
        // RULE: Rename a lesson whose id contains "..".
        { target_doctype: DOCTYPES.lesson, target_name: 'lesson..x', action: 'Rename', override_value: 'Adding fractions (summer review)' },
      ],
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------------------------

function subjects(): RawDoc[] {
  return [
    // RULE: paid subject (required_item), shared by all three plans.
    subject(S.math, ['2025-07-20 10:00:00.000000', '2025-10-02 14:03:11.907115'], {
      title: 'الرياضيات',
      description: 'رياضيات الصف السابع: الجبر والهندسة والإحصاء والكسور.',
      image: '/files/subjects/math-7.png',
      color_code: '#1E88E5',
      required_item: 'ITEM-MATH-7',
      sort_order: 1,
    }),
    // RULE: public subject (is_public 1) that contains a paid track (Virtual Lab). Shared by two plans.
    subject(S.science, ['2025-07-20 10:04:31.220871', '2025-09-28 09:15:44.618002'], {
      title: 'Science',
      description: 'Life science, lab skills and the Earth, taught in English.',
      image: '/files/subjects/science-7.png',
      color_code: '#43A047',
      is_public: 1,
      sort_order: 2,
    }),
    // RULE: plain authenticated subject (no item, not public). Shared by two plans.
    subject(S.english, ['2025-07-21 08:30:00.000000', '2025-10-09 12:00:03.100200'], {
      title: 'English Language',
      description: 'Grammar, reading and writing.',
      image: '/files/subjects/english-7.png',
      color_code: '#FB8C00',
      sort_order: 3,
    }),
    // RULE: authenticated subject made public by one plan's override; Arabic titles with diacritics.
    subject(S.arabic, ['2025-07-21 08:45:10.004411', '2025-10-10 10:10:10.101010'], {
      title: 'اللغة العربية',
      description: 'النحو والبلاغة.',
      image: '/files/subjects/arabic-7.png',
      color_code: '#8E24AA',
      sort_order: 4,
    }),
    // RULE: a subject no plan lists: its content is never exported.
    subject(S.robotics, ['2025-09-15 15:00:00.000000', '2025-09-15 15:00:00.000000'], {
      title: 'Robotics Club',
      description: 'An after-school club, not part of any plan yet.',
      color_code: '#546E7A',
      sort_order: 5,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Tracks
// ---------------------------------------------------------------------------------------------

function tracks(): RawDoc[] {
  return [
    // --- Math (paid, ITEM-MATH-7) ---
    // RULE: id with a slash ("MATH/7-ALG"); inherits the subject's item.
    track('MATH/7-ALG', ['2025-07-22 09:00:00.000000', '2025-09-30 10:30:00.250000'], {
      title: 'الجَبْر',
      parent_subject: S.math,
      description: 'المتغيرات والتعابير والمعادلات.',
      sort_order: 1,
    }),
    // RULE: sold-separately track with its own item, parent_item_required 1 (buying Math unlocks it).
    track('k8geo3tr5m', ['2025-07-22 09:10:00.000000', '2025-09-30 10:31:12.000000'], {
      title: 'الهندسة',
      parent_subject: S.math,
      is_sold_separately: 1,
      required_item: 'ITEM-MATH-7-GEO',
      parent_item_required: 1,
      sort_order: 2,
    }),
    // RULE: sold-separately track with its own item, parent_item_required 0 (a separate purchase).
    // RULE: duplicate sort_order (3) with the fractions track.
    track('k9sta7ts2q', ['2025-07-22 09:20:00.000000', '2025-10-01 17:45:09.880001'], {
      title: 'الإحصاء والاحتمالات',
      parent_subject: S.math,
      is_sold_separately: 1,
      required_item: 'ITEM-MATH-7-STATS',
      parent_item_required: 0,
      sort_order: 3,
    }),
    // RULE: duplicate sort_order (3) with the statistics track.
    track('f7r4c8t1n5', ['2025-07-22 09:30:00.000000', '2025-10-02 14:03:11.907115'], {
      title: 'الكسور والأعداد العشرية',
      parent_subject: S.math,
      sort_order: 3,
    }),
    // RULE (bad data): sold separately WITHOUT a required_item; nobody could buy it.
    track(BAD.soldSeparatelyWithoutItem, ['2025-08-11 12:00:00.000000', '2025-08-11 12:05:33.000000'], {
      title: 'مسابقات الأولمبياد',
      parent_subject: S.math,
      is_sold_separately: 1,
      required_item: null,
      parent_item_required: 0,
      sort_order: 5,
    }),

    // --- Science (public) ---
    track('b1o2l3o4g5', ['2025-07-23 11:00:00.000000', '2025-09-28 09:15:44.618002'], {
      title: 'Life Science',
      parent_subject: S.science,
      image: '/files/tracks/life-science.png',
      sort_order: 1,
    }),
    // RULE: paid track (required_item) inside a public subject; the English plan sells it separately.
    track('l4b5t6r7k8', ['2025-07-23 11:10:00.000000', '2025-09-20 13:13:13.131313'], {
      title: 'Virtual Lab',
      parent_subject: S.science,
      description: 'Hands-on simulations.',
      required_item: 'ITEM-SCI-LAB-7',
      sort_order: 2,
    }),
    // RULE: unpublished track holding a published unit (Volcanoes).
    track('w2x3y4z5a6', ['2025-08-30 10:00:00.000000', '2025-09-01 10:00:00.000000'], {
      title: 'Earth Science (coming soon)',
      parent_subject: S.science,
      is_published: 0,
      sort_order: 3,
    }),

    // --- English (authenticated) ---
    track('g7r8a9m0m1', ['2025-07-24 08:00:00.000000', '2025-10-09 12:00:03.100200'], {
      title: 'Grammar',
      parent_subject: S.english,
      sort_order: 1,
    }),
    track('r0e1a2d3s4', ['2025-07-24 08:05:00.000000', '2025-10-05 09:00:00.000000'], {
      title: 'Reading & Writing',
      parent_subject: S.english,
      sort_order: 2,
    }),

    // --- Arabic (authenticated; public in the Arabic plan) ---
    track('n4h5w6n7h8', ['2025-07-25 10:00:00.000000', '2025-10-10 10:10:10.101010'], {
      title: 'النَّحْو',
      parent_subject: S.arabic,
      sort_order: 1,
    }),
    track('b8l9a0g1h2', ['2025-07-25 10:05:00.000000', '2025-10-07 19:22:48.300000'], {
      title: 'البلاغة',
      parent_subject: S.arabic,
      sort_order: 2,
    }),

    // --- Robotics (in no plan) ---
    track('r1b2t3r4k5', ['2025-09-15 15:01:00.000000', '2025-09-15 15:01:00.000000'], {
      title: 'Getting Started',
      parent_subject: S.robotics,
      sort_order: 1,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Units
// ---------------------------------------------------------------------------------------------

function units(): RawDoc[] {
  return [
    // --- Math ---
    // RULE: id with spaces; free-preview unit under the paid subject; Arabic title with diacritics
    // and taa marbuta ("مقدمه" finds it). The bridge plan makes it paid.
    unit('Unit 1 Intro', ['2025-07-26 09:00:00.000000', '2025-09-30 10:30:00.250000'], {
      title: 'مُقَدِّمَةٌ فِي الجَبْرِ',
      parent_track: 'MATH/7-ALG',
      description: 'وحدة مجانية للتعرّف على الجبر.',
      badge_image: '/files/badges/algebra-intro.svg',
      is_free_preview: 1,
      sort_order: 1,
    }),
    // RULE: renamed in the Arabic plan.
    unit('u2e5q7r9t1', ['2025-07-26 09:10:00.000000', '2025-09-29 08:00:00.000000'], {
      title: 'المعادلات الخطية',
      parent_track: 'MATH/7-ALG',
      badge_image: '/files/badges/equations.svg',
      sort_order: 2,
    }),
    // RULE: unpublished draft unit under a published track (its published topic and lesson stay off the CDN).
    unit('u3dr4ft0un', ['2025-09-25 14:00:00.000000', '2025-10-13 09:45:00.000000'], {
      title: 'الأنماط والمتتابعات (مسودة)',
      parent_track: 'MATH/7-ALG',
      is_published: 0,
      sort_order: 3,
    }),
    // RULE: id with a slash on a node that gets its own file (units/…).
    unit('GEO/7-ANGLES', ['2025-07-26 10:00:00.000000', '2025-09-30 10:31:12.000000'], {
      title: 'الزوايا',
      parent_track: 'k8geo3tr5m',
      badge_image: '/files/badges/angles.svg',
      sort_order: 1,
    }),
    unit('s5t6a7t8u9', ['2025-07-26 10:10:00.000000', '2025-10-01 17:45:09.880001'], {
      title: 'جمع البيانات وتمثيلها',
      parent_track: 'k9sta7ts2q',
      sort_order: 1,
    }),
    unit('f2r3a4c5t6', ['2025-07-26 11:00:00.000000', '2025-10-02 14:03:11.907115'], {
      title: 'الكسور العادية',
      parent_track: 'f7r4c8t1n5',
      image: '/files/units/fractions.png',
      sort_order: 1,
    }),
    unit('d3c1m4l5s6', ['2025-07-26 11:10:00.000000', '2025-10-02 13:59:40.000001'], {
      title: 'الأعداد العشرية',
      parent_track: 'f7r4c8t1n5',
      sort_order: 2,
    }),
    // Under the bad sold-separately track: skipped with it.
    unit('o1y2m3p4d5', ['2025-08-11 12:10:00.000000', '2025-08-11 12:10:00.000000'], {
      title: 'أسئلة الأولمبياد',
      parent_track: BAD.soldSeparatelyWithoutItem,
      sort_order: 1,
    }),

    // --- Science ---
    unit('c3e4l5l6s7', ['2025-07-27 09:00:00.000000', '2025-09-28 09:15:44.618002'], {
      title: 'Plants',
      parent_track: 'b1o2l3o4g5',
      badge_image: '/files/badges/plants.svg',
      sort_order: 1,
    }),
    unit('e5c6o7s8y9', ['2025-07-27 09:10:00.000000', '2025-09-18 10:00:00.000000'], {
      title: 'Ecosystems',
      parent_track: 'b1o2l3o4g5',
      sort_order: 2,
    }),
    unit('k1s2a3f4e5', ['2025-07-27 09:20:00.000000', '2025-09-20 13:13:13.131313'], {
      title: 'Lab Safety',
      parent_track: 'l4b5t6r7k8',
      sort_order: 1,
    }),
    // RULE: published unit under an unpublished track (not exported).
    unit('v0l1c2a3n4', ['2025-08-30 10:10:00.000000', '2025-09-02 11:00:00.000000'], {
      title: 'Volcanoes',
      parent_track: 'w2x3y4z5a6',
      sort_order: 1,
    }),
    // RULE (bad data): orphan unit, parent_track is empty.
    unit(BAD.orphanUnit, ['2025-08-05 16:00:00.000000', '2025-08-05 16:02:00.000000'], {
      title: 'Weather and Climate',
      parent_track: '',
      sort_order: 9,
    }),

    // --- English ---
    unit('t1e2n3s4e5', ['2025-07-28 08:00:00.000000', '2025-10-09 12:00:03.100200'], {
      title: 'Tenses',
      parent_track: 'g7r8a9m0m1',
      badge_image: '/files/badges/tenses.svg',
      sort_order: 1,
    }),
    // RULE: hidden in every plan that lists English (so it has no unit file).
    unit('r5e6a7d8i9', ['2025-07-28 08:10:00.000000', '2025-10-05 09:00:00.000000'], {
      title: 'Reading',
      parent_track: 'r0e1a2d3s4',
      sort_order: 1,
    }),

    // --- Arabic ---
    unit('i1r2a3b4n5', ['2025-07-29 10:00:00.000000', '2025-10-10 10:10:10.101010'], {
      title: 'الجُمْلَةُ العَرَبِيَّةُ',
      parent_track: 'n4h5w6n7h8',
      sort_order: 1,
    }),
    unit('b3a4y5a6n7', ['2025-07-29 10:10:00.000000', '2025-10-07 19:22:48.300000'], {
      title: 'علم البيان',
      parent_track: 'b8l9a0g1h2',
      sort_order: 1,
    }),

    // --- Robotics ---
    unit('r2b3u4n5t6', ['2025-09-15 15:02:00.000000', '2025-09-15 15:02:00.000000'], {
      title: 'Sensors',
      parent_track: 'r1b2t3r4k5',
      sort_order: 1,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Topics
// ---------------------------------------------------------------------------------------------

function topics(): RawDoc[] {
  return [
    // --- Math ---
    topic('t4v8b1n6m3', ['2025-07-30 09:00:00.000000', '2025-09-30 10:30:00.250000'], {
      title: 'المتغيِّرات والتعابير',
      parent_unit: 'Unit 1 Intro',
      sort_order: 1,
    }),
    // The English plan sets this topic to free_preview.
    topic('t2s4d6f8g0', ['2025-07-30 09:10:00.000000', '2025-09-29 08:00:00.000000'], {
      title: 'حل المعادلات بخطوة واحدة',
      parent_unit: 'u2e5q7r9t1',
      sort_order: 1,
    }),
    // RULE: the topic the Arabic plan hides.
    topic('t3h5j7k9l2', ['2025-07-30 09:20:00.000000', '2025-09-22 12:12:12.000000'], {
      title: 'المسائل الكلامية',
      parent_unit: 'u2e5q7r9t1',
      sort_order: 2,
    }),
    // Published topic under the unpublished draft unit.
    topic('t7p8a9t0n1', ['2025-09-25 14:05:00.000000', '2025-10-13 09:45:00.000000'], {
      title: 'أنماط الأعداد',
      parent_unit: 'u3dr4ft0un',
      sort_order: 1,
    }),
    topic('t8z1w2v3a4', ['2025-07-30 10:00:00.000000', '2025-09-30 10:31:12.000000'], {
      title: 'أنواع الزوايا وقياسها',
      parent_unit: 'GEO/7-ANGLES',
      sort_order: 1,
    }),
    topic('t9c0h1a2r3', ['2025-07-30 10:10:00.000000', '2025-10-01 17:45:09.880001'], {
      title: 'التمثيل بالأعمدة',
      parent_unit: 's5t6a7t8u9',
      sort_order: 1,
    }),
    topic('t5a6d7d8f9', ['2025-07-30 11:00:00.000000', '2025-10-02 14:03:11.907115'], {
      title: 'جمع الكسور وطرحها',
      parent_unit: 'f2r3a4c5t6',
      sort_order: 1,
    }),
    // RULE: free-preview topic under the paid subject; title with diacritics ("الكسر العشري" finds it).
    topic('t6fp1r2e3v', ['2025-07-30 11:10:00.000000', '2025-10-02 13:59:40.000001'], {
      title: 'الكَسْرُ العَشْرِيُّ',
      parent_unit: 'd3c1m4l5s6',
      is_free_preview: 1,
      sort_order: 1,
    }),
    topic('t1o2l3y4m5', ['2025-08-11 12:15:00.000000', '2025-08-11 12:15:00.000000'], {
      title: 'مسائل التحدي',
      parent_unit: 'o1y2m3p4d5',
      sort_order: 1,
    }),

    // --- Science ---
    topic('p8h9o0t1o2', ['2025-07-31 09:00:00.000000', '2025-09-28 09:15:44.618002'], {
      title: 'How plants make food',
      parent_unit: 'c3e4l5l6s7',
      sort_order: 1,
    }),
    // RULE: unpublished topic holding a published lesson (Pollination).
    topic('d9r8a7f6t5', ['2025-09-10 09:00:00.000000', '2025-09-12 09:30:00.000000'], {
      title: 'Plant reproduction (draft)',
      parent_unit: 'c3e4l5l6s7',
      is_published: 0,
      sort_order: 2,
    }),
    topic('f0o1d2c3h4', ['2025-07-31 09:10:00.000000', '2025-09-18 10:00:00.000000'], {
      title: 'Food chains',
      parent_unit: 'e5c6o7s8y9',
      sort_order: 1,
    }),
    topic('w1o2r3k4s5', ['2025-07-31 09:20:00.000000', '2025-09-20 13:13:13.131313'], {
      title: 'Working safely',
      parent_unit: 'k1s2a3f4e5',
      sort_order: 1,
    }),
    topic('e1r2u3p4t5', ['2025-08-30 10:20:00.000000', '2025-09-02 11:00:00.000000'], {
      title: 'Eruptions',
      parent_unit: 'v0l1c2a3n4',
      sort_order: 1,
    }),
    topic('c1l2i3m4a5', ['2025-08-05 16:05:00.000000', '2025-08-05 16:05:00.000000'], {
      title: 'Climate zones',
      parent_unit: BAD.orphanUnit,
      sort_order: 1,
    }),

    // --- English ---
    // RULE: duplicate sort_order (1) with "Past simple".
    topic('q1p2r3s4m5', ['2025-08-01 08:00:00.000000', '2025-10-09 12:00:03.100200'], {
      title: 'Present simple',
      parent_unit: 't1e2n3s4e5',
      sort_order: 1,
    }),
    topic('q2p3s4t5s6', ['2025-08-01 08:10:00.000000', '2025-10-03 15:30:00.000000'], {
      title: 'Past simple',
      parent_unit: 't1e2n3s4e5',
      sort_order: 1,
    }),
    // RULE (bad data): whitespace-only title.
    topic(BAD.blankTitleTopic, ['2025-08-20 11:00:00.000000', '2025-08-20 11:00:30.000000'], {
      title: '   ',
      parent_unit: 't1e2n3s4e5',
      sort_order: 3,
    }),
    topic('q3s4t5o6r7', ['2025-08-01 08:20:00.000000', '2025-10-05 09:00:00.000000'], {
      title: 'Short stories',
      parent_unit: 'r5e6a7d8i9',
      sort_order: 1,
    }),

    // --- Arabic ---
    // Taa marbuta and diacritics in the title.
    topic('a6s7m8a9a0', ['2025-08-02 10:00:00.000000', '2025-10-10 10:10:10.101010'], {
      title: 'الجُمْلَةُ الاسْمِيَّةُ',
      parent_unit: 'i1r2a3b4n5',
      sort_order: 1,
    }),
    topic('f1e2l3a4a5', ['2025-08-02 10:10:00.000000', '2025-10-08 08:08:08.080808'], {
      title: 'النَّوَاسِخُ',
      parent_unit: 'i1r2a3b4n5',
      sort_order: 2,
    }),
    topic('t0s1h2b3h4', ['2025-08-02 10:20:00.000000', '2025-10-07 19:22:48.300000'], {
      title: 'التشبيه',
      parent_unit: 'b3a4y5a6n7',
      sort_order: 1,
    }),

    // --- Robotics ---
    topic('r3b4t5p6c7', ['2025-09-15 15:03:00.000000', '2025-09-15 15:03:00.000000'], {
      title: 'Line sensors',
      parent_unit: 'r2b3u4n5t6',
      sort_order: 1,
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Lessons
// ---------------------------------------------------------------------------------------------

function lessons(): RawDoc[] {
  return [
    // --- Math: algebra ---
    lesson('l1v2a3r4i5', ['2025-08-03 09:00:00.000000', '2025-09-30 10:30:00.250000'], {
      title: 'ما هو المتغيِّر؟',
      parent_topic: 't4v8b1n6m3',
      image: '/files/lessons/variables.png',
      sort_order: 1,
    }, [
      youtube('شاهد الشرح', 'NybHckSEQBI', 312),
      text('الفكرة', 'المتغيِّر رمز، مثل **س**، يدل على عدد لا نعرفه بعد.'),
      question('تحقَّق من فهمك', 'إذا كانت س + ٣ = ٥ فما قيمة س؟', ['١', '٢', '٣', '٨'], 1),
    ]),
    lesson('l2e3x4p5r6', ['2025-08-03 09:10:00.000000', '2025-09-24 11:00:00.000000'], {
      title: 'كتابة التعابير الجبرية',
      parent_topic: 't4v8b1n6m3',
      sort_order: 2,
    }, [
      text('من الكلمات إلى الرموز', '«ثلاثة أمثال عدد مضافًا إليه ٤» تكتب ٣س + ٤.'),
      question('اختر التعبير', 'ما التعبير الذي يمثل «عدد مطروحًا منه ٧»؟', ['٧ − س', 'س − ٧', '٧س', 'س ÷ ٧'], 1),
    ]),
    lesson('l3o4n5e6s7', ['2025-08-03 09:20:00.000000', '2025-09-29 08:00:00.000000'], {
      title: 'حل معادلات الجمع والطرح',
      parent_topic: 't2s4d6f8g0',
      sort_order: 1,
    }, [
      bucketVideo('فيديو الدرس', 'videos/one-step-equations.mp4', 405),
      question('تدرَّب', 'حل: س − ٤ = ١٠', ['٦', '١٤', '٤٠', '٢٫٥'], 1, 'أضف ٤ إلى الطرفين.'),
    ]),
    // RULE: duplicate sort_order (1) with the lesson above.
    lesson('l4m5u6l7t8', ['2025-08-03 09:30:00.000000', '2025-09-26 10:45:00.000000'], {
      title: 'حل معادلات الضرب والقسمة',
      parent_topic: 't2s4d6f8g0',
      sort_order: 1,
    }, [
      text('القاعدة', 'اقسم الطرفين على معامل المتغير.'),
      question('تدرَّب', 'حل: ٣س = ١٢', ['٣', '٤', '٩', '٣٦'], 1),
    ]),
    // RULE: unpublished draft lesson under a published topic.
    lesson('l5d6r7a8f9', ['2025-10-11 10:00:00.000000', '2025-10-14 18:20:00.000000'], {
      title: 'مسودة: المعادلات ذات الخطوتين',
      parent_topic: 't2s4d6f8g0',
      is_published: 0,
      sort_order: 3,
    }, [text('قيد الكتابة', 'لم يكتمل بعد.')]),
    // Lessons of the topic the Arabic plan hides.
    lesson('l6a7g8e9w0', ['2025-08-03 09:40:00.000000', '2025-09-22 12:12:12.000000'], {
      title: 'مسائل الأعمار',
      parent_topic: 't3h5j7k9l2',
      sort_order: 1,
    }, [
      text('مثال', 'عمر أحمد الآن ضعف عمر أخيه…'),
      question('حل المسألة', 'مجموع عمري أب وابنه ٤٠ سنة، والأب أكبر بـ ٢٦ سنة. كم عمر الابن؟', ['٧', '١٤', '٢٦', '٣٣'], 0),
    ]),
    lesson('l7s8p9e0d1', ['2025-08-03 09:50:00.000000', '2025-09-21 09:09:09.000000'], {
      title: 'إيجاد السرعة والمسافة والزمن',
      parent_topic: 't3h5j7k9l2',
      sort_order: 2,
    }, [text('العلاقة', 'المسافة = السرعة × الزمن.')]),
    // Published lesson inside the unpublished draft unit (not exported).
    lesson('l8p9a0t1t2', ['2025-09-25 14:10:00.000000', '2025-10-13 09:45:00.000000'], {
      title: 'الحد العام للنمط',
      parent_topic: 't7p8a9t0n1',
      sort_order: 1,
    }, [text('مقدمة', 'النمط ٢، ٤، ٦، … حدّه العام ٢ن.')]),

    // --- Math: geometry (sold separately, parent item unlocks it) ---
    lesson('l9a0n1g2l3', ['2025-08-04 09:00:00.000000', '2025-09-30 10:31:12.000000'], {
      title: 'الزاوية الحادة والمنفرجة',
      parent_topic: 't8z1w2v3a4',
      sort_order: 1,
    }, [
      youtube('شاهد الشرح', 'H-de6Tkxej8', 268),
      question('صنِّف الزاوية', 'زاوية قياسها ١٢٠° هي زاوية:', ['حادة', 'قائمة', 'منفرجة', 'مستقيمة'], 2),
    ]),
    // The Arabic plan sets this lesson free.
    lesson('m0p1r2o3t4', ['2025-08-04 09:10:00.000000', '2025-09-19 14:00:00.000000'], {
      title: 'قياس الزوايا بالمِنْقَلَة',
      parent_topic: 't8z1w2v3a4',
      sort_order: 2,
    }, [
      interactive('جرِّب المنقلة', 'protractor', { angles: [30, 90, 135], snap_degrees: 5 }),
      text('تذكَّر', 'ضع مركز المنقلة على رأس الزاوية.'),
    ]),

    // --- Math: statistics (sold separately, separate purchase) ---
    lesson('m1b2a3r4c5', ['2025-08-04 10:00:00.000000', '2025-10-01 17:45:09.880001'], {
      title: 'قراءة التمثيل بالأعمدة',
      parent_topic: 't9c0h1a2r3',
      sort_order: 1,
    }, [
      text('كيف نقرأ الأعمدة', 'ارتفاع العمود يدل على التكرار.'),
      interactive('ارسم تمثيلك', 'bar-chart-builder', { categories: ['أحمر', 'أزرق', 'أخضر'], max: 10 }),
    ]),

    // --- Math: fractions and decimals ---
    // RULE: id with Arabic letters; bucket video key "videos/intro-fractions.mp4".
    lesson('درس-الكسور', ['2025-08-05 09:00:00.000000', '2025-10-02 14:03:11.907115'], {
      title: 'جمع الكسور المتشابهة',
      parent_topic: 't5a6d7d8f9',
      sort_order: 1,
    }, [
      bucketVideo('مقدمة في الكسور', 'videos/intro-fractions.mp4', 254),
      question('احسب', '٢/٧ + ٣/٧ = ؟', ['٥/١٤', '٥/٧', '٦/٧', '١'], 1),
    ]),
    // RULE: id containing ".."; English title ("Adding fractions"); renamed by the bridge plan.
    lesson('lesson..x', ['2025-08-05 09:10:00.000000', '2025-10-01 09:00:00.000000'], {
      title: 'Adding fractions',
      parent_topic: 't5a6d7d8f9',
      description: 'Unlike denominators, explained in English.',
      sort_order: 2,
    }, [
      text('Common denominators', 'To add 1/2 and 1/3, rewrite both with denominator 6.'),
      question('Try it', '1/2 + 1/3 = ?', ['2/5', '5/6', '1/6', '2/6'], 1),
    ]),
    // RULE: Arabic title with diacritics under the free-preview topic ("الكسر العشري" finds it).
    lesson('m2d3e4c5r6', ['2025-08-05 10:00:00.000000', '2025-10-02 13:59:40.000001'], {
      title: 'الكَسْرُ العَشْرِيُّ وقِراءَتُهُ',
      parent_topic: 't6fp1r2e3v',
      sort_order: 1,
    }, [
      bucketVideo('فيديو الدرس', 'videos/decimals-reading.mp4', 198),
      text('المنازل العشرية', 'الجزء من عشرة، الجزء من مئة، الجزء من ألف.'),
    ]),
    lesson('m3c4m5p6r7', ['2025-08-05 10:10:00.000000', '2025-09-27 16:00:00.000000'], {
      title: 'مقارنة الأعداد العشرية',
      parent_topic: 't6fp1r2e3v',
      sort_order: 2,
    }, [question('أيهما أكبر؟', 'أيهما أكبر: ٠٫٥ أم ٠٫٤٩؟', ['٠٫٥', '٠٫٤٩', 'متساويان'], 0)]),
    lesson('m4r5n6d7g8', ['2025-08-05 10:20:00.000000', '2025-09-27 16:05:00.000000'], {
      title: 'تقريب الأعداد العشرية',
      parent_topic: 't6fp1r2e3v',
      sort_order: 3,
    }, [text('القاعدة', 'انظر إلى الرقم الذي يلي منزلة التقريب.')]),

    // Under the bad sold-separately track: skipped with it.
    lesson('m5o6l7y8m9', ['2025-08-11 12:20:00.000000', '2025-08-11 12:20:00.000000'], {
      title: 'مسألة عقارب الساعة',
      parent_topic: 't1o2l3y4m5',
      sort_order: 1,
    }, [question('تحدٍّ', 'كم مرة يتطابق عقربا الساعة في اليوم؟', ['٢٢', '٢٤', '١١', '١٢'], 0)]),

    // --- Science ---
    // RULE: English title "Photosynthesis"; YouTube video.
    lesson('n1p2h3o4t5', ['2025-08-06 09:00:00.000000', '2025-09-28 09:15:44.618002'], {
      title: 'Photosynthesis',
      parent_topic: 'p8h9o0t1o2',
      image: '/files/lessons/photosynthesis.png',
      sort_order: 1,
    }, [
      youtube('Watch the explanation', 'UPBMG5EYydo', 330),
      text('Key idea', 'Plants turn light, water and carbon dioxide into sugar and oxygen.'),
      question('Check', 'Which gas do plants release during photosynthesis?', ['Nitrogen', 'Oxygen', 'Carbon dioxide'], 1),
    ]),
    lesson('n2l3e4a5f6', ['2025-08-06 09:10:00.000000', '2025-09-17 09:00:00.000000'], {
      title: 'Leaves and chlorophyll',
      parent_topic: 'p8h9o0t1o2',
      sort_order: 2,
    }, [text('Why leaves are green', 'Chlorophyll absorbs red and blue light and reflects green.')]),
    lesson('n3r4e5s6p7', ['2025-08-06 09:20:00.000000', '2025-09-17 09:10:00.000000'], {
      title: 'Respiration in plants',
      parent_topic: 'p8h9o0t1o2',
      sort_order: 3,
    }, [
      text('Day and night', 'Plants respire all the time, not only at night.'),
      question('Check', 'Respiration releases…', ['energy', 'chlorophyll', 'light'], 0),
    ]),
    // RULE: published lesson under an unpublished topic (not exported).
    lesson('n4p5o6l7l8', ['2025-09-10 09:10:00.000000', '2025-09-12 09:30:00.000000'], {
      title: 'Pollination',
      parent_topic: 'd9r8a7f6t5',
      sort_order: 1,
    }, [text('Bees and flowers', 'Pollen moves from the anther to the stigma.')]),
    lesson('n5p6r7o8d9', ['2025-08-06 10:00:00.000000', '2025-09-18 10:00:00.000000'], {
      title: 'Producers and consumers',
      parent_topic: 'f0o1d2c3h4',
      sort_order: 1,
    }, [
      bucketVideo('Video lesson', 'videos/food-chains.mp4', 287),
      question('Check', 'A rabbit is a…', ['producer', 'primary consumer', 'decomposer'], 1),
    ]),
    lesson('n6w7e8b9s0', ['2025-08-06 10:10:00.000000', '2025-09-18 10:05:00.000000'], {
      title: 'Food webs',
      parent_topic: 'f0o1d2c3h4',
      sort_order: 2,
    }, [interactive('Build a food web', 'drag-connect', { nodes: ['grass', 'rabbit', 'fox', 'hawk'] })]),
    lesson('n7e8q9u0i1', ['2025-08-06 11:00:00.000000', '2025-09-20 13:13:13.131313'], {
      title: 'Lab equipment',
      parent_topic: 'w1o2r3k4s5',
      sort_order: 1,
    }, [interactive('Name the equipment', 'label-image', { image: '/files/lab/bench.png', labels: ['beaker', 'flask', 'burner'] })]),
    lesson('n8v9o0l1u2', ['2025-08-06 11:10:00.000000', '2025-09-20 13:10:00.000000'], {
      title: 'Measuring volume',
      parent_topic: 'w1o2r3k4s5',
      sort_order: 2,
    }, [
      interactive('Read the meniscus', 'measuring-cylinder', { capacity_ml: 100, target_ml: 37 }),
      question('Check', 'Read the volume at the…', ['top of the meniscus', 'bottom of the meniscus'], 1),
    ]),
    // Under the published unit of the unpublished track (not exported).
    lesson('n9e0r1u2p3', ['2025-08-30 10:30:00.000000', '2025-09-02 11:00:00.000000'], {
      title: 'How volcanoes erupt',
      parent_topic: 'e1r2u3p4t5',
      sort_order: 1,
    }, [text('Magma', 'Pressure builds until magma escapes.')]),
    // Under the orphan unit (not exported).
    lesson('p0c1l2i3m4', ['2025-08-05 16:10:00.000000', '2025-08-05 16:10:00.000000'], {
      title: 'Hot and cold climates',
      parent_topic: 'c1l2i3m4a5',
      sort_order: 1,
    }, [text('Zones', 'Tropical, temperate and polar.')]),

    // --- English ---
    lesson('e1u2s3i4n5', ['2025-08-07 08:00:00.000000', '2025-10-09 12:00:03.100200'], {
      title: 'Using the present simple',
      parent_topic: 'q1p2r3s4m5',
      sort_order: 1,
    }, [
      youtube('Watch the explanation', 'Oe8E0vnQ7Ao', 245),
      text('Form', 'I/you/we/they **play**; he/she/it **plays**.'),
    ]),
    // RULE (bad data): one stage's config is not valid JSON; the stages around it are valid.
    lesson(BAD.malformedStageLesson, ['2025-08-07 08:10:00.000000', '2025-10-06 10:00:00.000000'], {
      title: 'Present simple questions',
      parent_topic: 'q1p2r3s4m5',
      sort_order: 2,
    }, [
      text('Do and does', 'Use **do** or **does** to ask: *Does she like tea?*'),
      { title: 'Choose the question', type: 'Question', config: '{"question": "Which is correct?", "options": ["Do she like tea?", "Does she like tea?"' },
      question('One more', 'Choose: ___ they live here?', ['Do', 'Does'], 0),
    ]),
    // RULE (bad data): empty title.
    lesson(BAD.emptyTitleLesson, ['2025-08-21 09:00:00.000000', '2025-08-21 09:00:05.000000'], {
      title: '',
      parent_topic: 'q1p2r3s4m5',
      sort_order: 3,
    }, [text('Untitled', 'Someone forgot the title.')]),
    lesson('e3r4e5g6u7', ['2025-08-07 08:20:00.000000', '2025-10-03 15:30:00.000000'], {
      title: 'Regular verbs in the past',
      parent_topic: 'q2p3s4t5s6',
      sort_order: 1,
    }, [
      text('Add -ed', 'play → played, watch → watched.'),
      question('Check', 'Past of "walk"?', ['walked', 'walkt', 'walk'], 0),
    ]),
    // RULE (bad data): a stage of unknown type ("Flashcards") among valid stages.
    lesson(BAD.unknownStageTypeLesson, ['2025-08-07 08:30:00.000000', '2025-10-03 15:35:00.000000'], {
      title: 'Irregular verbs',
      parent_topic: 'q2p3s4t5s6',
      sort_order: 2,
    }, [
      text('Learn by heart', 'go → went, see → saw, take → took.'),
      { title: 'Flashcards', type: 'Flashcards', config: json({ cards: [['go', 'went'], ['see', 'saw']] }) },
      question('Check', 'Past of "take"?', ['taked', 'took', 'taken'], 1),
    ]),
    // Under the whitespace-titled topic (skipped with it).
    lesson('e5b6l7a8n9', ['2025-08-20 11:05:00.000000', '2025-08-20 11:05:00.000000'], {
      title: 'Lesson under a blank topic',
      parent_topic: BAD.blankTitleTopic,
      sort_order: 1,
    }, [text('Note', 'Its topic has no title.')]),
    // RULE (bad data): orphan lesson, parent_topic names a topic that does not exist.
    lesson(BAD.orphanLesson, ['2025-08-15 10:00:00.000000', '2025-08-15 10:01:00.000000'], {
      title: 'Describing your weekend',
      parent_topic: BAD.orphanLessonMissingTopic,
      sort_order: 1,
    }, [text('Warm-up', 'What did you do last weekend?')]),
    // In the unit hidden by every plan that lists English.
    lesson('e6l7o8s9t0', ['2025-08-07 09:00:00.000000', '2025-10-05 09:00:00.000000'], {
      title: 'The lost key',
      parent_topic: 'q3s4t5o6r7',
      sort_order: 1,
    }, [text('Story', 'Sam looked under the mat, but the key was gone.')]),

    // --- Arabic: diacritics, alef variants (أ إ آ) and taa marbuta ---
    // RULE: diacritics + taa marbuta: "مقدمه" finds it.
    lesson('a0m1q2d3m4', ['2025-08-08 10:00:00.000000', '2025-10-10 10:10:10.101010'], {
      title: 'مُقَدِّمَةٌ فِي عِلْمِ النَّحْوِ',
      parent_topic: 'a6s7m8a9a0',
      sort_order: 0,
    }, [text('لماذا النحو؟', 'النحو يحفظ اللسان من الخطأ.')]),
    lesson('a1m2b3t4d5', ['2025-08-08 10:10:00.000000', '2025-10-04 12:00:00.000000'], {
      title: 'المُبْتَدَأُ والخَبَرُ',
      parent_topic: 'a6s7m8a9a0',
      sort_order: 1,
    }, [
      youtube('شاهد الشرح', 'kJ8b3xGmR2s', 301),
      question('أعرب', 'ما إعراب «العلمُ» في: العلمُ نورٌ؟', ['مبتدأ مرفوع', 'خبر مرفوع', 'فاعل'], 0),
    ]),
    // Alef with hamza above (أ).
    lesson('a2j3m4l5t6', ['2025-08-08 10:20:00.000000', '2025-10-04 12:10:00.000000'], {
      title: 'أَنْوَاعُ الجُمْلَةِ',
      parent_topic: 'a6s7m8a9a0',
      sort_order: 2,
    }, [text('اسمية وفعلية', 'الجملة الاسمية تبدأ باسم، والفعلية تبدأ بفعل.')]),
    // Alef with hamza below (إ).
    lesson('a3i4n5n6a7', ['2025-08-08 10:30:00.000000', '2025-10-08 08:08:08.080808'], {
      title: 'إِنَّ وأَخَوَاتُهَا',
      parent_topic: 'f1e2l3a4a5',
      sort_order: 1,
    }, [
      text('العمل', 'تنصب المبتدأ وترفع الخبر.'),
      question('اختر', 'أيّ مما يلي من أخوات إنّ؟', ['كان', 'لكنّ', 'ظنّ'], 1),
    ]),
    lesson('a4k5a6n7a8', ['2025-08-08 10:40:00.000000', '2025-10-08 08:00:00.000000'], {
      title: 'كانَ وأخَواتُها',
      parent_topic: 'f1e2l3a4a5',
      sort_order: 2,
    }, [text('العمل', 'ترفع المبتدأ وتنصب الخبر.')]),
    lesson('a5r6k7a8n9', ['2025-08-08 11:00:00.000000', '2025-10-07 19:22:48.300000'], {
      title: 'أركان التشبيه',
      parent_topic: 't0s1h2b3h4',
      sort_order: 1,
    }, [
      text('الأركان الأربعة', 'المشبه، المشبه به، أداة التشبيه، وجه الشبه.'),
      interactive('طابق الأركان', 'match-pairs', { pairs: [['المشبه', 'زيد'], ['المشبه به', 'الأسد']] }),
    ]),
    // Alef with madda (آ).
    lesson('a6a7d8a9b0', ['2025-08-08 11:10:00.000000', '2025-10-07 19:20:00.000000'], {
      title: 'التشبيه في آياتِ القُرْآنِ الكَرِيمِ',
      parent_topic: 't0s1h2b3h4',
      sort_order: 2,
    }, [text('أمثلة', '﴿كَأَنَّهُنَّ بَيْضٌ مَّكْنُونٌ﴾')]),

    // --- Robotics (subject in no plan: never exported) ---
    lesson('r4b5l6s7n8', ['2025-09-15 15:04:00.000000', '2025-09-15 15:04:00.000000'], {
      title: 'Build a line follower',
      parent_topic: 'r3b4t5p6c7',
      sort_order: 1,
    }, [bucketVideo('Build along', 'videos/line-follower.mp4', 540)]),
  ];
}

/**
 * The site the samples come from: generation 002 of the Memora DocTypes, whose override actions
 * the site has extended with Set Access Level (a Property Setter on Memora Plan Override.action),
 * so the samples show every access rule of DESIGN.md section 4.
 */
export const SAMPLE_SITE = {
  generation: '002',
  selectOptions: { 'Memora Plan Override.action': [...OVERRIDE_ACTION_OPTIONS['002'], 'Set Access Level'] },
} as const satisfies { generation: Generation; selectOptions: Record<string, readonly string[]> };

/** The emulator options of the sample site, with a fresh catalog. */
export function sampleSite(): { catalog: Record<DocTypeName, RawDoc[]>; generation: Generation; selectOptions: Record<string, readonly string[]> } {
  return { catalog: sampleCatalog(), generation: SAMPLE_SITE.generation, selectOptions: SAMPLE_SITE.selectOptions };
}

/** The sample site's DocType metadata, as pull keeps it in the content cache. */
export function sampleSiteMeta(): SiteMeta {
  return generationMeta(SAMPLE_SITE.generation, SAMPLE_SITE.selectOptions);
}

/** The sample catalog, one array of documents per DocType. Fresh objects on every call. */
export function sampleCatalog(): Record<DocTypeName, RawDoc[]> {
  return {
    [DOCTYPES.plan]: withDoctype(DOCTYPES.plan, plans()),
    [DOCTYPES.subject]: withDoctype(DOCTYPES.subject, subjects()),
    [DOCTYPES.track]: withDoctype(DOCTYPES.track, tracks()),
    [DOCTYPES.unit]: withDoctype(DOCTYPES.unit, units()),
    [DOCTYPES.topic]: withDoctype(DOCTYPES.topic, topics()),
    [DOCTYPES.lesson]: withDoctype(DOCTYPES.lesson, lessons()),
  };
}

/** Frappe's document endpoint names the DocType of a document and of each child row: so does the sample. */
function withDoctype(doctype: DocTypeName, docs: RawDoc[]): RawDoc[] {
  const tables = (CHILD_TABLES as Partial<Record<DocTypeName, readonly { field: string; doctype: string }[]>>)[doctype] ?? [];
  return docs.map((doc) => {
    const out: RawDoc = { ...doc, doctype };
    for (const t of tables) if (Array.isArray(doc[t.field])) out[t.field] = (doc[t.field] as RawDoc[]).map((row) => ({ ...row, doctype: t.doctype }));
    return out;
  });
}
