import { LeastprivError } from '../errors.js';
import { Session } from '../index.js';
import { loadCallsLogs } from '../input/index.js';
import type { CallRecord, LoggedRequirement } from '../model/index.js';
import {
  COMPACT_THRESHOLD,
  FAILS_ONLY_OPTION,
  OUTPUT_OPTIONS,
  parse,
  parseAccountId,
  parsePolicyFormat,
} from './args.js';
import { summaryFor, writeOutputs } from './outputs.js';
import { formatExplain, formatSummary } from './summary.js';

export const GENERATE_HELP = `Usage: leastpriv generate CALLS.ndjson... [options]

Writes the least-privilege policy for the calls recorded in one or more calls logs (from
'leastpriv run --calls', 'proxy --calls', 'trail --calls'...). Several logs are merged: one
policy for several CI jobs or several days.

Options:
  -o, --output FILE        write the policy to FILE (default: stdout)
  -f, --format FORMAT      policy format: json (default), terraform, cloudformation, or
                           markdown (what each statement allows and which calls needed it,
                           for a pull request)
      --calls FILE         also write the merged calls log to FILE
      --account-id ID      the account the calls act in: fills it into the calls recorded
                           without one (their ARNs had "*" for the account)
      --wildcard-resources use "*" for every resource
      --compact            more than 10 resources of one kind under one parent become one
                           wildcard (parent/*), each listed in the summary
      --fails-only         only the permissions of the calls that were denied (fix the
                           AccessDenied errors of one run, then run again)
      --explain            after the summary, the calls behind each statement
  -q, --quiet              no summary on stderr
  -h, --help               this help
`;

export function generateCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, { ...OUTPUT_OPTIONS, ...FAILS_ONLY_OPTION }, 'generate');
  if (values.help) {
    process.stdout.write(GENERATE_HELP);
    return 0;
  }
  if (positionals.length === 0) {
    throw new LeastprivError(
      'usage',
      "no calls log given: leastpriv generate CALLS.ndjson... (see 'leastpriv generate --help')",
    );
  }
  const format = parsePolicyFormat(values.format);
  const accountId = parseAccountId(values['account-id']);
  const session = new Session({
    accountId,
    wildcardResources: values['wildcard-resources'],
    compactThreshold: values.compact ? COMPACT_THRESHOLD : 0,
  });
  for (const record of loadCallsLogs(positionals))
    session.addRecord(accountId ? fillAccount(record, accountId) : record);
  const written = writeOutputs({ session, format }, values);
  if (!values.quiet) process.stderr.write(formatSummary(summaryFor(session, written), written));
  if (values.explain) process.stderr.write(formatExplain(session));
  return 0;
}

/**
 * A call recorded before its account was known (`"account": null`, `*` in its ARNs' account
 * field) with the account given by --account-id: what `run --account-id` would have recorded.
 */
export function fillAccount(record: CallRecord, account: string): CallRecord {
  if (record.account !== null || record.unresolved !== null) return record;
  const fillArn = (arn: string) => {
    const parts = arn.split(':');
    if (parts[0] !== 'arn' || parts[4] !== '*') return arn;
    parts[4] = account;
    return parts.join(':');
  };
  if (!record.requirements) {
    return { ...record, account, resources: record.resources?.map(fillArn) ?? null };
  }
  const requirements = record.requirements.map((r): LoggedRequirement => {
    const missing = /^(.*: )(.*) unknown, used \*$/.exec(r.approximate ?? '');
    const names = missing?.[2]?.split(', ') ?? [];
    if (!missing || !names.includes('Account')) return r;
    const rest = names.filter((n) => n !== 'Account');
    const { approximate: _, ...req } = r;
    return {
      ...req,
      resources: r.resources.map(fillArn),
      ...(rest.length ? { approximate: `${missing[1]}${rest.join(', ')} unknown, used *` } : {}),
    };
  });
  const resources = [...new Set(requirements.flatMap((r) => r.resources))].sort();
  return { ...record, account, resources, requirements };
}
