/** The `pull` command's code; its help, options and settings are in ../command-table.ts. */
import { FrappeClient } from '../../pull/client.ts';
import { DEFAULT_CHECK_EVERY, DEFAULT_FULL_EVERY_HOURS } from '../../pull/defaults.ts';
import { pull } from '../../pull/pull.ts';
import { formatPullSummary } from '../../pull/summary.ts';
import { intOption, stringOption } from '../args.ts';
import type { CommandContext, CommandRun } from '../command.ts';
import { noPositionals } from './util.ts';

/** The Frappe site and API user, from the command's validated configuration. */
export function frappeClient(ctx: CommandContext): FrappeClient {
  const c = ctx.config as { FRAPPE_URL: string; FRAPPE_API_KEY: string; FRAPPE_API_SECRET: string };
  return new FrappeClient({ baseUrl: c.FRAPPE_URL, apiKey: c.FRAPPE_API_KEY, apiSecret: c.FRAPPE_API_SECRET, log: ctx.log });
}

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('pull', positionals);
  const client = frappeClient(ctx);
  try {
    const summary = await pull({
      cacheDir: stringOption(values, 'cache'),
      client,
      full: Boolean(values.full),
      checkEvery: intOption(values, 'check-every', { min: 1, max: 100_000 }) ?? DEFAULT_CHECK_EVERY,
      fullEveryHours: intOption(values, 'full-every', { min: 0, max: 100_000 }) ?? DEFAULT_FULL_EVERY_HOURS,
      log: ctx.log,
    });
    ctx.log.info(formatPullSummary(summary, client.baseUrl));
  } finally {
    await client.close();
  }
};
