import type { Logger } from '../log.ts';
import type { OptionSpecs, ParsedValues } from './args.ts';

export interface CommandContext {
  log: Logger;
  env: NodeJS.ProcessEnv;
  /** Where results go (stdout). */
  out: NodeJS.WritableStream;
  /** Resolves when the user asks a long-running command (preview) to stop. */
  stopSignal: Promise<void>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Longer help shown by `<command> --help`. */
  details?: string;
  options: OptionSpecs;
  run(values: ParsedValues, positionals: string[], ctx: CommandContext): Promise<void>;
}
