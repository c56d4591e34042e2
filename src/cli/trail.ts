import { basename, join } from 'node:path';
import type { TrailTuple } from '../capture/cloudtrail/aggregate.js';
import { NO_FILTERS, parseWhen, type TrailFilters } from '../capture/cloudtrail/filters.js';
import { expandLocal, parseS3Url, type TrailInput } from '../capture/cloudtrail/inputs.js';
import { type Progress, runTrail, type TrailRun } from '../capture/cloudtrail/pool.js';
import { principalFileName } from '../capture/cloudtrail/principal.js';
import { MAX_DEPTH } from '../capture/cloudtrail/records.js';
import { listS3 } from '../capture/cloudtrail/s3.js';
import { LeastprivError } from '../errors.js';
import { isDenied, Session, type SessionSummary } from '../index.js';
import type { CallRecord } from '../model/index.js';
import { callsToNdjson } from '../output/calls-log.js';
import { type Format, parseFormat, renderPolicy } from '../output/policy.js';
import { tryWriteFileAtomic } from '../output/write.js';
import { OUTPUT_OPTIONS, parse, parseAccountId } from './args.js';
import { formatSummary } from './summary.js';
import { athenaRun, createTable, duckdbRun, queryText, SQL_HELP, SQL_OPTIONS, sqlMode } from './trail-sql.js';

export const TRAIL_HELP = `Usage: leastpriv trail PATH... [filters] [options]

Writes the least-privilege policy for what CloudTrail recorded. PATH is a log file (.json.gz,
.json, NDJSON), a folder in the S3 delivery layout (AWSLogs/..., organisation trails too), the
output of 'aws cloudtrail lookup-events', CloudTrail Lake query results, s3://bucket/prefix
(read with your AWS credentials; needs @aws-sdk/client-s3), or - for standard input.

Filters:
      --principal GLOB     only this principal (an assumed-role session counts as its role);
                           * and ? are wildcards; repeatable
      --account ID         only calls in this account; repeatable
      --region REGION      only calls in this region; repeatable
      --since WHEN         from this time: a date (2026-11-01), a date-time, or 7d, 12h, 90d ago
      --until WHEN         up to this time (a bare date includes its whole day)
      --exclude-errors     leave out calls answered with an error other than a denial
      --include-denied     also grant calls that were denied (AccessDenied, UnauthorizedOperation...);
                           by default they are left out of the policy and listed in the summary,
                           as a denial can be someone probing for permissions

Options:
  -o, --output FILE        write the policy of every call kept to FILE (default: stdout)
      --per-principal DIR  write one policy per principal to DIR, named after its ARN
  -f, --format FORMAT      policy format: json (default)
      --calls FILE         write the distinct calls (NDJSON, with principal and count) to FILE
      --account-id ID      the account, for records that do not say
      --wildcard-resources use "*" for every resource
      --jobs N             worker threads (default: one per core)
      --explain            after the summary, the calls behind each statement
  -q, --quiet              no progress and no summary on stderr
  -h, --help               this help

A corrupt .gz, a JSON file that is not CloudTrail, a symbolic link to nothing or in a loop, a
folder that cannot be read and a FIFO are reported with the reason and skipped; so is a record
nested too deep. The run goes on.

${SQL_HELP}
Exit status: 0 on success, 2 for bad options, when no input could be read, or when an output
could not be written (each one named; a file that was there before is kept as it was).
`;

const TRAIL_OPTIONS = {
  ...OUTPUT_OPTIONS,
  ...SQL_OPTIONS,
  principal: { type: 'string', multiple: true },
  account: { type: 'string', multiple: true },
  region: { type: 'string', multiple: true },
  since: { type: 'string' },
  until: { type: 'string' },
  'exclude-errors': { type: 'boolean', default: false },
  'include-denied': { type: 'boolean', default: false },
  'per-principal': { type: 'string' },
  jobs: { type: 'string' },
} as const;

export async function trailCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, TRAIL_OPTIONS, 'trail');
  if (values.help) {
    process.stdout.write(TRAIL_HELP);
    return 0;
  }
  const mode = sqlMode(values, positionals);
  const format = parseFormat(values.format);
  const accountId = parseAccountId(values['account-id']);
  const filters = parseFilters(values, Date.now());
  if (values['create-table']) return createTable(values, filters);
  if (positionals.length === 0 && mode !== 'athena')
    throw new LeastprivError(
      'usage',
      'no input: leastpriv trail PATH... (a folder, a file, s3://bucket/prefix or -), or --athena to query a table',
    );
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1))
    throw new LeastprivError('usage', `--jobs '${values.jobs}' must be a whole number of threads, 1 or more`);

  const started = Date.now();
  let run: TrailRun;
  let headline: string | null = null;
  let ignored = new Map<string, number>();
  if (mode === 'athena') {
    if (values['print-query']) {
      process.stdout.write(`${queryText('athena', values, filters, [])}\n`);
      return 0;
    }
    ({ run, headline } = await athenaRun(values, filters, !values.quiet && process.stderr.isTTY));
  } else {
    const inputs = await expandInputs(positionals, filters);
    ignored = inputs.ignored;
    if (mode === 'duckdb') {
      const files = inputs.inputs.flatMap((i) => (i.kind === 'file' ? [{ path: i.path, size: i.size }] : []));
      if (files.length < inputs.inputs.length)
        throw new LeastprivError(
          'usage',
          '--engine duckdb reads local files: download s3:// logs first (aws s3 sync), or leave out --engine for standard input and S3',
        );
      if (values['print-query']) {
        process.stdout.write(
          `${queryText(
            'duckdb',
            values,
            filters,
            files.map((f) => f.path),
          )}\n`,
        );
        return 0;
      }
      ({ run, headline } = await duckdbRun(files, filters, jobs));
    } else {
      if (values['print-query'])
        throw new LeastprivError(
          'usage',
          '--print-query shows the query of --athena or --engine duckdb: add one',
        );
      const bar = !values.quiet && process.stderr.isTTY ? progressBar(started) : null;
      run = await runTrail(inputs.inputs, {
        filters,
        ...(jobs ? { jobs } : {}),
        ...(bar ? { onProgress: bar.update } : {}),
      });
      bar?.done();
    }
    // Paths skipped before reading (links to nothing, loops, unreadable folders, FIFOs) count
    // as files skipped, each listed with its reason.
    if (inputs.skipped.length > 0) {
      run.skipped.push(...inputs.skipped);
      run.skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      run.stats.files += inputs.skipped.length;
      run.stats.skippedFiles += inputs.skipped.length;
    }
  }
  const seconds = (Date.now() - started) / 1000;

  // Calls answered with an error: denied ones are left out of the policy (and listed) unless
  // --include-denied; with --exclude-errors, the others are left out (and counted).
  const kept = run.tuples.filter((t) => {
    if (!values['exclude-errors'] || t.error === null || isDenied(null, t.error)) return true;
    run.stats.filtered.error += t.count;
    run.stats.kept -= t.count;
    return false;
  });
  run.tuples = kept;
  const granted = values['include-denied'] ? kept : kept.filter((t) => !isDenied(null, t.error));
  const denied = values['include-denied'] ? [] : kept.filter((t) => isDenied(null, t.error));

  const options = { accountId, wildcardResources: values['wildcard-resources'] };
  const all = new Session(options);
  for (const t of granted) addTuple(all, t);
  const probes = new Session(options);
  for (const t of denied) addTuple(probes, t);

  // Every output is attempted: one that cannot be written does not cost the others.
  const failed: string[] = [];
  const write = (path: string, data: string | Iterable<string>): boolean => {
    const outcome = tryWriteFileAtomic(path, data);
    if (!outcome.ok) failed.push(outcome.message);
    return outcome.ok;
  };
  const written = { policy: 'stdout', calls: values.calls ?? null };
  const perPrincipal = values['per-principal'];
  const principals = perPrincipal ? writePerPrincipal(granted, perPrincipal, options, format, write) : [];
  if (values.output && values.output !== '-') {
    const ok = write(values.output, renderPolicy(all.policy().documents, format));
    written.policy = ok ? values.output : `not written (${values.output})`;
  } else if (!perPrincipal || values.output === '-')
    process.stdout.write(renderPolicy(all.policy().documents, format));
  else written.policy = `${principals.length} files in ${perPrincipal}`;
  if (values.calls) {
    const log = callsToNdjson(callsLog(kept, [all, granted], [probes, denied]));
    if (!write(values.calls, log)) written.calls = `not written (${values.calls})`;
  }

  for (const message of failed) process.stderr.write(`leastpriv: ${message}\n`);
  if (!values.quiet) {
    process.stderr.write(formatTrail(run, ignored, seconds, principals, headline));
    process.stderr.write(formatSummary(trimDenied(withDenied(all.summary(), probes.summary())), written));
  }
  if (values.explain) process.stderr.write(explainTrail(all, granted));
  if (failed.length > 0) return 2;
  return run.stats.files > 0 && run.stats.files === run.stats.skippedFiles ? 2 : 0;
}

/**
 * The summary of the granted calls with the denied ones (a session of their own, so that
 * they stay out of the policy) listed, and a note saying so.
 */
function withDenied(s: SessionSummary, d: SessionSummary): SessionSummary {
  if (d.calls === 0) return s;
  const services = new Map(s.services);
  for (const [name, n] of d.services) services.set(name, (services.get(name) ?? 0) + n);
  const unresolved = [...s.unresolved];
  for (const u of d.unresolved) {
    const same = unresolved.find((x) => x.reason === u.reason);
    if (same) {
      const examples = [...new Set([...same.examples, ...u.examples])].slice(0, 3);
      unresolved[unresolved.indexOf(same)] = { ...same, count: same.count + u.count, examples };
    } else unresolved.push(u);
  }
  const n = d.denied.length;
  return {
    ...s,
    calls: s.calls + d.calls,
    services: [...services].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    unresolved,
    denied: [...s.denied, ...d.denied],
    warnings: [
      ...s.warnings,
      `${n} denied call${n === 1 ? '' : 's'} left out of the policy (a denial can be a probe): --include-denied grants ${n === 1 ? 'it' : 'them'}`,
    ],
  };
}

function parseFilters(
  values: {
    principal?: string[];
    account?: string[];
    region?: string[];
    since?: string;
    until?: string;
    'exclude-errors'?: boolean;
  },
  now: number,
): TrailFilters {
  const when = (v: string | undefined, bound: 'since' | 'until') => {
    if (v === undefined) return null;
    const r = parseWhen(v, bound, now);
    if (!r.ok) throw new LeastprivError('usage', r.message);
    return r.time;
  };
  for (const a of values.account ?? []) {
    if (!/^\d{12}$/.test(a))
      throw new LeastprivError('usage', `--account '${a}' is not a 12-digit AWS account id`);
  }
  // --exclude-errors is applied to the distinct calls (trailCommand), where denials are told apart.
  const filters: TrailFilters = {
    ...NO_FILTERS,
    principals: values.principal ?? [],
    accounts: values.account ?? [],
    regions: values.region ?? [],
    since: when(values.since, 'since'),
    until: when(values.until, 'until'),
    excludeErrors: false,
  };
  if (filters.since !== null && filters.until !== null && filters.since > filters.until)
    throw new LeastprivError('usage', '--since is after --until: swap them');
  return filters;
}

async function expandInputs(args: string[], filters: TrailFilters) {
  const local = args.filter((a) => !parseS3Url(a));
  const out = expandLocal(local, filters);
  if (out.missing.length > 0) {
    const m = out.missing[0];
    throw new LeastprivError('bad-input', `${m?.path}: ${m?.reason}; check the path`);
  }
  if (args.filter((a) => a === '-').length > 1)
    throw new LeastprivError('usage', "'-' (standard input) can be given once");
  const inputs: TrailInput[] = [...out.inputs];
  for (const arg of args) {
    const s3 = parseS3Url(arg);
    if (!s3) continue;
    const listed = await listS3(s3.bucket, s3.prefix);
    if (!listed.ok) throw new LeastprivError('bad-input', listed.message);
    inputs.push(...listed.inputs);
    if (listed.ignored) out.ignored.set('S3 objects that are not logs', listed.ignored);
  }
  if (inputs.length === 0) {
    const first = out.skipped[0];
    throw new LeastprivError(
      'bad-input',
      first
        ? `no CloudTrail log files under ${args.join(', ')}: ${first.path}: ${first.reason}${out.skipped.length > 1 ? ` (and ${out.skipped.length - 1} more skipped)` : ''}`
        : `no CloudTrail log files under ${args.join(', ')}: look for AWSLogs/<account>/CloudTrail/... folders or .json.gz files`,
    );
  }
  return { inputs, ignored: out.ignored, skipped: out.skipped };
}

/** Adds one distinct call to a session: an operation, or a record of why it has none. */
function addTuple(session: Session, t: TrailTuple): void {
  if (t.operation) {
    session.addOperation(t.operation, { time: t.first, source: 'cloudtrail', status: null, error: t.error });
    return;
  }
  const u = t.unresolved;
  session.addRecord({
    time: t.first,
    source: 'cloudtrail',
    provider: 'aws',
    service: u?.service ?? null,
    operation: u?.operation ?? null,
    region: u?.region ?? null,
    account: u?.account ?? null,
    status: null,
    error: t.error,
    actions: null,
    resources: null,
    unresolved: u?.reason ?? 'unknown-operation',
    // CloudTrail's event source is the service's endpoint host: the summary's example.
    ...(u?.source ? { host: u.source } : {}),
  });
}

/**
 * The calls log: every kept call in tuple order, each with its principal and count, read from
 * the session it was added to (the granted calls' or the denied calls').
 */
function callsLog(order: readonly TrailTuple[], ...parts: [Session, readonly TrailTuple[]][]): CallRecord[] {
  const byTuple = new Map<TrailTuple, CallRecord>();
  for (const [session, tuples] of parts) {
    session.calls().forEach((r, i) => {
      const t = tuples[i];
      if (t) byTuple.set(t, { ...r, principal: t.principal, count: t.count, last: t.last } as CallRecord);
    });
  }
  return order.flatMap((t) => byTuple.get(t) ?? []);
}

function writePerPrincipal(
  tuples: readonly TrailTuple[],
  dir: string,
  options: { accountId: string | null; wildcardResources: boolean },
  format: Format,
  write: (path: string, data: string) => boolean,
): { principal: string; file: string; calls: number; actions: number }[] {
  const byPrincipal = new Map<string, TrailTuple[]>();
  for (const t of tuples) {
    const list = byPrincipal.get(t.principal) ?? [];
    list.push(t);
    byPrincipal.set(t.principal, list);
  }
  const used = new Set<string>();
  const out: { principal: string; file: string; calls: number; actions: number }[] = [];
  for (const [principal, list] of [...byPrincipal].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const session = new Session(options);
    for (const t of list) addTuple(session, t);
    let name = principalFileName(principal);
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${principalFileName(principal)}-${n}`;
    used.add(name.toLowerCase());
    const file = join(dir, `${name}.json`);
    const ok = write(file, renderPolicy(session.policy().documents, format));
    out.push({
      principal,
      file: ok ? file : `not written (${file})`,
      calls: list.reduce((n, t) => n + t.count, 0),
      actions: session.summary().actions,
    });
  }
  return out;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Logs repeat a denial many times over: each distinct one once, the first twenty. */
function trimDenied(s: SessionSummary): SessionSummary {
  const seen = new Map<string, SessionSummary['denied'][number]>();
  for (const d of s.denied) seen.set(`${d.call}\u0000${d.error}\u0000${d.actions.join(',')}`, d);
  const denied = [...seen.values()];
  if (denied.length <= 20) return { ...s, denied };
  const more = `${fmt(denied.length - 20)} more distinct denied calls: see the calls log (--calls)`;
  return { ...s, denied: denied.slice(0, 20), warnings: [...s.warnings, more] };
}

function formatTrail(
  run: TrailRun,
  ignored: Map<string, number>,
  seconds: number,
  principals: { principal: string; file: string; calls: number; actions: number }[],
  headline: string | null,
): string {
  const s = run.stats;
  const rate = seconds > 0 ? Math.round(s.events / seconds) : s.events;
  const who = new Set(run.tuples.map((t) => t.principal));
  const read =
    headline ??
    `leastpriv: read ${fmt(s.files - s.skippedFiles)} of ${fmt(s.files)} files, ${fmt(s.events)} events in ${seconds.toFixed(1)} s (${fmt(rate)} events/s)`;
  const lines = [
    `${read}; kept ${fmt(s.kept)} → ${fmt(run.tuples.length)} distinct calls by ${fmt(who.size)} principal${who.size === 1 ? '' : 's'}`,
  ];
  if (run.skipped.length > 0) {
    lines.push(`  skipped ${fmt(run.skipped.length)} file${run.skipped.length === 1 ? '' : 's'}:`);
    for (const k of run.skipped.slice(0, 10)) lines.push(`    ${k.path}: ${k.reason}`);
    if (run.skipped.length > 10) lines.push(`    ... and ${fmt(run.skipped.length - 10)} more`);
  }
  const filtered = Object.entries(s.filtered).filter(([, n]) => n > 0);
  if (filtered.length) {
    const flag: Record<string, string> = {
      principal: '--principal',
      account: '--account',
      region: '--region',
      time: '--since/--until',
      error: '--exclude-errors',
    };
    lines.push(`  left out by filters: ${filtered.map(([k, n]) => `${fmt(n)} by ${flag[k]}`).join(', ')}`);
  }
  if (s.notApiCalls)
    lines.push(
      `  ${fmt(s.notApiCalls)} records are not API calls (console sign-ins, service events, Insights): not counted`,
    );
  if (s.malformed)
    lines.push(
      `  ${fmt(s.malformed)} record${s.malformed === 1 ? ' has' : 's have'} request parameters or resources that are not JSON: not counted`,
    );
  if (s.tooDeep)
    lines.push(
      `  ${fmt(s.tooDeep)} record${s.tooDeep === 1 ? ' nests' : 's nest'} deeper than ${MAX_DEPTH} levels (request parameters or resources): not counted`,
    );
  for (const [why, n] of ignored) lines.push(`  ignored ${fmt(n)} × ${why}`);
  for (const p of principals)
    lines.push(`  ${p.principal}: ${fmt(p.calls)} calls, ${p.actions} actions → ${p.file}`);
  if (principals.length === 0 && who.size > 1) {
    lines.push(
      `  one policy for ${who.size} principals: choose one with --principal, or use --per-principal DIR`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `--explain` for CloudTrail: which operations, how often and by whom, behind each statement. */
function explainTrail(session: Session, tuples: readonly TrailTuple[]): string {
  const lines: string[] = [];
  for (const [sid, ids] of session.policy().explain) {
    const counts = new Map<string, number>();
    for (const id of ids) {
      const t = tuples[id - 1];
      const r = session.call(id);
      if (!r || !t) continue;
      const name = `${r.service}:${r.operation} by ${basename(t.principal)}${t.error ? ` (${t.error})` : ''}`;
      counts.set(name, (counts.get(name) ?? 0) + t.count);
    }
    lines.push(`${sid}: ${fmt([...counts.values()].reduce((a, b) => a + b, 0))} events`);
    for (const [name, n] of counts) lines.push(`  ${name} ×${fmt(n)}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function progressBar(started: number): { update: (p: Progress) => void; done: () => void } {
  let last = 0;
  const draw = (p: Progress) => {
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    const width = 24;
    const filled = p.totalFiles ? Math.round((p.files / p.totalFiles) * width) : 0;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    process.stderr.write(
      `\r\x1b[K${bar} files ${fmt(p.files)}/${fmt(p.totalFiles)} · ${fmt(p.events)} events · ${fmt(Math.round(p.events / secs))} events/s`,
    );
  };
  return {
    update: (p) => {
      const now = Date.now();
      if (now - last < 100 && p.files < p.totalFiles) return;
      last = now;
      draw(p);
    },
    done: () => process.stderr.write('\r\x1b[K'),
  };
}
