/** The `dev` command's code; its help, options and settings are in ../command-table.ts. */
import { DEFAULT_DEV_INTERVAL_SECONDS, startDev, type DevSource } from '../../dev/dev.ts';
import { ConfigError } from '../../errors.ts';
import { DEFAULT_CHECK_EVERY, DEFAULT_FULL_EVERY_HOURS } from '../../pull/defaults.ts';
import type { FrappeClient } from '../../pull/client.ts';
import { allowedHostsOption, DEFAULT_PREVIEW_PORT, intOption, stringOption } from '../args.ts';
import type { CommandRun } from '../command.ts';
import { FRAPPE_VARIABLES } from '../command-table.ts';
import { frappeClient } from './pull.ts';
import { noPositionals } from './util.ts';

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('dev', positionals);
  const port = intOption(values, 'port', { min: 0, max: 65535 }) ?? DEFAULT_PREVIEW_PORT;
  const allowedHosts = allowedHostsOption(values);
  const intervalSeconds = intOption(values, 'interval', { min: 1, max: 86_400 }) ?? DEFAULT_DEV_INTERVAL_SECONDS;
  const checkEvery = intOption(values, 'check-every', { min: 1, max: 100_000 }) ?? DEFAULT_CHECK_EVERY;
  const fullEveryHours = intOption(values, 'full-every', { min: 0, max: 100_000 }) ?? DEFAULT_FULL_EVERY_HOURS;
  const cacheDir = stringOption(values, 'cache');
  const outDir = stringOption(values, 'out');

  // All three Frappe settings: follow the site. None: watch the cache. Some: a mistake worth saying.
  const set = FRAPPE_VARIABLES.filter((name) => ctx.config[name] !== undefined);
  if (set.length > 0 && set.length < FRAPPE_VARIABLES.length) {
    const missing = FRAPPE_VARIABLES.filter((name) => !set.includes(name));
    throw new ConfigError(`configuration: ${missing.join(', ')} not set: dev follows Frappe when ${FRAPPE_VARIABLES.join(', ')} are all set, and watches the content cache when none is`);
  }
  const client: FrappeClient | null = set.length > 0 ? frappeClient(ctx) : null;
  if (client === null) ctx.log.info(`dev: ${FRAPPE_VARIABLES.join(', ')} are not set: watching the content cache instead of pulling (run pull or generate into ${cacheDir} to see the changes)`);
  const source: DevSource = client ? { kind: 'frappe', client, intervalMs: intervalSeconds * 1000, checkEvery, fullEveryHours } : { kind: 'cache' };
  try {
    const session = await startDev({ cacheDir, outDir, port, allowedHosts, source, log: ctx.log });
    ctx.log.info(`preview of ${outDir} at ${session.url} (live: open viewers refresh after each rebuild; Ctrl-C to stop)`);
    await ctx.untilStopped();
    ctx.log.info('dev: stopping');
    // A pull waiting on a slow or silent site stops now, not after its timeouts and retries.
    client?.stop();
    await session.close();
  } finally {
    await client?.close();
  }
};
