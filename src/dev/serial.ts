/**
 * One task at a time: a request while the task runs schedules exactly one more run after it
 * (however many requests arrive meanwhile), so a change made during a build is built next, and
 * two builds never overlap. No timers, no I/O: tests drive it with promises they resolve.
 */

export interface SerialRunner {
  /**
   * Asks for a run: at once when idle, else one more run after the current one. Resolves when a
   * run that started after this request has finished (never rejects: failures go to onError).
   */
  request(): Promise<void>;
  /** Resolves when no run is in progress or scheduled. */
  idle(): Promise<void>;
  readonly running: boolean;
  /** True when a run is scheduled after the current one. */
  readonly pending: boolean;
}

export function serialRunner(task: () => Promise<void>, onError: (error: unknown) => void): SerialRunner {
  let current: Promise<void> | null = null;
  let next: Promise<void> | null = null;

  const start = (): Promise<void> => {
    const run = (async () => {
      try {
        await task();
      } catch (error) {
        onError(error);
      }
    })();
    current = run.then(() => {
      current = null;
    });
    return current;
  };

  return {
    request() {
      if (current === null) return start();
      next ??= current.then(() => {
        next = null;
        return start();
      });
      return next;
    },
    async idle() {
      while (current !== null || next !== null) await (next ?? current);
    },
    get running() {
      return current !== null;
    },
    get pending() {
      return next !== null;
    },
  };
}
