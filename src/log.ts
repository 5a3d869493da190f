/**
 * Layered logging: a short default log, `--verbose` for the details, and progress lines only on
 * an interactive terminal (never in CI logs). Everything goes to stderr except results a command
 * is asked for, which commands print to stdout themselves. Every line is printed through
 * printableLines: names from content cannot reach the terminal or the CI log raw. In GitHub
 * Actions each phase of a command is a collapsible group of the log (`::group::`); elsewhere
 * phases leave no trace.
 */
import { inGitHubActions, workflowCommand } from './github-actions.ts';
import { printableLines } from './io/printable.ts';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Only with --verbose. */
  verbose(message: string): void;
  readonly isVerbose: boolean;
  /** A progress line that rewrites itself (total 0: unknown); a no-op when output is not an interactive terminal. */
  progress(label: string, done: number, total: number): void;
  /** Ends a progress line. */
  progressDone(): void;
  /**
   * Runs one phase of a command (pull, build, upload, ...). In GitHub Actions its lines form a
   * collapsible group titled `title`, closed however the phase ends; groups do not nest there, so
   * a phase inside another joins the outer group. Elsewhere it just runs `work`.
   */
  group<T>(title: string, work: () => Promise<T>): Promise<T>;
}

export interface LoggerOptions {
  verbose?: boolean;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Defaults to: the stream is a terminal and the CI variable is not set. */
  interactive?: boolean;
  /** Print phases as `::group::` sections. Defaults to: GITHUB_ACTIONS is `true`. */
  githubActions?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const interactive = options.interactive ?? (Boolean(stream.isTTY) && !process.env.CI);
  const verbose = options.verbose ?? false;
  const groups = options.githubActions ?? inGitHubActions();
  let inGroup = false;
  let progressShown = false;
  let lastDraw = 0;
  const clear = () => {
    if (progressShown) {
      stream.write('\r\x1b[K');
      progressShown = false;
    }
  };
  return {
    isVerbose: verbose,
    info(message) {
      clear();
      stream.write(`${printableLines(message)}\n`);
    },
    warn(message) {
      clear();
      stream.write(`warning: ${printableLines(message)}\n`);
    },
    verbose(message) {
      if (!verbose) return;
      clear();
      stream.write(`${printableLines(message)}\n`);
    },
    progress(label, done, total) {
      if (!interactive) return;
      const now = Date.now();
      if ((total <= 0 || done < total) && now - lastDraw < 100) return;
      lastDraw = now;
      const count = done.toLocaleString('en');
      // total 0: the end is not known in advance (a pull), so only the count is shown.
      const text = total > 0 ? `${count}/${total.toLocaleString('en')} (${Math.floor((done / total) * 100)}%)` : count;
      stream.write(`\r\x1b[K${label} ${text}`);
      progressShown = true;
    },
    progressDone() {
      clear();
    },
    async group(title, work) {
      if (!groups || inGroup) return work();
      clear();
      stream.write(`${workflowCommand('group', {}, title)}\n`);
      inGroup = true;
      try {
        return await work();
      } finally {
        inGroup = false;
        clear();
        stream.write(`${workflowCommand('endgroup', {})}\n`);
      }
    },
  };
}

/** A logger that keeps everything in memory, for tests. */
export function memoryLogger(verbose = false): Logger & { lines: string[] } {
  const lines: string[] = [];
  const stream = { write: (s: string) => (lines.push(...s.split('\n').filter(Boolean)), true), isTTY: false } as unknown as NodeJS.WritableStream;
  return Object.assign(createLogger({ verbose, stream, interactive: false, githubActions: false }), { lines });
}
