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
 *
 * The AWS CLI's ~40 commands run in one Python process (`AWS_CLI_BATCH`): each `aws` start-up
 * (pyenv shim, Python, importing awscli and botocore) cost about a second, 50-60 s of the whole
 * file on a loaded 2-core machine. The commands are still exactly aws-cli-all.sh's, in order,
 * each run by its own fresh `awscli.clidriver.create_clidriver().main(argv)` (what the `aws`
 * entry point does), so the requests are the CLI's own. aws-cli.test.ts runs the `aws`
 * executable itself, one process per command.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ACCOUNT,
  assertCaptureInvariants,
  exec,
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

/**
 * Lists aws-cli-all.sh's commands without running them: `aws` is a shell function that appends
 * its argument count and arguments, NUL-separated, to the file $AWS_ARGV (the script's other
 * lines, such as writing small.txt, run as they are).
 */
const RECORD_CLI_COMMANDS = 'aws() { printf "%s\\0" "$#" "$@" >> "$AWS_ARGV"; }; . "$0"';

/** Runs the recorded commands in order in one Python process; stops at the first failure. */
const AWS_CLI_BATCH = `import os, sys
if os.environ.get('LC_CTYPE', '') == 'UTF-8':
    os.environ['LC_CTYPE'] = 'en_US.UTF-8'
from awscli.clidriver import create_clidriver
fields = open(sys.argv[1], 'rb').read().decode().split('\\0')[:-1]
i = 0
while i < len(fields):
    n = int(fields[i])
    argv = fields[i + 1 : i + 1 + n]
    i += 1 + n
    sys.stdout.flush()
    rc = create_clidriver().main(argv)
    if rc != 0:
        sys.stderr.write('aws %s: exit %s\\n' % (' '.join(argv), rc))
        sys.exit(rc)
`;

/** The AWS CLI commands of aws-cli-all.sh as one `leastpriv run` command; prepares `cwd`. */
async function cliBatch(cwd: string, prefix: string): Promise<string[]> {
  const argvFile = join(cwd, 'aws-argv.bin');
  const driver = join(cwd, 'aws-batch.py');
  writeFileSync(argvFile, '');
  writeFileSync(driver, AWS_CLI_BATCH);
  const listed = await exec('sh', ['-c', RECORD_CLI_COMMANDS, join(DIR, 'aws-cli-all.sh'), prefix, ACCOUNT], {
    env: { ...process.env, AWS_ARGV: argvFile },
    cwd,
    timeoutMs: 30_000,
  });
  assert.equal(listed.code, 0, `listing the commands of aws-cli-all.sh failed: ${listed.stderr}`);
  return ['python3', driver, argvFile];
}

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

// Measured on a 2-core machine: the AWS CLI run 19 s (34 s with one process per command), the
// whole file 27 s; 28 s and 42 s with both cores busy. Budgets: three times that.
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
      cwd = tempDir(name),
    ): Promise<RunResult> =>
      leastprivRun(command, {
        env: testEnv(tempDir(`${name}-home`), extraEnv),
        cwd,
        timeoutMs: 90_000,
        options: ['--upstream', moto.url],
      });
    // All four at once against one moto (distinct names): the AWS CLI dominates the wall time.
    const cliDir = tempDir('all-cli');
    runs.cli = cliBatch(cliDir, 'lp-all-cli').then((command) => run(command, 'all-cli', {}, cliDir));
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
