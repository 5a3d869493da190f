/** The `build` command's code; its help, options and settings are in ../command-table.ts. */
import { build, formatBuildSummary } from '../../build/build.ts';
import { stringOption } from '../args.ts';
import type { CommandRun } from '../command.ts';
import { noPositionals } from './util.ts';

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('build', positionals);
  const outDir = stringOption(values, 'out');
  const summary = await build({
    cacheDir: stringOption(values, 'cache'),
    outDir,
    plans: (values.plan as string[] | undefined) ?? [],
    full: Boolean(values.full),
    log: ctx.log,
  });
  ctx.log.info(formatBuildSummary(summary, outDir));
};
