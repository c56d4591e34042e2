/**
 * Issue 16, end to end: `leastpriv refine` on a real Git repository made by the test, pushing to
 * bare remotes whose pre-receive hook records the push options. Exact checks on the branches,
 * the commits (message, changed file, every other byte of the Terraform file), the push options
 * and the printed `gh pr create` command; a second run changes, commits and pushes nothing.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Answer, type ApiServer, json, type Received, startApiServer } from './api-answers.js';
import { git, initRepo } from './git-repo.js';
import { CLI, exec, ROOT, tempDir, testEnv } from './support.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'review');

/** A bare remote that records each push's options and ref updates in `pushes.log`. */
function bareRemote(dir: string): { path: string; log: string } {
  git(tempDir('unused'), 'init', '-q', '--bare', dir);
  git(dir, 'config', 'receive.advertisePushOptions', 'true');
  const log = join(dir, 'pushes.log');
  const hook = join(dir, 'hooks', 'pre-receive');
  fs.writeFileSync(
    hook,
    `#!/bin/sh
{
  echo "count=\${GIT_PUSH_OPTION_COUNT-unset}"
  i=0
  while [ "$i" -lt "\${GIT_PUSH_OPTION_COUNT:-0}" ]; do
    eval "echo \\"option=\\$GIT_PUSH_OPTION_$i\\""
    i=$((i + 1))
  done
  while read old new ref; do echo "update=$ref $new"; done
  echo "--"
} >> '${log}'
`,
    { mode: 0o755 },
  );
  return { path: dir, log };
}

const readLog = (path: string) => (fs.existsSync(path) ? fs.readFileSync(path, 'utf8') : '');

describe('leastpriv refine', { timeout: 60_000 }, () => {
  let repo: string;
  let gitlab: { path: string; log: string };
  let github: { path: string; log: string };
  let env: NodeJS.ProcessEnv;
  let stepSummary: string;
  const original = {
    tf: fs.readFileSync(join(FIXTURES, 'repo', 'infra', 'ci.tf'), 'utf8'),
    json: fs.readFileSync(join(FIXTURES, 'repo', 'policies', 'app.json'), 'utf8'),
  };

  const refine = (...args: string[]) =>
    exec(process.execPath, [CLI, 'refine', '--config', 'leastpriv.yaml', ...args], {
      env,
      cwd: repo,
      timeoutMs: 30_000,
    });

  before(() => {
    const work = tempDir('refine');
    repo = join(work, 'repo');
    fs.cpSync(join(FIXTURES, 'repo'), repo, { recursive: true });
    fs.cpSync(join(FIXTURES, 'calls'), join(repo, 'calls'), { recursive: true });
    stepSummary = join(work, 'step-summary.md');
    env = testEnv(tempDir('refine-home'), {
      GITHUB_STEP_SUMMARY: stepSummary,
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: work,
    });
    initRepo(repo);
    gitlab = bareRemote(join(work, 'gitlab.git'));
    github = bareRemote(join(work, 'github.git'));
    git(repo, 'remote', 'add', 'origin', gitlab.path);
    // The GitHub remote's URL is on github.com; pushes go to the local bare repository.
    git(repo, 'remote', 'add', 'hub', 'https://github.com/acme/infra.git');
    git(repo, 'config', `url.${github.path}.insteadOf`, 'https://github.com/acme/infra.git');
  });

  it('commits each role on its own branch and opens draft merge requests with push options', async () => {
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const r = await refine('--push');
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);

    // The checkout is left alone: same branch, same commit, clean tree.
    assert.equal(git(repo, 'symbolic-ref', '--short', 'HEAD').trim(), 'main');
    assert.equal(git(repo, 'rev-parse', 'HEAD').trim(), head);
    assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=no'), '');

    // ci: only infra/ci.tf changed, statements appended to the owned block, every other byte kept.
    const ci = git(repo, 'rev-parse', 'leastpriv/refine-ci').trim();
    assert.equal(git(repo, 'rev-parse', `${ci}^`).trim(), head);
    assert.equal(git(repo, 'diff', '--name-only', head, ci), 'infra/ci.tf\n');
    const tf = git(repo, 'show', `${ci}:infra/ci.tf`);
    const anchor = '    resources = ["arn:aws:sqs:us-east-1:123456789012:old-queue"]\n  }\n';
    const cut = original.tf.indexOf(anchor) + anchor.length;
    const added = `
  statement {
    sid       = "DynamoDBWriteOrdersTable"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/Orders"]
  }

  statement {
    sid       = "IAMWriteAppRole"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = ["arn:aws:iam::123456789012:role/app"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com"]
    }
  }

  statement {
    sid       = "LambdaWriteAppFunction"
    effect    = "Allow"
    actions   = ["lambda:CreateFunction"]
    resources = ["arn:aws:lambda:us-east-1:123456789012:function:app"]
  }
`;
    assert.equal(tf, `${original.tf.slice(0, cut)}${added}${original.tf.slice(cut)}`);
    // ec2:DescribeInstances is granted by aws_iam_policy.extra (include_other_policies): not added.
    assert.doesNotMatch(tf, /EC2Read/);

    const ciMessage = git(repo, 'log', '-1', '--format=%B', ci);
    assert.equal(
      ciMessage,
      `leastpriv: refine ci: add 3 permissions

## Role \`ci\`

Policy: \`infra/ci.tf\`, block \`data.aws_iam_policy_document.leastpriv\`.
Usage: 4 calls from \`calls/ci.ndjson\`, 2026-11-21T18:00:00.000Z to 2026-11-21T18:00:04.000Z.
5 permissions checked: 3 missing, 1 unused.

### Added (3)

| Action | Resources | Needed by |
| --- | --- | --- |
| \`dynamodb:PutItem\` | \`arn:aws:dynamodb:us-east-1:123456789012:table/Orders\` | \`dynamodb:PutItem\` |
| \`iam:PassRole\` | \`arn:aws:iam::123456789012:role/app\` | \`lambda:CreateFunction\` |
| \`lambda:CreateFunction\` | \`arn:aws:lambda:us-east-1:123456789012:function:app\` | \`lambda:CreateFunction\` |

### Unused candidates (1)

Granted and used by no recorded call. Nothing is removed: run \`leastpriv refine --prune\` to remove them.

| Statement | Unused |
| --- | --- |
| \`SQSSendOld\` | the whole statement: \`sqs:SendMessage\` |

Written by \`leastpriv refine\`: review the changes before merging.

`,
    );

    // app: the JSON file, the missing statement appended, nothing removed.
    const app = git(repo, 'rev-parse', 'leastpriv/refine-app').trim();
    assert.equal(git(repo, 'diff', '--name-only', head, app), 'policies/app.json\n');
    const doc = JSON.parse(original.json);
    doc.Statement.push({
      Sid: 'SQSWriteJobsQueue',
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: 'arn:aws:sqs:us-east-1:123456789012:jobs',
    });
    assert.equal(git(repo, 'show', `${app}:policies/app.json`), `${JSON.stringify(doc, null, 2)}\n`);
    assert.match(git(repo, 'log', '-1', '--format=%s', app), /^leastpriv: refine app: add 1 permission\n$/);

    // One push per branch, each with exactly these options.
    const description = (role: string, path: string, added: number, unused: number, calls: number) =>
      `option=merge_request.description=leastpriv refine for role ${role} on ${path}: ${added} permission${added === 1 ? '' : 's'} added, 0 unused entries removed, ${unused} unused candidate${unused === 1 ? '' : 's'} (${calls} calls checked). The commit message lists each permission with the calls behind it.`;
    assert.equal(
      readLog(gitlab.log),
      [
        'count=5',
        'option=merge_request.create',
        'option=merge_request.target=main',
        'option=merge_request.draft',
        'option=merge_request.title=leastpriv: refine ci: add 3 permissions',
        description('ci', 'infra/ci.tf', 3, 1, 4),
        `update=refs/heads/leastpriv/refine-ci ${ci}`,
        '--',
        'count=5',
        'option=merge_request.create',
        'option=merge_request.target=main',
        'option=merge_request.draft',
        'option=merge_request.title=leastpriv: refine app: add 1 permission',
        description('app', 'policies/app.json', 1, 3, 2),
        `update=refs/heads/leastpriv/refine-app ${app}`,
        '--',
        '',
      ].join('\n'),
    );
    assert.equal(git(gitlab.path, 'rev-parse', 'leastpriv/refine-ci').trim(), ci);
    // The same Markdown summary went to stdout and to $GITHUB_STEP_SUMMARY.
    assert.match(r.stdout, /^# leastpriv refine\n/);
    assert.equal(fs.readFileSync(stepSummary, 'utf8'), `${r.stdout}\n`);
  });

  it('a second run with no new activity commits nothing and pushes nothing', async () => {
    const refs = git(repo, 'for-each-ref', 'refs/heads/');
    const log = readLog(gitlab.log);
    const r = await refine('--push');
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.equal(git(repo, 'for-each-ref', 'refs/heads/'), refs);
    assert.equal(readLog(gitlab.log), log);
    assert.match(r.stderr, /ci: leastpriv\/refine-ci already proposes this/);
  });

  it('--prune removes the unused entries but keeps iam:PassRole, and updates the branch without opening another request', async () => {
    const before = git(repo, 'rev-parse', 'leastpriv/refine-app').trim();
    const logBefore = readLog(gitlab.log);
    const r = await refine('--push', '--prune', '--role', 'app');
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    const app = git(repo, 'rev-parse', 'leastpriv/refine-app').trim();
    assert.notEqual(app, before);
    assert.equal(
      git(repo, 'show', `${app}:policies/app.json`),
      `${JSON.stringify(
        {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DynamoDBWriteOrders',
              Effect: 'Allow',
              Action: ['dynamodb:PutItem'],
              Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/Orders',
            },
            {
              Sid: 'PassAppRole',
              Effect: 'Allow',
              Action: 'iam:PassRole',
              Resource: 'arn:aws:iam::123456789012:role/app-worker',
            },
            {
              Sid: 'SQSWriteJobsQueue',
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Resource: 'arn:aws:sqs:us-east-1:123456789012:jobs',
            },
          ],
        },
        null,
        2,
      )}\n`,
    );
    const message = git(repo, 'log', '-1', '--format=%B', app);
    assert.match(message, /^leastpriv: refine app: add 1 permission, remove 2 unused entries\n/);
    assert.match(message, /\| `DynamoDBWriteOrders` \| Action `dynamodb:DeleteItem` \|/);
    assert.match(message, /\| `S3ReadReports` \| the whole statement: `s3:GetObject` \|/);
    assert.match(
      message,
      /\| `PassAppRole` \| Action `iam:PassRole` \| grants iam:PassRole, which is never removed without proof/,
    );
    // An update of a branch the remote has: pushed, no merge-request options.
    assert.equal(
      readLog(gitlab.log).slice(logBefore.length),
      `count=0\nupdate=refs/heads/leastpriv/refine-app ${app}\n--\n`,
    );
  });

  it('a GitHub remote gets the branch and the gh pr create command', async () => {
    const r = await refine('--push', '--remote', 'hub', '--role', 'ci');
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    const ci = git(repo, 'rev-parse', 'leastpriv/refine-ci').trim();
    assert.equal(readLog(github.log), `count=0\nupdate=refs/heads/leastpriv/refine-ci ${ci}\n--\n`);
    const gitDir = git(repo, 'rev-parse', '--absolute-git-dir').trim();
    const body = join(gitDir, 'leastpriv', 'refine-ci.md');
    assert.match(
      r.stdout,
      new RegExp(
        `\`\`\`sh\\ngh pr create --draft --base main --head leastpriv/refine-ci --title 'leastpriv: refine ci: add 3 permissions' --body-file ${body.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n\`\`\``,
      ),
    );
    assert.equal(
      fs.readFileSync(body, 'utf8'),
      git(repo, 'log', '-1', '--format=%b', ci).replace(/\n+$/, '\n'),
    );
  });

  it('bad input: exit 2 with one clear sentence, nothing written', async () => {
    fs.writeFileSync(join(repo, 'bad.yaml'), 'roles:\n  - name: ci\n    policy: infra/ci.tf\n');
    const refs = git(repo, 'for-each-ref', 'refs/heads/');
    const r = await exec(process.execPath, [CLI, 'refine', '--config', 'bad.yaml'], { env, cwd: repo });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage must say where the calls are/);
    assert.equal(git(repo, 'for-each-ref', 'refs/heads/'), refs);
  });
});

/**
 * `usage.access_analyzer`: IAM Access Analyzer policy generation. moto (5.2) does not implement
 * Access Analyzer, so the commands talk to a local server (`api-answers.ts`) that answers
 * StartPolicyGeneration and GetGeneratedPolicy with responses shaped from the API reference:
 * https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_StartPolicyGeneration.html
 * https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_GetGeneratedPolicy.html
 * (GeneratedPolicyResult, GeneratedPolicyProperties, CloudTrailProperties, JobDetails, JobError).
 * Not tested against AWS.
 */
describe('leastpriv refine with Access Analyzer policy generation', { timeout: 60_000 }, () => {
  const ROLE_ARN = 'arn:aws:iam::123456789012:role/app';
  const TRAIL = 'arn:aws:cloudtrail:us-east-1:123456789012:trail/main';
  const ACCESS_ROLE = 'arn:aws:iam::123456789012:role/service-role/AccessAnalyzerMonitorServiceRole';
  const GENERATED = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['dynamodb:PutItem', 's3:GetObject'], Resource: '*' },
      { Effect: 'Allow', Action: ['ec2:DescribeInstances', 'sqs:SendMessage'], Resource: '*' },
    ],
  };
  let repo: string;
  let env: NodeJS.ProcessEnv;
  let server: ApiServer;
  /** What the next job does: its id, and the statuses of its GetGeneratedPolicy answers in turn. */
  let job: { id: string; statuses: string[]; error?: { code: string; message: string } };
  const original = fs.readFileSync(join(FIXTURES, 'repo', 'policies', 'app.json'), 'utf8');

  const route = (method: string, path: string) =>
    method === 'PUT' && path === '/policy/generation'
      ? 'StartPolicyGeneration'
      : method === 'GET' && path.startsWith('/policy/generation/')
        ? 'GetGeneratedPolicy'
        : null;

  const answer = (r: Received): Answer | null => {
    if (r.service !== 'access-analyzer') return null;
    if (r.operation === 'StartPolicyGeneration') return json(200, { jobId: job.id });
    if (r.operation !== 'GetGeneratedPolicy') return null;
    const id = decodeURIComponent(r.path.slice('/policy/generation/'.length));
    if (id !== job.id) {
      return json(404, { message: `Job ${id} not found`, resourceId: id, resourceType: 'policy generation' });
    }
    const status = job.statuses.length > 1 ? (job.statuses.shift() as string) : (job.statuses[0] as string);
    const start = server.requests.find((q) => q.operation === 'StartPolicyGeneration')?.params as {
      cloudTrailDetails: { startTime: string; endTime: string };
    };
    const jobDetails = {
      jobId: job.id,
      status,
      startedOn: '2026-12-01T10:00:00Z',
      ...(status === 'IN_PROGRESS' ? {} : { completedOn: '2026-12-01T10:04:00Z' }),
      ...(job.error ? { jobError: job.error } : {}),
    };
    if (status !== 'SUCCEEDED') {
      return json(200, {
        jobDetails,
        generatedPolicyResult: { properties: { principalArn: ROLE_ARN } },
      });
    }
    return json(200, {
      jobDetails,
      generatedPolicyResult: {
        generatedPolicies: [{ policy: JSON.stringify(GENERATED) }],
        properties: {
          principalArn: ROLE_ARN,
          isComplete: true,
          cloudTrailProperties: {
            startTime: start.cloudTrailDetails.startTime,
            endTime: start.cloudTrailDetails.endTime,
            trailProperties: [{ cloudTrailArn: TRAIL, allRegions: true, regions: [] }],
          },
        },
      },
    });
  };

  const refine = (...args: string[]) =>
    exec(process.execPath, [CLI, 'refine', '--config', 'aa.yaml', '--endpoint-url', server.url, ...args], {
      env,
      cwd: repo,
      timeoutMs: 30_000,
    });

  before(async () => {
    server = await startApiServer({ answer, route });
    const work = tempDir('refine-aa');
    repo = join(work, 'repo');
    fs.cpSync(join(FIXTURES, 'repo'), repo, { recursive: true });
    fs.writeFileSync(
      join(repo, 'aa.yaml'),
      `roles:
  - name: app
    arn: ${ROLE_ARN}
    policy: policies/app.json
    usage:
      access_analyzer:
        trail_arn: ${TRAIL}
        access_role: ${ACCESS_ROLE}
      days: 30
`,
    );
    env = testEnv(tempDir('refine-aa-home'), {
      GITHUB_STEP_SUMMARY: undefined,
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: work,
    });
    initRepo(repo);
  });

  after(async () => {
    await server?.stop();
  });

  it('starts a job for the role, waits for it, and commits what the generated policy adds', async () => {
    job = { id: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111', statuses: ['IN_PROGRESS', 'SUCCEEDED'] };
    server.requests.length = 0;
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const t0 = Date.now();
    const r = await refine();
    const t1 = Date.now();
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    // The requests: one job for the role over the last 30 days of the trail, then the job
    // asked for until it SUCCEEDED (one IN_PROGRESS answer, one wait).
    assert.deepEqual(
      server.requests.map((q) => [q.operation, q.service, q.region, q.method, q.path, q.query]),
      [
        ['StartPolicyGeneration', 'access-analyzer', 'us-east-1', 'PUT', '/policy/generation', {}],
        ...[1, 2].map(() => [
          'GetGeneratedPolicy',
          'access-analyzer',
          'us-east-1',
          'GET',
          `/policy/generation/${job.id}`,
          { includeResourcePlaceholders: 'false', includeServiceLevelTemplate: 'false' },
        ]),
      ],
    );
    const params = server.requests[0]?.params as {
      cloudTrailDetails: { startTime: string; endTime: string };
      clientToken: unknown;
    };
    const { startTime, endTime } = params.cloudTrailDetails;
    assert.deepEqual(params, {
      policyGenerationDetails: { principalArn: ROLE_ARN },
      cloudTrailDetails: {
        trails: [{ cloudTrailArn: TRAIL, allRegions: true }],
        accessRole: ACCESS_ROLE,
        startTime,
        endTime,
      },
      clientToken: params.clientToken,
    });
    assert.match(String(params.clientToken), /^[0-9a-f-]{36}$/);
    const end = Date.parse(endTime);
    assert.ok(end >= t0 - 1000 && end <= t1, `endTime ${endTime} is the time of the run`);
    assert.equal(end - Date.parse(startTime), 30 * 86_400_000);

    // The branch: the JSON policy with what Access Analyzer saw and nothing granted; the
    // actions it saw that the policy grants (dynamodb:PutItem, s3:GetObject) are used.
    const app = git(repo, 'rev-parse', 'leastpriv/refine-app').trim();
    assert.equal(git(repo, 'rev-parse', `${app}^`).trim(), head);
    assert.equal(git(repo, 'diff', '--name-only', head, app), 'policies/app.json\n');
    const doc = JSON.parse(original);
    doc.Statement.push(
      { Sid: 'EC2Read', Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' },
      { Sid: 'SQSWrite', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' },
    );
    assert.equal(git(repo, 'show', `${app}:policies/app.json`), `${JSON.stringify(doc, null, 2)}\n`);
    const by = `Access Analyzer policy generation, job ID \`${job.id}\``;
    const iso = (s: string) => new Date(s).toISOString();
    assert.equal(
      git(repo, 'log', '-1', '--format=%B', app),
      `leastpriv: refine app: add 2 permissions

## Role \`app\`

Policy: \`policies/app.json\`.
Usage: 4 actions from ${by}, trail \`${TRAIL}\`, ${iso(startTime)} to ${iso(endTime)} (the last 30 days). Policy generation names actions, not calls: it carries no call details.
4 permissions checked: 2 missing, 2 unused.

### Added (2)

| Action | Resources | Needed by |
| --- | --- | --- |
| \`ec2:DescribeInstances\` | \`*\` | ${by} |
| \`sqs:SendMessage\` | \`*\` | ${by} |

### Unused candidates (2)

Granted and used by no recorded call. Nothing is removed: run \`leastpriv refine --prune\` to remove them.

| Statement | Unused |
| --- | --- |
| \`DynamoDBWriteOrders\` | Action \`dynamodb:DeleteItem\` |
| \`PassAppRole\` | the whole statement: \`iam:PassRole\` |

### Notes

- sqs:SendMessage is added on "*": Access Analyzer (job ${job.id}) does not say which resources the role used; narrow it to them before merging

Written by \`leastpriv refine\`: review the changes before merging.

`,
    );
  });

  it('a failed or cancelled job is an error that names the job; nothing is committed', async () => {
    const refs = git(repo, 'for-each-ref', 'refs/heads/');
    job = {
      id: 'failed-job-0001',
      statuses: ['FAILED'],
      error: { code: 'RESOURCE_NOT_FOUND_ERROR', message: 'Trail main does not exist' },
    };
    server.requests.length = 0;
    const failed = await refine('--prune');
    assert.equal(failed.code, 2, `stdout:\n${failed.stdout}\nstderr:\n${failed.stderr}`);
    assert.equal(
      failed.stderr.trim().split('\n').at(-1),
      'leastpriv: Access Analyzer policy generation job failed-job-0001 failed (RESOURCE_NOT_FOUND_ERROR: Trail main does not exist): check the trail, the access role and its permissions, then run again',
    );
    assert.deepEqual(
      server.requests.map((q) => [q.operation, q.path]),
      [
        ['StartPolicyGeneration', '/policy/generation'],
        ['GetGeneratedPolicy', '/policy/generation/failed-job-0001'],
      ],
    );

    job = { id: 'cancelled-job-0002', statuses: ['CANCELED'] };
    const cancelled = await refine('--prune');
    assert.equal(cancelled.code, 2);
    assert.match(
      cancelled.stderr,
      /Access Analyzer policy generation job cancelled-job-0002 was cancelled: run again to start a new one/,
    );
    assert.equal(git(repo, 'for-each-ref', 'refs/heads/'), refs);
  });
});
