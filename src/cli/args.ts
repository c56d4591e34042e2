import { parseArgs } from 'node:util';
import { LeastprivError } from '../errors.js';

type OptionSpec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** Options shared by every command that writes a policy. */
export const OUTPUT_OPTIONS = {
  output: { type: 'string', short: 'o' },
  format: { type: 'string', short: 'f', default: 'json' },
  calls: { type: 'string' },
  'account-id': { type: 'string' },
  'wildcard-resources': { type: 'boolean', default: false },
  explain: { type: 'boolean', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionSpec;

/** Options of the commands that run the proxy. */
export const PROXY_OPTIONS = {
  upstream: { type: 'string' },
  'upstream-ca': { type: 'string' },
  'body-limit': { type: 'string', default: '1MiB' },
} as const satisfies OptionSpec;

export function parse<T extends OptionSpec>(args: string[], options: T, command: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new LeastprivError(
      'usage',
      `${(err as Error).message.split('\n')[0]}; see 'leastpriv ${command} --help'`,
    );
  }
}

/** `1MiB`, `512KiB`, `65536` → bytes. */
export function parseSize(value: string, flag: string): number {
  const m = /^(\d+)\s*(b|kib|kb|k|mib|mb|m|gib|gb|g)?$/i.exec(value.trim());
  if (!m)
    throw new LeastprivError('usage', `${flag} '${value}' is not a size: use bytes or a unit, e.g. 1MiB`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const scale = unit.startsWith('k')
    ? 1024
    : unit.startsWith('m')
      ? 1024 ** 2
      : unit.startsWith('g')
        ? 1024 ** 3
        : 1;
  return Number(m[1]) * scale;
}

export function parseAccountId(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/^\d{12}$/.test(value)) {
    throw new LeastprivError('usage', `--account-id '${value}' is not a 12-digit AWS account id`);
  }
  return value;
}

export function parsePort(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new LeastprivError('usage', `${flag} '${value}' is not a port number (0-65535)`);
  }
  return n;
}
