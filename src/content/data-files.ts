/**
 * Reads the content cache's data files in a worker thread: each file's bytes, where each of its
 * lines is with the line's digest, and the file's SHA-256, each handed over as soon as it is
 * known. At 50,000 lessons the lesson file is 94 MB; checksumming it and digesting its 50,000
 * lines took the build's main thread about 0.12 s, which the worker now spends on the machine's
 * other core while the main thread parses the previous build's record, then the lines. The bytes
 * are read into shared memory, so the main thread gets them without a copy.
 *
 * A line is a run of bytes between newlines; empty lines are skipped, but counted in line
 * numbers (from 1), so that an error can name the line as an editor shows it.
 */
import { Worker } from 'node:worker_threads';
import { DIGEST_ALGORITHM, DIGEST_ENCODING, DIGEST_LENGTH } from '../io/hash.ts';

export interface DataFileLines {
  /** Per non-empty line, in order: its start, its end (exclusive) and its number. */
  spans: Float64Array;
  /** Per non-empty line, in order: digest() of its bytes (io/hash.ts). */
  digests: string[];
}

/** A data file as it is being read; a file that cannot be read rejects all three with the system's error (ENOENT...). */
export interface DataFileRead {
  bytes: Promise<Buffer>;
  /** Its lines, once digested (after the bytes). */
  lines: Promise<DataFileLines>;
  /** SHA-256 of the bytes, hex (known last: a reader may check it once it has used the lines). */
  sha256: Promise<string>;
}

/** What the worker sends back for a file, in this order: its bytes, its lines, its checksum; or why it could not be read. */
type Reply =
  | { i: number; buffer: SharedArrayBuffer; length: number }
  | ({ i: number } & DataFileLines)
  | { i: number; sha256: string }
  | { i: number; error: { message: string; code?: string } };

/**
 * The worker's code, plain CommonJS (it runs as given, whatever loads this module): the digest
 * is io/hash.ts's digest(), from its constants.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const hash = typeof crypto.hash === 'function'
  ? (data, encoding, algorithm) => crypto.hash(algorithm, data, encoding)
  : (data, encoding, algorithm) => crypto.createHash(algorithm).update(data).digest(encoding);
workerData.files.forEach((file, i) => {
  try {
    const fd = fs.openSync(file, 'r');
    let bytes;
    try {
      const size = fs.fstatSync(fd).size;
      bytes = Buffer.from(new SharedArrayBuffer(size));
      let at = 0;
      while (at < size) {
        const read = fs.readSync(fd, bytes, at, size - at, at);
        if (read === 0) break;
        at += read;
      }
      // A file that shrank while it was read: what it held (the caller's checksum tells).
      bytes = bytes.subarray(0, at);
    } finally {
      fs.closeSync(fd);
    }
    parentPort.postMessage({ i, buffer: bytes.buffer, length: bytes.length });
    const spans = [];
    const digests = [];
    let lineNo = 0;
    for (let start = 0; start <= bytes.length; ) {
      const newline = bytes.indexOf(0x0a, start);
      const end = newline === -1 ? bytes.length : newline;
      lineNo++;
      if (end > start) {
        spans.push(start, end, lineNo);
        digests.push(hash(bytes.subarray(start, end), ${JSON.stringify(DIGEST_ENCODING)}, ${JSON.stringify(DIGEST_ALGORITHM)}).slice(0, ${DIGEST_LENGTH}));
      }
      start = end + 1;
    }
    parentPort.postMessage({ i, spans: new Float64Array(spans), digests });
    parentPort.postMessage({ i, sha256: hash(bytes, 'hex', 'sha256') });
  } catch (error) {
    parentPort.postMessage({ i, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

/** A promise with its settle functions. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  // A reader may stop at the first failure: the others are not unhandled.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Starts reading `files` in one worker thread, in the order given; one DataFileRead per file. */
export function readDataFiles(files: readonly string[]): DataFileRead[] {
  if (files.length === 0) return [];
  const reads = files.map(() => ({ bytes: deferred<Buffer>(), lines: deferred<DataFileLines>(), sha256: deferred<string>() }));
  // execArgv: none of this process's loaders or flags (tsx, a test runner's) are needed to run it.
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { files }, execArgv: [], stdout: false, stderr: false });
  // Settling a settled promise does nothing: after a file's last message, a failure leaves it as it is.
  const fail = (i: number, error: Error) => {
    const read = reads[i];
    if (read) for (const part of [read.bytes, read.lines, read.sha256]) part.reject(error);
  };
  const failAll = (error: Error) => reads.forEach((_, i) => fail(i, error));
  worker.on('message', (reply: Reply) => {
    const read = reads[reply.i];
    if (!read) return;
    if ('error' in reply) fail(reply.i, Object.assign(new Error(reply.error.message), reply.error.code ? { code: reply.error.code } : {}));
    else if ('buffer' in reply) read.bytes.resolve(Buffer.from(reply.buffer, 0, reply.length));
    else if ('digests' in reply) read.lines.resolve({ spans: reply.spans, digests: reply.digests });
    else read.sha256.resolve(reply.sha256);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`the worker reading the content cache stopped (exit code ${code}) before it read every file`)));
  return reads.map((r) => ({ bytes: r.bytes.promise, lines: r.lines.promise, sha256: r.sha256.promise }));
}
