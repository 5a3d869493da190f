/**
 * Runs an async task again and again with a pause between the end of one run and the start of
 * the next (so a slow pull never overlaps the next one). Injected timers for tests.
 */
import { realTimers, type Timers } from '../io/timers.ts';

export interface Repeater {
  /** Stops: no run starts after this; resolves when the run in progress (if any) has ended. */
  stop(): Promise<void>;
}

export interface RepeatOptions {
  timers?: Timers;
  /** Where a run's failure goes; the next run still comes. */
  onError: (error: unknown) => void;
}

/** Runs `task` every `intervalMs` after the previous run ended; the first run comes after one interval (the caller did one already). */
export function repeatEvery(task: () => Promise<void>, intervalMs: number, options: RepeatOptions): Repeater {
  const timers = options.timers ?? realTimers;
  let stopped = false;
  let handle: unknown = null;
  let running: Promise<void> | null = null;

  const schedule = (): void => {
    if (stopped) return;
    handle = timers.setTimeout(run, intervalMs);
  };
  const run = (): void => {
    handle = null;
    if (stopped) return;
    running = task().catch(options.onError);
    void running.then(() => {
      running = null;
      schedule();
    });
  };

  schedule();
  return {
    async stop() {
      stopped = true;
      if (handle !== null) timers.clearTimeout(handle);
      handle = null;
      await running;
    },
  };
}
