/**
 * Issue 16, end to end: `leastpriv prune` against moto's IAM, for real. A role with an inline
 * policy, a customer-managed policy already at IAM's five versions and an AWS managed policy;
 * exact documents before and after `--apply`, the rollback file, and `--rollback` restoring them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListPolicyVersionsCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { type Answer, type ApiServer, type Received, startApiServer, xml } from './api-answers.js';
import {
  ACCESS_KEY_ID,
  ACCOUNT,
  CLI,
  exec,
  type Moto,
  SECRET_ACCESS_KEY,
  startMoto,
  tempDir,
  testEnv,
} from './support.js';

const INLINE = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'S3Data',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: 'arn:aws:s3:::data/*',
    },
    {
      Sid: 'PassWorker',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: `arn:aws:iam::${ACCOUNT}:role/worker`,
    },
  ],
};
const MANAGED = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Queue',
      Effect: 'Allow',
      Action: ['sqs:DeleteQueue', 'sqs:SendMessage'],
      Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`,
    },
    { Sid: 'Logs', Effect: 'Allow', Action: 'logs:CreateLogGroup', Resource: '*' },
  ],
};
const POLICY_ARN = `arn:aws:iam::${ACCOUNT}:policy/app-managed`;

const old = (n: number) => ({
  Version: '2012-10-17',
  Statement: [{ Sid: `Old${n}`, Effect: 'Allow', Action: 'sqs:ListQueues', Resource: '*' }],
});

function call(time: string, service: string, operation: string, action: string, resource: string): string {
  return JSON.stringify({
    time,
    source: 'proxy',
    provider: 'aws',
    service,
    operation,
    region: 'us-east-1',
    account: ACCOUNT,
    status: 200,
    error: null,
    actions: [action],
    resources: [resource],
    unresolved: null,
    requirements: [{ action, resources: [resource] }],
  });
}

describe('leastpriv prune against moto IAM', { timeout: 60_000 }, () => {
  let moto: Moto;
  let iam: IAMClient;
  let env: NodeJS.ProcessEnv;
  let home: string;
  let calls: string;

  const prune = (...args: string[]) =>
    exec(process.execPath, [CLI, 'prune', 'app', '--endpoint-url', moto.url, ...args], {
      env,
      timeoutMs: 30_000,
    });
  const inline = async () => {
    const r = await iam.send(new GetRolePolicyCommand({ RoleName: 'app', PolicyName: 'app-inline' }));
    return JSON.parse(decodeURIComponent(r.PolicyDocument ?? ''));
  };
  const managed = async () => {
    const p = await iam.send(new GetPolicyCommand({ PolicyArn: POLICY_ARN }));
    const versionId = p.Policy?.DefaultVersionId ?? '';
    const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: POLICY_ARN, VersionId: versionId }));
    return { versionId, document: JSON.parse(decodeURIComponent(v.PolicyVersion?.Document ?? '')) };
  };
  const versions = async () => {
    const r = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: POLICY_ARN }));
    return (r.Versions ?? []).map((v) => v.VersionId).sort();
  };
  const rollbacks = () => {
    const dir = join(home, 'rollback', 'app');
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  };

  before(async () => {
    // moto attaches AWS managed policies only when it has loaded them.
    process.env.MOTO_IAM_LOAD_MANAGED_POLICIES = 'true';
    moto = await startMoto();
    home = tempDir('prune-home');
    env = testEnv(home, { GITHUB_STEP_SUMMARY: undefined });
    iam = new IAMClient({
      region: 'us-east-1',
      endpoint: moto.url,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    });
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'app',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'app',
        PolicyName: 'app-inline',
        PolicyDocument: JSON.stringify(INLINE),
      }),
    );
    // Four old versions, then the current one: IAM's limit of five.
    await iam.send(
      new CreatePolicyCommand({ PolicyName: 'app-managed', PolicyDocument: JSON.stringify(old(1)) }),
    );
    for (const n of [2, 3, 4]) {
      await iam.send(
        new CreatePolicyVersionCommand({
          PolicyArn: POLICY_ARN,
          PolicyDocument: JSON.stringify(old(n)),
          SetAsDefault: true,
        }),
      );
    }
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: POLICY_ARN,
        PolicyDocument: JSON.stringify(MANAGED),
        SetAsDefault: true,
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'app', PolicyArn: POLICY_ARN }));
    await iam.send(
      new AttachRolePolicyCommand({ RoleName: 'app', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
    );
    const now = Date.now();
    calls = join(tempDir('prune-calls'), 'calls.ndjson');
    fs.writeFileSync(
      calls,
      [
        call(
          new Date(now - 86_400_000).toISOString(),
          's3',
          'GetObject',
          's3:GetObject',
          'arn:aws:s3:::data/report.csv',
        ),
        call(
          new Date(now - 3_600_000).toISOString(),
          'sqs',
          'SendMessage',
          'sqs:SendMessage',
          `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`,
        ),
        // Outside the 90-day window: does not count as use.
        call(
          new Date(now - 200 * 86_400_000).toISOString(),
          's3',
          'PutObject',
          's3:PutObject',
          'arn:aws:s3:::data/x',
        ),
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    iam?.destroy();
    await moto?.stop();
  });

  it('proposes without changing anything, and says moto has no last-accessed data', async () => {
    const r = await prune('--usage', calls);
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.deepEqual(await inline(), INLINE);
    assert.deepEqual(await managed(), { versionId: 'v5', document: MANAGED });
    assert.deepEqual(rollbacks(), []);
    assert.match(r.stdout, /^## leastpriv prune: role `app`\n/);
    assert.match(
      r.stdout,
      /Last-accessed data: not available at this endpoint \(.+\); the usage comes from --usage alone\./,
    );
    assert.match(r.stdout, /Proposed for 2 policies; nothing was changed/);
    assert.match(
      r.stdout,
      /AWS managed policies \(not changed by leastpriv\): `arn:aws:iam::aws:policy\/ReadOnlyAccess`/,
    );
  });

  it('--apply writes a new default version and the inline document, after saving the current ones', async () => {
    const r = await prune('--usage', calls, '--apply');
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.deepEqual(await inline(), {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'S3Data', Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::data/*' },
        // iam:PassRole stays: nothing proves it unused.
        INLINE.Statement[1],
      ],
    });
    assert.deepEqual(await managed(), {
      versionId: 'v6',
      document: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Queue',
            Effect: 'Allow',
            Action: ['sqs:SendMessage'],
            Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`,
          },
        ],
      },
    });
    // Five versions were there: the oldest non-default one (v1) made room.
    assert.deepEqual(await versions(), ['v2', 'v3', 'v4', 'v5', 'v6']);
    const files = rollbacks();
    assert.equal(files.length, 1);
    assert.match(files[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.json$/);
    const saved = JSON.parse(fs.readFileSync(join(home, 'rollback', 'app', files[0] ?? ''), 'utf8'));
    assert.deepEqual(saved, {
      format: 'leastpriv-rollback/1',
      role: 'app',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/app`,
      savedAt: saved.savedAt,
      before: 'prune --apply',
      policies: [
        { kind: 'inline', name: 'app-inline', arn: null, versionId: null, document: INLINE },
        { kind: 'managed', name: 'app-managed', arn: POLICY_ARN, versionId: 'v5', document: MANAGED },
      ],
    });
    assert.match(r.stdout, /Applied to 2 policies; the previous documents are saved in/);
  });

  it('a second --apply has nothing to prune: exit 0, nothing saved', async () => {
    const r = await prune('--usage', calls, '--apply');
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(r.stdout, /Nothing to prune\./);
    assert.equal(rollbacks().length, 1);
    assert.equal((await managed()).versionId, 'v6');
  });

  it('--rollback lists the saved versions, --rollback 1 restores them, a missing one is exit 2', async () => {
    const list = await prune('--rollback');
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      /\| 1 \| \d{4}-\d\d-\d\dT[\d:.]+Z \| prune --apply \| inline app-inline, managed app-managed \(v5\) \|/,
    );

    const r = await prune('--rollback', '1');
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.deepEqual(await inline(), INLINE);
    // v5 still exists with the saved document: it is the default again.
    assert.deepEqual(await managed(), { versionId: 'v5', document: MANAGED });
    assert.deepEqual(await versions(), ['v2', 'v3', 'v4', 'v5', 'v6']);
    // What the rollback replaced is saved too.
    assert.equal(rollbacks().length, 2);

    const missing = await prune('--rollback', '9');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--rollback 9: there are 2 saved versions of role app/);
  });
});

/**
 * IAM's last-accessed data. moto (5.2) does not implement GenerateServiceLastAccessedDetails or
 * GetServiceLastAccessedDetails, so the command talks to a local server (`api-answers.ts`) that
 * answers those two with responses shaped from the IAM API reference, and forwards every other
 * IAM call to moto (the role and its policies are real moto state):
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateServiceLastAccessedDetails.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetServiceLastAccessedDetails.html
 * (ServiceLastAccessed, TrackedActionLastAccessed, ErrorDetails). Not tested against AWS.
 */
describe('leastpriv prune with IAM last-accessed data', { timeout: 60_000 }, () => {
  const ROLE = 'worker';
  const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
  const DOC = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'S3Data',
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: 'arn:aws:s3:::data/*',
      },
      { Sid: 'Logs', Effect: 'Allow', Action: 'logs:CreateLogGroup', Resource: '*' },
      {
        Sid: 'Queue',
        Effect: 'Allow',
        Action: 'sqs:DeleteQueue',
        Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`,
      },
    ],
  };
  const DAY = 86_400_000;
  let moto: Moto;
  let server: ApiServer;
  let iam: IAMClient;
  let env: NodeJS.ProcessEnv;
  let calls: string;
  let now: number;
  /** The job the server reports: its id and the answers to GetServiceLastAccessedDetails in turn. */
  let job: { id: string; statuses: string[] };

  const at = (ago: number) => new Date(now - ago).toISOString();
  const NS = 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"';
  const wrap = (op: string, result: string) =>
    xml(
      200,
      `<${op}Response ${NS}><${op}Result>${result}</${op}Result><ResponseMetadata><RequestId>8a5e1c2f-0000-4000-8000-000000000001</RequestId></ResponseMetadata></${op}Response>`,
    );
  const action = (name: string, ago: number | null) =>
    `<member><ActionName>${name}</ActionName>${
      ago === null
        ? ''
        : `<LastAccessedEntity>${ROLE_ARN}</LastAccessedEntity><LastAccessedRegion>us-east-1</LastAccessedRegion><LastAccessedTime>${at(ago)}</LastAccessedTime>`
    }</member>`;
  const PAGES = [
    // Page 1: S3, tracked action by action.
    () =>
      `<member><ServiceName>Amazon S3</ServiceName><ServiceNamespace>s3</ServiceNamespace><LastAuthenticated>${at(DAY)}</LastAuthenticated><LastAuthenticatedEntity>${ROLE_ARN}</LastAuthenticatedEntity><LastAuthenticatedRegion>us-east-1</LastAuthenticatedRegion><TotalAuthenticatedEntities>1</TotalAuthenticatedEntities><TrackedActionsLastAccessed>${action('DeleteObject', null)}${action('GetObject', DAY)}${action('PutObject', 10 * DAY)}</TrackedActionsLastAccessed></member>`,
    // Page 2: CloudWatch Logs (not tracked action by action) used; SQS never used.
    () =>
      `<member><ServiceName>Amazon CloudWatch Logs</ServiceName><ServiceNamespace>logs</ServiceNamespace><LastAuthenticated>${at(3 * DAY)}</LastAuthenticated><LastAuthenticatedEntity>${ROLE_ARN}</LastAuthenticatedEntity><LastAuthenticatedRegion>us-east-1</LastAuthenticatedRegion><TotalAuthenticatedEntities>1</TotalAuthenticatedEntities></member><member><ServiceName>Amazon SQS</ServiceName><ServiceNamespace>sqs</ServiceNamespace><TotalAuthenticatedEntities>0</TotalAuthenticatedEntities></member>`,
  ];

  const answer = (r: Received): Answer | null => {
    if (r.operation === 'GenerateServiceLastAccessedDetails') {
      return wrap(r.operation, `<JobId>${job.id}</JobId>`);
    }
    if (r.operation !== 'GetServiceLastAccessedDetails') return null;
    if (r.params.JobId !== job.id) {
      return xml(
        404,
        `<ErrorResponse ${NS}><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>Job ${String(r.params.JobId)} not found</Message></Error><RequestId>8a5e1c2f-0000-4000-8000-000000000002</RequestId></ErrorResponse>`,
      );
    }
    const status = job.statuses.length > 1 ? (job.statuses.shift() as string) : (job.statuses[0] as string);
    const created = `<JobType>ACTION_LEVEL</JobType><JobCreationDate>${at(60_000)}</JobCreationDate>`;
    if (status === 'IN_PROGRESS') {
      return wrap(
        r.operation,
        `<JobStatus>IN_PROGRESS</JobStatus>${created}<ServicesLastAccessed/><IsTruncated>false</IsTruncated>`,
      );
    }
    if (status === 'FAILED') {
      return wrap(
        r.operation,
        `<JobStatus>FAILED</JobStatus>${created}<JobCompletionDate>${at(0)}</JobCompletionDate><ServicesLastAccessed/><IsTruncated>false</IsTruncated><Error><Message>The report could not be generated</Message><Code>ServiceFailure</Code></Error>`,
      );
    }
    const page = r.params.Marker === 'page-2' ? 1 : 0;
    return wrap(
      r.operation,
      `<JobStatus>COMPLETED</JobStatus>${created}<JobCompletionDate>${at(30_000)}</JobCompletionDate><ServicesLastAccessed>${PAGES[page]?.()}</ServicesLastAccessed>${
        page === 0
          ? '<IsTruncated>true</IsTruncated><Marker>page-2</Marker>'
          : '<IsTruncated>false</IsTruncated>'
      }`,
    );
  };

  const prune = (...args: string[]) =>
    exec(process.execPath, [CLI, 'prune', ROLE, '--endpoint-url', server.url, '--usage', calls, ...args], {
      env,
      timeoutMs: 30_000,
    });
  const inline = async () => {
    const r = await iam.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: 'worker-inline' }));
    return JSON.parse(decodeURIComponent(r.PolicyDocument ?? ''));
  };

  before(async () => {
    moto = await startMoto();
    server = await startApiServer({ answer, forward: moto.url });
    env = testEnv(tempDir('prune-la-home'), { GITHUB_STEP_SUMMARY: undefined });
    iam = new IAMClient({
      region: 'us-east-1',
      endpoint: moto.url,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    });
    await iam.send(
      new CreateRoleCommand({
        RoleName: ROLE,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: ROLE,
        PolicyName: 'worker-inline',
        PolicyDocument: JSON.stringify(DOC),
      }),
    );
    now = Date.now();
    calls = join(tempDir('prune-la-calls'), 'calls.ndjson');
    fs.writeFileSync(
      calls,
      `${call(at(DAY), 's3', 'GetObject', 's3:GetObject', 'arn:aws:s3:::data/in.csv')}\n`,
    );
  });

  after(async () => {
    iam?.destroy();
    await server?.stop();
    await moto?.stop();
  });

  it('keeps what last-accessed data saw used, removes the rest, reading every page of the job', async () => {
    job = { id: 'examplef-1305-c245-eba4-71fe298bcda7', statuses: ['IN_PROGRESS', 'COMPLETED'] };
    server.requests.length = 0;
    const r = await prune('--apply');
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    // The pruned document in moto: s3:DeleteObject and the SQS statement go; s3:PutObject
    // (tracked, used 10 days ago) and logs:CreateLogGroup (logs used 3 days ago, not tracked
    // action by action) stay although no recorded call used them.
    assert.deepEqual(await inline(), {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'S3Data',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: 'arn:aws:s3:::data/*',
        },
        { Sid: 'Logs', Effect: 'Allow', Action: 'logs:CreateLogGroup', Resource: '*' },
      ],
    });
    // The requests: the role read from moto, one ACTION_LEVEL job, asked for until COMPLETED
    // (one wait), then its second page; then the write, to moto.
    assert.deepEqual(
      server.requests.map((q) => [q.operation, q.service, q.answered]),
      [
        ['GetRole', 'iam', false],
        ['ListRolePolicies', 'iam', false],
        ['GetRolePolicy', 'iam', false],
        ['ListAttachedRolePolicies', 'iam', false],
        ['GenerateServiceLastAccessedDetails', 'iam', true],
        ['GetServiceLastAccessedDetails', 'iam', true],
        ['GetServiceLastAccessedDetails', 'iam', true],
        ['GetServiceLastAccessedDetails', 'iam', true],
        ['PutRolePolicy', 'iam', false],
      ],
    );
    const answered = server.requests.filter((q) => q.answered).map((q) => q.params);
    assert.deepEqual(answered, [
      {
        Action: 'GenerateServiceLastAccessedDetails',
        Version: '2010-05-08',
        Arn: ROLE_ARN,
        Granularity: 'ACTION_LEVEL',
      },
      { Action: 'GetServiceLastAccessedDetails', Version: '2010-05-08', JobId: job.id },
      { Action: 'GetServiceLastAccessedDetails', Version: '2010-05-08', JobId: job.id },
      { Action: 'GetServiceLastAccessedDetails', Version: '2010-05-08', JobId: job.id, Marker: 'page-2' },
    ]);
    const day = (ago: number) => at(ago).slice(0, 10);
    assert.match(
      r.stdout,
      new RegExp(
        `Last-accessed data: 3 services reported \\(job ${job.id}\\); an action seen used in the window is kept\\.`,
      ),
    );
    const kept = r.stdout.slice(r.stdout.indexOf('#### Kept'));
    assert.equal(
      kept.slice(0, kept.indexOf('\n\n', kept.indexOf('| ---'))),
      [
        '#### Kept (2)',
        '',
        '| Statement | Unused | Why it stays |',
        '| --- | --- | --- |',
        `| \`S3Data\` | Action \`s3:PutObject\` | last-accessed data shows s3:PutObject used on ${day(10 * DAY)} |`,
        `| \`Logs\` | Action \`logs:CreateLogGroup\` | last-accessed data shows logs used on ${day(3 * DAY)} (not tracked action by action) |`,
      ].join('\n'),
    );
    assert.match(
      r.stdout,
      /\| `S3Data` \| Action `s3:DeleteObject` \|\n\| `Queue` \| the whole statement: `sqs:DeleteQueue` \|/,
    );
  });

  it('a failed last-accessed job is reported with its error, and the usage alone decides', async () => {
    job = { id: 'failed-la-job', statuses: ['FAILED'] };
    server.requests.length = 0;
    const r = await prune();
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(
      r.stdout,
      /Last-accessed data: the last-accessed job failed-la-job failed \(ServiceFailure: The report could not be generated\); the usage comes from --usage alone\./,
    );
    // Without the veto, s3:PutObject and the Logs statement are proposed for removal.
    assert.match(r.stdout, /\| `S3Data` \| Action `s3:PutObject` \|/);
    assert.match(r.stdout, /\| `Logs` \| the whole statement: `logs:CreateLogGroup` \|/);
    assert.deepEqual(
      server.requests.filter((q) => q.answered).map((q) => q.operation),
      ['GenerateServiceLastAccessedDetails', 'GetServiceLastAccessedDetails'],
    );
  });
});
