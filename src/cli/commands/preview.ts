import type { Storage } from '../../deploy/storage/types.ts';
import { ConfigError } from '../../errors.ts';
import { startPreviewServer } from '../../preview/server.ts';
import { COMMON_OPTIONS, intOption, OUT_OPTION, stringOption } from '../args.ts';
import type { Command, CommandContext } from '../command.ts';
import { openStorage, STORAGE_VARIABLES } from './deploy-env.ts';
import { noPositionals } from './util.ts';

export const DEFAULT_PREVIEW_PORT = 4173;

export const PORT_OPTION = {
  port: { type: 'string', value: 'N', default: String(DEFAULT_PREVIEW_PORT), description: 'the port on 127.0.0.1 (0: any free port)' },
} as const;

/**
 * Serves a folder with the viewer until the user stops the command (Ctrl-C). With a storage,
 * the viewer also shows the last deploy to it; the caller keeps (and closes) the storage.
 */
export async function servePreview(outDir: string, port: number, ctx: CommandContext, storage?: Storage): Promise<void> {
  const server = await startPreviewServer({ outDir, port, ...(storage ? { storage } : {}) });
  ctx.log.info(`preview of ${outDir} at ${server.url} (Ctrl-C to stop)`);
  if (storage) ctx.log.info(`the viewer shows the last deploy to ${storage.description}`);
  await ctx.stopSignal;
  await server.close();
}

/** The deploy storage when its settings are complete; none (and why, with --verbose) otherwise. */
function storageIfConfigured(ctx: CommandContext): Storage | undefined {
  try {
    return openStorage(ctx);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    ctx.log.verbose(`no deploy storage configured, the viewer shows no deploy (${error.message})`);
    return undefined;
  }
}

export const previewCommand: Command = {
  name: 'preview',
  summary: 'serve the output folder on 127.0.0.1 for a browser',
  usage: 'preview [--port N] [--out DIR]',
  details:
    'Serves the CDN tree with the content types and CORS headers of the CDN, and a viewer at /: pick a\n' +
    'plan, browse it as an anonymous, logged-in or paying student, open lessons, search, and see the\n' +
    "last build's warnings. When the deploy storage is configured (CDN_STORAGE_PROVIDER and its\n" +
    'settings), the viewer also shows the last deploy and its report.',
  options: { ...PORT_OPTION, ...OUT_OPTION, ...COMMON_OPTIONS },
  config: { uses: [...STORAGE_VARIABLES] },
  async run(values, positionals, ctx) {
    noPositionals('preview', positionals);
    const port = intOption(values, 'port', { min: 0, max: 65535 }) ?? DEFAULT_PREVIEW_PORT;
    const storage = storageIfConfigured(ctx);
    try {
      await servePreview(stringOption(values, 'out'), port, ctx, storage);
    } finally {
      await storage?.close();
    }
  },
};
