import { fileURLToPath } from 'node:url';
import { build, formatBuildSummary } from '../../build/build.ts';
import { readCache } from '../../content/cache.ts';
import { startFrappeEmulator } from '../../emulator/server.ts';
import { FrappeClient } from '../../pull/client.ts';
import { pull } from '../../pull/pull.ts';
import { formatPullSummary } from '../../pull/summary.ts';
import { COMMON_OPTIONS, intOption, OUT_OPTION, stringOption } from '../args.ts';
import type { Command } from '../command.ts';
import { DEFAULT_PREVIEW_PORT, PORT_OPTION, servePreview } from './preview.ts';
import { noPositionals } from './util.ts';

/** The bundled sample catalog. */
export const SAMPLE_CACHE = fileURLToPath(new URL('../../../samples/content-cache', import.meta.url));

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the pipeline on the bundled sample catalog and preview it',
  usage: 'demo [--port N] [--cache DIR] [--out DIR] [--no-serve]',
  details:
    'Serves samples/content-cache from a local Frappe emulator on 127.0.0.1, pulls it into the demo\n' +
    'cache folder, builds it and serves the result. No Frappe site, bucket or credentials are needed.',
  options: {
    ...PORT_OPTION,
    cache: { type: 'string', value: 'DIR', default: 'demo-cache', description: 'the content cache folder the demo pulls into' },
    ...OUT_OPTION,
    'no-serve': { type: 'boolean', description: 'stop after the build instead of serving it' },
    ...COMMON_OPTIONS,
  },
  async run(values, positionals, ctx) {
    noPositionals('demo', positionals);
    const outDir = stringOption(values, 'out');
    const cacheDir = stringOption(values, 'cache');
    const port = intOption(values, 'port', { min: 0, max: 65535 }) ?? DEFAULT_PREVIEW_PORT;

    const sample = await readCache(SAMPLE_CACHE);
    const frappe = await startFrappeEmulator({ catalog: sample.docs, apiKey: 'demo-key', apiSecret: 'demo-secret' });
    const client = new FrappeClient({ baseUrl: frappe.url, apiKey: 'demo-key', apiSecret: 'demo-secret', log: ctx.log });
    try {
      ctx.log.info(`Frappe emulator serving the sample catalog at ${frappe.url}`);
      const pulled = await pull({ cacheDir, client, log: ctx.log, full: true });
      ctx.log.info(formatPullSummary(pulled, frappe.url));
    } finally {
      await client.close();
      await frappe.close();
    }
    const summary = await build({ cacheDir, outDir, log: ctx.log });
    ctx.log.info(formatBuildSummary(summary, outDir));
    if (!values['no-serve']) await servePreview(outDir, port, ctx);
  },
};
