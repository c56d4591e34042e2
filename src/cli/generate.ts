import { LeastprivError } from '../errors.js';
import { Session } from '../index.js';
import { loadCallsLogs } from '../input/index.js';
import { parseFormat } from '../output/policy.js';
import { OUTPUT_OPTIONS, parse, parseAccountId } from './args.js';
import { writeOutputs } from './outputs.js';
import { formatExplain, formatSummary } from './summary.js';

export const GENERATE_HELP = `Usage: leastpriv generate CALLS.ndjson... [options]

Writes the least-privilege policy for the calls recorded in one or more calls logs (from
'leastpriv run --calls', 'proxy --calls', 'trail --calls'...). Several logs are merged: one
policy for several CI jobs or several days.

Options:
  -o, --output FILE        write the policy to FILE (default: stdout)
  -f, --format FORMAT      json (default), terraform, cloudformation, or markdown (what each
                           statement allows and which calls needed it, for a pull request)
      --calls FILE         also write the merged calls log to FILE
      --account-id ID      the account the calls act in
      --wildcard-resources use "*" for every resource
      --explain            after the summary, the calls behind each statement
  -q, --quiet              no summary on stderr
  -h, --help               this help
`;

export function generateCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, OUTPUT_OPTIONS, 'generate');
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
  const format = parseFormat(values.format);
  const session = new Session({
    accountId: parseAccountId(values['account-id']),
    wildcardResources: values['wildcard-resources'],
  });
  for (const record of loadCallsLogs(positionals)) session.addRecord(record);
  const written = writeOutputs({ session, format }, values);
  if (!values.quiet) process.stderr.write(formatSummary(session.summary(), written));
  if (values.explain) process.stderr.write(formatExplain(session));
  return 0;
}
