/** The command line of `npm run bench` (bench/run.ts). */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_DIR } from './child.ts';
import { SCALES, SCENARIOS, type BenchParams, type ScenarioName } from './types.ts';

export interface BenchArgs {
  params: BenchParams;
  only: ScenarioName[];
  out: string;
  work?: string;
  keep: boolean;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scale: { type: 'string', default: 'small' },
      runs: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string', default: 'BENCHMARKS.md' },
      work: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'no-rclone': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const scaleName = values.scale ?? 'small';
  const scale = Object.hasOwn(SCALES, scaleName) ? SCALES[scaleName] : undefined;
  if (!scale) throw new Error(`--scale must be one of ${Object.keys(SCALES).join(', ')} (got ${scaleName})`);
  const params: BenchParams = { ...scale.params, scale: scaleName, rclone: !values['no-rclone'] };
  if (values.runs !== undefined) {
    const runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`--runs must be a whole number from 1 to 50 (got ${values.runs})`);
    params.runs = runs;
  }
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [...SCENARIOS];
  for (const name of only) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only: unknown scenario ${name} (scenarios: ${SCENARIOS.join(', ')})`);
  return { params, only: only as ScenarioName[], out: path.resolve(REPO_DIR, values.out ?? 'BENCHMARKS.md'), ...(values.work ? { work: path.resolve(values.work) } : {}), keep: values.keep ?? false };
}
