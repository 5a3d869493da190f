import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import vm from 'node:vm';
import { build as esbuild } from 'esbuild';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { SAMPLE_CACHE_DIR, SAMPLE_IDS } from '../samples/catalog.ts';
import { CLIENT_TYPES_FILE, generateClientTypes } from '../scripts/client-types.ts';
import type { Access as BuildAccess } from '../src/build/access.ts';
import { build } from '../src/build/build.ts';
import { encodeSegment as buildEncodeSegment, keys, keyToUrlPath as buildKeyToUrlPath } from '../packages/client/src/layout.ts';
import {
  CdnClient,
  CdnClientError,
  canAccess,
  type Access,
  type AccessDecision,
  type LessonFile,
  type Manifest,
  type SearchHit,
  type ShardedSearchIndexFile,
  type SubjectFile,
  type User,
} from '../packages/client/src/index.ts';
import { encodeSegment, keyToUrlPath } from '../packages/client/src/keys.ts';
import { aliasOfLink, cdnPaths, isVersionLink } from '../packages/client/src/layout.ts';
import { sha256Hex } from '../packages/client/src/sha256.ts';
import { writeGeneratedCatalog } from '../src/generate/generator.ts';
import { memoryLogger } from '../src/log.ts';
import { startPreviewServer, type PreviewServer } from '../src/preview/server.ts';
import { SEARCH_VERSION } from '../packages/client/src/search/config.ts';
import { retypeQuery } from '../packages/client/src/search/keyboard.ts';
import { linkTarget, outFile, tempDir } from './helpers.ts';

const P = SAMPLE_IDS.plans;
const S = SAMPLE_IDS.subjects;

let sampleOut: string;
let bigOut: string;
let sample: PreviewServer;
let big: PreviewServer;
/** The generated plan, big enough for a sharded search index. */
let bigPlan: string;

beforeAll(async () => {
  const dir = await tempDir('memora-client-');
  sampleOut = path.join(dir, 'sample-out');
  await build({ cacheDir: SAMPLE_CACHE_DIR, outDir: sampleOut, log: memoryLogger() });
  const bigCache = path.join(dir, 'big-cache');
  bigOut = path.join(dir, 'big-out');
  // One plan of a little over 500 lessons: sharded, with one-part subjects and (for this seed) a two-part one.
  await writeGeneratedCatalog(bigCache, { plans: 1, lessons: 560, seed: 1 });
  await build({ cacheDir: bigCache, outDir: bigOut, log: memoryLogger() });
  const plans = await readdir(path.join(bigOut, 'plans'));
  expect(plans).toHaveLength(1);
  bigPlan = decodeURIComponent(plans[0] ?? '');
  // Only the CDN files are needed: no viewer assets (so nothing is bundled at start).
  const viewer = { files: new Map() };
  sample = await startPreviewServer({ outDir: sampleOut, port: 0, viewer });
  big = await startPreviewServer({ outDir: bigOut, port: 0, viewer });
});

afterAll(async () => {
  await sample?.close();
  await big?.close();
});

/** A file of a built tree, by key. */
async function readJson<T>(out: string, key: string): Promise<T> {
  return JSON.parse(await readFile(outFile(out, key), 'utf8')) as T;
}

/** A fetch that serves a built tree from disk and records what it was asked. */
function diskFetch(out: string, base: string, tamper?: (url: string, text: string) => string | Response) {
  const calls: string[] = [];
  const fn = async (input: RequestInfo | URL): Promise<Response> => {
    const url = String(input);
    calls.push(url);
    if (!url.startsWith(base)) return new Response('not here', { status: 404 });
    const rel = new URL(url).pathname.slice(new URL(base).pathname.length);
    const key = rel.split('/').map(decodeURIComponent).join('/');
    let text: string;
    try {
      text = await readFile(outFile(out, key), 'utf8');
    } catch {
      return new Response('{"error":"not found"}', { status: 404, statusText: 'Not Found' });
    }
    const changed = tamper ? tamper(url, text) : text;
    return changed instanceof Response ? changed : new Response(changed, { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: fn as typeof fetch, calls };
}

function findTrack(subject: SubjectFile, id: string) {
  const track = subject.tracks.find((t) => t.id === id);
  if (!track) throw new Error(`no track ${id} in ${subject.id}`);
  return track;
}

function findUnit(subject: SubjectFile, id: string) {
  const unit = subject.tracks.flatMap((t) => t.units).find((u) => u.id === id);
  if (!unit) throw new Error(`no unit ${id} in ${subject.id}`);
  return unit;
}

function findLesson(subject: SubjectFile, id: string) {
  const lesson = subject.tracks.flatMap((t) => t.units.flatMap((u) => u.topics.flatMap((tp) => tp.lessons))).find((l) => l.id === id);
  if (!lesson) throw new Error(`no lesson ${id} in ${subject.id}`);
  return lesson;
}

function manifestSubject(manifest: Manifest, id: string) {
  const subject = manifest.subjects.find((s) => s.id === id);
  if (!subject) throw new Error(`no subject ${id} in ${manifest.plan_id}`);
  return subject;
}

describe('types', () => {
  it('the committed types are what the schemas generate (npm run client-types)', async () => {
    const committed = await readFile(CLIENT_TYPES_FILE, 'utf8');
    expect(await generateClientTypes()).toBe(committed);
    expect(committed.startsWith('/**\n * generated by npm run client-types; do not edit')).toBe(true);
  });

  it("the client's Access is the build's Access", () => {
    expectTypeOf<Access>().toEqualTypeOf<BuildAccess>();
  });
});

describe('browser safety', () => {
  it('bundles for the browser without Node modules, and runs with web APIs only', async () => {
    const result = await esbuild({
      entryPoints: [path.resolve('packages/client/src/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'MemoraClient',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => i.startsWith('node:') || !/^(packages\/client\/src\/|node_modules\/minisearch\/)/.test(i))).toEqual([]);
    const code = result.outputFiles[0]?.text ?? '';
    expect(code).not.toMatch(/\brequire\(/);

    // A context with the web APIs the client needs and nothing of Node (no process, Buffer, require).
    const context = vm.createContext({ fetch, URL, TextEncoder, console });
    vm.runInContext(code, context);
    const script = `(async () => {
      const client = new MemoraClient.CdnClient({ baseUrl: ${JSON.stringify(sample.url)} });
      const manifest = await client.loadManifest(${JSON.stringify(P.grade7Arabic)});
      const hits = await client.search(${JSON.stringify(P.grade7Arabic)}, 'الكسر العشري');
      const access = MemoraClient.canAccess(manifest.subjects[0], { kind: 'anonymous' });
      return JSON.stringify({ plan: manifest.plan_id, lessons: hits.map((h) => h.lessonId), access, fetches: client.fetchCount });
    })()`;
    const out = JSON.parse(await (vm.runInContext(script, context) as Promise<string>)) as {
      plan: string;
      lessons: string[];
      access: AccessDecision;
      fetches: number;
    };
    expect(out.plan).toBe(P.grade7Arabic);
    expect(out.lessons).toContain('m2d3e4c5r6');
    expect(out.access.allowed).toBe(false);
    expect(out.fetches).toBe(2);
  });
});

describe('keys', () => {
  const tricky = [
    'p7ar2k4m9x',
    'Unit 1/A',
    'Unit 1 Intro',
    'GEO/7-ANGLES',
    'درس-الكسور',
    'lesson..x',
    '.',
    '..',
    '.hidden',
    '%',
    '100%',
    'a\\b',
    'tab\there',
    'new\nline',
    '\u0000',
    '',
    'émoji 🎓 ok',
    'ä (combining a\u0308)',
    '\ud800 lone surrogate',
    '?#&=+',
    'x'.repeat(200),
    'x'.repeat(201),
    'x'.repeat(174) + '/',
    'x'.repeat(173) + '/y',
    '/'.repeat(80),
    'مُقَدِّمَةٌ فِي الجَبْرِ '.repeat(20),
    '🎓'.repeat(70),
    'a'.repeat(170) + 'é'.repeat(20),
  ];

  it.each(tricky.map((id) => [JSON.stringify(id).slice(0, 60), id] as const))('encodes %s as the build does', (_label, id) => {
    expect(encodeSegment(id)).toBe(buildEncodeSegment(id));
    expect(cdnPaths.manifest(id)).toBe(buildKeyToUrlPath(keys.manifest(id)));
    expect(cdnPaths.lesson(id)).toBe(buildKeyToUrlPath(keys.lesson(id)));
    expect(keyToUrlPath(keys.unit(id))).toBe(buildKeyToUrlPath(keys.unit(id)));
  });

  it('hashes like node:crypto', () => {
    const inputs = ['', 'abc', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'x'.repeat(1000), 'درس 🎓', ...tricky];
    for (const input of inputs) expect(sha256Hex(input), input).toBe(createHash('sha256').update(input, 'utf8').digest('hex'));
  });
});

describe('loading and following links', () => {
  it('loads a manifest, a subject, a unit, a lesson and the next lesson, each once', async () => {
    const client = new CdnClient({ baseUrl: sample.url });
    const manifest = await client.loadManifest(P.grade7Arabic);
    expect(manifest).toMatchObject({ format_version: 2, plan_id: P.grade7Arabic, title: 'الخطة الدراسية - الصف السابع' });
    expect(manifest.subjects.map((s) => s.id)).toEqual([S.math, S.science, S.arabic]);
    expect(client.fetchCount).toBe(1);

    const math = await client.loadSubject(manifestSubject(manifest, S.math));
    expect(math.id).toBe(S.math);
    expect(math.tracks.length).toBeGreaterThan(0);
    const unitRef = findUnit(math, 'GEO/7-ANGLES');
    expect(unitRef.url).toMatch(/^units\/GEO%252F7-ANGLES~[0-9a-f]{16}\.json$/);
    const unit = await client.loadUnit(unitRef);
    expect(unit).toMatchObject({ id: 'GEO/7-ANGLES', parents: { subject: { id: S.math } } });
    expect(client.fetchCount).toBe(3);

    const firstRef = unit.topics[0]?.lessons[0];
    if (!firstRef) throw new Error('unit without lessons');
    const lesson = await client.loadLesson(firstRef);
    expect(lesson.id).toBe(firstRef.id);
    expect(lesson.stages.length).toBe(firstRef.stage_count);
    const next = lesson.navigation.next;
    if (!next) throw new Error(`${lesson.id} has no next lesson`);
    const nextLesson = await client.loadLesson(next);
    expect(nextLesson.id).toBe(next.id);
    expect(nextLesson.navigation.previous?.id).toBe(lesson.id);
    // Up to the unit through the lesson's unversioned parent link: another URL, so another fetch.
    const parentUnit = await client.loadUnit(nextLesson.parents.unit);
    expect(parentUnit.id).toBe(nextLesson.parents.unit.id);
    expect(client.fetchCount).toBe(6);

    // Following the same links again costs nothing.
    await client.loadManifest(P.grade7Arabic);
    await client.loadSubject(manifestSubject(manifest, S.math));
    await client.loadUnit(unitRef);
    await client.loadLesson(firstRef);
    await client.loadLesson(next);
    await client.loadUnit(nextLesson.parents.unit);
    expect(client.fetchCount).toBe(6);
    // ...also when asked at the same time.
    const fresh = new CdnClient({ baseUrl: sample.url });
    await Promise.all([fresh.loadManifest(P.grade7Arabic), fresh.loadManifest(P.grade7Arabic), fresh.loadManifest(P.grade7Arabic)]);
    expect(fresh.fetchCount).toBe(1);
    // A manifest reload fetches again.
    await fresh.loadManifest(P.grade7Arabic, { reload: true });
    expect(fresh.fetchCount).toBe(2);
  });

  it('loads lessons with non-ASCII and dotted IDs through their encoded links', async () => {
    const client = new CdnClient({ baseUrl: sample.url.replace(/\/$/, '') });
    const manifest = await client.loadManifest(P.grade7English);
    const math = await client.loadSubject(manifestSubject(manifest, S.math));
    expect(math.title).toBe('Mathematics');
    for (const id of ['درس-الكسور', 'lesson..x']) {
      const lesson = await client.loadLesson(findLesson(math, id));
      expect(lesson.id).toBe(id);
    }
    const unit = await client.loadUnit(findUnit(math, 'Unit 1 Intro'));
    expect(unit.id).toBe('Unit 1 Intro');
  });

  it('uses an injected fetch, resolves against a base path, and encodes plan IDs like the build', async () => {
    const base = 'https://cdn.example.test/memora/';
    const { fetch: fake, calls } = diskFetch(sampleOut, base);
    const client = new CdnClient({ baseUrl: 'https://cdn.example.test/memora', fetch: fake });
    const manifest = await client.loadManifest(P.summerBridge);
    expect(manifest.plan_id).toBe(P.summerBridge);
    const english = await client.loadSubject(manifestSubject(manifest, S.english));
    expect(english.id).toBe(S.english);
    expect(calls).toEqual([`${base}plans/${P.summerBridge}/manifest.json`, `${base}${manifestSubject(manifest, S.english).url}`]);
    expect(client.fetchCount).toBe(2);

    const tricky = 'Plan 7/A %';
    await expect(client.loadManifest(tricky)).rejects.toThrow(CdnClientError);
    expect(calls.at(-1)).toBe(`${base}plans/Plan%25207%252FA%2520%2525/manifest.json`);
    expect(calls.at(-1)).toBe(`${base}${buildKeyToUrlPath(keys.manifest(tricky))}`);

    // A path as base (no page to resolve it against in Node): the injected fetch gets the joined path.
    const seen: string[] = [];
    const pathClient = new CdnClient({
      baseUrl: '/cdn',
      fetch: (async (input: RequestInfo | URL) => {
        seen.push(String(input));
        return new Response('{"ok":true}');
      }) as typeof fetch,
    });
    await pathClient.loadLesson({ url: 'lessons/a%2520b.json' });
    expect(seen).toEqual(['/cdn/lessons/a%2520b.json']);
  });
});

describe('after a deploy', () => {
  const base = 'https://cdn.example.test/';
  const isLessonAlias = (url: string) => /\/lessons\/[^/~]+\.json$/.test(new URL(url).pathname);

  it('a manifest reload forgets the lessons and units loaded through unversioned links, and keeps versions', async () => {
    let deployed = false;
    const retitle = (url: string, text: string) => (deployed && isLessonAlias(url) ? JSON.stringify({ ...(JSON.parse(text) as object), title: 'Retitled by a deploy' }) : text);
    const { fetch: fake, calls } = diskFetch(sampleOut, base, retitle);
    const client = new CdnClient({ baseUrl: base, fetch: fake });
    const manifest = await client.loadManifest(P.grade7Arabic);
    const unit = await client.loadUnit(findUnit(await client.loadSubject(manifestSubject(manifest, S.math)), 'GEO/7-ANGLES'));
    const firstRef = unit.topics[0]?.lessons[0];
    if (!firstRef) throw new Error('unit without lessons');
    const first = await client.loadLesson(firstRef);
    const nextRef = first.navigation.next;
    if (!nextRef) throw new Error(`${first.id} has no next lesson`);
    const next = await client.loadLesson(nextRef);
    const parent = await client.loadUnit(next.parents.unit);

    deployed = true;
    // Until the manifest is reloaded, what was loaded is kept.
    expect((await client.loadLesson(nextRef)).title).toBe(next.title);
    await client.loadManifest(P.grade7Arabic, { reload: true });
    const fetchedBefore = calls.length;
    expect((await client.loadLesson(nextRef)).title).toBe('Retitled by a deploy');
    expect(await client.loadUnit(next.parents.unit)).toEqual(parent);
    // Two aliases fetched again; the lesson and unit reached by versioned links were not.
    expect(calls.length - fetchedBefore).toBe(2);
    expect(await client.loadLesson(firstRef)).toBe(first);
  });

  it('loadLesson with reload fetches a lesson again (its signed video URLs expired)', async () => {
    let deployed = false;
    const retitle = (url: string, text: string) => (deployed && isLessonAlias(url) ? JSON.stringify({ ...(JSON.parse(text) as object), title: 'Signed again' }) : text);
    const { fetch: fake } = diskFetch(sampleOut, base, retitle);
    const client = new CdnClient({ baseUrl: base, fetch: fake });
    const ref = { url: cdnPaths.lesson('l4m5u6l7t8') };
    const before = await client.loadLesson(ref);
    deployed = true;
    expect(await client.loadLesson(ref)).toBe(before);
    expect((await client.loadLesson(ref, { reload: true })).title).toBe('Signed again');
    expect((await client.loadLesson(ref)).title).toBe('Signed again');
  });

  it('loadLesson with reload of a lesson reached by a versioned link fetches its unversioned path, where the last deploy wrote', async () => {
    let deployed = false;
    const resigned = (url: string, text: string) => (deployed && isLessonAlias(url) ? JSON.stringify({ ...(JSON.parse(text) as object), signed_url_expiry: '2099-01-01T00:00:00Z' }) : text);
    const { fetch: fake, calls } = diskFetch(sampleOut, base, resigned);
    const client = new CdnClient({ baseUrl: base, fetch: fake });
    const unit = await client.loadUnit(findUnit(await client.loadSubject(manifestSubject(await client.loadManifest(P.grade7Arabic), S.math)), 'GEO/7-ANGLES'));
    const ref = unit.topics[0]?.lessons[0];
    if (!ref) throw new Error('unit without lessons');
    expect(isVersionLink(ref.url)).toBe(true);
    const before = await client.loadLesson(ref);
    deployed = true;
    const fetchedBefore = calls.length;
    const again = await client.loadLesson(ref, { reload: true });
    expect(again.signed_url_expiry).toBe('2099-01-01T00:00:00Z');
    expect(again.id).toBe(before.id);
    expect(calls.slice(fetchedBefore)).toEqual([client.resolve(cdnPaths.lesson(before.id))]);
    // The version stays what it was; the alias is kept like any unversioned load.
    expect(await client.loadLesson(ref)).toBe(before);
    expect(await client.loadLesson({ url: cdnPaths.lesson(before.id) })).toBe(again);
  });

  it('aliasOfLink drops the version of a link and keeps its host, base path and query', () => {
    expect(aliasOfLink('lessons/L1~0123456789abcdef.json')).toBe('lessons/L1.json');
    expect(aliasOfLink('https://cdn.test/memora/units/GEO%252F7~0123456789abcdef.json?x=1')).toBe('https://cdn.test/memora/units/GEO%252F7.json?x=1');
    expect(aliasOfLink('lessons/L1.json')).toBe('lessons/L1.json');
    expect(aliasOfLink('lessons/L1~0123.json')).toBe('lessons/L1~0123.json');
  });

  it('a manifest this client cannot read is not kept: a reload keeps the one loaded before, and a first load tries again', async () => {
    let broken = false;
    const proxyError = (url: string, text: string) => (broken && url.endsWith('/manifest.json') ? '{"error":"upstream timed out"}' : text);
    const { fetch: fake } = diskFetch(sampleOut, base, proxyError);
    const client = new CdnClient({ baseUrl: base, fetch: fake });
    const manifest = await client.loadManifest(P.grade7Arabic);
    const hits = await client.search(P.grade7Arabic, 'الكسور');
    broken = true;
    await expect(client.loadManifest(P.grade7Arabic, { reload: true })).rejects.toThrow(/format_version undefined/);
    expect(await client.loadManifest(P.grade7Arabic)).toBe(manifest);
    expect(await client.search(P.grade7Arabic, 'الكسور')).toEqual(hits);

    const fresh = new CdnClient({ baseUrl: base, fetch: fake });
    await expect(fresh.loadManifest(P.grade7Arabic)).rejects.toThrow(/format_version undefined/);
    broken = false;
    expect(await fresh.loadManifest(P.grade7Arabic)).toEqual(manifest);
  });

  it('a manifest reload that fails keeps the manifest loaded before: search and loadManifest go on working', async () => {
    let offline = false;
    const { fetch: disk } = diskFetch(sampleOut, base);
    const fake = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (offline) throw new TypeError('Failed to fetch');
      return disk(input, init);
    }) as typeof fetch;
    const client = new CdnClient({ baseUrl: base, fetch: fake });
    const manifest = await client.loadManifest(P.grade7Arabic);
    const hits = await client.search(P.grade7Arabic, 'الكسور');
    expect(hits.length).toBeGreaterThan(0);
    offline = true;
    await expect(client.loadManifest(P.grade7Arabic, { reload: true })).rejects.toThrow(/Failed to fetch/);
    expect(await client.loadManifest(P.grade7Arabic)).toBe(manifest);
    expect(await client.search(P.grade7Arabic, 'الكسور')).toEqual(hits);
  });
});

describe('errors', () => {
  it('names the URL and status of a non-2xx answer, and does not cache failures', async () => {
    const client = new CdnClient({ baseUrl: sample.url });
    const error = await client.loadManifest('no-such-plan').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdnClientError);
    const e = error as CdnClientError;
    expect(e.url).toBe(`${sample.url}plans/no-such-plan/manifest.json`);
    expect(e.status).toBe(404);
    expect(e.message).toContain(`${sample.url}plans/no-such-plan/manifest.json`);
    expect(e.message).toContain('404');
    await expect(client.loadLesson({ url: 'lessons/nope.json' })).rejects.toThrow(`${sample.url}lessons/nope.json`);
    await client.loadManifest('no-such-plan').catch(() => undefined);
    expect(client.fetchCount).toBe(3);
  });

  it('names the URL of bad JSON and of a failed request', async () => {
    const base = 'https://cdn.example.test/';
    const { fetch: fake } = diskFetch(sampleOut, base, (url, text) => (url.includes('/subjects/') ? text.slice(0, 20) : text));
    const client = new CdnClient({ baseUrl: base, fetch: fake });
    const manifest = await client.loadManifest(P.grade7Arabic);
    const ref = manifestSubject(manifest, S.math);
    const error = (await client.loadSubject(ref).catch((e: unknown) => e)) as CdnClientError;
    expect(error).toBeInstanceOf(CdnClientError);
    expect(error.url).toBe(`${base}${ref.url}`);
    expect(error.message).toMatch(/bad JSON/);
    expect(error.message).toContain(`${base}${ref.url}`);

    const down = new CdnClient({
      baseUrl: base,
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    await expect(down.loadManifest('x')).rejects.toThrow(`GET ${base}plans/x/manifest.json failed: fetch failed`);
    await expect(client.loadSubject({ url: '' })).rejects.toThrow(/no url/);
  });

  it.each([
    ['null', () => 'null', /manifest\.json: not a manifest \(a JSON object was expected\)$/],
    ['another format version', (text: string) => JSON.stringify({ ...(JSON.parse(text) as object), format_version: 3 }), /format_version 3, but this client reads version 2; update the client$/],
    ['no search index link', (text: string) => JSON.stringify({ ...(JSON.parse(text) as object), search_index_url: undefined }), /manifest\.json: the manifest has no search_index_url$/],
  ] as const)('refuses a manifest that is %s with a CdnClientError naming it, for loadManifest and search', async (_what, tamper, message) => {
    const base = 'https://cdn.example.test/';
    const { fetch: fake } = diskFetch(sampleOut, base, (url, text) => (url.endsWith('/manifest.json') ? tamper(text) : text));
    const client = new CdnClient({ baseUrl: base, fetch: fake });
    for (const attempt of [client.loadManifest(P.grade7Arabic), client.search(P.grade7Arabic, 'الكسر')]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CdnClientError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('refuses a search index of another search version, naming it', async () => {
    const base = 'https://cdn.example.test/';
    const { fetch: fake } = diskFetch(sampleOut, base, (url, text) =>
      url.includes('search_index') ? text.replace(`"search_version":${SEARCH_VERSION}`, `"search_version":${SEARCH_VERSION + 1}`) : text,
    );
    const client = new CdnClient({ baseUrl: base, fetch: fake });
    await expect(client.search(P.grade7Arabic, 'الكسر')).rejects.toThrow(
      new RegExp(`search_index~[0-9a-f]{16}\\.json: search index has search_version ${SEARCH_VERSION + 1}, but this client reads version ${SEARCH_VERSION}`),
    );
  });

  it('refuses a shard of another search version', async () => {
    const base = 'https://cdn.example.test/';
    const { fetch: fake } = diskFetch(bigOut, base, (url, text) =>
      url.includes('/search/') ? text.replace(`"search_version":${SEARCH_VERSION}`, '"search_version":0') : text,
    );
    const client = new CdnClient({ baseUrl: base, fetch: fake });
    // A plan-wide search reads the routed term files; a subject search, the shards.
    await expect(client.search(bigPlan, 'bonds')).rejects.toThrow(/search term file has search_version 0, but this client reads version/);
    const index = await readJson<ShardedSearchIndexFile>(bigOut, keys.searchIndex(bigPlan));
    await expect(client.search(bigPlan, 'bonds', { subjectId: index.shards[0]!.subject_id })).rejects.toThrow(/search shard has search_version 0/);
  });
});

describe('access', () => {
  const anonymous: User = { kind: 'anonymous' };
  const loggedIn: User = { kind: 'authenticated' };
  const owner = (...items: string[]): User => ({ kind: 'owner', items });
  const USERS = {
    anonymous,
    loggedIn,
    ownsNothing: owner(),
    ownsMath: owner('ITEM-MATH-7'),
    ownsGeometry: owner('ITEM-MATH-7-GEO'),
    ownsStatistics: owner('ITEM-MATH-7-STATS'),
    ownsLab: owner('ITEM-SCI-LAB-7'),
    ownsOther: owner('ITEM-OTHER'),
  } as const;
  type UserName = keyof typeof USERS;
  const ALL = Object.keys(USERS) as UserName[];
  const LOGGED_IN = ALL.filter((u) => u !== 'anonymous');

  interface Case {
    name: string;
    plan: string;
    /** Finds the node in the plan's files. */
    node: (manifest: Manifest, subject: (id: string) => Promise<SubjectFile>) => Promise<{ access: Access }>;
    /** The access the sample gives it (so each case exercises the rule it names). */
    access: Partial<Access>;
    allowed: readonly UserName[];
    unlockedBy?: string[];
  }

  const CASES: Case[] = [
    {
      name: 'public subject (Arabic, Set Access Level public in the Arabic plan)',
      plan: P.grade7Arabic,
      node: async (m) => manifestSubject(m, S.arabic),
      access: { access_level: 'public' },
      allowed: ALL,
    },
    {
      name: 'public subject with is_public (Science in the Arabic plan)',
      plan: P.grade7Arabic,
      node: async (m) => manifestSubject(m, S.science),
      access: { access_level: 'public' },
      allowed: ALL,
    },
    {
      name: 'free-preview unit under the paid subject (Unit 1 Intro)',
      plan: P.grade7Arabic,
      node: async (_m, subject) => findUnit(await subject(S.math), 'Unit 1 Intro'),
      access: { access_level: 'free_preview' },
      allowed: ALL,
    },
    {
      name: 'Set Free lesson inside a sold-separately track (m0p1r2o3t4 in the Arabic plan)',
      plan: P.grade7Arabic,
      node: async (_m, subject) => findLesson(await subject(S.math), 'm0p1r2o3t4'),
      access: { access_level: 'free_preview' },
      allowed: ALL,
    },
    {
      name: 'authenticated subject (English)',
      plan: P.grade7English,
      node: async (m) => manifestSubject(m, S.english),
      access: { access_level: 'authenticated' },
      allowed: LOGGED_IN,
    },
    {
      name: 'Set Access Level authenticated on a public subject (Science in the English plan)',
      plan: P.grade7English,
      node: async (m) => manifestSubject(m, S.science),
      access: { access_level: 'authenticated' },
      allowed: LOGGED_IN,
    },
    {
      name: 'paid subject (Math)',
      plan: P.grade7Arabic,
      node: async (m) => manifestSubject(m, S.math),
      access: { access_level: 'paid', required_item: 'ITEM-MATH-7', is_sold_separately: false },
      allowed: ['ownsMath'],
      unlockedBy: ['ITEM-MATH-7'],
    },
    {
      name: 'paid lesson under the paid subject (lesson..x)',
      plan: P.grade7Arabic,
      node: async (_m, subject) => findLesson(await subject(S.math), 'lesson..x'),
      access: { access_level: 'paid', required_item: 'ITEM-MATH-7' },
      allowed: ['ownsMath'],
      unlockedBy: ['ITEM-MATH-7'],
    },
    {
      name: 'sold-separately track with parent_item_required (Geometry): its item or the subject’s',
      plan: P.grade7Arabic,
      node: async (_m, subject) => findTrack(await subject(S.math), 'k8geo3tr5m'),
      access: {
        access_level: 'paid',
        required_item: 'ITEM-MATH-7-GEO',
        is_sold_separately: true,
        parent_item_required: true,
        parent_required_item: 'ITEM-MATH-7',
      },
      allowed: ['ownsMath', 'ownsGeometry'],
      unlockedBy: ['ITEM-MATH-7-GEO', 'ITEM-MATH-7'],
    },
    {
      name: 'lesson inside that track (l9a0n1g2l3)',
      plan: P.grade7Arabic,
      node: async (_m, subject) => findLesson(await subject(S.math), 'l9a0n1g2l3'),
      access: { access_level: 'paid', required_item: 'ITEM-MATH-7-GEO', parent_item_required: true, parent_required_item: 'ITEM-MATH-7' },
      allowed: ['ownsMath', 'ownsGeometry'],
      unlockedBy: ['ITEM-MATH-7-GEO', 'ITEM-MATH-7'],
    },
    {
      name: 'sold-separately track without parent_item_required (Statistics): its own item only',
      plan: P.grade7Arabic,
      node: async (_m, subject) => findTrack(await subject(S.math), 'k9sta7ts2q'),
      access: { access_level: 'paid', required_item: 'ITEM-MATH-7-STATS', is_sold_separately: true, parent_item_required: false },
      allowed: ['ownsStatistics'],
      unlockedBy: ['ITEM-MATH-7-STATS'],
    },
    {
      name: 'paid track in a public subject, Set Sold Separately (Virtual Lab in the English plan)',
      plan: P.grade7English,
      node: async (_m, subject) => findTrack(await subject(S.science), 'l4b5t6r7k8'),
      access: { access_level: 'paid', required_item: 'ITEM-SCI-LAB-7', is_sold_separately: true, parent_item_required: false },
      allowed: ['ownsLab'],
      unlockedBy: ['ITEM-SCI-LAB-7'],
    },
  ];

  let client: CdnClient;
  beforeAll(() => {
    client = new CdnClient({ baseUrl: sample.url });
  });

  describe.each(CASES)('$name', (c) => {
    it.each(ALL)('for %s', async (userName) => {
      const manifest = await client.loadManifest(c.plan);
      const node = await c.node(manifest, (id) => client.loadSubject(manifestSubject(manifest, id)));
      expect(node.access).toMatchObject(c.access);
      const decision = canAccess(node, USERS[userName]);
      const allowed = c.allowed.includes(userName);
      expect(decision.allowed, decision.reason).toBe(allowed);
      expect(decision.reason.length).toBeGreaterThan(0);
      if (!allowed && c.access.access_level === 'paid') expect(decision.unlockedBy).toEqual(c.unlockedBy);
      else expect(decision.unlockedBy).toBeUndefined();
    });
  });

  it('gives reasons', () => {
    const paidIsland: Access = {
      is_published: true,
      access_level: 'paid',
      required_item: 'ITEM-MATH-7-GEO',
      is_sold_separately: true,
      parent_item_required: true,
      parent_required_item: 'ITEM-MATH-7',
    };
    const authenticated: Access = { is_published: true, access_level: 'authenticated', is_sold_separately: false, parent_item_required: false };
    expect(canAccess({ access: authenticated }, anonymous)).toEqual({ allowed: false, reason: 'log in to see it' });
    expect(canAccess({ access: authenticated }, loggedIn)).toEqual({ allowed: true, reason: 'authenticated: open to logged-in users' });
    expect(canAccess({ access: paidIsland }, owner('ITEM-MATH-7'))).toEqual({ allowed: true, reason: 'paid: unlocked by item ITEM-MATH-7' });
    expect(canAccess({ access: paidIsland }, owner('ITEM-MATH-7-GEO', 'ITEM-MATH-7'))).toEqual({
      allowed: true,
      reason: 'paid: unlocked by item ITEM-MATH-7-GEO',
    });
    expect(canAccess({ access: paidIsland }, loggedIn)).toEqual({
      allowed: false,
      reason: 'paid: needs one of items ITEM-MATH-7-GEO, ITEM-MATH-7',
      unlockedBy: ['ITEM-MATH-7-GEO', 'ITEM-MATH-7'],
    });
    expect(canAccess({ access: paidIsland }, anonymous).reason).toBe('paid: log in and buy one of items ITEM-MATH-7-GEO, ITEM-MATH-7');
    expect(canAccess({ access: { ...paidIsland, parent_required_item: undefined } }, owner('ITEM-MATH-7-GEO')).reason).toBe(
      'paid: unlocked by item ITEM-MATH-7-GEO',
    );
  });

  it('honours parent_required_item only when parent_item_required says so, and refuses malformed nodes', () => {
    const odd: Access = {
      is_published: true,
      access_level: 'paid',
      required_item: 'ITEM-A',
      is_sold_separately: true,
      parent_item_required: false,
      parent_required_item: 'ITEM-B',
    };
    expect(canAccess({ access: odd }, owner('ITEM-B'))).toEqual({ allowed: false, reason: 'paid: needs item ITEM-A', unlockedBy: ['ITEM-A'] });
    const noItem = { is_published: true, access_level: 'paid', is_sold_separately: false, parent_item_required: false } as Access;
    expect(canAccess({ access: noItem }, owner('ITEM-A')).allowed).toBe(false);
    const unpublished = { ...odd, is_published: false } as unknown as Access;
    expect(canAccess({ access: unpublished }, owner('ITEM-A'))).toEqual({ allowed: false, reason: 'not published' });
    const unknown = { ...odd, access_level: 'vip' } as unknown as Access;
    expect(canAccess({ access: unknown }, owner('ITEM-A')).allowed).toBe(false);
  });

  it('a track that a plan stops selling separately keeps its own item (Statistics in the bridge plan)', async () => {
    const manifest = await client.loadManifest(P.summerBridge);
    const math = await client.loadSubject(manifestSubject(manifest, S.math));
    const stats = findTrack(math, 'k9sta7ts2q');
    expect(stats.access).toMatchObject({ access_level: 'paid', required_item: 'ITEM-MATH-7-STATS', is_sold_separately: false });
    expect(canAccess(stats, owner('ITEM-MATH-7-STATS')).allowed).toBe(true);
    expect(canAccess(stats, owner('ITEM-MATH-7')).allowed).toBe(false);
  });
});

describe('search in an unsharded plan', () => {
  it('finds Arabic titles written with diacritics from a query without them', async () => {
    const client = new CdnClient({ baseUrl: sample.url });
    const hits = await client.search(P.grade7Arabic, 'الكسر العشري');
    const hit = hits.find((h) => h.lessonId === 'm2d3e4c5r6');
    expect(hit).toMatchObject({
      lessonName: 'الكَسْرُ العَشْرِيُّ وقِراءَتُهُ',
      subjectId: S.math,
      subjectName: 'الرياضيات',
      unitId: 'd3c1m4l5s6',
      topicId: 't6fp1r2e3v',
      topicName: 'الكَسْرُ العَشْرِيُّ',
      url: 'lessons/m2d3e4c5r6.json',
    } satisfies Partial<SearchHit>);
    expect(hit?.score).toBeGreaterThan(0);
    expect(hit?.terms.length).toBeGreaterThan(0);
    // The manifest and the one index, nothing else.
    expect(client.fetchCount).toBe(2);
    // Alef forms and taa marbuta: أنواع الجملة typed as انواع الجمله.
    expect((await client.search(P.grade7Arabic, 'انواع الجمله')).map((h) => h.lessonId)).toContain('a2j3m4l5t6');
    expect((await client.search(P.grade7Arabic, 'ان واخواتها')).map((h) => h.lessonId)).toContain('a3i4n5n6a7');
    expect(client.fetchCount).toBe(2);
    // A hit leads to its lesson.
    const lesson: LessonFile = await client.loadLesson(hit as SearchHit);
    expect(lesson.id).toBe('m2d3e4c5r6');
  });

  it('matches English by prefix and fuzzily, unless told not to', async () => {
    const client = new CdnClient({ baseUrl: sample.url });
    const ids = async (query: string, options?: Parameters<CdnClient['search']>[2]) =>
      (await client.search(P.grade7English, query, options)).map((h) => h.lessonId);
    expect(await ids('photosyn')).toContain('n1p2h3o4t5');
    expect(await ids('PHOTOSYN')).toContain('n1p2h3o4t5');
    expect(await ids('photosyn', { prefix: false })).not.toContain('n1p2h3o4t5');
    expect(await ids('photosynthsis')).toContain('n1p2h3o4t5');
    expect(await ids('photosynthsis', { fuzzy: false })).not.toContain('n1p2h3o4t5');
    expect(await ids('fotosynthesis', { fuzzy: 0.3 })).toContain('n1p2h3o4t5');
    expect(client.fetchCount).toBe(2);
  });

  it('shows titles as the plan does, filters by subject and honours the limit', async () => {
    const client = new CdnClient({ baseUrl: sample.url });
    const english = await client.search(P.grade7English, 'fractions');
    expect(english.find((h) => h.lessonId === 'lesson..x')).toMatchObject({ subjectName: 'Mathematics', url: 'lessons/lesson..x.json' });
    const bridge = await client.search(P.summerBridge, 'summer review');
    expect(bridge.map((h) => h.lessonId)).toEqual(['lesson..x']);

    const all = await client.search(P.grade7Arabic, 'التشبيه');
    expect(all.length).toBeGreaterThan(1);
    expect(all.every((h) => h.subjectId === S.arabic)).toBe(true);
    expect(await client.search(P.grade7Arabic, 'التشبيه', { subjectId: S.math })).toEqual([]);
    expect((await client.search(P.grade7Arabic, 'التشبيه', { subjectId: S.arabic })).length).toBe(all.length);
    expect(await client.search(P.grade7Arabic, 'التشبيه', { limit: 1 })).toEqual(all.slice(0, 1));
    const scores = all.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(await client.search(P.grade7Arabic, '  ؟ ')).toEqual([]);
  });
});

describe('search: a query typed on the other keyboard layout', () => {
  it('finds Arabic titles from the keys typed on the English layout, and names the query it searched', async () => {
    const client = new CdnClient({ baseUrl: sample.url });
    const meant = await client.search(P.grade7Arabic, 'الكسور');
    expect(meant.length).toBeGreaterThan(0);
    expect(meant.every((hit) => hit.retypedQuery === undefined)).toBe(true);
    // ا ل ك س و ر are the keys h g ; s , v.
    expect(await client.search(P.grade7Arabic, 'hg;s,v')).toEqual(meant.map((hit) => ({ ...hit, retypedQuery: 'الكسور' })));
    expect(await client.search(P.grade7Arabic, 'Hg;s,v')).toEqual(meant.map((hit) => ({ ...hit, retypedQuery: 'الكسور' })));
  });

  it('finds English titles from the keys typed on the Arabic layout', async () => {
    const client = new CdnClient({ baseUrl: sample.url });
    const meant = await client.search(P.grade7English, 'fractions');
    expect(meant.map((h) => h.lessonId)).toContain('lesson..x');
    expect(await client.search(P.grade7English, 'بقشؤفهخىس')).toEqual(meant.map((hit) => ({ ...hit, retypedQuery: 'fractions' })));
  });

  it('keeps the hits of the query as typed when it finds words, and retypes nothing with retype: false', async () => {
    const client = new CdnClient({ baseUrl: sample.url });
    expect((await client.search(P.grade7English, 'fractions')).some((hit) => 'retypedQuery' in hit)).toBe(false);
    expect(await client.search(P.grade7Arabic, 'hg;s,v', { retype: false })).toEqual([]);
  });

  it('takes the retyped query only where it spells words on the other layout, not near spellings alone', async () => {
    const client = new CdnClient({ baseUrl: sample.url });
    expect(await client.search(P.grade7Arabic, 'qwqwqw')).toEqual([]);
    // الكسوؤ, one key off, is only a near spelling of الكسور.
    const near = await client.search(P.grade7Arabic, 'الكسوؤ');
    expect(near.length).toBeGreaterThan(0);
    expect(near.every((hit) => hit.match === 'fuzzy' && hit.retypedQuery === undefined)).toBe(true);
    expect(await client.search(P.grade7Arabic, 'hg;s,c')).toEqual([]);
  });

  it('answers a query whose near spellings find lessons at once, without fetching the other layout\'s files', async () => {
    const index = await readJson<ShardedSearchIndexFile>(bigOut, keys.searchIndex(bigPlan));
    const shard = await readJson<{ storedFields: Record<string, { lesson_name: string }> }>(bigOut, linkTarget(index.shards[0]!.url).alias);
    const word = Object.values(shard.storedFields)
      .flatMap((d) => d.lesson_name.split(' '))
      .find((w) => /^[a-z]{7,}$/.test(w));
    if (!word) throw new Error('the generated plan has no Latin word of 7 letters or more');
    const typo = `${word.slice(0, -1)}${word.endsWith('z') ? 'q' : 'z'}`;
    const counted = () => {
      const fetched: string[] = [];
      return { fetched, client: new CdnClient({ baseUrl: big.url, fetch: (input, init) => (fetched.push(String(input)), fetch(input, init)) }) };
    };
    const a = counted();
    const hits = await a.client.search(bigPlan, typo);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((hit) => hit.match === 'fuzzy' && hit.retypedQuery === undefined)).toBe(true);
    const b = counted();
    expect(await b.client.search(bigPlan, typo, { retype: false })).toEqual(hits);
    expect(a.fetched).toEqual(b.fetched);
    // A query that finds nothing is retyped: its Arabic words' term files are fetched too.
    const c = counted();
    expect(await c.client.search(bigPlan, 'qxqxqxq')).toEqual([]);
    const d = counted();
    expect(await d.client.search(bigPlan, 'qxqxqxq', { retype: false })).toEqual([]);
    expect(c.fetched.length).toBeGreaterThan(d.fetched.length);
  });

  it('retypes a plan-wide search of a sharded plan, through its routed files', async () => {
    const index = await readJson<ShardedSearchIndexFile>(bigOut, keys.searchIndex(bigPlan));
    const shard = await readJson<{ storedFields: Record<string, { lesson_id: string; lesson_name: string }> }>(bigOut, linkTarget(index.shards[0]!.url).alias);
    const doc = Object.values(shard.storedFields).find((d) => /^[a-z ]+$/i.test(d.lesson_name));
    if (!doc) throw new Error('the generated plan has no lesson titled in Latin letters only');
    const typed = retypeQuery(doc.lesson_name);
    expect(typed).toMatch(/^[\u0600-\u06FF ]+$/);
    const client = new CdnClient({ baseUrl: big.url });
    const hits = await client.search(bigPlan, typed!);
    expect(hits.map((h) => h.lessonId)).toContain(doc.lesson_id);
    expect(new Set(hits.map((h) => h.retypedQuery))).toEqual(new Set([doc.lesson_name.toLowerCase()]));
  });
});

describe('search in a sharded plan', () => {
  let index: ShardedSearchIndexFile;
  /** Subject -> its shard entries. */
  let parts: Map<string, ShardedSearchIndexFile['shards']>;

  beforeAll(async () => {
    index = await readJson<ShardedSearchIndexFile>(bigOut, keys.searchIndex(bigPlan));
    expect(index.sharded).toBe(true);
    parts = new Map();
    for (const s of index.shards) parts.set(s.subject_id, [...(parts.get(s.subject_id) ?? []), s]);
  });

  async function shardDocs(entry: { url: string }) {
    const key = linkTarget(entry.url).alias;
    const shard = await readJson<{ storedFields: Record<string, { lesson_id: string; lesson_name: string; subject_id: string }> }>(bigOut, key);
    return Object.values(shard.storedFields);
  }

  it('loads exactly the shard of a one-part subject for a subject search, and no shard for a plan-wide one', async () => {
    const single = [...parts].find(([, entries]) => entries.length === 1);
    if (!single) throw new Error('the generated plan has no one-part subject');
    const [subjectId, [entry]] = single as unknown as [string, [{ url: string; subject_name: string }]];
    const doc = (await shardDocs(entry))[0];
    if (!doc) throw new Error('empty shard');

    const client = new CdnClient({ baseUrl: big.url });
    const hits = await client.search(bigPlan, doc.lesson_name, { subjectId });
    expect(hits.map((h) => h.lessonId)).toContain(doc.lesson_id);
    expect(hits.every((h) => h.subjectId === subjectId && h.subjectName === entry.subject_name)).toBe(true);
    // Manifest, search_index.json, one shard.
    expect(client.fetchCount).toBe(3);
    await client.search(bigPlan, doc.lesson_name, { subjectId });
    expect(client.fetchCount).toBe(3);

    const fetched: string[] = [];
    const counting = new CdnClient({ baseUrl: big.url, fetch: (input, init) => (fetched.push(String(input)), fetch(input, init)) });
    const planWide = await counting.search(bigPlan, doc.lesson_name, { limit: 1000 });
    expect(planWide.map((h) => h.lessonId)).toContain(doc.lesson_id);
    // The manifest, search_index.json, then routed term (and document) files only.
    const after = fetched.slice(2);
    expect(after.length).toBeGreaterThan(0);
    for (const url of after) expect(url).toMatch(/\/search\/~[td]\d+~[0-9a-f]{16}\.json$/);
    expect(after.length).toBeLessThan(index.routing.terms.length + index.routing.docs.length);
    // Sorted by match, then score.
    const order = planWide.map((h) => [['word', 'stem', 'fuzzy'].indexOf(h.match), -h.score] as const);
    expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
  });

  it('loads all parts of a subject split into several shards, and no other', async () => {
    const multi = [...parts].find(([, entries]) => entries.length > 1);
    if (!multi) return; // the generator's sizes decide; the one-part case above always runs
    const [subjectId, entries] = multi;
    const docs = (await Promise.all(entries.map(shardDocs))).flat();
    const last = docs.at(-1);
    if (!last) throw new Error('empty shards');
    const client = new CdnClient({ baseUrl: big.url });
    const hits = await client.search(bigPlan, last.lesson_name, { subjectId, limit: 1000 });
    expect(hits.map((h) => h.lessonId)).toContain(last.lesson_id);
    expect(hits.every((h) => h.subjectId === subjectId)).toBe(true);
    expect(client.fetchCount).toBe(2 + entries.length);
  });

  it('merges hits of several subjects by score, up to the limit (20 by default)', async () => {
    // A word that lessons of at least two subjects share.
    const subjectsByWord = new Map<string, Set<string>>();
    for (const entry of index.shards) {
      for (const doc of await shardDocs(entry)) {
        for (const word of doc.lesson_name.toLowerCase().split(/[^\p{L}]+/u)) {
          if (word.length < 5) continue;
          subjectsByWord.set(word, (subjectsByWord.get(word) ?? new Set()).add(doc.subject_id));
        }
      }
    }
    const shared = [...subjectsByWord].filter(([, subjects]) => subjects.size >= 2).sort((a, b) => b[1].size - a[1].size || (a[0] < b[0] ? -1 : 1))[0];
    if (!shared) throw new Error('no word shared by two subjects');
    const client = new CdnClient({ baseUrl: big.url });
    const hits = await client.search(bigPlan, shared[0], { limit: 1000, fuzzy: false, prefix: false });
    expect(new Set(hits.map((h) => h.subjectId)).size).toBeGreaterThanOrEqual(2);
    const order = hits.map((h) => [['word', 'stem', 'fuzzy'].indexOf(h.match), -h.score] as const);
    expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
    const top = await client.search(bigPlan, shared[0], { fuzzy: false, prefix: false });
    expect(top).toEqual(hits.slice(0, Math.min(20, hits.length)));
    expect(await client.search(bigPlan, shared[0], { subjectId: 'no-such-subject' })).toEqual([]);
  });

  it('a search hit links to a lesson file of the tree', async () => {
    const client = new CdnClient({ baseUrl: big.url });
    const [hit] = await client.search(bigPlan, (await shardDocs(index.shards[0] as { url: string }))[0]?.lesson_name ?? '');
    if (!hit) throw new Error('no hit');
    const lesson = await client.loadLesson(hit);
    expect(lesson.id).toBe(hit.lessonId);
    expect(lesson.parents.subject.id).toBe(hit.subjectId);
  });
});
