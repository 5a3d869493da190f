import type { VariableName } from '../config/env.ts';
import type { Logger } from '../log.ts';
import type { OptionSpecs, ParsedValues } from './args.ts';

export interface CommandContext {
  log: Logger;
  /** The command's environment variables, validated (see Command.config). */
  config: Partial<Record<VariableName, unknown>>;
  /** Where results go (stdout). */
  out: NodeJS.WritableStream;
  /** Resolves when the user asks a long-running command (preview) to stop. */
  stopSignal: Promise<void>;
  /** GITHUB_OUTPUT: the file a GitHub Actions step appends its outputs to, or null outside one. */
  stepOutputFile: string | null;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Longer help shown by `<command> --help`. */
  details?: string;
  options: OptionSpecs;
  /** Environment variables the command reads, validated before it runs; it sees no others. */
  config?: { uses: readonly VariableName[]; requires?: readonly VariableName[] };
  run(values: ParsedValues, positionals: string[], ctx: CommandContext): Promise<void>;
}
