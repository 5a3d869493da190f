/**
 * Live refresh, when the page is served by `dev` (a `<meta name="memora-live">` says so and
 * where the events are): subscribe to the server's events, and after each rebuild that changed
 * something ask the page to show the same place again from the new build, in place. A failed
 * pull or build is shown in the status area; the page keeps what it shows. `preview` alone has
 * no such meta, and nothing here runs. All the tabs of a browser share one event stream
 * (shared-stream.ts): each still keeps its own state and draws its own panel.
 */
import { h, replace } from './dom.ts';
import { openSharedStream, type StreamMessage } from './shared-stream.ts';

import type { LiveBuild, LiveFailure, LiveStatus } from '../live.ts';

/** What the page shows: the dev session and build it was drawn from. */
export interface Shown {
  session: string;
  build: number;
}

/** Whether a build event makes the page draw itself again: a newer build that changed something (or may have). */
export function refreshForBuild(shown: Shown, event: LiveBuild): boolean {
  return event.build > shown.build && (event.changed === null || event.changed.length > 0);
}

/** Whether the status told on (re)connecting makes the page draw itself again: another dev run, or builds it missed. */
export function refreshForStatus(shown: Shown, status: LiveStatus): boolean {
  return status.session !== shown.session || status.build > shown.build;
}

export interface LiveHooks {
  /** Draws the current place again from the new build (re-fetching what it shows). */
  refresh(): Promise<void>;
}

/** The live panel for the status area, or null when the page is not served by dev. */
export function startLive(hooks: LiveHooks): HTMLElement | null {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="memora-live"]');
  const endpoint = meta?.content;
  if (!meta || !endpoint || typeof EventSource === 'undefined') return null;
  let shown: Shown = { session: meta.dataset.session ?? '', build: Number(meta.dataset.build ?? '0') || 0 };
  let status: LiveStatus | null = null;
  let connected = false;

  const body = h('div', { testid: 'live-body' }, h('p', { className: 'muted' }, 'Connecting…'));
  const panel = h('section', { className: 'panel live', testid: 'live-panel', attrs: { 'aria-labelledby': 'live-heading', 'aria-live': 'polite' } }, h('h2', { attrs: { id: 'live-heading' } }, 'Live preview'), body);

  const draw = (): void => {
    const lines: HTMLElement[] = [];
    if (status) lines.push(h('p', { className: 'muted' }, 'Following ', h('span', { dir: 'auto' }, status.source), '.'));
    lines.push(
      h(
        'p',
        { testid: 'live-status', attrs: { 'data-build': String(shown.build) } },
        connected ? '' : 'Disconnected from dev, reconnecting… ',
        status?.last_build ? `Showing build ${shown.build}, rebuilt at ${clock(status.last_build.at)}` : `Showing build ${shown.build}`,
        status?.last_build?.changed_count != null ? ` (${status.last_build.changed_count} file${status.last_build.changed_count === 1 ? '' : 's'} changed).` : '.',
      ),
    );
    const failure = status?.failure;
    if (failure) {
      lines.push(
        h(
          'p',
          { className: 'error', testid: 'live-error' },
          `The last ${failure.stage} failed at ${clock(failure.at)}: `,
          h('span', { dir: 'auto' }, failure.message),
          failure.build > 0 ? ` The preview still serves build ${failure.build}.` : ' There is no good build yet.',
        ),
      );
    }
    replace(body, lines);
  };

  // One refresh at a time; a build that lands during one asks for one more.
  let refreshing: Promise<void> | null = null;
  let again = false;
  const refresh = (): void => {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = hooks
      .refresh()
      .catch(() => undefined)
      .then(() => {
        refreshing = null;
        if (again) {
          again = false;
          refresh();
        }
      });
  };

  const receive = (message: StreamMessage): void => {
    if (message.kind === 'open' || message.kind === 'error') {
      connected = message.kind === 'open';
      draw();
      return;
    }
    switch (message.type) {
      case 'status': {
        const next = parse<LiveStatus>(message.data);
        if (!next) return;
        status = next;
        connected = true;
        const stale = refreshForStatus(shown, next);
        shown = { session: next.session, build: next.build };
        draw();
        if (stale) refresh();
        return;
      }
      case 'build': {
        const build = parse<LiveBuild>(message.data);
        if (!build || !status) return;
        const stale = refreshForBuild(shown, build);
        status = { ...status, build: build.build, last_build: build, failure: null };
        shown = { ...shown, build: Math.max(shown.build, build.build) };
        draw();
        if (stale) refresh();
        return;
      }
      case 'failure': {
        const failure = parse<LiveFailure>(message.data);
        if (!failure || !status) return;
        status = { ...status, failure };
        draw();
        return;
      }
      case 'recovered':
        if (!status) return;
        status = { ...status, failure: null };
        draw();
        return;
    }
  };
  // A tab that joins hears the status as this tab knows it (the server's, updated by every event since), as on connecting.
  const snapshot = (): StreamMessage[] => (status ? [{ kind: 'event', type: 'status', data: JSON.stringify(status) }, ...(connected ? [] : [{ kind: 'error' } as const])] : []);
  openSharedStream(endpoint, {
    receive,
    snapshot,
    // Which tab holds the stream, for a look in the developer tools (and the tests).
    role: (role) => {
      panel.dataset.stream = role;
    },
  });
  draw();
  return panel;
}

function parse<T>(data: string): T | null {
  try {
    return JSON.parse(data) as T;
  } catch {
    return null;
  }
}

/** A time of day for the status area (the browser's zone and locale). */
function clock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}
