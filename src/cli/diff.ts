import { LeastprivError } from '../errors.js';
import { loadAzureRole } from '../input/azure-role.js';
import { loadGcpRole } from '../input/gcp-role.js';
import { loadCallsLogs, recordNeeds } from '../input/index.js';
import {
  type DiffReport,
  diffPolicy,
  FINDING_KINDS,
  type FindingKind,
  findingKinds,
} from '../policy/evaluate/diff.js';
import { parse, parseAccountId } from './args.js';
import {
  loadPolicyFor,
  POLICY_INPUT_OPTIONS,
  parseContext,
  parseReportFormat,
  printNotes,
  writeReport,
} from './check.js';
import { diffAzureRole, diffGcpRole } from './cloud-roles.js';

export const DIFF_HELP = `Usage: leastpriv diff POLICY CALLS.ndjson... [options]

Compares a policy with what the recorded calls used:
  missing      needed by a call and not granted (with the statement that would grant it)
  unused       granted and never used: whole statements, Action entries, Resource entries
  over-broad   wildcards (and NotAction/NotResource) the calls used only narrowly
POLICY is policy JSON, a Terraform file or a CloudFormation template, or a Google Cloud custom
role (YAML or JSON with includedPermissions: missing and unused permissions).

Options:
  -f, --format FORMAT      text (default), json, or markdown (for a pull-request comment)
      --fail-on KINDS      exit 1 when any of these is found: missing, unused, over-broad,
                           comma-separated, or none (default: missing)
      --context KEY=VALUE  a request condition key every call had (repeatable)
      --account-id ID      the account for \${AWS::AccountId} in templates (default: the calls')
  -o, --output FILE        write the report to FILE (default: stdout)
  -q, --quiet              nothing on stderr
  -h, --help               this help

Exit status: 0 when nothing named in --fail-on was found, 1 when something was, 2 on bad input.
`;

function parseFailOn(value: string): Set<FindingKind> {
  if (value === 'none' || value === '') return new Set();
  const out = new Set<FindingKind>();
  for (const k of value.split(',').map((s) => s.trim())) {
    if (!(FINDING_KINDS as readonly string[]).includes(k)) {
      throw new LeastprivError('usage', `--fail-on '${k}' is not one of ${FINDING_KINDS.join(', ')}, none`);
    }
    out.add(k as FindingKind);
  }
  return out;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** Control characters (a CR in a recorded key) shown as escapes, never written to the terminal. */
const visible = (s: string) =>
  s.replace(/\p{Cc}/gu, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);

function usedText(list: string[]): string {
  const used = list.map(visible);
  return used.length > 5 ? `${used.slice(0, 5).join(', ')} and ${used.length - 5} more` : used.join(', ');
}

function overBroadText(o: DiffReport['overBroad'][number]): string {
  switch (o.kind) {
    case 'action':
      return `${o.entry}${o.grants ? ` grants ${o.grants} actions` : ' grants every action'}; the calls used ${usedText(o.used)}`;
    case 'resource':
      return `${o.entry} was used only for ${usedText(o.used)}`;
    case 'not-action':
      return `NotAction ${o.entry} grants every other action; the calls used ${usedText(o.used)}`;
    default:
      return `NotResource ${o.entry} grants every other resource; the calls used ${usedText(o.used)}`;
  }
}

/** A whole statement, with the actions it grants. */
function wholeStatement(u: DiffReport['unused'][number], show: (s: string) => string): string {
  return u.actions?.length ? `the whole statement: ${u.actions.map(show).join(', ')}` : 'the whole statement';
}

function unusedText(u: DiffReport['unused'][number]): string {
  return u.kind === 'statement'
    ? wholeStatement(u, (a) => a)
    : `${u.kind === 'action' ? 'Action' : 'Resource'} ${u.entry}`;
}

export function formatDiffText(r: DiffReport): string {
  const lines = [
    `${plural(r.checked, 'permission')} checked: ${r.missing.length} missing, ${r.unused.length} unused, ${r.overBroad.length} over-broad`,
  ];
  if (r.missing.length) lines.push('', 'missing:');
  for (const m of r.missing) {
    lines.push(
      `  ${m.action} on ${m.resources.map(visible).join(', ')} (needed by ${m.calls.join(', ')}); add:`,
    );
    for (const st of m.statements)
      lines.push(
        ...JSON.stringify(st, null, 2)
          .split('\n')
          .map((l) => `    ${l}`),
      );
  }
  if (r.unused.length) lines.push('', 'unused:');
  for (const u of r.unused) lines.push(`  ${u.statement}: ${unusedText(u)}`);
  if (r.overBroad.length) lines.push('', 'over-broad:');
  for (const o of r.overBroad) lines.push(`  ${o.statement}: ${overBroadText(o)}`);
  return `${lines.join('\n')}\n`;
}

const c = (s: string) => `\`${visible(s).replace(/`/g, "'")}\``;

export function formatDiffMarkdown(r: DiffReport): string {
  const out = [
    '## Policy compared with recorded calls',
    '',
    `${plural(r.checked, 'permission')} checked: **${r.missing.length} missing**, ${r.unused.length} unused, ${r.overBroad.length} over-broad.`,
  ];
  if (r.missing.length) {
    out.push('', '### Missing', '', '| Action | Resources | Needed by |', '| --- | --- | --- |');
    for (const m of r.missing)
      out.push(`| ${c(m.action)} | ${m.resources.map(c).join('<br>')} | ${m.calls.map(c).join(', ')} |`);
    out.push(
      '',
      'Statements that would grant them:',
      '',
      '```json',
      JSON.stringify(
        r.missing.flatMap((m) => m.statements),
        null,
        2,
      ),
      '```',
    );
  }
  if (r.unused.length) {
    out.push('', '### Unused', '', '| Statement | Never used |', '| --- | --- |');
    for (const u of r.unused)
      out.push(`| ${c(u.statement)} | ${u.entry ? `${c(u.entry)} (${u.kind})` : wholeStatement(u, c)} |`);
  }
  if (r.overBroad.length) {
    out.push('', '### Over-broad', '', '| Statement | Grants | Used for |', '| --- | --- | --- |');
    for (const o of r.overBroad) {
      const what =
        o.kind === 'not-action'
          ? `NotAction ${c(o.entry)}`
          : o.kind === 'not-resource'
            ? `NotResource ${c(o.entry)}`
            : c(o.entry);
      const grants = o.grants ? ` (${o.grants} actions)` : '';
      out.push(`| ${c(o.statement)} | ${what}${grants} | ${o.used.map(c).join(', ')} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function diffCommand(argv: string[]): number {
  const { values, positionals } = parse(
    argv,
    { ...POLICY_INPUT_OPTIONS, 'fail-on': { type: 'string', default: 'missing' } },
    'diff',
  );
  if (values.help) {
    process.stdout.write(DIFF_HELP);
    return 0;
  }
  const [policyPath, ...callPaths] = positionals;
  if (!policyPath || callPaths.length === 0) {
    throw new LeastprivError(
      'usage',
      'diff needs a policy and at least one calls log: leastpriv diff POLICY CALLS.ndjson...',
    );
  }
  const format = parseReportFormat(values.format, ['text', 'json', 'markdown'] as const);
  const failOn = parseFailOn(values['fail-on']);
  const extra = parseContext(values.context);
  const records = loadCallsLogs(callPaths);
  const role = loadGcpRole(policyPath);
  if (role) return diffGcpRole(role, records, format, failOn, values.output);
  const azure = loadAzureRole(policyPath);
  if (azure) return diffAzureRole(azure, records, format, failOn, values.output);
  const policy = loadPolicyFor(policyPath, parseAccountId(values['account-id']), records);
  printNotes(policy, values.quiet);
  const report = diffPolicy(policy.documents, records, recordNeeds, extra);
  const text =
    format === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : format === 'markdown'
        ? formatDiffMarkdown(report)
        : formatDiffText(report);
  writeReport(text, values.output);
  const found = findingKinds(report);
  return [...failOn].some((k) => found.has(k)) ? 1 : 0;
}
