/**
 * One writer per output folder: a build (or a deploy, from its build to the end of its upload)
 * holds a lock file beside the folder; a second one fails at once naming the holder, `dev` waits
 * for it, and a lock left by a process that no longer runs is taken over. Holders are real
 * processes where a process is what the lock names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, watch } from 'node:fs';
import { cp, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR, sampleSite } from '../samples/catalog.ts';
import { build } from '../src/build/build.ts';
import { lockFileOf, lockOutput, OutputLockedError } from '../src/build/lock.ts';
import { listOutput } from '../src/build/output.ts';
import { deploy } from '../src/deploy/deploy.ts';
import { createDirectoryStorage } from '../src/deploy/storage/directory.ts';
import type { Storage } from '../src/deploy/storage/types.ts';
import { LOCKED_RETRY_MS, startDev } from '../src/dev/dev.ts';
import { UsageError } from '../src/errors.ts';
import { memoryLogger } from '../src/log.ts';
import { startFrappeEmulator } from '../src/emulator/server.ts';
import { FrappeClient } from '../src/pull/client.ts';
import { manualTimers } from './clock.ts';
import { tempDir } from './helpers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A folder holding a copy of the sample cache, and where its output folder goes. */
async function workspace() {
  const root = await tempDir();
  const cacheDir = path.join(root, 'cache');
  await cp(SAMPLE_CACHE_DIR, cacheDir, { recursive: true });
  return { root, cacheDir, outDir: path.join(root, 'out') };
}

/** A process that takes the output folder's lock as `command` and holds it until its stdin ends. */
async function holder(outDir: string, command: string): Promise<ChildProcess> {
  const script = `
    import { lockOutput } from './src/build/lock.ts';
    import { memoryLogger } from './src/log.ts';
    const lock = await lockOutput(${JSON.stringify(outDir)}, { command: ${JSON.stringify(command)}, log: memoryLogger() });
    console.log('locked');
    process.stdin.resume();
    process.stdin.on('end', () => void lock.release());
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => ['exited'])])) as [string];
  expect(line).toBe('locked');
  return child;
}

describe('the output folder lock', () => {
  it('a build into a folder another process is writing fails at once, naming the folder and the holder, and writes nothing', async () => {
    const ws = await workspace();
    const child = await holder(ws.outDir, 'deploy');
    try {
      const failed = await build({ cacheDir: ws.cacheDir, outDir: ws.outDir, log: memoryLogger() }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(OutputLockedError);
      const message = (failed as Error).message;
      expect(message).toContain(`${ws.outDir} is being written by another memora-cdn run (deploy, pid ${child.pid} on host ${os.hostname()}, since `);
      expect(message).toContain(`remove ${path.join(ws.root, '.out.lock')}`);
      expect(await listOutput(ws.outDir)).toEqual([]);
    } finally {
      child.stdin!.end();
      await once(child, 'exit');
    }
    // Released: the next build runs, and leaves no lock behind, in the folder or beside it.
    const log = memoryLogger();
    await build({ cacheDir: ws.cacheDir, outDir: ws.outDir, log });
    expect((await readdir(ws.root)).sort()).toEqual(['cache', 'out']);
    expect((await listOutput(ws.outDir)).filter((k) => k.includes('lock'))).toEqual([]);
  });

  it('two builds started at once into one folder: one writes, the other is refused at once', async () => {
    const ws = await workspace();
    await build({ cacheDir: ws.cacheDir, outDir: ws.outDir, log: memoryLogger() });
    const results = await Promise.allSettled([
      build({ cacheDir: ws.cacheDir, outDir: ws.outDir, full: true, log: memoryLogger() }),
      build({ cacheDir: ws.cacheDir, outDir: ws.outDir, full: true, log: memoryLogger() }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(OutputLockedError);
    expect((refused.reason as Error).message).toContain(`(build, pid ${process.pid} on host `);
  });

  it('a lock left by a killed process of this machine is taken over with a warning naming it', async () => {
    const ws = await workspace();
    const child = await holder(ws.outDir, 'build');
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    const lockFile = await lockFileOf(ws.outDir);
    expect(JSON.parse(await readFile(lockFile, 'utf8'))).toMatchObject({ pid: child.pid, host: os.hostname(), command: 'build' });

    const log = memoryLogger();
    const summary = await build({ cacheDir: ws.cacheDir, outDir: ws.outDir, log });
    expect(summary.files).toBeGreaterThan(0);
    expect(log.lines.filter((l) => l.includes('took over the lock'))).toEqual([
      expect.stringContaining(`${ws.outDir}: took over the lock left by a run that no longer runs (build, pid ${child.pid} on host ${os.hostname()}, since `),
    ]);
    expect(await readdir(ws.root)).not.toContain('.out.lock');
  });

  it('a lock file holds its holder from the moment it appears, and a copy staged by a process killed as it took the lock is cleared by the next build', async () => {
    const ws = await workspace();
    const lockFile = await lockFileOf(ws.outDir);
    // A process killed between staging its holder and linking it as the lock.
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await once(child, 'exit');
    const left = `${lockFile}.staged-${child.pid}-0a1b2c3d`;
    await writeFile(left, '{"command":"deploy"');
    // Read the instant the lock appears: never empty or cut short.
    const seen: string[] = [];
    const watcher = watch(ws.root, (_event, name) => {
      if (name !== '.out.lock') return;
      try {
        seen.push(readFileSync(lockFile, 'utf8'));
      } catch {
        // Removed again already.
      }
    });
    try {
      await build({ cacheDir: ws.cacheDir, outDir: ws.outDir, log: memoryLogger() });
    } finally {
      watcher.close();
    }
    for (const text of seen) expect(JSON.parse(text)).toMatchObject({ command: 'build', pid: process.pid });
    expect((await readdir(ws.root)).sort()).toEqual(['cache', 'out']);
  });

  it('never takes over a lock of another machine', async () => {
    const ws = await workspace();
    const lockFile = await lockFileOf(ws.outDir);
    const text = `${JSON.stringify({ command: 'deploy', pid: 1, host: 'ci-runner-7', started_at: '2026-03-01T10:00:00.000Z', token: 'x' })}\n`;
    await writeFile(lockFile, text);
    await expect(build({ cacheDir: ws.cacheDir, outDir: ws.outDir, log: memoryLogger() })).rejects.toThrow(
      `${ws.outDir} is being written by another memora-cdn run (deploy, pid 1 on host ci-runner-7, since 2026-03-01T10:00:00.000Z)`,
    );
    expect(await readFile(lockFile, 'utf8')).toBe(text);
  });

  it('takes over a lock file that names no holder only once it is a minute old', async () => {
    const ws = await workspace();
    const lockFile = await lockFileOf(ws.outDir);
    await writeFile(lockFile, '');
    await expect(build({ cacheDir: ws.cacheDir, outDir: ws.outDir, log: memoryLogger() })).rejects.toThrow(/\(holder not recorded\)/);
    const old = new Date(Date.now() - 120_000);
    await utimes(lockFile, old, old);
    const log = memoryLogger();
    await build({ cacheDir: ws.cacheDir, outDir: ws.outDir, log });
    expect(log.lines.some((l) => l.includes('took over the lock left by a run that no longer runs (holder not recorded)'))).toBe(true);
  });

  it('a build that fails releases the lock', async () => {
    const ws = await workspace();
    await expect(build({ cacheDir: ws.cacheDir, outDir: ws.outDir, plans: ['no-such-plan'], log: memoryLogger() })).rejects.toThrow(UsageError);
    await expect(build({ cacheDir: path.join(ws.root, 'missing'), outDir: ws.outDir, log: memoryLogger() })).rejects.toThrow();
    expect(await readdir(ws.root)).toEqual(['cache']);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('a build process sent %s while it holds the lock stops there, says so and leaves no lock behind', async (signal) => {
    const ws = await workspace();
    // The lock appears beside the folder: the signal is sent while the build holds it.
    const appeared = new Promise<void>((resolve) => {
      const watcher = watch(ws.root, (_event, name) => {
        if (name === '.out.lock') {
          watcher.close();
          resolve();
        }
      });
    });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'build', '--cache', ws.cacheDir, '--out', ws.outDir], { cwd: ROOT, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await appeared;
    child.kill(signal);
    // Stopped where it was (130 or 143, as a shell reports a program ended by the signal), not run to its end (0).
    expect((await exited)[0]).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(stderr).toContain(`memora-cdn: stopped by ${signal}`);
    expect(await readdir(ws.root)).not.toContain('.out.lock');
  });

  it('a deploy holds the lock until its upload has read every file', async () => {
    const ws = await workspace();
    const bucket = createDirectoryStorage(path.join(ws.root, 'bucket'), { fsync: false });
    let uploading!: () => void;
    const started = new Promise<void>((resolve) => (uploading = resolve));
    let goOn!: () => void;
    const resume = new Promise<void>((resolve) => (goOn = resolve));
    let first = true;
    // The first upload waits until the test has tried a build.
    const storage: Storage = {
      ...bucket,
      async put(key, body, options) {
        if (first) {
          first = false;
          uploading();
          await resume;
        }
        return bucket.put(key, body, options);
      },
    };
    const deployed = deploy({ cacheDir: ws.cacheDir, outDir: ws.outDir, plans: [], force: false, dryRun: false, client: null, storage, purger: null, concurrency: 4, trigger: 'test', log: memoryLogger() });
    try {
      await started;
      await expect(build({ cacheDir: ws.cacheDir, outDir: ws.outDir, log: memoryLogger() })).rejects.toThrow(`(deploy, pid ${process.pid} on host `);
    } finally {
      goOn();
    }
    expect((await deployed).status).toBe('success');
    expect(await readdir(ws.root)).not.toContain('.out.lock');
  });

  it('dev waits while another run writes the folder, and builds once it has finished', async () => {
    const ws = await workspace();
    const clock = manualTimers();
    const lock = await lockOutput(ws.outDir, { command: 'deploy', log: memoryLogger() });
    const log = memoryLogger();
    const dev = await startDev({ cacheDir: ws.cacheDir, outDir: ws.outDir, port: 0, source: { kind: 'cache', settleMs: 50 }, log, timers: clock });
    try {
      expect(log.lines.filter((l) => l.includes('is being written by another memora-cdn run'))).toEqual([
        expect.stringMatching(new RegExp(`^dev: .*out is being written by another memora-cdn run \\(deploy, pid ${process.pid} on host .*\\); building once it has finished$`)),
      ]);
      // Not a failure the viewers are shown: only a wait.
      expect(dev.live.current().failure).toBeNull();
      expect(await listOutput(ws.outDir)).toEqual([]);
      // Still held: it tries again and says nothing more.
      clock.advance(LOCKED_RETRY_MS);
      await dev.idle();
      expect(log.lines.filter((l) => l.includes('is being written by'))).toHaveLength(1);
      await lock.release();
      clock.advance(LOCKED_RETRY_MS);
      await dev.idle();
      expect(await listOutput(ws.outDir)).toContain('.memora-cdn-build.json');
      expect(log.lines.some((l) => /^built \d+ plan\(s\) into /.test(l))).toBe(true);
    } finally {
      await dev.close();
    }
  });

  it('dev following Frappe does not pull again while it waits for the folder, only builds', async () => {
    const site = await startFrappeEmulator({ ...sampleSite(), apiKey: 'k', apiSecret: 's' });
    const client = new FrappeClient({ baseUrl: site.url, apiKey: 'k', apiSecret: 's', retry: { attempts: 1 } });
    const root = await tempDir();
    const outDir = path.join(root, 'out');
    const clock = manualTimers();
    const lock = await lockOutput(outDir, { command: 'deploy', log: memoryLogger() });
    const dev = await startDev({ cacheDir: path.join(root, 'cache'), outDir, port: 0, source: { kind: 'frappe', client, intervalMs: 60_000 }, log: memoryLogger(), timers: clock });
    try {
      const pulled = site.requests.length;
      expect(pulled).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) {
        clock.advance(LOCKED_RETRY_MS);
        await dev.idle();
      }
      await lock.release();
      clock.advance(LOCKED_RETRY_MS);
      await dev.idle();
      expect(await listOutput(outDir)).toContain('.memora-cdn-build.json');
      expect(site.requests.length).toBe(pulled);
    } finally {
      await dev.close();
      await client.close();
      await site.close();
    }
  });
});
