import { build, formatBuildSummary } from '../../build/build.ts';
import { CACHE_OPTION, COMMON_OPTIONS, OUT_OPTION, stringOption } from '../args.ts';
import type { Command } from '../command.ts';
import { noPositionals } from './util.ts';

export const buildCommand: Command = {
  name: 'build',
  summary: 'render the CDN tree from the content cache into the output folder',
  usage: 'build [--plan ID]... [--cache DIR] [--out DIR]',
  details:
    'Renders every plan (or only the plans named with --plan, and the unit and lesson files they use) and\n' +
    'validates each file against schemas/. The output folder then holds exactly the tree of this build.\n' +
    'Bad content never stops a build: the node is skipped with a warning that names it.',
  options: {
    plan: { type: 'string', multiple: true, value: 'ID', description: 'build only this plan' },
    ...CACHE_OPTION,
    ...OUT_OPTION,
    ...COMMON_OPTIONS,
  },
  async run(values, positionals, ctx) {
    noPositionals('build', positionals);
    const outDir = stringOption(values, 'out');
    const summary = await build({
      cacheDir: stringOption(values, 'cache'),
      outDir,
      plans: (values.plan as string[] | undefined) ?? [],
      log: ctx.log,
    });
    ctx.log.info(formatBuildSummary(summary, outDir));
  },
};
