/**
 * Issue 3, end to end: every call that real clients make through `leastpriv run` resolves.
 * The AWS CLI, boto3 and SDK v3 call ~20 services over every protocol they speak (query, ec2,
 * json 1.0/1.1, Smithy RPCv2 CBOR, rest-json, rest-xml), against the real AWS host names,
 * forwarded to one moto_server (--upstream). Each program is sequential and never retries, so
 * the calls log must hold exactly the expected (service, operation) sequence, each record with
 * `unresolved: null`.
 *
 * `service` is the endpoint prefix the project's resolver names (`monitoring` for CloudWatch,
 * `states` for Step Functions), as in test/cases/resolve.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ACCOUNT,
  assertCaptureInvariants,
  explain,
  FIXTURES,
  leastprivRun,
  type Moto,
  type RunResult,
  requireTools,
  startMoto,
  tempDir,
  testEnv,
} from './support.js';

const DIR = join(FIXTURES, 'resolve-all');

/** `service Operation` for each call, in order. */
function sequence(r: RunResult): string[] {
  return r.calls.map((c) => `${c.service} ${c.operation}`);
}

/** `s3 CreateBucket` lines from a compact list, one service per entry. */
function ops(...groups: [string, ...string[]][]): string[] {
  return groups.flatMap(([service, ...operations]) => operations.map((op) => `${service} ${op}`));
}

const CLI_EXPECTED = ops(
  ['sts', 'GetCallerIdentity'],
  [
    's3',
    'CreateBucket',
    'PutObject',
    'ListObjectsV2',
    'PutObjectTagging',
    'GetObject',
    'HeadObject',
    'DeleteObject',
  ],
  ['dynamodb', 'CreateTable', 'PutItem', 'GetItem', 'ListTables'],
  ['iam', 'CreateRole', 'ListRoles'],
  ['sqs', 'CreateQueue', 'SendMessage', 'ListQueues'],
  ['sns', 'CreateTopic', 'Publish'],
  ['lambda', 'ListFunctions'],
  ['kms', 'CreateKey', 'ListKeys'],
  ['secretsmanager', 'CreateSecret', 'GetSecretValue'],
  ['ssm', 'PutParameter', 'GetParameter'],
  ['logs', 'CreateLogGroup', 'DescribeLogGroups'],
  ['monitoring', 'PutMetricData', 'ListMetrics'],
  ['events', 'ListRules'],
  ['ec2', 'DescribeVpcs'],
  ['ecr', 'CreateRepository'],
  ['route53', 'ListHostedZones'],
  ['cloudformation', 'ListStacks'],
  ['states', 'ListStateMachines'],
  ['kinesis', 'ListStreams'],
);

const BOTO3_EXPECTED = ops(
  ['sts', 'GetCallerIdentity'],
  [
    's3',
    'CreateBucket',
    'PutObject',
    'HeadObject',
    'CopyObject',
    'ListObjectsV2',
    'GetObject',
    'PutBucketTagging',
    'GetBucketTagging',
    'GetBucketLocation',
    'DeleteObjects',
  ],
  ['dynamodb', 'CreateTable', 'PutItem', 'Query', 'BatchWriteItem', 'DescribeTable'],
  ['sqs', 'CreateQueue', 'SendMessageBatch', 'ReceiveMessage', 'GetQueueAttributes'],
  ['sns', 'CreateTopic', 'Publish', 'ListTopics'],
  ['iam', 'CreateUser', 'GetUser', 'ListUsers'],
  ['ec2', 'DescribeVpcs', 'DescribeInstances'],
  ['kms', 'CreateKey', 'Encrypt', 'Decrypt'],
  ['logs', 'CreateLogGroup', 'CreateLogStream', 'PutLogEvents'],
  ['monitoring', 'PutMetricData', 'ListMetrics', 'DescribeAlarms'],
  ['lambda', 'ListFunctions'],
  ['apigateway', 'CreateRestApi', 'GetResources'],
  ['route53', 'CreateHostedZone', 'ListResourceRecordSets'],
  ['ssm', 'PutParameter', 'GetParametersByPath'],
  ['secretsmanager', 'CreateSecret', 'DescribeSecret'],
  ['kinesis', 'CreateStream', 'DescribeStreamSummary'],
  ['events', 'PutEvents', 'ListEventBuses'],
  ['states', 'ListStateMachines'],
  ['ecr', 'DescribeRepositories'],
);

const SDK_V3_EXPECTED = ops(
  ['sts', 'GetCallerIdentity'],
  [
    's3',
    'CreateBucket',
    'HeadBucket',
    'PutBucketVersioning',
    'PutObject',
    'PutObject',
    'ListObjectsV2',
    'GetObject',
    'DeleteObject',
    'DeleteObjects',
  ],
  ['dynamodb', 'CreateTable', 'PutItem', 'UpdateItem', 'GetItem'],
  ['sqs', 'CreateQueue', 'SendMessage', 'ReceiveMessage', 'DeleteMessageBatch'],
  ['sns', 'CreateTopic', 'ListSubscriptionsByTopic'],
  ['iam', 'CreateRole', 'GetRole'],
  ['ec2', 'DescribeSecurityGroups'],
  ['kms', 'CreateKey', 'DescribeKey'],
  ['logs', 'CreateLogGroup', 'DescribeLogGroups'],
  ['ssm', 'PutParameter', 'GetParameter'],
  ['secretsmanager', 'CreateSecret', 'GetSecretValue'],
  ['monitoring', 'PutMetricData', 'ListMetrics'],
  ['lambda', 'ListFunctions'],
  ['route53', 'ListHostedZones'],
  ['events', 'ListRules'],
  ['states', 'ListStateMachines'],
  ['ecr', 'CreateRepository', 'DescribeRepositories'],
);

/** Calls that need no IAM permission at all (the SAR has no action for them). */
const PERMISSIONLESS = new Set(['sts GetCallerIdentity']);

/** Every record resolved, succeeded, in us-east-1 and moto's account, in exactly this order. */
function assertAllResolved(r: RunResult, expected: string[]): void {
  assert.equal(r.code, 0, `the program failed: ${explain(r)}`);
  assertCaptureInvariants(r);
  const bad = r.calls
    .filter((c) => c.unresolved !== null || c.operation === null || c.service === null)
    .map((c) => JSON.stringify(c));
  assert.deepEqual(bad, [], `unresolved calls:\n${bad.join('\n')}`);
  assert.deepEqual(sequence(r), expected, explain(r));
  for (const c of r.calls) {
    const line = JSON.stringify(c);
    assert.equal(c.region, 'us-east-1', line);
    assert.ok((c.status ?? 0) >= 200 && (c.status ?? 0) < 300, `not a success: ${line}`);
    assert.equal(c.error, null, line);
    // Each program asks STS first: every later call knows moto's account.
    assert.equal(c.account, ACCOUNT, line);
  }
}

describe('every call of the AWS CLI, boto3 and SDK v3 through leastpriv run resolves', {
  timeout: 120_000,
}, () => {
  let moto: Moto;
  const runs: Record<'cli' | 'boto3' | 'sdk' | 'http2', Promise<RunResult>> = {} as never;

  before(async () => {
    requireTools('moto_server', 'aws', 'boto3');
    moto = await startMoto();
    const run = (
      command: string[],
      name: string,
      extraEnv: Record<string, string> = {},
    ): Promise<RunResult> =>
      leastprivRun(command, {
        env: testEnv(tempDir(`${name}-home`), extraEnv),
        cwd: tempDir(name),
        timeoutMs: 90_000,
        options: ['--upstream', moto.url],
      });
    // All four at once against one moto (distinct names): the AWS CLI dominates the wall time.
    runs.cli = run(['sh', join(DIR, 'aws-cli-all.sh'), 'lp-all-cli', ACCOUNT], 'all-cli');
    runs.boto3 = run(['python3', join(DIR, 'boto3_all.py'), 'lp-all-boto3'], 'all-boto3');
    runs.sdk = run([process.execPath, '--no-warnings', join(DIR, 'sdk-v3-all.mjs'), 'lp-all-v3'], 'all-v3');
    runs.http2 = run([process.execPath, '--no-warnings', join(DIR, 'sdk-v3-http2.mjs')], 'all-h2', {
      // Fail fast rather than retry for long when the call escapes the proxy.
      AWS_MAX_ATTEMPTS: '1',
    });
    // Awaited in the tests; a rejection before that must not count as unhandled.
    for (const p of Object.values(runs)) p.catch(() => undefined);
  });

  after(async () => {
    await Promise.allSettled(Object.values(runs));
    await moto?.stop();
  });

  it(`AWS CLI v1: ${CLI_EXPECTED.length} calls over query, json, CBOR, rest-json and rest-xml, all resolved, in order`, async () => {
    assertAllResolved(await runs.cli, CLI_EXPECTED);
  });

  it(`boto3: ${BOTO3_EXPECTED.length} calls, all resolved, in order`, async () => {
    const r = await runs.boto3;
    assertAllResolved(r, BOTO3_EXPECTED);
    assert.deepEqual(JSON.parse(r.stdout), {
      account: ACCOUNT,
      keys: ['docs/a.txt', 'docs/b.txt'],
    });
  });

  it(`SDK for JavaScript v3: ${SDK_V3_EXPECTED.length} calls, all resolved, in order`, async () => {
    const r = await runs.sdk;
    assertAllResolved(r, SDK_V3_EXPECTED);
    assert.deepEqual(JSON.parse(r.stdout), {
      account: ACCOUNT,
      keys: ['logs/1.txt', 'logs/2.txt'],
      body: 'one',
    });
  });

  it('SDK v3 clients that speak HTTP/2 (Kinesis) go through the proxy too', async () => {
    const r = await runs.http2;
    assert.equal(
      r.code,
      0,
      'product bug: @aws-sdk/client-kinesis connects with http2.connect(), which calls ' +
        'tls.connect(port, host, options); the NODE_OPTIONS preload only reroutes ' +
        `tls.connect(options), so the call escapes the proxy: ${explain(r)}`,
    );
    assert.deepEqual(JSON.parse(r.stdout), { streams: [] });
    assertCaptureInvariants(r);
    assert.deepEqual(sequence(r), ['kinesis ListStreams'], explain(r));
    assert.equal(r.calls[0]?.unresolved, null);
  });

  it('every resolved call names the IAM actions it needs (only GetCallerIdentity needs none)', async () => {
    const all = [await runs.cli, await runs.boto3, await runs.sdk].flatMap((r) => r.calls);
    assert.ok(all.length >= 120, `only ${all.length} calls`);
    const unmapped = all
      .filter((c) => !PERMISSIONLESS.has(`${c.service} ${c.operation}`))
      .filter((c) => !c.actions || c.actions.length === 0 || !c.resources || c.resources.length === 0)
      .map(
        (c) =>
          `${c.service} ${c.operation} ${c.method} ${c.host}${c.path}: actions ${JSON.stringify(c.actions)}`,
      );
    assert.deepEqual(
      unmapped,
      [],
      'calls that resolved but map to no action (reported as "no permission needed", so the ' +
        'policy silently lacks them)',
    );
    for (const c of all.filter((x) => PERMISSIONLESS.has(`${x.service} ${x.operation}`))) {
      assert.deepEqual(c.actions, [], JSON.stringify(c));
    }
  });
});
