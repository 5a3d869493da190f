/**
 * Reads a whole file with as few read calls as its size allows, each done in the thread pool:
 * the read goes on while JavaScript runs. fs.promises.readFile reads in 512 KiB chunks, each
 * issued from the main thread once the last one is back, so a large file's read stalls whenever
 * the main thread is busy (an incremental build parses its previous record while the content
 * cache's 94 MB lesson file of a 50,000-lesson catalog is read).
 */
import { open } from 'node:fs/promises';

export async function readWhole(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const bytes = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(bytes, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    // A file that shrank while it was read: what it held (the caller checks the bytes it needs).
    if (at < size) return bytes.subarray(0, at);
    // One that grew: the rest too.
    const chunks = [bytes];
    for (;;) {
      const more = Buffer.allocUnsafe(64 * 1024);
      const { bytesRead } = await handle.read(more, 0, more.length, at);
      if (bytesRead === 0) break;
      chunks.push(more.subarray(0, bytesRead));
      at += bytesRead;
    }
    return chunks.length === 1 ? bytes : Buffer.concat(chunks);
  } finally {
    await handle.close();
  }
}
