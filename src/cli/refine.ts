/**
 * `leastpriv refine --config leastpriv.yaml`: for each role, the policy in the repository
 * compared with what the role did; the leastpriv-owned document rewritten and committed on
 * `leastpriv/refine-<role>` (the user's checkout, index and current branch are never touched:
 * the commit is made with git's plumbing on a temporary index), and with `--push` pushed with
 * GitLab's merge-request push options, or for a GitHub remote, the `gh pr create` command.
 * Every git call is an argument vector (no shell).
 */

import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { loadAwsSdk } from '../capture/aws-sdk.js';
import type { TrailTuple } from '../capture/cloudtrail/aggregate.js';
import { NO_FILTERS, type TrailFilters } from '../capture/cloudtrail/filters.js';
import { expandLocal } from '../capture/cloudtrail/inputs.js';
import { runTrail } from '../capture/cloudtrail/pool.js';
import { LeastprivError } from '../errors.js';
import { isDenied, Session } from '../index.js';
import { loadCallsLogs, parsePolicyInput, policiesFromTerraform } from '../input/index.js';
import type { CallRecord, PolicyDocument } from '../model/index.js';
import { writeFileAtomic } from '../output/write.js';
import {
  ACCESS_ANALYZER_MAX_DAYS,
  AccessAnalyzerJobError,
  type AccessAnalyzerSpec,
  accessAnalyzerNotes,
  type GeneratedUsage,
  generatedUsage,
  generationInput,
  pollGeneratedPolicy,
  trailRegion,
} from '../review/access-analyzer.js';
import { type AthenaSpec, parseRefineConfig, type RoleConfig, refineBranch } from '../review/config.js';
import {
  commitMessage,
  oneLineDescription,
  type RefineTarget,
  refineBody,
  refineTitle,
  type UsageSummary,
} from '../review/markdown.js';
import { orderedDocument, type PolicyPlan, planPolicy, timeRange } from '../review/plan.js';
import {
  appendToPolicyDocumentBlock,
  BlockScanError,
  findPolicyDocumentBlock,
  replacePolicyDocumentBlock,
} from '../review/terraform.js';
import { parse } from './args.js';
import { athenaRun } from './trail-sql.js';

export const REFINE_HELP = `Usage: leastpriv refine --config leastpriv.yaml [options]

For each role of the configuration: what its policy lacks (permissions its recorded calls
needed) and what went unused; the leastpriv-owned policy (a JSON file, or the
data "aws_iam_policy_document" block named by 'block:' in a Terraform file, every other byte of
the file kept) rewritten and committed on the branch leastpriv/refine-<role>, with the added
permissions, the calls behind them and the unused candidates in the commit message. Nothing is
removed without --prune. Your checkout, index and current branch are left as they are.

Policies are read from the base commit (HEAD); calls logs and CloudTrail paths from the files.
usage.access_analyzer starts an IAM Access Analyzer policy generation job for the role (its arn)
over the last usage.days days (default and most: 90) of the trail, waits for it, and reads the
actions of the generated policy (@aws-sdk/client-accessanalyzer; AWS credentials as the SDK
finds them). usage.athena runs the grouping query of 'leastpriv trail --athena' on the trail's
table, filtered to the role and the last usage.days days (@aws-sdk/client-athena).

Options:
      --config FILE        the configuration (default: leastpriv.yaml)
      --prune              also remove what no recorded call used (iam:PassRole stays)
      --push               push each new or updated branch to the remote: GitLab merge-request
                           push options (a draft merge request), or for a GitHub remote the
                           'gh pr create --draft' command to run
      --remote NAME        the remote to push to (default: origin)
      --forge KIND         gitlab or github (default: github when the remote's URL is on
                           github.com, else gitlab)
      --base REF           the commit to start from (default: HEAD)
      --role NAME          only this role (repeatable)
      --endpoint-url URL   the IAM Access Analyzer and Athena endpoint (usage.access_analyzer,
                           usage.athena: an emulator); --upstream URL is the same
      --region REGION      the region for Access Analyzer (default: the trail's region)
  -o, --output FILE        write the Markdown summary to FILE (default: stdout)
  -q, --quiet              nothing on stderr
  -h, --help               this help

The summary is also appended to $GITHUB_STEP_SUMMARY when it is set.
Exit status: 0 when there is nothing to do (a second run without new activity commits and
pushes nothing), 1 when a branch was committed or pushed, 2 on bad input.
`;

const REFINE_OPTIONS = {
  config: { type: 'string', default: 'leastpriv.yaml' },
  prune: { type: 'boolean', default: false },
  push: { type: 'boolean', default: false },
  remote: { type: 'string', default: 'origin' },
  forge: { type: 'string' },
  base: { type: 'string', default: 'HEAD' },
  role: { type: 'string', multiple: true },
  'endpoint-url': { type: 'string' },
  upstream: { type: 'string' },
  region: { type: 'string' },
  output: { type: 'string', short: 'o' },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

// ---------------------------------------------------------------------------------------------
// Usage: calls logs and CloudTrail

export interface UsageSpec {
  calls: string[];
  cloudtrail: string[];
  athena?: AthenaSpec | null;
  /** The Athena endpoint (an emulator), when not AWS's. */
  endpoint?: string | undefined;
  days: number | null;
}

export interface LoadedUsage {
  records: CallRecord[];
  summary: UsageSummary;
}

/** The calls of distinct CloudTrail calls that were granted (denied ones left out, as `trail` does). */
function grantedCalls(tuples: readonly TrailTuple[]): CallRecord[] {
  const session = new Session({ accountId: null, wildcardResources: false });
  for (const t of tuples) {
    if (!t.operation || isDenied(null, t.error)) continue;
    session.addOperation(t.operation, { time: t.first, source: 'cloudtrail', status: null, error: t.error });
  }
  return session.calls();
}

/** Principal globs for a role: its ARN, or its name in any account and path. */
function rolePrincipals(name: string, arn: string | null): string[] {
  return arn ? [arn] : [`arn:aws*:iam::*:role/${name}`, `arn:aws*:iam::*:role/*/${name}`];
}

/**
 * The calls a role made: calls logs as they are, CloudTrail logs filtered to the role (denied
 * calls left out, as `trail` does), both limited to the last `days` when given.
 */
export async function loadUsage(
  spec: UsageSpec,
  role: { name: string; arn: string | null },
  now: number,
  shown: (path: string) => string = (p) => p,
): Promise<LoadedUsage> {
  const since = spec.days ? now - spec.days * 86_400_000 : null;
  const records: CallRecord[] = [];
  if (spec.calls.length) {
    for (const r of loadCallsLogs(spec.calls)) {
      if (since !== null && !(Date.parse(r.time) >= since)) continue;
      records.push(r);
    }
  }
  const sources = spec.calls.map(shown);
  if (spec.cloudtrail.length) {
    const filters: TrailFilters = { ...NO_FILTERS, principals: rolePrincipals(role.name, role.arn), since };
    const expanded = expandLocal(spec.cloudtrail, filters);
    const missing = expanded.missing[0];
    if (missing) throw new LeastprivError('bad-input', `${missing.path}: ${missing.reason}; check the path`);
    if (expanded.inputs.length === 0) {
      throw new LeastprivError(
        'bad-input',
        `no CloudTrail log files under ${spec.cloudtrail.join(', ')}: look for AWSLogs/<account>/CloudTrail/... folders or .json.gz files`,
      );
    }
    const run = await runTrail(expanded.inputs, { filters, jobs: 1 });
    records.push(...grantedCalls(run.tuples));
    sources.push(...spec.cloudtrail.map((p) => `CloudTrail ${shown(p)}`));
  }
  if (spec.athena) {
    const a = spec.athena;
    const filters: TrailFilters = { ...NO_FILTERS, principals: rolePrincipals(role.name, role.arn), since };
    const { run, headline } = await athenaRun(
      {
        workgroup: a.workgroup,
        database: a.database,
        catalog: a.catalog,
        table: a.table,
        ...(a.outputLocation ? { 'output-location': a.outputLocation } : {}),
        'plain-table': a.plainTable,
        ...(spec.endpoint ? { 'endpoint-url': spec.endpoint } : {}),
      },
      filters,
      false,
    );
    records.push(...grantedCalls(run.tuples));
    const id = /Athena query (\S+)/.exec(headline)?.[1];
    sources.push(`Athena ${a.database}.${a.table}${id ? ` (query ${id})` : ''}`);
  }
  const range = timeRange(records);
  return {
    records,
    summary: {
      sources,
      calls: records.length,
      first: range?.first ?? null,
      last: range?.last ?? null,
      days: spec.days,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Usage: IAM Access Analyzer policy generation

type AnalyzerSdk = typeof import('@aws-sdk/client-accessanalyzer');

const loadAnalyzerSdk = (): Promise<AnalyzerSdk> =>
  loadAwsSdk(
    () => import('@aws-sdk/client-accessanalyzer'),
    '@aws-sdk/client-accessanalyzer',
    'usage.access_analyzer talks to IAM Access Analyzer',
  );

export interface AnalyzerEndpoint {
  endpoint: string | undefined;
  region: string | undefined;
}

/**
 * Starts a policy generation job for the role over the last `days` of the trail, waits for it
 * (`GetGeneratedPolicy` with backoff) and turns the generated policies into records.
 */
export async function accessAnalyzerUsage(
  spec: AccessAnalyzerSpec,
  principalArn: string,
  days: number | null,
  now: number,
  documents: readonly PolicyDocument[],
  where: AnalyzerEndpoint,
): Promise<{ jobId: string; usage: GeneratedUsage }> {
  const sdk = await loadAnalyzerSdk();
  const region = where.region ?? trailRegion(spec.trailArn) ?? 'us-east-1';
  const client = new sdk.AccessAnalyzerClient({
    region,
    ...(where.endpoint ? { endpoint: where.endpoint } : {}),
  });
  const failed = (what: string, err: unknown): LeastprivError => {
    const e = err as Error & { name?: string };
    return new LeastprivError(
      'io',
      `Access Analyzer ${what} failed: ${e.name ?? 'Error'}: ${e.message}; check the credentials, the trail, the access role and --endpoint-url`,
    );
  };
  try {
    const window = {
      start: new Date(now - (days ?? ACCESS_ANALYZER_MAX_DAYS) * 86_400_000),
      end: new Date(now),
    };
    let jobId: string | undefined;
    try {
      const started = await client.send(
        new sdk.StartPolicyGenerationCommand(generationInput(spec, principalArn, window)),
      );
      jobId = started.jobId;
    } catch (err) {
      throw failed(`StartPolicyGeneration for ${principalArn}`, err);
    }
    if (!jobId) throw new LeastprivError('io', 'Access Analyzer StartPolicyGeneration returned no job id');
    const id = jobId;
    try {
      const answer = await pollGeneratedPolicy(
        async (j) => {
          try {
            return await client.send(
              new sdk.GetGeneratedPolicyCommand({
                jobId: j,
                includeResourcePlaceholders: false,
                includeServiceLevelTemplate: false,
              }),
            );
          } catch (err) {
            throw failed(`GetGeneratedPolicy of job ${j}`, err);
          }
        },
        id,
        { sleep: (ms) => new Promise((r) => setTimeout(r, ms)), now: Date.now },
      );
      return { jobId: id, usage: generatedUsage(answer, id, documents) };
    } catch (err) {
      if (err instanceof AccessAnalyzerJobError) throw new LeastprivError('io', err.message);
      throw err;
    }
  } finally {
    client.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Git

interface GitResult {
  status: number;
  stdout: string;
  stderr: string;
}

class Git {
  constructor(
    readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  run(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): GitResult {
    const r = spawnSync('git', args, {
      cwd: this.cwd,
      encoding: 'utf8',
      input: options.input ?? '',
      env: { ...this.env, ...options.env },
      maxBuffer: 256 * 1024 * 1024,
    });
    if (r.error) {
      throw new LeastprivError(
        'io',
        `cannot run git (${r.error.message}): install git and put it on the PATH`,
      );
    }
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }

  ok(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
    const r = this.run(args, options);
    if (r.status !== 0) {
      throw new LeastprivError('io', `git ${args[0]} failed: ${r.stderr.trim() || `exit ${r.status}`}`);
    }
    return r.stdout;
  }

  /** The commit a ref names, or null. */
  commit(ref: string): string | null {
    const r = this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return r.status === 0 ? r.stdout.trim() : null;
  }

  /** A file of a commit, or null when the commit has no such file. */
  show(commit: string, path: string): string | null {
    const r = this.run(['cat-file', '-p', `${commit}:${path}`]);
    return r.status === 0 ? r.stdout : null;
  }
}

/** Author and committer for the commit when git has none configured (a CI runner). */
function identityEnv(git: Git): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (git.run(['config', 'user.name']).status !== 0 && !process.env.GIT_AUTHOR_NAME) {
    env.GIT_AUTHOR_NAME = 'leastpriv';
    env.GIT_COMMITTER_NAME = 'leastpriv';
  }
  if (git.run(['config', 'user.email']).status !== 0 && !process.env.GIT_AUTHOR_EMAIL) {
    env.GIT_AUTHOR_EMAIL = 'leastpriv@localhost';
    env.GIT_COMMITTER_EMAIL = 'leastpriv@localhost';
  }
  return env;
}

/**
 * A commit of `base` with one file replaced, made on a temporary index: the work tree and the
 * user's index are never touched.
 */
function commitFile(git: Git, base: string, path: string, text: string, message: string): string {
  const blob = git.ok(['hash-object', '-w', '--stdin'], { input: text }).trim();
  const entry = git.ok(['ls-tree', base, '--', path]).trim();
  const mode = /^(\d+) blob /.exec(entry)?.[1] ?? '100644';
  const dir = mkdtempSync(join(tmpdir(), 'leastpriv-index-'));
  try {
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    git.ok(['read-tree', base], { env });
    git.ok(['update-index', '--add', '--cacheinfo', `${mode},${blob},${path}`], { env });
    const tree = git.ok(['write-tree'], { env }).trim();
    return git
      .ok(['commit-tree', tree, '-p', base, '-F', '-'], { input: message, env: identityEnv(git) })
      .trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A POSIX shell word. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------
// One role

interface Owned {
  /** The repository-relative path (POSIX separators). */
  path: string;
  text: string;
  document: PolicyDocument;
  others: PolicyDocument[];
  /** The Terraform block label, or null for a JSON file. */
  block: string | null;
  /** The file with the plan applied. */
  render: (plan: PolicyPlan) => string;
}

function readOwned(text: string, path: string, role: RoleConfig): Owned {
  const looksHcl = /\.tf$/i.test(path) || !/^\s*[[{]/.test(text);
  if (looksHcl) {
    const parsed = policiesFromTerraform(text, path);
    if (!parsed.ok) throw new LeastprivError('bad-input', parsed.error);
    const label = `data.${role.block}`;
    const wanted = `data.aws_iam_policy_document.${role.block}`;
    const i = parsed.value.labels.findIndex((l) => l === wanted || l === label);
    let range: ReturnType<typeof findPolicyDocumentBlock>;
    try {
      range = findPolicyDocumentBlock(text, role.block);
    } catch (err) {
      if (err instanceof BlockScanError) throw new LeastprivError('bad-input', `${path}: ${err.message}`);
      throw err;
    }
    const document = parsed.value.documents[i];
    if (i < 0 || !range || !document) {
      throw new LeastprivError(
        'bad-input',
        `${path} has no data "aws_iam_policy_document" "${role.block}" block for role ${role.name}: add one (it may start empty) or name the leastpriv-owned block with 'block:' in the configuration`,
      );
    }
    const others = role.includeOtherPolicies ? parsed.value.documents.filter((_, j) => j !== i) : [];
    const found = range;
    return {
      path,
      text,
      document,
      others,
      block: role.block,
      // Only additions: appended, the statements there stay byte for byte. Removals: the
      // block is written anew.
      render: (plan) =>
        plan.removed.length === 0
          ? appendToPolicyDocumentBlock(text, found, plan.addedStatements, role.block)
          : replacePolicyDocumentBlock(text, found, plan.document, role.block),
    };
  }
  const parsed = parsePolicyInput(text, path);
  if (!parsed.ok) throw new LeastprivError('bad-input', parsed.error);
  const [document, ...rest] = parsed.value.documents;
  if (!document || rest.length > 0 || parsed.value.labels[0] !== path) {
    throw new LeastprivError(
      'bad-input',
      `${path}: refine rewrites one policy document per JSON file, or a Terraform block; this file holds ${parsed.value.documents.length} (or is a template)`,
    );
  }
  return {
    path,
    text,
    document,
    others: [],
    block: null,
    render: (plan) => `${JSON.stringify(orderedDocument(plan.document), null, 2)}\n`,
  };
}

type Status =
  | { kind: 'nothing' }
  | { kind: 'up-to-date'; commit: string }
  | { kind: 'committed'; commit: string; previous: string | null };

interface RoleOutcome {
  role: RoleConfig;
  target: RefineTarget;
  plan: PolicyPlan;
  branch: string;
  status: Status;
  push: string | null;
  /** The command that opens the pull request (GitHub). */
  prCommand: string | null;
}

// ---------------------------------------------------------------------------------------------
// The command

export async function refineCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, REFINE_OPTIONS, 'refine');
  if (values.help) {
    process.stdout.write(REFINE_HELP);
    return 0;
  }
  if (positionals.length) {
    throw new LeastprivError(
      'usage',
      `refine takes no arguments ('${positionals[0]}'): leastpriv refine --config FILE`,
    );
  }
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
  const forge = values.forge;
  if (forge !== undefined && forge !== 'github' && forge !== 'gitlab') {
    throw new LeastprivError('usage', `--forge '${forge}' must be github or gitlab`);
  }
  const configPath = resolve(values.config);
  if (!existsSync(configPath)) {
    throw new LeastprivError(
      'bad-input',
      `no configuration at ${values.config}: write one (see 'leastpriv refine --help') or give --config FILE`,
    );
  }
  const parsed = parseRefineConfig(readFileSync(configPath, 'utf8'), values.config);
  if (!parsed.ok) throw new LeastprivError('bad-input', parsed.error);
  const configDir = dirname(configPath);
  const git = new Git(configDir);
  const top = git.run(['rev-parse', '--show-toplevel']);
  if (top.status !== 0) {
    throw new LeastprivError(
      'bad-input',
      `${values.config} is not in a Git repository: refine commits its proposals on a branch`,
    );
  }
  const root = top.stdout.trim();
  const repo = new Git(root);
  const base = repo.commit(values.base);
  if (!base) throw new LeastprivError('bad-input', `--base ${values.base} is not a commit of ${root}`);
  const baseBranch =
    values.base === 'HEAD'
      ? repo.run(['symbolic-ref', '--quiet', '--short', 'HEAD']).stdout.trim() || null
      : repo.run(['rev-parse', '--verify', '--quiet', `refs/heads/${values.base}`]).status === 0
        ? values.base
        : null;
  const only = new Set(values.role ?? []);
  const roles = parsed.value.roles.filter((r) => only.size === 0 || only.has(r.name));
  for (const name of only) {
    if (!roles.some((r) => r.name === name))
      throw new LeastprivError('usage', `--role ${name} is not in ${values.config}`);
  }
  const now = Date.now();
  const shown = (p: string) => relative(root, resolve(configDir, p)).split(sep).join('/');

  // Everything is read and planned before anything is written: bad input changes nothing.
  const planned: { role: RoleConfig; owned: Owned; target: RefineTarget; plan: PolicyPlan }[] = [];
  for (const role of roles) {
    const abs = resolve(configDir, role.policy);
    const path = relative(root, abs).split(sep).join('/');
    if (isAbsolute(path) || path.startsWith('..')) {
      throw new LeastprivError(
        'bad-input',
        `${role.policy} (role ${role.name}) is outside the repository ${root}`,
      );
    }
    const text = repo.show(base, path);
    if (text === null) {
      throw new LeastprivError(
        'bad-input',
        `${path} (role ${role.name}) is not in commit ${base.slice(0, 12)}: commit it first`,
      );
    }
    const owned = readOwned(text, path, role);
    const usage = await loadUsage(
      {
        calls: role.usage.calls.map((p) => resolve(configDir, p)),
        cloudtrail: role.usage.cloudtrail.map((p) => resolve(configDir, p)),
        athena: role.usage.athena,
        endpoint,
        days: role.usage.days,
      },
      role,
      now,
      shown,
    );
    let records = usage.records;
    let notes: string[] = [];
    const analyzer = role.usage.accessAnalyzer;
    if (analyzer && role.arn) {
      const generated = await accessAnalyzerUsage(
        analyzer,
        role.arn,
        role.usage.days,
        now,
        [owned.document, ...owned.others],
        { endpoint, region: values.region },
      );
      records = [...records, ...generated.usage.records];
      notes = generated.usage.notes;
      usage.summary.accessAnalyzer = {
        jobId: generated.jobId,
        actions: generated.usage.actions.length,
        trails: generated.usage.trails,
        start: generated.usage.start,
        end: generated.usage.end,
        complete: generated.usage.complete,
      };
    }
    const plan = planPolicy(owned.document, records, { prune: values.prune, others: owned.others });
    plan.notes.push(...notes, ...accessAnalyzerNotes(plan));
    const target: RefineTarget = { role: role.name, path, block: owned.block, usage: usage.summary };
    planned.push({ role, owned, target, plan });
  }

  const outcomes: RoleOutcome[] = [];
  for (const { role, owned, target, plan } of planned) {
    const branch = refineBranch(role.name);
    const outcome: RoleOutcome = {
      role,
      target,
      plan,
      branch,
      status: { kind: 'nothing' },
      push: null,
      prCommand: null,
    };
    outcomes.push(outcome);
    const existing = repo.commit(`refs/heads/${branch}`);
    if (!plan.changed) continue;
    const text = owned.render(plan);
    if (existing && repo.show(existing, owned.path) === text) {
      outcome.status = { kind: 'up-to-date', commit: existing };
    } else {
      const commit = commitFile(repo, base, owned.path, text, commitMessage(target, plan));
      repo.ok(['update-ref', '-m', 'leastpriv refine', `refs/heads/${branch}`, commit, existing ?? '']);
      outcome.status = { kind: 'committed', commit, previous: existing };
    }
    if (values.push) pushBranch(repo, outcome, values.remote, forge ?? null, baseBranch);
  }

  const summary = renderSummary(outcomes, values.prune);
  if (values.output && values.output !== '-') writeFileAtomic(values.output, summary);
  else process.stdout.write(summary);
  const stepSummary = process.env.GITHUB_STEP_SUMMARY;
  if (stepSummary) appendStepSummary(stepSummary, summary);
  if (!values.quiet) {
    for (const o of outcomes) process.stderr.write(`leastpriv: ${o.role.name}: ${statusLine(o)}\n`);
  }
  return outcomes.some((o) => o.status.kind === 'committed' || o.push !== null) ? 1 : 0;
}

export function appendStepSummary(path: string, text: string): void {
  try {
    if (existsSync(path) && statSync(path).isDirectory()) throw new Error('is a folder');
    appendFileSync(path, `${text}\n`);
  } catch (err) {
    throw new LeastprivError(
      'io',
      `cannot append to $GITHUB_STEP_SUMMARY (${path}): ${(err as Error).message}`,
    );
  }
}

function forgeOf(git: Git, remote: string): 'github' | 'gitlab' {
  const url = git.run(['config', '--get', `remote.${remote}.url`]).stdout.trim();
  return /^(https?:\/\/|ssh:\/\/git@|git@)github\.com[:/]/i.test(url) ? 'github' : 'gitlab';
}

/**
 * Pushes the branch when the remote does not have this commit yet. GitLab: the first push
 * opens a draft merge request through push options; later pushes update it. GitHub: the
 * command that opens the draft pull request.
 */
function pushBranch(
  git: Git,
  o: RoleOutcome,
  remote: string,
  forge: 'github' | 'gitlab' | null,
  baseBranch: string | null,
): void {
  if (o.status.kind === 'nothing') return;
  const commit = o.status.commit;
  if (git.run(['remote', 'get-url', remote]).status !== 0) {
    throw new LeastprivError(
      'bad-input',
      `no remote '${remote}' in ${git.cwd}: add it or give --remote NAME`,
    );
  }
  const listed = git.ok(['ls-remote', remote, `refs/heads/${o.branch}`]).trim();
  const remoteCommit = listed ? (listed.split(/\s/)[0] ?? null) : null;
  if (remoteCommit === commit) return;
  const kind = forge ?? forgeOf(git, remote);
  const title = refineTitle(o.target, o.plan);
  const args = ['push', '--porcelain'];
  if (kind === 'gitlab' && remoteCommit === null) {
    args.push('-o', 'merge_request.create');
    if (baseBranch) args.push('-o', `merge_request.target=${baseBranch}`);
    args.push(
      '-o',
      'merge_request.draft',
      '-o',
      `merge_request.title=${title}`,
      '-o',
      `merge_request.description=${oneLineDescription(o.target, o.plan)}`,
    );
  }
  // The branch is leastpriv's own: a proposal rebuilt on a newer base replaces the old one.
  args.push(remote, `+refs/heads/${o.branch}:refs/heads/${o.branch}`);
  const r = git.run(args);
  if (r.status !== 0) {
    throw new LeastprivError(
      'io',
      `git push of ${o.branch} to ${remote} failed: ${r.stderr.trim() || r.stdout.trim()}`,
    );
  }
  o.push = remoteCommit === null ? 'pushed' : 'updated';
  if (kind === 'github' && remoteCommit === null) {
    const gitDir = git.ok(['rev-parse', '--absolute-git-dir']).trim();
    const bodyFile = join(gitDir, 'leastpriv', `refine-${o.branch.slice('leastpriv/refine-'.length)}.md`);
    writeFileAtomic(bodyFile, refineBody(o.target, o.plan));
    o.prCommand = [
      'gh',
      'pr',
      'create',
      '--draft',
      ...(baseBranch ? ['--base', baseBranch] : []),
      '--head',
      o.branch,
      '--title',
      title,
      '--body-file',
      bodyFile,
    ]
      .map(shellQuote)
      .join(' ');
  }
}

function statusLine(o: RoleOutcome): string {
  const pushed = o.push ? `; ${o.push}` : '';
  switch (o.status.kind) {
    case 'nothing':
      return o.plan.unused.length
        ? `nothing to add; ${o.plan.unused.length} unused (kept: --prune removes them)`
        : 'nothing to do';
    case 'up-to-date':
      return `${o.branch} already proposes this (${o.status.commit.slice(0, 12)})${pushed}`;
    default:
      return `committed ${o.status.commit.slice(0, 12)} on ${o.branch}${pushed}`;
  }
}

function renderSummary(outcomes: readonly RoleOutcome[], prune: boolean): string {
  const out = ['# leastpriv refine', ''];
  out.push('| Role | Policy | Added | Unused | Removed | Result |', '| --- | --- | --- | --- | --- | --- |');
  for (const o of outcomes) {
    out.push(
      `| \`${o.role.name}\` | \`${o.target.path}\` | ${o.plan.added.length} | ${o.plan.unused.length} | ${o.plan.removed.length} | ${statusLine(o)} |`,
    );
  }
  if (!prune && outcomes.some((o) => o.plan.unused.length)) {
    out.push('', 'Unused permissions are listed, never removed without `--prune`.');
  }
  for (const o of outcomes) {
    if (o.prCommand)
      out.push('', `Open the pull request for \`${o.role.name}\`:`, '', '```sh', o.prCommand, '```');
  }
  for (const o of outcomes) {
    if (o.plan.added.length || o.plan.unused.length || o.plan.removed.length)
      out.push('', refineBody(o.target, o.plan).trimEnd());
  }
  return `${out.join('\n')}\n`;
}
