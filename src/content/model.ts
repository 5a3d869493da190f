/**
 * The content model after checking: typed, published, well-linked nodes, arranged as a tree.
 * Everything messy in the raw documents is dropped here with a warning that names it, so the
 * later stages can trust what they get. Unpublished documents are dropped silently: rule 1 of
 * the access rules keeps them and their subtrees off the CDN, which is not a data problem.
 */
import type { CacheDocs } from './cache.ts';
import { compareCodeUnits } from '../io/compare.ts';
import { DOCTYPES, OVERRIDE_ACTIONS, STAGE_TYPES, type OverrideAction, type StageType } from './doctypes.ts';
import { LEGACY_SHAPE, type ContentShape } from './fields.ts';
import type { RawDoc } from './raw.ts';
import { WarningSink, type ContentWarning } from './warnings.ts';
import type { StageMemo } from './stage-memo.ts';

export interface NodeBase {
  name: string;
  title: string;
  description: string | null;
  image: string | null;
  sort_order: number;
  is_free_preview: boolean;
  /** Generation 008: children are taken in order. Absent where the site has no such field. */
  is_linear?: boolean;
  modified: string;
}

export interface Subject extends NodeBase {
  kind: 'subject';
  color_code: string | null;
  is_public: boolean;
  required_item: string | null;
  tracks: Track[];
}

export interface Track extends NodeBase {
  kind: 'track';
  subject: Subject;
  is_sold_separately: boolean;
  required_item: string | null;
  parent_item_required: boolean;
  units: Unit[];
}

export interface Unit extends NodeBase {
  kind: 'unit';
  track: Track;
  badge_image: string | null;
  topics: Topic[];
}

export interface Topic extends NodeBase {
  kind: 'topic';
  unit: Unit;
  lessons: Lesson[];
}

export interface Lesson extends NodeBase {
  kind: 'lesson';
  topic: Topic;
  /** Parsed on first use where the build's stage memo left them out (stage-memo.ts). */
  stages: Stage[];
  /** Whether a stage is a video (known without parsing the stages). */
  hasVideo: boolean;
  /** Generation 008: the lesson's bit in a student's progress bitmap. Absent where the site has no such field. */
  bit_index?: number | null;
}

export type StageKind = Lowercase<StageType>;

export interface Stage {
  idx: number;
  title: string;
  type: StageKind;
  config: Record<string, unknown>;
  /** Generation 008 fields, absent where the site has none. */
  weight?: number;
  target_time?: number | null;
  is_skippable?: boolean;
}

export type ContentNode = Subject | Track | Unit | Topic | Lesson;

export interface PlanSubjectRow {
  subject: string;
  sort_order: number;
  idx: number;
}

export interface PlanOverride {
  idx: number;
  target_doctype: string;
  target_name: string;
  action: OverrideAction;
  value: string;
}

export interface Plan {
  name: string;
  title: string;
  season: string | null;
  stream: string | null;
  grade: string | null;
  modified: string;
  subjects: PlanSubjectRow[];
  overrides: PlanOverride[];
}

export interface Catalog {
  plans: Plan[];
  /** Published, valid subjects by name. */
  subjects: Map<string, Subject>;
  /** Every name that exists per DocType, published or not (to tell "missing" from "unpublished"). */
  known: Record<string, Set<string>>;
  warnings: ContentWarning[];
}

const KIND_DOCTYPE = {
  subject: DOCTYPES.subject,
  track: DOCTYPES.track,
  unit: DOCTYPES.unit,
  topic: DOCTYPES.topic,
  lesson: DOCTYPES.lesson,
} as const;

export function doctypeOf(node: ContentNode): string {
  return KIND_DOCTYPE[node.kind];
}

// ---- field readers: lenient, never throw ----

/** Nothing a reader would see: white space and format characters (bidi marks, zero-width joiners) only. */
function isBlank(text: string): boolean {
  return text.replace(/\p{Cf}/gu, '').trim() === '';
}

function check(value: unknown): boolean {
  return value === 1 || value === true || value === '1';
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

function int(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : 0;
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/**
 * A child table's rows. A table that is not a list, or rows that are not objects (only a
 * hand-edited cache has them: Frappe always sends a list of rows), are left out with a warning
 * naming the field, so that nothing goes missing without a word.
 */
function rows(value: unknown, field: string, warn: (reason: string) => void): RawDoc[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    warn(`${field} is ${describeValue(value)} where a list of rows was expected; no ${field} rows read`);
    return [];
  }
  const out: RawDoc[] = [];
  value.forEach((row: unknown, i) => {
    if (row !== null && typeof row === 'object' && !Array.isArray(row)) out.push(row as RawDoc);
    else warn(`${field} row ${i + 1} of ${value.length} is ${describeValue(row)}, not a row; row ignored`);
  });
  return out;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** By sort_order, then by name: siblings with equal sort orders still come out in one order. */
export function bySortOrder<T extends { sort_order: number; name: string }>(a: T, b: T): number {
  return a.sort_order - b.sort_order || compareCodeUnits(a.name, b.name);
}

function base(doc: RawDoc, title: string, doctype: string, shape: ContentShape): NodeBase {
  return {
    name: doc.name,
    title,
    description: text(doc.description),
    image: text(doc.image),
    sort_order: int(doc.sort_order),
    is_free_preview: check(doc.is_free_preview),
    ...(shape.has(doctype, 'is_linear') ? { is_linear: check(doc.is_linear) } : {}),
    modified: typeof doc.modified === 'string' ? doc.modified : '',
  };
}

function float(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : 0;
  return Number.isFinite(n) ? n : 0;
}

/** An Int field that may be unset: null for null or empty, else the integer. */
function optionalInt(value: unknown): number | null {
  return value === null || value === undefined || value === '' ? null : int(value);
}

interface Checked {
  doc: RawDoc;
  title: string;
}

/**
 * The published, titled, unique documents of one DocType. Drafts are dropped silently; an empty
 * name or title, or a repeated name, is a warning.
 */
function publishedDocs(doctype: string, docs: readonly RawDoc[], sink: WarningSink, known: Set<string>, shape: ContentShape): Checked[] {
  const out: Checked[] = [];
  for (const doc of docs) {
    // Frappe never saves one, but a cache written by hand or by another tool may hold it: every
    // file of the CDN format names its document by a non-empty ID.
    if (isBlank(doc.name)) {
      sink.add({ doctype, name: doc.name, reason: 'has an empty or blank name (ID); skipped with everything under it' });
      // Known, so that what links it is dropped with it rather than warned about as an orphan.
      known.add(doc.name);
      continue;
    }
    if (known.has(doc.name)) {
      sink.add({ doctype, name: doc.name, reason: 'appears twice in the content cache; the second copy is ignored' });
      continue;
    }
    known.add(doc.name);
    // Plans have a published flag in generation 008 only: a draft plan is not exported.
    if ((doctype !== DOCTYPES.plan || shape.has(doctype, 'is_published')) && !check(doc.is_published)) continue;
    const title = typeof doc.title === 'string' ? doc.title.trim() : '';
    if (isBlank(title)) {
      sink.add({ doctype, name: doc.name, reason: 'has an empty or blank title; skipped with everything under it' });
      continue;
    }
    out.push({ doc, title });
  }
  return out;
}

/**
 * Attaches children to their parents. A child whose link is empty or names a document that does
 * not exist is an orphan (warning); one whose parent exists but is unpublished or skipped is
 * dropped silently, since the parent's own state explains it.
 */
function attach<P extends { name: string }, C>(
  children: readonly Checked[],
  linkField: string,
  childDoctype: string,
  parentDoctype: string,
  parents: Map<string, P>,
  parentKnown: Set<string>,
  sink: WarningSink,
  make: (c: Checked, parent: P) => C | null,
): void {
  for (const c of children) {
    const link = text(c.doc[linkField]);
    if (link === null) {
      sink.add({ doctype: childDoctype, name: c.doc.name, reason: `has no ${linkField}; skipped` });
      continue;
    }
    const parent = parents.get(link);
    if (parent) {
      make(c, parent);
    } else if (!parentKnown.has(link)) {
      sink.add({
        doctype: childDoctype,
        name: c.doc.name,
        reason: `${linkField} ${JSON.stringify(link)} is not an existing ${parentDoctype}; skipped`,
      });
    }
  }
}

/** The optional stage fields a site has (generation 008), read from its shape once per catalog. */
interface StageFields {
  weight: boolean;
  target_time: boolean;
  is_skippable: boolean;
}

function stageFields(shape: ContentShape): StageFields {
  const stageType = 'Memora Lesson Stage';
  return { weight: shape.has(stageType, 'weight'), target_time: shape.has(stageType, 'target_time'), is_skippable: shape.has(stageType, 'is_skippable') };
}

/** How a warning names a stage row: its idx, and its title where it has one. */
function stageWhere(row: RawDoc): string {
  return `stage ${int(row.idx)}${typeof row.title === 'string' && row.title ? ` (${JSON.stringify(row.title)})` : ''}`;
}

/** Where parseStages reports a problem. */
type StageWarnings = Pick<WarningSink, 'add'>;

/** Stage warnings that have already been given (from the memo). */
const IGNORED: StageWarnings = { add: () => undefined };

/**
 * A lesson's stages, with their warnings. Where the build's stage memo left the stages out of
 * the document and knows what they give, its warnings are given again and the stages are parsed
 * on first use; otherwise they are parsed now, and what they gave is remembered.
 */
function lessonStages(lesson: Lesson, doc: RawDoc, sink: WarningSink, fields: StageFields, memo: StageMemo | undefined): void {
  const summary = memo?.summary(doc);
  if (memo && summary) {
    const [, video, reasons] = summary;
    for (const reason of reasons) sink.add({ doctype: DOCTYPES.lesson, name: doc.name, reason });
    let parsed: Stage[] | null = null;
    Object.defineProperty(lesson, 'stages', {
      get: () => (parsed ??= parseStages(doc.name, memo.stagesOf(doc), IGNORED, fields)),
      enumerable: true,
      configurable: true,
    });
    lesson.hasVideo = video === 1;
    memo.remember(doc, summary);
    return;
  }
  const reasons: string[] = [];
  const recording: StageWarnings = {
    add: (warning) => {
      reasons.push(warning.reason);
      sink.add(warning);
    },
  };
  const stages = parseStages(doc.name, memo ? memo.stagesOf(doc) : doc.stages, recording, fields);
  lesson.stages = stages;
  lesson.hasVideo = stages.some((s) => s.type === 'video');
  memo?.remember(doc, [stages.length, lesson.hasVideo ? 1 : 0, reasons]);
}

function parseStages(lessonName: string, rawStages: unknown, sink: StageWarnings, fields: StageFields): Stage[] {
  const stages: Stage[] = [];
  const warn = (reason: string) => sink.add({ doctype: DOCTYPES.lesson, name: lessonName, reason });
  const sorted = rows(rawStages, 'stages', warn).sort((a, b) => int(a.idx) - int(b.idx) || compareCodeUnits(String(a.name), String(b.name)));
  for (const row of sorted) {
    const type = typeof row.type === 'string' ? (row.type.trim() as StageType) : '';
    if (!(STAGE_TYPES as readonly string[]).includes(type)) {
      warn(`${stageWhere(row)} has unknown type ${JSON.stringify(row.type ?? null)} (expected ${STAGE_TYPES.join(', ')}); stage skipped`);
      continue;
    }
    let config: unknown = row.config;
    if (typeof config === 'string') {
      if (config.trim() === '') config = {};
      else {
        try {
          config = JSON.parse(config);
        } catch {
          warn(`${stageWhere(row)} has a config that is not valid JSON; stage skipped`);
          continue;
        }
      }
    } else if (config === null || config === undefined) {
      config = {};
    }
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      warn(`${stageWhere(row)} has a config that is not a JSON object; stage skipped`);
      continue;
    }
    const stage: Stage = {
      idx: int(row.idx),
      title: typeof row.title === 'string' ? row.title : '',
      type: type.toLowerCase() as StageKind,
      config: config as Record<string, unknown>,
    };
    if (fields.weight) stage.weight = float(row.weight);
    if (fields.target_time) stage.target_time = optionalInt(row.target_time);
    if (fields.is_skippable) stage.is_skippable = check(row.is_skippable);
    stages.push(stage);
  }
  return stages;
}

function parsePlan(doc: RawDoc, title: string, sink: WarningSink, shape: ContentShape): Plan {
  // The actions this site offers (its Select options) that memora-cdn applies.
  const offered = (shape.options('Memora Plan Override', 'action') ?? []).filter((a) => (OVERRIDE_ACTIONS as readonly string[]).includes(a));
  const subjects: PlanSubjectRow[] = [];
  const listed = new Set<string>();
  const warn = (reason: string) => sink.add({ doctype: DOCTYPES.plan, name: doc.name, reason });
  for (const row of rows(doc.subjects, 'subjects', warn).sort((a, b) => int(a.idx) - int(b.idx))) {
    const subject = text(row.subject);
    if (subject === null) {
      warn(`subjects row ${int(row.idx)}: names no subject; row ignored`);
      continue;
    }
    if (listed.has(subject)) {
      warn(`lists subject ${JSON.stringify(subject)} twice; the later row is ignored`);
      continue;
    }
    listed.add(subject);
    subjects.push({ subject, sort_order: int(row.sort_order), idx: int(row.idx) });
  }
  const overrides: PlanOverride[] = [];
  for (const row of rows(doc.overrides, 'overrides', warn).sort((a, b) => int(a.idx) - int(b.idx))) {
    const action = typeof row.action === 'string' ? row.action.trim() : '';
    const target_doctype = text(row.target_doctype) ?? '';
    const target_name = text(row.target_name) ?? '';
    if (!offered.includes(action)) {
      warn(`overrides row ${int(row.idx)}: unknown action ${JSON.stringify(row.action ?? null)} (${shape.source} offers ${offered.join(', ')}); row ignored`);
      continue;
    }
    if (target_doctype === '' || target_name === '') {
      warn(`overrides row ${int(row.idx)}: ${action} has no target; row ignored`);
      continue;
    }
    const value = typeof row.override_value === 'string' ? row.override_value.trim() : (text(row.override_value) ?? '');
    overrides.push({ idx: int(row.idx), target_doctype, target_name, action: action as OverrideAction, value: isBlank(value) ? '' : value });
  }
  return {
    name: doc.name,
    title,
    season: text(doc.season),
    stream: text(doc.stream),
    grade: text(doc.grade),
    modified: typeof doc.modified === 'string' ? doc.modified : '',
    subjects,
    overrides,
  };
}

/**
 * Checks the raw documents and arranges the published ones as a tree, reading the fields the
 * site has (`shape`, from its metadata). Pure; never throws on content. `stageMemo`: the memo the
 * cache was read with (the build's), which knows the lessons whose stages were left out of their
 * documents (stage-memo.ts).
 */
export function buildCatalog(docs: CacheDocs, shape: ContentShape = LEGACY_SHAPE, stageMemo?: StageMemo): Catalog {
  const sink = new WarningSink();
  const known: Record<string, Set<string>> = {};
  const published = (doctype: (typeof DOCTYPES)[keyof typeof DOCTYPES]) => {
    known[doctype] = new Set();
    const sorted = [...docs[doctype]].sort((a, b) => compareCodeUnits(a.name, b.name));
    return publishedDocs(doctype, sorted, sink, known[doctype], shape);
  };
  const plansRaw = published(DOCTYPES.plan);
  const subjectsRaw = published(DOCTYPES.subject);
  const tracksRaw = published(DOCTYPES.track);
  const unitsRaw = published(DOCTYPES.unit);
  const topicsRaw = published(DOCTYPES.topic);
  const lessonsRaw = published(DOCTYPES.lesson);
  const knownOf = (d: string) => known[d] ?? new Set<string>();

  const subjects = new Map<string, Subject>();
  for (const { doc, title } of subjectsRaw) {
    subjects.set(doc.name, {
      kind: 'subject',
      ...base(doc, title, DOCTYPES.subject, shape),
      color_code: text(doc.color_code),
      is_public: check(doc.is_public),
      required_item: text(doc.required_item),
      tracks: [],
    });
  }

  const tracks = new Map<string, Track>();
  attach(tracksRaw, 'parent_subject', DOCTYPES.track, DOCTYPES.subject, subjects, knownOf(DOCTYPES.subject), sink, ({ doc, title }, subject) => {
    const track: Track = {
      kind: 'track',
      ...base(doc, title, DOCTYPES.track, shape),
      subject,
      is_sold_separately: check(doc.is_sold_separately),
      required_item: text(doc.required_item),
      parent_item_required: check(doc.parent_item_required),
      units: [],
    };
    if (track.is_sold_separately && track.required_item === null) {
      sink.add({ doctype: DOCTYPES.track, name: doc.name, reason: 'is sold separately but has no required_item, so nobody could buy it; skipped with everything under it' });
      return null;
    }
    tracks.set(doc.name, track);
    subject.tracks.push(track);
    return track;
  });

  const units = new Map<string, Unit>();
  attach(unitsRaw, 'parent_track', DOCTYPES.unit, DOCTYPES.track, tracks, knownOf(DOCTYPES.track), sink, ({ doc, title }, track) => {
    const unit: Unit = { kind: 'unit', ...base(doc, title, DOCTYPES.unit, shape), track, badge_image: text(doc.badge_image), topics: [] };
    units.set(doc.name, unit);
    track.units.push(unit);
    return unit;
  });

  const topics = new Map<string, Topic>();
  attach(topicsRaw, 'parent_unit', DOCTYPES.topic, DOCTYPES.unit, units, knownOf(DOCTYPES.unit), sink, ({ doc, title }, unit) => {
    const topic: Topic = { kind: 'topic', ...base(doc, title, DOCTYPES.topic, shape), unit, lessons: [] };
    topics.set(doc.name, topic);
    unit.topics.push(topic);
    return topic;
  });

  const stages = stageFields(shape);
  attach(lessonsRaw, 'parent_topic', DOCTYPES.lesson, DOCTYPES.topic, topics, knownOf(DOCTYPES.topic), sink, ({ doc, title }, topic) => {
    const lesson: Lesson = {
      kind: 'lesson',
      ...base(doc, title, DOCTYPES.lesson, shape),
      topic,
      stages: [],
      hasVideo: false,
      ...(shape.has(DOCTYPES.lesson, 'bit_index') ? { bit_index: optionalInt(doc.bit_index) } : {}),
    };
    lessonStages(lesson, doc, sink, stages, stageMemo);
    topic.lessons.push(lesson);
    return lesson;
  });

  for (const subject of subjects.values()) {
    subject.tracks.sort(bySortOrder);
    for (const track of subject.tracks) {
      track.units.sort(bySortOrder);
      for (const unit of track.units) {
        unit.topics.sort(bySortOrder);
        for (const topic of unit.topics) topic.lessons.sort(bySortOrder);
      }
    }
  }

  const plans = plansRaw.map(({ doc, title }) => parsePlan(doc, title, sink, shape));
  return { plans, subjects, known, warnings: sink.list };
}
