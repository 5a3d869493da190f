/**
 * Hosts the local S3 (s3rver behind the counting proxy of test/s3rver.ts) in a process of its
 * own, so that the server's work never shares an event loop (or a core) with the client being
 * measured: memora-cdn's deploy and rclone then face the same server on equal terms.
 *
 * Started by bench/lib/s3.ts with an IPC channel. Messages in: {type: 'requests' | 'reset' |
 * 'close', id}; out: {type: 'ready', endpoint, bucket, listPagingEmulated} once, then
 * {type: 'done', id, requests?} for each message.
 */
import { startS3, type RecordedRequest } from '../test/s3rver.ts';

export interface HostReady {
  type: 'ready';
  endpoint: string;
  bucket: string;
  dir: string;
  listPagingEmulated: boolean;
}

export type HostRequest = { type: 'requests' | 'reset' | 'close'; id: number };
export interface HostDone {
  type: 'done';
  id: number;
  requests?: RecordedRequest[];
}

const bucket = process.argv[2] ?? 'memora-bench';
// Request records are reset before each measured command; committed bodies are not kept at all
// (over a run they would hold every byte uploaded, and the server's memory and collections with them).
const s3 = await startS3({ bucket, keepCommits: false });
const send = (message: HostReady | HostDone) => process.send?.(message);

process.on('message', (message: HostRequest) => {
  void (async () => {
    switch (message.type) {
      case 'requests':
        send({ type: 'done', id: message.id, requests: s3.requests.slice() });
        break;
      case 'reset':
        s3.resetRequests();
        send({ type: 'done', id: message.id });
        break;
      case 'close':
        await s3.close();
        send({ type: 'done', id: message.id });
        process.disconnect?.();
        process.exit(0);
    }
  })();
});
// The harness went away: do not outlive it.
process.on('disconnect', () => {
  void s3.close().finally(() => process.exit(0));
});

send({ type: 'ready', endpoint: s3.endpoint, bucket: s3.bucket, dir: s3.dir, listPagingEmulated: s3.listPagingEmulated });
