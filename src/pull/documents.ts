/**
 * Turns list rows into whole documents: list results never include child rows, so each child
 * table is listed (`parent=<parent DocType>`, which Frappe requires) for the parents at hand and
 * the rows are nested back in, ordered by idx, as the document endpoint would nest them. A parent
 * or row saved while they are read has a `modified` past the watermarks, so the next pull reads
 * it again. Documents keep the document endpoint's shape: fields whose value is null are left out.
 */
import { CHILD_TABLES, type DocTypeName } from '../content/doctypes.ts';
import type { SiteMeta } from '../content/fields.ts';
import type { RawDoc } from '../content/raw.ts';
import type { FrappeClient, Row } from './client.ts';
import { appendAll, batchNames, listByName } from './listing.ts';
import { assertReadable } from './readable.ts';

export interface AssembleOptions {
  pageSize: number;
  /** The parents are every document of the DocType: list child rows without a name filter. */
  all: boolean;
  /** The site's DocTypes: the first row of each list is checked for fields the API user may not read (readable.ts). */
  meta?: SiteMeta;
}

/**
 * A list row in the document endpoint's shape: Frappe serialises a document with
 * `as_dict(no_nulls=True)`, while list rows carry every selected column, nulls included.
 */
export function withoutNulls(row: Row): Row {
  const out: Row = { name: row.name };
  for (const [key, value] of Object.entries(row)) if (value !== null && value !== undefined) out[key] = value;
  return out;
}

function idxOrder(a: Row, b: Row): number {
  return Number(a.idx ?? 0) - Number(b.idx ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The documents for these parent rows (fields "*"), children included. Parents deleted meanwhile are left out. */
export async function assembleDocuments(client: FrappeClient, doctype: DocTypeName, parents: readonly Row[], options: AssembleOptions): Promise<RawDoc[]> {
  const tables = (CHILD_TABLES as Partial<Record<DocTypeName, readonly { field: string; doctype: string }[]>>)[doctype] ?? [];
  assertReadable(doctype, parents[0], options.meta);
  const docs = new Map<string, RawDoc>(parents.map((row) => [row.name, { ...withoutNulls(row), doctype } as RawDoc]));
  if (tables.length === 0 || parents.length === 0) return [...docs.values()];

  for (const table of tables) {
    const rows: Row[] = [];
    const filters = [['parentfield', '=', table.field] as [string, string, unknown], ['parenttype', '=', doctype] as [string, string, unknown]];
    if (options.all) {
      appendAll(rows, await listByName(client, table.doctype, { fields: ['*'], pageSize: options.pageSize, filters, parent: doctype }));
    } else {
      for (const batch of batchNames(parents.map((p) => p.name))) {
        appendAll(rows, await listByName(client, table.doctype, { fields: ['*'], pageSize: options.pageSize, filters: [...filters, ['parent', 'in', batch]], parent: doctype }));
      }
    }
    assertReadable(table.doctype, rows[0], options.meta);
    const byParent = new Map<string, Row[]>();
    for (const row of rows) {
      const parent = String(row.parent);
      const doc = docs.get(parent);
      if (!doc) continue; // A parent created after we listed the parents: the next pull takes it.
      const list = byParent.get(parent) ?? [];
      list.push({ ...withoutNulls(row), doctype: table.doctype });
      byParent.set(parent, list);
    }
    for (const [name, doc] of docs) doc[table.field] = (byParent.get(name) ?? []).sort(idxOrder);
  }
  return [...docs.values()];
}
