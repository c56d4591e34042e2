/**
 * `leastpriv prune ROLE`: the role's customer policies in the live account (inline and attached
 * customer-managed) compared with what it did; the unused entries removed with `--apply` (a new
 * default version of a managed policy, or the inline document rewritten), after the documents
 * are saved under `$LEASTPRIV_HOME/rollback/<role>/`; `--rollback N` restores one of them.
 * Talks to IAM through `@aws-sdk/client-iam`, loaded only by this command.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { IAMClient } from '@aws-sdk/client-iam';
import { loadAwsSdk } from '../capture/aws-sdk.js';
import { LeastprivError } from '../errors.js';
import { policyDocument } from '../input/policy-json.js';
import type { PolicyDocument } from '../model/index.js';
import { writeFileAtomic } from '../output/write.js';
import { lastAccessedVeto, type ServiceLastAccessed } from '../review/advisor.js';
import { ROLE_NAME } from '../review/config.js';
import {
  documentText,
  type PolicyPrune,
  parseRollback,
  planPrune,
  type RolePolicy,
  type RollbackFile,
  renderPruneSummary,
  rollbackName,
  type SavedPolicy,
  sameDocument,
} from '../review/prune.js';
import { parse } from './args.js';
import { appendStepSummary, loadUsage } from './refine.js';

export const PRUNE_HELP = `Usage: leastpriv prune ROLE --usage PATH... [options]

Reads the role's inline and attached customer-managed policies from IAM and proposes each one
without what the role did not use in the last --days days. The usage comes from calls logs or
CloudTrail logs (--usage, filtered to the role), and IAM's last-accessed data where the
endpoint offers it: an action it saw used is kept. iam:PassRole is never removed without proof.
AWS managed policies are listed, never changed. Nothing is written without --apply.

Options:
      --usage PATH         a calls log, or CloudTrail logs (a file or a folder); repeatable
      --days N             the usage window (default: 90)
      --apply              write the pruned policies: a new default version of each managed
                           policy (the oldest non-default one deleted when 5 exist), the inline
                           documents rewritten; the current ones are saved first
      --rollback [N]       restore the documents saved before change N; without N, list them
      --prune-passrole     also remove iam:PassRole when no call used it
      --endpoint-url URL   the IAM endpoint (moto, LocalStack); --upstream URL is the same
      --region REGION      the region for the IAM client (default: us-east-1)
  -o, --output FILE        write the Markdown summary to FILE (default: stdout)
  -q, --quiet              nothing on stderr
  -h, --help               this help

Saved documents: $LEASTPRIV_HOME/rollback/<role>/<time>.json ($LEASTPRIV_HOME defaults to
~/.leastpriv). The summary is also appended to $GITHUB_STEP_SUMMARY when it is set.
Exit status: 0 when there is nothing to prune (or the list of saved versions), 1 when changes
were proposed or made, 2 on bad input.
`;

const PRUNE_OPTIONS = {
  usage: { type: 'string', multiple: true },
  days: { type: 'string', default: '90' },
  apply: { type: 'boolean', default: false },
  rollback: { type: 'string' },
  'prune-passrole': { type: 'boolean', default: false },
  'endpoint-url': { type: 'string' },
  upstream: { type: 'string' },
  region: { type: 'string', default: 'us-east-1' },
  output: { type: 'string', short: 'o' },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type IamSdk = typeof import('@aws-sdk/client-iam');

const loadSdk = (): Promise<IamSdk> =>
  loadAwsSdk(() => import('@aws-sdk/client-iam'), '@aws-sdk/client-iam', 'prune talks to IAM');

const AWS_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\//;

function leastprivHome(): string {
  return process.env.LEASTPRIV_HOME || join(homedir(), '.leastpriv');
}

function decodeDocument(text: string | undefined, where: string): PolicyDocument {
  const d = policyDocument(text ?? '', where);
  if (!d.ok) throw new LeastprivError('bad-input', `IAM answered a policy leastpriv cannot read: ${d.error}`);
  return d.value;
}

interface RoleState {
  name: string;
  arn: string;
  policies: RolePolicy[];
  awsManaged: string[];
}

/** IAM errors as one clear sentence. */
async function iamCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err as Error & { name?: string };
    if (e.name === 'NoSuchEntityException' || e.name === 'NoSuchEntity') {
      throw new LeastprivError('bad-input', `${what}: ${e.message}`);
    }
    throw new LeastprivError(
      'io',
      `${what} failed: ${e.name ?? 'Error'}: ${e.message}; check the credentials and --endpoint-url`,
    );
  }
}

async function readRole(sdk: IamSdk, iam: IAMClient, roleName: string): Promise<RoleState> {
  const role = await iamCall(`role ${roleName}`, () =>
    iam.send(new sdk.GetRoleCommand({ RoleName: roleName })),
  );
  const arn = role.Role?.Arn;
  if (!arn) throw new LeastprivError('io', `IAM returned no ARN for role ${roleName}`);
  const policies: RolePolicy[] = [];
  const inlineNames: string[] = [];
  let marker: string | undefined;
  do {
    const page = await iamCall('ListRolePolicies', () =>
      iam.send(new sdk.ListRolePoliciesCommand({ RoleName: roleName, Marker: marker })),
    );
    inlineNames.push(...(page.PolicyNames ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  for (const name of [...inlineNames].sort()) {
    const p = await iamCall(`GetRolePolicy ${name}`, () =>
      iam.send(new sdk.GetRolePolicyCommand({ RoleName: roleName, PolicyName: name })),
    );
    policies.push({
      kind: 'inline',
      name,
      arn: null,
      versionId: null,
      document: decodeDocument(p.PolicyDocument, `inline policy ${name}`),
    });
  }
  const attached: { PolicyArn?: string; PolicyName?: string }[] = [];
  marker = undefined;
  do {
    const page = await iamCall('ListAttachedRolePolicies', () =>
      iam.send(new sdk.ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker })),
    );
    attached.push(...(page.AttachedPolicies ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  const awsManaged: string[] = [];
  for (const a of [...attached].sort((x, y) => ((x.PolicyArn ?? '') < (y.PolicyArn ?? '') ? -1 : 1))) {
    const policyArn = a.PolicyArn;
    if (!policyArn) continue;
    if (AWS_MANAGED.test(policyArn)) {
      awsManaged.push(policyArn);
      continue;
    }
    const p = await iamCall(`GetPolicy ${policyArn}`, () =>
      iam.send(new sdk.GetPolicyCommand({ PolicyArn: policyArn })),
    );
    const versionId = p.Policy?.DefaultVersionId;
    if (!versionId) throw new LeastprivError('io', `IAM returned no default version for ${policyArn}`);
    const v = await iamCall(`GetPolicyVersion ${policyArn}`, () =>
      iam.send(new sdk.GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })),
    );
    policies.push({
      kind: 'managed',
      name: a.PolicyName ?? p.Policy?.PolicyName ?? policyArn,
      arn: policyArn,
      versionId,
      document: decodeDocument(v.PolicyVersion?.Document, `${policyArn} ${versionId}`),
    });
  }
  return { name: roleName, arn, policies, awsManaged };
}

/**
 * IAM's action-level last-accessed data for the role: `GenerateServiceLastAccessedDetails`
 * (Granularity ACTION_LEVEL), then `GetServiceLastAccessedDetails` until the job is done (waits
 * of 1, 2, 4... s, 2 minutes at most) and through every page (Marker). Endpoints without it
 * (moto answers these calls with an error) give the reason instead: the usage then comes from
 * --usage alone.
 */
async function lastAccessed(
  sdk: IamSdk,
  iam: IAMClient,
  arn: string,
): Promise<{ services: ServiceLastAccessed[]; jobId: string } | { unavailable: string }> {
  try {
    const job = await iam.send(
      new sdk.GenerateServiceLastAccessedDetailsCommand({ Arn: arn, Granularity: 'ACTION_LEVEL' }),
    );
    const jobId = job.JobId;
    if (!jobId) return { unavailable: 'the endpoint returned no job id' };
    const deadline = Date.now() + 120_000;
    let delay = 1000;
    for (;;) {
      const services: ServiceLastAccessed[] = [];
      let marker: string | undefined;
      let status: string | undefined;
      let error: { Code?: string; Message?: string } | undefined;
      do {
        const page = await iam.send(
          new sdk.GetServiceLastAccessedDetailsCommand({ JobId: jobId, Marker: marker }),
        );
        status = page.JobStatus;
        error = page.Error;
        services.push(...(page.ServicesLastAccessed ?? []));
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker && status === 'COMPLETED');
      if (status === 'COMPLETED') return { services, jobId };
      if (status === 'FAILED') {
        const why = error ? ` (${error.Code ?? 'error'}: ${error.Message ?? 'no message'})` : '';
        return { unavailable: `the last-accessed job ${jobId} failed${why}` };
      }
      if (Date.now() + delay > deadline)
        return { unavailable: `the last-accessed job ${jobId} did not finish within 2 minutes` };
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  } catch (err) {
    const e = err as Error;
    return {
      unavailable: `not available at this endpoint (${e.name}: ${e.message.split('\n')[0]?.slice(0, 160)})`,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Makes room for a new version (IAM keeps 5): deletes the oldest version that is not the default. */
async function makeRoom(sdk: IamSdk, iam: IAMClient, policyArn: string): Promise<void> {
  const list = await iamCall(`ListPolicyVersions ${policyArn}`, () =>
    iam.send(new sdk.ListPolicyVersionsCommand({ PolicyArn: policyArn })),
  );
  const versions = list.Versions ?? [];
  if (versions.length < 5) return;
  const oldest = versions
    .filter((v) => !v.IsDefaultVersion && v.VersionId)
    .sort(
      (a, b) =>
        (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0) ||
        Number((a.VersionId ?? 'v0').slice(1)) - Number((b.VersionId ?? 'v0').slice(1)),
    )[0];
  if (!oldest?.VersionId) return;
  const versionId = oldest.VersionId;
  await iamCall(`DeletePolicyVersion ${policyArn} ${versionId}`, () =>
    iam.send(new sdk.DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })),
  );
}

async function newDefaultVersion(
  sdk: IamSdk,
  iam: IAMClient,
  policyArn: string,
  doc: PolicyDocument,
): Promise<string> {
  await makeRoom(sdk, iam, policyArn);
  const r = await iamCall(`CreatePolicyVersion ${policyArn}`, () =>
    iam.send(
      new sdk.CreatePolicyVersionCommand({
        PolicyArn: policyArn,
        PolicyDocument: documentText(doc),
        SetAsDefault: true,
      }),
    ),
  );
  return r.PolicyVersion?.VersionId ?? '?';
}

function saveRollback(role: RoleState, policies: SavedPolicy[], before: string, now: Date): string {
  const dir = join(leastprivHome(), 'rollback', role.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let path = join(dir, rollbackName(now));
  for (let n = 2; existsSync(path); n++) path = join(dir, rollbackName(now).replace(/\.json$/, `-${n}.json`));
  const file: RollbackFile = {
    format: 'leastpriv-rollback/1',
    role: role.name,
    roleArn: role.arn,
    savedAt: now.toISOString(),
    before,
    policies,
  };
  writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  return path;
}

const saved = (p: RolePolicy): SavedPolicy => ({
  kind: p.kind,
  name: p.name,
  arn: p.arn,
  versionId: p.versionId,
  document: p.document,
});

async function apply(sdk: IamSdk, iam: IAMClient, role: RoleState, prunes: PolicyPrune[]): Promise<void> {
  for (const p of prunes) {
    const policy = p.policy;
    if (p.step === 'new-version' && policy.arn) {
      await newDefaultVersion(sdk, iam, policy.arn, p.plan.document);
    } else if (p.step === 'put-inline') {
      await iamCall(`PutRolePolicy ${policy.name}`, () =>
        iam.send(
          new sdk.PutRolePolicyCommand({
            RoleName: role.name,
            PolicyName: policy.name,
            PolicyDocument: documentText(p.plan.document),
          }),
        ),
      );
    } else if (p.step === 'delete-inline') {
      await iamCall(`DeleteRolePolicy ${policy.name}`, () =>
        iam.send(new sdk.DeleteRolePolicyCommand({ RoleName: role.name, PolicyName: policy.name })),
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rollback

function rollbackFiles(roleName: string): string[] {
  const dir = join(leastprivHome(), 'rollback', roleName);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

function listRollbacks(roleName: string): string {
  const files = rollbackFiles(roleName);
  if (files.length === 0)
    return `## leastpriv prune: role \`${roleName}\`\n\nNo saved versions in \`${join(leastprivHome(), 'rollback', roleName)}\`.\n`;
  const out = [
    `## leastpriv prune: saved versions of role \`${roleName}\``,
    '',
    '| N | Saved at | Before | Policies |',
    '| --- | --- | --- | --- |',
  ];
  files.forEach((f, i) => {
    const parsed = parseRollback(readFileSync(f, 'utf8'), f);
    if (!parsed.ok) {
      out.push(`| ${i + 1} | ? | unreadable: ${parsed.error} | |`);
      return;
    }
    const r = parsed.value;
    const names = r.policies
      .map((p) => `${p.kind} ${p.name}${p.versionId ? ` (${p.versionId})` : ''}`)
      .join(', ');
    out.push(`| ${i + 1} | ${r.savedAt} | ${r.before} | ${names} |`);
  });
  out.push('', `Restore one with \`leastpriv prune ${roleName} --rollback N\`.`);
  return `${out.join('\n')}\n`;
}

async function restore(
  sdk: IamSdk,
  iam: IAMClient,
  role: RoleState,
  n: number,
  files: string[],
  now: Date,
): Promise<{ text: string; changed: boolean }> {
  const path = files[n - 1] as string;
  const parsed = parseRollback(readFileSync(path, 'utf8'), path);
  if (!parsed.ok) throw new LeastprivError('bad-input', parsed.error);
  const file = parsed.value;
  if (file.role !== role.name)
    throw new LeastprivError('bad-input', `${path} is for role ${file.role}, not ${role.name}`);
  const current = (p: SavedPolicy) =>
    role.policies.find(
      (q) => q.kind === p.kind && (p.kind === 'inline' ? q.name === p.name : q.arn === p.arn),
    );
  const todo = file.policies.filter((p) => {
    const c = current(p);
    return !c || !sameDocument(c.document, p.document);
  });
  const lines = [
    `## leastpriv prune: role \`${role.name}\` rolled back to version ${n}`,
    '',
    `From \`${path}\` (saved ${file.savedAt}, before ${file.before}).`,
    '',
  ];
  if (todo.length === 0) {
    lines.push('Every policy already holds the saved document: nothing to restore.');
    return { text: `${lines.join('\n')}\n`, changed: false };
  }
  // The documents about to be replaced are saved too: a rollback can be rolled back.
  const before = todo.map((p) => current(p)).filter((p): p is RolePolicy => p !== undefined);
  const saveAt = saveRollback(role, before.map(saved), `rollback ${n}`, now);
  for (const p of todo) {
    if (p.kind === 'inline') {
      await iamCall(`PutRolePolicy ${p.name}`, () =>
        iam.send(
          new sdk.PutRolePolicyCommand({
            RoleName: role.name,
            PolicyName: p.name,
            PolicyDocument: documentText(p.document),
          }),
        ),
      );
      lines.push(`- inline policy \`${p.name}\`: restored`);
      continue;
    }
    const arn = p.arn as string;
    // The saved version, when IAM still has it with the same document, becomes the default again.
    let reused = false;
    if (p.versionId) {
      const versionId = p.versionId;
      const v = await iam
        .send(new sdk.GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }))
        .catch(() => null);
      const doc = v?.PolicyVersion?.Document ? policyDocument(v.PolicyVersion.Document, arn) : null;
      if (doc?.ok && sameDocument(doc.value, p.document)) {
        await iamCall(`SetDefaultPolicyVersion ${arn}`, () =>
          iam.send(new sdk.SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId })),
        );
        lines.push(`- managed policy \`${p.name}\`: version ${versionId} is the default again`);
        reused = true;
      }
    }
    if (!reused) {
      const v = await newDefaultVersion(sdk, iam, arn, p.document);
      lines.push(`- managed policy \`${p.name}\`: the saved document restored as version ${v}`);
    }
  }
  lines.push('', `The documents it replaced are saved in \`${saveAt}\`.`);
  return { text: `${lines.join('\n')}\n`, changed: true };
}

// ---------------------------------------------------------------------------------------------
// The command

/** `--rollback` without a number lists the saved versions. */
function normaliseRollback(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    out.push(a);
    if (a === '--rollback') {
      const next = argv[i + 1];
      if (next === undefined || !/^\d+$/.test(next)) out.push('list');
    }
  }
  return out;
}

function emit(text: string, output: string | undefined): void {
  if (output && output !== '-') writeFileAtomic(output, text);
  else process.stdout.write(text);
  const step = process.env.GITHUB_STEP_SUMMARY;
  if (step) appendStepSummary(step, text);
}

export async function pruneCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(normaliseRollback(argv), PRUNE_OPTIONS, 'prune');
  if (values.help) {
    process.stdout.write(PRUNE_HELP);
    return 0;
  }
  const [roleName, ...extra] = positionals;
  if (!roleName || extra.length) {
    throw new LeastprivError(
      'usage',
      'prune takes one role name: leastpriv prune ROLE --usage PATH [--apply]',
    );
  }
  if (!ROLE_NAME.test(roleName)) throw new LeastprivError('usage', `'${roleName}' is not an IAM role name`);
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1)
    throw new LeastprivError('usage', `--days '${values.days}' must be a whole number of days, 1 or more`);
  const endpoint = values['endpoint-url'] ?? values.upstream;
  if (values['endpoint-url'] && values.upstream && values['endpoint-url'] !== values.upstream) {
    throw new LeastprivError('usage', '--endpoint-url and --upstream name different endpoints: give one');
  }
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new LeastprivError(
      'usage',
      `--endpoint-url '${endpoint}' must be a URL such as http://127.0.0.1:5000`,
    );
  }
  if (values.rollback !== undefined && values.apply) {
    throw new LeastprivError(
      'usage',
      '--rollback and --apply do not go together: a rollback is applied as it runs',
    );
  }
  if (values.rollback === 'list') {
    emit(listRollbacks(roleName), values.output);
    return 0;
  }
  let rollbackN: number | null = null;
  if (values.rollback !== undefined) {
    rollbackN = Number(values.rollback);
    const files = rollbackFiles(roleName);
    if (!Number.isInteger(rollbackN) || rollbackN < 1 || rollbackN > files.length) {
      process.stderr.write(listRollbacks(roleName));
      throw new LeastprivError(
        'usage',
        `--rollback ${values.rollback}: there ${files.length === 1 ? 'is 1 saved version' : `are ${files.length} saved versions`} of role ${roleName} (listed above)`,
      );
    }
  } else if (!values.usage?.length) {
    throw new LeastprivError(
      'usage',
      "prune needs the role's usage: --usage CALLS.ndjson or --usage CLOUDTRAIL_PATH",
    );
  }

  const sdk = await loadSdk();
  const iam = new sdk.IAMClient({ region: values.region, ...(endpoint ? { endpoint } : {}) });
  try {
    const role = await readRole(sdk, iam, roleName);
    const now = new Date();
    if (rollbackN !== null) {
      const r = await restore(sdk, iam, role, rollbackN, rollbackFiles(roleName), now);
      emit(r.text, values.output);
      return r.changed ? 1 : 0;
    }
    const usagePaths = values.usage ?? [];
    const spec = { calls: [] as string[], cloudtrail: [] as string[], days };
    for (const p of usagePaths) (isCallsLog(p) ? spec.calls : spec.cloudtrail).push(p);
    const usage = await loadUsage(spec, { name: role.name, arn: role.arn }, now.getTime());
    const since = now.getTime() - days * 86_400_000;
    const advisor = await lastAccessed(sdk, iam, role.arn);
    const keepAction = 'services' in advisor ? lastAccessedVeto(advisor.services, since) : undefined;
    const prunes = planPrune(role.policies, usage.records, {
      passRole: values['prune-passrole'],
      ...(keepAction ? { keepAction } : {}),
    });
    const changing = prunes.filter((p) => p.step !== 'none' && p.step !== 'skip');
    let rollback: string | null = null;
    if (values.apply && changing.length) {
      rollback = saveRollback(
        role,
        changing.map((p) => saved(p.policy)),
        'prune --apply',
        now,
      );
      await apply(sdk, iam, role, changing);
    }
    const summary = renderPruneSummary({
      role: role.name,
      days,
      usage: usage.summary,
      prunes,
      awsManaged: role.awsManaged,
      applied: values.apply,
      rollback,
      lastAccessed:
        'services' in advisor
          ? `${advisor.services.length} services reported (job ${advisor.jobId}); an action seen used in the window is kept`
          : `${advisor.unavailable}; the usage comes from --usage alone`,
    });
    emit(summary, values.output);
    if (!values.quiet) {
      process.stderr.write(
        `leastpriv: ${role.name}: ${changing.length === 0 ? 'nothing to prune' : `${changing.length} ${changing.length === 1 ? 'policy' : 'policies'} ${values.apply ? 'pruned' : 'to prune (--apply writes them)'}`}\n`,
      );
    }
    return changing.length ? 1 : 0;
  } finally {
    iam.destroy();
  }
}

/** A calls log (its first line is a calls-log record), or else CloudTrail. */
function isCallsLog(path: string): boolean {
  try {
    const text = readFileSync(path, 'utf8').slice(0, 64 * 1024);
    const first = text.split('\n').find((l) => l.trim() !== '');
    if (!first) return true;
    const v = JSON.parse(first) as Record<string, unknown>;
    return v?.provider === 'aws' && typeof v.source === 'string' && 'actions' in v;
  } catch {
    return false;
  }
}
