/**
 * The links between cached documents, for what a rename leaves behind: Frappe rewrites every Link
 * and Dynamic Link to a renamed document with raw UPDATEs, so the documents that point at it
 * change without a new `modified`. Pure; no I/O.
 */
import type { CacheDocs } from '../content/cache.ts';
import { PARENT_DOCTYPES, type DocTypeName } from '../content/doctypes.ts';
import { LINK_FIELDS, ROW_LINK_FIELDS } from '../content/fields.ts';
import type { RawDoc } from '../content/raw.ts';

export type NamesByDocType = Map<DocTypeName, Set<string>>;

export function addName(map: NamesByDocType, doctype: DocTypeName, name: string): void {
  let set = map.get(doctype);
  if (!set) map.set(doctype, (set = new Set()));
  set.add(name);
}

function isDocType(value: unknown): value is DocTypeName {
  return typeof value === 'string' && (PARENT_DOCTYPES as readonly string[]).includes(value);
}

/** Every (target DocType, name) a document links to. */
export function linksOf(doctype: DocTypeName, doc: RawDoc): { target: DocTypeName; name: string }[] {
  const out: { target: DocTypeName; name: string }[] = [];
  for (const l of LINK_FIELDS) {
    const value = doc[l.field];
    if (l.doctype === doctype && typeof value === 'string' && value !== '') out.push({ target: l.target, name: value });
  }
  for (const l of ROW_LINK_FIELDS) {
    if (l.doctype !== doctype || !Array.isArray(doc[l.table])) continue;
    for (const row of doc[l.table] as Record<string, unknown>[]) {
      const value = row?.[l.field];
      const target = typeof l.target === 'string' ? l.target : row?.[l.target.field];
      if (typeof value === 'string' && value !== '' && isDocType(target)) out.push({ target, name: value });
    }
  }
  return out;
}

/** The cached documents that link to any of `names` of `target`: a rename rewrote them in place. */
export function referrers(docs: CacheDocs, target: DocTypeName, names: ReadonlySet<string>): NamesByDocType {
  const out: NamesByDocType = new Map();
  if (names.size === 0) return out;
  for (const doctype of PARENT_DOCTYPES) {
    for (const doc of docs[doctype]) {
      if (linksOf(doctype, doc).some((l) => l.target === target && names.has(l.name))) addName(out, doctype, doc.name);
    }
  }
  return out;
}
