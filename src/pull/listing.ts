/**
 * Key-set paging over Frappe's list endpoint. Frappe answers `{"data": [...]}` with no total and
 * no next-page flag, and offset paging over a table that changes can skip rows. So pages are
 * ordered by (field, name) and each next page starts after the last row seen: first the rest of
 * the rows that share the last row's value (`field = W and name > N`), then `field > W`. Rows
 * sharing one `modified` (a bulk save) are neither lost nor repeated at a page boundary.
 */
import type { FrappeClient, Filter, Row } from './client.ts';

/** A position in a DocType: the ordering field's value (Frappe's own string) and the name. */
export interface Cursor {
  value: string;
  name: string;
}

export interface ListSinceOptions {
  /** `modified` for documents, `creation` for Deleted Document rows. */
  field: 'modified' | 'creation';
  fields: readonly string[];
  /** Start after this position; from the beginning when null. */
  since: Cursor | null;
  pageSize: number;
  filters?: readonly Filter[];
  parent?: string;
  /** Told the number of rows fetched so far. */
  onPage?: (rows: number) => void;
}

export async function listSince(client: FrappeClient, doctype: string, options: ListSinceOptions): Promise<{ rows: Row[]; cursor: Cursor | null }> {
  const { field, pageSize } = options;
  const fields = options.fields.includes('*') ? options.fields : [...new Set([...options.fields, 'name', field])];
  const base = options.filters ?? [];
  const rows: Row[] = [];
  let cursor = options.since;
  const page = async (filters: Filter[], orderBy: string) => {
    const got = await client.list(doctype, { fields, filters: [...base, ...filters], orderBy, limit: pageSize, ...(options.parent ? { parent: options.parent } : {}) });
    appendAll(rows, got);
    options.onPage?.(rows.length);
    return got;
  };
  for (;;) {
    if (cursor) {
      // The rest of the rows that share the cursor's value.
      for (;;) {
        const at: Cursor = cursor;
        const got = await page([[field, '=', at.value], ['name', '>', at.name]], 'name asc');
        const last = got.at(-1);
        if (last) cursor = { value: at.value, name: last.name };
        if (got.length < pageSize) break;
      }
    }
    const got = await page(cursor ? [[field, '>', cursor.value]] : [], `${field} asc, name asc`);
    const last = got.at(-1);
    if (last) cursor = { value: String(last[field]), name: last.name };
    if (got.length < pageSize) return { rows, cursor };
  }
}

/** Every row of a DocType (or of the filtered set), paged by name. */
export async function listByName(
  client: FrappeClient,
  doctype: string,
  options: { fields: readonly string[]; pageSize: number; filters?: readonly Filter[]; parent?: string; onPage?: (rows: number) => void },
): Promise<Row[]> {
  const rows: Row[] = [];
  let after: string | null = null;
  for (;;) {
    const filters: Filter[] = [...(options.filters ?? []), ...(after !== null ? [['name', '>', after] as Filter] : [])];
    const got = await client.list(doctype, { fields: options.fields, filters, orderBy: 'name asc', limit: options.pageSize, ...(options.parent ? { parent: options.parent } : {}) });
    appendAll(rows, got);
    options.onPage?.(rows.length);
    const last = got.at(-1);
    if (last) after = last.name;
    if (got.length < options.pageSize) return rows;
  }
}

/** Splits names into batches whose JSON, percent-encoded, stays short enough for a URL. */
export function batchNames(names: readonly string[], maxChars = 3000): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let size = 6;
  for (const name of names) {
    const cost = encodeURIComponent(JSON.stringify(name)).length + 3;
    if (batch.length > 0 && size + cost > maxChars) {
      batches.push(batch);
      batch = [];
      size = 6;
    }
    batch.push(name);
    size += cost;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Appends without spreading: a page of a million rows would overflow the call stack as arguments. */
export function appendAll<T>(target: T[], items: readonly T[]): T[] {
  for (const item of items) target.push(item);
  return target;
}
