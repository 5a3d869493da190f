/** The error hierarchy and what the CLI prints when a run ends with an error. */
import { readFile } from 'node:fs/promises';
import { errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/cli.ts';
import type { Command } from '../src/cli/command.ts';
import { PreconditionFailedError, StorageError } from '../src/deploy/storage/types.ts';
import { CdnError, ConfigError, exitCodeOf, formatFailure, isOperational } from '../src/errors.ts';
import { networkFailure } from '../src/io/network.ts';
import { TransientError } from '../src/pull/errors.ts';
import { capture } from './helpers.ts';

function commandThrowing(error: () => unknown): Command {
  return {
    name: 'fail',
    summary: 'fails',
    usage: 'fail',
    options: { verbose: { type: 'boolean', short: 'v', description: 'verbose' } },
    load: async () => ({
      run: async () => {
        throw error();
      },
    }),
  };
}

async function run(error: () => unknown, ...argv: string[]) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(['fail', ...argv], { stdout, stderr, env: {}, commands: [commandThrowing(error)] });
  return { code, stderr: stderr.text() };
}

describe('the error hierarchy', () => {
  it('makes storage and retry failures operational CdnErrors', () => {
    for (const error of [new StorageError('get x failed: 403', { transient: false, status: 403 }), new PreconditionFailedError('x'), new TransientError('503 from Frappe', 503)]) {
      expect(error).toBeInstanceOf(CdnError);
      expect(isOperational(error)).toBe(true);
      expect(exitCodeOf(error)).toBe(1);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(exitCodeOf(new ConfigError('x'))).toBe(2);
  });

  it('counts a refusal of the operating system as operational, a TypeError as a bug', async () => {
    const enoent = await readFile('/nonexistent/memora-report.json').catch((e: unknown) => e);
    expect(isOperational(enoent)).toBe(true);
    expect(isOperational(new TypeError('x is undefined'))).toBe(false);
    expect(formatFailure(enoent, false)).toMatch(/^error: ENOENT: no such file or directory, open '\/nonexistent\/memora-report\.json'$/);
  });
});

describe('what the CLI prints for a failure', () => {
  it('an operational error: its chain of messages, exit 1, no stack trace even with --verbose', async () => {
    for (const argv of [[], ['--verbose']]) {
      const r = await run(() => new StorageError('get _deploy/state.json on aws-s3 bucket b failed: 503', { transient: true, status: 503, cause: new Error('SlowDown') }), ...argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('error: get _deploy/state.json on aws-s3 bucket b failed: 503\n  caused by: SlowDown\n');
    }
  });

  it('a bug: asks to be reported, with the stack only under --verbose', async () => {
    const quiet = await run(() => new TypeError('cannot read properties of undefined'));
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toBe('error: unexpected failure, please report it:\ncannot read properties of undefined\n(run again with --verbose for the stack trace)\n');
    const verbose = await run(() => new TypeError('cannot read properties of undefined'), '--verbose');
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/^error: unexpected failure, please report it:\nTypeError: cannot read properties of undefined\n\s+at /);
  });

  it('escapes control characters, and a workflow command a line break in the message would start', async () => {
    const r = await run(() => new CdnError('plan "a\n::error title=Injected::x" \u001b[31mred'));
    expect(r.stderr).toBe('error: plan "a\n\\u003a:error title=Injected::x" \\u001b[31mred\n');
  });
});

describe('network failures', () => {
  it('names the code and says whether another attempt may succeed', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(networkFailure(reset)).toEqual({ code: 'ECONNRESET', detail: 'ECONNRESET (socket hang up)', transient: true });
    const badCert = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(networkFailure(badCert).transient).toBe(false);
    expect(networkFailure('boom')).toEqual({ code: undefined, detail: 'network error', transient: false });
  });

  it("reads undici's errors by their code, and one without a code by its name (undici is not loaded to tell them)", () => {
    const closed = new undiciErrors.SocketError('other side closed');
    expect(networkFailure(closed)).toEqual({ code: 'UND_ERR_SOCKET', detail: 'UND_ERR_SOCKET (other side closed)', transient: true });
    const bare = new undiciErrors.UndiciError('no code');
    delete (bare as { code?: string }).code;
    expect(networkFailure(bare).code).toBe('UndiciError');
    expect(networkFailure(new Error('no code')).code).toBeUndefined();
  });
});
