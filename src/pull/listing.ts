/**
 * Key-set paging over Frappe's list endpoint. Frappe answers `{"data": [...]}` with no total and
 * no next-page flag, and offset paging over a table that changes can skip rows. So pages are
 * ordered by (field, name) and each next page starts after the last row seen (W, N), in one
 * request: `field >= W` with the `or_filters` group `field > W or name > N`. Rows sharing one
 * `modified` (a bulk save) are neither lost nor repeated at a page boundary.
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
  /**
   * With a cursor: start at this value instead (inclusive), so rows stamped a little below the
   * cursor (a clock that moved backwards) are read again. Rows at or before the cursor come back
   * too; the caller deduplicates them.
   */
  from?: string;
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
  let from = cursor !== null && options.from !== undefined && options.from < cursor.value ? options.from : null;
  for (;;) {
    // After (W, N): `field >= W and (field > W or name > N)`, one request per page. From an
    // overlap: `field >= from`, and key-set paging from its last row.
    const filters: Filter[] = from !== null ? [[field, '>=', from]] : cursor ? [[field, '>=', cursor.value]] : [];
    const orFilters: Filter[] | undefined = from === null && cursor ? [[field, '>', cursor.value], ['name', '>', cursor.name]] : undefined;
    const got = await client.list(doctype, { fields, filters: [...base, ...filters], ...(orFilters ? { orFilters } : {}), orderBy: `${field} asc, name asc`, limit: pageSize, ...(options.parent ? { parent: options.parent } : {}) });
    appendAll(rows, got);
    options.onPage?.(rows.length);
    from = null;
    const last = got.at(-1);
    if (last) cursor = { value: String(last[field]), name: last.name };
    if (got.length < pageSize) return { rows, cursor: maxCursor(options.since, cursor) };
  }
}

/**
 * The later of two positions, comparing Frappe's datetime strings by value: a clock that moved
 * backwards must not move a watermark back with it.
 */
export function maxCursor(a: Cursor | null, b: Cursor | null): Cursor | null {
  if (a === null) return b;
  if (b === null) return a;
  const x = normalizeDatetime(a.value);
  const y = normalizeDatetime(b.value);
  return x > y || (x === y && a.name >= b.name) ? a : b;
}

/**
 * Whether a row read from the overlap is past an earlier pull's position (`seen`): not read by
 * that pull, as far as the clock tells (a clock that moved back can stamp a new row below it).
 */
export function isPast(row: Row, field: 'modified' | 'creation', seen: Cursor | null): boolean {
  if (seen === null) return true;
  const at: Cursor = { value: String(row[field]), name: row.name };
  return maxCursor(seen, at) === at && !(normalizeDatetime(at.value) === normalizeDatetime(seen.value) && at.name === seen.name);
}

/** Whether Frappe datetime `a` is later than `b`, comparing by value. */
export function isAfter(a: string, b: string): boolean {
  return normalizeDatetime(a) > normalizeDatetime(b);
}

/** `2025-11-01 09:00:00` and `2025-11-01 09:00:00.000000` are one instant: compare padded. */
function normalizeDatetime(value: string): string {
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? `${value}.000000` : value;
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
