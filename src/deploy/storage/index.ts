/**
 * Opens the storage the configuration names (CDN_STORAGE_PROVIDER, default `directory`) and says
 * which variables each provider uses. A variable the chosen provider cannot do without is a
 * ConfigError naming it; variables of other providers are ignored.
 */
import { bucketNameProblem } from '../../config/bucket.ts';
import { VARIABLES, type VariableName } from '../../config/env.ts';
import { ConfigError } from '../../errors.ts';
import { createDirectoryStorage } from './directory.ts';
import { createS3Storage } from './s3.ts';
import type { Storage } from './types.ts';

export { createDirectoryStorage, type DirectoryStorageOptions } from './directory.ts';
export { createS3Storage, type S3Provider, type S3StorageOptions } from './s3.ts';
export * from './types.ts';

export type StorageProvider = 'aws-s3' | 'cloudflare-r2' | 'directory';
export const STORAGE_PROVIDERS: readonly StorageProvider[] = ['aws-s3', 'cloudflare-r2', 'directory'];

/**
 * The variables each provider reads: `required` ones must be set, `optional` ones may be.
 * aws-s3 also needs one of CDN_REGION or CDN_ENDPOINT_URL (`oneOf`).
 */
export const PROVIDER_VARIABLES = {
  'aws-s3': {
    required: ['CDN_BUCKET', 'CDN_ACCESS_KEY', 'CDN_SECRET_KEY'],
    oneOf: ['CDN_REGION', 'CDN_ENDPOINT_URL'],
    optional: [],
  },
  'cloudflare-r2': {
    required: ['CDN_ENDPOINT_URL', 'CDN_BUCKET', 'CDN_ACCESS_KEY', 'CDN_SECRET_KEY'],
    oneOf: [],
    optional: ['CDN_REGION'],
  },
  directory: {
    required: ['CDN_DIRECTORY'],
    oneOf: [],
    optional: [],
  },
} as const satisfies Record<StorageProvider, { required: readonly VariableName[]; oneOf: readonly VariableName[]; optional: readonly VariableName[] }>;

/** Every variable a provider may read, CDN_STORAGE_PROVIDER included. */
export function providerVariables(provider: StorageProvider): VariableName[] {
  const v = PROVIDER_VARIABLES[provider];
  return ['CDN_STORAGE_PROVIDER', ...v.required, ...v.oneOf, ...v.optional];
}

export interface StorageFromConfigOptions {
  /** Per-request timeout of the S3 providers (default 60 s). */
  timeoutMs?: number;
}

/** Opens the configured storage; throws ConfigError naming every missing variable. */
export function storageFromConfig(config: Partial<Record<VariableName, unknown>>, options: StorageFromConfigOptions = {}): Storage {
  const rawProvider = config.CDN_STORAGE_PROVIDER ?? 'directory';
  if (typeof rawProvider !== 'string' || !(STORAGE_PROVIDERS as readonly string[]).includes(rawProvider)) {
    throw new ConfigError(`configuration: CDN_STORAGE_PROVIDER is invalid: expected ${VARIABLES.CDN_STORAGE_PROVIDER.help}`);
  }
  const provider = rawProvider as StorageProvider;
  const value = (name: VariableName): string | undefined => {
    const v = config[name];
    return typeof v === 'string' && v.trim() !== '' ? v : undefined;
  };

  const spec = PROVIDER_VARIABLES[provider];
  const problems: string[] = [];
  for (const name of spec.required) {
    if (value(name) === undefined) problems.push(`${name} is not set: ${VARIABLES[name].help}`);
  }
  if (spec.oneOf.length > 0 && !spec.oneOf.some((name) => value(name) !== undefined)) {
    problems.push(`${spec.oneOf.join(' or ')} must be set: ${spec.oneOf.map((name) => VARIABLES[name].help).join('; or ')}`);
  }
  const bucket = value('CDN_BUCKET');
  const bucketProblem = provider !== 'directory' && bucket !== undefined ? bucketNameProblem(bucket, provider) : null;
  if (bucketProblem) problems.push(`CDN_BUCKET is not a valid ${provider === 'cloudflare-r2' ? 'R2' : 'S3'} bucket name: it ${bucketProblem}`);
  if (problems.length > 0) {
    // Left unset, the provider is the default: say so, since the operator may have meant a bucket.
    const which = config.CDN_STORAGE_PROVIDER === undefined ? `CDN_STORAGE_PROVIDER is not set, so it is ${provider} (a local folder; set it to aws-s3 or cloudflare-r2 for a bucket), which` : `CDN_STORAGE_PROVIDER=${provider}`;
    throw new ConfigError(`configuration: ${which} needs:\n  ${problems.join('\n  ')}`);
  }

  if (provider === 'directory') return createDirectoryStorage(value('CDN_DIRECTORY') as string);

  const endpoint = value('CDN_ENDPOINT_URL');
  const region = value('CDN_REGION');
  return createS3Storage({
    provider,
    bucket: bucket as string,
    accessKeyId: value('CDN_ACCESS_KEY') as string,
    secretAccessKey: value('CDN_SECRET_KEY') as string,
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}
