/** The `purge` command's code; its help, options and settings are in ../command-table.ts. */
import { DeployError, UsageError } from '../../errors.ts';
import type { CommandRun } from '../command.ts';
import { openPurger } from './deploy-env.ts';

export const run: CommandRun = async (_values, positionals, ctx) => {
  if (positionals.length === 0) throw new UsageError('purge: give at least one URL; see `purge --help`');
  for (const url of positionals) {
    if (!/^https?:\/\/[^/]+/i.test(url)) throw new UsageError(`purge: ${JSON.stringify(url)} is not an http(s) URL`);
  }
  // Full URLs are given: the CDN base URL is not needed.
  const { purger, skipped } = openPurger({ ...ctx, config: { ...ctx.config, CDN_BASE_URL: ctx.config.CDN_BASE_URL ?? 'https://unused.invalid' } });
  if (!purger) throw new DeployError(`purge: ${skipped ?? 'no Cloudflare settings'}`);
  try {
    const result = await purger.purge(positionals);
    const failed = result.failed.flatMap((f) => f.urls);
    ctx.out.write(`${result.purged.length} URL(s) purged in ${result.requests} request(s)${failed.length ? `; ${failed.length} failed` : ''}\n`);
    if (failed.length > 0) throw new DeployError(`purge failed for ${failed.length} URL(s): ${result.failed.map((f) => f.error).join('; ')}`);
  } finally {
    await purger.close();
  }
};
