import { describe, expect, it } from 'vitest';
import { bucketNameProblem } from '../src/config/bucket.ts';
import { loadConfig, VARIABLES, type VariableName } from '../src/config/env.ts';
import { storageFromConfig } from '../src/deploy/storage/index.ts';
import { ConfigError } from '../src/errors.ts';

describe('configuration from the environment', () => {
  it('reads only the variables a command uses', () => {
    const config = loadConfig({ CDN_BASE_URL: 'https://cdn.memora.app/', FRAPPE_URL: 'not a url' }, { uses: ['CDN_BASE_URL'] });
    expect(config).toEqual({ CDN_BASE_URL: 'https://cdn.memora.app' });
  });

  it('applies defaults and treats empty values as unset', () => {
    const config = loadConfig({ CDN_STORAGE_PROVIDER: '', CDN_ENABLED: '' }, { uses: ['CDN_STORAGE_PROVIDER', 'CDN_ENABLED', 'CDN_SIGNED_URL_EXPIRY_HOURS', 'CDN_BUCKET'] });
    expect(config).toEqual({ CDN_STORAGE_PROVIDER: 'directory', CDN_ENABLED: true, CDN_SIGNED_URL_EXPIRY_HOURS: 4, CDN_BUCKET: undefined });
  });

  it('parses booleans and numbers', () => {
    expect(loadConfig({ CDN_ENABLED: 'false', CDN_SIGNED_URL_EXPIRY_HOURS: '24' }, { uses: ['CDN_ENABLED', 'CDN_SIGNED_URL_EXPIRY_HOURS'] })).toEqual({
      CDN_ENABLED: false,
      CDN_SIGNED_URL_EXPIRY_HOURS: 24,
    });
  });

  it.each([
    ['CDN_SIGNED_URL_EXPIRY_HOURS', '25', /CDN_SIGNED_URL_EXPIRY_HOURS is invalid: out of range: expected a whole number of hours from 1 to 24/],
    ['CDN_SIGNED_URL_EXPIRY_HOURS', '2.5', /not a whole number/],
    ['CDN_STORAGE_PROVIDER', 's3', /CDN_STORAGE_PROVIDER is invalid: expected aws-s3, cloudflare-r2 or directory/],
    ['CDN_BASE_URL', 'cdn.memora.app', /CDN_BASE_URL is invalid.*http\(s\) URL/],
    ['CDN_ENABLED', 'maybe', /CDN_ENABLED is invalid.*true or false/],
    ['CLOUDFLARE_ZONE_ID', 'zone', /CLOUDFLARE_ZONE_ID is invalid.*32-character hex/],
  ] as const)('rejects %s=%s naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value }, { uses: [name] })).toThrow(message);
    try {
      loadConfig({ [name]: value }, { uses: [name] });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).exitCode).toBe(2);
    }
  });

  it('reports every missing required variable at once, and never echoes secrets', () => {
    let message = '';
    try {
      loadConfig({ FRAPPE_API_SECRET: ' ' , CLOUDFLARE_API_TOKEN: 'x' }, { uses: ['FRAPPE_URL', 'FRAPPE_API_KEY', 'FRAPPE_API_SECRET'], requires: ['FRAPPE_URL', 'FRAPPE_API_KEY', 'FRAPPE_API_SECRET'] });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/FRAPPE_URL is not set/);
    expect(message).toMatch(/FRAPPE_API_KEY is not set/);
    expect(message).toMatch(/FRAPPE_API_SECRET is not set/);
  });

  it('does not show the value of an invalid secret', () => {
    expect(() => loadConfig({ CLOUDFLARE_API_TOKEN: '   ' }, { uses: ['CLOUDFLARE_API_TOKEN'], requires: ['CLOUDFLARE_API_TOKEN'] })).toThrow(/CLOUDFLARE_API_TOKEN is not set/);
    try {
      loadConfig({ CDN_SECRET_KEY: '' }, { uses: ['CDN_SECRET_KEY'], requires: ['CDN_SECRET_KEY'] });
    } catch (error) {
      expect((error as Error).message).not.toContain('got');
    }
  });

  it.each(['0x10', '1e1', ' 5', '5 ', '5.0', '+5', '-5', '٥', '1_0', 'Infinity'])('refuses CDN_UPLOAD_CONCURRENCY=%j: decimal digits only', (value) => {
    expect(() => loadConfig({ CDN_UPLOAD_CONCURRENCY: value }, { uses: ['CDN_UPLOAD_CONCURRENCY'] })).toThrow(/CDN_UPLOAD_CONCURRENCY is invalid: not a whole number: expected a whole number from 1 to 64 \(decimal digits only\)/);
  });

  it.each([
    ['CDN_UPLOAD_CONCURRENCY', '0'],
    ['CDN_UPLOAD_CONCURRENCY', '65'],
    ['CLOUDFLARE_PURGE_BATCH_SIZE', '501'],
    ['CDN_VERSION_RETENTION_DAYS', '366'],
    ['CDN_SIGNED_URL_EXPIRY_HOURS', '99999999999999999999'],
  ] as const)('refuses %s=%s outside its documented range', (name, value) => {
    expect(() => loadConfig({ [name]: value }, { uses: [name] })).toThrow(new RegExp(`${name} is invalid: out of range`));
  });

  it('takes the bounds of each range and leading zeros', () => {
    expect(loadConfig({ CDN_UPLOAD_CONCURRENCY: '64', CLOUDFLARE_PURGE_BATCH_SIZE: '1', CDN_VERSION_RETENTION_DAYS: '007' }, { uses: ['CDN_UPLOAD_CONCURRENCY', 'CLOUDFLARE_PURGE_BATCH_SIZE', 'CDN_VERSION_RETENTION_DAYS'] })).toEqual({
      CDN_UPLOAD_CONCURRENCY: 64,
      CLOUDFLARE_PURGE_BATCH_SIZE: 1,
      CDN_VERSION_RETENTION_DAYS: 7,
    });
  });

  it.each([
    ['https://cdn.example.com/?x=1', /CDN_BASE_URL is invalid: has a query string/],
    ['https://cdn.example.com?', /CDN_BASE_URL is invalid: has a query string/],
    ['https://cdn.example.com/#top', /CDN_BASE_URL is invalid: has a fragment/],
    ['https://user:pass@cdn.example.com', /CDN_BASE_URL is invalid: must not hold a user name or password/],
  ])('refuses CDN_BASE_URL=%s: purge URLs are appended to it', (value, message) => {
    expect(() => loadConfig({ CDN_BASE_URL: value }, { uses: ['CDN_BASE_URL'] })).toThrow(message);
  });

  it('never echoes the value of any variable, secret or not', () => {
    const pasted = 'sk_live_4f9a2c7e1b';
    const env: Partial<Record<VariableName, string>> = {};
    for (const name of Object.keys(VARIABLES) as VariableName[]) env[name] = `${pasted}?#:/`;
    let message = '';
    try {
      loadConfig(env, { uses: Object.keys(VARIABLES) as VariableName[] });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    for (const name of ['CDN_UPLOAD_CONCURRENCY', 'CDN_BASE_URL', 'CDN_STORAGE_PROVIDER', 'CLOUDFLARE_ZONE_ID', 'CDN_ENABLED', 'FRAPPE_URL']) expect(message).toContain(`${name} is invalid`);
    expect(message).not.toContain(pasted);
  });
});

describe('bucket names', () => {
  it.each(['memora-cdn', 'abc', 'a'.repeat(63), 'cdn.memora.app', '1-2-3', 'xn-a'])('takes %s on S3', (name) => {
    expect(bucketNameProblem(name, 'aws-s3')).toBeNull();
  });

  it.each([
    ['ab', /3 to 63 characters/],
    ['a'.repeat(64), /3 to 63 characters/],
    ['Memora', /only lowercase letters, digits, dots and hyphens/],
    ['memora_cdn', /only lowercase letters, digits, dots and hyphens/],
    ['-memora', /begin and end with a lowercase letter or a digit/],
    ['memora.', /begin and end/],
    ['memora..cdn', /two dots in a row/],
    ['192.168.5.4', /IP address/],
    ['xn--memora', /begin with xn--/],
    ['sthree-memora', /begin with sthree-/],
    ['memora-s3alias', /end with -s3alias/],
    ['memora--ol-s3', /end with --ol-s3/],
  ])('refuses %s on S3', (name, problem) => {
    expect(bucketNameProblem(name, 'aws-s3')).toMatch(problem);
  });

  it('follows R2 rules for cloudflare-r2: no dots, and no AWS reservations', () => {
    expect(bucketNameProblem('cdn.memora.app', 'cloudflare-r2')).toMatch(/R2 allows no dots/);
    expect(bucketNameProblem('memora-s3alias', 'cloudflare-r2')).toBeNull();
    expect(bucketNameProblem('memora-cdn', 'cloudflare-r2')).toBeNull();
    expect(bucketNameProblem('-memora', 'cloudflare-r2')).toMatch(/begin and end/);
  });

  it('opening the storage refuses an invalid CDN_BUCKET with a ConfigError naming it, without the name', () => {
    const config = { CDN_STORAGE_PROVIDER: 'cloudflare-r2', CDN_ENDPOINT_URL: 'https://acc.r2.cloudflarestorage.com', CDN_BUCKET: 'cdn.Secret_Value', CDN_ACCESS_KEY: 'a', CDN_SECRET_KEY: 'b' };
    let error: unknown;
    try {
      storageFromConfig(config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/CDN_BUCKET is not a valid R2 bucket name: it may hold only lowercase letters, digits and hyphens/);
    expect((error as Error).message).not.toContain('Secret_Value');
  });
});
