import { apiIndex } from '../catalog/api-index.js';
import { sarInfo } from '../catalog/sar.js';
import { serviceReferenceInfo } from '../catalog/service-reference.js';
import { LeastprivError } from '../errors.js';
import { coverage } from '../providers/aws/authorize/coverage.js';
import { parse } from './args.js';

export const DATA_HELP = `Usage: leastpriv data check [options]

The mapping's self-check: every operation leastpriv knows, how it maps to IAM actions (AWS's
own operation table, a curated rule, a strategy that reads the request, the action of the same
name, or no permission at all), the operations no action can be named for and why, how far
iam:PassRole and tag-on-create reach, and any curated rule that no longer fits the data.

Where the data comes from and how to refresh it: the README, "Where the mapping comes from".
With internet access, refresh AWS's operation table from a checkout with
  npm run data -- --service-reference https://servicereference.us-east-1.amazonaws.com/

Options:
  -f, --format FORMAT      text (default) or json
  -v, --verbose            list every unmapped operation
  -h, --help               this help

Exit status: 0 when every curated rule fits the data and fewer than 1% of operations are
unmapped (operations of discontinued services are counted apart), 1 otherwise, 2 on bad input.
`;

const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(2)}%`;

export function dataCommand(argv: string[]): number {
  const { values, positionals } = parse(
    argv,
    {
      format: { type: 'string', short: 'f' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
    'data',
  );
  if (values.help) {
    process.stdout.write(DATA_HELP);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'check') {
    throw new LeastprivError('usage', 'data takes one subcommand: leastpriv data check');
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') {
    throw new LeastprivError('bad-input', `--format ${format}: use text or json`);
  }
  const c = coverage();
  const failed = c.problems.length > 0 || c.unmappedCount * 100 >= c.operations;
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  const sr = serviceReferenceInfo();
  const sar = sarInfo();
  const dates = Object.values(sr.documents)
    .filter((d): d is string => d !== null)
    .sort();
  const mappedTotal = Object.values(c.mapped).reduce((a, b) => a + b, 0);
  const lines = [
    `API index: ${c.operations} operations of ${apiIndex().services.size} services (aws-sdk ${apiIndex().sources['aws-sdk'] ?? '?'} and ${Object.keys(apiIndex().sources).length - 1} SDK v3 clients)`,
    `Service Authorization Reference: ${sar.source} ${sar.version}`,
    `AWS operation table: ${Object.keys(sr.documents).length} prefixes, documents modified ${dates[0] ?? '?'} to ${dates.at(-1) ?? '?'}`,
    '',
    `mapped:          ${mappedTotal} (${pct(mappedTotal, c.operations)})`,
    `  AWS's table:   ${c.mapped['aws-table']}`,
    `  curated rule:  ${c.mapped.curated}`,
    `  strategy:      ${c.mapped.strategy} (reads the request: PartiQL statements, API Gateway paths, ...)`,
    `  same name:     ${c.mapped['same-name']}`,
    `  no permission: ${c.mapped.permissionless}`,
    `unmapped:        ${c.unmappedCount} (${pct(c.unmappedCount, c.operations)})`,
  ];
  const retired = Object.entries(c.retired);
  if (retired.length) {
    const n = retired.reduce((a, [, k]) => a + k, 0);
    lines.push(
      `discontinued services: ${n} operations of ${retired.map(([s, k]) => `${s} (${k})`).join(', ')}`,
    );
  }
  for (const [reason, ops] of Object.entries(c.unmapped)) {
    lines.push(`  ${ops.length} ${reason}`);
    const shown = values.verbose ? ops : ops.slice(0, 6);
    lines.push(
      `    ${shown.join(' ')}${shown.length < ops.length ? ` ... (${ops.length - shown.length} more: -v)` : ''}`,
    );
  }
  const p = c.passRole;
  const t = c.tagOnCreate;
  lines.push(
    '',
    `iam:PassRole: ${p.withRoleMembers} operations take a role; ${p.byAwsTable} decided by AWS's table, ${p.byMembers} by the role members the request sends; ${p.withPrincipal} with iam:PassedToService`,
    `tag-on-create: ${t.withTagMembers} operations send tags; ${t.byAwsTable} decided by AWS's table, ${t.byServiceFacts} by documented service facts, ${t.undocumented} with no documented tagging action (none added)`,
  );
  if (c.problems.length)
    lines.push(
      '',
      `${c.problems.length} curated rules do not fit the data:`,
      ...c.problems.map((x) => `  ${x}`),
    );
  if (sr.dropped.length)
    lines.push('', `dropped from AWS's table (not in the reference): ${sr.dropped.length}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return failed ? 1 : 0;
}
