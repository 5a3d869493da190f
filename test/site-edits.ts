/**
 * Random edits of a catalog's raw documents, each a change a real Frappe site makes (an editor
 * saving a form, a child row saved on its own, a rename, a deletion, bad data), for tests that
 * replay long edit sequences against the build. Seeded (src/generate/random.ts): the same seed
 * gives the same edits, and each edit describes itself, so a failing sequence can be replayed.
 */
import { ACCESS_LEVELS, DOCTYPES, STAGE_TYPES, type DocTypeName } from '../src/content/doctypes.ts';
import type { Generation } from '../src/content/fields.ts';
import type { RawChildRow, RawDoc } from '../src/content/raw.ts';
import { Random } from '../src/generate/random.ts';

export type Docs = Record<DocTypeName, RawDoc[]>;

type NodeType = (typeof DOCTYPES)['subject' | 'track' | 'unit' | 'topic' | 'lesson'];

/** Each level's link to its parent, and the parent's DocType. */
const PARENT: Partial<Record<NodeType, { field: string; doctype: NodeType }>> = {
  [DOCTYPES.track]: { field: 'parent_subject', doctype: DOCTYPES.subject },
  [DOCTYPES.unit]: { field: 'parent_track', doctype: DOCTYPES.track },
  [DOCTYPES.topic]: { field: 'parent_unit', doctype: DOCTYPES.unit },
  [DOCTYPES.lesson]: { field: 'parent_topic', doctype: DOCTYPES.topic },
};
const CHILD: Partial<Record<NodeType, NodeType>> = {
  [DOCTYPES.subject]: DOCTYPES.track,
  [DOCTYPES.track]: DOCTYPES.unit,
  [DOCTYPES.unit]: DOCTYPES.topic,
  [DOCTYPES.topic]: DOCTYPES.lesson,
};
const NODE_TYPES: readonly NodeType[] = [DOCTYPES.subject, DOCTYPES.track, DOCTYPES.unit, DOCTYPES.topic, DOCTYPES.lesson];
const BRANCH_TYPES: readonly NodeType[] = [DOCTYPES.subject, DOCTYPES.track, DOCTYPES.unit, DOCTYPES.topic];
const WORDS = ['Fractions', 'Motion', 'Review', 'Photosynthesis', 'Equations', 'الكسور', 'مراجعة', 'الحركة', 'المعادلات', 'التمثيل الضوئي', 'Grammar', 'القواعد'];
const LONG_WORDS = ['comprehensive', 'introduction', 'understanding', 'الشاملة', 'المقدمة', 'الأساسية', 'applications', 'exercises'];

/** One edit: applies itself to the documents and says what it did, or returns null where it cannot apply. */
export interface Edit {
  name: string;
  apply(site: Site): string | null;
}

/** The documents of a site being edited, with a clock for `modified` and fresh names. */
export class Site {
  private seconds = 0;
  private readonly names = new Set<string>();

  constructor(
    readonly docs: Docs,
    readonly generation: Generation,
    readonly rng: Random,
  ) {
    for (const list of Object.values(docs)) for (const doc of list) this.names.add(doc.name);
  }

  /** A `modified` later than every generated one (Frappe's format). */
  now(): string {
    const t = new Date(Date.UTC(2030, 0, 1) + 1000 * this.seconds++).toISOString();
    return `${t.slice(0, 10)} ${t.slice(11, 19)}.000000`;
  }

  /** Saves a document: its `modified` moves on (child rows saved with it). */
  touch(doc: RawDoc): void {
    doc.modified = this.now();
    for (const field of ['stages', 'subjects', 'overrides']) for (const row of (doc[field] as RawChildRow[] | undefined) ?? []) row.modified = doc.modified;
  }

  newName(): string {
    let name = this.rng.hashId();
    while (this.names.has(name)) name = this.rng.hashId();
    this.names.add(name);
    return name;
  }

  pick(doctype: DocTypeName, where: (d: RawDoc) => boolean = () => true): RawDoc | null {
    const list = this.docs[doctype].filter(where);
    return list.length > 0 ? this.rng.pick(list) : null;
  }

  byName(doctype: DocTypeName, name: unknown): RawDoc | undefined {
    return this.docs[doctype].find((d) => d.name === name);
  }

  /** The subject a node sits under through its parent links, or null where a link is broken. */
  subjectOf(doctype: NodeType, doc: RawDoc): string | null {
    let type = doctype;
    let current: RawDoc | undefined = doc;
    for (let hops = 0; current && hops < 5; hops++) {
      if (type === DOCTYPES.subject) return current.name;
      const up = PARENT[type];
      if (!up) return null;
      current = this.byName(up.doctype, current[up.field]);
      type = up.doctype;
    }
    return null;
  }

  title(): string {
    return `${this.rng.pick(WORDS)} ${this.rng.int(1, 999)}`;
  }

  /** A title of 201 to 320 characters: cut for the search index, with a warning. */
  longTitle(): string {
    let title = this.title();
    const length = this.rng.int(201, 320);
    while ([...title].length < length) title += ` ${this.rng.pick(LONG_WORDS)}`;
    return title;
  }

  stageRow(lesson: RawDoc, idx: number): RawChildRow {
    const type = this.rng.pick(STAGE_TYPES);
    const config =
      type === 'Video'
        ? { video_url: `https://www.youtube.com/watch?v=${this.rng.string(11, 'abcdefghijk0123456789')}`, duration: this.rng.int(60, 900) }
        : type === 'Question'
          ? { question: this.title(), options: [this.title(), this.title()], answer: 0 }
          : type === 'Text'
            ? { body: this.title() }
            : { widget: 'number-line', params: { difficulty: 'easy' } };
    return {
      name: this.newName(),
      owner: 'Administrator',
      creation: this.now(),
      modified: this.now(),
      modified_by: 'editor@example.com',
      docstatus: 0,
      idx,
      parent: lesson.name,
      parentfield: 'stages',
      parenttype: DOCTYPES.lesson,
      title: this.title(),
      type,
      config: JSON.stringify(config),
      ...(this.generation === '008' ? { weight: this.rng.pick([1, 2]), target_time: this.rng.chance(0.2) ? null : 60 * this.rng.int(1, 10), is_skippable: this.rng.int(0, 1) } : {}),
      doctype: 'Memora Lesson Stage',
    };
  }

  /** Renames a document the way Frappe's rename_doc does: links to it (parents, plan rows, overrides) follow, their `modified` untouched. */
  rename(doctype: NodeType, doc: RawDoc): string {
    const from = doc.name;
    const to = this.newName();
    doc.name = to;
    const child = CHILD[doctype];
    if (child) {
      const link = PARENT[child]!.field;
      for (const d of this.docs[child]) if (d[link] === from) d[link] = to;
    }
    if (doctype === DOCTYPES.lesson) for (const row of (doc.stages as RawChildRow[] | undefined) ?? []) row.parent = to;
    for (const plan of this.docs[DOCTYPES.plan]) {
      for (const row of plan.subjects as RawChildRow[]) if (doctype === DOCTYPES.subject && row.subject === from) row.subject = to;
      for (const row of plan.overrides as RawChildRow[]) if (row.target_doctype === doctype && row.target_name === from) row.target_name = to;
    }
    return `${doctype} ${from} renamed to ${to}`;
  }
}

function rows(doc: RawDoc, field: string): RawChildRow[] {
  if (!Array.isArray(doc[field])) doc[field] = [];
  return doc[field] as RawChildRow[];
}

/** Frappe numbers a child table's rows 1..n in order on save. */
function renumber(list: RawChildRow[]): void {
  list.forEach((row, i) => (row.idx = i + 1));
}

function flip(value: unknown): 0 | 1 {
  return value === 1 || value === '1' || value === true ? 0 : 1;
}

/** A node type chosen at random, more often the lower (more numerous) levels. */
function nodeType(site: Site, types: readonly NodeType[] = BRANCH_TYPES): NodeType {
  return site.rng.weighted(types, types.map((t) => (t === DOCTYPES.subject ? 1 : t === DOCTYPES.track ? 2 : 3)));
}

function describe(doctype: string, doc: RawDoc, what: string): string {
  return `${doctype} ${doc.name}: ${what}`;
}

function lessonEdit(name: string, apply: (site: Site, lesson: RawDoc) => string | null): Edit {
  return {
    name,
    apply(site) {
      const lesson = site.pick(DOCTYPES.lesson);
      if (!lesson) return null;
      const what = apply(site, lesson);
      return what === null ? null : describe(DOCTYPES.lesson, lesson, what);
    },
  };
}

/** A stage edit: Frappe may save the child row on its own, leaving the lesson's `modified` as it was. */
function stageEdit(name: string, apply: (site: Site, lesson: RawDoc, stages: RawChildRow[]) => string | null): Edit {
  return lessonEdit(name, (site, lesson) => {
    const what = apply(site, lesson, rows(lesson, 'stages'));
    if (what === null) return null;
    const alone = site.rng.chance(0.5);
    if (alone) for (const row of rows(lesson, 'stages')) row.modified = site.now();
    else site.touch(lesson);
    return `${what}${alone ? ' (child rows saved alone)' : ''}`;
  });
}

function overrideValue(site: Site, action: string, target: RawDoc): string {
  switch (action) {
    case 'Rename':
      return site.rng.chance(0.1) ? '' : `${String(target.title ?? '')} (${site.title()})`;
    case 'Set Access Level':
      return site.rng.chance(0.85) ? site.rng.pick(ACCESS_LEVELS) : 'gold';
    case 'Set Sold Separately':
    case 'Set Linear':
      return site.rng.pick(['1', '0', '1', 'maybe']);
    default:
      return '';
  }
}

/** A target for a plan's override: mostly a node under one of its subjects, now and then any node. */
function overrideTarget(site: Site, plan: RawDoc): { doctype: NodeType; doc: RawDoc } | null {
  const listed = new Set((plan.subjects as RawChildRow[]).map((r) => r.subject));
  for (let attempt = 0; attempt < 20; attempt++) {
    const doctype = nodeType(site, NODE_TYPES);
    const doc = site.pick(doctype);
    if (!doc) continue;
    if (site.rng.chance(0.9) && !listed.has(site.subjectOf(doctype, doc))) continue;
    return { doctype, doc };
  }
  return null;
}

function overrideRow(site: Site, plan: RawDoc, action: string, target: { doctype: NodeType; doc: RawDoc }, value?: string): RawChildRow {
  return {
    name: site.newName(),
    owner: 'Administrator',
    creation: site.now(),
    modified: site.now(),
    modified_by: 'editor@example.com',
    docstatus: 0,
    idx: rows(plan, 'overrides').length + 1,
    parent: plan.name,
    parentfield: 'overrides',
    parenttype: DOCTYPES.plan,
    target_doctype: target.doctype,
    target_name: target.doc.name,
    action,
    override_value: value ?? overrideValue(site, action, target.doc),
    doctype: 'Memora Plan Override',
  };
}

/**
 * The override actions an editor picks. A generation 002 site (as the tests write it) offers Set
 * Access Level but not Set Linear, a generation 008 site the other way round: the action it does
 * not offer is a row the build ignores, with a warning.
 */
const ACTIONS = ['Hide', 'Rename', 'Rename', 'Set Free', 'Set Sold Separately', 'Set Linear', 'Set Access Level'];

function planEdit(name: string, apply: (site: Site, plan: RawDoc) => string | null): Edit {
  return {
    name,
    apply(site) {
      const plan = site.pick(DOCTYPES.plan);
      if (!plan) return null;
      const what = apply(site, plan);
      if (what === null) return null;
      site.touch(plan);
      return describe(DOCTYPES.plan, plan, what);
    },
  };
}

function nodeEdit(name: string, types: readonly NodeType[], apply: (site: Site, doctype: NodeType, doc: RawDoc) => string | null): Edit {
  return {
    name,
    apply(site) {
      const doctype = nodeType(site, types);
      const doc = site.pick(doctype);
      if (!doc) return null;
      const what = apply(site, doctype, doc);
      return what === null ? null : describe(doctype, doc, what);
    },
  };
}

export const EDITS: readonly Edit[] = [
  // Lessons.
  lessonEdit('lesson title', (site, l) => {
    l.title = site.title();
    site.touch(l);
    return `title -> ${JSON.stringify(l.title)}`;
  }),
  lessonEdit('lesson long title', (site, l) => {
    l.title = site.longTitle();
    site.touch(l);
    return `title -> ${[...String(l.title)].length} characters`;
  }),
  lessonEdit('lesson description', (site, l) => {
    l.description = site.rng.chance(0.2) ? null : `About ${site.title()}`;
    site.touch(l);
    return `description -> ${JSON.stringify(l.description)}`;
  }),
  stageEdit('stage config', (site, _l, stages) => {
    const row = stages.length > 0 ? site.rng.pick(stages) : null;
    if (!row) return null;
    row.config = site.rng.chance(0.15) ? '{"body": "unfinished' : JSON.stringify({ body: site.title(), duration: site.rng.int(1, 600) });
    return `stage ${row.idx} config -> ${String(row.config)}`;
  }),
  stageEdit('stage type', (site, _l, stages) => {
    const row = stages.length > 0 ? site.rng.pick(stages) : null;
    if (!row) return null;
    row.type = site.rng.chance(0.3) ? 'Flashcards' : site.rng.pick(STAGE_TYPES);
    return `stage ${row.idx} type -> ${String(row.type)}`;
  }),
  stageEdit('stage added', (site, l, stages) => {
    const at = site.rng.int(0, stages.length);
    stages.splice(at, 0, site.stageRow(l, 0));
    renumber(stages);
    return `stage added at ${at + 1}`;
  }),
  stageEdit('stage removed', (site, _l, stages) => {
    if (stages.length === 0) return null;
    const at = site.rng.int(0, stages.length - 1);
    stages.splice(at, 1);
    renumber(stages);
    return `stage ${at + 1} removed`;
  }),
  stageEdit('stages reordered', (site, _l, stages) => {
    if (stages.length < 2) return null;
    site.rng.shuffle(stages);
    renumber(stages);
    return `stages reordered (${stages.map((s) => String(s.title)).join(' | ')})`;
  }),
  {
    name: 'lesson added',
    apply(site) {
      const topic = site.pick(DOCTYPES.topic);
      if (!topic) return null;
      const lesson: RawDoc = {
        name: site.newName(),
        owner: 'Administrator',
        creation: site.now(),
        modified: site.now(),
        modified_by: 'editor@example.com',
        docstatus: 0,
        idx: 0,
        title: site.title(),
        parent_topic: topic.name,
        description: null,
        image: null,
        is_published: 1,
        is_free_preview: 0,
        sort_order: site.rng.int(0, 9),
        ...(site.generation === '008' ? { bit_index: site.rng.int(0, 2000) } : {}),
        doctype: DOCTYPES.lesson,
      };
      lesson.stages = Array.from({ length: site.rng.int(0, 3) }, (_, i) => site.stageRow(lesson, i + 1));
      site.docs[DOCTYPES.lesson].push(lesson);
      return describe(DOCTYPES.lesson, lesson, `added under topic ${topic.name} at sort_order ${String(lesson.sort_order)}`);
    },
  },
  {
    name: 'lesson deleted',
    apply(site) {
      const lesson = site.pick(DOCTYPES.lesson);
      if (!lesson) return null;
      site.docs[DOCTYPES.lesson].splice(site.docs[DOCTYPES.lesson].indexOf(lesson), 1);
      return describe(DOCTYPES.lesson, lesson, 'deleted');
    },
  },
  lessonEdit('lesson moved', (site, l) => {
    const topic = site.pick(DOCTYPES.topic, (t) => t.name !== l.parent_topic);
    if (!topic) return null;
    l.parent_topic = topic.name;
    site.touch(l);
    return `moved to topic ${topic.name}`;
  }),
  lessonEdit('lesson sort order', (site, l) => {
    l.sort_order = site.rng.int(0, 9);
    site.touch(l);
    return `sort_order -> ${String(l.sort_order)}`;
  }),
  lessonEdit('lesson published', (site, l) => {
    l.is_published = flip(l.is_published);
    site.touch(l);
    return `is_published -> ${l.is_published}`;
  }),
  lessonEdit('lesson free preview', (site, l) => {
    l.is_free_preview = flip(l.is_free_preview);
    site.touch(l);
    return `is_free_preview -> ${l.is_free_preview}`;
  }),
  {
    name: 'lesson renamed',
    apply(site) {
      const lesson = site.pick(DOCTYPES.lesson);
      return lesson ? site.rename(DOCTYPES.lesson, lesson) : null;
    },
  },

  // Topics, units, tracks and subjects.
  ...(['topic', 'unit', 'track', 'subject'] as const).map((level) =>
    nodeEdit(`${level} title`, [DOCTYPES[level]], (site, _t, d) => {
      d.title = site.title();
      site.touch(d);
      return `title -> ${JSON.stringify(d.title)}`;
    }),
  ),
  nodeEdit('node description', BRANCH_TYPES, (site, _t, d) => {
    d.description = `About ${site.title()}`;
    site.touch(d);
    return `description -> ${JSON.stringify(d.description)}`;
  }),
  ...(['topic', 'unit', 'track', 'subject'] as const).map((level) =>
    nodeEdit(`${level} published`, [DOCTYPES[level]], (site, _t, d) => {
      d.is_published = flip(d.is_published);
      site.touch(d);
      return `is_published -> ${d.is_published}`;
    }),
  ),
  nodeEdit('node free preview', BRANCH_TYPES, (site, _t, d) => {
    d.is_free_preview = flip(d.is_free_preview);
    site.touch(d);
    return `is_free_preview -> ${d.is_free_preview}`;
  }),
  nodeEdit('node parent', [DOCTYPES.track, DOCTYPES.unit, DOCTYPES.topic], (site, t, d) => {
    const up = PARENT[t]!;
    const parent = site.pick(up.doctype, (p) => p.name !== d[up.field]);
    if (!parent) return null;
    d[up.field] = parent.name;
    site.touch(d);
    return `${up.field} -> ${parent.name}`;
  }),
  nodeEdit('node sort order', BRANCH_TYPES, (site, _t, d) => {
    d.sort_order = site.rng.int(0, 6);
    site.touch(d);
    return `sort_order -> ${String(d.sort_order)}`;
  }),
  nodeEdit('node linear', BRANCH_TYPES, (site, _t, d) => {
    if (site.generation !== '008') return null;
    d.is_linear = flip(d.is_linear);
    site.touch(d);
    return `is_linear -> ${d.is_linear}`;
  }),
  nodeEdit('node renamed', [DOCTYPES.topic, DOCTYPES.unit, DOCTYPES.track, DOCTYPES.subject], (site, t, d) => {
    const from = d.name;
    site.rename(t, d);
    return `renamed from ${from}`;
  }),
  nodeEdit('track sold separately', [DOCTYPES.track], (site, _t, d) => {
    d.is_sold_separately = flip(d.is_sold_separately);
    // Now and then without an item: nobody could buy it (a warning).
    if (d.is_sold_separately === 1 && !d.required_item && site.rng.chance(0.7)) d.required_item = `ITEM-T-${site.rng.int(1, 99)}`;
    site.touch(d);
    return `is_sold_separately -> ${d.is_sold_separately}, required_item ${JSON.stringify(d.required_item ?? null)}`;
  }),
  nodeEdit('track required item', [DOCTYPES.track], (site, _t, d) => {
    d.required_item = site.rng.chance(0.3) ? null : `ITEM-T-${site.rng.int(1, 99)}`;
    d.parent_item_required = site.rng.int(0, 1);
    site.touch(d);
    return `required_item -> ${JSON.stringify(d.required_item)}, parent_item_required ${String(d.parent_item_required)}`;
  }),
  nodeEdit('subject public', [DOCTYPES.subject], (site, _t, d) => {
    if (site.generation !== '002') return null;
    d.is_public = flip(d.is_public);
    site.touch(d);
    return `is_public -> ${d.is_public}`;
  }),
  nodeEdit('subject required item', [DOCTYPES.subject], (site, _t, d) => {
    d.required_item = d.required_item ? null : `ITEM-S-${site.rng.int(1, 99)}`;
    site.touch(d);
    return `required_item -> ${JSON.stringify(d.required_item)}`;
  }),

  // Plans.
  planEdit('plan title', (site, p) => {
    p.title = site.title();
    return `title -> ${JSON.stringify(p.title)}`;
  }),
  planEdit('plan published', (site, p) => {
    if (site.generation !== '008') return null;
    p.is_published = flip(p.is_published);
    return `is_published -> ${p.is_published}`;
  }),
  planEdit('plan subject added', (site, p) => {
    const list = rows(p, 'subjects');
    const listed = new Set(list.map((r) => r.subject));
    const subject = site.pick(DOCTYPES.subject, (s) => !listed.has(s.name));
    if (!subject) return null;
    list.push({
      name: site.newName(),
      owner: 'Administrator',
      creation: site.now(),
      modified: site.now(),
      modified_by: 'editor@example.com',
      docstatus: 0,
      idx: list.length + 1,
      parent: p.name,
      parentfield: 'subjects',
      parenttype: DOCTYPES.plan,
      subject: subject.name,
      sort_order: site.rng.int(0, 6),
      doctype: 'Memora Plan Subject',
    });
    return `subject ${subject.name} listed`;
  }),
  planEdit('plan subject removed', (site, p) => {
    const list = rows(p, 'subjects');
    if (list.length === 0) return null;
    const [row] = list.splice(site.rng.int(0, list.length - 1), 1);
    renumber(list);
    return `subject ${String(row?.subject)} no longer listed`;
  }),
  planEdit('plan subjects reordered', (site, p) => {
    const list = rows(p, 'subjects');
    if (list.length < 2) return null;
    site.rng.shuffle(list);
    renumber(list);
    if (site.rng.chance(0.5)) for (const row of list) row.sort_order = row.idx;
    return `subjects reordered (${list.map((r) => `${String(r.subject)}@${String(r.sort_order)}`).join(', ')})`;
  }),
  planEdit('plan override added', (site, p) => {
    const target = overrideTarget(site, p);
    if (!target) return null;
    const row = overrideRow(site, p, site.rng.pick(ACTIONS), target);
    rows(p, 'overrides').push(row);
    return `override ${String(row.action)} ${target.doctype} ${target.doc.name} ${JSON.stringify(row.override_value)} added`;
  }),
  planEdit('plan override removed', (site, p) => {
    const list = rows(p, 'overrides');
    if (list.length === 0) return null;
    const [row] = list.splice(site.rng.int(0, list.length - 1), 1);
    renumber(list);
    return `override ${String(row?.action)} of ${String(row?.target_name)} removed`;
  }),
  planEdit('plan override changed', (site, p) => {
    const list = rows(p, 'overrides');
    if (list.length === 0) return null;
    const row = site.rng.pick(list);
    const target = site.byName(row.target_doctype as NodeType, row.target_name) ?? { name: String(row.target_name), title: '' };
    if (site.rng.chance(0.5)) row.action = site.rng.pick(ACTIONS);
    row.override_value = overrideValue(site, String(row.action), target);
    return `override ${row.idx} -> ${String(row.action)} ${JSON.stringify(row.override_value)}`;
  }),
  planEdit('plan long rename', (site, p) => {
    const target = overrideTarget(site, p);
    if (!target) return null;
    const row = overrideRow(site, p, 'Rename', target, site.longTitle());
    rows(p, 'overrides').push(row);
    return `override Rename of ${target.doctype} ${target.doc.name} to ${[...String(row.override_value)].length} characters`;
  }),

  // Bad data.
  nodeEdit('blank title', NODE_TYPES, (site, _t, d) => {
    d.title = site.rng.pick(['', '   ']);
    site.touch(d);
    return 'title blanked';
  }),
  nodeEdit('missing parent', [DOCTYPES.track, DOCTYPES.unit, DOCTYPES.topic, DOCTYPES.lesson], (site, t, d) => {
    const up = PARENT[t]!;
    d[up.field] = site.rng.chance(0.7) ? `gone-${site.rng.int(1, 999)}` : '';
    site.touch(d);
    return `${up.field} -> ${JSON.stringify(d[up.field])} (no such document)`;
  }),
];

/**
 * The edits of one step: none now and then, usually one to three, taken from `order` (which goes
 * through every kind of edit in turn).
 */
export function editStep(site: Site, order: EditOrder): string[] {
  const count = site.rng.weighted([0, 1, 2, 3], [8, 22, 35, 35]);
  const done: string[] = [];
  for (let i = 0; i < count; i++) {
    const what = order.apply(site);
    if (what !== null) done.push(what);
  }
  return done;
}

/**
 * Every kind of edit in turn, in an order shuffled by `rng`: the next edit is the first kind in
 * the queue that applies (to this generation, to what is left), which then goes to the back. A
 * kind that cannot apply keeps its place, so a sequence of the other generation makes it next.
 */
export class EditOrder {
  readonly applied = new Set<string>();
  private readonly queue: Edit[];

  constructor(rng: Random) {
    this.queue = rng.shuffle([...EDITS]);
  }

  /** Applies the next edit that can apply; says what it did (null if none could). */
  apply(site: Site): string | null {
    for (let i = 0; i < this.queue.length; i++) {
      const edit = this.queue[i] as Edit;
      const what = edit.apply(site);
      if (what === null) continue;
      this.queue.splice(i, 1);
      this.queue.push(edit);
      this.applied.add(edit.name);
      return `${edit.name}: ${what}`;
    }
    return null;
  }
}
