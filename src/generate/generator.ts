import { writeCache } from '../content/cache.ts';
import { DOCTYPES, type DocTypeName, type OverrideAction, type StageType } from '../content/doctypes.ts';
import { DEFAULT_GENERATION, GENERATIONS, generationMeta, OVERRIDE_ACTION_OPTIONS, type Generation } from '../content/fields.ts';
import type { RawChildRow, RawDoc } from '../content/raw.ts';
import { UsageError } from '../errors.ts';
import { GENERATE_LIMITS } from './limits.ts';
import { Random } from './random.ts';
import * as W from './words.ts';

/**
 * The synthetic catalog: plans, subjects and their trees, shaped like real Frappe data, for
 * tests and benchmarks. `generateCatalog` is pure and deterministic: equal options give equal
 * documents (and so byte-identical cache files), with timestamps derived from the seed.
 */

export interface GenerateOptions {
  plans: number;
  lessons: number;
  seed: number;
  /** The generation of the Memora DocTypes (content/fields.ts); default 002. */
  generation?: Generation;
}

export interface GenerateStats {
  plans: number;
  subjects: number;
  tracks: number;
  units: number;
  topics: number;
  lessons: number;
  stages: number;
}

export interface GeneratedCatalog {
  docs: Record<DocTypeName, RawDoc[]>;
  stats: GenerateStats;
}

/** How often each override action is drawn, for tracks and for the other levels. */
const ACTION_WEIGHTS: Record<'track' | 'other', Record<OverrideAction, number>> = {
  track: { Hide: 20, Rename: 25, 'Set Free': 15, 'Set Sold Separately': 25, 'Set Access Level': 0, 'Set Linear': 20 },
  other: { Hide: 25, Rename: 35, 'Set Free': 20, 'Set Sold Separately': 0, 'Set Access Level': 0, 'Set Linear': 20 },
};

/** About this many lessons per subject. */
const LESSONS_PER_SUBJECT = 400;
/** Share of nodes at each level that are unpublished (levels with at least 10 nodes). */
const UNPUBLISHED_SHARE = 0.03;
const GRADES = [4, 5, 6, 7, 8, 9, 10, 11, 12];
const HEX = '0123456789abcdef';
const YOUTUBE_ID = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

export function generateCatalog(options: GenerateOptions): GeneratedCatalog {
  checkOptions(options);
  const generation = options.generation ?? DEFAULT_GENERATION;
  const g = new Generator(options.seed, generation);
  const subjectCount = Math.min(options.lessons, Math.max(3, Math.round(options.lessons / LESSONS_PER_SUBJECT)));
  const budgets = g.split(options.lessons, subjectCount);
  budgets.forEach((budget, i) => g.subject(i, budget));
  g.plans(options.plans);
  g.unpublishSome();
  g.ensureVariety();
  if (generation === '008') g.toGeneration008(options.seed);
  const d = g.docs;
  return {
    docs: d,
    stats: {
      plans: d[DOCTYPES.plan].length,
      subjects: d[DOCTYPES.subject].length,
      tracks: d[DOCTYPES.track].length,
      units: d[DOCTYPES.unit].length,
      topics: d[DOCTYPES.topic].length,
      lessons: d[DOCTYPES.lesson].length,
      stages: g.stageCount,
    },
  };
}

/** Generates the catalog and replaces every DocType of the cache in `dir` with it, with its generation's metadata. */
export async function writeGeneratedCatalog(dir: string, options: GenerateOptions): Promise<GeneratedCatalog> {
  const catalog = generateCatalog(options);
  await writeCache(dir, { replace: catalog.docs, siteMeta: generationMeta(options.generation ?? DEFAULT_GENERATION) });
  return catalog;
}

function checkOptions(options: GenerateOptions): void {
  for (const key of ['plans', 'lessons'] as const) {
    const { min, max } = GENERATE_LIMITS[key];
    const value = options[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new UsageError(`generate: --${key} must be an integer from ${min} to ${max}, got ${value}`);
    }
  }
  if (!Number.isSafeInteger(options.seed)) throw new UsageError(`generate: --seed must be an integer, got ${options.seed}`);
  if (options.generation !== undefined && !GENERATIONS.includes(options.generation)) {
    throw new UsageError(`generate: --generation must be one of ${GENERATIONS.join(', ')}, got ${JSON.stringify(options.generation)}`);
  }
}

/** Timestamps in microseconds since the epoch, spread over about 18 months chosen by the seed. */
class Clock {
  private readonly start: number;
  private readonly end: number;
  private readonly spanSeconds = 540 * 86_400;
  /** Bulk imports and edits: many documents share these exact values. */
  private readonly batches: number[];

  constructor(private readonly rng: Random) {
    this.start = Date.UTC(2023, 5, 1) * 1000 + rng.int(0, 365 * 86_400) * 1_000_000;
    this.end = this.start + this.spanSeconds * 1_000_000 + rng.int(0, 999_999);
    this.batches = Array.from({ length: 24 }, () => this.random()).sort((a, b) => a - b);
  }

  private random(): number {
    return this.start + this.rng.int(0, this.spanSeconds) * 1_000_000 + this.rng.int(0, 999_999);
  }

  /** A creation time no earlier than `after`. */
  creation(after = 0): number {
    const t = this.rng.chance(0.55) ? this.rng.pick(this.batches) : this.random();
    return Math.max(t, after);
  }

  modified(creation: number): number {
    const r = this.rng.next();
    if (r < 0.35) return creation;
    if (r < 0.7) return Math.max(creation, this.rng.pick(this.batches));
    return Math.max(creation, Math.min(this.end, creation + this.rng.int(60, 120 * 86_400) * 1_000_000 + this.rng.int(0, 999_999)));
  }
}

/** Frappe's datetime format: `YYYY-MM-DD HH:MM:SS.ffffff`. */
function formatTime(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(us % 1_000_000).padStart(6, '0')}`;
}

function fill(template: string, concept: string): string {
  return template.replace('{c}', concept);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Cuts a title to `max` characters at a word boundary. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return (space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s:,-]+$/, '');
}

interface SubjectCtx {
  doc: RawDoc;
  lang: W.Lang;
  vocab: W.SubjectVocab;
  words: W.SubjectWords;
  grade: number;
  /** Item code of the subject, and the prefix of its tracks' item codes. */
  item: string;
  /** Where this subject's nodes sit in the DocType arrays: [start, end) per level. */
  ranges: Record<'track' | 'unit' | 'topic' | 'lesson', [number, number]>;
  conceptUses: Map<string, number>;
  /** Concepts not yet used in the current round, so topics cycle through all of them. */
  conceptQueue: string[];
}

type Level = 'subject' | 'track' | 'unit' | 'topic' | 'lesson';

class Generator {
  readonly rng: Random;
  readonly docs: Record<DocTypeName, RawDoc[]>;
  stageCount = 0;
  private readonly clock: Clock;
  private readonly ids = new Set<string>();
  private readonly subjects: SubjectCtx[] = [];
  /** Item code each track would carry when sold separately (parallel to the track array). */
  private readonly trackItems: string[] = [];
  private readonly combos: { vocab: W.SubjectVocab; grade: number }[];

  constructor(
    seed: number,
    private readonly generation: Generation,
  ) {
    this.rng = new Random(seed);
    this.clock = new Clock(this.rng);
    this.docs = {
      [DOCTYPES.plan]: [],
      [DOCTYPES.subject]: [],
      [DOCTYPES.track]: [],
      [DOCTYPES.unit]: [],
      [DOCTYPES.topic]: [],
      [DOCTYPES.lesson]: [],
    };
    this.combos = this.rng.shuffle(W.SUBJECTS.flatMap((vocab) => GRADES.map((grade) => ({ vocab, grade }))));
  }

  /** Splits `total` into `parts` positive integers of roughly random weight. */
  split(total: number, parts: number): number[] {
    const weights = Array.from({ length: parts }, () => 0.6 + this.rng.next() * 0.8);
    const sum = weights.reduce((a, b) => a + b, 0);
    const out = weights.map((w) => 1 + Math.floor((w / sum) * (total - parts)));
    let rest = total - out.reduce((a, b) => a + b, 0);
    for (let i = this.rng.int(0, parts - 1); rest > 0; i = (i + 1) % parts, rest--) out[i] = (out[i] ?? 0) + 1;
    return out;
  }

  private id(): string {
    let id = this.rng.hashId();
    while (this.ids.has(id)) id = this.rng.hashId();
    this.ids.add(id);
    return id;
  }

  private header(after = 0): RawDoc {
    const creation = this.clock.creation(after);
    return {
      name: this.id(),
      owner: 'Administrator',
      creation: formatTime(creation),
      modified: formatTime(this.clock.modified(creation)),
      modified_by: this.rng.pick(W.EDITORS),
      docstatus: 0,
      idx: 0,
    };
  }

  private child(parent: RawDoc, parenttype: string, parentfield: string, doctype: string, idx: number, fields: Record<string, unknown>): RawChildRow {
    return {
      name: this.id(),
      owner: parent.owner,
      creation: parent.creation,
      modified: parent.modified,
      modified_by: parent.modified_by,
      docstatus: 0,
      idx,
      parent: parent.name,
      parentfield,
      parenttype,
      ...fields,
      doctype,
    };
  }

  private check(p: number): 0 | 1 {
    return this.rng.chance(p) ? 1 : 0;
  }

  /** Usually 1..n among siblings; now and then a duplicate of the previous value. */
  private sortOrder(index: number): number {
    return index > 0 && this.rng.chance(0.03) ? index : index + 1;
  }

  private image(p: number, prefix = ''): string | null {
    return this.rng.chance(p) ? `/files/${prefix}${this.rng.string(8, HEX)}.${this.rng.pick(['png', 'jpg', 'webp'])}` : null;
  }

  private description(lang: W.Lang, about: string, pNull = 0.05): string | null {
    return this.rng.chance(pNull) ? null : fill(this.rng.pick(W.DESCRIPTIONS[lang]), about);
  }

  private creationOf(doc: RawDoc): number {
    // Parents are created before children; parse back the microseconds we formatted.
    const s = doc.creation ?? '';
    return Date.parse(`${s.slice(0, 19).replace(' ', 'T')}Z`) * 1000 + Number(s.slice(20));
  }

  subject(index: number, budget: number): void {
    const rng = this.rng;
    const combo = this.combos[index % this.combos.length];
    if (!combo) throw new Error('no subject combinations');
    const group = Math.floor(index / this.combos.length);
    const lang: W.Lang = index === 0 ? 'ar' : index === 1 ? 'en' : rng.chance(0.6) ? 'ar' : 'en';
    const words = combo.vocab[lang];
    let title = `${words.title} - ${W.gradeLabel(combo.grade, lang)}`;
    if (group > 0) title += lang === 'en' ? ` (Group ${group + 1})` : ` (المجموعة ${group + 1})`;
    const item = `ITEM-${combo.vocab.code}-G${combo.grade}${group > 0 ? `-${group + 1}` : ''}`;
    const isPublic = this.check(0.12);
    const doc: RawDoc = {
      ...this.header(),
      title,
      description: this.description(lang, words.title, 0.02),
      image: this.image(0.7),
      color_code: rng.pick(W.COLOR_CODES),
      is_published: 1,
      is_free_preview: this.check(0.03),
      is_public: isPublic,
      required_item: !isPublic && rng.chance(0.5) ? item : null,
      sort_order: this.sortOrder(index),
      doctype: DOCTYPES.subject,
    };
    this.docs[DOCTYPES.subject].push(doc);
    const d = this.docs;
    const ctx: SubjectCtx = {
      doc, lang, vocab: combo.vocab, words, grade: combo.grade, item,
      ranges: { track: [d[DOCTYPES.track].length, 0], unit: [d[DOCTYPES.unit].length, 0], topic: [d[DOCTYPES.topic].length, 0], lesson: [d[DOCTYPES.lesson].length, 0] },
      conceptUses: new Map(),
      conceptQueue: [],
    };
    const trackCount = Math.min(rng.weighted([1, 2, 3], [40, 40, 20]), Math.max(1, Math.floor(budget / 20)));
    const kinds = [W.TRACK_KINDS[0] as W.TrackKind, ...rng.shuffle(W.TRACK_KINDS.slice(1))];
    this.split(budget, trackCount).forEach((trackBudget, t) => this.track(ctx, kinds[t] as W.TrackKind, t, trackBudget));
    ctx.ranges.track[1] = d[DOCTYPES.track].length;
    ctx.ranges.unit[1] = d[DOCTYPES.unit].length;
    ctx.ranges.topic[1] = d[DOCTYPES.topic].length;
    ctx.ranges.lesson[1] = d[DOCTYPES.lesson].length;
    this.subjects.push(ctx);
  }

  private track(ctx: SubjectCtx, kind: W.TrackKind, index: number, budget: number): void {
    const rng = this.rng;
    const soldItem = `${ctx.item}-${kind.code}`;
    const sold = index > 0 && rng.chance(ctx.doc.required_item ? 0.35 : 0.1);
    const doc: RawDoc = {
      ...this.header(this.creationOf(ctx.doc)),
      title: kind[ctx.lang],
      parent_subject: ctx.doc.name,
      description: this.description(ctx.lang, kind[ctx.lang]),
      image: this.image(0.3),
      is_published: 1,
      is_free_preview: this.check(0.04),
      is_sold_separately: sold ? 1 : 0,
      required_item: sold ? soldItem : null,
      parent_item_required: sold ? this.check(0.5) : 0,
      sort_order: this.sortOrder(index),
      doctype: DOCTYPES.track,
    };
    this.docs[DOCTYPES.track].push(doc);
    this.trackItems.push(soldItem);

    // Lessons per topic (3-8), then topics per unit (2-5), exactly `budget` lessons in all.
    const topicSizes: number[] = [];
    for (let left = budget; left > 0; ) {
      let size = left <= 8 ? left : rng.int(3, 8);
      if (left > 8 && left - size < 3) size = left - 3;
      topicSizes.push(size);
      left -= size;
    }
    const themeOffset = rng.int(0, ctx.words.units.length - 1);
    for (let i = 0, u = 0; i < topicSizes.length; u++) {
      const rem = topicSizes.length - i;
      let take = rng.int(2, 5);
      if (rem - take === 1) take = take > 2 ? take - 1 : take + 1;
      take = Math.min(take, rem);
      const theme = ctx.words.units[(themeOffset + u) % ctx.words.units.length] ?? '';
      this.unit(ctx, doc, u, theme, topicSizes.slice(i, i + take));
      i += take;
    }
  }

  private unitTitle(lang: W.Lang, index: number, theme: string): string {
    if (lang === 'en') return `Unit ${index + 1}: ${theme}`;
    const word = this.rng.weighted(['الوحدة', 'الوحده', 'الوَحْدَةُ'], [90, 6, 4]);
    return `${word} ${W.ARABIC_UNIT_ORDINALS[index] ?? String(index + 1)}: ${theme}`;
  }

  private unit(ctx: SubjectCtx, track: RawDoc, index: number, theme: string, topicSizes: number[]): void {
    const doc: RawDoc = {
      ...this.header(this.creationOf(track)),
      title: this.unitTitle(ctx.lang, index, theme),
      parent_track: track.name,
      description: this.description(ctx.lang, theme),
      image: this.image(0.3),
      badge_image: this.image(0.4, 'badge-'),
      is_published: 1,
      is_free_preview: this.check(index === 0 ? 0.25 : 0.03),
      sort_order: this.sortOrder(index),
      doctype: DOCTYPES.unit,
    };
    this.docs[DOCTYPES.unit].push(doc);
    topicSizes.forEach((size, t) => this.topic(ctx, doc, t, size));
  }

  private topic(ctx: SubjectCtx, unit: RawDoc, index: number, lessons: number): void {
    if (ctx.conceptQueue.length === 0) ctx.conceptQueue = this.rng.shuffle([...ctx.words.concepts]);
    const concept = ctx.conceptQueue.pop() ?? '';
    const uses = (ctx.conceptUses.get(concept) ?? 0) + 1;
    ctx.conceptUses.set(concept, uses);
    let title = ctx.lang === 'en' ? capitalize(concept) : concept;
    if (uses > 1) title += ctx.lang === 'en' ? ` (part ${uses})` : ` (الجزء ${uses})`;
    const doc: RawDoc = {
      ...this.header(this.creationOf(unit)),
      title,
      parent_unit: unit.name,
      description: this.description(ctx.lang, concept),
      image: this.image(0.15),
      is_published: 1,
      is_free_preview: this.check(0.06),
      sort_order: this.sortOrder(index),
      doctype: DOCTYPES.topic,
    };
    this.docs[DOCTYPES.topic].push(doc);
    const after = this.creationOf(doc);
    for (let l = 0; l < lessons; l++) this.lesson(ctx, doc, after, concept, l);
  }

  private lessonTitle(ctx: SubjectCtx, concept: string, index: number): string {
    const rng = this.rng;
    const lang = ctx.lang;
    let title: string;
    if (rng.chance(0.12)) title = rng.pick(ctx.words.lessons);
    else if (lang === 'ar' && index < W.ARABIC_LESSON_ORDINALS.length && rng.chance(0.08)) title = `${W.ARABIC_LESSON_ORDINALS[index]}: ${concept}`;
    else title = fill(rng.pick(W.LESSON_TEMPLATES[lang]), concept);
    if (lang === 'en') title = capitalize(title);
    while (title.length < 20) title += rng.pick(W.LESSON_PADDING[lang]);
    if (lang === 'ar' && rng.chance(0.06)) title = W.arabicVariant(title, rng.int(0, 3));
    return clip(title, 70);
  }

  private lesson(ctx: SubjectCtx, topic: RawDoc, after: number, concept: string, index: number): void {
    const rng = this.rng;
    const doc: RawDoc = {
      ...this.header(after),
      title: this.lessonTitle(ctx, concept, index),
      parent_topic: topic.name,
      description: this.description(ctx.lang, concept, 0.1),
      image: this.image(0.2),
      is_published: 1,
      is_free_preview: this.check(index === 0 ? 0.1 : 0.02),
      sort_order: this.sortOrder(index),
    };
    const count = rng.weighted([1, 2, 3, 4, 5, 6], [10, 25, 30, 20, 10, 5]);
    const stages: RawChildRow[] = [];
    for (let s = 0; s < count; s++) {
      const type: StageType = s === 0 && rng.chance(0.6) ? 'Video' : rng.weighted(['Video', 'Question', 'Text', 'Interactive'] as const, [30, 35, 20, 15]);
      stages.push(
        this.child(doc, DOCTYPES.lesson, 'stages', 'Memora Lesson Stage', s + 1, {
          title: rng.pick(W.STAGE_TITLES[type][ctx.lang]),
          type,
          config: JSON.stringify(this.stageConfig(ctx, type, concept)),
        }),
      );
    }
    this.stageCount += count;
    doc.stages = stages;
    doc.doctype = DOCTYPES.lesson;
    this.docs[DOCTYPES.lesson].push(doc);
  }

  private stageConfig(ctx: SubjectCtx, type: StageType, concept: string): Record<string, unknown> {
    const rng = this.rng;
    switch (type) {
      case 'Video':
        return rng.chance(0.5)
          ? { video_url: `https://www.youtube.com/watch?v=${rng.string(11, YOUTUBE_ID)}`, duration: rng.int(90, 1200) }
          : { video_key: `videos/${ctx.vocab.code.toLowerCase()}/${rng.string(12, HEX)}.mp4`, duration: rng.int(90, 1200) };
      case 'Question': {
        const others = ctx.words.concepts.filter((c) => c !== concept);
        const options = rng.shuffle([concept, ...rng.shuffle([...others]).slice(0, rng.int(2, 3))]);
        return { question: rng.pick(W.QUESTION_STEMS[ctx.lang]), options, answer: options.indexOf(concept) };
      }
      case 'Text':
        return { body: fill(rng.pick(W.TEXT_BODIES[ctx.lang]), concept) };
      case 'Interactive':
        return { widget: rng.pick(ctx.vocab.widgets), params: { difficulty: rng.pick(['easy', 'medium', 'hard']), grade: ctx.grade } };
    }
  }

  plans(count: number): void {
    const rng = this.rng;
    const all = this.subjects.map((_, i) => i);
    // Every subject goes to at least one plan; then each plan fills up to 6-12 subjects.
    const lists: number[][] = Array.from({ length: count }, () => []);
    rng.shuffle([...all]).forEach((s, k) => lists[k % count]?.push(s));
    for (let p = 0; p < count; p++) {
      const list = lists[p] ?? [];
      const target = count === 1 ? all.length : Math.min(all.length, rng.int(6, 12));
      const first = this.subjects[list[0] ?? rng.int(0, all.length - 1)] as SubjectCtx;
      const grade = first.grade;
      const listed = new Set(list);
      const candidates = rng.shuffle(all.filter((s) => !listed.has(s)));
      candidates.sort((a, b) => Number(this.subjects[b]?.grade === grade) - Number(this.subjects[a]?.grade === grade));
      for (const s of candidates) {
        if (list.length >= target) break;
        list.push(s);
      }
      this.plan(first.lang, grade, list);
    }
  }

  private plan(lang: W.Lang, grade: number, subjectIndexes: number[]): void {
    const rng = this.rng;
    const season = rng.weighted(['2025-2026', '2024-2025'], [70, 30]);
    const stream = rng.pick(W.STREAMS[lang]);
    const gradeText = W.gradeLabel(grade, lang);
    const variant = rng.pick(W.PLAN_VARIANTS[lang]);
    const doc: RawDoc = {
      ...this.header(),
      title: lang === 'en' ? `${gradeText} ${stream} ${season} (${variant})` : `${gradeText} - ${stream} ${season} (${variant})`,
      season,
      stream,
      grade: gradeText,
    };
    doc.subjects = subjectIndexes.map((s, k) =>
      this.child(doc, DOCTYPES.plan, 'subjects', 'Memora Plan Subject', k + 1, {
        subject: this.subjects[s]?.doc.name,
        sort_order: this.sortOrder(k),
      }),
    );
    const overrides: RawChildRow[] = [];
    const n = rng.weighted([0, 1, 2, 3, 4, 5], [25, 25, 20, 15, 10, 5]);
    for (let k = 0; k < n; k++) overrides.push(this.override(doc, subjectIndexes, k + 1));
    doc.overrides = overrides;
    doc.doctype = DOCTYPES.plan;
    this.docs[DOCTYPES.plan].push(doc);
  }

  private override(plan: RawDoc, subjectIndexes: number[], idx: number): RawChildRow {
    const rng = this.rng;
    const ctx = this.subjects[rng.pick(subjectIndexes)] as SubjectCtx;
    const level = rng.weighted<Level>(['subject', 'track', 'unit', 'topic', 'lesson'], [15, 15, 25, 20, 25]);
    let target = ctx.doc;
    if (level !== 'subject') {
      const [start, end] = ctx.ranges[level];
      target = this.docs[DOCTYPES[level]][rng.int(start, end - 1)] as RawDoc;
    }
    // Only the actions the generation's DocType offers (the field registry), where they apply:
    // Set Sold Separately to tracks, Set Linear to nodes with children.
    const offered = (OVERRIDE_ACTION_OPTIONS[this.generation] as readonly OverrideAction[]).filter(
      (a) => (a !== 'Set Sold Separately' || level === 'track') && (a !== 'Set Linear' || level !== 'lesson'),
    );
    const action: OverrideAction = rng.weighted<OverrideAction>(offered, offered.map((a) => ACTION_WEIGHTS[level === 'track' ? 'track' : 'other'][a]));
    let value = '';
    if (action === 'Rename') value = `${String(target.title)} ${rng.pick(W.RENAME_SUFFIXES[ctx.lang])}`;
    else if (action === 'Set Sold Separately') value = '1';
    else if (action === 'Set Linear') value = rng.pick(['1', '0']);
    return this.child(plan, DOCTYPES.plan, 'overrides', 'Memora Plan Override', idx, {
      target_doctype: DOCTYPES[level],
      target_name: target.name,
      action,
      override_value: value,
    });
  }

  /**
   * The fields generation 008 adds (and drops Subject is_public), drawn from their own random
   * stream so the rest of the catalog is the same as generation 002's for a seed: draft plans,
   * linear nodes, lesson bits, stage weights, target times and skippable stages.
   */
  toGeneration008(seed: number): void {
    const rng = new Random(seed * 31 + 8);
    const d = this.docs;
    d[DOCTYPES.plan].forEach((plan, i) => {
      // One plan in five is a draft: the third, the eighth, ...
      plan.is_published = i % 5 === 2 ? 0 : 1;
    });
    for (const doctype of [DOCTYPES.subject, DOCTYPES.track, DOCTYPES.unit, DOCTYPES.topic]) {
      for (const doc of d[doctype]) doc.is_linear = rng.chance(0.3) ? 1 : 0;
    }
    const nextBit = new Map<string, number>();
    const topicSubject = new Map<string, string>();
    const unitTrack = new Map(d[DOCTYPES.unit].map((u) => [u.name, String(u.parent_track)]));
    const trackSubject = new Map(d[DOCTYPES.track].map((t) => [t.name, String(t.parent_subject)]));
    for (const topic of d[DOCTYPES.topic]) topicSubject.set(topic.name, trackSubject.get(unitTrack.get(String(topic.parent_unit)) ?? '') ?? '');
    for (const lesson of d[DOCTYPES.lesson]) {
      const subject = topicSubject.get(String(lesson.parent_topic)) ?? '';
      const bit = nextBit.get(subject) ?? 0;
      lesson.bit_index = bit;
      nextBit.set(subject, bit + 1);
      for (const stage of (lesson.stages as RawChildRow[] | undefined) ?? []) {
        stage.weight = rng.pick([1, 1, 1, 2, 3]);
        stage.target_time = rng.chance(0.15) ? null : rng.int(1, 20) * 30;
        stage.is_skippable = rng.chance(0.2) ? 1 : 0;
      }
    }
    for (const subject of d[DOCTYPES.subject]) {
      delete subject.is_public;
      subject.next_bit_index = nextBit.get(subject.name) ?? 0;
    }
  }

  /** Unpublishes about 3% of the nodes at each level that has at least 10. */
  unpublishSome(): void {
    for (const doctype of [DOCTYPES.subject, DOCTYPES.track, DOCTYPES.unit, DOCTYPES.topic, DOCTYPES.lesson]) {
      const list = this.docs[doctype];
      if (list.length < 10) continue;
      const chosen = new Set<number>();
      const want = Math.max(1, Math.round(list.length * UNPUBLISHED_SHARE));
      while (chosen.size < want) chosen.add(this.rng.int(0, list.length - 1));
      for (const i of chosen) (list[i] as RawDoc).is_published = 0;
    }
  }

  /** Small catalogs may miss a feature by chance; give each one at least one node when there is room. */
  ensureVariety(): void {
    const rng = this.rng;
    const subjects = this.docs[DOCTYPES.subject];
    const tracks = this.docs[DOCTYPES.track];
    const pickWhere = (list: RawDoc[], ok: (d: RawDoc) => boolean): number => {
      const candidates = list.flatMap((d, i) => (ok(d) ? [i] : []));
      return candidates.length > 0 ? rng.pick(candidates) : -1;
    };
    if (subjects.length >= 2 && !subjects.some((s) => s.required_item)) {
      const i = pickWhere(subjects, (s) => !s.is_public);
      const ctx = this.subjects[i];
      if (ctx) ctx.doc.required_item = ctx.item;
    }
    if (subjects.length >= 3 && !subjects.some((s) => s.is_public === 1)) {
      const i = pickWhere(subjects, (s) => !s.required_item);
      if (i >= 0) (subjects[i] as RawDoc).is_public = 1;
    }
    if (tracks.length >= 2) {
      for (const pir of [1, 0]) {
        if (tracks.some((t) => t.is_sold_separately === 1 && t.parent_item_required === pir)) continue;
        const i = pickWhere(tracks, (t) => t.is_sold_separately === 0);
        const track = tracks[i];
        if (!track) continue;
        track.is_sold_separately = 1;
        track.required_item = this.trackItems[i] ?? null;
        track.parent_item_required = pir;
      }
    }
    for (const doctype of [DOCTYPES.unit, DOCTYPES.topic]) {
      const list = this.docs[doctype];
      if (list.length >= 2 && !list.some((d) => d.is_free_preview === 1)) (list[rng.int(0, list.length - 1)] as RawDoc).is_free_preview = 1;
    }
    const plans = this.docs[DOCTYPES.plan];
    if (!plans.some((p) => (p.overrides as unknown[]).length > 0)) {
      const plan = plans[0];
      if (plan) {
        const listed = new Set((plan.subjects as RawChildRow[]).map((r) => r.subject));
        const indexes = this.subjects.flatMap((s, i) => (listed.has(s.doc.name) ? [i] : []));
        plan.overrides = [this.override(plan, indexes, 1)];
      }
    }
  }
}
