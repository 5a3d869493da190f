/**
 * Calls `fn` once things settle: each trigger restarts the wait, so a burst of file events (a
 * cache written file by file, then its index renamed into place) gives one call, `waitMs` after
 * the last event. Runs on injected timers, so tests move the clock themselves.
 */
import { realTimers, type Timers } from '../io/timers.ts';

export interface Debouncer {
  trigger(): void;
  cancel(): void;
  readonly pending: boolean;
}

export function debounce(fn: () => void, waitMs: number, timers: Timers = realTimers): Debouncer {
  let handle: unknown = null;
  return {
    trigger() {
      if (handle !== null) timers.clearTimeout(handle);
      handle = timers.setTimeout(() => {
        handle = null;
        fn();
      }, waitMs);
    },
    cancel() {
      if (handle !== null) timers.clearTimeout(handle);
      handle = null;
    },
    get pending() {
      return handle !== null;
    },
  };
}
