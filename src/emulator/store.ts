/**
 * The emulator's database: the catalog (parent documents with their child rows), the
 * `Deleted Document` table, and the mutations, each done the way Frappe does it:
 *
 *   insert   - frappe/model/document.py `Document.insert`: `set_user_and_timestamp` makes
 *              creation = modified = now and owner = modified_by = the session user; every child
 *              row gets parent/parentfield/parenttype, idx 1..n, the parent's modified and
 *              modified_by, and (if it has none) the parent's owner and creation.
 *   update   - `Document.save`: modified = now; a child table given as a list replaces the rows
 *              (`update_child_table` deletes the rows that are not in it, no trace is left); every
 *              current child row is written again with the parent's new modified.
 *   remove   - frappe/model/delete_doc.py `delete_doc` as the desk and the REST API call it (no
 *              force): refused with LinkExistsError while another document links to it
 *              (`check_if_doc_is_linked`: any Link; `check_if_doc_is_dynamically_linked`: a Dynamic
 *              Link from a row not cancelled); a hard DELETE, then `add_to_deleted_document`
 *              inserts a `Deleted Document` (hash name, deleted_doctype, deleted_name, data =
 *              `doc.as_json()` with the child rows, restored 0) whose creation is the time of
 *              deletion (none with delete_permanently); then `delete_dynamic_links` (enqueued
 *              after the commit, run at once here) deletes every Comment on the name, a rename's
 *              "Edit" comment included.
 *   restore  - frappe/core/doctype/deleted_document/deleted_document.py `restore`: `doc.insert()`
 *              of the saved data: naming.py `set_new_name` drops the saved name (hash-named
 *              DocTypes), so the document comes back under a new random name, with new
 *              creation/modified (`set_user_and_timestamp`) and new child rows; then
 *              `add_comment("Edit", "restored {old} as {new}")`; the Deleted Document gets
 *              restored = 1 and new_name (`db_update`, so its own modified does not change).
 *   rename   - frappe/model/rename_doc.py `rename_doc`: raw UPDATEs of the name, of the child
 *              rows' parent, and of every Link / Dynamic Link that points at it (`set_value` with
 *              update_modified=False); no modified changes anywhere, no Deleted Document; then
 *              `new_doc.add_comment("Edit", "renamed from <strong>old</strong> to <strong>new</strong>")`.
 *              With merge=1 the new name must exist already: the old document is not renamed,
 *              its links are rewritten the same way, `add_comment("Edit", "merged <strong>old</strong>
 *              into <strong>new</strong>")` goes on the new one, then `frappe.delete_doc` removes the
 *              old one (a Deleted Document, as `remove`).
 *   child rows on their own - `POST /api/resource/{child DocType}` (v1 `create_doc`:
 *              `frappe.new_doc(...).insert()`), a row's own `save()` or `frappe.db.set_value` on a
 *              row: the row gets modified = now, the parent is untouched. `DELETE` of a row:
 *              `delete_doc` removes it and writes a Deleted Document of the child DocType whose
 *              data names the parent.
 *   rawUpdate - `frappe.db.set_value(..., update_modified=False)` or plain SQL: fields change,
 *              modified does not.
 */
import { DOCTYPES, PARENT_DOCTYPES, type DocTypeName } from '../content/doctypes.ts';
import type { Generation } from '../content/fields.ts';
import type { RawDoc } from '../content/raw.ts';
import { canonicalDatetime, EmulatorClock, pythonDatetimeString } from './clock.ts';
import { collationKey } from './collation.ts';
import { cint, type Row, type RowSource } from './query.ts';
import { compareCodePoints } from '../io/compare.ts';
import { pyDumps } from './pyjson.ts';
import { COMMENT, DELETED_DOCUMENT, OPTIONAL_FIELDS, type DocTypeMeta, type Schema } from './schema.ts';
import { sha256 } from '../io/hash.ts';

/** The user the emulator's mutations are made as (desk edits, imports). */
export const EDITOR = 'Administrator';

export interface ShapeOptions {
  /** Leave out null-valued fields, as Frappe's document endpoint does (`as_dict(no_nulls=True)`). */
  omitNulls: boolean;
  /** Print creation/modified like Python's `str(datetime)` (no `.000000`). */
  trimZeroMicroseconds: boolean;
}

/** A number column's value: Float keeps its fraction (`flt`), Int and Check are whole (`cint`). */
function numberOf(fieldtype: string | undefined, value: unknown): number {
  if (fieldtype !== 'Float') return cint(value);
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : 0;
  return Number.isFinite(n) ? n : 0;
}

/** Frappe's `LinkExistsError` (a ValidationError): a delete refused while another document links to the one deleted. */
export class LinkExistsError extends Error {}

const STANDARD_KEYS = new Set(['name', 'owner', 'creation', 'modified', 'modified_by', 'docstatus', 'idx', 'doctype']);

/** Frappe field types stored as varchar(140) (frappe/database/mariadb/database.py type_map). */
const VARCHAR_140 = new Set(['Data', 'Link', 'Dynamic Link', 'Select', 'Color']);

/**
 * What Frappe and MariaDB refuse when a document is written (not when a catalog is loaded, which
 * stands for data already in the database): a Data-like value over 140 characters
 * (`_validate_length`: CharacterLengthExceededError), a Select value the field does not offer
 * (`_validate_selects`), and a JSON field that is not valid JSON (MariaDB's JSON_VALID check).
 */
export function validateRow(meta: DocTypeMeta, row: Row): void {
  const where = `${meta.name} ${String(row.name ?? '')}`;
  for (const f of meta.fields) {
    const value = row[f.name];
    if (value === null || value === undefined || value === '') continue;
    if (f.fieldtype !== undefined && VARCHAR_140.has(f.fieldtype) && String(value).length > 140) {
      throw new Error(`CharacterLengthExceededError: ${where}: ${f.name} will get truncated, as max characters allowed is 140 (it has ${String(value).length})`);
    }
    if (f.fieldtype === 'Select' && f.options && !f.options.includes(String(value))) {
      throw new Error(`ValidationError: ${where}: ${f.name} cannot be ${JSON.stringify(value)}. It should be one of ${f.options.map((o) => JSON.stringify(o)).join(', ')}`);
    }
    if (f.fieldtype === 'JSON' && typeof value === 'string') {
      try {
        JSON.parse(value);
      } catch {
        throw new Error(`OperationalError: (4025, "CONSTRAINT \`tab${meta.name}.${f.name}\` failed") for ${where}: not valid JSON`);
      }
    }
  }
}

export class Store implements RowSource {
  /** Parent documents by DocType, then name; each holds its child rows in its table fields. */
  private readonly docs = new Map<string, Map<string, Row>>();
  private readonly deleted = new Map<string, Row>();
  private readonly comments = new Map<string, Row>();
  private nameCounter = 0;

  constructor(
    readonly schema: Schema,
    readonly clock: EmulatorClock,
    private readonly shape: ShapeOptions,
  ) {
    for (const doctype of PARENT_DOCTYPES) this.docs.set(doctype, new Map());
  }

  // -------------------------------------------------------------------------------------------
  // Loading
  // -------------------------------------------------------------------------------------------

  /** Loads parent documents as given (deep copies), adding `doctype` where it is missing. */
  load(catalog: Partial<Record<DocTypeName, RawDoc[]>>): void {
    for (const [doctype, docs] of Object.entries(catalog) as [DocTypeName, RawDoc[] | undefined][]) {
      const meta = this.parentMeta(doctype);
      const table = this.table(doctype);
      const loaded = new Set([...table.keys()].map(collationKey));
      for (const input of docs ?? []) {
        const doc = structuredClone(input) as Row;
        if (typeof doc.name !== 'string' || doc.name === '') throw new Error(`emulator: a ${doctype} document has no name`);
        const key = collationKey(doc.name);
        if (loaded.has(key)) throw new Error(`emulator: ${doctype} ${doc.name} is in the catalog twice (names compare without case or accents)`);
        loaded.add(key);
        doc.doctype ??= doctype;
        for (const [key, value] of Object.entries(doc)) {
          if (!meta.tables.some((t) => t.field === key) && !Array.isArray(value)) this.schema.addField(doctype, key, value);
        }
        for (const t of meta.tables) {
          const rows = Array.isArray(doc[t.field]) ? (doc[t.field] as Row[]) : [];
          for (const row of rows) {
            row.doctype ??= t.doctype;
            for (const [key, value] of Object.entries(row)) this.schema.addField(t.doctype, key, value);
          }
          doc[t.field] = [...rows].sort((a, b) => cint(a.idx) - cint(b.idx));
        }
        table.set(doc.name, doc);
      }
    }
  }

  /** The latest creation/modified in the catalog (the clock must start after it). */
  latestTimestamp(): string | null {
    let latest: string | null = null;
    const see = (value: unknown): void => {
      const c = typeof value === 'string' ? canonicalDatetime(value) : null;
      if (c !== null && (latest === null || c > latest)) latest = c;
    };
    for (const table of this.docs.values()) {
      for (const doc of table.values()) {
        see(doc.creation);
        see(doc.modified);
      }
    }
    return latest;
  }

  // -------------------------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------------------------

  /** RowSource: every row of a table (stored objects, read-only use). */
  rows(doctype: string): readonly Row[] {
    if (doctype === DELETED_DOCUMENT) return [...this.deleted.values()];
    if (doctype === COMMENT) return [...this.comments.values()];
    const meta = this.schema.get(doctype);
    if (!meta) return [];
    if (!meta.istable) return [...(this.docs.get(doctype)?.values() ?? [])];
    const out: Row[] = [];
    for (const parent of this.docs.get(meta.parentDoctype ?? '')?.values() ?? []) {
      for (const t of this.schema.get(meta.parentDoctype ?? '')?.tables ?? []) {
        if (t.doctype === doctype) out.push(...((parent[t.field] as Row[] | undefined) ?? []));
      }
    }
    return out;
  }

  /** RowSource: the child rows of one parent document. */
  childRows(childDoctype: string, parentName: string, parentDoctype: string): readonly Row[] {
    const parent = this.docs.get(parentDoctype)?.get(parentName);
    if (!parent) return [];
    const out: Row[] = [];
    for (const t of this.schema.get(parentDoctype)?.tables ?? []) {
      if (t.doctype === childDoctype) out.push(...((parent[t.field] as Row[] | undefined) ?? []));
    }
    return out;
  }

  /** A document as `GET /api/resource/{doctype}/{name}` serves it (parent, child row or Deleted Document). */
  findDocument(doctype: string, name: string, shape: ShapeOptions = this.shape): Row | undefined {
    if (doctype === DELETED_DOCUMENT || doctype === COMMENT) {
      const d = (doctype === COMMENT ? this.comments : this.deleted).get(name);
      return d ? this.shapeDoc(doctype, d, shape) : undefined;
    }
    const meta = this.schema.get(doctype);
    if (!meta) return undefined;
    if (!meta.istable) {
      const d = this.docs.get(doctype)?.get(name);
      return d ? this.shapeDoc(doctype, d, shape) : undefined;
    }
    const row = this.rows(doctype).find((r) => r.name === name);
    return row ? this.shapeDoc(doctype, row, shape) : undefined;
  }

  get(doctype: DocTypeName, name: string): RawDoc | undefined {
    this.parentMeta(doctype);
    return this.findDocument(doctype, name) as RawDoc | undefined;
  }

  snapshot(): Record<DocTypeName, RawDoc[]> {
    const out = {} as Record<DocTypeName, RawDoc[]>;
    for (const doctype of PARENT_DOCTYPES) {
      out[doctype] = [...this.table(doctype).values()]
        .sort((a, b) => compareCodePoints(String(a.name), String(b.name)))
        .map((d) => this.shapeDoc(doctype, d, this.shape) as RawDoc);
    }
    return out;
  }

  deletedDocuments(): RawDoc[] {
    return [...this.deleted.values()].map((d) => this.shapeDoc(DELETED_DOCUMENT, d, this.shape) as RawDoc);
  }

  /** A deep copy with `doctype`, child rows by idx, and the shape options applied. */
  private shapeDoc(doctype: string, doc: Row, shape: ShapeOptions): Row {
    const meta = this.schema.get(doctype);
    const out: Row = {};
    for (const [key, value] of Object.entries(doc)) {
      const table = meta?.tables.find((t) => t.field === key);
      if (table) {
        const rows = Array.isArray(value) ? [...(value as Row[])].sort((a, b) => cint(a.idx) - cint(b.idx)) : [];
        out[key] = rows.map((r) => this.shapeDoc(table.doctype, { ...r, doctype: r.doctype ?? table.doctype }, shape));
        continue;
      }
      if (shape.omitNulls && (value === null || value === undefined)) continue;
      out[key] = shape.trimZeroMicroseconds && (key === 'creation' || key === 'modified') && typeof value === 'string' ? pythonDatetimeString(value) : structuredClone(value);
    }
    out.doctype = doc.doctype ?? doctype;
    for (const t of meta?.tables ?? []) out[t.field] ??= [];
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Mutations
  // -------------------------------------------------------------------------------------------

  insert(doctype: DocTypeName, input: Row): RawDoc {
    const meta = this.parentMeta(doctype);
    const name = typeof input.name === 'string' && input.name !== '' ? input.name : this.newName();
    if (this.taken(doctype, name)) throw new Error(`emulator: ${doctype} ${name} already exists (DuplicateEntryError: names compare without case or accents)`);
    const now = this.clock.tick();
    const doc = this.build(meta, name, input, { owner: EDITOR, creation: now, modified: now, modified_by: EDITOR }, []);
    this.table(doctype).set(name, doc);
    return this.get(doctype, name) as RawDoc;
  }

  update(doctype: DocTypeName, name: string, fields: Row): RawDoc {
    this.saveAt(doctype, [name], fields, this.clock.tick());
    return this.get(doctype, name) as RawDoc;
  }

  bulkUpdate(doctype: DocTypeName, names: readonly string[], fields: Row): string {
    const now = this.clock.tick();
    this.saveAt(doctype, names, fields, now);
    return now;
  }

  /** `doc.save()` of each document at the instant `now`. */
  private saveAt(doctype: DocTypeName, names: readonly string[], fields: Row, now: string): void {
    const meta = this.parentMeta(doctype);
    const table = this.table(doctype);
    for (const name of names) if (!table.has(name)) throw new Error(`emulator: ${doctype} ${name} not found`);
    for (const name of names) {
      const old = table.get(name) as Row;
      const input: Row = { ...old };
      for (const [key, value] of Object.entries(fields)) {
        if (key === 'name' || key === 'doctype' || key === 'creation' || key === 'owner') continue;
        input[key] = value;
      }
      const doc = this.build(meta, name, input, { owner: old.owner, creation: old.creation, modified: now, modified_by: EDITOR }, old);
      table.set(name, doc);
    }
  }

  /** `permanently`: `delete_doc(..., delete_permanently=True)`, as app code may call it: no Deleted Document. */
  remove(doctype: DocTypeName, name: string, options: { permanently?: boolean } = {}): void {
    const table = this.table(doctype);
    const doc = table.get(name);
    if (!doc) throw new Error(`emulator: ${doctype} ${name} not found`);
    const linked = this.linkedFrom(doctype, name);
    if (linked) {
      const link = (dt: string, dn: string) => `<a href="/app/Form/${dt}/${dn}">${dn}</a>`;
      throw new LinkExistsError(`Cannot delete or cancel because ${doctype} ${link(doctype, name)} is linked with ${linked.doctype} ${link(linked.doctype, linked.name)} ${linked.row}`);
    }
    const now = this.clock.tick();
    table.delete(name);
    if (!options.permanently) this.addDeletedDocument(doctype, name, this.asJson(doctype, doc), now);
    // delete_dynamic_links: `DELETE FROM tabComment WHERE reference_doctype=%s AND reference_name=%s`, compared as the column's collation does.
    const key = collationKey(name);
    for (const [id, comment] of this.comments) {
      if (comment.reference_doctype === doctype && collationKey(String(comment.reference_name)) === key) this.comments.delete(id);
    }
  }

  /**
   * The first document that links to (doctype, name), as `check_if_doc_is_linked` (every Link
   * field, the document's own self-link aside) and then `check_if_doc_is_dynamically_linked` (a
   * Dynamic Link from a row not cancelled, with its row position) find it; values compared as the
   * column's collation does.
   */
  private linkedFrom(doctype: DocTypeName, name: string): { doctype: string; name: string; row: string } | null {
    const key = collationKey(name);
    const points = (row: Row, field: string) => typeof row[field] === 'string' && collationKey(row[field] as string) === key;
    // Every parent document and child row, with the parent it belongs to.
    const rows: { meta: DocTypeMeta; row: Row; parent: Row; parentDoctype: DocTypeName; child: boolean }[] = [];
    for (const parentDoctype of PARENT_DOCTYPES) {
      const meta = this.parentMeta(parentDoctype);
      for (const parent of this.table(parentDoctype).values()) {
        rows.push({ meta, row: parent, parent, parentDoctype, child: false });
        for (const t of meta.tables) {
          const childMeta = this.schema.get(t.doctype);
          if (childMeta) for (const row of (parent[t.field] as Row[] | undefined) ?? []) rows.push({ meta: childMeta, row, parent, parentDoctype, child: true });
        }
      }
    }
    for (const { meta, row, parent, parentDoctype, child } of rows) {
      if (!child && parentDoctype === doctype && parent.name === name) continue;
      if (meta.fields.some((f) => f.link === doctype && points(row, f.name))) return { doctype: parentDoctype, name: String(parent.name), row: '' };
    }
    for (const { meta, row, parent, parentDoctype, child } of rows) {
      if (cint(row.docstatus) === 2) continue;
      if (meta.fields.some((f) => f.dynamicLink !== undefined && row[f.dynamicLink] === doctype && points(row, f.name))) {
        return { doctype: parentDoctype, name: String(parent.name), row: child ? `at Row: ${cint(row.idx)}` : '' };
      }
    }
    return null;
  }

  /** `add_to_deleted_document`: the trace a deletion leaves. */
  private addDeletedDocument(doctype: string, name: string, data: string, now: string): void {
    const row = this.systemRow(now);
    this.deleted.set(String(row.name), {
      ...row,
      deleted_name: name,
      deleted_doctype: doctype,
      restored: 0,
      new_name: null,
      data,
      doctype: DELETED_DOCUMENT,
    });
  }

  /** `doc.add_comment("Edit", text)`: a Comment row referencing the document. */
  private addComment(doctype: string, name: string, content: string, now: string): void {
    const row = this.systemRow(now);
    this.comments.set(String(row.name), {
      ...row,
      comment_type: 'Edit',
      comment_email: EDITOR,
      reference_doctype: doctype,
      reference_name: name,
      content,
      doctype: COMMENT,
    });
  }

  /** The standard fields of a row Frappe writes as a side effect (a trace, a comment), under a new hash name. */
  private systemRow(now: string): Row {
    return { name: this.newName(), owner: EDITOR, creation: now, modified: now, modified_by: EDITOR, docstatus: 0, idx: 0 };
  }

  // ---- child rows saved on their own ----

  /** `POST /api/resource/{child DocType}`: the row is inserted on its own; the parent keeps its modified. */
  insertRow(childDoctype: string, input: Row): Row {
    const { parentMeta, table } = this.childTable(childDoctype, String(input.parenttype ?? ''), String(input.parentfield ?? ''));
    const parent = this.table(parentMeta.name).get(String(input.parent ?? ''));
    if (!parent) throw new Error(`emulator: ${parentMeta.name} ${String(input.parent)} not found`);
    const rows = (parent[table.field] as Row[] | undefined) ?? [];
    const now = this.clock.tick();
    const childMeta = this.schema.get(childDoctype) as DocTypeMeta;
    const row: Row = {
      name: typeof input.name === 'string' && input.name !== '' ? input.name : this.newName(),
      owner: EDITOR,
      creation: now,
      modified: now,
      modified_by: EDITOR,
      docstatus: 0,
      idx: rows.reduce((max, r) => Math.max(max, cint(r.idx)), 0) + 1,
      parent: parent.name,
      parentfield: table.field,
      parenttype: parentMeta.name,
    };
    for (const f of childMeta.fields) row[f.name] = f.kind === 'number' ? numberOf(f.fieldtype, input[f.name]) : (input[f.name] ?? null);
    row.doctype = childDoctype;
    validateRow(childMeta, row);
    parent[table.field] = [...rows, row];
    return structuredClone(row);
  }

  /**
   * A row's own save, or `frappe.db.set_value` on a row: its fields and its modified change
   * (unless `updateModified` is false), the parent's do not.
   */
  updateRow(childDoctype: string, name: string, fields: Row, options: { updateModified?: boolean } = {}): void {
    const { row } = this.findRow(childDoctype, name);
    const childMeta = this.schema.get(childDoctype) as DocTypeMeta;
    const next: Row = { ...row };
    for (const [key, value] of Object.entries(fields)) {
      if (STANDARD_KEYS.has(key) || key === 'parent' || key === 'parentfield' || key === 'parenttype') throw new Error(`emulator: updateRow changes a row's own fields only, not ${key}`);
      const f = childMeta.fields.find((x) => x.name === key);
      next[key] = f?.kind === 'number' ? numberOf(f.fieldtype, value) : value;
    }
    validateRow(childMeta, next);
    Object.assign(row, next);
    if (options.updateModified !== false) {
      row.modified = this.clock.tick();
      row.modified_by = EDITOR;
    }
  }

  /** `DELETE /api/resource/{child DocType}/{name}`: the row goes, a Deleted Document of the child DocType names it and its parent. */
  removeRow(childDoctype: string, name: string): void {
    const { parent, field, row } = this.findRow(childDoctype, name);
    parent[field] = ((parent[field] as Row[]) ?? []).filter((r) => r !== row);
    const now = this.clock.tick();
    this.addDeletedDocument(childDoctype, name, this.asJson(childDoctype, row), now);
  }

  private childTable(childDoctype: string, parenttype: string, parentfield: string): { parentMeta: DocTypeMeta; table: { field: string; doctype: string } } {
    const childMeta = this.schema.get(childDoctype);
    if (!childMeta?.istable) throw new Error(`emulator: ${JSON.stringify(childDoctype)} is not a child DocType`);
    const parentMeta = this.parentMeta(parenttype || (childMeta.parentDoctype ?? ''));
    const table = parentMeta.tables.find((t) => t.doctype === childDoctype && (parentfield === '' || t.field === parentfield));
    if (!table) throw new Error(`emulator: ${parentMeta.name} has no table ${JSON.stringify(parentfield)} of ${childDoctype}`);
    return { parentMeta, table };
  }

  private findRow(childDoctype: string, name: string): { parent: Row; field: string; row: Row } {
    const childMeta = this.schema.get(childDoctype);
    if (!childMeta?.istable) throw new Error(`emulator: ${JSON.stringify(childDoctype)} is not a child DocType`);
    const parentMeta = this.parentMeta(childMeta.parentDoctype ?? '');
    for (const parent of this.table(parentMeta.name).values()) {
      for (const t of parentMeta.tables) {
        if (t.doctype !== childDoctype) continue;
        const row = ((parent[t.field] as Row[] | undefined) ?? []).find((r) => r.name === name);
        if (row) return { parent, field: t.field, row };
      }
    }
    throw new Error(`emulator: ${childDoctype} ${name} not found`);
  }

  restore(deletedName: string, options: { newName?: string } = {}): RawDoc {
    const deleted = this.deleted.get(deletedName);
    if (!deleted) throw new Error(`emulator: Deleted Document ${deletedName} not found`);
    if (cint(deleted.restored)) throw new Error(`emulator: Document ${deletedName} Already Restored`);
    const data = JSON.parse(String(deleted.data)) as Row;
    const doctype = String(data.doctype ?? deleted.deleted_doctype) as DocTypeName;
    const meta = this.parentMeta(doctype);
    const table = this.table(doctype);
    let name: string;
    if (options.newName !== undefined) {
      if (this.taken(doctype, options.newName)) throw new Error(`emulator: ${doctype} ${options.newName} already exists`);
      name = options.newName;
    } else {
      name = this.newName();
    }
    const now = this.clock.tick();
    // Child rows are inserted again under new names (naming.py `set_new_name` resets them).
    for (const t of meta.tables) {
      if (Array.isArray(data[t.field])) data[t.field] = (data[t.field] as Row[]).map((r) => ({ ...r, name: undefined }));
    }
    const doc = this.build(meta, name, data, { owner: EDITOR, creation: now, modified: now, modified_by: EDITOR }, []);
    table.set(name, doc);
    this.addComment(doctype, name, `restored ${String(deleted.deleted_name)} as ${name}`, now);
    deleted.restored = 1;
    deleted.new_name = name;
    return this.get(doctype, name) as RawDoc;
  }

  rename(doctype: DocTypeName, oldName: string, newName: string, options: { merge?: boolean } = {}): void {
    const table = this.table(doctype);
    const doc = table.get(oldName);
    if (!doc) throw new Error(`emulator: ${doctype} ${oldName} not found`);
    if (options.merge) {
      // validate_rename: "{doctype} {new} does not exist, select a new target to merge".
      if (newName === oldName || !table.has(newName)) throw new Error(`emulator: cannot merge ${doctype} ${oldName} into ${JSON.stringify(newName)}: it does not exist`);
    } else {
      // validate_rename: a name held by another document is refused; one that differs only in case or accents is a fix of this one.
      if (newName === '' || newName === oldName || this.taken(doctype, newName, oldName)) throw new Error(`emulator: cannot rename ${doctype} ${oldName} to ${JSON.stringify(newName)}: the name is taken or empty`);
      table.delete(oldName);
      doc.name = newName;
      table.set(newName, doc);
      for (const t of this.parentMeta(doctype).tables) {
        for (const row of (doc[t.field] as Row[] | undefined) ?? []) row.parent = newName;
      }
    }
    // Every Link to the document, and Dynamic Links whose DocType field names its DocType.
    const relink = (meta: DocTypeMeta, row: Row): void => {
      for (const f of meta.fields) {
        if (row[f.name] !== oldName) continue;
        if (f.link === doctype || (f.dynamicLink !== undefined && row[f.dynamicLink] === doctype)) row[f.name] = newName;
      }
    };
    for (const parentDoctype of PARENT_DOCTYPES) {
      const meta = this.parentMeta(parentDoctype);
      for (const parent of this.table(parentDoctype).values()) {
        relink(meta, parent);
        for (const t of meta.tables) {
          const childMeta = this.schema.get(t.doctype);
          if (childMeta) for (const row of (parent[t.field] as Row[] | undefined) ?? []) relink(childMeta, row);
        }
      }
    }
    // Comment.reference_name is a Dynamic Link (on reference_doctype): rename_dynamic_links rewrites it too.
    for (const comment of this.comments.values()) {
      if (comment.reference_doctype === doctype && comment.reference_name === oldName) comment.reference_name = newName;
    }
    // The comment is the only row the rename stamps with the time.
    if (options.merge) {
      this.addComment(doctype, newName, `merged <strong>${oldName}</strong> into <strong>${newName}</strong>`, this.clock.tick());
      this.remove(doctype, oldName);
      return;
    }
    this.addComment(doctype, newName, `renamed from <strong>${oldName}</strong> to <strong>${newName}</strong>`, this.clock.tick());
  }

  /**
   * `bench migrate` to another generation: new columns get their defaults in every row (0 for
   * numbers, null otherwise), dropped columns go; no `modified` changes anywhere.
   */
  migrate(generation: Generation): void {
    const changes = this.schema.migrate(generation);
    const apply = (doctype: string, row: Row) => {
      const change = changes.get(doctype);
      if (!change) return;
      for (const f of change.added) row[f.name] ??= f.kind === 'number' ? 0 : null;
      for (const name of change.removed) delete row[name];
    };
    for (const doctype of PARENT_DOCTYPES) {
      const meta = this.parentMeta(doctype);
      for (const doc of this.table(doctype).values()) {
        apply(doctype, doc);
        for (const t of meta.tables) for (const row of (doc[t.field] as Row[] | undefined) ?? []) apply(t.doctype, row);
      }
    }
  }

  rawUpdate(doctype: DocTypeName, name: string, fields: Row): void {
    const meta = this.parentMeta(doctype);
    const doc = this.table(doctype).get(name);
    if (!doc) throw new Error(`emulator: ${doctype} ${name} not found`);
    for (const [key, value] of Object.entries(fields)) {
      if (key === 'doctype') continue;
      if (key === 'name') throw new Error('emulator: rawUpdate cannot change the name; use rename()');
      if (meta.tables.some((t) => t.field === key)) throw new Error(`emulator: rawUpdate changes the parent's own fields only, not the child table ${key}`);
      this.schema.addField(doctype, key, value);
      const f = meta.fields.find((x) => x.name === key);
      doc[key] = f?.kind === 'number' ? cint(value) : value;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------------

  /** A document as Frappe writes it: standard fields, own fields (Check/Int as integers), child rows stamped. */
  private build(meta: DocTypeMeta, name: string, input: Row, stamp: { owner: unknown; creation: unknown; modified: string; modified_by: string }, previous: Row | readonly []): Row {
    const doc: Row = {
      name,
      owner: stamp.owner ?? EDITOR,
      creation: stamp.creation ?? stamp.modified,
      modified: stamp.modified,
      modified_by: stamp.modified_by,
      docstatus: cint(input.docstatus),
      idx: cint(input.idx),
    };
    for (const [key, value] of Object.entries(input)) {
      if (!STANDARD_KEYS.has(key) && !meta.tables.some((t) => t.field === key) && !Array.isArray(value)) this.schema.addField(meta.name, key, value);
    }
    for (const f of meta.fields) doc[f.name] = f.kind === 'number' ? numberOf(f.fieldtype, input[f.name]) : (input[f.name] ?? null);
    doc.doctype = meta.name;
    for (const t of meta.tables) {
      const childMeta = this.schema.get(t.doctype);
      const rows = Array.isArray(input[t.field]) ? (input[t.field] as Row[]) : [];
      const before = Array.isArray(previous) ? [] : (((previous as Row)[t.field] as Row[] | undefined) ?? []);
      doc[t.field] = rows.map((r, i) => {
        const given = typeof r.name === 'string' && r.name !== '' ? r.name : null;
        const prev = given === null ? undefined : before.find((b) => b.name === given);
        const row: Row = {
          name: given ?? this.newName(),
          owner: r.owner ?? prev?.owner ?? doc.owner,
          creation: r.creation ?? prev?.creation ?? doc.creation,
          modified: doc.modified,
          modified_by: doc.modified_by,
          docstatus: doc.docstatus,
          idx: i + 1,
          parent: name,
          parentfield: t.field,
          parenttype: meta.name,
        };
        for (const [key, value] of Object.entries(r)) {
          if (!(key in row) && key !== 'doctype' && !Array.isArray(value)) this.schema.addField(t.doctype, key, value);
        }
        for (const f of childMeta?.fields ?? []) row[f.name] = f.kind === 'number' ? numberOf(f.fieldtype, r[f.name]) : (r[f.name] ?? null);
        row.doctype = t.doctype;
        if (childMeta) validateRow(childMeta, row);
        return row;
      });
    }
    validateRow(meta, doc);
    return doc;
  }

  /** `doc.as_json()`: `as_dict()` (every column, nulls included, child rows) with sorted keys and indent 1. */
  private asJson(doctype: string, doc: Row): string {
    const asDict = (dt: string, row: Row): Row => {
      const out: Row = {};
      for (const c of this.schema.columns(dt)) {
        if (OPTIONAL_FIELDS.includes(c.name)) continue;
        const value = row[c.name] ?? null;
        out[c.name] = this.shape.trimZeroMicroseconds && c.kind === 'datetime' && typeof value === 'string' ? pythonDatetimeString(value) : value;
      }
      out.doctype = dt;
      for (const t of this.schema.get(dt)?.tables ?? []) out[t.field] = ((row[t.field] as Row[] | undefined) ?? []).map((r) => asDict(t.doctype, r));
      return out;
    };
    return pyDumps(asDict(doctype, doc), { indent: 1, sortKeys: true });
  }

  /** Is the name held by a document other than `except`, as the primary key compares it (collation.ts)? */
  private taken(doctype: string, name: string, except?: string): boolean {
    const key = collationKey(name);
    for (const existing of this.table(doctype).keys()) if (existing !== except && collationKey(existing) === key) return true;
    return false;
  }

  private parentMeta(doctype: string): DocTypeMeta {
    const meta = this.schema.get(doctype);
    if (!meta || meta.istable || doctype === DELETED_DOCUMENT || !(PARENT_DOCTYPES as readonly string[]).includes(doctype)) {
      throw new Error(`emulator: ${JSON.stringify(doctype)} is not one of the Memora DocTypes (${Object.values(DOCTYPES).join(', ')})`);
    }
    return meta;
  }

  private table(doctype: string): Map<string, Row> {
    let t = this.docs.get(doctype);
    if (!t) {
      t = new Map();
      this.docs.set(doctype, t);
    }
    return t;
  }

  /** A new 10-character hash name (`frappe.generate_hash(length=10)`), deterministic, unused. */
  private newName(): string {
    for (;;) {
      const name = sha256(`memora-emulator:${++this.nameCounter}`).slice(0, 10);
      if (!this.nameInUse(name)) return name;
    }
  }

  private nameInUse(name: string): boolean {
    if (this.deleted.has(name)) return true;
    for (const [doctype, table] of this.docs) {
      if (table.has(name)) return true;
      for (const t of this.schema.get(doctype)?.tables ?? []) {
        for (const doc of table.values()) if (((doc[t.field] as Row[] | undefined) ?? []).some((r) => r.name === name)) return true;
      }
    }
    return false;
  }
}
