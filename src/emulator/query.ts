/**
 * The list endpoint's query engine, pure: parameters in, rows out (or a Frappe exception).
 * It reproduces what `GET /api/resource/{doctype}` does in Frappe v15:
 *
 *   frappe/api/v1.py `document_list`: `json.loads(fields)`; `limit_page_length` defaults to
 *     `limit` or 20; `order_by` defaults to the DocType's sort order.
 *   frappe/client.py `get_list` -> frappe/desk/reportview.py `validate_args`: `filters` and
 *     `or_filters` are `json.loads`ed (malformed JSON is an uncaught JSONDecodeError: 500); every
 *     field in `fields`, `filters` and `or_filters` must be a standard field or a DocField of its
 *     DocType, else `frappe.throw("Field not permitted in query: x", frappe.DataError)` (417);
 *     `"*"` becomes the table's columns.
 *   frappe/model/db_query.py `DatabaseQuery`: filters as `[field, op, value]`,
 *     `[doctype, field, op, value]` (a child DocType is LEFT JOINed on `parent = name`, so a parent
 *     appears once per matching child row) or `{field: value | [op, value]}`
 *     (frappe/utils/data.py `get_filter`, unknown operators: ValidationError "Operator must be one
 *     of ..."); `prepare_filter_condition` semantics (NULL handled through `ifnull(col, '')`,
 *     `in`/`not in` take a list or a comma-separated string, `is` takes `set`/`not set`); filters
 *     ANDed, `or_filters` ORed in one group ANDed with them; `order_by` passed to SQL as given
 *     (an unknown column is MariaDB error 1054, an uncaught OperationalError: 500); without it,
 *     `set_order_by` sorts by the DocType's `sort_field`, `modified desc` (v14/v15), whose ties
 *     MariaDB returns in no defined order; `limit_page_length` 0 means no limit.
 *
 * Comparison: Int/Check columns numerically (MariaDB casts string operands); creation/modified
 * by datetime value; everything else as MariaDB's `utf8mb4_unicode_ci` (collation.ts: case,
 * accents and trailing spaces ignored), the same in filters and ORDER BY. Rows that tie on every
 * ORDER BY key come back in a fixed order derived from a hash of the name: stable between calls,
 * but not name order, so a client that relies on an order it did not ask for is caught.
 */
import { canonicalDatetime } from './clock.ts';
import { FrappeException, frappeRaise, frappeThrow, uncaught } from './errors.ts';
import { collationKey, compareCollated } from './collation.ts';
import { compareCodePoints } from '../io/compare.ts';
import { fnv1a32 } from '../io/hash.ts';
import { CHILD_TABLE_FIELDS, OPTIONAL_FIELDS, STANDARD_FIELDS, type FieldKind, type Schema } from './schema.ts';

export type Row = Record<string, unknown>;

/** The request's query parameters (first value of each), as `frappe.form_dict` holds them. */
export type ListParams = Readonly<Record<string, string>>;

/** Where the rows come from. */
export interface RowSource {
  /** Every row of the DocType's table. */
  rows(doctype: string): readonly Row[];
  /** The rows of `childDoctype` whose `parent` is `parentName` and `parenttype` is `parentDoctype`. */
  childRows(childDoctype: string, parentName: string, parentDoctype: string): readonly Row[];
}

/** A column of the result. */
export interface OutputColumn {
  /** Key in the result row. */
  key: string;
  doctype: string;
  column: string;
  kind: FieldKind;
}

export interface ListResult {
  columns: OutputColumn[];
  rows: Row[];
}

/** The list query after the checks Frappe makes before it looks at permissions. */
export interface PreparedList {
  doctype: string;
  fields: unknown[] | null;
  wildcard: boolean;
  filters: unknown;
  orFilters: unknown;
  orderBy: string | null;
  limitStart: number;
  /** 0: no limit. */
  limitPageLength: number;
}

/** Frappe's valid filter operators (frappe/utils/data.py `get_filter`, v15), in its order. */
const FRAPPE_OPERATORS = [
  '=', '!=', '>', '<', '>=', '<=', 'like', 'not like', 'in', 'not in', 'is', 'between', 'timespan', 'previous', 'next',
  'ancestors of', 'descendants of', 'not ancestors of', 'not descendants of', 'descendants of (inclusive)',
] as const;
const SUPPORTED_OPERATORS = new Set(['=', '!=', '>', '<', '>=', '<=', 'like', 'not like', 'in', 'not in', 'is']);

const DEFAULT_ORDER_BY = 'KEEP_DEFAULT_ORDERING';

/** frappe/desk/reportview.py `is_standard`. */
function isStandard(fieldname: string): boolean {
  const bare = fieldname.includes('.') ? (fieldname.split('.')[1] ?? '').replaceAll('`', '') : fieldname;
  return STANDARD_FIELDS.some((f) => f.name === bare) || OPTIONAL_FIELDS.includes(bare) || CHILD_TABLE_FIELDS.some((f) => f.name === bare);
}

function invalidField(fieldname: string): FrappeException {
  return frappeThrow('DataError', `Field not permitted in query: ${fieldname}`);
}

/** Python's `int(float(s))` with Frappe's `cint` fallback of 0. */
export function cint(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return 0;
  const f = Number(value.replaceAll(',', '').trim());
  return Number.isFinite(f) && value.trim() !== '' ? Math.trunc(f) : 0;
}

/** frappe.utils `flt`. */
function flt(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return 0;
  const f = Number(value.replaceAll(',', '').trim());
  return Number.isFinite(f) && value.trim() !== '' ? f : 0;
}

/** Python's `str()` of a JSON value, as `cstr` gives it. */
function cstr(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  return pyRepr(value);
}

/** Python's `repr` of a JSON value (for messages that quote a filter). */
function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value as Row).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

/** `json.loads` of a parameter; malformed JSON is Python's uncaught JSONDecodeError (500). */
function jsonLoads(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const m = /position (\d+)/.exec(error instanceof Error ? error.message : '');
    const pos = m ? Number(m[1]) : 0;
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - before.lastIndexOf('\n');
    return failJson(`Expecting value: line ${line} column ${column} (char ${pos})`);
  }
}

function failJson(message: string): never {
  throw uncaught('json.decoder', 'JSONDecodeError', message);
}

/** A field reference resolved to a table and a column name. */
interface FieldRef {
  doctype: string;
  column: string;
}

/** frappe/desk/reportview.py `get_parenttype_and_fieldname`. */
function parentTypeAndField(field: string, doctype: string, schema: Schema): FieldRef {
  if (field.includes('.')) {
    const [first = '', second = ''] = field.split('.');
    if (first.startsWith('`tab')) return { doctype: first.slice(4, -1), column: second.replaceAll('`', '') };
    const table = schema.get(doctype)?.tables.find((t) => t.field === first);
    // `meta.get_field(parenttype).options` on a missing field is an AttributeError.
    if (!table) throw uncaught('builtins', 'AttributeError', "'NoneType' object has no attribute 'options'");
    return { doctype: table.doctype, column: second.replaceAll('`', '') };
  }
  return { doctype, column: field.replaceAll('`', '') };
}

function requireMeta(schema: Schema, doctype: string): void {
  if (!schema.get(doctype)) throw frappeThrow('DoesNotExistError', `DocType ${doctype} not found`);
}

/** frappe/desk/reportview.py `extract_fieldname` (what validate_fields checks). */
function extractFieldname(field: string): string {
  for (const text of [',', '/*', '#']) if (field.includes(text)) throw invalidField(field);
  let fieldname = field;
  for (const sep of [' as ', ' AS ']) if (fieldname.includes(sep)) fieldname = fieldname.split(sep, 1)[0] ?? fieldname;
  if (/^(count|sum|avg)\(/.test(fieldname)) {
    if (!fieldname.trim().endsWith(')')) throw invalidField(field);
    fieldname = fieldname.slice(fieldname.indexOf('(') + 1, fieldname.trimEnd().length - 1);
  }
  return fieldname;
}

/**
 * Parses and validates the parameters as frappe/api/v1.py `document_list` and frappe/client.py
 * `get_list` (reportview `validate_args`) do, before any permission check.
 */
export function prepareList(doctype: string, params: ListParams, schema: Schema): PreparedList {
  requireMeta(schema, doctype);

  // v1 document_list: `if form_dict.get("fields"): form_dict["fields"] = json.loads(...)`
  let fields: unknown = params.fields ? jsonLoads(params.fields) : null;
  // reportview parse_json: a string is "*" or more JSON.
  if (typeof fields === 'string') fields = fields === '*' ? ['*'] : jsonLoads(fields);
  const filters = params.filters ? jsonLoads(params.filters) : null;
  const orFilters = params.or_filters ? jsonLoads(params.or_filters) : null;

  let fieldList: unknown[] | null = null;
  let wildcard = false;
  // `if fields: self.fields = fields else: [name]` (DatabaseQuery.execute): falsy means the default.
  const falsy = fields === null || fields === undefined || fields === '' || fields === 0 || fields === false || (Array.isArray(fields) && fields.length === 0);
  if (!falsy) {
    if (!Array.isArray(fields)) throw uncaught('builtins', 'TypeError', `'${typeof fields === 'number' ? 'int' : 'dict'}' object is not iterable`);
    fieldList = fields;
    wildcard = fields.length === 1 && fields[0] === '*';
    if (!wildcard) {
      for (const field of fields) {
        if (typeof field !== 'string') throw invalidField(cstr(field));
        const fieldname = extractFieldname(field);
        if (isStandard(fieldname)) continue; // "*" among other fields is not standard: refused
        const ref = parentTypeAndField(fieldname, doctype, schema);
        requireMeta(schema, ref.doctype);
        if (!schema.hasDocField(ref.doctype, ref.column)) throw invalidField(fieldname);
      }
    }
  }
  if (filters) validateFilters(doctype, filters, schema);
  if (orFilters) validateFilters(doctype, orFilters, schema);

  // v1 document_list: setdefault("limit_page_length", limit or limit_page_length or 20);
  // DatabaseQuery: `cint(limit_page_length) if limit_page_length else None`.
  const rawLength = 'limit_page_length' in params ? params.limit_page_length : params.limit || '20';
  const limitPageLength = rawLength ? Math.max(cint(rawLength), 0) : 0;
  const limitStart = Math.max(cint(params.limit_start), 0);
  return {
    doctype,
    fields: fieldList,
    wildcard,
    filters,
    orFilters,
    orderBy: params.order_by ?? null,
    limitStart,
    limitPageLength,
  };
}

/** frappe/desk/reportview.py `validate_filters`. */
function validateFilters(doctype: string, filters: unknown, schema: Schema): void {
  const check = (fieldname: unknown, ofDoctype: string | null): void => {
    if (typeof fieldname !== 'string') throw invalidField(cstr(fieldname));
    if (isStandard(fieldname)) return;
    if (ofDoctype !== null) {
      requireMeta(schema, ofDoctype);
      if (!schema.hasDocField(ofDoctype, fieldname)) throw invalidField(fieldname);
      return;
    }
    const ref = parentTypeAndField(fieldname, doctype, schema);
    requireMeta(schema, ref.doctype);
    if (!schema.hasDocField(ref.doctype, ref.column)) throw invalidField(fieldname);
  };
  if (Array.isArray(filters)) {
    for (const condition of filters) {
      if (Array.isArray(condition)) {
        if (condition.length === 3) check(condition[0], null);
        else check(condition[1], typeof condition[0] === 'string' ? condition[0] : doctype);
      } else if (condition !== null && typeof condition === 'object') {
        for (const key of Object.keys(condition)) check(key, null);
      }
      // Anything else fails later in get_filter.
    }
  } else if (filters !== null && typeof filters === 'object') {
    for (const key of Object.keys(filters)) check(key, null);
  } else if (typeof filters !== 'string') {
    throw frappeThrow('ValidationError', 'Filter must be a tuple or list (in a list)');
  }
}

/** A filter after frappe/utils/data.py `get_filter`. */
interface Filter {
  doctype: string;
  column: string;
  operator: string;
  value: unknown;
}

/** `make_filter_tuple`. */
function filterTuple(doctype: string, key: string, value: unknown): unknown[] {
  return Array.isArray(value) ? [doctype, key, value[0], value[1]] : [doctype, key, '=', value];
}

/** DatabaseQuery.parse_args + get_filter: the filters as `{doctype, column, operator, value}`. */
function normaliseFilters(doctype: string, filters: unknown): Filter[] {
  if (filters === null || filters === undefined || filters === '') return [];
  let list: unknown[];
  if (Array.isArray(filters)) list = filters;
  else if (typeof filters === 'object') list = Object.entries(filters as Row).map(([k, v]) => filterTuple(doctype, k, v));
  else throw frappeThrow('ValidationError', 'Filter must be a tuple or list (in a list)');

  return list.map((raw): Filter => {
    let f: unknown = raw;
    if (f !== null && typeof f === 'object' && !Array.isArray(f)) {
      const first = Object.entries(f as Row)[0];
      if (!first) throw frappeThrow('ValidationError', 'Filter must be a tuple or list (in a list)');
      f = filterTuple(doctype, first[0], first[1]);
    }
    if (!Array.isArray(f)) throw frappeThrow('ValidationError', 'Filter must be a tuple or list (in a list)');
    let t = f;
    if (t.length === 3) t = [doctype, ...t];
    else if (t.length > 4) t = t.slice(0, 4);
    else if (t.length !== 4) throw frappeThrow('ValidationError', `Filter must have 4 values (doctype, fieldname, operator, value): ${pyRepr(f)}`);
    const [fDoctype, fieldname, op, value] = t;
    let operator = op === null || op === undefined || op === '' ? '=' : op;
    if (typeof operator !== 'string') throw uncaught('builtins', 'AttributeError', `'${typeof operator === 'number' ? 'int' : 'list'}' object has no attribute 'lower'`);
    operator = operator.toLowerCase();
    if (!(FRAPPE_OPERATORS as readonly string[]).includes(operator)) {
      throw frappeThrow('ValidationError', `Operator must be one of ${FRAPPE_OPERATORS.join(', ')}`);
    }
    if (!SUPPORTED_OPERATORS.has(operator)) {
      throw frappeThrow('ValidationError', `The Frappe emulator does not implement the ${operator} operator (it supports ${[...SUPPORTED_OPERATORS].join(', ')})`);
    }
    let table = typeof fDoctype === 'string' && fDoctype ? fDoctype : doctype;
    let column = cstr(fieldname);
    const qualified = /^`tab([^`]*)`\.`?([^`]*)`?$/.exec(column);
    if (qualified) {
      table = qualified[1] ?? table;
      column = qualified[2] ?? column;
    }
    return { doctype: table, column: column.replaceAll('`', ''), operator, value };
  });
}

/** A row of the FROM clause: the main row and, per joined child DocType, one of its rows or null. */
interface Combo {
  main: Row;
  joined: Map<string, Row | null>;
  /** Position of the joined rows, for a stable order of duplicates. */
  rank: number;
}

function columnError(table: string, column: string, clause: string): FrappeException {
  return uncaught('pymysql.err', 'OperationalError', `(1054, "Unknown column '${table ? `tab${table}.` : ''}${column}' in '${clause}'")`);
}

/** One ORDER BY key. */
interface SortKey {
  doctype: string;
  column: string;
  kind: FieldKind;
  desc: boolean;
}

/** Runs the query: filters, joins, order, paging and the projection. */
export function executeList(query: PreparedList, schema: Schema, source: RowSource): ListResult {
  const { doctype } = query;
  const filters = normaliseFilters(doctype, query.filters);
  const orFilters = normaliseFilters(doctype, query.orFilters);
  const fieldRefs = projection(query, schema);

  // Tables of the FROM clause: the main one plus every other DocType a filter or field names
  // (DatabaseQuery.extract_tables / append_table), LEFT JOINed on `parent = name`.
  const joins: string[] = [];
  for (const t of [...filters.map((f) => f.doctype), ...orFilters.map((f) => f.doctype), ...fieldRefs.map((f) => f.doctype)]) {
    if (t !== doctype && !joins.includes(t)) joins.push(t);
  }
  for (const t of joins) {
    requireMeta(schema, t);
    if (!schema.column(t, 'parent')) throw columnError(t, 'parent', 'on clause');
  }
  const kindOf = (table: string, column: string, clause: string): FieldKind => {
    const c = schema.column(table, column);
    if (!c) throw columnError(table, column, clause);
    return c.kind;
  };
  const check = (f: Filter): Filter & { kind: FieldKind } => ({ ...f, kind: kindOf(f.doctype, f.column, 'where clause') });
  const andTests = filters.map(check).map(predicate);
  const anyTests = orFilters.map(check).map(predicate);
  const sortKeys = orderKeys(query.orderBy, doctype, joins, schema);

  const combos: Combo[] = [];
  for (const main of source.rows(doctype)) {
    let partial: Combo[] = [{ main, joined: new Map(), rank: 0 }];
    for (const t of joins) {
      const children = source.childRows(t, String(main.name ?? ''), doctype);
      const next: Combo[] = [];
      for (const c of partial) {
        if (children.length === 0) next.push({ ...c, joined: new Map([...c.joined, [t, null]]) });
        children.forEach((child, i) => next.push({ main, joined: new Map([...c.joined, [t, child]]), rank: c.rank * 1000 + i }));
      }
      partial = next;
    }
    combos.push(...partial);
  }

  const valueOf = (c: Combo, table: string, column: string): unknown => (table === doctype ? c.main[column] : c.joined.get(table)?.[column]) ?? null;
  const matching = combos.filter(
    (c) =>
      andTests.every((t) => t.test(valueOf(c, t.doctype, t.column))) &&
      (anyTests.length === 0 || anyTests.some((t) => t.test(valueOf(c, t.doctype, t.column)))),
  );

  const hashes = new Map<Combo, number>();
  const hashOf = (c: Combo): number => {
    let h = hashes.get(c);
    if (h === undefined) {
      // FNV-1a of the name: the emulator's "storage order" for ties.
      h = fnv1a32(String(c.main.name ?? ''));
      hashes.set(c, h);
    }
    return h;
  };
  matching.sort((a, b) => {
    for (const key of sortKeys) {
      const d = compareValues(key.kind, valueOf(a, key.doctype, key.column), valueOf(b, key.doctype, key.column));
      if (d !== 0) return key.desc ? -d : d;
    }
    // Ties: no defined order in MariaDB; here a fixed pseudo-random one.
    return hashOf(a) - hashOf(b) || compareCodePoints(String(a.main.name ?? ''), String(b.main.name ?? '')) || a.rank - b.rank;
  });

  const page = query.limitPageLength > 0 ? matching.slice(query.limitStart, query.limitStart + query.limitPageLength) : matching.slice(query.limitStart);
  const columns = fieldRefs.map((f) => ({ key: f.key, doctype: f.doctype, column: f.column, kind: kindOf(f.doctype, f.column, 'field list') }));
  const rows = page.map((c) => {
    const row: Row = {};
    for (const col of columns) row[col.key] = valueOf(c, col.doctype, col.column);
    return row;
  });
  return { columns, rows };
}

/** The selected columns, with the keys pymysql's dict cursor gives them. */
function projection(query: PreparedList, schema: Schema): { key: string; doctype: string; column: string }[] {
  const { doctype } = query;
  const fields = query.fields === null ? ['name'] : query.fields;
  const out: { key: string; doctype: string; column: string }[] = [];
  const seen = new Set<string>();
  const add = (key: string, table: string, column: string): void => {
    const k = seen.has(key) ? `tab${table}.${key}` : key;
    seen.add(k);
    out.push({ key: k, doctype: table, column });
  };
  for (const raw of fields) {
    const field = String(raw).trim();
    if (field === '*') {
      // get_table_columns(doctype), less Frappe's optional `_user_tags`-style columns.
      for (const c of schema.columns(doctype)) if (!OPTIONAL_FIELDS.includes(c.name)) add(c.name, doctype, c.name);
      continue;
    }
    const alias = /^(.*?)\s+as\s+(\S+)$/i.exec(field);
    const expr = alias ? (alias[1] ?? '') : field;
    if (/\(/.test(expr)) throw frappeThrow('ValidationError', `The Frappe emulator does not implement SQL functions in fields: ${field}`);
    const ref = parentTypeAndField(expr, doctype, schema);
    // A Table field has no column: DatabaseQuery.apply_fieldlevel_read_permissions drops it.
    if (schema.get(ref.doctype)?.tables.some((t) => t.field === ref.column)) continue;
    add(alias ? (alias[2] ?? '').replaceAll('`', '') : ref.column, ref.doctype, ref.column);
  }
  return out;
}

/** The ORDER BY keys, checked as db_query.py `validate_order_by_and_group_by` and MariaDB would. */
function orderKeys(orderBy: string | null, doctype: string, joins: readonly string[], schema: Schema): SortKey[] {
  if (!orderBy || orderBy === DEFAULT_ORDER_BY) {
    // set_order_by: `tab{doctype}`.`{sort_field or "modified"}` {sort_order or "desc"}
    return [{ doctype, column: 'modified', kind: 'datetime', desc: true }];
  }
  const lower = orderBy.toLowerCase();
  if (lower.includes('select') && lower.includes('from')) throw frappeThrow('ValidationError', 'Cannot use sub-query in order by');
  const tables = [doctype, ...joins];
  const keys: SortKey[] = [];
  for (const part of splitOutsideBackticks(orderBy, ',')) {
    const text = part.trim();
    if (!text) continue;
    const [expr = '', ...rest] = splitOutsideBackticks(text, ' ').filter((t) => t !== '');
    const direction = rest[0]?.toLowerCase() ?? 'asc';
    if (rest.length > 1 || (direction !== 'asc' && direction !== 'desc')) {
      throw uncaught(
        'pymysql.err',
        'ProgrammingError',
        `(1064, "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '${rest.join(' ')}' at line 1")`,
      );
    }
    let table: string | null = null;
    let column = expr.replaceAll('`', '');
    const dot = splitOutsideBackticks(expr, '.');
    if (dot.length === 2) {
      const t = (dot[0] ?? '').replaceAll('`', '');
      column = (dot[1] ?? '').replaceAll('`', '');
      table = t.startsWith('tab') ? t.slice(3) : t;
      if ((dot[0] ?? '').startsWith('`tab') && !tables.includes(table)) {
        throw frappeThrow('ValidationError', `Please select atleast 1 column from ${table} to sort/group`);
      }
      if (!tables.includes(table) || !schema.column(table, column)) throw columnError(t.startsWith('tab') ? table : '', `${t.startsWith('tab') ? '' : `${t}.`}${column}`, 'order clause');
    } else {
      const owners = tables.filter((t) => schema.column(t, column));
      if (owners.length === 0) throw columnError('', column, 'order clause');
      if (owners.length > 1) throw uncaught('pymysql.err', 'OperationalError', `(1052, "Column '${column}' in order clause is ambiguous")`);
      table = owners[0] ?? doctype;
    }
    const kind = schema.column(table, column)?.kind ?? 'string';
    keys.push({ doctype: table, column, kind, desc: direction === 'desc' });
  }
  return keys;
}

function splitOutsideBackticks(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '`') quoted = !quoted;
    if (ch === sep && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}


/** A column value as MariaDB sees it for comparison: number, string, or null. */
function sqlValue(kind: FieldKind, value: unknown): number | string | null {
  if (value === null || value === undefined) return kind === 'number' ? 0 : null;
  if (kind === 'number') return flt(value);
  const text = cstr(value);
  return kind === 'datetime' ? (canonicalDatetime(text) ?? text) : text;
}

/** ORDER BY comparison; NULL sorts first (MariaDB). */
export function compareValues(kind: FieldKind, a: unknown, b: unknown): number {
  const x = sqlValue(kind, a);
  const y = sqlValue(kind, b);
  if (x === null || y === null) return x === y ? 0 : x === null ? -1 : 1;
  if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : 0;
  return kind === 'string' ? compareCollated(String(x), String(y)) : compareCodePoints(String(x), String(y));
}

/** A filter operand coerced like `prepare_filter_condition` does for the column's kind. */
function operand(kind: FieldKind, value: unknown): number | string {
  if (kind === 'number') return flt(value);
  const text = cstr(value);
  return kind === 'datetime' ? (canonicalDatetime(text) ?? text) : text;
}

function cmp(kind: FieldKind, x: number | string, y: number | string): number {
  if (kind === 'number') return Number(x) < Number(y) ? -1 : Number(x) > Number(y) ? 1 : 0;
  return kind === 'string' ? compareCollated(String(x), String(y)) : compareCodePoints(String(x), String(y));
}

/** SQL LIKE (`%`, `_`; no escape character survives Frappe's quoting), case-insensitive like utf8mb4_unicode_ci. */
function likeRegExp(pattern: string): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'isu');
}

/**
 * A filter as a test of column values. `in` and `not in` over text compare collation keys in a
 * set, prepared once per query rather than once per row and value.
 */
function predicate(f: Filter & { kind: FieldKind }): { doctype: string; column: string; test: (raw: unknown) => boolean } {
  const base = { doctype: f.doctype, column: f.column };
  if ((f.operator === 'in' || f.operator === 'not in') && f.kind === 'string') {
    const values = Array.isArray(f.value) ? f.value : cstr(f.value).split(',');
    const keys = new Set((values.length === 0 ? [''] : values.map((v) => cstr(v).trim())).map(collationKey));
    const wanted = f.operator === 'in';
    return { ...base, test: (raw) => keys.has(collationKey(raw === null || raw === undefined ? '' : cstr(raw))) === wanted };
  }
  return { ...base, test: (raw) => matches(f.kind, f.operator, raw, f.value) };
}

/** Does a column value satisfy one condition (prepare_filter_condition, with its `ifnull` fallbacks)? */
function matches(kind: FieldKind, operator: string, raw: unknown, value: unknown): boolean {
  const isNull = raw === null || raw === undefined;
  // `ifnull(col, '')` is used unless the operator is `=`/`like` with a non-empty value (then NULL never matches).
  const truthy = value !== null && value !== undefined && value !== '' && value !== 0 && value !== false && !(Array.isArray(value) && value.length === 0);
  const col = isNull ? (kind === 'number' ? 0 : '') : kind === 'number' ? flt(raw) : kind === 'datetime' ? (canonicalDatetime(cstr(raw)) ?? cstr(raw)) : cstr(raw);
  switch (operator) {
    case '=':
      if (isNull && truthy && kind !== 'number') return false;
      return cmp(kind, col, operand(kind, value)) === 0;
    case '!=':
      return cmp(kind, col, operand(kind, value)) !== 0;
    case '>':
      return cmp(kind, col, operand(kind, value)) > 0;
    case '<':
      return cmp(kind, col, operand(kind, value)) < 0;
    case '>=':
      return cmp(kind, col, operand(kind, value)) >= 0;
    case '<=':
      return cmp(kind, col, operand(kind, value)) <= 0;
    case 'like':
    case 'not like': {
      if (operator === 'like' && isNull && truthy && kind !== 'number') return false;
      const hit = likeRegExp(cstr(value)).test(String(col));
      return operator === 'like' ? hit : !hit;
    }
    case 'in':
    case 'not in': {
      const values = Array.isArray(value) ? value : cstr(value).split(',');
      const list = values.length === 0 ? [''] : values.map((v) => cstr(v).trim());
      const hit = list.some((v) => cmp(kind, col, operand(kind, v)) === 0);
      return operator === 'in' ? hit : !hit;
    }
    case 'is': {
      if (value !== 'set' && value !== 'not set') {
        throw frappeThrow('ValidationError', `The Frappe emulator expects "set" or "not set" with the is operator, got ${pyRepr(value)}`);
      }
      const set = kind === 'number' ? Number(col) !== 0 : !isNull && col !== '';
      return value === 'set' ? set : !set;
    }
    default:
      throw frappeRaise('ValidationError');
  }
}
