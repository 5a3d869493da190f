/**
 * One event stream for every tab of the viewer in a browser. Browsers allow 6 HTTP/1.1
 * connections per host, and an EventSource holds one for good: with one stream per tab, the
 * sixth tab left no connection for the files, every tab froze at "Loading…" and a seventh never
 * loaded. So the tabs elect one of them with the Web Locks API: the tab that holds the lock opens
 * the EventSource and relays what it hears over a BroadcastChannel; the others wait in the lock's
 * queue, and when the holder closes (its lock is released with it) the next one takes over and
 * opens the stream itself. A tab that joins asks the holder for what it missed (the holder
 * answers with a snapshot: the status as it stands now). Where either API is missing (an origin
 * that is not a secure context, say), each tab opens its own stream, as before.
 */

/** The events of dev's stream (src/preview/live.ts). */
export const LIVE_EVENT_TYPES = ['status', 'build', 'failure', 'recovered'] as const;
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

/** What a tab hears of the stream, the same whether it holds the stream or hears it relayed. */
export type StreamMessage =
  /** The stream (re)connected. */
  | { kind: 'open' }
  /** The stream broke; the browser reconnects (the server said how soon). */
  | { kind: 'error' }
  /** An event, its data as the server sent it (JSON). */
  | { kind: 'event'; type: LiveEventType; data: string };

/**
 * How a tab hears the stream: `relayed` from the tab that holds the shared stream, as `holder`
 * of it, or `own` when it opened one for itself alone (no Web Locks or BroadcastChannel).
 */
export type StreamRole = 'holder' | 'relayed' | 'own';

export interface StreamHandlers {
  /** One message, in the stream's order. */
  receive(message: StreamMessage): void;
  /** What a tab that joins now must hear to catch up (this tab holds the stream); empty when it knows nothing yet. */
  snapshot(): StreamMessage[];
  /** How this tab hears the stream, on opening and whenever that changes (it takes the stream over). */
  role(role: StreamRole): void;
}

/** What the tabs say to each other over the channel. */
type ChannelMessage =
  /** A tab joined: the holder answers it with a snapshot. */
  | { kind: 'hello'; from: string }
  /** The holder relays a message of the stream, to every tab or (a snapshot) to one. */
  | { kind: 'relay'; to: string | null; message: StreamMessage };

/**
 * Opens the stream at `endpoint` for this tab, shared with the other tabs of the browser when it
 * can be. A page that leaves (closed, reloaded, or kept in the back/forward cache) lets go of the
 * stream at once, so that another tab takes it over; a page restored from that cache joins again.
 */
export function openSharedStream(endpoint: string, handlers: StreamHandlers): void {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (typeof locks?.request !== 'function' || typeof BroadcastChannel === 'undefined') {
    handlers.role('own');
    openEventSource(endpoint, handlers.receive);
    return;
  }
  let leave: (() => void) | null = joinShared(locks, `memora-live ${endpoint}`, endpoint, handlers);
  addEventListener('pagehide', () => {
    leave?.();
    leave = null;
  });
  addEventListener('pageshow', (event) => {
    if (event.persisted && leave === null) leave = joinShared(locks, `memora-live ${endpoint}`, endpoint, handlers);
  });
}

/** Joins the tabs that share the stream: hears it relayed until this tab gets the lock, then holds it. Returns how to leave. */
function joinShared(locks: LockManager, name: string, endpoint: string, handlers: StreamHandlers): () => void {
  const self = crypto.randomUUID(); // Web Locks, like randomUUID, exist only in a secure context
  const channel = new BroadcastChannel(name);
  const waiting = new AbortController();
  let source: EventSource | null = null;
  let release: (() => void) | null = null;

  channel.addEventListener('message', (event: MessageEvent<ChannelMessage>) => {
    const message = event.data;
    if (source !== null) {
      if (message.kind === 'hello') for (const caughtUp of handlers.snapshot()) channel.postMessage({ kind: 'relay', to: message.from, message: caughtUp } satisfies ChannelMessage);
      return;
    }
    if (message.kind === 'relay' && (message.to === null || message.to === self)) handlers.receive(message.message);
  });
  handlers.role('relayed');
  channel.postMessage({ kind: 'hello', from: self } satisfies ChannelMessage);

  // Waits in the lock's queue until the tab that holds it leaves; then holds it until this one leaves.
  locks
    .request(name, { signal: waiting.signal }, () => {
      if (waiting.signal.aborted) return undefined; // granted as the page left: let go at once
      handlers.role('holder');
      source = openEventSource(endpoint, (message) => {
        handlers.receive(message);
        channel.postMessage({ kind: 'relay', to: null, message } satisfies ChannelMessage);
      });
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    })
    .catch(() => undefined); // AbortError: the page left while waiting
  return () => {
    waiting.abort();
    source?.close();
    release?.();
    channel.close();
  };
}

function openEventSource(endpoint: string, deliver: (message: StreamMessage) => void): EventSource {
  const source = new EventSource(endpoint);
  source.addEventListener('open', () => deliver({ kind: 'open' }));
  source.addEventListener('error', () => deliver({ kind: 'error' }));
  for (const type of LIVE_EVENT_TYPES) {
    source.addEventListener(type, (event) => deliver({ kind: 'event', type, data: String((event as MessageEvent).data) }));
  }
  return source;
}
