/** Command-line parsing on node:util parseArgs: unknown flags are errors, every option has help. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.ts';
import { allowedHostProblem } from '../preview/host-check.ts';
import { closestName } from './suggest.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** May be given more than once (collected into an array). */
  multiple?: boolean;
  short?: string;
  /** Placeholder for the value in help, e.g. `DIR`. */
  value?: string;
  default?: string | boolean;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export const COMMON_OPTIONS = {
  verbose: { type: 'boolean', short: 'v', description: 'log what is done and why, in detail' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies OptionSpecs;

export const CACHE_OPTION = {
  cache: { type: 'string', value: 'DIR', default: 'content-cache', description: 'the content cache folder' },
} as const satisfies OptionSpecs;

export const OUT_OPTION = {
  out: { type: 'string', value: 'DIR', default: 'out', description: 'the output folder (the CDN tree)' },
} as const satisfies OptionSpecs;

export const DEFAULT_PREVIEW_PORT = 4173;

export const PORT_OPTION = {
  port: { type: 'string', value: 'N', default: String(DEFAULT_PREVIEW_PORT), description: 'the port on 127.0.0.1 (0: any free port)' },
  'allow-host': {
    type: 'string',
    multiple: true,
    value: 'NAME',
    description: 'also answer requests for this host name, e.g. a tunnel or forwarded port (.example.com: it and every name under it); others than localhost and IP addresses are refused',
  },
} as const satisfies OptionSpecs;

/** The host names of `--allow-host`, each checked (a usage error names the one at fault). */
export function allowedHostsOption(values: ParsedValues): string[] {
  const given = (values['allow-host'] as string[] | undefined) ?? [];
  for (const entry of given) {
    const problem = allowedHostProblem(entry);
    if (problem !== null) throw new UsageError(`--allow-host ${JSON.stringify(entry)}: ${problem}`);
  }
  return given;
}

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export function parseCommandArgs(command: string, argv: readonly string[], specs: OptionSpecs): { values: ParsedValues; positionals: string[] } {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = {
      type: spec.type,
      ...(spec.multiple ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  try {
    const parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    const values = { ...parsed.values } as ParsedValues;
    for (const [name, spec] of Object.entries(specs)) {
      if (values[name] === undefined && spec.default !== undefined) values[name] = spec.default;
    }
    return { values, positionals: parsed.positionals };
  } catch (error) {
    const unknown = (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']*)'/.exec((error as Error).message)?.[1] : undefined;
    if (unknown !== undefined) {
      const suggestion = closestName(unknown, Object.keys(specs).map((name) => `--${name}`));
      throw new UsageError(`${command}: unknown option ${JSON.stringify(unknown)}; ${suggestion ? `did you mean ${JSON.stringify(suggestion)}?` : `see \`${command} --help\``}`);
    }
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error);
    throw new UsageError(`${command}: ${message}; see \`${command} --help\``);
  }
}

/** A whole number option, with a usage error naming the flag when it is not one. */
export function intOption(values: ParsedValues, name: string, range: { min: number; max: number }): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(`--${name} ${JSON.stringify(raw)}: expected a whole number from ${range.min} to ${range.max}`);
  }
  return n;
}

export function stringOption(values: ParsedValues, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} needs a value`);
  return v;
}

export function formatOptions(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    const extra = [spec.multiple ? 'repeatable' : '', spec.default !== undefined && spec.default !== false ? `default ${String(spec.default)}` : '']
      .filter(Boolean)
      .join('; ');
    return [flag, `${spec.description}${extra ? ` (${extra})` : ''}`] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`).join('\n');
}
