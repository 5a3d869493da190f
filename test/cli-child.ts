/**
 * A CLI process started ahead of time, for crash tests (test/converge.ts): it loads the CLI and
 * the modules a deploy uses, says "ready", then runs the one command it is sent over IPC, with the
 * environment it is sent, and exits with the command's exit code. A test kills it mid-run with
 * SIGKILL; starting it early only keeps Node's and tsx's start-up out of each run.
 */
import { runCli } from '../src/cli/cli.ts';

// What `deploy` loads, so that the command starts at once when asked to.
await Promise.all([import('../src/deploy/deploy.ts'), import('../src/deploy/storage/index.ts'), import('../src/build/build.ts')]);

process.once('message', (message: { argv: string[]; env: Record<string, string> }) => {
  void runCli(message.argv, { env: { ...process.env, ...message.env } }).then((code) => {
    process.exit(code);
  });
});
process.send?.('ready');
