/**
 * `dev`: a live preview that follows the content. It keeps out/ built from the content cache
 * and serves it with the viewer, like `preview`, and tells every open viewer when out/ changed.
 *
 * - Following Frappe (a FrappeClient given): pull (incremental) every interval; when the pull
 *   changed a document, build, then notify. An edit appears within one interval plus the pull
 *   and the build.
 * - Watching the cache (no Frappe settings): when the content cache folder changes (a `pull` or
 *   `generate` run elsewhere, written atomically: data files, then the index renamed into place),
 *   wait for the writes to settle, build if the index changed, then notify.
 *
 * A pull and a build never overlap, nor do two builds: one serial runner does both, and a change
 * during a run schedules one more run. While another run (a deploy, a build) holds out/'s lock,
 * dev's build waits for it, trying again every LOCKED_RETRY_MS. A failed pull or build is logged
 * and sent to the viewers; out/ keeps the last good build (a build writes only once it has
 * rendered and validated everything). The first run (pull and build, or build) happens before the
 * server starts.
 */
import { mkdir } from 'node:fs/promises';
import { build, formatBuildSummary, type BuildSummary } from '../build/build.ts';
import { describeHolder, OutputLockedError } from '../build/lock.ts';
import { CACHE_INDEX_FILE, readCacheIndex } from '../content/cache.ts';
import { describeError } from '../errors.ts';
import { sha256 } from '../io/hash.ts';
import { realTimers, type Timers } from '../io/timers.ts';
import type { Logger } from '../log.ts';
import { changedSummary, LiveChannel } from '../preview/live.ts';
import type { ViewerAssets } from '../preview/assets.ts';
import { startPreviewServer, type PreviewServer } from '../preview/server.ts';
import type { FrappeClient } from '../pull/client.ts';
import { DEFAULT_CHECK_EVERY } from '../pull/defaults.ts';
import { StoppedError } from '../pull/errors.ts';
import { pull } from '../pull/pull.ts';
import { formatPullSummary } from '../pull/summary.ts';
import { changedKeys, pullChangedSomething, type TreeHashes } from './changes.ts';
import { debounce, type Debouncer } from './debounce.ts';
import { repeatEvery, type Repeater } from './repeat.ts';
import { serialRunner, type SerialRunner } from './serial.ts';
import { watchFolder, type FolderWatch } from './watch-folder.ts';

export { DEFAULT_DEV_INTERVAL_SECONDS } from './defaults.ts';
/** How long the cache folder must be quiet before a rebuild. */
export const CACHE_SETTLE_MS = 300;
/** While another run (a deploy, a build) holds out/, how often dev tries its build again. */
export const LOCKED_RETRY_MS = 1000;

export type DevSource =
  /** Pull from this site every `intervalMs` (the caller keeps and closes the client). */
  | { kind: 'frappe'; client: FrappeClient; intervalMs: number; checkEvery?: number; fullEveryHours?: number }
  /** Watch the cache folder; rebuild `settleMs` after its last change. */
  | { kind: 'cache'; settleMs?: number };

export interface DevOptions {
  cacheDir: string;
  outDir: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Host names answered besides localhost and IP addresses (`--allow-host`). */
  allowedHosts?: readonly string[];
  source: DevSource;
  log: Logger;
  /** Tests: their own clock for intervals, settling and keep-alives. */
  timers?: Timers;
  now?: () => Date;
  viewer?: ViewerAssets;
}

export interface DevSession {
  /** The preview's base URL, ending with `/`. */
  url: string;
  live: LiveChannel;
  /** What dev follows, in words (also sent to the viewers). */
  source: string;
  /** Asks for a pull (or a look at the cache) and a rebuild now; resolves when it has run. */
  refresh(): Promise<void>;
  /** Resolves once no pull or build is running or scheduled. */
  idle(): Promise<void>;
  /** Stops following, waits for a run in progress, ends the viewers' event streams and the server. */
  close(): Promise<void>;
}

/** Runs the first pull and build, then serves with live events and keeps following the source. */
export async function startDev(options: DevOptions): Promise<DevSession> {
  const { log, source } = options;
  const timers = options.timers ?? realTimers;
  const describeSource =
    source.kind === 'frappe'
      ? `Frappe at ${source.client.baseUrl}, pulled every ${formatSeconds(source.intervalMs)}`
      : `the content cache in ${options.cacheDir}`;
  const live = new LiveChannel({ source: describeSource, timers });
  let retry: unknown = null;
  let closed = false;
  const rebuilds = new Rebuilds({
    ...options,
    live,
    retryLater: () => {
      if (closed || retry !== null) return;
      retry = timers.setTimeout(() => {
        retry = null;
        void runner.request();
      }, LOCKED_RETRY_MS);
    },
  });
  const runner: SerialRunner = serialRunner(
    () => rebuilds.run(),
    (error) => log.warn(`dev: unexpected failure: ${describeError(error)}`),
  );

  if (source.kind === 'cache') await mkdir(options.cacheDir, { recursive: true });
  log.info(`dev: following ${describeSource}`);
  await runner.request();

  let server: PreviewServer;
  try {
    server = await startPreviewServer({ outDir: options.outDir, port: options.port, live, ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}), ...(options.host ? { host: options.host } : {}), ...(options.viewer ? { viewer: options.viewer } : {}) });
  } catch (error) {
    live.close();
    throw error;
  }

  let repeater: Repeater | null = null;
  let watcher: FolderWatch | null = null;
  let settle: Debouncer | null = null;
  if (source.kind === 'frappe') {
    repeater = repeatEvery(() => runner.request(), source.intervalMs, { timers, onError: (error) => log.warn(`dev: ${describeError(error)}`) });
  } else {
    settle = debounce(() => void runner.request(), source.settleMs ?? CACHE_SETTLE_MS, timers);
    const watching = settle;
    watcher = watchFolder(
      options.cacheDir,
      () => watching.trigger(),
      (error) => log.warn(`dev: stopped watching ${options.cacheDir}: ${describeError(error)}; restart dev to watch it again`),
    );
  }

  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    live,
    source: describeSource,
    refresh: () => runner.request(),
    idle: () => runner.idle(),
    close() {
      closing ??= (async () => {
        closed = true;
        if (retry !== null) timers.clearTimeout(retry);
        watcher?.close();
        settle?.cancel();
        await repeater?.stop();
        await runner.idle();
        live.close();
        await server.close();
      })();
      return closing;
    },
  };
}

/** The state between runs: what the last build wrote, whether it failed, what the cache held. */
class Rebuilds {
  private hashes: TreeHashes | null = null;
  private builds = 0;
  private buildFailed = false;
  private cacheFingerprint: string | null = null;
  /** The holder of out/'s lock this build waits for, as last told. */
  private waitingFor: string | null = null;
  private readonly now: () => Date;

  /** `retryLater`: runs again in LOCKED_RETRY_MS (another run holds out/). */
  constructor(private readonly options: DevOptions & { live: LiveChannel; retryLater: () => void }) {
    this.now = options.now ?? (() => new Date());
  }

  /** One run: pull (or look at the cache), build when something changed or the last build failed, notify. */
  async run(): Promise<void> {
    const { source, log, live } = this.options;
    let changed = false;
    let pullError: unknown = null;
    // While another run holds out/, the runs that try the build again do not pull (one a second).
    if (source.kind === 'frappe' && this.waitingFor === null) {
      try {
        const summary = await pull({ cacheDir: this.options.cacheDir, client: source.client, checkEvery: source.checkEvery ?? DEFAULT_CHECK_EVERY, ...(source.fullEveryHours !== undefined ? { fullEveryHours: source.fullEveryHours } : {}), log });
        changed = pullChangedSomething(summary.counts);
        if (changed) log.info(formatPullSummary(summary, source.client.baseUrl));
        else log.verbose(formatPullSummary(summary, source.client.baseUrl));
      } catch (error) {
        // dev is stopping: nothing to say, nothing to build.
        if (error instanceof StoppedError) return;
        pullError = error;
        log.warn(`dev: the pull from ${source.client.baseUrl} failed: ${describeError(error)}; the preview keeps the last good build and tries again in ${formatSeconds(source.intervalMs)}`);
      }
    } else {
      const fingerprint = await this.readCacheFingerprint();
      changed = fingerprint !== this.cacheFingerprint;
      if (!changed) log.verbose(`dev: ${this.options.cacheDir}/${CACHE_INDEX_FILE} is unchanged; nothing to build`);
    }
    const built = changed || this.builds === 0 || this.buildFailed ? await this.build() : true;
    if (pullError !== null) {
      live.failed('pull', describeError(pullError), this.now().toISOString());
    } else if (built && live.current().failure !== null) {
      log.info('dev: pulling and building work again');
      live.recovered();
    }
  }

  /** Builds and tells the viewers; false when the build failed. */
  private async build(): Promise<boolean> {
    const { log, live, cacheDir, outDir } = this.options;
    const fingerprint = this.options.source.kind === 'cache' ? await this.readCacheFingerprint() : null;
    let written: TreeHashes | null = null;
    let summary: BuildSummary;
    try {
      summary = await build({
        cacheDir,
        outDir,
        // The first build prints its warnings as `build` does; later ones only count them (all with --verbose).
        log: this.builds === 0 ? log : warningsAsVerbose(log),
        lockCommand: 'dev',
        onWritten: (files) => {
          written = new Map(files.map((f) => [f.key, f.hash]));
        },
      });
    } catch (error) {
      this.buildFailed = true;
      if (error instanceof OutputLockedError) {
        // Not a failure: a deploy or a build is writing out/; this build runs once it has finished.
        const holder = describeHolder(error.holder);
        if (this.waitingFor !== holder) log.info(`dev: ${outDir} is being written by another memora-cdn run (${holder}); building once it has finished`);
        this.waitingFor = holder;
        this.options.retryLater();
        return false;
      }
      this.waitingFor = null;
      const message = describeError(error);
      log.warn(`dev: the build failed: ${message}; the preview keeps the last good build`);
      live.failed('build', message, this.now().toISOString());
      return false;
    }
    this.buildFailed = false;
    this.waitingFor = null;
    this.builds++;
    if (fingerprint !== null) this.cacheFingerprint = fingerprint;
    const after: TreeHashes = written ?? new Map();
    const changed = changedKeys(this.hashes, after);
    this.hashes = after;
    const event = live.published({ at: this.now().toISOString(), ...changedSummary(changed) });
    if (this.builds === 1) log.info(formatBuildSummary(summary, outDir));
    else log.info(`dev: rebuilt ${outDir}: ${changed?.length ?? 0} file(s) changed, ${summary.warnings.length} warning(s), in ${(summary.durationMs / 1000).toFixed(1)} s; ${live.subscribers} viewer(s) told (build ${event.build})`);
    return true;
  }

  /**
   * A hash of what the cache's index says of the documents: it names every data file by its
   * content, so it changes with any document (and not with the pull's own bookkeeping).
   */
  private async readCacheFingerprint(): Promise<string | null> {
    try {
      const index = await readCacheIndex(this.options.cacheDir);
      return index === null ? null : sha256(JSON.stringify([index.format_version, index.doctypes, index.site_meta ?? null]));
    } catch {
      return null;
    }
  }
}

/** The same log, with warnings shown only under --verbose. */
function warningsAsVerbose(log: Logger): Logger {
  return { ...log, warn: (message: string) => log.verbose(`warning: ${message}`) };
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
