/**
 * Compressed bodies kept in memory, so a file asked for again (by every viewer, after every
 * rebuild) is compressed once. Keyed by what identifies the bytes (the file, its mtime and size,
 * or an asset's ETag) and the encoding; the least recently used go first once the budget is spent.
 */

/** Total bytes of compressed bodies kept. */
export const COMPRESSED_CACHE_BYTES = 32 * 1024 * 1024;
/** A larger compressed body is sent but not kept. */
export const COMPRESSED_ENTRY_MAX_BYTES = 2 * 1024 * 1024;

export class CompressedCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly budget = COMPRESSED_CACHE_BYTES,
    private readonly entryMax = COMPRESSED_ENTRY_MAX_BYTES,
  ) {}

  get(key: string): Buffer | undefined {
    const body = this.entries.get(key);
    if (body !== undefined) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, body);
    }
    return body;
  }

  /** Keeps `body` unless it is larger than an entry may be. */
  set(key: string, body: Buffer): void {
    if (body.length > this.entryMax) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.length;
    }
    this.entries.set(key, body);
    this.bytes += body.length;
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.budget) break;
      this.entries.delete(oldest);
      this.bytes -= value.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
