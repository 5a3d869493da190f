/**
 * The command-line interface: parses arguments, runs one command, and is the only place that
 * turns errors into exit codes (0 success, 1 failure, 2 bad usage or configuration).
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/env.ts';
import { CdnError, describeError, UsageError } from '../errors.ts';
import { inGitHubActions } from '../github-actions.ts';
import { createLogger } from '../log.ts';
import { formatOptions, parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { buildCommand } from './commands/build.ts';
import { demoCommand } from './commands/demo.ts';
import { deployCommand } from './commands/deploy.ts';
import { diffCommand } from './commands/diff.ts';
import { doctorCommand } from './commands/doctor.ts';
import { logCommand } from './commands/log.ts';
import { purgeCommand } from './commands/purge.ts';
import { rollbackCommand } from './commands/rollback.ts';
import { statusCommand } from './commands/status.ts';
import { verifyCommand } from './commands/verify.ts';
import { generateCommand } from './commands/generate.ts';
import { previewCommand } from './commands/preview.ts';
import { pullCommand } from './commands/pull.ts';

export const COMMANDS: readonly Command[] = [
  pullCommand,
  buildCommand,
  diffCommand,
  deployCommand,
  statusCommand,
  logCommand,
  verifyCommand,
  rollbackCommand,
  purgeCommand,
  doctorCommand,
  previewCommand,
  demoCommand,
  generateCommand,
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function toolHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'memora-cdn: builds Memora curriculum into a static JSON CDN tree.',
    '',
    'Usage: npm run cdn -- <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run `npm run cdn -- <command> --help` for the options of a command.',
    'Exit codes: 0 success, 1 failure, 2 bad usage or configuration.',
  ].join('\n');
}

export function commandHelp(c: Command): string {
  return [`Usage: npm run cdn -- ${c.usage}`, '', `${c.summary[0]?.toUpperCase()}${c.summary.slice(1)}.`, ...(c.details ? ['', c.details] : []), '', 'Options:', formatOptions(c.options)].join('\n');
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  stopSignal?: Promise<void>;
  /** The commands to offer (tests); defaults to COMMANDS. */
  commands?: readonly Command[];
}

/** Runs the CLI and returns the exit code; never throws. */
export async function runCli(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const commands = options.commands ?? COMMANDS;
  const [name, ...rest] = argv;
  let verbose = rest.includes('--verbose') || rest.includes('-v');
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      stdout.write(`${toolHelp()}\n`);
      return name === undefined ? 2 : 0;
    }
    if (name === '--version') {
      stdout.write(`${version()}\n`);
      return 0;
    }
    const command = commands.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}; commands: ${commands.map((c) => c.name).join(', ')}`);
    const { values, positionals } = parseCommandArgs(command.name, rest, command.options);
    if (values.help) {
      stdout.write(`${commandHelp(command)}\n`);
      return 0;
    }
    verbose = Boolean(values.verbose);
    const env = options.env ?? process.env;
    const log = createLogger({ verbose, stream: stderr, githubActions: inGitHubActions(env) });
    const config = loadConfig(env, { uses: command.config?.uses ?? [], requires: command.config?.requires ?? [] });
    await command.run(values, positionals, { log, config, out: stdout, stopSignal: options.stopSignal ?? new Promise<void>(() => {}), stepOutputFile: env.GITHUB_OUTPUT || null });
    return 0;
  } catch (error) {
    if (error instanceof CdnError && error.expected) {
      // An operational error says what to do; a stack trace would only hide that, at any verbosity.
      stderr.write(`error: ${describeError(error)}\n`);
      return error.exitCode;
    }
    stderr.write(`error: unexpected failure, please report it:\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
