/**
 * Fields a list leaves out. Frappe drops from every list answer, `fields=["*"]` included and
 * without a word, the fields at a permission level (a field's Perm Level above 0) that none of
 * the API user's roles may read. The content model would take such a field for empty: a paid
 * node's `required_item` read that way publishes it as free. A list row carries every column it
 * may read, nulls included, so a pull refuses rows that lack a field the site's DocType has and
 * the model reads. Pure; no I/O.
 */
import { REGISTRY, type SiteMeta } from '../content/fields.ts';
import type { Row } from './client.ts';
import { FrappeError } from './errors.ts';

/** The fields of `doctype` that the site has and the model reads, child tables aside. */
function expectedFields(doctype: string, meta: SiteMeta): string[] {
  const read = new Set((REGISTRY[doctype]?.fields ?? []).filter((f) => f.fieldtype !== 'Table').map((f) => f.fieldname));
  return (meta[doctype] ?? []).filter((f) => read.has(f.fieldname)).map((f) => f.fieldname);
}

/** The expected fields a list row (fields "*") of `doctype` lacks. */
export function unreadableFields(doctype: string, row: Row, meta: SiteMeta): string[] {
  return expectedFields(doctype, meta).filter((field) => !(field in row));
}

/** Throws, naming the DocType and fields, when a list row (fields "*") lacks fields the site has (see above). */
export function assertReadable(doctype: string, row: Row | undefined, meta: SiteMeta | undefined): void {
  if (!row || !meta) return;
  const missing = unreadableFields(doctype, row, meta);
  if (missing.length === 0) return;
  const one = missing.length === 1;
  throw new FrappeError(
    `frappe: the API user may not read ${doctype}'s ${missing.join(', ')}: the site's DocType has ${one ? 'this field' : 'these fields'}, but its lists leave ${one ? 'it' : 'them'} out ` +
      "(a Perm Level above 0 that none of the user's roles may read). Without them lessons would be published with the wrong access or content. " +
      'Give a role of the API user read permission at that level (Role Permissions Manager), then pull again; nothing was written to the cache',
    200,
  );
}
