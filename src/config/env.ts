/**
 * Configuration from the environment (DESIGN.md section 8), validated once at start. Each
 * command names the variables it uses and only those are read, so no command needs a variable it
 * does not use. An invalid value is a ConfigError (exit code 2) naming the variable and what is
 * expected; no value is ever echoed back (a secret pasted into the wrong variable would be).
 */
import { z } from 'zod';
import { ConfigError } from '../errors.ts';

/** `https://user:secret@host`: a URL that carries credentials, which must never be logged or stored. */
export function hasUserInfo(value: string): boolean {
  try {
    const url = new URL(value);
    return url.username !== '' || url.password !== '';
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value);
  }
}

/** An http(s) base address: paths are appended to it, so it takes no query, fragment or user info. */
const httpUrl = z
  .string()
  .url({ message: 'expected an http(s) URL, e.g. https://example.com' })
  .refine((v) => /^https?:\/\//i.test(v), { message: 'expected an http(s) URL, e.g. https://example.com' })
  .refine((v) => !hasUserInfo(v), { message: 'must not hold a user name or password (user info is printed and stored with the address); give the address alone' })
  .refine((v) => !v.includes('?'), { message: 'has a query string (`?...`); give the base address alone, paths are appended to it' })
  .refine((v) => !v.includes('#'), { message: 'has a fragment (`#...`); give the base address alone, paths are appended to it' })
  .transform((v) => v.replace(/\/+$/, ''));
const nonEmpty = z.string().trim().min(1, { message: 'must not be empty' });
/**
 * A whole number within bounds, from an environment string: decimal digits only, so `0x10`,
 * `1e1`, `+5`, `5.0` and ` 5` (which Number() would all take) are refused.
 */
const wholeNumber = (min: number, max: number, fallback: number, unit = '') => {
  const range = `a whole number${unit} from ${min} to ${max} (decimal digits only)`;
  return z
    .string()
    .regex(/^[0-9]+$/, { message: `not a whole number: expected ${range}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `out of range: expected ${range}` })
    .default(fallback);
};
const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every variable memora-cdn reads, its schema and whether it holds a secret. */
export const VARIABLES = {
  FRAPPE_URL: { schema: httpUrl, secret: false, help: 'the Frappe site, e.g. https://memora.example.com' },
  FRAPPE_API_KEY: { schema: nonEmpty, secret: true, help: "the API user's key" },
  FRAPPE_API_SECRET: { schema: nonEmpty, secret: true, help: "the API user's secret" },
  CDN_ENABLED: { schema: bool.default(true), secret: false, help: '`false`: build and report, upload nothing (default true)' },
  CDN_STORAGE_PROVIDER: {
    schema: z.enum(['aws-s3', 'cloudflare-r2', 'directory'], { message: 'expected aws-s3, cloudflare-r2 or directory' }).default('directory'),
    secret: false,
    help: 'aws-s3, cloudflare-r2 or directory (default directory)',
  },
  CDN_ENDPOINT_URL: { schema: httpUrl, secret: false, help: 'the S3 endpoint (R2: https://<account>.r2.cloudflarestorage.com)' },
  CDN_BUCKET: { schema: nonEmpty, secret: false, help: 'the bucket name' },
  CDN_ACCESS_KEY: { schema: nonEmpty, secret: true, help: 'the bucket access key id' },
  CDN_SECRET_KEY: { schema: nonEmpty, secret: true, help: 'the bucket secret key' },
  CDN_REGION: { schema: nonEmpty, secret: false, help: 'the bucket region (R2: auto)' },
  CDN_DIRECTORY: { schema: nonEmpty, secret: false, help: 'the folder of the directory provider' },
  CLOUDFLARE_ZONE_ID: { schema: z.string().trim().regex(/^[0-9a-f]{32}$/, { message: 'expected a 32-character hex zone ID' }), secret: false, help: 'the Cloudflare zone to purge' },
  CLOUDFLARE_API_TOKEN: { schema: nonEmpty, secret: true, help: 'a Cloudflare API token with Cache Purge permission' },
  CLOUDFLARE_API_URL: {
    schema: httpUrl.default('https://api.cloudflare.com/client/v4'),
    secret: false,
    help: 'the Cloudflare API base (default https://api.cloudflare.com/client/v4)',
  },
  CLOUDFLARE_PURGE_BATCH_SIZE: { schema: wholeNumber(1, 500, 30), secret: false, help: 'URLs per purge request, 1 to 500 (default 30; Enterprise zones take 500)' },
  CDN_UPLOAD_CONCURRENCY: { schema: wholeNumber(1, 64, 16), secret: false, help: 'uploads and deletions in flight at once, 1 to 64 (default 16)' },
  CDN_BASE_URL: { schema: httpUrl, secret: false, help: 'the public URL of the CDN, e.g. https://cdn.memora.app' },
  CDN_VERSION_RETENTION_DAYS: {
    schema: wholeNumber(1, 365, 7),
    secret: false,
    help: 'how long old versions stay in the bucket for readers holding older files, and for rollback, 1 to 365 days (default 7)',
  },
  CDN_SIGNED_URL_EXPIRY_HOURS: {
    schema: wholeNumber(1, 24, 4, ' of hours'),
    secret: false,
    help: 'lifetime of signed video URLs, 1 to 24 hours (default 4)',
  },
} as const;

export type VariableName = keyof typeof VARIABLES;
export type Config<K extends VariableName> = { [P in K]: z.output<(typeof VARIABLES)[P]['schema']> | undefined };

export interface LoadOptions<K extends VariableName> {
  /** Variables the command uses. */
  uses: readonly K[];
  /** Of those, the ones the command cannot run without. */
  requires?: readonly K[];
}

/**
 * Reads and validates the named variables. Empty strings count as unset (GitHub maps a missing
 * secret to an empty string). All problems are reported at once.
 */
export function loadConfig<K extends VariableName>(env: NodeJS.ProcessEnv, options: LoadOptions<K>): Config<K> {
  const problems: string[] = [];
  const out = {} as Config<K>;
  for (const name of options.uses) {
    const def = VARIABLES[name];
    const raw = env[name];
    const value = raw === undefined || raw.trim() === '' ? undefined : raw;
    if (value === undefined && options.requires?.includes(name)) {
      problems.push(`${name} is not set: ${def.help}`);
      continue;
    }
    const parsed = (def.schema as z.ZodType).safeParse(value);
    if (value === undefined) {
      // Unset and optional: the default where there is one.
      (out as Record<string, unknown>)[name] = parsed.success ? parsed.data : undefined;
      continue;
    }
    if (!parsed.success) {
      // The value itself is never shown: a secret pasted into the wrong variable would be printed.
      problems.push(`${name} is invalid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      continue;
    }
    (out as Record<string, unknown>)[name] = parsed.data;
  }
  if (problems.length > 0) throw new ConfigError(`configuration: ${problems.join('\n  ')}`);
  return out;
}
