/**
 * A local S3 bucket for the demo: s3rver (a development dependency) in-process on 127.0.0.1,
 * storing objects under a folder so a second demo run deploys incrementally. s3rver does not
 * verify signatures and knows the access key id `S3RVER`.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CdnError } from '../errors.ts';

export const LOCAL_S3_ACCESS_KEY = 'S3RVER';
export const LOCAL_S3_SECRET_KEY = 'S3RVER';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  close(): Promise<void>;
}

export async function startLocalS3(options: { directory: string; bucket: string }): Promise<LocalS3> {
  let S3rver: S3rverConstructor;
  try {
    S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  } catch (error) {
    throw new CdnError('the demo bucket needs the development dependency s3rver: run `npm ci` (without --omit=dev)', { cause: error });
  }
  await mkdir(options.directory, { recursive: true });
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: options.directory, configureBuckets: [{ name: options.bucket }] });
  const address = await server.run();
  return { endpoint: `http://127.0.0.1:${address.port}`, bucket: options.bucket, close: () => server.close() };
}
