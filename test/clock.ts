/** A clock for code that takes Timers (src/io/timers.ts): time moves only when a test says so. */
import type { Timers } from '../src/io/timers.ts';

export interface ManualTimers extends Timers {
  /** Moves time forward, firing what falls due in order (timers set meanwhile included). */
  advance(ms: number): void;
  /** Timers set and not yet fired or cleared. */
  readonly pending: number;
  readonly now: number;
}

export function manualTimers(): ManualTimers {
  let now = 0;
  let nextId = 1;
  const due = new Map<number, { at: number; callback: () => void }>();
  return {
    setTimeout(callback, ms) {
      const id = nextId++;
      due.set(id, { at: now + Math.max(0, ms), callback });
      return id;
    },
    clearTimeout(handle) {
      due.delete(handle as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let first: [number, { at: number; callback: () => void }] | undefined;
        for (const entry of due) if (entry[1].at <= end && (first === undefined || entry[1].at < first[1].at)) first = entry;
        if (first === undefined) break;
        due.delete(first[0]);
        now = first[1].at;
        first[1].callback();
      }
      now = end;
    },
    get pending() {
      return due.size;
    },
    get now() {
      return now;
    },
  };
}
