/** The `generate` command's code; its help, options and settings are in ../command-table.ts. */
import { readCacheIndex } from '../../content/cache.ts';
import { GENERATIONS, type Generation } from '../../content/fields.ts';
import { UsageError } from '../../errors.ts';
import { writeGeneratedCatalog } from '../../generate/generator.ts';
import { GENERATE_LIMITS } from '../../generate/limits.ts';
import { intOption, stringOption } from '../args.ts';
import type { CommandRun } from '../command.ts';
import { noPositionals } from './util.ts';

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('generate', positionals);
  const plans = intOption(values, 'plans', GENERATE_LIMITS.plans);
  const lessons = intOption(values, 'lessons', GENERATE_LIMITS.lessons);
  const seed = intOption(values, 'seed', { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 1;
  if (plans === undefined || lessons === undefined) throw new UsageError('generate: --plans and --lessons are required; see `generate --help`');
  const dir = stringOption(values, 'cache');
  if (!values.force && (await readCacheIndex(dir).catch(() => null))) {
    throw new UsageError(`generate: ${dir} already holds a content cache; pass --force to replace it, or choose another --cache`);
  }
  const started = performance.now();
  const generation = stringOption(values, 'generation') as Generation;
  if (!GENERATIONS.includes(generation)) throw new UsageError(`generate: --generation must be one of ${GENERATIONS.join(', ')}, got ${JSON.stringify(generation)}`);
  const result = await writeGeneratedCatalog(dir, { plans, lessons, seed, generation });
  const s = result.stats;
  ctx.log.info(
    `generated into ${dir}: ${s.plans} plans, ${s.subjects} subjects, ${s.tracks} tracks, ${s.units} units, ${s.topics} topics, ${s.lessons} lessons, ${s.stages} stages (seed ${seed}, generation ${generation}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
};
