/**
 * The one registry of the Memora DocTypes' fields, for both generations of the upstream app:
 * `002` (the seed's) and `008` (atomic content CDN), which adds Academic Plan `is_published`,
 * `is_linear` on Subject, Track, Unit and Topic with the override action Set Linear, Lesson
 * `bit_index`, Subject `next_bit_index`, Lesson Stage `weight`, `target_time` and `is_skippable`,
 * and drops Subject `is_public`.
 *
 * The emulator's schema, the generator, the content model (through `ContentShape`) and the
 * JSON Schemas' generation-dependent parts all read it; a test checks the schemas against it.
 * A site's own metadata (pulled with the documents) says which of these fields and options it
 * really has: a site may have customised its Select options.
 */
import { CHILD_TABLES, PARENT_DOCTYPES, STAGE_TYPES, type DocTypeName } from './doctypes.ts';

export type Generation = '002' | '008';
export const GENERATIONS: readonly Generation[] = ['002', '008'];
/** The generation of the bundled samples and of caches pulled before metadata was kept. */
export const DEFAULT_GENERATION: Generation = '002';

export type FieldType =
  | 'Data'
  | 'Link'
  | 'Dynamic Link'
  | 'Check'
  | 'Int'
  | 'Float'
  | 'Select'
  | 'Small Text'
  | 'Color'
  | 'Attach Image'
  | 'JSON'
  | 'Table';

export interface FieldDef {
  fieldname: string;
  fieldtype: FieldType;
  /** Link and Table: the DocType; Dynamic Link: the field holding the DocType; Select: per generation. */
  options?: string | Partial<Record<Generation, readonly string[]>>;
  /** The generations that have the field (default: both). */
  in?: readonly Generation[];
}

export interface DocTypeDef {
  istable: boolean;
  fields: readonly FieldDef[];
}

const ONLY_008: readonly Generation[] = ['008'];
const ONLY_002: readonly Generation[] = ['002'];

const data = (fieldname: string): FieldDef => ({ fieldname, fieldtype: 'Data' });
const check = (fieldname: string, only?: readonly Generation[]): FieldDef => ({ fieldname, fieldtype: 'Check', ...(only ? { in: only } : {}) });
const int = (fieldname: string, only?: readonly Generation[]): FieldDef => ({ fieldname, fieldtype: 'Int', ...(only ? { in: only } : {}) });
const link = (fieldname: string, doctype: string): FieldDef => ({ fieldname, fieldtype: 'Link', options: doctype });
const table = (fieldname: string, doctype: string): FieldDef => ({ fieldname, fieldtype: 'Table', options: doctype });
const node = (): FieldDef[] => [{ fieldname: 'description', fieldtype: 'Small Text' }, { fieldname: 'image', fieldtype: 'Attach Image' }];

/** Actions of Memora Plan Override per generation (neither offers Set Access Level; a site may add it). */
export const OVERRIDE_ACTION_OPTIONS: Record<Generation, readonly string[]> = {
  '002': ['Hide', 'Rename', 'Set Free', 'Set Sold Separately'],
  '008': ['Hide', 'Rename', 'Set Free', 'Set Sold Separately', 'Set Linear'],
};

export const STAGE_TYPE_OPTIONS: readonly string[] = STAGE_TYPES;

export const REGISTRY: Record<string, DocTypeDef> = {
  'Memora Academic Plan': {
    istable: false,
    fields: [data('title'), data('season'), data('stream'), data('grade'), check('is_published', ONLY_008), ...CHILD_TABLES['Memora Academic Plan'].map((t) => table(t.field, t.doctype))],
  },
  'Memora Subject': {
    istable: false,
    fields: [
      data('title'),
      ...node(),
      { fieldname: 'color_code', fieldtype: 'Color' },
      check('is_published'),
      check('is_free_preview'),
      check('is_public', ONLY_002),
      check('is_linear', ONLY_008),
      link('required_item', 'Item'),
      int('next_bit_index', ONLY_008),
      int('sort_order'),
    ],
  },
  'Memora Track': {
    istable: false,
    fields: [
      data('title'),
      link('parent_subject', 'Memora Subject'),
      ...node(),
      check('is_published'),
      check('is_free_preview'),
      check('is_linear', ONLY_008),
      check('is_sold_separately'),
      link('required_item', 'Item'),
      check('parent_item_required'),
      int('sort_order'),
    ],
  },
  'Memora Unit': {
    istable: false,
    fields: [data('title'), link('parent_track', 'Memora Track'), ...node(), { fieldname: 'badge_image', fieldtype: 'Attach Image' }, check('is_published'), check('is_free_preview'), check('is_linear', ONLY_008), int('sort_order')],
  },
  'Memora Topic': {
    istable: false,
    fields: [data('title'), link('parent_unit', 'Memora Unit'), ...node(), check('is_published'), check('is_free_preview'), check('is_linear', ONLY_008), int('sort_order')],
  },
  'Memora Lesson': {
    istable: false,
    fields: [data('title'), link('parent_topic', 'Memora Topic'), ...node(), check('is_published'), check('is_free_preview'), int('bit_index', ONLY_008), int('sort_order'), ...CHILD_TABLES['Memora Lesson'].map((t) => table(t.field, t.doctype))],
  },
  'Memora Plan Subject': { istable: true, fields: [link('subject', 'Memora Subject'), int('sort_order')] },
  'Memora Plan Override': {
    istable: true,
    fields: [
      link('target_doctype', 'DocType'),
      { fieldname: 'target_name', fieldtype: 'Dynamic Link', options: 'target_doctype' },
      { fieldname: 'action', fieldtype: 'Select', options: OVERRIDE_ACTION_OPTIONS },
      data('override_value'),
    ],
  },
  'Memora Lesson Stage': {
    istable: true,
    fields: [
      data('title'),
      { fieldname: 'type', fieldtype: 'Select', options: { '002': STAGE_TYPE_OPTIONS, '008': STAGE_TYPE_OPTIONS } },
      { fieldname: 'config', fieldtype: 'JSON' },
      { fieldname: 'weight', fieldtype: 'Float', in: ONLY_008 },
      int('target_time', ONLY_008),
      check('is_skippable', ONLY_008),
    ],
  },
};

/** A field as a site has it: its type, and for Select its options, for Link/Table/Dynamic Link its target. */
export interface SiteField {
  fieldname: string;
  fieldtype: string;
  options: string | readonly string[] | null;
}

/** The fields of a DocType in a generation, options resolved. */
export function fieldsOf(doctype: string, generation: Generation): SiteField[] {
  const def = REGISTRY[doctype];
  if (!def) return [];
  return def.fields
    .filter((f) => !f.in || f.in.includes(generation))
    .map((f) => ({
      fieldname: f.fieldname,
      fieldtype: f.fieldtype,
      options: f.options === undefined ? null : typeof f.options === 'string' ? f.options : (f.options[generation] ?? []),
    }));
}

/**
 * What a site's DocTypes have, as the content model needs it: whether a field exists, and the
 * options of a Select. Built from the metadata pull reads (`frappe.desk.form.load.getdoctype`),
 * or from a generation of the registry.
 */
export interface ContentShape {
  /** Where it comes from, for messages: "generation 002", "the site's metadata". */
  readonly source: string;
  has(doctype: DocTypeName | string, fieldname: string): boolean;
  /** A Select field's options, or null when the site has no such field. */
  options(doctype: DocTypeName | string, fieldname: string): readonly string[] | null;
}

/** The metadata the content cache keeps: per DocType, its fields. */
export type SiteMeta = Record<string, SiteField[]>;

export function shapeFromMeta(meta: SiteMeta, source = "the site's metadata"): ContentShape {
  const find = (doctype: string, fieldname: string) => meta[doctype]?.find((f) => f.fieldname === fieldname);
  return {
    source,
    has: (doctype, fieldname) => find(doctype, fieldname) !== undefined,
    options: (doctype, fieldname) => {
      const f = find(doctype, fieldname);
      if (!f) return null;
      return Array.isArray(f.options) ? f.options : typeof f.options === 'string' ? f.options.split('\n').map((o) => o.trim()).filter(Boolean) : [];
    },
  };
}

/** The metadata of a generation, as a site of that generation answers it. */
export function generationMeta(generation: Generation, selectOptions: Readonly<Record<string, readonly string[]>> = {}): SiteMeta {
  const meta: SiteMeta = {};
  for (const doctype of Object.keys(REGISTRY)) {
    meta[doctype] = fieldsOf(doctype, generation).map((f) => {
      const custom = selectOptions[`${doctype}.${f.fieldname}`];
      return custom && f.fieldtype === 'Select' ? { ...f, options: custom } : f;
    });
  }
  return meta;
}

export function shapeOfGeneration(generation: Generation, selectOptions: Readonly<Record<string, readonly string[]>> = {}): ContentShape {
  return shapeFromMeta(generationMeta(generation, selectOptions), `generation ${generation}`);
}

/** Which generation a site's metadata is: 008 where the plan has `is_published`, else 002. */
export function generationOf(meta: SiteMeta): Generation {
  return meta['Memora Academic Plan']?.some((f) => f.fieldname === 'is_published') ? '008' : '002';
}

/**
 * The shape of a cache that holds no site metadata (pulled before it was kept, or written by
 * hand): generation 002, with every override action memora-cdn applies except Set Linear,
 * as earlier releases read it.
 */
export const LEGACY_SHAPE: ContentShape = shapeOfGeneration('002', { 'Memora Plan Override.action': [...OVERRIDE_ACTION_OPTIONS['002'], 'Set Access Level'] });

const isParent = (doctype: string): doctype is DocTypeName => (PARENT_DOCTYPES as readonly string[]).includes(doctype);

/** Link fields of the parent DocTypes to other content DocTypes (the tree's parent links). A rename rewrites them without touching modified. */
export const LINK_FIELDS: readonly { doctype: DocTypeName; field: string; target: DocTypeName }[] = PARENT_DOCTYPES.flatMap((doctype) =>
  (REGISTRY[doctype]?.fields ?? []).flatMap((f) => (f.fieldtype === 'Link' && typeof f.options === 'string' && isParent(f.options) ? [{ doctype, field: f.fieldname, target: f.options }] : [])),
);

/**
 * Links held in child rows: Link fields to content DocTypes, and Dynamic Links (whose DocType is
 * in another field of the row), with the parent DocType and table field that hold the rows.
 */
export interface RowLink {
  doctype: DocTypeName;
  table: string;
  field: string;
  target: DocTypeName | { field: string };
}

export const ROW_LINK_FIELDS: readonly RowLink[] = PARENT_DOCTYPES.flatMap((doctype) =>
  (REGISTRY[doctype]?.fields ?? [])
    .filter((t) => t.fieldtype === 'Table')
    .flatMap((t) =>
      (REGISTRY[String(t.options)]?.fields ?? []).flatMap((f): RowLink[] => {
        if (f.fieldtype === 'Link' && typeof f.options === 'string' && isParent(f.options)) return [{ doctype, table: t.fieldname, field: f.fieldname, target: f.options }];
        if (f.fieldtype === 'Dynamic Link' && typeof f.options === 'string') return [{ doctype, table: t.fieldname, field: f.fieldname, target: { field: f.options } }];
        return [];
      }),
    ),
);
