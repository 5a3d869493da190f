import { readCacheIndex } from '../../content/cache.ts';
import { DEFAULT_GENERATION, GENERATIONS, type Generation } from '../../content/fields.ts';
import { UsageError } from '../../errors.ts';
import { GENERATE_LIMITS, writeGeneratedCatalog } from '../../generate/generator.ts';
import { CACHE_OPTION, COMMON_OPTIONS, intOption, stringOption } from '../args.ts';
import type { Command } from '../command.ts';
import { noPositionals } from './util.ts';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'write a synthetic catalog into the content cache folder (tests, benchmarks)',
  usage: 'generate --plans P --lessons N [--seed S] [--generation 002|008] [--cache DIR] [--force]',
  details: 'The same options always give the same catalog, byte for byte.',
  options: {
    plans: { type: 'string', value: 'P', description: `number of plans, ${GENERATE_LIMITS.plans.min} to ${GENERATE_LIMITS.plans.max}` },
    lessons: { type: 'string', value: 'N', description: `number of lessons, ${GENERATE_LIMITS.lessons.min} to ${GENERATE_LIMITS.lessons.max.toLocaleString('en')}` },
    seed: { type: 'string', value: 'S', default: '1', description: 'random seed, a whole number' },
    generation: { type: 'string', value: 'G', default: DEFAULT_GENERATION, description: `the generation of the Memora DocTypes: ${GENERATIONS.join(' (the seed\'s) or ')} (draft plans, linear nodes, stage weights)` },
    force: { type: 'boolean', description: 'replace a content cache that is already in the folder' },
    ...CACHE_OPTION,
    ...COMMON_OPTIONS,
  },
  async run(values, positionals, ctx) {
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
  },
};
