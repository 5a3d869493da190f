/**
 * The output folder as the deploy sees it: every alias key with its kind, SHA-256 and size, what
 * each file links (its children's versions, and the aliases it names: a lesson's unit, previous
 * and next, the lessons of a search index), and for each plan the keys it uses (its manifest and
 * everything reachable from it through version links). The bytes are read again when uploaded,
 * so a 50,000-lesson tree is never held in memory.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import pLimit from 'p-limit';
import type { FileKind, TreeFile } from '../build/files.ts';
import { BUILD_INFO, OWN_FILES, type BuildInfo } from '../build/output.ts';
import { DeployError } from '../errors.ts';
import { sha256 } from '../io/hash.ts';
import { keys as cdnKeys, kindOfKey, parseKey } from '../../packages/client/src/layout.ts';
import { compareCodeUnits } from '../io/compare.ts';

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
  plans: Map<string, Set<string>>;
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
    paths = await fg('**/*', { cwd: outDir, onlyFiles: true, dot: true, followSymbolicLinks: false });
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
 * The tree of files a build has just written, from the build's own files: the same OutTree as
 * `readOutTree` gives for that folder, without reading and hashing it all again. Files with the
 * same kind and bytes are parsed once (plans share most subject files); a parent the build
 * reused from the previous one (no bytes in hand) is read from the folder.
 */
export async function treeFromRendered(outDir: string, rendered: readonly TreeFile[], builtPlans: readonly string[] | null): Promise<OutTree> {
  const files = new Map<string, LocalFile>();
  const parents = new Map<string, unknown>();
  const links = new Map<string, string[]>();
  const refs = new Map<string, string[]>();
  const linksByBytes = new Map<string, { value: unknown; links: string[]; refs: string[] }>();
  // Parents the build reused are read back, one file per distinct kind and bytes, and only
  // where no file with the same bytes is in hand (plans share most subject files).
  const inHand = new Map<string, Buffer>();
  for (const f of rendered) if (f.bytes !== null && !namesOnly(f.kind)) inHand.set(`${f.kind}:${f.hash}`, f.bytes);
  const toRead = new Map<string, TreeFile>();
  for (const f of rendered) {
    const id = `${f.kind}:${f.hash}`;
    if (f.bytes === null && !namesOnly(f.kind) && !inHand.has(id) && !toRead.has(id)) toRead.set(id, f);
  }
  const limit = pLimit(READ_CONCURRENCY);
  await Promise.all([...toRead].map(([id, f]) => limit(async () => void inHand.set(id, await readRecorded(outDir, f.key, f.hash)))));
  for (const f of rendered) {
    files.set(f.key, { key: f.key, kind: f.kind, hash: f.hash, size: f.size });
    if (namesOnly(f.kind)) continue;
    const id = `${f.kind}:${f.hash}`;
    let parsed = linksByBytes.get(id);
    if (!parsed) {
      const value = parseParent(outDir, f.key, f.bytes ?? (inHand.get(id) as Buffer));
      parsed = { value, ...linksOf(value) };
      linksByBytes.set(id, parsed);
    }
    parents.set(f.key, parsed.value);
    links.set(f.key, parsed.links);
    refs.set(f.key, parsed.refs);
  }
  return assembleTree(outDir, files, parents, links, refs, builtPlans ? [...builtPlans] : null);
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
 * Lessons and search files below the index (shards, term and document files) link no version,
 * only aliases or nothing; trees leave them unparsed (the bulk of the bytes) until `loadRefs`
 * reads the few a deploy writes.
 */
function namesOnly(kind: FileKind): boolean {
  return kind === 'lesson' || kind === 'search_shard' || kind === 'search_terms' || kind === 'search_docs';
}

/** Reads and adds the aliases named by these keys' files where the tree does not know them yet. */
export async function loadRefs(tree: Pick<OutTree, 'outDir' | 'refs' | 'files'>, keys: Iterable<string>): Promise<void> {
  const limit = pLimit(READ_CONCURRENCY);
  await Promise.all(
    [...keys]
      .filter((key) => tree.files.has(key) && !tree.refs.has(key))
      .map((key) =>
        limit(async () => {
          const bytes = await readFile(path.join(tree.outDir, ...key.split('/')));
          tree.refs.set(key, linksOf(parseParent(tree.outDir, key, bytes)).refs);
        }),
      ),
  );
}

/**
 * What a file links: the versions of its children (parent to child links), and the aliases it
 * names (a lesson's unit, previous and next; the lessons a search file finds, which the client
 * fetches by their alias).
 */
export function linksOf(value: unknown): { links: string[]; refs: string[] } {
  const links = new Set<string>();
  const refs = new Set<string>();
  for (const key of linkedKeys(value)) (parseKey(key)?.version ? links : refs).add(key);
  const stored = (value as { storedFields?: unknown } | null)?.storedFields;
  if (stored !== null && typeof stored === 'object') {
    for (const doc of Object.values(stored as Record<string, { lesson_id?: unknown }>)) {
      if (typeof doc?.lesson_id === 'string') refs.add(cdnKeys.lesson(doc.lesson_id));
    }
  }
  return { links: [...links], refs: [...refs] };
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
