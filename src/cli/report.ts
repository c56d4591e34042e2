import { LeastprivError } from '../errors.js';
import { Session } from '../index.js';
import { loadCallsLogs } from '../input/index.js';
import { writeFileAtomic } from '../output/write.js';
import { renderReport } from '../ui/report.js';
import { COMPACT_THRESHOLD, parse, parseAccountId } from './args.js';
import { fillAccount } from './generate.js';

export const REPORT_HELP = `Usage: leastpriv report CALLS.ndjson... [-o report.html] [options]

Writes the capture page ('--ui' of run and proxy) as one self-contained HTML file: the calls,
filters, counters per service, the policy as JSON, Terraform and CloudFormation, and the
calls behind each statement. The data is embedded and the page loads nothing from the
network: attach it to a CI run or link it from a pull request. Several logs are merged.

Options:
  -o, --output FILE        write the report to FILE (default: stdout)
      --account-id ID      the account the calls act in (fills in calls recorded without one)
      --wildcard-resources use "*" for every resource
      --compact            more than 10 resources of one kind under one parent become one
                           wildcard (parent/*)
  -q, --quiet              no summary on stderr
  -h, --help               this help
`;

export function reportCommand(argv: string[]): number {
  const { values, positionals } = parse(
    argv,
    {
      output: { type: 'string', short: 'o' },
      'account-id': { type: 'string' },
      'wildcard-resources': { type: 'boolean', default: false },
      compact: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    'report',
  );
  if (values.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  if (positionals.length === 0) {
    throw new LeastprivError(
      'usage',
      "no calls log given: leastpriv report CALLS.ndjson... -o report.html (see 'leastpriv report --help')",
    );
  }
  const accountId = parseAccountId(values['account-id']);
  const session = new Session({
    accountId,
    wildcardResources: values['wildcard-resources'],
    compactThreshold: values.compact ? COMPACT_THRESHOLD : 0,
  });
  for (const record of loadCallsLogs(positionals))
    session.addRecord(accountId ? fillAccount(record, accountId) : record);
  const html = renderReport(session);
  const out = values.output;
  if (out && out !== '-') {
    writeFileAtomic(out, html); // a failure is a LeastprivError that says what to do
  } else process.stdout.write(html);
  if (!values.quiet) {
    const n = session.callCount;
    const s = session.summary();
    process.stderr.write(
      `leastpriv: report of ${n} call${n === 1 ? '' : 's'} (${s.statements} statement${s.statements === 1 ? '' : 's'}) → ${out && out !== '-' ? out : 'stdout'}\n`,
    );
  }
  return 0;
}
