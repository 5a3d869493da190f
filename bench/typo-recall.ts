/**
 * `npm run bench:typos [-- --lessons N --seed S --words W]`: how often a one-letter typo in a title
 * word still finds its lesson in a plan-wide search of a large (routed) plan, beside a search of
 * the plan's loaded shards (every term compared) and beside the same routed search without the
 * vocabulary files (as plans built before them are searched). A separate script, not a scenario
 * of `npm run bench`: it generates a 1-plan catalog (as section 5 of BENCHMARKS.md does), builds
 * it, serves it on 127.0.0.1, and searches. Counts, not times: the figures are the same on any
 * machine. Prints a markdown table (bench/FINDINGS.md keeps the last one, with its command line).
 *
 * The words: the distinct title words of 5 letters or more (Arabic) or 6 or more (Latin), every
 * k-th in code-point order, about W of them. Each gets a typo at the first letter of the word
 * without its article, the second, the third and the last: the letter replaced by another of the
 * same alphabet, drawn from a seeded generator. A search "finds" the word when one of its first
 * 20 hits is a lesson whose title holds the word as written.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import MiniSearch from 'minisearch';
import { build } from '../src/build/build.ts';
import { writeGeneratedCatalog } from '../src/generate/generator.ts';
import { Random } from '../src/generate/random.ts';
import { memoryLogger } from '../src/log.ts';
import { startPreviewServer } from '../src/preview/server.ts';
import { CdnClient } from '../packages/client/src/client.ts';
import { keys } from '../packages/client/src/layout.ts';
import { loadSearchIndex } from '../packages/client/src/search/config.ts';
import { tokenize } from '../packages/client/src/search/normalize.ts';
import { queryWords, searchIndexes } from '../packages/client/src/search/query.ts';
import { int, table } from './lib/format.ts';
import { ARABIC_LETTERS, LATIN_LETTERS } from './scenarios/search.ts';

const HITS = 20;

export interface TypoRecallOptions {
  lessons: number;
  seed: number;
  /** About how many words to sample. */
  words: number;
}

export interface TypoRecallRow {
  /** Where the typo is: `first`, `second`, `third` (letters of the word without its article) or `last`. */
  position: string;
  typos: number;
  shards: number;
  routed: number;
  routedWithoutVocabulary: number;
}

export interface TypoRecall {
  lessonsShown: number;
  termFiles: number;
  vocabularyFiles: number;
  wordsSampled: number;
  rows: TypoRecallRow[];
}

/** A fetch that serves search_index.json without `routing.vocabulary`, as a plan built before vocabulary files. */
function withoutVocabulary(inner: typeof fetch): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await inner(input, init);
    const url = input instanceof Request ? input.url : String(input);
    if (!/\/search_index~[0-9a-f]{16}\.json$/.test(url) || !response.ok) return response;
    const body = (await response.json()) as { routing?: Record<string, unknown> };
    if (body.routing) delete body.routing.vocabulary;
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

export async function typoRecall(options: TypoRecallOptions): Promise<TypoRecall> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'memora-typos-'));
  try {
    const cacheDir = path.join(dir, 'cache');
    const outDir = path.join(dir, 'out');
    await writeGeneratedCatalog(cacheDir, { plans: 1, lessons: options.lessons, seed: options.seed });
    await build({ cacheDir, outDir, log: memoryLogger() });
    const plan = decodeURIComponent((await readdir(path.join(outDir, 'plans')))[0]!);
    const index = JSON.parse(await readFile(path.join(outDir, ...keys.searchIndex(plan).split('/')), 'utf8')) as {
      shards?: { url: string }[];
      routing?: { terms: unknown[]; vocabulary?: unknown[] };
    };
    if (!index.shards || !index.routing) throw new Error(`the plan of ${int(options.lessons)} generated lessons is not sharded: generate more`);
    const shards = await Promise.all(
      index.shards.map(async (s) => loadSearchIndex(await readFile(path.join(outDir, ...decodeURIComponent(s.url).replace(/~[0-9a-f]{16}\.json$/, '.json').split('/')), 'utf8'))),
    );
    const lessons = shards.flatMap((s) => s.search(MiniSearch.wildcard).map((r) => ({ id: String(r.id), words: new Set(tokenize(String(r.lesson_name))) })));
    const all = [...new Set(lessons.flatMap((l) => [...l.words]))].filter((w) => /^[\u0621-\u064A]{5,}$/u.test(w) || /^[a-z]{6,}$/.test(w)).sort();
    const step = Math.max(1, Math.ceil(all.length / options.words));
    const sample = all.filter((_, i) => i % step === 0);

    const server = await startPreviewServer({ outDir, port: 0, viewer: { files: new Map() } });
    try {
      const random = new Random(options.seed);
      const rows = new Map<string, TypoRecallRow>();
      for (const word of sample) {
        const letters = ARABIC_LETTERS.includes(word[0]!) ? ARABIC_LETTERS : LATIN_LETTERS;
        const holders = new Set(lessons.filter((l) => l.words.has(word)).map((l) => l.id));
        const base = word.startsWith('ال') ? 2 : 0;
        const positions: [string, number][] = [['first', base], ['second', base + 1], ['third', base + 2], ['last', word.length - 1]];
        for (const [position, at] of positions) {
          const others = letters.filter((c) => c !== word[at]);
          const typo = word.slice(0, at) + random.pick(others) + word.slice(at + 1);
          const row = rows.get(position) ?? { position, typos: 0, shards: 0, routed: 0, routedWithoutVocabulary: 0 };
          rows.set(position, row);
          row.typos++;
          const finds = (ids: string[]) => (ids.some((id) => holders.has(id)) ? 1 : 0);
          row.shards += finds(searchIndexes(shards, queryWords(typo), HITS).map((m) => String(m.result.id)));
          const search = async (fetcher?: typeof fetch) =>
            (await new CdnClient({ baseUrl: server.url, ...(fetcher ? { fetch: fetcher } : {}) }).search(plan, typo, { limit: HITS, retype: false })).map((h) => h.lessonId);
          row.routed += finds(await search());
          row.routedWithoutVocabulary += finds(await search(withoutVocabulary(fetch)));
        }
      }
      return {
        lessonsShown: lessons.length,
        termFiles: index.routing.terms.length,
        vocabularyFiles: index.routing.vocabulary?.length ?? 0,
        wordsSampled: sample.length,
        rows: [...rows.values()],
      };
    } finally {
      await server.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The report as markdown, with the command that produced it. */
export function formatTypoRecall(r: TypoRecall, options: TypoRecallOptions, command: string): string {
  const share = (n: number, of: number) => `${int(n)} of ${int(of)}`;
  return [
    `Produced by \`${command}\` (Node.js ${process.version}, ${new Date().toISOString()}): a generated 1-plan catalog of ${int(options.lessons)} lessons (seed ${options.seed}), the plan showing ${int(r.lessonsShown)} in ${int(r.termFiles)} term files and ${int(r.vocabularyFiles)} vocabulary files; ${int(r.wordsSampled)} title words, each with a one-letter typo at four places. Found: one of the first ${HITS} hits holds the word.`,
    '',
    table(
      ['typo at the word\'s (without its article)', 'typos', 'found: shards loaded (every term compared)', 'found: plan-wide, routed', 'found: routed, without vocabulary files'],
      r.rows.map((row) => [`${row.position} letter`, int(row.typos), share(row.shards, row.typos), share(row.routed, row.typos), share(row.routedWithoutVocabulary, row.typos)]),
    ),
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { lessons: { type: 'string', default: '11765' }, seed: { type: 'string', default: '7' }, words: { type: 'string', default: '120' } } });
  const options: TypoRecallOptions = { lessons: Number(values.lessons), seed: Number(values.seed), words: Number(values.words) };
  for (const [name, value] of Object.entries(options)) if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name}: expected a whole number from 1`);
  const args = process.argv.slice(2);
  const result = await typoRecall(options);
  process.stdout.write(`${formatTypoRecall(result, options, `npm run bench:typos${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`)}\n`);
}
