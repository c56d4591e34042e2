/**
 * Operation → permission mapping, end to end: the AWS CLI against moto through `leastpriv run`,
 * and the exact permissions (action, resources, conditions) the calls log records for one call.
 * Dependent permissions are the point: `iam:PassRole` with `iam:PassedToService` when a role is
 * handed to a service, the tagging action when tags ride on a create call. Each test creates its
 * prerequisites in the same script and reads only the line of the operation under test.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  ACCOUNT,
  assertCaptureInvariants,
  assertOk,
  type CallRecord,
  explain,
  leastprivRun,
  type Moto,
  type RunResult,
  requireTools,
  startMoto,
  tempDir,
  testEnv,
} from './support.js';

const REGION = 'us-east-1';
/** The AWS CLI on a loaded 2-core machine: a script of three CLI calls can take a while. */
const RUN_MS = 150_000;
const TEST = { timeout: RUN_MS + 30_000 };

/** A permission as the calls log pairs it (`requirements`, see src/model/calls-log.ts). */
interface Permission {
  action: string;
  resources: string[];
  conditions?: Record<string, Record<string, string[]>>;
}
type Logged = CallRecord & { requirements?: (Permission & { approximate?: string })[] };

const trustPolicy = (service: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });

/** A shell word: the script runs under `sh -c`. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('operation → permission mapping through leastpriv run', { timeout: 20 * RUN_MS }, () => {
  let moto: Moto;
  let env: NodeJS.ProcessEnv;
  let work: string;

  /** Runs a shell script of CLI calls; the account is given (moto's), so every ARN is exact. */
  const run = (script: string): Promise<RunResult> =>
    leastprivRun(['sh', '-c', `set -e\n${script}`], {
      env,
      cwd: work,
      timeoutMs: RUN_MS,
      options: ['--upstream', moto.url, '--account-id', ACCOUNT],
    });

  /**
   * The one line of `service`/`operation` in the calls log, which moto answered with success,
   * and its permissions as a sorted list of {action, resources (sorted), conditions}.
   */
  function permissionsOf(r: RunResult, service: string, operation: string): Permission[] {
    assertOk(r, 'the script');
    assertCaptureInvariants(r);
    const lines = (r.calls as Logged[]).filter((c) => c.service === service && c.operation === operation);
    assert.equal(lines.length, 1, `one ${service} ${operation} line expected: ${explain(r)}`);
    const c = lines[0] as Logged;
    const line = JSON.stringify(c);
    assert.equal(c.status, 200, line);
    assert.equal(c.error, null, line);
    assert.equal(c.unresolved, null, `${service} ${operation} was not mapped: ${line}`);
    assert.ok(Array.isArray(c.requirements), `no requirements in ${line}`);
    const perms = (c.requirements ?? []).map(({ action, resources, conditions }) => ({
      action,
      resources: [...resources].sort(),
      ...(conditions ? { conditions } : {}),
    }));
    perms.sort((a, b) => (a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
    // `actions` and `resources`, the stable fields, say the same as the requirements
    const union = (f: (p: Permission) => string[]) => [...new Set(perms.flatMap(f))].sort();
    assert.deepEqual(
      [...(c.actions ?? [])].sort(),
      union((p) => [p.action]),
      line,
    );
    assert.deepEqual(
      [...(c.resources ?? [])].sort(),
      union((p) => p.resources),
      line,
    );
    return perms;
  }

  before(async () => {
    requireTools('moto_server', 'aws');
    moto = await startMoto();
    work = tempDir('mapping');
    env = testEnv(tempDir('mapping-home'));
  });

  beforeEach(async () => {
    await moto.reset();
  });

  after(async () => {
    await moto?.stop();
  });

  it(
    'codebuild start-build --service-role-override: StartBuild on the project, PassRole to CodeBuild',
    TEST,
    async () => {
      const role = `arn:aws:iam::${ACCOUNT}:role/build-role`;
      const r = await run(`
aws iam create-role --role-name build-role --assume-role-policy-document ${q(trustPolicy('codebuild.amazonaws.com'))} >/dev/null
aws codebuild create-project --name p1 --source type=S3,location=src-bucket/src.zip --artifacts type=NO_ARTIFACTS \\
  --environment type=LINUX_CONTAINER,image=aws/codebuild/standard:7.0,computeType=BUILD_GENERAL1_SMALL \\
  --service-role ${role} >/dev/null
aws codebuild start-build --project-name p1 --service-role-override ${role}`);
      assert.deepEqual(permissionsOf(r, 'codebuild', 'StartBuild'), [
        { action: 'codebuild:StartBuild', resources: [`arn:aws:codebuild:${REGION}:${ACCOUNT}:project/p1`] },
        {
          action: 'iam:PassRole',
          resources: [role],
          conditions: { StringEquals: { 'iam:PassedToService': ['codebuild.amazonaws.com'] } },
        },
      ]);
    },
  );

  it('iam add-role-to-instance-profile: the profile, and PassRole of the role to EC2', TEST, async () => {
    const r = await run(`
aws iam create-role --role-name app-role --assume-role-policy-document ${q(trustPolicy('ec2.amazonaws.com'))} >/dev/null
aws iam create-instance-profile --instance-profile-name app-profile >/dev/null
aws iam add-role-to-instance-profile --instance-profile-name app-profile --role-name app-role`);
    // The request names the role by RoleName only; app-role has the default path "/".
    assert.deepEqual(permissionsOf(r, 'iam', 'AddRoleToInstanceProfile'), [
      {
        action: 'iam:AddRoleToInstanceProfile',
        resources: [`arn:aws:iam::${ACCOUNT}:instance-profile/app-profile`],
      },
      {
        action: 'iam:PassRole',
        resources: [`arn:aws:iam::${ACCOUNT}:role/app-role`],
        conditions: { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com'] } },
      },
    ]);
  });

  it('sqs create-queue --tags: CreateQueue and TagQueue on the new queue', TEST, async () => {
    const r = await run('aws sqs create-queue --queue-name jobs --tags env=dev');
    const queue = `arn:aws:sqs:${REGION}:${ACCOUNT}:jobs`;
    assert.deepEqual(permissionsOf(r, 'sqs', 'CreateQueue'), [
      { action: 'sqs:CreateQueue', resources: [queue] },
      { action: 'sqs:TagQueue', resources: [queue] },
    ]);
  });

  it(
    'kms create-key --tags: CreateKey on *, TagResource on the key that does not exist yet',
    TEST,
    async () => {
      const r = await run('aws kms create-key --tags TagKey=env,TagValue=dev');
      // The key id is only known from the response: TagResource goes to every key of the
      // account and region, and the calls log says what was widened.
      assert.deepEqual(permissionsOf(r, 'kms', 'CreateKey'), [
        { action: 'kms:CreateKey', resources: ['*'] },
        { action: 'kms:TagResource', resources: [`arn:aws:kms:${REGION}:${ACCOUNT}:key/*`] },
      ]);
      const line = (r.calls as Logged[]).find((c) => c.operation === 'CreateKey');
      const tag = line?.requirements?.find((p) => p.action === 'kms:TagResource');
      assert.match(tag?.approximate ?? '', /KeyId/, `the wildcard is not flagged: ${JSON.stringify(line)}`);
    },
  );

  it('rds create-db-parameter-group --tags: create and AddTagsToResource on the group', TEST, async () => {
    const r = await run(
      'aws rds create-db-parameter-group --db-parameter-group-name pg1 --db-parameter-group-family postgres16 ' +
        '--description d --tags Key=env,Value=dev',
    );
    const group = `arn:aws:rds:${REGION}:${ACCOUNT}:pg:pg1`;
    assert.deepEqual(permissionsOf(r, 'rds', 'CreateDBParameterGroup'), [
      { action: 'rds:AddTagsToResource', resources: [group] },
      { action: 'rds:CreateDBParameterGroup', resources: [group] },
    ]);
  });

  it(
    'sesv2 list-email-identities (GET /v2/email/identities): ses:ListEmailIdentities on *',
    TEST,
    async () => {
      // SES v1 shares the host and the signing name: its query call must stay SES v1.
      const r = await run('aws sesv2 list-email-identities >/dev/null\naws ses list-identities');
      assert.deepEqual(permissionsOf(r, 'sesv2', 'ListEmailIdentities'), [
        { action: 'ses:ListEmailIdentities', resources: ['*'] },
      ]);
      const v2 = r.calls.find((c) => c.operation === 'ListEmailIdentities');
      assert.equal(
        `${v2?.method} ${v2?.host}${v2?.path?.split('?')[0]}`,
        `GET email.${REGION}.amazonaws.com/v2/email/identities`,
      );
      assert.deepEqual(permissionsOf(r, 'email', 'ListIdentities'), [
        { action: 'ses:ListIdentities', resources: ['*'] },
      ]);
    },
  );

  it('opensearch list-domain-names: es:ListDomainNames on *', TEST, async () => {
    const r = await run('aws opensearch list-domain-names');
    assert.deepEqual(permissionsOf(r, 'opensearch', 'ListDomainNames'), [
      { action: 'es:ListDomainNames', resources: ['*'] },
    ]);
  });
});
