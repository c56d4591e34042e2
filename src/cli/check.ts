import { LeastprivError } from '../errors.js';
import { loadAzureRole } from '../input/azure-role.js';
import { loadGcpRole } from '../input/gcp-role.js';
import { type LoadedPolicies, loadCallsLogs, loadPolicy, recordNeeds } from '../input/index.js';
import type { CallRecord } from '../model/index.js';
import { writeFileAtomic } from '../output/write.js';
import { type CheckResult, checkCalls } from '../policy/evaluate/check.js';
import { statementLabel } from '../policy/evaluate/diff.js';
import type { ContextValue } from '../policy/evaluate/index.js';
import { parse, parseAccountId } from './args.js';
import { checkAzureRole, checkGcpRole } from './cloud-roles.js';

export const CHECK_HELP = `Usage: leastpriv check POLICY CALLS.ndjson... [options]

Does the policy allow every recorded call? Evaluates each permission the calls needed (action,
resource, and the conditions that held) with leastpriv's own policy evaluator. POLICY is policy
JSON, a Terraform file (aws_iam_policy_document blocks, jsonencode policies) or a CloudFormation
template; all identity policies in it count, as if attached to one role. A Google Cloud custom
role (YAML or JSON with includedPermissions) is checked against the calls' GCP permissions.

Options:
      --context KEY=VALUE  a request condition key every call had (aws:username=ci, repeatable)
      --account-id ID      the account for \${AWS::AccountId} in templates (default: the calls')
  -f, --report-format F    report format: text (default) or json (the policy's own format
                           is read from the file; --format is the same option)
  -o, --output FILE        write the report to FILE (default: stdout)
  -q, --quiet              nothing on stderr
  -h, --help               this help

Exit status: 0 when every call is allowed, 1 when some are denied (each listed with the
statement that would allow it), 2 on bad input.
`;

/** Options shared by check, diff and lint. */
export const POLICY_INPUT_OPTIONS = {
  context: { type: 'string', multiple: true },
  'account-id': { type: 'string' },
  format: { type: 'string', short: 'f', default: 'text' },
  output: { type: 'string', short: 'o' },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `--context aws:username=ci` values as context keys; a key given twice has both values. */
export function parseContext(values: readonly string[] | undefined): Record<string, ContextValue> {
  const out: Record<string, ContextValue> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i <= 0) throw new LeastprivError('usage', `--context '${v}' must be KEY=VALUE, e.g. aws:username=ci`);
    const key = v.slice(0, i);
    const value = v.slice(i + 1);
    const prev = out[key];
    out[key] = prev === undefined ? value : [...(typeof prev === 'string' ? [prev] : prev), value];
  }
  return out;
}

/** `-f/--report-format` of check, diff and lint: the report's format, never the policy's. */
export function parseReportFormat<T extends string>(
  value: string,
  allowed: readonly T[],
  command?: string,
): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const list = `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`;
  throw new LeastprivError(
    'usage',
    `unknown report format '${value}' for -f/--report-format: use ${list} (${command ?? 'leastpriv'} reads the policy's own format from the file)`,
  );
}

/** The policy, with `${AWS::AccountId}` and `${AWS::Region}` from the option or the calls. */
export function loadPolicyFor(
  path: string,
  accountId: string | null,
  records: readonly CallRecord[],
): LoadedPolicies {
  const account = accountId ?? records.find((r) => r.account)?.account ?? null;
  const regions = new Set(records.map((r) => r.region).filter((r) => r && r !== 'aws-global'));
  const region = regions.size === 1 ? ([...regions][0] as string) : null;
  return loadPolicy(path, { accountId: account, region });
}

export function writeReport(text: string, output: string | undefined): void {
  if (output && output !== '-') writeFileAtomic(output, text);
  else process.stdout.write(text);
}

export function printNotes(policy: LoadedPolicies, quiet: boolean): void {
  if (quiet) return;
  for (const n of policy.notes) process.stderr.write(`leastpriv: note: ${n}\n`);
}

function formatCheck(result: CheckResult, policy: LoadedPolicies, records: number): string {
  const lines: string[] = [];
  const denied = result.checked - result.allowed;
  lines.push(
    `${result.checked} permission${result.checked === 1 ? '' : 's'} of ${records} call${records === 1 ? '' : 's'} checked: ${result.allowed} allowed, ${denied} denied`,
  );
  const skipped = [];
  if (result.skipped.unresolved) skipped.push(`${result.skipped.unresolved} unresolved (not checked)`);
  if (result.skipped.permissionless) skipped.push(`${result.skipped.permissionless} needing no permission`);
  if (skipped.length) lines.push(`calls skipped: ${skipped.join(', ')}`);
  for (const d of result.denials) {
    const r = d.record;
    lines.push('');
    lines.push(
      `denied: call ${d.callId} ${r.service}:${r.operation} at ${r.time} needs ${d.action} on ${d.resources.join(', ')}`,
    );
    if (d.decision === 'explicit-deny') {
      const by = d.deniedBy.map((h) => {
        const st = policy.documents[h.document]?.Statement[h.statement];
        return st
          ? `${statementLabel(st, h.document, h.statement)} in ${policy.labels[h.document] ?? 'the policy'}`
          : '?';
      });
      lines.push(`  explicitly denied by ${by.join(', ')}: an Allow cannot override it`);
    } else lines.push('  no statement allows it; this one would:');
    for (const st of d.fix)
      lines.push(
        ...JSON.stringify(st, null, 2)
          .split('\n')
          .map((l) => `  ${l}`),
      );
  }
  return `${lines.join('\n')}\n`;
}

export function checkCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, POLICY_INPUT_OPTIONS, 'check');
  if (values.help) {
    process.stdout.write(CHECK_HELP);
    return 0;
  }
  const [policyPath, ...callPaths] = positionals;
  if (!policyPath || callPaths.length === 0) {
    throw new LeastprivError(
      'usage',
      'check needs a policy and at least one calls log: leastpriv check POLICY CALLS.ndjson...',
    );
  }
  const format = parseReportFormat(values.format, ['text', 'json'] as const, 'check');
  const extra = parseContext(values.context);
  const records = loadCallsLogs(callPaths);
  const role = loadGcpRole(policyPath);
  if (role) return checkGcpRole(role, records, format, values.output);
  const azure = loadAzureRole(policyPath);
  if (azure) return checkAzureRole(azure, records, format, values.output);
  const policy = loadPolicyFor(policyPath, parseAccountId(values['account-id']), records);
  printNotes(policy, values.quiet);
  const result = checkCalls(policy.documents, records, recordNeeds, extra);
  if (format === 'json') {
    const json = {
      checked: result.checked,
      allowed: result.allowed,
      skipped: result.skipped,
      denied: result.denials.map((d) => ({
        call: d.callId,
        time: d.record.time,
        operation: `${d.record.service}:${d.record.operation}`,
        action: d.action,
        resources: d.resources,
        decision: d.decision,
        deniedBy: d.deniedBy.map((h) => ({
          document: policy.labels[h.document],
          sid: h.sid,
          statement: h.statement + 1,
        })),
        statements: d.fix,
      })),
    };
    writeReport(`${JSON.stringify(json, null, 2)}\n`, values.output);
  } else writeReport(formatCheck(result, policy, records.length), values.output);
  return result.denials.length ? 1 : 0;
}
