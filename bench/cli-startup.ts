/**
 * `npm run bench:cli [-- --runs N]`: how long the built `memora-cdn` command takes to answer
 * `--version` and `--help`, the target being under 300 ms. A separate script, not a scenario of
 * `npm run bench` (which takes about half an hour): it builds dist/ and runs each command N
 * times (default 20) as a child process, timing the whole process from spawn to exit. Node's own
 * start-up (`node -e ""`) and the same commands through tsx on the sources are measured beside
 * it. Prints a markdown table (bench/FINDINGS.md keeps the last one, with its command line).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_DIR } from './lib/child.ts';
import { ms, spread, table } from './lib/format.ts';
import { summarize } from './lib/stats.ts';

const TARGET_MS = 300;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs ${JSON.stringify(values.runs)}: expected a whole number from 1`);

execFileSync(process.execPath, [path.join(REPO_DIR, 'scripts/build-cli.mjs')], { stdio: 'ignore' });
const main = path.join(REPO_DIR, 'dist/cli/main.js');

/** Milliseconds from spawn to exit of each run (after one unmeasured run to warm the disk cache). */
function time(args: readonly string[]): number[] {
  const once = (): number => {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: REPO_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
    const elapsed = performance.now() - started;
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}: ${String(result.stderr)}`);
    return elapsed;
  };
  once();
  return Array.from({ length: runs }, once);
}

const cases: [string, string[], boolean][] = [
  ['`node -e ""` (Node alone)', ['-e', ''], false],
  ['`memora-cdn --version`', [main, '--version'], true],
  ['`memora-cdn --help`', [main, '--help'], true],
  ['`memora-cdn help deploy`', [main, 'help', 'deploy'], true],
  ['`npm run cdn -- --version` (tsx, sources)', ['--import', 'tsx', path.join(REPO_DIR, 'src/cli/main.ts'), '--version'], false],
];

const rows = cases.map(([label, args, judged]) => {
  const s = summarize(time(args));
  return [label, spread(s, ms), ms(s.p95), judged ? (s.median < TARGET_MS ? 'met' : '**missed**') : ''];
});
process.stdout.write(
  `${[
    `Produced by \`npm run bench:cli -- --runs ${runs}\` on ${os.cpus()[0]?.model.trim() ?? 'an unknown CPU'} (${os.cpus().length} core(s)), Node.js ${process.version}, ${new Date().toISOString()}: ${runs} runs each, the whole process timed; target: under ${TARGET_MS} ms, judged on the median (the 95th percentile shows what a busy machine adds).`,
    '',
    table(['command', 'median (min-max)', 'p95', `under ${TARGET_MS} ms`], rows),
  ].join('\n')}\n`,
);
