/**
 * The live channel of `dev`: the viewers that are open subscribe to `/_viewer/events` (server-sent
 * events; one stream per browser, which its tabs share: viewer/shared-stream.ts) and hear of each
 * rebuild and each failure. Only `dev` creates one; `preview` serves no events. The channel keeps
 * the status a viewer that connects (or reconnects) is told first.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { realTimers, type Timers } from '../io/timers.ts';
import { formatSse, formatSseComment } from './sse.ts';

/** A keep-alive comment this often, so that proxies and idle timeouts leave the stream open. */
export const KEEP_ALIVE_MS = 15_000;
/** How long a browser waits before reconnecting after the stream ends (dev restarted, say). */
export const RECONNECT_MS = 1_000;
/** Viewers subscribed at once; more are refused (503) until some close. */
export const MAX_LIVE_CLIENTS = 64;
/** Changed keys listed in a build event; the count says how many there were in all. */
export const MAX_CHANGED_KEYS = 200;

/** A rebuild that reached out/. */
export interface LiveBuild {
  /** Counts the builds of this dev session from 1. */
  build: number;
  /** When it finished (ISO 8601). */
  at: string;
  /** Keys of the tree that were added, changed or removed (at most MAX_CHANGED_KEYS), or null when not known (the first build). */
  changed: string[] | null;
  /** How many keys changed in all, or null when not known. */
  changed_count: number | null;
}

/** A pull or build that failed: out/ still holds the last good build. */
export interface LiveFailure {
  stage: 'pull' | 'build';
  message: string;
  at: string;
  /** The build out/ still holds (0: none yet in this session). */
  build: number;
}

/** What a viewer is told when it connects. */
export interface LiveStatus {
  /** Names this dev run: a viewer that meets another one (dev restarted) refreshes, whatever the build numbers. */
  session: string;
  /** What dev follows, in words (`Frappe at https://... every 10 s`, `the content cache in ...`). */
  source: string;
  /** The build out/ holds (0: none yet in this session). */
  build: number;
  last_build: LiveBuild | null;
  /** The last failure, until a build succeeds. */
  failure: LiveFailure | null;
}

export interface LiveChannelOptions {
  source: string;
  timers?: Timers;
  keepAliveMs?: number;
  maxClients?: number;
}

export class LiveChannel {
  private readonly clients = new Set<ServerResponse>();
  private readonly timers: Timers;
  private readonly keepAliveMs: number;
  private readonly maxClients: number;
  private keepAlive: unknown = null;
  private eventId = 0;
  private status: LiveStatus;
  private closed = false;

  constructor(options: LiveChannelOptions) {
    this.timers = options.timers ?? realTimers;
    this.keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
    this.maxClients = options.maxClients ?? MAX_LIVE_CLIENTS;
    this.status = { session: randomBytes(6).toString('hex'), source: options.source, build: 0, last_build: null, failure: null };
  }

  /** The status a viewer connecting now would be told. */
  current(): LiveStatus {
    return structuredClone(this.status);
  }

  /** How many viewers are subscribed. */
  get subscribers(): number {
    return this.clients.size;
  }

  /** Answers `GET /_viewer/events`: an event stream that starts with the status. */
  subscribe(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed || this.clients.size >= this.maxClients) {
      const body = `${JSON.stringify({ error: 'too many live viewers', limit: this.maxClients })}\n`;
      res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Retry-After': '5' });
      res.end(body);
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      // nginx and similar proxies buffer responses unless told not to.
      'X-Accel-Buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.socket?.setNoDelay(true);
    res.write(formatSse({ retry: RECONNECT_MS, event: 'status', id: this.eventId, data: this.status }));
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopKeepAlive();
    });
    this.startKeepAlive();
  }

  /** A rebuild reached out/: every viewer refreshes what it shows. */
  published(build: Omit<LiveBuild, 'build'>): LiveBuild {
    const event: LiveBuild = { build: this.status.build + 1, ...build };
    this.status = { ...this.status, build: event.build, last_build: event, failure: null };
    this.broadcast('build', event);
    return event;
  }

  /** A pull or build failed: the viewers say so, and keep showing the last good build. */
  failed(stage: LiveFailure['stage'], message: string, at: string): LiveFailure {
    const failure: LiveFailure = { stage, message, at, build: this.status.build };
    this.status = { ...this.status, failure };
    this.broadcast('failure', failure);
    return failure;
  }

  /** A pull or build succeeded again without a new build to announce: the viewers drop the failure. */
  recovered(): void {
    if (this.status.failure === null) return;
    this.status = { ...this.status, failure: null };
    this.broadcast('recovered', { build: this.status.build });
  }

  /** Ends every stream and refuses new ones. */
  close(): void {
    this.closed = true;
    this.stopKeepAlive();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private broadcast(event: string, data: unknown): void {
    const text = formatSse({ event, id: ++this.eventId, data });
    for (const res of this.clients) res.write(text);
  }

  private startKeepAlive(): void {
    if (this.keepAlive !== null || this.closed) return;
    const tick = (): void => {
      for (const res of this.clients) res.write(formatSseComment('keep-alive'));
      this.keepAlive = this.timers.setTimeout(tick, this.keepAliveMs);
    };
    this.keepAlive = this.timers.setTimeout(tick, this.keepAliveMs);
  }

  private stopKeepAlive(): void {
    if (this.keepAlive === null) return;
    this.timers.clearTimeout(this.keepAlive);
    this.keepAlive = null;
  }
}

/** The changed keys of a build as an event carries them: sorted, at most `max`, with the full count. */
export function changedSummary(keys: Iterable<string> | null, max = MAX_CHANGED_KEYS): Pick<LiveBuild, 'changed' | 'changed_count'> {
  if (keys === null) return { changed: null, changed_count: null };
  const all = [...keys].sort();
  return { changed: all.slice(0, max), changed_count: all.length };
}
