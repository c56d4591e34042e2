import { parseArgs } from 'node:util';
import { LeastprivError } from '../errors.js';
import { FORMATS, type Format } from '../output/policy.js';

export type OptionSpec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** Options shared by every command that writes a policy. */
export const OUTPUT_OPTIONS = {
  output: { type: 'string', short: 'o' },
  format: { type: 'string', short: 'f', default: 'json' },
  calls: { type: 'string' },
  'account-id': { type: 'string' },
  'wildcard-resources': { type: 'boolean', default: false },
  compact: { type: 'boolean', default: false },
  explain: { type: 'boolean', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionSpec;

/** `--compact`: more sibling resources than this under one parent become one wildcard. */
export const COMPACT_THRESHOLD = 10;

/** `--fails-only`: the policy of the denied calls only (run, proxy, generate). */
export const FAILS_ONLY_OPTION = {
  'fails-only': { type: 'boolean', default: false },
} as const satisfies OptionSpec;

/** Options of the commands that run the proxy. */
export const PROXY_OPTIONS = {
  upstream: { type: 'string' },
  'upstream-ca': { type: 'string' },
  'body-limit': { type: 'string', default: '1MiB' },
} as const satisfies OptionSpec;

/** Commands whose `-f` is the format of a report, not of a policy. */
const REPORT_COMMANDS = new Set(['check', 'diff', 'lint']);

/**
 * iamlive's options. Those that mean what one of ours means are accepted as that one (when the
 * command has it); the others are explained.
 */
const IAMLIVE: Record<string, { alias?: string; explain: (command: string) => string }> = {
  'output-file': { alias: 'output', explain: () => 'use -o/--output FILE' },
  'force-wildcard-resource': { alias: 'wildcard-resources', explain: () => 'use --wildcard-resources' },
  'bind-addr': {
    explain: (command) =>
      command === 'run'
        ? "'leastpriv run' listens on a free loopback port of its own; for a proxy on a fixed address use 'leastpriv proxy --host H --port P'"
        : "it is for a proxy: 'leastpriv proxy --host H --port P'",
  },
  mode: {
    explain: () =>
      "leastpriv captures with its proxy ('leastpriv run', 'leastpriv proxy') or with client-side monitoring ('leastpriv csm', 'leastpriv run --csm')",
  },
  'fails-only': {
    explain: (command) => `'leastpriv ${command}' has no --fails-only: use it with run, proxy or generate`,
  },
  'set-ini': {
    explain: () =>
      "leastpriv does not edit ~/.aws/config: 'leastpriv run -- COMMAND' sets the environment for the command, 'leastpriv proxy --env FILE' writes it for another shell",
  },
  profile: { explain: () => 'leastpriv reads no AWS profile: the command uses its own (AWS_PROFILE)' },
  'refresh-rate': {
    explain: () => "'leastpriv proxy' redraws the policy on its own, at most twice a second",
  },
  'sort-alphabetical': { explain: () => 'leastpriv always sorts actions and resources' },
  background: {
    explain: () =>
      "run 'leastpriv proxy' in the background with your shell (&), or use 'leastpriv run -- COMMAND'",
  },
  'ca-bundle': {
    explain: () => "leastpriv keeps its CA under $LEASTPRIV_HOME/ca: see 'leastpriv ca --path'",
  },
  'ca-key': { explain: () => "leastpriv keeps its CA under $LEASTPRIV_HOME/ca: see 'leastpriv ca --path'" },
  'override-aws-map': { explain: () => 'leastpriv ships its own mapping (data/): see leastpriv data check' },
  debug: { explain: () => "leastpriv has no debug mode: '--explain' shows the calls behind each statement" },
};

/** Levenshtein distance (small strings: option names). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The option closest to a misspelt one, when it is close enough to be what was meant. */
export function closestOption(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : null;
}

/**
 * Rewrites the aliases a command accepts (iamlive's option names, `--report-format`) to our own
 * options, and explains iamlive's options that mean nothing here.
 */
function rewrite(args: string[], options: OptionSpec, command: string): string[] {
  const out: string[] = [];
  const has = (name: string) => options !== undefined && name in options;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const m = /^--([^=]+)(=.*)?$/.exec(arg);
    const name = m?.[1];
    if (!m || name === undefined || has(name)) {
      out.push(arg);
      continue;
    }
    const rest = m[2] ?? '';
    if (name === 'report-format' && REPORT_COMMANDS.has(command) && has('format')) {
      out.push(`--format${rest}`);
      continue;
    }
    if (name === 'bind-addr' && has('host') && has('port')) {
      const value = rest ? rest.slice(1) : args[++i];
      const addr = value === undefined ? null : /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(value);
      if (!addr)
        throw new LeastprivError(
          'usage',
          `--bind-addr '${value ?? ''}' must be HOST:PORT, e.g. 127.0.0.1:10080`,
        );
      const host = (addr[1] ?? '').replace(/^\[(.*)\]$/, '$1');
      if (host) out.push('--host', host);
      out.push('--port', addr[2] as string);
      continue;
    }
    const iamlive = IAMLIVE[name];
    if (iamlive?.alias && has(iamlive.alias)) {
      out.push(`--${iamlive.alias}${rest}`);
      continue;
    }
    if (iamlive)
      throw new LeastprivError('usage', `--${name} is iamlive's option: ${iamlive.explain(command)}`);
    out.push(arg);
  }
  return out;
}

export function parse<T extends OptionSpec>(args: string[], options: T, command: string) {
  const rewritten = rewrite(args, options, command);
  try {
    return parseArgs({ args: rewritten, options, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const unknown = /Unknown option '([^']+)'/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      const longs = Object.keys(options ?? {});
      const guess = unknown.startsWith('--') ? closestOption(unknown.slice(2), longs) : null;
      throw new LeastprivError(
        'usage',
        guess
          ? `unknown option ${unknown} for ${command}: did you mean --${guess}? (see 'leastpriv ${command} --help')`
          : `unknown option ${unknown} for ${command}; see 'leastpriv ${command} --help'`,
      );
    }
    throw new LeastprivError('usage', `${e.message.split('\n')[0]}; see 'leastpriv ${command} --help'`);
  }
}

/** The option names that take a value, long and short, for a spec. */
export function valueOptions(options: OptionSpec): Set<string> {
  const out = new Set<string>();
  for (const [name, spec] of Object.entries(options ?? {})) {
    if (spec.type !== 'string') continue;
    out.add(`--${name}`);
    if (spec.short) out.add(`-${spec.short}`);
  }
  // iamlive's names we accept as aliases.
  out.add('--output-file');
  out.add('--bind-addr');
  return out;
}

/** `-f/--format` of the commands that write a policy. */
export function parsePolicyFormat(value: string | undefined): Format {
  const v = value ?? 'json';
  if ((FORMATS as readonly string[]).includes(v)) return v as Format;
  const list = `${FORMATS.slice(0, -1).join(', ')} or ${FORMATS[FORMATS.length - 1]}`;
  throw new LeastprivError(
    'usage',
    `unknown policy format '${v}' for -f/--format: use ${list} (text reports are what check, diff and lint write)`,
  );
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
