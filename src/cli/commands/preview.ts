import { startPreviewServer } from '../../preview/server.ts';
import { COMMON_OPTIONS, intOption, OUT_OPTION, stringOption } from '../args.ts';
import type { Command, CommandContext } from '../command.ts';
import { noPositionals } from './util.ts';

export const DEFAULT_PREVIEW_PORT = 4173;

export const PORT_OPTION = {
  port: { type: 'string', value: 'N', default: String(DEFAULT_PREVIEW_PORT), description: 'the port on 127.0.0.1 (0: any free port)' },
} as const;

/** Serves a folder until the user stops the command (Ctrl-C). */
export async function servePreview(outDir: string, port: number, ctx: CommandContext): Promise<void> {
  const server = await startPreviewServer({ outDir, port });
  ctx.log.info(`preview of ${outDir} at ${server.url} (Ctrl-C to stop)`);
  await ctx.stopSignal;
  await server.close();
}

export const previewCommand: Command = {
  name: 'preview',
  summary: 'serve the output folder on 127.0.0.1 for a browser',
  usage: 'preview [--port N] [--out DIR]',
  details: 'Serves the CDN tree with the content types and CORS headers of the CDN, and an index page of the plans.',
  options: { ...PORT_OPTION, ...OUT_OPTION, ...COMMON_OPTIONS },
  async run(values, positionals, ctx) {
    noPositionals('preview', positionals);
    const port = intOption(values, 'port', { min: 0, max: 65535 }) ?? DEFAULT_PREVIEW_PORT;
    await servePreview(stringOption(values, 'out'), port, ctx);
  },
};
