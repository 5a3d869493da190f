/**
 * One writer per output folder. A build compares what it renders with the record of the build the
 * folder holds and writes only the differences: two builds writing one folder at once (a `dev`
 * rebuilding while a `deploy` builds into the same out/) would each trust a record the other is
 * overwriting, and the folder would keep files its record does not vouch for.
 *
 * So a build holds a lock file for its whole length: `.<name>.lock` beside the folder (as the
 * first build's staging folder is), created with `open(..., 'wx')` so that only one process can
 * create it, holding who took it (command, pid, host, start time). It sits outside the folder
 * because a first build renames its staging folder over the output folder, and because nothing
 * outside the folder is ever served or deployed. A second build fails at once, naming the folder
 * and the holder. A lock left by a process of this machine that no longer runs (killed, or the
 * machine lost power) is taken over with a warning; one from another machine is never broken.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { link, mkdir, open, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BuildError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** What the lock file holds. */
export interface LockHolder {
  /** The command that took it: `build`, `deploy`, `dev`. */
  command: string;
  pid: number;
  host: string;
  started_at: string;
  /** Tells this lock from another taken by the same process. */
  token: string;
}

/** The output folder is being written by another run. */
export class OutputLockedError extends BuildError {
  constructor(
    readonly outDir: string,
    readonly lockFile: string,
    readonly holder: LockHolder | null,
  ) {
    super(
      `${outDir} is being written by another memora-cdn run (${describeHolder(holder)}); run again once it has finished. ` +
        `If no such run is going on, remove ${lockFile}`,
    );
  }
}

export interface OutputLock {
  readonly file: string;
  /** Removes the lock file, if it is still this lock's. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** The command taking the lock, for the message of a run that finds it taken (default `build`). */
  command?: string;
  log: Logger;
  /** Tests: the time the lock says it was taken. */
  now?: () => Date;
}

/** How many times a lock that is released while it is looked at is tried again. */
const CREATE_TRIES = 5;

/** A lock file that cannot be read as a holder (a run stopped between creating and writing it) is taken over once this old. */
export const UNREADABLE_LOCK_STALE_MS = 60_000;

/** `.<name>.lock` beside the folder (the folder a symbolic link names, where there is one). */
export async function lockFileOf(outDir: string): Promise<string> {
  const resolved = path.resolve(outDir);
  const place = await realpath(resolved).catch(() => resolved);
  return path.join(path.dirname(place), `.${path.basename(place)}.lock`);
}

/**
 * Takes the output folder's lock, or throws OutputLockedError naming who holds it. The lock is
 * released by `release()`; should the process end without it (process.exit), on its way out.
 */
export async function lockOutput(outDir: string, options: LockOptions): Promise<OutputLock> {
  const file = await lockFileOf(outDir);
  const now = options.now ?? (() => new Date());
  const holder: LockHolder = { command: options.command ?? 'build', pid: process.pid, host: os.hostname(), started_at: now().toISOString(), token: randomBytes(8).toString('hex') };
  const text = `${JSON.stringify(holder)}\n`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
  } catch (error) {
    throw new BuildError(`cannot lock the output folder ${outDir}: cannot create ${path.dirname(file)}`, { cause: error });
  }
  // From the moment the file is created, a process that ends (process.exit: a stop by Ctrl-C or
  // SIGTERM) removes it on its way out, also before its holder is written in full.
  let created = false;
  const onExit = () => {
    const found = created ? readTextSync(file) : null;
    // Our holder, or the start of it (created, not yet written where the lock is written in place).
    if (found !== null && text.startsWith(found)) rmSync(file, { force: true });
  };
  process.on('exit', onExit);
  // A stale lock is taken over once; a lock released between two looks is tried again, a few times.
  let tookOver = false;
  try {
    for (let tries = 0; ; tries++) {
      if (await create(file, text, outDir, () => (created = true))) break;
      const found = await readHolder(file);
      if (found === 'gone' && tries < CREATE_TRIES) continue;
      if (found === 'gone' || tookOver || !isStale(found, now)) throw new OutputLockedError(outDir, file, found === 'gone' ? null : found.holder);
      tookOver = true;
      // Where another run took it over first, the next look names that run.
      if (await takeOver(file, found)) options.log.warn(`${outDir}: took over the lock left by a run that no longer runs (${describeHolder(found.holder)})`);
    }
  } catch (error) {
    process.off('exit', onExit);
    throw error;
  }
  await removeLeftStaged(file);
  let released = false;
  return {
    file,
    async release() {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      if (isOurs(await readFile(file, 'utf8').catch(() => null), holder.token)) await rm(file, { force: true });
    },
  };
}

/**
 * Creates the lock file with its holder (`created` told as soon as the file exists); false when
 * it exists. The holder is written to a file of its own first, then linked as the lock (a link
 * fails where the name exists), so a lock never lacks its holder, even from a process killed as
 * it took it; where the file system has no hard links, the lock is created empty and then written.
 */
async function create(file: string, text: string, outDir: string, created: () => void): Promise<boolean> {
  const cannot = (error: unknown) => new BuildError(`cannot lock the output folder ${outDir}: cannot create ${file} (a build keeps it beside the folder while it writes)`, { cause: error });
  const staged = `${file}${STAGED_SUFFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(staged, text, { flag: 'wx' });
  } catch (error) {
    throw cannot(error);
  }
  try {
    await link(staged, file);
    created();
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw cannot(error);
  } finally {
    await rm(staged, { force: true });
  }
  let handle;
  try {
    handle = await open(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw cannot(error);
  }
  created();
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  return true;
}

/** What follows the lock file's name in the name of its holder's staged copy, before the pid. */
const STAGED_SUFFIX = '.staged-';

/** Removes staged copies of the lock that processes of this machine which no longer run left behind (killed as they took the lock). */
async function removeLeftStaged(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}${STAGED_SUFFIX}`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !processRuns(pid)) await rm(path.join(dir, name), { force: true });
  }
}

interface Found {
  /** The lock file's text, as read. */
  text: string;
  holder: LockHolder | null;
  mtimeMs: number;
}

async function readHolder(file: string): Promise<Found | 'gone'> {
  const [text, info] = await Promise.all([readFile(file, 'utf8').catch(() => null), stat(file).catch(() => null)]);
  if (text === null || info === null) return 'gone';
  return { text, holder: parseHolder(text), mtimeMs: info.mtimeMs };
}

function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string' || typeof h.started_at !== 'string') return null;
    return { command: typeof h.command === 'string' ? h.command : 'a run', pid: h.pid, host: h.host, started_at: h.started_at, token: typeof h.token === 'string' ? h.token : '' };
  } catch {
    return null;
  }
}

/**
 * Whether the holder is gone: a process of this machine that no longer runs, or (no holder could
 * be read) a lock file left unwritten for UNREADABLE_LOCK_STALE_MS. A process of another machine
 * sharing the folder cannot be asked: its lock is never stale.
 */
function isStale(found: Found, now: () => Date): boolean {
  const { holder } = found;
  if (holder === null) return now().getTime() - found.mtimeMs > UNREADABLE_LOCK_STALE_MS;
  return holder.host === os.hostname() && !processRuns(holder.pid);
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes a stale lock file, unless another run took it over first: the file is moved aside (one
 * process can move it) and, when it is not the one judged stale, linked back. True when this run
 * removed it; false when another did (the caller looks again).
 */
async function takeOver(file: string, found: Found): Promise<boolean> {
  const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch {
    return false;
  }
  const moved = await readFile(aside, 'utf8').catch(() => null);
  if (moved === found.text) {
    await rm(aside, { force: true });
    return true;
  }
  await link(aside, file).catch(() => undefined);
  await rm(aside, { force: true });
  return false;
}

function isOurs(text: string | null, token: string): boolean {
  return text !== null && parseHolder(text)?.token === token;
}

function readTextSync(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** `deploy, pid 4242 on host ci-7, since 2026-03-01T10:00:00.000Z`. */
export function describeHolder(holder: LockHolder | null): string {
  return holder ? `${holder.command}, pid ${holder.pid} on host ${holder.host}, since ${holder.started_at}` : 'holder not recorded';
}
