/**
 * The site's DocType metadata, read once per pull: which fields and Select options each Memora
 * DocType has (fields.ts: the two generations, and a site's own customisations). Read with
 * `frappe.desk.form.load.getdoctype`, which the desk uses for every form and list: any logged-in
 * user may call it, and it answers the DocType with its child tables, custom fields and property
 * setters applied.
 */
import pLimit from 'p-limit';
import { PARENT_DOCTYPES } from '../content/doctypes.ts';
import type { SiteField, SiteMeta } from '../content/fields.ts';
import type { FrappeClient } from './client.ts';
import { FrappeError } from './errors.ts';
import { compareCodeUnits } from '../io/compare.ts';

export const GETDOCTYPE = 'frappe.desk.form.load.getdoctype';

/** The metadata of the Memora DocTypes and their child tables, or null where the site does not answer it. */
export async function readSiteMeta(client: FrappeClient): Promise<SiteMeta | null> {
  const meta: SiteMeta = {};
  const limit = pLimit(3);
  const answers = await Promise.all(
    PARENT_DOCTYPES.map((doctype) =>
      limit(async () => {
        try {
          return { doctype, docs: (await client.method(GETDOCTYPE, { doctype }, 'docs')).message };
        } catch (error) {
          if (error instanceof FrappeError && (error.status === 403 || error.status === 404 || error.status === 417)) return null;
          throw error;
        }
      }),
    ),
  );
  for (const answer of answers) {
    if (answer === null) return null;
    const { doctype, docs } = answer;
    if (!Array.isArray(docs)) throw new FrappeError(`frappe: ${GETDOCTYPE} answered ${doctype} without a "docs" list`, 200);
    for (const doc of docs) {
      if (doc === null || typeof doc !== 'object' || typeof (doc as { name?: unknown }).name !== 'string' || !Array.isArray((doc as { fields?: unknown }).fields)) {
        throw new FrappeError(`frappe: ${GETDOCTYPE} answered ${doctype} with a DocType that has no name or fields`, 200);
      }
      const { name, fields } = doc as { name: string; fields: Record<string, unknown>[] };
      meta[name] = fields
        .filter((f) => f !== null && typeof f === 'object' && typeof f.fieldname === 'string' && typeof f.fieldtype === 'string')
        .map((f): SiteField => ({ fieldname: f.fieldname as string, fieldtype: f.fieldtype as string, options: typeof f.options === 'string' && f.options !== '' ? (f.options as string) : null }))
        .sort((a, b) => compareCodeUnits(a.fieldname, b.fieldname));
    }
  }
  return Object.fromEntries(Object.keys(meta).sort().map((k) => [k, meta[k] as SiteField[]]));
}
