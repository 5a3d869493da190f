import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CdnError } from '../errors.ts';
import type { Storage } from '../deploy/storage/types.ts';
import { bundleViewer, type ViewerAssets } from './assets.ts';
import { deployInfoProvider, type DeployInfo } from './deploy-info.ts';
import { createPreviewHandler } from './handler.ts';
import type { LiveChannel } from './live.ts';

export interface PreviewServerOptions {
  /** The built CDN tree to serve (usually `out`). */
  outDir: string;
  /** Port to listen on; 0 picks a free port. */
  port: number;
  /** Interface to bind; 127.0.0.1 unless given (the preview is a local development server). */
  host?: string;
  /**
   * The deploy storage whose state and last report the viewer shows. Absent: no deploy info.
   * The caller keeps ownership (the server never closes it).
   */
  storage?: Storage;
  /** Instead of `storage`: any provider of the deploy info. */
  deployInfo?: () => Promise<DeployInfo>;
  /** The viewer's assets; bundled from src/preview/viewer/ at start when absent. */
  viewer?: ViewerAssets;
  /** `dev`'s live channel: events at /_viewer/events, and viewers that follow them. Absent: a plain preview. */
  live?: LiveChannel;
  /** Host names answered besides localhost and IP addresses (`--allow-host`). */
  allowedHosts?: readonly string[];
}

export interface PreviewServer {
  /** Base URL of the server, ending with `/` (for example `http://127.0.0.1:4173/`). */
  url: string;
  server: http.Server;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/**
 * Bundles the viewer, then starts the preview server on `host:port` and resolves once it is
 * listening. A viewer that does not bundle fails the start with esbuild's messages.
 */
export async function startPreviewServer(options: PreviewServerOptions): Promise<PreviewServer> {
  const host = options.host ?? '127.0.0.1';
  const viewer = options.viewer ?? (await bundleViewer());
  const deployInfo = options.deployInfo ?? deployInfoProvider(options.storage ?? null);
  const server = http.createServer(createPreviewHandler({ outDir: options.outDir, viewer, deployInfo, ...(options.live ? { live: options.live } : {}), ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}) }));

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(listenError(error, host, options.port));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, host);
  });

  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' || host.includes(':') ? `[${address.address}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}/`,
    server,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') {
    return new CdnError(
      `Port ${port} on ${host} is already in use by another program; pass --port with another port (or --port 0 for any free port).`,
      { cause: error },
    );
  }
  if (error.code === 'EACCES') {
    return new CdnError(`Not allowed to listen on port ${port} on ${host}; pass --port with a port above 1023.`, { cause: error });
  }
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
    return new CdnError(`Cannot listen on host ${host} (port ${port}): the address is not available on this machine.`, { cause: error });
  }
  return new CdnError(`Cannot start the preview server on ${host}:${port}: ${error.message}`, { cause: error });
}
