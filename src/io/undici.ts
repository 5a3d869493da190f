/**
 * undici, the HTTP client of the Frappe client and the Cloudflare purger, loaded on first use. Its
 * modules take about 70 ms to load; a deploy of the cache as it is (`--no-pull`) needs it only to
 * purge, after its uploads, and starts loading it while they wait on the network (LazyAgent.prepare).
 */
import type { Agent, Dispatcher } from 'undici';

type Undici = typeof import('undici');

let loading: Promise<Undici> | null = null;

function loadUndici(): Promise<Undici> {
  return (loading ??= import('undici'));
}

/** An undici Agent made on first use; closing one that was never made does nothing. */
export class LazyAgent {
  private agent: Promise<Dispatcher> | null = null;

  constructor(private readonly options: Agent.Options) {}

  /** The agent, and undici's `request` to send with it. */
  async get(): Promise<{ dispatcher: Dispatcher; request: Undici['request'] }> {
    this.agent ??= loadUndici().then((undici) => new undici.Agent(this.options));
    const [dispatcher, undici] = await Promise.all([this.agent, loadUndici()]);
    return { dispatcher, request: undici.request };
  }

  /** Starts loading undici and making the agent, without waiting for either (a failure shows at the first request). */
  prepare(): void {
    this.get().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.agent) await (await this.agent).close();
  }
}
