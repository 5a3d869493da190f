/**
 * The output folder as the deploy sees it: every alias key with its kind, SHA-256 and size, what
 * each file links (its children's versions, and the aliases it names: a lesson's unit, previous
 * and next, the lessons of a search index), and for each plan the keys it uses (its manifest and
 * everything reachable from it through version links). The bytes are read again when uploaded,
 * so a 50,000-lesson tree is never held in memory.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import type { FileKind, TreeFile } from '../build/files.ts';
import { BUILD_INFO, listOutput, OWN_FILES, type BuildInfo } from '../build/output.ts';
import { DeployError } from '../errors.ts';
import { sha256 } from '../io/hash.ts';
import { keys as cdnKeys, kindOfKey, parseKey, versionKey } from '../../packages/client/src/layout.ts';
import { compareCodeUnits } from '../io/compare.ts';
import { partsOf } from '../io/disjoint-keys.ts';

export interface LocalFile {
  key: string;
  kind: FileKind;
  hash: string;
  size: number;
}

export interface OutTree {
  outDir: string;
  files: Map<string, LocalFile>;
  /** Plan ID -> the keys the plan uses (manifest, subjects, search, units, lessons). */
  plans: Map<string, ReadonlySet<string>>;
  /** Parent key -> the versions it links (manifests, subjects, search indexes, units). */
  links: Map<string, string[]>;
  /**
   * Key -> the aliases it names: a lesson's unit, previous and next, the lessons of a search file.
   * A tree handed over by the build leaves lessons and search shards out until `loadRefs`.
   */
  refs: Map<string, string[]>;
  /** The plans the build was limited to with --plan, or null when it built every plan. */
  builtPlans: string[] | null;
}

const READ_CONCURRENCY = 32;

/** `url` (a path relative to the CDN root, percent-encoded; a query is ignored) -> key. */
export function urlToKey(url: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('/')) return null;
  const pathPart = url.split(/[?#]/, 1)[0] ?? '';
  try {
    return pathPart.split('/').map(decodeURIComponent).join('/');
  } catch {
    return null;
  }
}

/** Every `url` string in a JSON value (links to children; lessons' sibling links are not followed). */
export function linkedKeys(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const v of value) linkedKeys(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'url' || k.endsWith('_url')) && typeof v === 'string') {
        const key = urlToKey(v);
        if (key !== null) out.push(key);
      } else {
        linkedKeys(v, out);
      }
    }
  }
  return out;
}

export async function readOutTree(outDir: string): Promise<OutTree> {
  let paths: string[];
  try {
    paths = await listOutput(outDir);
  } catch (error) {
    throw new DeployError(`cannot read the output folder ${outDir}`, { cause: error });
  }
  if (paths.length === 0) throw new DeployError(`${outDir} is empty: run build first (or deploy, which builds)`);
  const files = new Map<string, LocalFile>();
  const parents = new Map<string, unknown>();
  const limit = pLimit(READ_CONCURRENCY);
  await Promise.all(
    paths.sort().map((key) =>
      limit(async () => {
        if (OWN_FILES.has(key)) return;
        const kind = kindOfKey(key);
        if (kind === null) throw new DeployError(`${path.join(outDir, key)} is not a file of the CDN tree; the output folder holds only what build writes`);
        const bytes = await readFile(path.join(outDir, key));
        files.set(key, { key, kind, hash: sha256(bytes), size: bytes.length });
        if (namesOnly(kind)) return;
        parents.set(key, parseParent(outDir, key, bytes));
      }),
    ),
  );
  const links = new Map<string, string[]>();
  const refs = new Map<string, string[]>();
  for (const [key, value] of parents) {
    const found = linksOf(value);
    links.set(key, found.links);
    refs.set(key, found.refs);
  }
  let builtPlans: string[] | null = null;
  try {
    const info = JSON.parse(await readFile(path.join(outDir, BUILD_INFO), 'utf8')) as BuildInfo;
    builtPlans = Array.isArray(info.plans) ? info.plans.filter((p): p is string => typeof p === 'string') : null;
  } catch {
    // Written by every build; a folder without it holds a build of every plan.
  }
  return assembleTree(outDir, files, parents, links, refs, builtPlans);
}

/**
 * The tree of files a build has just written, from what the build knows: the same OutTree as
 * `readOutTree` gives for that folder, without reading, hashing or parsing it. Each plan's keys
 * come from the build (`planKeys`); what a file links and names is read by `loadRefs` for the
 * files a deploy writes, and only for those.
 */
export function treeFromRendered(outDir: string, rendered: readonly TreeFile[], builtPlans: readonly string[] | null, planKeys: ReadonlyMap<string, ReadonlySet<string>>): OutTree {
  const files = new Map<string, LocalFile>();
  for (const f of rendered) files.set(f.key, { key: f.key, kind: f.kind, hash: f.hash, size: f.size });
  const plans = new Map<string, ReadonlySet<string>>();
  // Plans share most of their keys (the sets of the subjects they show): each set is checked once.
  const checked = new Set<ReadonlySet<string>>();
  for (const [plan, used] of planKeys) {
    for (const part of partsOf(used)) {
      if (checked.has(part)) continue;
      checked.add(part);
      for (const key of part) if (!files.has(key)) throw new DeployError(`plan ${plan} uses ${key}, which the build did not write: rebuild with \`build --full\``);
    }
    plans.set(plan, used);
  }
  return { outDir, files, plans, links: new Map(), refs: new Map(), builtPlans: builtPlans ? [...builtPlans] : null };
}

/** A file the build reused, read back: it must still hold the bytes the build recorded. */
async function readRecorded(outDir: string, key: string, hash: string): Promise<Buffer> {
  const file = path.join(outDir, ...key.split('/'));
  const bytes = await readFile(file).catch((error: unknown) => {
    throw new DeployError(`cannot read ${file}, which the build recorded: rebuild with \`build --full\``, { cause: error });
  });
  if (sha256(bytes) !== hash) throw new DeployError(`${file} changed after the build recorded it: rebuild with \`build --full\``);
  return bytes;
}

/**
 * Lessons and search files below the index (shards, term, document and vocabulary files) link no version,
 * only aliases or nothing; trees leave them unparsed (the bulk of the bytes) until `loadRefs`
 * reads the few a deploy writes.
 */
export function namesOnly(kind: FileKind): boolean {
  return kind === 'lesson' || kind === 'search_shard' || kind === 'search_terms' || kind === 'search_docs' || kind === 'search_vocab';
}

/**
 * Whether a file of the kinds `namesOnly` holds can name an alias of this kind: they name lessons
 * (previous and next, the lessons a search file finds) and units (a lesson's unit), nothing else.
 */
export function nameableByNamesOnly(kind: FileKind): boolean {
  return kind === 'lesson' || kind === 'unit';
}

/**
 * Reads what these keys' files link and name, where the tree does not know it yet (a tree from
 * the build knows none; one read from the folder knows all but lessons' and search files').
 * Each file must still hold the bytes the tree records.
 */
export async function loadRefs(tree: Pick<OutTree, 'outDir' | 'links' | 'refs' | 'files'>, keys: Iterable<string>): Promise<void> {
  const limit = pLimit(READ_CONCURRENCY);
  await Promise.all(
    [...keys].map((key) => {
      const file = tree.files.get(key);
      if (!file || tree.refs.has(key)) return undefined;
      return limit(async () => {
        const found = linksOf(parseParent(tree.outDir, key, await readRecorded(tree.outDir, key, file.hash)));
        if (!namesOnly(file.kind)) tree.links.set(key, found.links);
        tree.refs.set(key, found.refs);
      });
    }),
  );
}

/**
 * What a file links: the versions of its children (parent to child links, and a routed search
 * index's term and document files), and the aliases it names (a lesson's unit, previous and
 * next; the lessons a search file finds, which the client fetches by their alias).
 */
export function linksOf(value: unknown): { links: string[]; refs: string[] } {
  const links = new Set<string>();
  const refs = new Set<string>();
  for (const key of linkedKeys(value)) (parseKey(key)?.version ? links : refs).add(key);
  for (const key of routedKeys(value)) links.add(key);
  for (const lesson of foundLessons(value)) refs.add(cdnKeys.lesson(lesson));
  return { links: [...links], refs: [...refs] };
}

type Json = Record<string, unknown>;
const isJsonObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A routed search index's term, document and vocabulary files, as version keys: `routing` lists them as [first key or number or length, version] (docs/cdn-format.md). */
function routedKeys(value: unknown): string[] {
  if (!isJsonObject(value) || !isJsonObject(value.routing) || typeof value.plan_id !== 'string') return [];
  const plan = value.plan_id;
  const versions = (list: unknown, key: (n: number) => string): string[] =>
    Array.isArray(list) ? list.flatMap((entry, i) => (Array.isArray(entry) && typeof entry[1] === 'string' ? [versionKey(key(i + 1), entry[1])] : [])) : [];
  return [
    ...versions(value.routing.terms, (n) => cdnKeys.searchTerms(plan, n)),
    ...versions(value.routing.docs, (n) => cdnKeys.searchDocs(plan, n)),
    ...versions(value.routing.vocabulary, (n) => cdnKeys.searchVocab(plan, n)),
  ];
}

/** The lessons a search file finds: a shard's or index's stored fields, or a routed document file's [lesson, ...] rows. */
function foundLessons(value: unknown): string[] {
  if (!isJsonObject(value)) return [];
  const found: string[] = [];
  if (isJsonObject(value.storedFields)) {
    for (const doc of Object.values(value.storedFields)) if (isJsonObject(doc) && typeof doc.lesson_id === 'string') found.push(doc.lesson_id);
  }
  if (typeof value.first === 'number' && Array.isArray(value.docs)) {
    for (const row of value.docs) if (Array.isArray(row) && typeof row[0] === 'string') found.push(row[0]);
  }
  return found;
}

function parseParent(outDir: string, key: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DeployError(`${path.join(outDir, key)} is not valid JSON: rebuild the output folder`, { cause: error });
  }
}

/**
 * Each plan's keys: its manifest and everything reachable from it through version links. A
 * version link must name the bytes the output folder holds for that alias.
 */
function assembleTree(outDir: string, files: Map<string, LocalFile>, parents: Map<string, unknown>, links: Map<string, string[]>, refs: Map<string, string[]>, builtPlans: string[] | null): OutTree {
  const plans = new Map<string, Set<string>>();
  // Plans link the same units and lessons over and over: each link is parsed once.
  const parsedLinks = new Map<string, ReturnType<typeof parseKey>>();
  const parseLink = (link: string): ReturnType<typeof parseKey> => {
    let parsed = parsedLinks.get(link);
    if (parsed === undefined && !parsedLinks.has(link)) parsedLinks.set(link, (parsed = parseKey(link)));
    return parsed ?? null;
  };
  for (const [key, file] of [...files].sort(([a], [b]) => compareCodeUnits(a, b))) {
    if (file.kind !== 'manifest') continue;
    const manifest = parents.get(key) as { plan_id?: unknown } | undefined;
    const planId = typeof manifest?.plan_id === 'string' ? manifest.plan_id : null;
    if (planId === null) throw new DeployError(`${path.join(outDir, key)} has no plan_id: rebuild the output folder`);
    const used = new Set<string>([key]);
    const queue = [key];
    while (queue.length > 0) {
      const current = queue.pop() as string;
      for (const link of links.get(current) ?? []) {
        const parsed = parseLink(link);
        const child = parsed?.alias ?? link;
        if (used.has(child)) continue;
        const file = files.get(child);
        if (!file || (parsed?.version && !file.hash.startsWith(parsed.version))) {
          throw new DeployError(`${path.join(outDir, current)} links ${link}, which the output folder does not have: rebuild it`);
        }
        used.add(child);
        queue.push(child);
      }
    }
    plans.set(planId, used);
  }
  return { outDir, files, plans, links, refs, builtPlans };
}
