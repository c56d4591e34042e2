import { basename, join } from 'node:path';
import type { TrailTuple } from '../capture/cloudtrail/aggregate.js';
import { NO_FILTERS, parseWhen, type TrailFilters } from '../capture/cloudtrail/filters.js';
import { expandLocal, parseS3Url, type TrailInput } from '../capture/cloudtrail/inputs.js';
import { type Progress, runTrail, type TrailRun } from '../capture/cloudtrail/pool.js';
import { principalFileName } from '../capture/cloudtrail/principal.js';
import { listS3 } from '../capture/cloudtrail/s3.js';
import { LeastprivError } from '../errors.js';
import { Session, type SessionSummary } from '../index.js';
import type { CallRecord } from '../model/index.js';
import { callsToNdjson } from '../output/calls-log.js';
import { type Format, parseFormat, renderPolicy } from '../output/policy.js';
import { writeFileAtomic } from '../output/write.js';
import { OUTPUT_OPTIONS, parse, parseAccountId } from './args.js';
import { formatSummary } from './summary.js';

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
      --exclude-errors     leave out calls answered with an error (denied calls included)

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

A corrupt .gz or a JSON file that is not CloudTrail is reported and skipped; the run goes on.
Exit status: 0 on success, 2 for bad options or when no input could be read.
`;

const TRAIL_OPTIONS = {
  ...OUTPUT_OPTIONS,
  principal: { type: 'string', multiple: true },
  account: { type: 'string', multiple: true },
  region: { type: 'string', multiple: true },
  since: { type: 'string' },
  until: { type: 'string' },
  'exclude-errors': { type: 'boolean', default: false },
  'per-principal': { type: 'string' },
  jobs: { type: 'string' },
} as const;

export async function trailCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, TRAIL_OPTIONS, 'trail');
  if (values.help) {
    process.stdout.write(TRAIL_HELP);
    return 0;
  }
  if (positionals.length === 0)
    throw new LeastprivError(
      'usage',
      'no input: leastpriv trail PATH... (a folder, a file, s3://bucket/prefix or -)',
    );
  const format = parseFormat(values.format);
  const accountId = parseAccountId(values['account-id']);
  const filters = parseFilters(values, Date.now());
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1))
    throw new LeastprivError('usage', `--jobs '${values.jobs}' must be a whole number of threads, 1 or more`);

  const inputs = await expandInputs(positionals, filters);
  const started = Date.now();
  const bar = !values.quiet && process.stderr.isTTY ? progressBar(started) : null;
  const run = await runTrail(inputs.inputs, {
    filters,
    ...(jobs ? { jobs } : {}),
    ...(bar ? { onProgress: bar.update } : {}),
  });
  bar?.done();
  const seconds = (Date.now() - started) / 1000;

  const options = { accountId, wildcardResources: values['wildcard-resources'] };
  const all = new Session(options);
  for (const t of run.tuples) addTuple(all, t);
  const written = { policy: 'stdout', calls: values.calls ?? null };
  const perPrincipal = values['per-principal'];
  const principals = perPrincipal ? writePerPrincipal(run.tuples, perPrincipal, options, format) : [];
  if (values.output && values.output !== '-') {
    writeFileAtomic(values.output, renderPolicy(all.policy().documents, format));
    written.policy = values.output;
  } else if (!perPrincipal || values.output === '-')
    process.stdout.write(renderPolicy(all.policy().documents, format));
  else written.policy = `${principals.length} files in ${perPrincipal}`;
  if (values.calls) writeFileAtomic(values.calls, callsToNdjson(callsLog(all, run.tuples)));

  if (!values.quiet) {
    process.stderr.write(formatTrail(run, inputs.ignored, seconds, principals));
    process.stderr.write(formatSummary(trimDenied(all.summary()), written));
  }
  if (values.explain) process.stderr.write(explainTrail(all, run.tuples));
  return run.stats.files > 0 && run.stats.files === run.stats.skippedFiles ? 2 : 0;
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
  const filters: TrailFilters = {
    ...NO_FILTERS,
    principals: values.principal ?? [],
    accounts: values.account ?? [],
    regions: values.region ?? [],
    since: when(values.since, 'since'),
    until: when(values.until, 'until'),
    excludeErrors: values['exclude-errors'] ?? false,
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
    throw new LeastprivError(
      'bad-input',
      `no CloudTrail log files under ${args.join(', ')}: look for AWSLogs/<account>/CloudTrail/... folders or .json.gz files`,
    );
  }
  return { inputs, ignored: out.ignored };
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

/** The calls log: the session's records in tuple order, each with its principal and count. */
function callsLog(session: Session, tuples: readonly TrailTuple[]): CallRecord[] {
  return session.calls().map((r, i) => {
    const t = tuples[i];
    const extra = t ? { principal: t.principal, count: t.count, last: t.last } : {};
    return { ...r, ...extra } as CallRecord;
  });
}

function writePerPrincipal(
  tuples: readonly TrailTuple[],
  dir: string,
  options: { accountId: string | null; wildcardResources: boolean },
  format: Format,
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
    writeFileAtomic(file, renderPolicy(session.policy().documents, format));
    out.push({
      principal,
      file,
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
): string {
  const s = run.stats;
  const rate = seconds > 0 ? Math.round(s.events / seconds) : s.events;
  const who = new Set(run.tuples.map((t) => t.principal));
  const lines = [
    `leastpriv: read ${fmt(s.files - s.skippedFiles)} of ${fmt(s.files)} files, ${fmt(s.events)} events in ${seconds.toFixed(1)} s (${fmt(rate)} events/s); kept ${fmt(s.kept)} → ${fmt(run.tuples.length)} distinct calls by ${fmt(who.size)} principal${who.size === 1 ? '' : 's'}`,
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
