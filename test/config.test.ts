import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.ts';
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
    ['CDN_SIGNED_URL_EXPIRY_HOURS', '25', /CDN_SIGNED_URL_EXPIRY_HOURS is invalid \(got "25"\): expected a whole number of hours from 1 to 24/],
    ['CDN_SIGNED_URL_EXPIRY_HOURS', '2.5', /whole number/],
    ['CDN_STORAGE_PROVIDER', 's3', /CDN_STORAGE_PROVIDER is invalid \(got "s3"\): expected aws-s3, cloudflare-r2 or directory/],
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
});
