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
 *   remove   - frappe/model/delete_doc.py: a hard DELETE, then `add_to_deleted_document` inserts a
 *              `Deleted Document` (hash name, deleted_doctype, deleted_name, data = `doc.as_json()`
 *              with the child rows, restored 0) whose creation is the time of deletion.
 *   restore  - frappe/core/doctype/deleted_document/deleted_document.py `restore`: `doc.insert()`
 *              of the saved data, i.e. a new insert with new creation/modified (child rows get new
 *              names); the Deleted Document gets restored = 1 and new_name (`db_update`, so its own
 *              modified does not change). Recent Frappe versions then put the original owner,
 *              creation, modified and modified_by back (`keepOriginalTimestamps`).
 *   rename   - frappe/model/rename_doc.py `rename_doc`: raw UPDATEs of the name, of the child
 *              rows' parent, and of every Link / Dynamic Link that points at it; no modified
 *              changes anywhere.
 *   rawUpdate - `frappe.db.set_value(..., update_modified=False)` or plain SQL: fields change,
 *              modified does not.
 */
import { createHash } from 'node:crypto';
import { DOCTYPES, PARENT_DOCTYPES, type DocTypeName } from '../content/doctypes.ts';
import type { RawDoc } from '../content/raw.ts';
import { canonicalDatetime, EmulatorClock, pythonDatetimeString } from './clock.ts';
import { cint, type Row, type RowSource } from './query.ts';
import { compareCodePoints, pyDumps } from './pyjson.ts';
import { DELETED_DOCUMENT, OPTIONAL_FIELDS, type DocTypeMeta, type Schema } from './schema.ts';

/** The user the emulator's mutations are made as (desk edits, imports). */
export const EDITOR = 'Administrator';

export interface ShapeOptions {
  /** Leave out null-valued fields, as Frappe's document endpoint does (`as_dict(no_nulls=True)`). */
  omitNulls: boolean;
  /** Print creation/modified like Python's `str(datetime)` (no `.000000`). */
  trimZeroMicroseconds: boolean;
}

const STANDARD_KEYS = new Set(['name', 'owner', 'creation', 'modified', 'modified_by', 'docstatus', 'idx', 'doctype']);

export class Store implements RowSource {
  /** Parent documents by DocType, then name; each holds its child rows in its table fields. */
  private readonly docs = new Map<string, Map<string, Row>>();
  private readonly deleted = new Map<string, Row>();
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
      for (const input of docs ?? []) {
        const doc = structuredClone(input) as Row;
        if (typeof doc.name !== 'string' || doc.name === '') throw new Error(`emulator: a ${doctype} document has no name`);
        if (table.has(doc.name)) throw new Error(`emulator: ${doctype} ${doc.name} is in the catalog twice`);
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
    if (doctype === DELETED_DOCUMENT) {
      const d = this.deleted.get(name);
      return d ? this.shapeDoc(DELETED_DOCUMENT, d, shape) : undefined;
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
    if (this.table(doctype).has(name)) throw new Error(`emulator: ${doctype} ${name} already exists`);
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

  remove(doctype: DocTypeName, name: string): void {
    const table = this.table(doctype);
    const doc = table.get(name);
    if (!doc) throw new Error(`emulator: ${doctype} ${name} not found`);
    const now = this.clock.tick();
    table.delete(name);
    const deletedName = this.newName();
    this.deleted.set(deletedName, {
      name: deletedName,
      owner: EDITOR,
      creation: now,
      modified: now,
      modified_by: EDITOR,
      docstatus: 0,
      idx: 0,
      deleted_name: name,
      deleted_doctype: doctype,
      restored: 0,
      new_name: null,
      data: this.asJson(doctype, doc),
      doctype: DELETED_DOCUMENT,
    });
  }

  restore(deletedName: string, options: { newName?: string; keepOriginalTimestamps?: boolean } = {}): RawDoc {
    const deleted = this.deleted.get(deletedName);
    if (!deleted) throw new Error(`emulator: Deleted Document ${deletedName} not found`);
    if (cint(deleted.restored)) throw new Error(`emulator: Document ${deletedName} Already Restored`);
    const data = JSON.parse(String(deleted.data)) as Row;
    const doctype = String(data.doctype ?? deleted.deleted_doctype) as DocTypeName;
    const meta = this.parentMeta(doctype);
    const table = this.table(doctype);
    let name: string;
    if (options.newName !== undefined) {
      if (table.has(options.newName)) throw new Error(`emulator: ${doctype} ${options.newName} already exists`);
      name = options.newName;
    } else {
      name = typeof data.name === 'string' && !table.has(data.name) ? data.name : this.newName();
    }
    const now = this.clock.tick();
    // Child rows are inserted again under new names (naming.py `set_new_name` resets them).
    for (const t of meta.tables) {
      if (Array.isArray(data[t.field])) data[t.field] = (data[t.field] as Row[]).map((r) => ({ ...r, name: undefined }));
    }
    const doc = this.build(meta, name, data, { owner: EDITOR, creation: now, modified: now, modified_by: EDITOR }, []);
    if (options.keepOriginalTimestamps) {
      for (const key of ['owner', 'creation', 'modified', 'modified_by'] as const) doc[key] = data[key] ?? doc[key];
    }
    table.set(name, doc);
    deleted.restored = 1;
    deleted.new_name = name;
    return this.get(doctype, name) as RawDoc;
  }

  rename(doctype: DocTypeName, oldName: string, newName: string): void {
    const table = this.table(doctype);
    const doc = table.get(oldName);
    if (!doc) throw new Error(`emulator: ${doctype} ${oldName} not found`);
    if (newName === '' || table.has(newName)) throw new Error(`emulator: cannot rename ${doctype} ${oldName} to ${JSON.stringify(newName)}: the name is taken or empty`);
    table.delete(oldName);
    doc.name = newName;
    table.set(newName, doc);
    for (const t of this.parentMeta(doctype).tables) {
      for (const row of (doc[t.field] as Row[] | undefined) ?? []) row.parent = newName;
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
    for (const f of meta.fields) doc[f.name] = f.kind === 'number' ? cint(input[f.name]) : (input[f.name] ?? null);
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
        for (const f of childMeta?.fields ?? []) row[f.name] = f.kind === 'number' ? cint(r[f.name]) : (r[f.name] ?? null);
        row.doctype = t.doctype;
        return row;
      });
    }
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
      const name = createHash('sha256').update(`memora-emulator:${++this.nameCounter}`).digest('hex').slice(0, 10);
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
