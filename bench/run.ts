/**
 * `npm run bench [-- options]`: runs the benchmark scenarios and writes BENCHMARKS.md.
 *
 *   --scale tiny|small|medium|full   sizes and runs (default small; see bench/lib/types.ts)
 *   --runs N                         runs per figure (overrides the scale's)
 *   --only build,deploy,incremental,pull,search,converge,search-quality
 *   --out FILE                       default BENCHMARKS.md (in the repository root)
 *   --work DIR --keep                scratch folder, and keep it afterwards
 *   --no-rclone                      skip the rclone side
 */
import { runBench, writeReport } from './harness.ts';
import { parseBenchArgs } from './lib/args.ts';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseBenchArgs(argv);
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const result = await runBench({ params: args.params, only: args.only, command, ...(args.work ? { workDir: args.work } : {}), keepWork: args.keep });
  await writeReport(args.out, result.markdown);
  process.stderr.write(`wrote ${args.out}\n`);
  for (const t of result.targets) process.stderr.write(`  ${t.status.padEnd(12)} ${t.target}: ${t.measured}\n`);
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
