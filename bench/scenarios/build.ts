/**
 * Scenario 1, build: wall time, files per second, peak memory and output bytes of a build of
 * each catalog size, each in a fresh process into an empty folder; and the floor, the time to
 * write the same files to disk without rendering, measured in the same run right after it.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { runChild } from '../lib/child.ts';
import { bytes, int, ms, ratio, spread, table } from '../lib/format.ts';
import { summarize } from '../lib/stats.ts';
import type { BenchParams, SectionResult, TargetRow } from '../lib/types.ts';
import type { Workspace } from '../lib/workspace.ts';
import { OUTPUT_CONCURRENCY } from '../../src/build/output.ts';
import type { BuildPhases, ChildResult } from '../child.ts';

/** Plain floor writes per run; the fastest is the floor. */
const FLOOR_REPEATS = 2;

export const BUILD_TARGETS = { filesPerSecond: 5000, floorRatio: 3, peakRssBytes: 1024 * 1024 * 1024, peakAtLessons: 50_000 } as const;

interface BuildRun {
  build: ChildResult;
  floor: ChildResult;
  atomicFloor: ChildResult;
}

export interface BuildSizeResult {
  lessons: number;
  runs: BuildRun[];
}

/**
 * Flushes what earlier steps wrote (`sync`), so that no step pays for the write-back of the one
 * before it: every build and floor starts with nothing dirty in the page cache.
 */
export async function settle(): Promise<void> {
  await promisify(execFile)('sync').catch(() => undefined);
}

export async function runBuildScenario(params: BenchParams, ws: Workspace, log: (m: string) => void): Promise<SectionResult & { sizes: BuildSizeResult[] }> {
  const sizes: BuildSizeResult[] = [];
  for (const lessons of params.buildLessons) {
    const cache = await ws.catalog(lessons);
    const out = path.join(ws.root, `build-out-${lessons}`);
    const floorDir = path.join(ws.root, `build-floor-${lessons}`);
    const runs: BuildRun[] = [];
    for (let r = 0; r < params.runs; r++) {
      await rm(out, { recursive: true, force: true });
      await settle();
      const build = await runChild(['build', '--cache', cache, '--out', out]);
      // The floor is a lower bound: the better of two writes (this machine's disk is noisy).
      const floors: ChildResult[] = [];
      for (let i = 0; i < FLOOR_REPEATS; i++) {
        await rm(floorDir, { recursive: true, force: true });
        await settle();
        floors.push(await runChild(['floor', '--from', out, '--to', floorDir]));
      }
      const floor = floors.reduce((a, b) => (b.ms < a.ms ? b : a));
      await rm(floorDir, { recursive: true, force: true });
      await settle();
      const atomicFloor = await runChild(['floor', '--from', out, '--to', floorDir, '--atomic']);
      await rm(floorDir, { recursive: true, force: true });
      runs.push({ build, floor, atomicFloor });
      log(`build ${lessons} lessons, run ${r + 1}/${params.runs}: ${ms(build.ms)}, ${int(build.files)} files, floor ${ms(floor.ms)}, maxRSS ${bytes(build.maxRssKiB * 1024)}`);
    }
    await rm(out, { recursive: true, force: true });
    sizes.push({ lessons, runs });
  }
  return { scenario: 'build', body: render(sizes, params), targets: targets(sizes), sizes };
}

function render(sizes: BuildSizeResult[], params: BenchParams): string {
  const rows = sizes.map(({ lessons, runs }) => {
    const b = runs.map((r) => r.build);
    const first = b[0] as ChildResult;
    return [
      int(lessons),
      int(first.files),
      bytes(first.bytes),
      spread(summarize(b.map((x) => x.ms)), ms),
      spread(summarize(b.map((x) => x.files / (x.ms / 1000))), int),
      spread(summarize(b.map((x) => x.maxRssKiB * 1024)), bytes),
      spread(summarize(runs.map((r) => r.floor.ms)), ms),
      spread(summarize(runs.map((r) => r.build.ms / r.floor.ms)), ratio),
    ];
  });
  const phase = (r: BuildRun, p: keyof BuildPhases) => r.build.phases?.[p] ?? Number.NaN;
  const phaseRows = sizes.map(({ lessons, runs }) => [
    int(lessons),
    spread(summarize(runs.map((r) => phase(r, 'read'))), ms),
    spread(summarize(runs.map((r) => phase(r, 'plan'))), ms),
    spread(summarize(runs.map((r) => phase(r, 'render'))), ms),
    spread(summarize(runs.map((r) => phase(r, 'validate'))), ms),
    spread(summarize(runs.map((r) => phase(r, 'write'))), ms),
    spread(summarize(runs.map((r) => phase(r, 'write') / r.floor.ms)), ratio),
    spread(summarize(runs.map((r) => r.atomicFloor.ms)), ms),
    spread(summarize(runs.map((r) => phase(r, 'write') / r.atomicFloor.ms)), ratio),
  ]);
  return [
    `Catalogs of ${params.buildLessons.map(int).join(', ')} lessons (${params.plans} plans sharing the subjects, seed ${params.seed}), ` +
      `${params.runs} run(s) each. Each build runs in a fresh process (\`node --import tsx bench/child.ts build\`, i.e. \`build()\` of src/build/build.ts, ` +
      `the same code as \`npm run cdn -- build\`) into an empty folder; the time is the \`build()\` call (reading the cache, rendering, validating, writing), ` +
      `without process start-up. Peak memory is the process's \`maxRSS\` (process.resourceUsage()). ` +
      `The floor writes the same files into an empty folder with the build's concurrency (${OUTPUT_CONCURRENCY} at once) and no rendering ` +
      `(bytes read into memory first, untimed), with mkdir (once per folder) and writeFile; it is the faster of ${FLOOR_REPEATS} such writes in each run. ` +
      `Every build and floor starts after \`sync\`, with nothing left to write back from the step before. Ratios are build / floor of the same run.`,
    '',
    table(['lessons', 'files', 'output', 'build time', 'files/s', 'peak RSS', 'write floor', 'build / floor'], rows),
    '',
    `Where the build's time goes: its phases, as its \`--verbose\` log reports them (reading and checking the cache, planning: resolving every plan, rendering, validating against schemas/, writing), ` +
      `against the floor above and the "atomic floor": the same files written one by one through \`writeFileAtomic\` (src/io/atomic.ts: \`mkdir -p\`, temporary file, rename), without rendering. A first build (these runs: an empty out/) writes plain files into a staging folder renamed into place, so its write phase should follow the plain floor; the atomic floor is what rebuilding every file in place would cost.`,
    '',
    table(['lessons', 'read', 'plan', 'render', 'validate', 'write', 'write / floor', 'atomic floor', 'write / atomic floor'], phaseRows),
  ].join('\n');
}

function targets(sizes: BuildSizeResult[]): TargetRow[] {
  const rows: TargetRow[] = [];
  const t = BUILD_TARGETS;
  for (const { lessons, runs } of sizes) {
    const fps = summarize(runs.map((r) => r.build.files / (r.build.ms / 1000))).median;
    rows.push({ target: `Build ${int(lessons)} lessons: at least ${int(t.filesPerSecond)} files/s`, measured: `${int(fps)} files/s`, status: fps >= t.filesPerSecond ? 'met' : 'missed' });
  }
  for (const { lessons, runs } of sizes) {
    const r = summarize(runs.map((x) => x.build.ms / x.floor.ms)).median;
    rows.push({ target: `Build ${int(lessons)} lessons: within ${t.floorRatio}x the write floor`, measured: `${ratio(r)} the floor`, status: r <= t.floorRatio ? 'met' : 'missed' });
  }
  const big = sizes.find((s) => s.lessons === t.peakAtLessons);
  const largest = sizes[sizes.length - 1];
  if (big) {
    const peak = summarize(big.runs.map((r) => r.build.maxRssKiB * 1024)).max;
    rows.push({ target: `Build ${int(t.peakAtLessons)} lessons: peak memory under 1 GB`, measured: `${bytes(peak)} (highest run)`, status: peak < t.peakRssBytes ? 'met' : 'missed' });
  } else {
    const peak = largest ? summarize(largest.runs.map((r) => r.build.maxRssKiB * 1024)).max : Number.NaN;
    rows.push({
      target: `Build ${int(t.peakAtLessons)} lessons: peak memory under 1 GB`,
      measured: largest ? `${bytes(peak)} at ${int(largest.lessons)} lessons` : 'n/a',
      status: 'not measured',
      note: `this scale builds no ${int(t.peakAtLessons)}-lesson catalog; run --scale full`,
    });
  }
  return rows;
}
