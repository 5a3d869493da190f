/**
 * A plan's search files (DESIGN.md section 5). Up to UNSHARDED_MAX_LESSONS lessons, one index in
 * search_index.json; above that, or when one index would be too large, search_index.json lists
 * shards, one per subject, and a subject too large for one file is split into parts
 * (`search/{subject}.json`, `search/{subject}~2.json`, ...), for subject searches; a sharded plan
 * also gets routed term and document files (search-routing.ts), listed in its search_index.json's
 * `routing`, for plan-wide searches. No search file exceeds
 * MAX_SEARCH_FILE_BYTES: every name a search document holds is cut to MAX_INDEXED_NAME_CHARS
 * (search-names.ts), with a warning naming the document, so one lesson's document is a few KB at
 * most and parts can always be split small enough. What is never cut are IDs (document names) and
 * the number of shards a plan lists: a lesson whose IDs run to tens of KB, or a sharded plan whose
 * shard list runs to hundreds of entries (from about 120 when every subject name has 200
 * characters), can still make a search file too large; the build warns about any search file over
 * the limit, naming it (render/tree.ts).
 */
import { createSearchIndex, SEARCH_VERSION, type SearchDocument } from '../../../packages/client/src/search/config.ts';
import { DOCTYPES } from '../../content/doctypes.ts';
import type { ContentWarning } from '../../content/warnings.ts';
import { jsonFile, linkTo, type Linkable, type RenderedFile, type TreeFile } from '../files.ts';
import { keys } from '../../../packages/client/src/layout.ts';
import type { PlanTree, RSubject, RUnit } from '../tree.ts';
import { cutName, MAX_INDEXED_NAME_CHARS, nameLength } from './search-names.ts';
import { renderRouting, type PreviousRouting, type RoutingSubject } from './search-routing.ts';

export const UNSHARDED_MAX_LESSONS = 500;
export const MAX_SEARCH_FILE_BYTES = 100_000;

/** A name cut for the search index: the document, and whether the title is the plan's own (a Rename). */
export interface NameCut {
  doctype: string;
  name: string;
  renamed: boolean;
  /** The title's length and the indexed name's, in characters. */
  from: number;
  to: number;
}

/** A subject's search documents, its name as indexed, and the names cut on the way. */
export interface SubjectSearch {
  docs: SearchDocument[];
  subjectName: string;
  cuts: NameCut[];
  /** `docs`, unit by unit (units without lessons left out): arrays a unit shared by plans shares too. */
  chunks: readonly (readonly SearchDocument[])[];
}

/** A unit's search documents under a subject name, and the names of its topics and lessons and its own cut for them, in order. */
interface UnitSearch {
  docs: readonly SearchDocument[];
  cuts: readonly NameCut[];
  /** Whether `cuts` begins with the cut of the first document's lesson (a subject's own cut comes after it). */
  leadingLessonCut: boolean;
}

/** A name as indexed, and its cut (null when the whole title is indexed). */
function indexedName(doctype: string, r: { node: { name: string; title: string }; title: string }): { text: string; cut: NameCut | null } {
  const text = cutName(r.title);
  return { text, cut: text === r.title ? null : { doctype, name: r.node.name, renamed: r.title !== r.node.title, from: nameLength(r.title), to: nameLength(text) } };
}

/**
 * Units' search documents by resolved unit and subject name: plans share the resolution of a unit
 * their overrides leave alone (src/build/tree.ts), and so its documents.
 */
export class UnitSearches {
  private readonly byUnit = new WeakMap<RUnit, Map<string, UnitSearch>>();

  of(unit: RUnit, subjectId: string, subjectName: string): UnitSearch {
    let bySubject = this.byUnit.get(unit);
    if (!bySubject) this.byUnit.set(unit, (bySubject = new Map()));
    const key = `${subjectId}\u0000${subjectName}`;
    let search = bySubject.get(key);
    if (!search) {
      search = unitSearch(unit, subjectId, subjectName);
      bySubject.set(key, search);
    }
    return search;
  }
}

function unitSearch(unit: RUnit, subjectId: string, subjectName: string): UnitSearch {
  const docs: SearchDocument[] = [];
  const cuts: NameCut[] = [];
  const unitName = indexedName(DOCTYPES.unit, unit);
  let leadingLessonCut = false;
  for (const topic of unit.children) {
    const topicName = topic.children.length > 0 ? indexedName(DOCTYPES.topic, topic) : null;
    for (const lesson of topic.children) {
      const lessonName = indexedName(DOCTYPES.lesson, lesson);
      // In document order, as each name is first indexed: the lesson's, the unit's (its first document), the topic's (its first).
      if (lessonName.cut) {
        if (docs.length === 0) leadingLessonCut = true;
        cuts.push(lessonName.cut);
      }
      if (docs.length === 0 && unitName.cut) cuts.push(unitName.cut);
      if (lesson === topic.children[0] && topicName?.cut) cuts.push(topicName.cut);
      docs.push({
        lesson_id: lesson.node.name,
        lesson_name: lessonName.text,
        subject_id: subjectId,
        subject_name: subjectName,
        unit_id: unit.node.name,
        unit_name: unitName.text,
        topic_id: topic.node.name,
        topic_name: topicName?.text ?? '',
      });
    }
  }
  return { docs, cuts, leadingLessonCut };
}

export function searchDocuments(subject: RSubject, units: UnitSearches = new UnitSearches()): SubjectSearch {
  const name = indexedName(DOCTYPES.subject, subject);
  const chunks: (readonly SearchDocument[])[] = [];
  const cuts: NameCut[] = [];
  for (const track of subject.children)
    for (const unit of track.children) {
      const search = units.of(unit, subject.node.name, name.text);
      if (search.docs.length === 0) continue;
      // The subject's name is first indexed with the first document, after that document's lesson name.
      if (chunks.length === 0 && name.cut) {
        const lead = search.leadingLessonCut ? 1 : 0;
        cuts.push(...search.cuts.slice(0, lead), name.cut, ...search.cuts.slice(lead));
      } else cuts.push(...search.cuts);
      chunks.push(search.docs);
    }
  // The shard list names the subject too (only for subjects with lessons, hence no warning otherwise).
  return { docs: chunks.flat(), subjectName: name.text, cuts, chunks };
}

/** 1234567 -> "1,234,567", the same on every machine. */
function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * The warning for a cut name. A base title's warning names no plan, so every plan showing the
 * document reports the same warning (kept once); a renamed title is the plan's own, so is its warning.
 */
export function nameCutWarning(cut: NameCut, planId: string): ContentWarning {
  return {
    doctype: cut.doctype,
    name: cut.name,
    reason:
      `${cut.renamed ? 'title (as the plan renames it)' : 'title'} of ${count(cut.from)} characters is cut to its first ${count(cut.to)} ` +
      `for the search index (names over ${MAX_INDEXED_NAME_CHARS} characters are cut there; the lesson, unit and subject files keep the whole title)`,
    ...(cut.renamed ? { plan: planId } : {}),
  };
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
  private readonly docsBySubtree = new WeakMap<RSubject['children'], SubjectSearch>();
  private readonly units = new UnitSearches();
  private readonly partsByDocs = new WeakMap<readonly SearchDocument[], ShardPart[]>();

  /**
   * The subject's search documents (the same array for the same resolved subtree), with the names
   * cut for them: a plan reusing them reports the cuts too.
   */
  docs(subject: RSubject): SubjectSearch {
    let search = this.docsBySubtree.get(subject.children);
    if (!search) {
      search = searchDocuments(subject, this.units);
      this.docsBySubtree.set(subject.children, search);
    }
    return search;
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

/** A subject's shards the previous build wrote for this plan, reused: each file (bytes in the output folder) and its lesson count. */
export type ReusedShards = { file: Linkable; lessons: number }[];

/** A subject's shards as rendered or reused for a plan: its documents' digest and each part's lesson count. */
export interface SubjectShards {
  subjectId: string;
  search: SubjectSearch;
  lessons: number[];
}

export interface SearchFiles {
  index: RenderedFile;
  /** Subject shards (MiniSearch indexes), for subject searches. */
  shards: RenderedFile[];
  /** Per subject with lessons of a sharded plan, what its shards hold. */
  subjectShards: SubjectShards[];
  /** Term and document files (search-routing.ts), for plan-wide searches of a sharded plan. */
  routed: RenderedFile[];
  /** Term files of the previous build kept as they are (bytes null). */
  reusedRouted: TreeFile[];
}

/**
 * The plan's search files; `warn` gets a warning for each name cut for them (search-names.ts).
 * `reuseShards` may give a subject's shards from the previous build (its documents unchanged).
 */
export function renderSearch(
  tree: PlanTree,
  cache: ShardCache,
  warn: (w: ContentWarning) => void,
  unshardedMaxLessons = UNSHARDED_MAX_LESSONS,
  reuseShards?: (subjectId: string, search: SubjectSearch) => ReusedShards | null,
  previousRouting?: PreviousRouting,
): SearchFiles {
  const planId = tree.plan.name;
  const perSubject = tree.subjects.map((s) => ({ subject: s, search: cache.docs(s) }));
  // Reported on every plan and every build that cuts, cached documents too (the sink keeps one of each).
  for (const { search } of perSubject) for (const cut of search.cuts) warn(nameCutWarning(cut, planId));
  const total = perSubject.reduce((n, s) => n + s.search.docs.length, 0);

  if (total <= unshardedMaxLessons) {
    const all = perSubject.flatMap((s) => s.search.docs);
    const index = jsonFile(keys.searchIndex(planId), 'search_index', {
      search_version: SEARCH_VERSION,
      plan_id: planId,
      sharded: false,
      lesson_count: total,
      ...indexJson(all),
    });
    if (index.bytes.length <= MAX_SEARCH_FILE_BYTES) return { index, shards: [], subjectShards: [], routed: [], reusedRouted: [] };
  }

  const shards: RenderedFile[] = [];
  const subjectShards: SubjectShards[] = [];
  const entries: { subject_id: string; subject_name: string; url: string; lesson_count: number }[] = [];
  // Which subjects' documents are the previous build's: where the routed files can change.
  const routingSubjects: RoutingSubject[] = [];
  for (const { subject, search } of perSubject) {
    if (search.docs.length === 0) continue;
    const subjectId = subject.node.name;
    const reused = reuseShards?.(subjectId, search);
    const parts: { file: Linkable; lessons: number }[] = reused ?? cache.parts(subjectId, search.docs).map((part, i) => {
      const file: RenderedFile = { key: keys.searchShard(planId, subjectId, i + 1), kind: 'search_shard', bytes: part.bytes, hash: part.hash };
      shards.push(file);
      return { file, lessons: part.docs.length };
    });
    subjectShards.push({ subjectId, search, lessons: parts.map((p) => p.lessons) });
    routingSubjects.push({ id: subjectId, lessons: search.docs.length, same: reused !== null && reused !== undefined });
    for (const part of parts) entries.push({ subject_id: subjectId, subject_name: search.subjectName, url: linkTo(part.file), lesson_count: part.lessons });
  }
  const routed = renderRouting(planId, perSubject.flatMap((s) => s.search.docs), previousRouting, reuseShards ? routingSubjects : undefined);
  const index = jsonFile(keys.searchIndex(planId), 'search_index', {
    search_version: SEARCH_VERSION,
    plan_id: planId,
    sharded: true,
    lesson_count: total,
    shards: entries,
    routing: routed.routing,
  });
  return { index, shards, subjectShards, routed: routed.files, reusedRouted: routed.reused };
}
