import { LeastprivError } from '../errors.js';
import { loadAzureRole } from '../input/azure-role.js';
import { loadGcpRole } from '../input/gcp-role.js';
import { loadPolicy } from '../input/index.js';
import { lintPolicy } from '../policy/evaluate/lint.js';
import { parse, parseAccountId } from './args.js';
import { POLICY_INPUT_OPTIONS, parseReportFormat, printNotes, writeReport } from './check.js';
import { lintAzureRoleFile, lintGcpRoleFile } from './cloud-roles.js';

export const LINT_HELP = `Usage: leastpriv lint POLICY [options]

The mistakes a reviewer would catch: unknown actions, resource ARNs that fit none of the
action's resource types (s3:ListBucket on an object ARN), "*" where the action can be limited
to resources, NotAction/NotResource pitfalls, bad Sids and condition operators, and a size over
the managed policy limit. POLICY is policy JSON, a Terraform file or a CloudFormation template;
a Google Cloud custom role (YAML or JSON) gets its own checks (permission names, duplicates,
stage, size).

Options:
  -f, --report-format F    report format: text (default) or json (the policy's own format
                           is read from the file; --format is the same option)
      --account-id ID      the account for \${AWS::AccountId} in templates
  -o, --output FILE        write the findings to FILE (default: stdout)
  -q, --quiet              nothing on stderr
  -h, --help               this help

Exit status: 0 when nothing was found, 1 when something was, 2 on bad input.
`;

export function lintCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, POLICY_INPUT_OPTIONS, 'lint');
  if (values.help) {
    process.stdout.write(LINT_HELP);
    return 0;
  }
  const [policyPath, ...rest] = positionals;
  if (!policyPath || rest.length > 0) {
    throw new LeastprivError('usage', 'lint takes one policy: leastpriv lint POLICY');
  }
  const format = parseReportFormat(values.format, ['text', 'json'] as const, 'lint');
  const role = loadGcpRole(policyPath);
  if (role) return lintGcpRoleFile(role, format, values.output);
  const azure = loadAzureRole(policyPath);
  if (azure) return lintAzureRoleFile(azure, format, values.output);
  const policy = loadPolicy(policyPath, { accountId: parseAccountId(values['account-id']) });
  printNotes(policy, values.quiet);
  const findings = lintPolicy(policy.documents, policy.labels);
  if (format === 'json') writeReport(`${JSON.stringify(findings, null, 2)}\n`, values.output);
  else {
    const lines = findings.map((f) => `${f.severity}: ${f.where}: ${f.message} [${f.rule}]`);
    const n = policy.documents.reduce((a, d) => a + d.Statement.length, 0);
    lines.push(
      findings.length
        ? `${findings.length} finding${findings.length === 1 ? '' : 's'} in ${n} statement${n === 1 ? '' : 's'}`
        : `no findings in ${n} statement${n === 1 ? '' : 's'}`,
    );
    writeReport(`${lines.join('\n')}\n`, values.output);
  }
  return findings.length ? 1 : 0;
}
