#!/usr/bin/env node
/** The memora-cdn executable: `memora-cdn <command> [options]` (in a checkout: `npm run cdn -- ...`). */
import module from 'node:module';
import { runCli } from './cli.ts';

// Node 22.1 and later can keep the compiled code of the modules a run loads on disk (in the
// system's temporary folder), so that the next run of a command starts faster; older Nodes skip it.
module.enableCompileCache?.();

// Ctrl-C or SIGTERM ends a command at once, as it would end any program (pull, build and deploy
// are made to be stopped anywhere: the next run finishes the job), through process.exit so that
// what the command holds is given back on the way out (a build's output lock). A command that
// runs until it is stopped (preview, dev) waits for the signal instead, and closes what it serves;
// a second signal then ends it at once.
let stopping: (() => void) | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return stopping();
    process.stderr.write(`memora-cdn: stopped by ${signal}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
const untilStopped = () => new Promise<void>((resolve) => (stopping = resolve));

// Relative paths (options, defaults such as out/, and .env) are taken from the current folder.
process.exitCode = await runCli(process.argv.slice(2), { untilStopped, envFile: '.env' });
