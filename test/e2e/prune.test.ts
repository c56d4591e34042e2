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
