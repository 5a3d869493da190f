import { UsageError } from '../../errors.ts';
import { printableLines } from '../../io/printable.ts';

export function noPositionals(command: string, positionals: readonly string[]): void {
  if (positionals.length > 0) {
    throw new UsageError(`${command}: unexpected argument ${JSON.stringify(positionals[0])}; see \`${command} --help\``);
  }
}

/** Writes a command's result lines to stdout, each made printable: names from content never reach the terminal raw. */
export function writeLines(out: NodeJS.WritableStream, lines: readonly string[]): void {
  out.write(`${printableLines(lines.join('\n'))}\n`);
}

/**
 * Writes a value as JSON to stdout. JSON.stringify leaves C1 and bidi controls raw; they are
 * escaped too (`\u009b`), which keeps the JSON valid and its value the same.
 */
export function writeJson(out: NodeJS.WritableStream, value: unknown, indent?: number): void {
  out.write(`${printableLines(JSON.stringify(value, null, indent))}\n`);
}
