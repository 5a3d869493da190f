/**
 * What each reusable file is rendered from: the dependency graph from documents to files, as the
 * digests an incremental build compares. A file is reused only when the digest of its inputs is
 * the one the previous build recorded for it; everything else is rendered again. Pure.
 *
 * | file | rendered from (its inputs) | so an edit of ... re-renders it |
 * | --- | --- | --- |
 * | lesson | the lesson (fields and stages), its topic, unit, track and subject (titles in `parents`), its access in the base tree, the IDs of its previous and next lessons, the signed URLs of its videos | the lesson, an ancestor, an access field above it, a neighbour's add, remove or move, any Hide that changes what some plan exports around it |
 * | unit | the unit, its topics and lessons as the base tree shows them (titles, access, which some plan exports), its track's and subject's IDs and titles, each lesson file's hash | the unit, a topic or lesson of it, an access field above it, a Hide that changes what plans export of it, a title of its track or subject, a lesson file's bytes |
 * | subject (per plan) | the plan's rows that bear on the subject (its place, overrides of its nodes), the subject and its tracks, and the inputs of all the subject's lesson and unit files (leavesInput); where those cannot be told apart (signatures without an identity): the subject, its tracks, units, topics and lessons as the plan resolves them (titles with Rename, access, Set Linear, the plan's sort order) and the hashes of the unit and lesson files it links | the subject's place in the plan, an override on it or a node under it, an edit of the subject, of a track of it, or of anything its lesson and unit files are rendered from |
 * | search files (per plan) | the plan's search documents: per lesson its ID and title and its topic's, unit's and subject's (as the plan titles them), in the plan's order; the plan's ID and the sharding setting. Checked first on what subject files are (searchShownInput), then on the documents themselves | a title (a Rename override too), adding, removing, moving or hiding a lesson, a topic, unit or subject of the plan |
 * | manifest (per plan) | always rendered: the plan, its subjects' files and its search index | ... anything in the plan |
 *
 * What every file depends on besides (the code, the CDN and search formats, the site's DocType
 * metadata, the build settings) is compared as a whole: a change there makes a full build
 * (snapshot.ts).
 */
import { doctypeOf, type ContentNode, type Lesson, type Subject, type Topic } from '../../content/model.ts';
import type { DocFingerprints } from '../../content/cache.ts';
import type { DocTypeName } from '../../content/doctypes.ts';
import { digest } from '../../io/hash.ts';
import { accessKey, type Access } from '../access.ts';
import { signStageConfig, type SignedUrls } from '../sign.ts';
import type { SubjectSearch } from '../render/search.ts';
import type { SearchDocument } from '../../../packages/client/src/search/config.ts';
import type { LessonPlacement } from '../render/tree.ts';
import type { Linkable } from '../files.ts';
import type { RSubject, RUnit } from '../tree.ts';

const SEP = '\u0000';

/** Each document's digest, as the content cache read it. */
export class DocumentDigests {
  private readonly byTopic = new WeakMap<Topic, string>();
  private readonly bySigning = new WeakMap<LessonPlacement, { signing: string; input: string }>();

  constructor(private readonly fingerprints: DocFingerprints) {}

  /** The digests of a topic and its unit, track and subject, joined: what its lessons' files show of them. Once per topic. */
  parents(topic: Topic): string {
    let joined = this.byTopic.get(topic);
    if (joined === undefined) {
      const unit = topic.unit;
      joined = [this.of(topic), this.of(unit), this.of(unit.track), this.of(unit.track.subject)].join(SEP);
      this.byTopic.set(topic, joined);
    }
    return joined;
  }

  /**
   * A lesson file's inputs at its place in the layout (lessonInput). Those computed with signed
   * URLs that have an identity depend only on it and the expiry, not on which videos were signed:
   * they are remembered, since a build's signing pass (lessonsToRender) and its render ask for
   * the same ones.
   */
  lesson(p: LessonPlacement, signedUrls: SignedUrls | undefined): string {
    const signing = signedUrls?.identity !== undefined ? `${signedUrls.expiresAt}${SEP}${signedUrls.identity}` : null;
    const known = signing !== null ? this.bySigning.get(p) : undefined;
    if (known?.signing === signing) return known.input;
    const input = lessonInput(this, p.lesson, p.access, p.previous, p.next, signedUrls);
    if (signing !== null) this.bySigning.set(p, { signing, input });
    return input;
  }

  of(node: ContentNode): string {
    const fp = this.fingerprints[doctypeOf(node) as DocTypeName]?.get(node.name);
    // Every node of a catalog comes from a document of the cache it was built from.
    if (fp === undefined) throw new Error(`no fingerprint for ${doctypeOf(node)} ${node.name}: the catalog was not built from this cache`);
    return fp;
  }
}

/** The inputs of a lesson file (render/lesson.ts). */
export function lessonInput(
  digests: DocumentDigests,
  lesson: Lesson,
  access: Access,
  previous: Lesson | undefined,
  next: Lesson | undefined,
  signedUrls: SignedUrls | undefined,
): string {
  const parts = [
    'lesson',
    digests.of(lesson),
    digests.parents(lesson.topic),
    accessKey(access),
    previous?.name ?? '',
    next?.name ?? '',
  ];
  if (signedUrls?.identity !== undefined) {
    // A lesson with videos depends on who signs them and until when (the URLs are in its digest).
    if (lesson.hasVideo) parts.push(signedUrls.expiresAt, signedUrls.identity);
  } else if (signedUrls && signedUrls.byUrl.size > 0) {
    // Only lessons with a bucket video depend on the signatures (and their expiry).
    const signed = lesson.stages.map((s) => signStageConfig(s, signedUrls.byUrl)).filter((r) => r.signed);
    if (signed.length > 0) parts.push(signedUrls.expiresAt, JSON.stringify(signed.map((r) => r.config)));
  }
  return digest(parts.join(SEP));
}

/**
 * What the signatures of bucket videos add to the inputs of a subject's lesson files taken
 * together (leavesInput): who signs and until when, or nothing without signing; null when lesson
 * files depend on the signatures themselves (signed URLs without an identity), which only the
 * lesson-by-lesson comparison can tell apart.
 */
export function leavesSigning(signedUrls: SignedUrls | undefined): string | null {
  if (!signedUrls) return '';
  if (signedUrls.identity !== undefined) return `${signedUrls.expiresAt}${SEP}${signedUrls.identity}`;
  return signedUrls.byUrl.size > 0 ? null : '';
}

/**
 * The inputs of all the lesson and unit files of a subject at once: the digests of every document
 * they are rendered from (its units as plans export them, with their tracks and subject, topics
 * and lessons) in course order, which gives each lesson its neighbours, which units the build
 * renders, and the signing (leavesSigning). Titles and access in the base tree follow from those
 * documents (the base tree is resolved from the subject's documents alone, build/tree.ts). Equal
 * to the previous build's, every one of those files has the inputs it had (lessonInput,
 * unitInput): the build reuses them all without comparing lesson by lesson (render/tree.ts,
 * subjectLeaves).
 */
export function leavesInput(digests: DocumentDigests, subjectId: string, units: readonly RUnit[], rendered: ReadonlySet<string>, signing: string): string {
  const parts = ['leaves', subjectId, signing];
  for (const unit of units) {
    const track = unit.node.track;
    parts.push('U', unit.node.name, digests.of(unit.node), rendered.has(unit.node.name) ? '1' : '0', digests.of(track), digests.of(track.subject));
    for (const topic of unit.children) {
      parts.push('P', topic.node.name, digests.of(topic.node));
      for (const lesson of topic.children) parts.push('L', lesson.node.name, digests.of(lesson.node));
    }
  }
  return digest(parts.join(SEP));
}

/**
 * What a plan shows of a subject, as what it is resolved from: the plan's rows that bear on the
 * subject (build/tree.ts, planRowsBySubject: its place in the plan and the overrides of its
 * nodes), the subject's and its tracks' documents, and the subject's leavesInput, which covers
 * every unit, topic and lesson that some plan exports, the files rendered of them and the signing.
 * A plan shows nothing under a subject that no plan exports, so its subject file and its search
 * documents of the subject follow from these alone. Unlike SubjectDigests and SearchDigests this
 * walks none of the subject's lessons: a build checks the plans an edit does not reach on it
 * alone (subjectShownInput, searchShownInput).
 */
export interface SubjectShown {
  subject: Subject;
  rows: readonly unknown[];
  /** The subject's leavesInput; null where signatures keep it from telling. */
  leaves: string | null;
}

function shownParts(digests: DocumentDigests, shown: SubjectShown & { leaves: string }): string[] {
  const { subject } = shown;
  return [subject.name, JSON.stringify(shown.rows), digests.of(subject), ...subject.tracks.map((track) => digests.of(track)), shown.leaves];
}

/** A subject file's inputs from what the plan shows of the subject; null without a leavesInput. */
export function subjectShownInput(digests: DocumentDigests, planId: string, shown: SubjectShown): string | null {
  const { leaves } = shown;
  return leaves === null ? null : digest(['subject-shown', planId, ...shownParts(digests, { ...shown, leaves })].join(SEP));
}

/**
 * A plan's search files' inputs from what the plan shows of each of its subjects, in the plan's
 * order, and the sharding setting; null when a subject has no leavesInput. Equal to the previous
 * build's, the plan's search documents are the same; unequal, they may still be (a stage edit
 * changes the leaves but no search document), which SearchDigests.planInput tells.
 */
export function searchShownInput(digests: DocumentDigests, planId: string, subjects: readonly SubjectShown[], unshardedMaxLessons: number): string | null {
  const parts = ['search-shown', planId, String(unshardedMaxLessons)];
  for (const shown of subjects) {
    const { leaves } = shown;
    if (leaves === null) return null;
    parts.push(...shownParts(digests, { ...shown, leaves }));
  }
  return digest(parts.join(SEP));
}

/**
 * What a unit's topics and lessons add to the inputs of the unit file and of the subject files
 * that list the unit, as one digest: per topic its document, title, access and Set Linear, per
 * lesson its document, title, access and the hash of its file (or '' for a unit without topics).
 * Once per unit and render: the base tree and the plans that leave a unit alone share it
 * (src/build/tree.ts), so its unit file and subject files share the work, and a subject file's
 * inputs hash a digest per unit rather than every lesson of the subject again for each plan that
 * resolves the subject itself. Each lesson's file must be rendered before its unit is asked for.
 */
export class UnitContents {
  private readonly byUnit = new WeakMap<RUnit, string>();

  constructor(
    private readonly digests: DocumentDigests,
    private readonly lessonFiles: ReadonlyMap<string, Linkable>,
  ) {}

  of(unit: RUnit): string {
    let joined = this.byUnit.get(unit);
    if (joined === undefined) {
      const d = this.digests;
      const parts: string[] = [];
      for (const topic of unit.children) {
        parts.push('P', d.of(topic.node), topic.title, accessKey(topic.access), linear(topic));
        for (const lesson of topic.children) parts.push('L', d.of(lesson.node), lesson.title, accessKey(lesson.access), this.lessonFiles.get(lesson.node.name)?.hash ?? '-');
      }
      joined = parts.length === 0 ? '' : digest(parts.join(SEP));
      this.byUnit.set(unit, joined);
    }
    return joined;
  }
}

/**
 * The inputs of a unit file (render/unit.ts): the unit (its document, title and access, and its
 * topics and lessons as some plan exports them, UnitContents) and its track's and subject's IDs
 * and titles.
 */
export function unitInput(digests: DocumentDigests, unit: RUnit, contents: UnitContents): string {
  const track = unit.node.track;
  return digest(['unit', digests.of(unit.node), unit.title, accessKey(unit.access), track.name, track.title, track.subject.name, track.subject.title, contents.of(unit)].join(SEP));
}

/** Digests of subjects' search documents, each computed once per documents object. */
export class SearchDigests {
  private readonly bySearch = new WeakMap<SubjectSearch, string>();
  /** The digest of each unit's documents, once per chunk however many subjects' documents hold it. */
  private readonly byChunk = new WeakMap<readonly SearchDocument[], string>();

  /** The inputs of a plan's search files (render/search.ts): its subjects' search documents, in order. */
  planInput(planId: string, subjects: readonly { subjectId: string; search: SubjectSearch }[], unshardedMaxLessons: number): string {
    const parts = ['search', planId, String(unshardedMaxLessons)];
    for (const { subjectId, search } of subjects) parts.push(subjectId, this.subject(search));
    return digest(parts.join(SEP));
  }

  /** The digest of a subject's search documents (what its shards are rendered from, with its ID). */
  subject(search: SubjectSearch): string {
    let d = this.bySearch.get(search);
    if (d === undefined) {
      // The documents by the digests of their chunks (units): each chunk is serialized once per build.
      d = digest(JSON.stringify([search.subjectName, search.chunks.map((chunk) => this.chunk(chunk)), search.cuts]));
      this.bySearch.set(search, d);
    }
    return d;
  }

  private chunk(docs: readonly SearchDocument[]): string {
    let d = this.byChunk.get(docs);
    if (d === undefined) {
      d = digest(JSON.stringify(docs));
      this.byChunk.set(docs, d);
    }
    return d;
  }
}

/** `is_linear` as the files carry it, or nothing. */
function linear(value: { is_linear?: boolean }): string {
  return value.is_linear === undefined ? '' : value.is_linear ? '1' : '0';
}


/**
 * The inputs of subject files (render/subject.ts), each subtree's once per build (plans share
 * untouched subjects), and within a subtree each unit's once (plans share untouched units).
 */
export class SubjectDigests {
  private readonly byChildren = new WeakMap<RSubject['children'], string>();

  constructor(
    private readonly digests: DocumentDigests,
    private readonly contents: UnitContents,
  ) {}

  input(subject: RSubject, unitFiles: ReadonlyMap<string, Linkable>): string {
    let tree = this.byChildren.get(subject.children);
    if (tree === undefined) {
      tree = this.subtree(subject, unitFiles);
      this.byChildren.set(subject.children, tree);
    }
    return digest(['subject', this.digests.of(subject.node), subject.title, String(subject.sort_order), accessKey(subject.access), linear(subject), tree].join(SEP));
  }

  private subtree(subject: RSubject, unitFiles: ReadonlyMap<string, Linkable>): string {
    const d = this.digests;
    const parts: string[] = [];
    for (const track of subject.children) {
      parts.push('T', d.of(track.node), track.title, accessKey(track.access), linear(track));
      for (const unit of track.children) {
        parts.push('U', d.of(unit.node), unit.title, accessKey(unit.access), linear(unit), unitFiles.get(unit.node.name)?.hash ?? '-');
        const contents = this.contents.of(unit);
        if (contents !== '') parts.push(contents);
      }
    }
    return digest(parts.join(SEP));
  }
}
