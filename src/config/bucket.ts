/**
 * Bucket names as the providers accept them. AWS S3 (general purpose buckets): 3 to 63 characters,
 * lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit, no two
 * dots in a row, not shaped like an IP address, and none of the prefixes and suffixes AWS reserves.
 * Cloudflare R2: 3 to 63 characters, lowercase letters, digits and hyphens, beginning and ending
 * with a letter or digit. A name that breaks them fails on the first request with an error that
 * does not say why, so it is refused at start instead.
 */
import type { S3Provider } from '../deploy/storage/s3.ts';

const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** What is wrong with a bucket name for this provider, as a sentence fragment; null when nothing is. */
export function bucketNameProblem(name: string, provider: S3Provider): string | null {
  const r2 = provider === 'cloudflare-r2';
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!(r2 ? /^[a-z0-9-]+$/ : /^[a-z0-9.-]+$/).test(name)) {
    return r2 ? 'may hold only lowercase letters, digits and hyphens (R2 allows no dots)' : 'may hold only lowercase letters, digits, dots and hyphens';
  }
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a lowercase letter or a digit';
  if (r2) return null;
  if (name.includes('..')) return 'must not hold two dots in a row';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not be shaped like an IP address';
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `must not begin with ${prefix} (reserved by AWS)`;
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix) return `must not end with ${suffix} (reserved by AWS)`;
  return null;
}
