/** The `preview` command's code; its help, options and settings are in ../command-table.ts. */
import type { Storage } from '../../deploy/storage/types.ts';
import { ConfigError } from '../../errors.ts';
import { startPreviewServer } from '../../preview/server.ts';
import { allowedHostsOption, DEFAULT_PREVIEW_PORT, intOption, stringOption } from '../args.ts';
import type { CommandContext, CommandRun } from '../command.ts';
import { openStorage } from './deploy-env.ts';
import { noPositionals } from './util.ts';

/**
 * Serves a folder with the viewer until the user stops the command (Ctrl-C). With a storage,
 * the viewer also shows the last deploy to it; the caller keeps (and closes) the storage.
 */
export async function servePreview(outDir: string, port: number, allowedHosts: readonly string[], ctx: CommandContext, storage?: Storage): Promise<void> {
  const server = await startPreviewServer({ outDir, port, allowedHosts, ...(storage ? { storage } : {}) });
  ctx.log.info(`preview of ${outDir} at ${server.url} (Ctrl-C to stop)`);
  if (storage) ctx.log.info(`the viewer shows the last deploy to ${storage.description}`);
  await ctx.untilStopped();
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

export const run: CommandRun = async (values, positionals, ctx) => {
  noPositionals('preview', positionals);
  const port = intOption(values, 'port', { min: 0, max: 65535 }) ?? DEFAULT_PREVIEW_PORT;
  const allowedHosts = allowedHostsOption(values);
  const storage = storageIfConfigured(ctx);
  try {
    await servePreview(stringOption(values, 'out'), port, allowedHosts, ctx, storage);
  } finally {
    await storage?.close();
  }
};
