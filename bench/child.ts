/**
 * One measured step in a process of its own, so that its peak memory (maxRSS) is its own:
 *
 *   node --import tsx bench/child.ts build --cache DIR --out DIR
 *   node --import tsx bench/child.ts floor --from OUT --to DIR [--atomic]
 *
 * `build` runs the build stage; `floor` writes the files of a built tree again into an empty
 * folder without rendering (all bytes read into memory first, untimed), with the build's write
 * concurrency: plain writes, or with `--atomic` the build's own temp-file-and-rename writes. The
 * last line on stdout is a ChildResult as JSON.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import fg from 'fast-glob';
import pLimit from 'p-limit';
import { build } from '../src/build/build.ts';
import { OUTPUT_CONCURRENCY, OWN_FILES } from '../src/build/output.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { memoryLogger } from '../src/log.ts';

export interface ChildResult {
  /** Time of the measured step, without process start-up. */
  ms: number;
  files: number;
  bytes: number;
  /** Peak resident set size of the whole process, in KiB (process.resourceUsage().maxRSS). */
  maxRssKiB: number;
  warnings?: number;
  /** The build's own phase times (from its --verbose log), in ms. */
  phases?: BuildPhases;
}

export interface BuildPhases {
  /** Reading and checking the content cache. */
  read: number;
  /** Resolving every plan. */
  plan: number;
  render: number;
  validate: number;
  write: number;
}

const PHASE_LINES: [keyof BuildPhases, string][] = [
  ['read', 'read and checked '],
  ['plan', 'resolved '],
  ['render', 'rendered '],
  ['validate', 'validated '],
  ['write', 'wrote '],
];

/** Phase times from build()'s verbose lines (`rendered 12203 files for 100 plan(s) in 4.97 s`). */
export function parsePhases(lines: readonly string[]): BuildPhases {
  const phases: BuildPhases = { read: Number.NaN, plan: Number.NaN, render: Number.NaN, validate: Number.NaN, write: Number.NaN };
  for (const line of lines) {
    const m = / in (\d+(?:\.\d+)?) s$/.exec(line);
    if (!m) continue;
    const phase = PHASE_LINES.find(([, prefix]) => line.startsWith(prefix));
    if (phase) phases[phase[0]] = Number(m[1]) * 1000;
  }
  return phases;
}

async function runBuild(cacheDir: string, outDir: string): Promise<ChildResult> {
  const log = memoryLogger(true);
  const started = performance.now();
  const summary = await build({ cacheDir, outDir, log });
  const ms = performance.now() - started;
  return { ms, files: summary.files, bytes: summary.bytes, maxRssKiB: process.resourceUsage().maxRSS, warnings: summary.warnings.length, phases: parsePhases(log.lines) };
}

async function runFloor(from: string, to: string, atomic: boolean): Promise<ChildResult> {
  const keys = (await fg('**/*', { cwd: from, onlyFiles: true, dot: true })).filter((k) => !OWN_FILES.has(k)).sort();
  const limit = pLimit(OUTPUT_CONCURRENCY);
  const files = await Promise.all(keys.map((key) => limit(async () => ({ key, bytes: await readFile(path.join(from, key)) }))));
  let total = 0;
  for (const f of files) total += f.bytes.length;

  const started = performance.now();
  const made = new Map<string, Promise<unknown>>();
  const folder = (dir: string) => {
    let p = made.get(dir);
    if (!p) {
      p = mkdir(dir, { recursive: true });
      made.set(dir, p);
    }
    return p;
  };
  await Promise.all(
    files.map((f) =>
      limit(async () => {
        const target = path.join(to, ...f.key.split('/'));
        if (atomic) await writeFileAtomic(target, f.bytes, { fsync: false });
        else {
          await folder(path.dirname(target));
          await writeFile(target, f.bytes);
        }
      }),
    ),
  );
  const ms = performance.now() - started;
  return { ms, files: files.length, bytes: total, maxRssKiB: process.resourceUsage().maxRSS };
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: { cache: { type: 'string' }, out: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, atomic: { type: 'boolean', default: false } },
  });
  let result: ChildResult;
  if (command === 'build' && values.cache && values.out) result = await runBuild(values.cache, values.out);
  else if (command === 'floor' && values.from && values.to) result = await runFloor(values.from, values.to, values.atomic ?? false);
  else throw new Error('usage: child.ts build --cache DIR --out DIR | floor --from OUT --to DIR [--atomic]');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
