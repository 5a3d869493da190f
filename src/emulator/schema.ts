/**
 * The DocType metadata the emulator needs: which columns each table has, their kind (how MariaDB
 * compares and sorts them), the child tables, and the Link fields a rename must follow. It mirrors
 * what Frappe keeps in `DocType`/`DocField` (frappe/model/meta.py) for the Memora DocTypes of
 * DESIGN.md section 2, plus `Deleted Document`
 * (frappe/core/doctype/deleted_document/deleted_document.json).
 */
import { CHILD_TABLES, DOCTYPES, PARENT_DOCTYPES } from '../content/doctypes.ts';

/**
 * How a column compares: `number` for Int/Check (MariaDB compares numerically, casting string
 * operands), `datetime` for creation/modified (compared by value), `string` for everything else.
 */
export type FieldKind = 'string' | 'number' | 'datetime';

export interface FieldMeta {
  name: string;
  kind: FieldKind;
  /** Link field: the DocType it points at (followed by rename). */
  link?: string;
  /** Dynamic Link field: the field of the same row that holds the target DocType. */
  dynamicLink?: string;
}

export interface TableMeta {
  field: string;
  doctype: string;
}

export interface DocTypeMeta {
  name: string;
  /** True for child DocTypes (`istable`). */
  istable: boolean;
  /** For child DocTypes: the parent DocType that has a Table field pointing at it. */
  parentDoctype: string | null;
  /** The DocType's own non-table fields, in form order. */
  fields: FieldMeta[];
  /** Table fields (child tables), in form order. */
  tables: TableMeta[];
}

/** `frappe.model.default_fields` minus `doctype`: the standard columns of every table. */
export const STANDARD_FIELDS: readonly FieldMeta[] = [
  { name: 'name', kind: 'string' },
  { name: 'owner', kind: 'string' },
  { name: 'creation', kind: 'datetime' },
  { name: 'modified', kind: 'datetime' },
  { name: 'modified_by', kind: 'string' },
  { name: 'docstatus', kind: 'number' },
  { name: 'idx', kind: 'number' },
];

/** `frappe.model.child_table_fields`: the extra columns of child tables. */
export const CHILD_TABLE_FIELDS: readonly FieldMeta[] = [
  { name: 'parent', kind: 'string' },
  { name: 'parentfield', kind: 'string' },
  { name: 'parenttype', kind: 'string' },
];

/**
 * `frappe.model.optional_fields`: columns Frappe adds to every table (`_user_tags`, ...). They
 * pass the field validation of frappe/desk/reportview.py `is_standard`; the emulator has them
 * as columns that are always null, but leaves them out of `fields=["*"]`.
 */
export const OPTIONAL_FIELDS: readonly string[] = ['_user_tags', '_comments', '_assign', '_liked_by', '_seen'];

export const DELETED_DOCUMENT = 'Deleted Document';
/** frappe/core/doctype/comment/comment.json: renames and restores leave an "Edit" comment. */
export const COMMENT = 'Comment';

const s = (name: string, extra: Partial<FieldMeta> = {}): FieldMeta => ({ name, kind: 'string', ...extra });
const n = (name: string): FieldMeta => ({ name, kind: 'number' });

/** Fields shared by subjects, tracks, units, topics and lessons. */
const nodeTail = (badge = false): FieldMeta[] => [
  s('description'),
  s('image'),
  ...(badge ? [s('badge_image')] : []),
  n('is_published'),
  n('is_free_preview'),
];

function builtInMetas(): DocTypeMeta[] {
  const parent = (name: string, fields: FieldMeta[]): DocTypeMeta => ({
    name,
    istable: false,
    parentDoctype: null,
    fields,
    tables: ((CHILD_TABLES as Record<string, readonly TableMeta[]>)[name] ?? []).map((t) => ({ field: t.field, doctype: t.doctype })),
  });
  const child = (name: string, parentDoctype: string, fields: FieldMeta[]): DocTypeMeta => ({ name, istable: true, parentDoctype, fields, tables: [] });
  return [
    parent(DOCTYPES.plan, [s('title'), s('season'), s('stream'), s('grade')]),
    parent(DOCTYPES.subject, [s('title'), ...nodeTail().slice(0, 2), s('color_code'), n('is_published'), n('is_free_preview'), n('is_public'), s('required_item'), n('sort_order')]),
    parent(DOCTYPES.track, [
      s('title'),
      s('parent_subject', { link: DOCTYPES.subject }),
      ...nodeTail(),
      n('is_sold_separately'),
      s('required_item'),
      n('parent_item_required'),
      n('sort_order'),
    ]),
    parent(DOCTYPES.unit, [s('title'), s('parent_track', { link: DOCTYPES.track }), ...nodeTail(true), n('sort_order')]),
    parent(DOCTYPES.topic, [s('title'), s('parent_unit', { link: DOCTYPES.unit }), ...nodeTail(), n('sort_order')]),
    parent(DOCTYPES.lesson, [s('title'), s('parent_topic', { link: DOCTYPES.topic }), ...nodeTail(), n('sort_order')]),
    child('Memora Plan Subject', DOCTYPES.plan, [s('subject', { link: DOCTYPES.subject }), n('sort_order')]),
    child('Memora Plan Override', DOCTYPES.plan, [
      s('target_doctype', { link: 'DocType' }),
      s('target_name', { dynamicLink: 'target_doctype' }),
      s('action'),
      s('override_value'),
    ]),
    child('Memora Lesson Stage', DOCTYPES.lesson, [s('title'), s('type'), s('config')]),
    {
      name: DELETED_DOCUMENT,
      istable: false,
      parentDoctype: null,
      fields: [s('deleted_name'), s('deleted_doctype'), n('restored'), s('new_name'), s('data')],
      tables: [],
    },
    {
      name: COMMENT,
      istable: false,
      parentDoctype: null,
      fields: [s('comment_type'), s('comment_email'), s('reference_doctype', { link: 'DocType' }), s('reference_name', { dynamicLink: 'reference_doctype' }), s('content')],
      tables: [],
    },
  ];
}

/** The metadata of every DocType the emulator serves. */
export class Schema {
  private readonly metas = new Map<string, DocTypeMeta>();

  constructor() {
    for (const meta of builtInMetas()) this.metas.set(meta.name, meta);
  }

  get(doctype: string): DocTypeMeta | undefined {
    return this.metas.get(doctype);
  }

  all(): DocTypeMeta[] {
    return [...this.metas.values()];
  }

  /** Parent DocTypes of the Memora app, in tree order. */
  parents(): readonly string[] {
    return PARENT_DOCTYPES;
  }

  /** Every column of the DocType's table, in MariaDB column order (standard, child, own, optional). */
  columns(doctype: string): FieldMeta[] {
    const meta = this.metas.get(doctype);
    if (!meta) return [];
    return [...STANDARD_FIELDS, ...(meta.istable ? CHILD_TABLE_FIELDS : []), ...meta.fields, ...OPTIONAL_FIELDS.map((f) => s(f))];
  }

  /** The column, or undefined if the table has none of that name (table fields have no column). */
  column(doctype: string, field: string): FieldMeta | undefined {
    return this.columns(doctype).find((c) => c.name === field);
  }

  /** `meta.get_field(fieldname)`: a DocField of the DocType (own fields and table fields, not standard ones). */
  hasDocField(doctype: string, field: string): boolean {
    const meta = this.metas.get(doctype);
    return !!meta && (meta.fields.some((f) => f.name === field) || meta.tables.some((t) => t.field === field));
  }

  /** The table field of `doctype` whose rows are `childDoctype`, if any. */
  tableFor(doctype: string, childDoctype: string): TableMeta | undefined {
    return this.metas.get(doctype)?.tables.find((t) => t.doctype === childDoctype);
  }

  /**
   * Adds a field the loaded catalog has but the built-in metadata does not (a custom field on
   * the site), so no data is dropped. Its kind is guessed from the value.
   */
  addField(doctype: string, field: string, sample: unknown): void {
    const meta = this.metas.get(doctype);
    if (!meta || field === 'doctype' || this.column(doctype, field) || meta.tables.some((t) => t.field === field)) return;
    meta.fields.push({ name: field, kind: typeof sample === 'number' || typeof sample === 'boolean' ? 'number' : 'string' });
  }
}
