/**
 * A plan's search files (DESIGN.md section 5). Up to UNSHARDED_MAX_LESSONS lessons, one index in
 * search_index.json; above that, or when one index would be too large, search_index.json lists
 * shards, one per subject, and a subject too large for one file is split into parts
 * (`search/{subject}.json`, `search/{subject}~2.json`, ...). No search file exceeds
 * MAX_SEARCH_FILE_BYTES unless a single lesson alone does.
 */
import { createSearchIndex, SEARCH_VERSION, type SearchDocument } from '../../../packages/client/src/search/config.ts';
import { jsonFile, linkTo, type RenderedFile } from '../files.ts';
import { keys } from '../../../packages/client/src/layout.ts';
import type { PlanTree, RSubject } from '../tree.ts';

export const UNSHARDED_MAX_LESSONS = 500;
export const MAX_SEARCH_FILE_BYTES = 100_000;

export function searchDocuments(subject: RSubject): SearchDocument[] {
  const docs: SearchDocument[] = [];
  for (const track of subject.children)
    for (const unit of track.children)
      for (const topic of unit.children)
        for (const lesson of topic.children)
          docs.push({
            lesson_id: lesson.node.name,
            lesson_name: lesson.title,
            subject_id: subject.node.name,
            subject_name: subject.title,
            unit_id: unit.node.name,
            unit_name: unit.title,
            topic_id: topic.node.name,
            topic_name: topic.title,
          });
  return docs;
}

function indexJson(docs: readonly SearchDocument[]): Record<string, unknown> {
  const index = createSearchIndex();
  index.addAll(docs);
  return index.toJSON() as unknown as Record<string, unknown>;
}

/** A shard's bytes with their SHA-256 (hex). */
export interface ShardBody {
  bytes: Buffer;
  hash: string;
}

/** One part of a subject's shards: its documents, bytes and hash. */
export type ShardPart = ShardBody & { docs: readonly SearchDocument[] };

/** Shard bodies depend only on their documents, so plans sharing a subject share the work. */
export class ShardCache {
  /** By subject and documents (see `key`): each distinct body is built and hashed once. */
  private readonly bodies = new Map<string, ShardBody>();
  /** By a document's JSON: a number per distinct document, so equal documents get the same number. */
  private readonly docIds = new Map<string, number>();
  private readonly idByDoc = new WeakMap<SearchDocument, number>();
  /** By resolved subtree: plans sharing an untouched subject share its subtree object (src/build/tree.ts). */
  private readonly docsBySubtree = new WeakMap<RSubject['children'], SearchDocument[]>();
  private readonly partsByDocs = new WeakMap<readonly SearchDocument[], ShardPart[]>();

  /** The subject's search documents; the same array for the same resolved subtree. */
  docs(subject: RSubject): SearchDocument[] {
    let docs = this.docsBySubtree.get(subject.children);
    if (!docs) {
      docs = searchDocuments(subject);
      this.docsBySubtree.set(subject.children, docs);
    }
    return docs;
  }

  /** The subject's shards with their hashes; computed once per documents array. */
  parts(subjectId: string, docs: readonly SearchDocument[]): ShardPart[] {
    let parts = this.partsByDocs.get(docs);
    if (!parts) {
      parts = shardParts(subjectId, docs, this);
      this.partsByDocs.set(docs, parts);
    }
    return parts;
  }

  /**
   * The cache key of a shard: the subject, then the number of each document. Documents are
   * numbered by their JSON, so equal documents (from different subtrees too) share a number and
   * different ones never do; each document object is serialized once, however many plans and
   * split attempts use it. The numbers hold no NUL, so the subject ends at the last one.
   */
  private key(subjectId: string, docs: readonly SearchDocument[]): string {
    let key = `${subjectId}\u0000`;
    for (let i = 0; i < docs.length; i++) {
      const doc = docs[i]!;
      let id = this.idByDoc.get(doc);
      if (id === undefined) {
        const json = JSON.stringify(doc);
        id = this.docIds.get(json);
        if (id === undefined) {
          id = this.docIds.size;
          this.docIds.set(json, id);
        }
        this.idByDoc.set(doc, id);
      }
      key += i === 0 ? `${id}` : `,${id}`;
    }
    return key;
  }

  body(subjectId: string, docs: readonly SearchDocument[]): ShardBody {
    const key = this.key(subjectId, docs);
    let body = this.bodies.get(key);
    if (!body) {
      const { bytes, hash } = jsonFile('', 'search_shard', { search_version: SEARCH_VERSION, subject_id: subjectId, lesson_count: docs.length, ...indexJson(docs) });
      body = { bytes, hash };
      this.bodies.set(key, body);
    }
    return body;
  }
}

/** Splits a subject's documents into as few contiguous parts as keep every shard under the limit. */
function shardParts(subjectId: string, docs: readonly SearchDocument[], cache: ShardCache): ShardPart[] {
  let parts = 1;
  for (;;) {
    const size = Math.ceil(docs.length / parts);
    const out: ShardPart[] = [];
    let tooBig: { count: number; bytes: number } | null = null;
    for (let i = 0; i < docs.length && !tooBig; i += size) {
      const slice = docs.slice(i, i + size);
      const { bytes, hash } = cache.body(subjectId, slice);
      if (bytes.length > MAX_SEARCH_FILE_BYTES && slice.length > 1) tooBig = { count: slice.length, bytes: bytes.length };
      out.push({ docs: slice, bytes, hash });
    }
    if (!tooBig) return out;
    // Guess the part size from the bytes per lesson just seen, with a little room; always progress.
    const perPart = Math.max(1, Math.floor((tooBig.count * MAX_SEARCH_FILE_BYTES * 0.95) / tooBig.bytes));
    parts = Math.max(parts + 1, Math.ceil(docs.length / perPart));
  }
}

export interface SearchFiles {
  index: RenderedFile;
  shards: RenderedFile[];
}

export function renderSearch(tree: PlanTree, cache: ShardCache): SearchFiles {
  const planId = tree.plan.name;
  const perSubject = tree.subjects.map((s) => ({ subject: s, docs: cache.docs(s) }));
  const total = perSubject.reduce((n, s) => n + s.docs.length, 0);

  if (total <= UNSHARDED_MAX_LESSONS) {
    const all = perSubject.flatMap((s) => s.docs);
    const index = jsonFile(keys.searchIndex(planId), 'search_index', {
      search_version: SEARCH_VERSION,
      plan_id: planId,
      sharded: false,
      lesson_count: total,
      ...indexJson(all),
    });
    if (index.bytes.length <= MAX_SEARCH_FILE_BYTES) return { index, shards: [] };
  }

  const shards: RenderedFile[] = [];
  const entries: { subject_id: string; subject_name: string; url: string; lesson_count: number }[] = [];
  for (const { subject, docs } of perSubject) {
    if (docs.length === 0) continue;
    const parts = cache.parts(subject.node.name, docs);
    parts.forEach((part, i) => {
      const key = keys.searchShard(planId, subject.node.name, i + 1);
      const file: RenderedFile = { key, kind: 'search_shard', bytes: part.bytes, hash: part.hash };
      shards.push(file);
      entries.push({ subject_id: subject.node.name, subject_name: subject.title, url: linkTo(file), lesson_count: part.docs.length });
    });
  }
  const index = jsonFile(keys.searchIndex(planId), 'search_index', {
    search_version: SEARCH_VERSION,
    plan_id: planId,
    sharded: true,
    lesson_count: total,
    shards: entries,
  });
  return { index, shards };
}
