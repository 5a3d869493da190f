import { UsageError } from '../../errors.ts';

export function noPositionals(command: string, positionals: readonly string[]): void {
  if (positionals.length > 0) {
    throw new UsageError(`${command}: unexpected argument ${JSON.stringify(positionals[0])}; see \`${command} --help\``);
  }
}
