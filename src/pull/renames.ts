/**
 * Renames and restores, which leave no trace in `modified`: Frappe rewrites the name and every
 * Link to it with raw updates and adds an "Edit" comment to the document. Where one shows (such a
 * comment for a name the cache lacks, a new name whose `creation` is not later than the
 * watermark, a fetched document that links to a name the cache lacks, a deletion of a name the
 * cache lacks, a name whose `creation` is not the cached document's: renamed away and the name
 * given to another), the DocType's names are reconciled with the site: new or changed names are
 * read, vanished ones dropped, and every cached document that linked to a vanished or replaced
 * name is read again. So is every cached document that linked to a deleted one: a merge
 * (rename_doc with merge=1) rewrites the links, then deletes. The periodic name check reconciles
 * every DocType.
 */
import type { CacheDocs } from '../content/cache.ts';
import { PARENT_DOCTYPES, type DocTypeName } from '../content/doctypes.ts';
import type { RawDoc } from '../content/raw.ts';
import type { Logger } from '../log.ts';
import type { FrappeClient, Row } from './client.ts';
import { addName, linksOf, referrers, type NamesByDocType } from './links.ts';
import { appendAll, batchNames, isAfter, listByName, type Cursor } from './listing.ts';
import type { Deletion } from './merge.ts';

export interface FollowRenames {
  client: FrappeClient;
  log: Logger;
  pageSize: number;
  /** Reconcile every DocType (the periodic name check). */
  all: boolean;
  previous: CacheDocs;
  /** Per DocType, the rows this pull read; what reconciling reads is added. */
  listedRows: Map<DocTypeName, Row[]>;
  /** Names to read whole; what reconciling finds is added. */
  touched: NamesByDocType;
  /** "Edit" comments since the last pull (`reference_doctype`, `reference_name`; `fresh`: past its position, see Deletion). */
  comments: readonly Row[];
  watermarks: Readonly<Record<string, Cursor>>;
  deletions: readonly Deletion[];
}

/** Reads what the renames and restores changed; returns the names that vanished, and why each DocType was reconciled. */
export async function followRenames(f: FollowRenames): Promise<{ gone: Map<DocTypeName, string[]>; reconciled: string[] }> {
  const { client, log, pageSize, listedRows, touched } = f;
  const cached = new Map(PARENT_DOCTYPES.map((d) => [d, new Map(f.previous[d].map((doc) => [doc.name, doc]))]));
  const listedNames = new Map<DocTypeName, Set<string>>();
  const listed = (doctype: DocTypeName): Set<string> => {
    let names = listedNames.get(doctype);
    if (!names) listedNames.set(doctype, (names = new Set((listedRows.get(doctype) ?? []).map((r) => r.name))));
    return names;
  };
  const isNew = (doctype: DocTypeName, name: string) => !cached.get(doctype)?.has(name) && !listed(doctype).has(name);
  /** Names whose cached document is another than the site's of that name now: renamed away, and the name given to another. */
  const replaced: NamesByDocType = new Map();
  const otherDocument = (doctype: DocTypeName, row: Row) => {
    const was = cached.get(doctype)?.get(row.name)?.creation;
    return typeof was === 'string' && typeof row.creation === 'string' && was !== row.creation;
  };

  const toReconcile = new Map<DocTypeName, string>();
  const want = (doctype: DocTypeName, why: string) => {
    if (!toReconcile.has(doctype)) toReconcile.set(doctype, why);
  };
  const noteReplaced = (doctype: DocTypeName, name: string) => {
    addName(replaced, doctype, name);
    addName(touched, doctype, name);
    want(doctype, `${doctype} ${JSON.stringify(name)} is another document than the cached one (its creation differs: renamed away, and the name given to another)`);
  };
  if (f.all) for (const d of PARENT_DOCTYPES) want(d, 'the periodic name check');
  // An "Edit" comment on a cached name: a rename onto it (a name freed by a deletion or another
  // rename) leaves no other trace. Its creation tells whether it is still the cached document.
  const toCheck: NamesByDocType = new Map();
  const commented = new Set<string>();
  for (const c of f.comments) {
    const doctype = c.reference_doctype as DocTypeName;
    if (!(PARENT_DOCTYPES as readonly string[]).includes(doctype)) continue;
    const name = String(c.reference_name);
    if (isNew(doctype, name)) want(doctype, `${doctype} ${JSON.stringify(name)} was renamed or restored`);
    else if (c.fresh !== false && !listed(doctype).has(name)) {
      addName(toCheck, doctype, name);
      commented.add(`${doctype}\u0000${name}`);
    }
  }
  // Deleting a document deletes the comments on its name, a rename's included (Frappe's cleanup
  // job after the delete), and merging moves them to the document merged into. So a deleted name
  // the cache does not have is the trace of a rename: renamed, then deleted or merged, the old name
  // still cached. And a cached name deleted, then given to another document by a rename whose
  // comment the late cleanup took too, shows only in that name's creation.
  for (const d of f.deletions) {
    const doctype = d.doctype as DocTypeName;
    if (d.fresh === false || !(PARENT_DOCTYPES as readonly string[]).includes(doctype)) continue;
    if (!cached.get(doctype)?.has(d.name)) want(doctype, `${doctype} ${JSON.stringify(d.name)} was deleted, a name the cache does not have (renamed, then deleted or merged)`);
    else if (!listed(doctype).has(d.name)) addName(toCheck, doctype, d.name);
  }
  for (const [doctype, names] of toCheck) {
    const rows: Row[] = [];
    for (const batch of batchNames([...names])) appendAll(rows, await listByName(client, doctype, { fields: ['name', 'creation', 'modified'], pageSize: Math.max(pageSize, 1000), filters: [['name', 'in', batch]] }));
    const found = new Set(rows.map((r) => r.name));
    for (const name of names) if (!found.has(name) && commented.has(`${doctype}\u0000${name}`)) want(doctype, `${doctype} ${JSON.stringify(name)} was renamed or restored`);
    for (const row of rows) if (otherDocument(doctype, row)) noteReplaced(doctype, row.name);
  }
  // A merge (rename_doc with merge=1) rewrites every link to the merged document, then deletes it:
  // whoever linked to a name deleted since the last pull was rewritten in place.
  for (const doctype of PARENT_DOCTYPES) {
    const deletedNames = new Set(f.deletions.filter((d) => d.doctype === doctype && d.fresh !== false).map((d) => d.name));
    for (const [d, names] of referrers(f.previous, doctype, deletedNames)) for (const n of names) addName(touched, d, n);
  }
  const scan = (doctype: DocTypeName, rows: readonly RawDoc[]) => {
    const mark = f.watermarks[doctype]?.value ?? null;
    for (const row of rows) {
      if (otherDocument(doctype, row)) noteReplaced(doctype, row.name);
      // At the mark too: the newest document of the last pull, renamed and saved since, was
      // created at that very instant (Frappe keeps creation on a rename).
      if (!cached.get(doctype)?.has(row.name) && mark !== null && typeof row.creation === 'string' && !isAfter(row.creation, mark)) {
        want(doctype, `${doctype} ${JSON.stringify(row.name)} appeared with a creation no later than the last pull's newest (renamed or restored)`);
      }
      for (const link of linksOf(doctype, row)) {
        if (isNew(link.target, link.name) && !touched.get(link.target)?.has(link.name)) {
          want(link.target, `${doctype} ${JSON.stringify(row.name)} links to ${link.target} ${JSON.stringify(link.name)}, which the cache does not have (renamed?)`);
        }
      }
    }
  };
  for (const [doctype, rows] of listedRows) scan(doctype, rows as RawDoc[]);

  const gone = new Map<DocTypeName, string[]>();
  const reconciled: string[] = [];
  const deleted = new Set(f.deletions.map((d) => `${d.doctype}\u0000${d.name}`));
  const done = new Set<DocTypeName>();
  const followed = new Set<string>();
  // Reconciling one DocType can reveal links into another (a unit renamed with its topics):
  // rounds of reconcile, read, look at the links of what was read, until nothing is new.
  for (;;) {
    for (const [doctype, why] of toReconcile) {
      if (done.has(doctype)) continue;
      done.add(doctype);
      if (!f.all) log.verbose(`pull: reconciling the names of ${doctype}: ${why}`);
      reconciled.push(`${doctype}: ${why}`);
      const server = await listByName(client, doctype, { fields: ['name', 'modified', 'creation'], pageSize: Math.max(pageSize, 1000) });
      const onServer = new Set(server.map((r) => r.name));
      for (const row of server) {
        if (otherDocument(doctype, row)) noteReplaced(doctype, row.name);
        else if (!listed(doctype).has(row.name) && cached.get(doctype)?.get(row.name)?.modified !== row.modified) addName(touched, doctype, row.name);
      }
      const vanished = [...(cached.get(doctype)?.keys() ?? [])].filter((n) => !onServer.has(n));
      gone.set(doctype, vanished);
      // Names that vanished without a Deleted Document were renamed: whoever linked to them was rewritten.
      const renamedAway = new Set(vanished.filter((n) => !deleted.has(`${doctype}\u0000${n}`)));
      for (const [d, names] of referrers(f.previous, doctype, renamedAway)) for (const n of names) addName(touched, d, n);
    }
    // Whoever linked to a replaced name linked to the document that was renamed away: read again.
    for (const [doctype, names] of replaced) {
      const fresh = new Set([...names].filter((n) => !followed.has(`${doctype}\u0000${n}`)));
      for (const n of fresh) followed.add(`${doctype}\u0000${n}`);
      for (const [d, ns] of referrers(f.previous, doctype, fresh)) for (const n of ns) addName(touched, d, n);
    }
    const fresh = await readTouched(f, listed);
    for (const [doctype, rows] of fresh) scan(doctype, rows as RawDoc[]);
    const unfollowed = [...replaced].some(([d, names]) => [...names].some((n) => !followed.has(`${d}\u0000${n}`)));
    if (![...toReconcile.keys()].some((d) => !done.has(d)) && !unfollowed) return { gone, reconciled };
  }
}

/** Reads the touched names not read yet (fields "*", in batches by name); returns what was read. */
async function readTouched(f: FollowRenames, listed: (doctype: DocTypeName) => Set<string>): Promise<Map<DocTypeName, Row[]>> {
  const fresh = new Map<DocTypeName, Row[]>();
  for (const [doctype, names] of f.touched) {
    const have = listed(doctype);
    const missing = [...names].filter((n) => !have.has(n));
    if (missing.length === 0) continue;
    const got: Row[] = [];
    for (const batch of batchNames(missing)) appendAll(got, await listByName(f.client, doctype, { fields: ['*'], pageSize: f.pageSize, filters: [['name', 'in', batch]] }));
    f.listedRows.set(doctype, appendAll(f.listedRows.get(doctype) ?? [], got));
    for (const name of missing) have.add(name);
    fresh.set(doctype, got);
  }
  return fresh;
}
