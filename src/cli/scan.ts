import { existsSync, readFileSync } from 'node:fs';
import {
  type CallSite,
  PYTHON_PARSER_PACKAGES,
  parseEnvFile,
  scanPaths,
  toOperation,
  wildcardUnknowns,
} from '../capture/scan/index.js';
import { LeastprivError } from '../errors.js';
import { Session } from '../index.js';
import type { CallRecord } from '../model/index.js';
import { OUTPUT_OPTIONS, parse, parseAccountId, parsePolicyFormat } from './args.js';
import { summaryFor, writeOutputs } from './outputs.js';
import { formatExplain, formatSummary } from './summary.js';

export const SCAN_HELP = `Usage: leastpriv scan PATH... [options]

Reads application code and writes the least-privilege policy for the AWS calls it makes,
without running it: JavaScript and TypeScript (AWS SDK v3 commands, aggregated clients,
@aws-sdk/lib-dynamodb, @aws-sdk/lib-storage Upload, paginators and waiters; SDK v2), Python
(boto3 clients, resources, paginators, waiters, upload_file/download_file) and Go (AWS SDK for
Go v2: service clients from NewFromConfig or New, paginators, waiters, presigning and the S3
transfer manager).

Each call site becomes a calls-log record with its file and line, so 'leastpriv generate
scan.ndjson run.ndjson' merges what the code can do with what a run did.

Resource names come from string constants, template strings and f-strings, const variables of
the same file (Go: consts and names assigned once in the function or package), and environment
variables (process.env.X, os.environ['X'], os.getenv('X'), os.Getenv("X")) with values from
--env FILE or a .env file next to the code. What the code does not make constant becomes * in
that part of the ARN only, and the summary names it.

Options:
  -o, --output FILE        write the policy to FILE (default: stdout)
  -f, --format FORMAT      policy format: json (default), terraform, cloudformation, markdown
      --calls FILE         also write the call sites as a calls log (source "scan")
      --env FILE           KEY=VALUE lines: the environment the code runs with
      --region REGION      the region of clients the code gives none (default: AWS_REGION or
                           AWS_DEFAULT_REGION from --env, else *)
      --account-id ID      the account the code runs in (default: * in ARNs)
      --wildcard-resources use "*" for every resource
      --compact            more than 10 resources of one kind under one parent become one wildcard
      --explain            after the summary, the call sites behind each statement
  -q, --quiet              no summary on stderr
  -h, --help               this help
`;

const SCAN_OPTIONS = {
  ...OUTPUT_OPTIONS,
  env: { type: 'string' },
  region: { type: 'string' },
} as const;

export async function scanCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, SCAN_OPTIONS, 'scan');
  if (values.help) {
    process.stdout.write(SCAN_HELP);
    return 0;
  }
  if (positionals.length === 0) {
    throw new LeastprivError('usage', "no path given: leastpriv scan PATH... (see 'leastpriv scan --help')");
  }
  const format = parsePolicyFormat(values.format);
  const accountId = parseAccountId(values['account-id']);
  let env = new Map<string, string>();
  if (values.env !== undefined) {
    if (!existsSync(values.env)) throw new LeastprivError('usage', `--env ${values.env}: no such file`);
    env = parseEnvFile(readFileSync(values.env, 'utf8'));
  }
  const region = values.region ?? env.get('AWS_REGION') ?? env.get('AWS_DEFAULT_REGION') ?? null;
  if (region !== null && !/^(\*|[a-z]{2}(-[a-z]+)+-\d+)$/.test(region)) {
    throw new LeastprivError('usage', `--region ${region} is not an AWS region such as us-east-1`);
  }
  let result: Awaited<ReturnType<typeof scanPaths>>;
  try {
    result = await scanPaths(positionals, { env });
  } catch (err) {
    const message = (err as Error).message;
    if (message.includes('web-tree-sitter')) throw new LeastprivError('usage', message);
    if (/no such file|not a JavaScript/.test(message)) throw new LeastprivError('usage', message);
    throw err;
  }
  const session = new Session({
    accountId,
    wildcardResources: values['wildcard-resources'],
    compactThreshold: values.compact ? 10 : 0,
  });
  const time = new Date().toISOString();
  for (const call of result.calls) addCallSite(session, call, { time, region, account: accountId });
  const written = writeOutputs({ session, format }, values);
  if (!values.quiet) {
    process.stderr.write(formatScanNotes(session, result.calls, result.files.length, result.problems));
    process.stderr.write(formatSummary(summaryFor(session, written), written));
  }
  if (values.explain) process.stderr.write(formatExplain(session));
  return 0;
}

/** One call site into the session: authorized like a captured call, or recorded unresolved. */
export function addCallSite(
  session: Session,
  call: CallSite,
  context: { time: string; region: string | null; account: string | null },
): void {
  const code = { file: call.file, line: call.line };
  const op = toOperation(call, context);
  if (op) {
    session.addOperation(
      op,
      { time: context.time, source: 'scan', status: null, error: null, code },
      wildcardUnknowns(call),
    );
    return;
  }
  const record: CallRecord = {
    time: context.time,
    source: 'scan',
    provider: 'aws',
    service: call.service,
    operation: call.operation,
    region: call.region ?? context.region,
    account: context.account,
    status: null,
    error: null,
    actions: null,
    resources: null,
    unresolved: call.unresolved?.reason ?? 'unknown-operation',
    ...code,
    ...(call.unresolved?.candidates ? { candidates: call.unresolved.candidates } : {}),
  };
  session.addRecord(record);
}

/**
 * What the scan could not pin down, by call site: unresolved call sites (with their candidates)
 * and the resources widened because a value is not constant in the code.
 */
/** How many notes of each kind the summary lists. */
const NOTES_SHOWN = 50;

export function formatScanNotes(
  session: Session,
  calls: CallSite[],
  files: number,
  problems: { file: string; problem: string }[],
): string {
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  const lines = [`leastpriv scan: ${n(files, 'file')}, ${n(calls.length, 'call site')}`];
  // each kind of note is listed up to a limit: a large repository has thousands
  const listed = (all: string[], what: string) => {
    lines.push(...all.slice(0, NOTES_SHOWN));
    if (all.length > NOTES_SHOWN)
      lines.push(`  ... and ${all.length - NOTES_SHOWN} more ${what} (every call site is in --calls FILE)`);
  };
  listed(
    problems.map((p) => `  skipped ${p.file}: ${p.problem}`),
    'skipped files',
  );
  const unresolved: string[] = [];
  for (const c of calls) {
    if (!c.unresolved) continue;
    const candidates = c.unresolved.candidates ? ` (candidates: ${c.unresolved.candidates.join(', ')})` : '';
    unresolved.push(`  ${c.file}:${c.line} ${c.unresolved.reason}: ${c.unresolved.detail}${candidates}`);
  }
  listed(unresolved, 'unresolved call sites');
  const widened: string[] = [];
  for (const r of session.calls()) {
    for (const q of r.requirements ?? []) {
      if (q.approximate?.includes('unknown in the code'))
        widened.push(`  ${r.file}:${r.line} ${q.approximate}`);
    }
  }
  listed([...new Set(widened)], 'resources widened for a value unknown in the code');
  return `${lines.join('\n')}\n`;
}

export { PYTHON_PARSER_PACKAGES };
