import { fileURLToPath } from 'node:url';
import { build, formatBuildSummary } from '../../build/build.ts';
import { COMMON_OPTIONS, intOption, OUT_OPTION, stringOption } from '../args.ts';
import type { Command } from '../command.ts';
import { DEFAULT_PREVIEW_PORT, PORT_OPTION, servePreview } from './preview.ts';
import { noPositionals } from './util.ts';

/** The bundled sample catalog. */
export const SAMPLE_CACHE = fileURLToPath(new URL('../../../samples/content-cache', import.meta.url));

export const demoCommand: Command = {
  name: 'demo',
  summary: 'build the bundled sample catalog and preview it',
  usage: 'demo [--port N] [--out DIR] [--no-serve]',
  details: 'Runs the pipeline on samples/content-cache (no Frappe, no bucket needed), then serves the result.',
  options: {
    ...PORT_OPTION,
    ...OUT_OPTION,
    'no-serve': { type: 'boolean', description: 'stop after the build instead of serving it' },
    ...COMMON_OPTIONS,
  },
  async run(values, positionals, ctx) {
    noPositionals('demo', positionals);
    const outDir = stringOption(values, 'out');
    const port = intOption(values, 'port', { min: 0, max: 65535 }) ?? DEFAULT_PREVIEW_PORT;
    const summary = await build({ cacheDir: SAMPLE_CACHE, outDir, log: ctx.log });
    ctx.log.info(formatBuildSummary(summary, outDir));
    if (!values['no-serve']) await servePreview(outDir, port, ctx);
  },
};
