import { FrappeClient } from '../../pull/client.ts';
import { DEFAULT_CHECK_EVERY, pull } from '../../pull/pull.ts';
import { formatPullSummary } from '../../pull/summary.ts';
import { CACHE_OPTION, COMMON_OPTIONS, intOption, stringOption } from '../args.ts';
import type { Command, CommandContext } from '../command.ts';
import { noPositionals } from './util.ts';

/** The Frappe site and API user, from the command's validated configuration. */
export function frappeClient(ctx: CommandContext): FrappeClient {
  const c = ctx.config as { FRAPPE_URL: string; FRAPPE_API_KEY: string; FRAPPE_API_SECRET: string };
  return new FrappeClient({ baseUrl: c.FRAPPE_URL, apiKey: c.FRAPPE_API_KEY, apiSecret: c.FRAPPE_API_SECRET, log: ctx.log });
}

export const pullCommand: Command = {
  name: 'pull',
  summary: 'mirror the content DocTypes of the Frappe site into the content cache',
  usage: 'pull [--full] [--check-every N] [--cache DIR]',
  details:
    'Reads what changed since the last pull (the first pull reads everything) and applies deletions.\n' +
    'Every N pulls it also checks the names of every document, which catches renames. Nothing is\n' +
    'written unless the whole pull succeeds. Needs FRAPPE_URL, FRAPPE_API_KEY and FRAPPE_API_SECRET.',
  config: { uses: ['FRAPPE_URL', 'FRAPPE_API_KEY', 'FRAPPE_API_SECRET'], requires: ['FRAPPE_URL', 'FRAPPE_API_KEY', 'FRAPPE_API_SECRET'] },
  options: {
    full: { type: 'boolean', description: 'read everything again and drop what the site no longer has' },
    'check-every': { type: 'string', value: 'N', default: String(DEFAULT_CHECK_EVERY), description: 'check the names of every document every N pulls' },
    ...CACHE_OPTION,
    ...COMMON_OPTIONS,
  },
  async run(values, positionals, ctx) {
    noPositionals('pull', positionals);
    const client = frappeClient(ctx);
    try {
      const summary = await pull({
        cacheDir: stringOption(values, 'cache'),
        client,
        full: Boolean(values.full),
        checkEvery: intOption(values, 'check-every', { min: 1, max: 100_000 }) ?? DEFAULT_CHECK_EVERY,
        log: ctx.log,
      });
      ctx.log.info(formatPullSummary(summary, client.baseUrl));
    } finally {
      await client.close();
    }
  },
};
