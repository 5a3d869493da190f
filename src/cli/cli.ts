/**
 * The command-line interface: parses arguments, runs one command, and is the only place that
 * turns errors into exit codes (0 success, 1 failure, 2 bad usage or configuration).
 */
import { readFileSync } from 'node:fs';
import { exitCodeOf, formatFailure, UsageError } from '../errors.ts';
import { inGitHubActions } from '../github-actions.ts';
import { printableLines } from '../io/printable.ts';
import { createLogger } from '../log.ts';
import { formatOptions, parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { COMMANDS } from './command-table.ts';
import { withEnvFile } from './env-file.ts';
import { closestName } from './suggest.ts';

export { COMMANDS };

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function toolHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'memora-cdn: builds Memora curriculum into a static JSON CDN tree.',
    '',
    'Usage: memora-cdn <command> [options]',
    '       (in a checkout of memora-cdn, `npm run cdn -- <command> [options]` runs the same)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run `memora-cdn help <command>` for the options of a command.',
    'Settings come from the environment and from a .env file in the current folder (the environment wins).',
    'Exit codes: 0 success, 1 failure, 2 bad usage or configuration.',
  ].join('\n');
}

export function commandHelp(c: Command): string {
  return [`Usage: memora-cdn ${c.usage}`, '', `${c.summary[0]?.toUpperCase()}${c.summary.slice(1)}.`, ...(c.details ? ['', c.details] : []), '', 'Options:', formatOptions(c.options)].join('\n');
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Resolves when the user stops a command that runs until stopped (main: the first Ctrl-C or SIGTERM once it waits). */
  untilStopped?: () => Promise<void>;
  /** The commands to offer (tests); defaults to COMMANDS. */
  commands?: readonly Command[];
  /** A dotenv file whose variables are added to env when a command runs (main: `.env`). */
  envFile?: string;
}

function findCommand(commands: readonly Command[], name: string): Command {
  const command = commands.find((c) => c.name === name);
  if (command) return command;
  const names = commands.map((c) => c.name);
  const suggestion = closestName(name, names);
  throw new UsageError(`unknown command ${JSON.stringify(name)}; ${suggestion ? `did you mean ${JSON.stringify(suggestion)}?` : `commands: ${names.join(', ')}`}`);
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const commands = options.commands ?? COMMANDS;
  const [name, ...rest] = argv;
  let verbose = rest.includes('--verbose') || rest.includes('-v');
  try {
    if (name === undefined || name === '--help' || name === '-h') {
      stdout.write(`${toolHelp()}\n`);
      return name === undefined ? 2 : 0;
    }
    if (name === '--version') {
      stdout.write(`${version()}\n`);
      return 0;
    }
    if (name === 'help') {
      const [topic, ...extra] = rest.filter((a) => !['--verbose', '-v', '--help', '-h'].includes(a));
      if (extra.length > 0) throw new UsageError(`help: unexpected argument ${JSON.stringify(extra[0])}; usage: help [<command>]`);
      stdout.write(`${topic === undefined ? toolHelp() : commandHelp(findCommand(commands, topic))}\n`);
      return 0;
    }
    const command = findCommand(commands, name);
    const { values, positionals } = parseCommandArgs(command.name, rest, command.options);
    if (values.help) {
      stdout.write(`${commandHelp(command)}\n`);
      return 0;
    }
    verbose = Boolean(values.verbose);
    const env = options.envFile === undefined ? (options.env ?? process.env) : withEnvFile(options.env ?? process.env, options.envFile);
    const log = createLogger({ verbose, stream: stderr, githubActions: inGitHubActions(env) });
    // Loaded here, not at start: the settings' schemas (zod) are not needed for help.
    const { loadConfig } = await import('../config/env.ts');
    const config = loadConfig(env, { uses: command.config?.uses ?? [], requires: command.config?.requires ?? [] });
    const { run } = await command.load();
    await run(values, positionals, { log, config, out: stdout, untilStopped: options.untilStopped ?? (() => new Promise<void>(() => {})), stepOutputFile: env.GITHUB_OUTPUT || null });
    return 0;
  } catch (error) {
    // An operational error says what to do; a stack trace would only hide that, at any verbosity.
    stderr.write(`${printableLines(formatFailure(error, verbose))}\n`);
    return exitCodeOf(error);
  }
}
