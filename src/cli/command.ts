import type { VariableName } from '../config/env.ts';
import type { Logger } from '../log.ts';
import type { OptionSpecs, ParsedValues } from './args.ts';

export interface CommandContext {
  log: Logger;
  /** The command's environment variables, validated (see Command.config). */
  config: Partial<Record<VariableName, unknown>>;
  /** Where results go (stdout). */
  out: NodeJS.WritableStream;
  /**
   * Waits until the user stops a command that runs until stopped (preview, dev: Ctrl-C). Until a
   * command calls it, a stop ends the process at once.
   */
  untilStopped(): Promise<void>;
  /** GITHUB_OUTPUT: the file a GitHub Actions step appends its outputs to, or null outside one. */
  stepOutputFile: string | null;
}

/** What a command does when it runs. */
export type CommandRun = (values: ParsedValues, positionals: string[], ctx: CommandContext) => Promise<void>;

/**
 * A command as the table lists it: its help and options are plain data, and its code (which may
 * import the AWS SDK, esbuild or undici) is imported only when the command runs.
 */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Longer help shown by `<command> --help`. */
  details?: string;
  options: OptionSpecs;
  /** Environment variables the command reads, validated before it runs; it sees no others. */
  config?: { uses: readonly VariableName[]; requires?: readonly VariableName[] };
  /** Imports the command's module. */
  load(): Promise<{ run: CommandRun }>;
}
