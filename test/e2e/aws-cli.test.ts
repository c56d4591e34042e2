/**
 * The AWS CLI (v1) through `leastpriv run`, with no --endpoint-url: the CLI talks to the real
 * AWS host names, leastpriv intercepts them and forwards to a local moto_server (--upstream).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ACCESS_KEY_ID,
  ACCOUNT,
  assertCaptureInvariants,
  assertOk,
  assertPolicyIncludes,
  callLines,
  callsOf,
  explain,
  leastprivRun,
  type Moto,
  opView,
  type RunResult,
  randomFile,
  requireTools,
  sha256File,
  startMoto,
  tempDir,
  testEnv,
} from './support.js';

const BUCKET = 'leastpriv-e2e-cli';
const SIZE = 20 * 1024 * 1024;
const QUEUE = 'leastpriv-e2e-queue';

describe('AWS CLI through leastpriv run', { timeout: 120_000 }, () => {
  let moto: Moto;
  let work: string;
  let env: NodeJS.ProcessEnv;

  const aws = (args: string[], options: string[] = []): Promise<RunResult> =>
    leastprivRun(['aws', ...args], {
      env,
      cwd: work,
      timeoutMs: 60_000,
      options: ['--upstream', moto.url, ...options],
    });

  before(async () => {
    requireTools('moto_server', 'aws');
    moto = await startMoto();
    work = tempDir('cli');
    env = testEnv(tempDir('cli-home'));
  });

  after(async () => {
    await moto?.stop();
  });

  it('s3 mb: one PUT to the virtual-hosted bucket host', async () => {
    const r = await aws(['s3', 'mb', `s3://${BUCKET}`]);
    assertOk(r);
    assert.equal(r.stdout, `make_bucket: ${BUCKET}\n`);
    assertCaptureInvariants(r);
    assert.deepEqual(callLines(r.calls), [`PUT ${BUCKET}.s3.amazonaws.com/ 200`], explain(r));
    assert.deepEqual(
      r.calls.map((c) => [c.service, c.region]),
      [['s3', 'us-east-1']],
    );
  });

  it('s3 cp of 20 MiB up (multipart) and down (ranged GETs) is byte-identical', async () => {
    const up = join(work, 'big.bin');
    const down = join(work, 'big.down');
    randomFile(up, SIZE);
    const r = await leastprivRun(
      [
        'sh',
        '-c',
        `aws s3 cp --no-progress big.bin s3://${BUCKET}/big.bin && aws s3 cp --no-progress s3://${BUCKET}/big.bin big.down`,
      ],
      { env, cwd: work, timeoutMs: 60_000, options: ['--upstream', moto.url] },
    );
    assertOk(r);
    assert.equal(
      r.stdout,
      `upload: ./big.bin to s3://${BUCKET}/big.bin\ndownload: s3://${BUCKET}/big.bin to ./big.down\n`,
    );
    assert.equal(sha256File(down), sha256File(up), 'the downloaded file differs from the uploaded one');
    assertCaptureInvariants(r);
    // CLI v1 defaults: 8 MiB threshold and part size, so 20 MiB = 3 parts (8 + 8 + 4) and
    // 3 ranged GETs; CreateMultipartUpload and CompleteMultipartUpload are POSTs; HeadObject first.
    const host = `${BUCKET}.s3.amazonaws.com`;
    assert.deepEqual(
      callLines(r.calls),
      [
        `GET ${host}/big.bin 206`,
        `GET ${host}/big.bin 206`,
        `GET ${host}/big.bin 206`,
        `HEAD ${host}/big.bin 200`,
        `POST ${host}/big.bin 200`,
        `POST ${host}/big.bin 200`,
        `PUT ${host}/big.bin 200`,
        `PUT ${host}/big.bin 200`,
        `PUT ${host}/big.bin 200`,
      ],
      explain(r),
    );
    assert.ok(
      r.calls.every((c) => c.service === 's3' && c.region === 'us-east-1' && c.error === null),
      explain(r),
    );
  });

  it('s3 ls: one GET to the global S3 host', async () => {
    const r = await aws(['s3', 'ls']);
    assertOk(r);
    assert.match(r.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ${BUCKET}\\n$`));
    assertCaptureInvariants(r);
    assert.deepEqual(callLines(r.calls), ['GET s3.amazonaws.com/ 200'], explain(r));
  });

  it('sts get-caller-identity: moto answers, the call resolves to sts GetCallerIdentity', async () => {
    const r = await aws(['sts', 'get-caller-identity']);
    assertOk(r);
    assert.deepEqual(JSON.parse(r.stdout), {
      UserId: ACCESS_KEY_ID,
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:user/moto`,
    });
    assertCaptureInvariants(r);
    assert.deepEqual(r.calls.map(opView), [
      {
        host: 'sts.us-east-1.amazonaws.com',
        method: 'POST',
        status: 200,
        error: null,
        service: 'sts',
        operation: 'GetCallerIdentity',
        region: 'us-east-1',
        unresolved: null,
      },
    ]);
    assert.equal(r.calls[0]?.path, '/');
    // No action asserted: GetCallerIdentity needs no permission (the authorize stage decides).
  });

  it('dynamodb list-tables and a failing describe-table: status, error code and exit code', async () => {
    const ok = await aws(['dynamodb', 'list-tables']);
    assertOk(ok);
    assert.deepEqual(JSON.parse(ok.stdout), { TableNames: [] });
    assertCaptureInvariants(ok);
    assert.deepEqual(ok.calls.map(opView), [
      {
        host: 'dynamodb.us-east-1.amazonaws.com',
        method: 'POST',
        status: 200,
        error: null,
        service: 'dynamodb',
        operation: 'ListTables',
        region: 'us-east-1',
        unresolved: null,
      },
    ]);
    assert.deepEqual(ok.calls[0]?.actions, ['dynamodb:ListTables']);

    // leastpriv exits with the command's own code (CLI v1: 255 for a service error).
    const bad = await aws(['dynamodb', 'describe-table', '--table-name', 'no-such-table']);
    assert.equal(bad.code, 255, explain(bad));
    assert.match(bad.stderr, /ResourceNotFoundException/);
    assertCaptureInvariants(bad);
    assert.deepEqual(bad.calls.map(opView), [
      {
        host: 'dynamodb.us-east-1.amazonaws.com',
        method: 'POST',
        status: 400,
        error: 'ResourceNotFoundException',
        service: 'dynamodb',
        operation: 'DescribeTable',
        region: 'us-east-1',
        unresolved: null,
      },
    ]);
  });

  it('iam list-roles: the global IAM host, region us-east-1', async () => {
    const r = await aws(['iam', 'list-roles']);
    assertOk(r);
    assert.deepEqual(JSON.parse(r.stdout), { Roles: [] });
    assertCaptureInvariants(r);
    assert.deepEqual(r.calls.map(opView), [
      {
        host: 'iam.amazonaws.com',
        method: 'POST',
        status: 200,
        error: null,
        service: 'iam',
        operation: 'ListRoles',
        region: 'us-east-1',
        unresolved: null,
      },
    ]);
    assert.deepEqual(r.calls[0]?.actions, ['iam:ListRoles']);
  });

  it('sqs create-queue and list-queues: CLI v1 sends us-east-1 SQS to queue.amazonaws.com', async () => {
    const r = await leastprivRun(
      ['sh', '-c', `aws sqs create-queue --queue-name ${QUEUE} >/dev/null && aws sqs list-queues`],
      { env, cwd: work, timeoutMs: 60_000, options: ['--upstream', moto.url] },
    );
    assertOk(r);
    const listed = JSON.parse(r.stdout) as { QueueUrls: string[] };
    assert.equal(listed.QueueUrls.length, 1, r.stdout);
    assert.match(
      listed.QueueUrls[0] ?? '',
      new RegExp(`^https?://queue\\.amazonaws\\.com/${ACCOUNT}/${QUEUE}$`),
    );
    assertCaptureInvariants(r);
    const view = (operation: string) => ({
      host: 'queue.amazonaws.com',
      method: 'POST',
      status: 200,
      error: null,
      service: 'sqs',
      operation,
      region: 'us-east-1',
      unresolved: null,
    });
    assert.deepEqual(r.calls.map(opView), [view('CreateQueue'), view('ListQueues')], explain(r));
    assert.deepEqual(callsOf(r.calls, 'sqs', 'ListQueues')[0]?.actions, ['sqs:ListQueues']);
    assertPolicyIncludes(r.policy, ['sqs:CreateQueue', 'sqs:ListQueues']);
  });

  it('secrets from responses and the session token never reach the calls log or the policy', async () => {
    const made = await leastprivRun(
      [
        'sh',
        '-c',
        'aws iam create-user --user-name leastpriv-e2e-user >/dev/null && aws iam create-access-key --user-name leastpriv-e2e-user && aws sts get-session-token',
      ],
      { env, cwd: work, timeoutMs: 60_000, options: ['--upstream', moto.url] },
    );
    assertOk(made);
    const [key, session] = made.stdout
      .replace(/\}\s*\{/, '}\u0000{')
      .split('\u0000')
      .map((part) => JSON.parse(part) as Record<string, Record<string, string>>);
    const newSecret = key?.AccessKey?.SecretAccessKey ?? '';
    const token = session?.Credentials?.SessionToken ?? '';
    assert.match(newSecret, /^\S{20,}$/, made.stdout);
    assert.match(token, /^\S{20,}$/, made.stdout);
    assertCaptureInvariants(made);
    assert.deepEqual(
      made.calls.map((c) => c.operation),
      ['CreateUser', 'CreateAccessKey', 'GetSessionToken'],
    );

    // A call signed with temporary credentials carries X-Amz-Security-Token.
    const withToken = await leastprivRun(['aws', 'dynamodb', 'list-tables'], {
      env: { ...env, AWS_SESSION_TOKEN: token },
      cwd: work,
      timeoutMs: 60_000,
      options: ['--upstream', moto.url],
    });
    assertOk(withToken);
    assertCaptureInvariants(withToken);
    assert.deepEqual(
      withToken.calls.map((c) => c.operation),
      ['ListTables'],
    );
    for (const r of [made, withToken]) {
      const written = `${r.callsText}\n${JSON.stringify(r.policy)}`;
      assert.ok(!written.includes(newSecret), 'a secret access key from a response body was written');
      assert.ok(!written.includes(token), 'a session token was written');
      assert.ok(!r.stderr.includes(token) && !r.stderr.includes(newSecret), 'a secret reached the summary');
    }
  });
});
