/** What the deploy-side commands share: the storage and the purge client they open. */
import { CloudflarePurger } from '../../deploy/purge/cloudflare.ts';
import { storageFromConfig } from '../../deploy/storage/index.ts';
import { emptyCounts, type Storage } from '../../deploy/storage/types.ts';
import { ConfigError, UsageError } from '../../errors.ts';
import type { CommandContext } from '../command.ts';

export function openStorage(ctx: CommandContext): Storage {
  return storageFromConfig(ctx.config);
}

/**
 * With CDN_ENABLED=false no storage is needed: a deploy then reports against the configured
 * bucket when there is one, or against an empty one (everything would be uploaded).
 */
export function openStorageIfConfigured(ctx: CommandContext): Storage {
  try {
    return openStorage(ctx);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    ctx.log.verbose(`no storage configured (${error.message}): reporting against an empty bucket`);
    return emptyStorage();
  }
}

/** A storage that holds nothing and accepts no writes. */
function emptyStorage(): Storage {
  const refuse = (): never => {
    throw new Error('no storage is configured');
  };
  return {
    description: 'no storage (CDN_ENABLED=false)',
    bucket: '',
    requests: emptyCounts(),
    get: async () => null,
    head: async () => null,
    put: async () => refuse(),
    deleteMany: async () => refuse(),
    list: async function* () {},
    close: async () => undefined,
  };
}

/**
 * The purge client, or why purging is skipped: no Cloudflare settings (CLOUDFLARE_ZONE_ID and
 * CLOUDFLARE_API_TOKEN both unset: a CDN that is not Cloudflare's, or none). Cloudflare settings
 * that are only partly there are a configuration error: a deploy that skipped its purge for them
 * would leave changed files cached at the edge, and owe no purge to the next run.
 */
export function openPurger(ctx: CommandContext): { purger: CloudflarePurger | null; baseUrl?: string; skipped?: string } {
  const c = ctx.config as { CLOUDFLARE_ZONE_ID?: string; CLOUDFLARE_API_TOKEN?: string; CLOUDFLARE_API_URL?: string; CLOUDFLARE_PURGE_BATCH_SIZE?: number; CDN_BASE_URL?: string };
  const problem = purgeSettingsProblem(c);
  if (problem) throw new ConfigError(problem);
  if (!c.CLOUDFLARE_ZONE_ID) return { purger: null, skipped: 'CLOUDFLARE_ZONE_ID, CLOUDFLARE_API_TOKEN not set' };
  const purger = new CloudflarePurger({
    apiUrl: c.CLOUDFLARE_API_URL ?? 'https://api.cloudflare.com/client/v4',
    zoneId: c.CLOUDFLARE_ZONE_ID as string,
    token: c.CLOUDFLARE_API_TOKEN as string,
    batchSize: c.CLOUDFLARE_PURGE_BATCH_SIZE ?? 30,
    log: ctx.log,
  });
  return { purger, baseUrl: c.CDN_BASE_URL as string };
}

/** What is wrong with the purge settings, or null: the zone and token go together, and need CDN_BASE_URL. */
export function purgeSettingsProblem(c: { CLOUDFLARE_ZONE_ID?: string; CLOUDFLARE_API_TOKEN?: string; CDN_BASE_URL?: string }): string | null {
  const pair = { CLOUDFLARE_ZONE_ID: c.CLOUDFLARE_ZONE_ID, CLOUDFLARE_API_TOKEN: c.CLOUDFLARE_API_TOKEN };
  const set = Object.entries(pair).filter(([, v]) => Boolean(v)).map(([k]) => k);
  if (set.length === 0) return null;
  if (set.length === 1) {
    const missing = Object.keys(pair).find((k) => !set.includes(k));
    return `configuration: ${missing} not set (or blank) while ${set[0]} is: purging needs CLOUDFLARE_ZONE_ID and CLOUDFLARE_API_TOKEN together (set both, or neither to deploy without purging)`;
  }
  if (!c.CDN_BASE_URL) return 'configuration: CDN_BASE_URL not set (or blank) while CLOUDFLARE_ZONE_ID and CLOUDFLARE_API_TOKEN are: purging needs the public URL the CDN serves the tree at, e.g. https://cdn.memora.app';
  return null;
}

/** `--plan` values, each given once. */
export function planOption(values: Record<string, unknown>): string[] {
  const plans = (values.plan as string[] | undefined) ?? [];
  for (const p of plans) if (p.trim() === '') throw new UsageError('--plan needs a plan ID');
  return [...new Set(plans)];
}
