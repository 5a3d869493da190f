/**
 * The DocType metadata the emulator needs: which columns each table has, their kind (how MariaDB
 * compares and sorts them), the child tables, and the Link fields a rename must follow. It mirrors
 * what Frappe keeps in `DocType`/`DocField` (frappe/model/meta.py) for the Memora DocTypes of one
 * generation (content/fields.ts, the registry), plus `Deleted Document`
 * (frappe/core/doctype/deleted_document/deleted_document.json) and `Comment`.
 */
import { COMMENT, DELETED_DOCUMENT, PARENT_DOCTYPES } from '../content/doctypes.ts';
import { DEFAULT_GENERATION, fieldsOf, generationMeta, GENERATIONS, REGISTRY, type Generation } from '../content/fields.ts';

/**
 * How a column compares: `number` for Int/Check (MariaDB compares numerically, casting string
 * operands), `datetime` for creation/modified (compared by value), `string` for everything else.
 */
export type FieldKind = 'string' | 'number' | 'datetime';

export interface FieldMeta {
  name: string;
  kind: FieldKind;
  /** The Frappe field type (Data, Check, Select, JSON, ...); absent for standard and guessed custom fields. */
  fieldtype?: string;
  /** Select: the options the site offers. */
  options?: readonly string[];
  /** The DocField's `options` as Frappe stores it (a Link's DocType, Select options one per line, ...). */
  frappeOptions?: string | null;
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

export { COMMENT, DELETED_DOCUMENT };

const s = (name: string, extra: Partial<FieldMeta> = {}): FieldMeta => ({ name, kind: 'string', ...extra });
const n = (name: string): FieldMeta => ({ name, kind: 'number' });

/** How MariaDB compares a column of this Frappe field type. */
function kindOf(fieldtype: string): FieldKind {
  return fieldtype === 'Check' || fieldtype === 'Int' || fieldtype === 'Float' ? 'number' : 'string';
}

/** The Memora DocTypes of a generation, from the field registry (content/fields.ts), plus Deleted Document and Comment. */
function builtInMetas(generation: Generation, selectOptions: Readonly<Record<string, readonly string[]>>): DocTypeMeta[] {
  const metas: DocTypeMeta[] = [];
  for (const [name, siteFields] of Object.entries(generationMeta(generation, selectOptions))) {
    const fields: FieldMeta[] = [];
    const tables: TableMeta[] = [];
    for (const f of siteFields) {
      const target = typeof f.options === 'string' ? f.options : null;
      if (f.fieldtype === 'Table') {
        tables.push({ field: f.fieldname, doctype: String(target) });
        continue;
      }
      const followed = f.fieldtype === 'Link' && target !== null && (target === 'DocType' || (PARENT_DOCTYPES as readonly string[]).includes(target));
      fields.push({
        name: f.fieldname,
        kind: kindOf(f.fieldtype),
        fieldtype: f.fieldtype,
        ...(followed ? { link: target } : {}),
        ...(f.fieldtype === 'Dynamic Link' && target !== null ? { dynamicLink: target } : {}),
        ...(Array.isArray(f.options) ? { options: f.options } : {}),
        frappeOptions: Array.isArray(f.options) ? f.options.join('\n') : target,
      });
    }
    const parentDoctype = REGISTRY[name]?.istable ? (Object.entries(REGISTRY).find(([, p]) => p.fields.some((f) => f.fieldtype === 'Table' && f.options === name))?.[0] ?? null) : null;
    metas.push({ name, istable: REGISTRY[name]?.istable ?? false, parentDoctype, fields, tables });
  }
  metas.push(
    {
      name: DELETED_DOCUMENT,
      istable: false,
      parentDoctype: null,
      fields: [s('deleted_name'), s('deleted_doctype'), n('restored'), s('new_name'), s('data')],
      tables: [],
    },
    {
      // frappe/core/doctype/comment/comment.json: renames and restores leave an "Edit" comment.
      name: COMMENT,
      istable: false,
      parentDoctype: null,
      fields: [s('comment_type'), s('comment_email'), s('reference_doctype', { link: 'DocType' }), s('reference_name', { dynamicLink: 'reference_doctype' }), s('content')],
      tables: [],
    },
  );
  return metas;
}

/** The metadata of every DocType the emulator serves. */
export class Schema {
  private readonly metas = new Map<string, DocTypeMeta>();

  constructor(
    generation: Generation = DEFAULT_GENERATION,
    private readonly selectOptions: Readonly<Record<string, readonly string[]>> = {},
  ) {
    for (const meta of builtInMetas(generation, selectOptions)) this.metas.set(meta.name, meta);
  }

  /**
   * `bench migrate` to another generation of the Memora app: the DocTypes get that generation's
   * fields (custom fields stay). Returns, per DocType, the fields added and removed.
   */
  migrate(generation: Generation): Map<string, { added: FieldMeta[]; removed: string[] }> {
    const changes = new Map<string, { added: FieldMeta[]; removed: string[] }>();
    for (const next of builtInMetas(generation, this.selectOptions)) {
      const before = this.metas.get(next.name);
      if (!before) continue;
      const builtIn = new Set(this.builtInFieldNames(next.name));
      const custom = before.fields.filter((f) => !builtIn.has(f.name) && !next.fields.some((n) => n.name === f.name));
      const added = next.fields.filter((f) => !before.fields.some((b) => b.name === f.name));
      const removed = before.fields.filter((f) => builtIn.has(f.name) && !next.fields.some((n) => n.name === f.name)).map((f) => f.name);
      this.metas.set(next.name, { ...next, fields: [...next.fields, ...custom] });
      changes.set(next.name, { added, removed });
    }
    return changes;
  }

  /** The registry's fields of a DocType in either generation. */
  private builtInFieldNames(doctype: string): string[] {
    return [...new Set(GENERATIONS.flatMap((g) => fieldsOf(doctype, g).map((f) => f.fieldname)))];
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
