/** The `demo` command's code; its help, options and settings are in ../command-table.ts. */
import { fileURLToPath } from 'node:url';
import { readCache } from '../../content/cache.ts';
import { deploy } from '../../deploy/deploy.ts';
import { CloudflarePurger } from '../../deploy/purge/cloudflare.ts';
import { formatReport } from '../../deploy/report.ts';
import { createS3Storage } from '../../deploy/storage/s3.ts';
import { startCloudflareEmulator } from '../../emulator/cloudflare.ts';
import { LOCAL_S3_ACCESS_KEY, LOCAL_S3_SECRET_KEY, startLocalS3 } from '../../emulator/s3.ts';
import { startFrappeEmulator } from '../../emulator/server.ts';
import { FrappeClient } from '../../pull/client.ts';
import { allowedHostsOption, DEFAULT_PREVIEW_PORT, intOption, stringOption } from '../args.ts';
import type { CommandRun } from '../command.ts';
import { servePreview } from './preview.ts';
import { noPositionals } from './util.ts';

/** The bundled sample catalog. */
export const SAMPLE_CACHE = fileURLToPath(new URL('../../../samples/content-cache', import.meta.url));

const DEMO_ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const DEMO_TOKEN = 'demo-cloudflare-token';

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('demo', positionals);
  const outDir = stringOption(values, 'out');
  const cacheDir = stringOption(values, 'cache');
  const port = intOption(values, 'port', { min: 0, max: 65535 }) ?? DEFAULT_PREVIEW_PORT;
  const allowedHosts = allowedHostsOption(values);

  const sample = await readCache(SAMPLE_CACHE);
  // The bucket first: it needs a development dependency, and fails before any server is open.
  const s3 = await startLocalS3({ directory: stringOption(values, 'bucket-dir'), bucket: 'memora-demo' });
  const frappe = await startFrappeEmulator({ catalog: sample.docs, ...(sample.index.site_meta ? { siteMeta: sample.index.site_meta } : {}), apiKey: 'demo-key', apiSecret: 'demo-secret' });
  const cloudflare = await startCloudflareEmulator({ token: DEMO_TOKEN, zoneId: DEMO_ZONE });
  const client = new FrappeClient({ baseUrl: frappe.url, apiKey: 'demo-key', apiSecret: 'demo-secret', log: ctx.log });
  const storage = createS3Storage({ provider: 'aws-s3', endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: LOCAL_S3_ACCESS_KEY, secretAccessKey: LOCAL_S3_SECRET_KEY });
  const purger = new CloudflarePurger({ apiUrl: cloudflare.apiUrl, zoneId: DEMO_ZONE, token: DEMO_TOKEN, log: ctx.log, minIntervalMs: 0 });
  let emulatorsOpen = true;
  const closeEmulators = async (): Promise<void> => {
    if (!emulatorsOpen) return;
    emulatorsOpen = false;
    await client.close();
    await purger.close();
    await Promise.all([frappe.close(), cloudflare.close()]);
  };
  try {
    ctx.log.info(`Frappe emulator at ${frappe.url}, S3 bucket ${s3.bucket} at ${s3.endpoint}, Cloudflare API emulator at ${cloudflare.apiUrl}`);
    const baseUrl = 'https://cdn.memora.example';
    const signing = { expiryHours: 4, baseUrl, endpoint: s3.endpoint, bucket: s3.bucket };
    const common = { cacheDir, outDir, plans: [], force: false, dryRun: false, storage, purger, baseUrl, signing, concurrency: 8, log: ctx.log } as const;
    const first = await deploy({ ...common, client, trigger: 'demo' });
    ctx.log.info(formatReport(first));
    const second = await deploy({ ...common, client, trigger: 'demo (again)' });
    ctx.log.info(`deployed again with nothing changed: ${second.uploaded.length} uploaded, ${second.deleted.length} deleted, ${second.purge.requests} purge request(s)`);
    // Frappe and Cloudflare are done; the bucket stays up while the viewer shows its last deploy.
    await closeEmulators();
    if (!values['no-serve']) await servePreview(outDir, port, allowedHosts, ctx, storage);
  } finally {
    await closeEmulators();
    await storage.close();
    await s3.close();
  }
};
