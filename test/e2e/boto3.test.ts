/**
 * boto3 with default settings (no endpoint_url, no verify=) through `leastpriv run`: the
 * program talks to the real AWS host names, leastpriv forwards them to moto (--upstream).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ACCOUNT,
  assertCaptureInvariants,
  assertOk,
  assertPolicyIncludes,
  callLines,
  explain,
  FIXTURES,
  leastprivRun,
  type Moto,
  opView,
  randomFile,
  requireTools,
  sha256File,
  startMoto,
  tempDir,
  testEnv,
} from './support.js';

const BUCKET = 'leastpriv-e2e-boto3';
const QUEUE = 'leastpriv-e2e-boto3-queue';

describe('boto3 through leastpriv run', { timeout: 90_000 }, () => {
  let moto: Moto;

  before(async () => {
    requireTools('moto_server', 'boto3');
    moto = await startMoto();
  });

  after(async () => {
    await moto?.stop();
  });

  it('captures every call of an unmodified boto3 program, a 20 MiB multipart round trip included', async () => {
    const work = tempDir('boto3');
    const up = join(work, 'up.bin');
    const down = join(work, 'down.bin');
    randomFile(up, 20 * 1024 * 1024);
    const r = await leastprivRun(['python3', join(FIXTURES, 'boto3_workload.py'), BUCKET, QUEUE, up, down], {
      env: testEnv(tempDir('boto3-home')),
      cwd: work,
      timeoutMs: 60_000,
      options: ['--upstream', moto.url],
    });
    assertOk(r, 'the boto3 program');

    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(out.account, ACCOUNT);
    assert.deepEqual(out.buckets, [BUCKET]);
    assert.deepEqual(out.tables, []);
    assert.deepEqual(out.roles, []);
    assert.equal((out.queues as string[]).length, 1, r.stdout);
    assert.match(
      (out.queues as string[])[0] ?? '',
      new RegExp(`^https?://sqs\\.us-east-1\\.amazonaws\\.com/${ACCOUNT}/${QUEUE}$`),
    );
    assert.equal(sha256File(down), sha256File(up), 'the downloaded file differs from the uploaded one');

    assertCaptureInvariants(r);
    const s3 = `${BUCKET}.s3.amazonaws.com`;
    // s3transfer: 8 MiB threshold and part size: 3 UploadParts, HeadObject then 3 ranged GETs.
    assert.deepEqual(
      callLines(r.calls),
      [
        `GET ${s3}/data.bin 206`,
        `GET ${s3}/data.bin 206`,
        `GET ${s3}/data.bin 206`,
        'GET s3.amazonaws.com/ 200',
        `HEAD ${s3}/data.bin 200`,
        'POST dynamodb.us-east-1.amazonaws.com/ 200',
        'POST iam.amazonaws.com/ 200',
        `POST ${s3}/data.bin 200`,
        `POST ${s3}/data.bin 200`,
        'POST sqs.us-east-1.amazonaws.com/ 200',
        'POST sqs.us-east-1.amazonaws.com/ 200',
        'POST sts.us-east-1.amazonaws.com/ 200',
        `PUT ${s3}/ 200`,
        `PUT ${s3}/data.bin 200`,
        `PUT ${s3}/data.bin 200`,
        `PUT ${s3}/data.bin 200`,
      ],
      explain(r),
    );
    assert.ok(
      r.calls.every((c) => c.region === 'us-east-1' && c.error === null),
      explain(r),
    );

    const resolved = r.calls.filter((c) => c.service !== 's3').map(opView);
    const view = (host: string, service: string, operation: string) => ({
      host,
      method: 'POST',
      status: 200,
      error: null,
      service,
      operation,
      region: 'us-east-1',
      unresolved: null,
    });
    assert.deepEqual(
      resolved,
      [
        view('sts.us-east-1.amazonaws.com', 'sts', 'GetCallerIdentity'),
        view('dynamodb.us-east-1.amazonaws.com', 'dynamodb', 'ListTables'),
        view('iam.amazonaws.com', 'iam', 'ListRoles'),
        view('sqs.us-east-1.amazonaws.com', 'sqs', 'CreateQueue'),
        view('sqs.us-east-1.amazonaws.com', 'sqs', 'ListQueues'),
      ],
      explain(r),
    );
    assertPolicyIncludes(r.policy, [
      'dynamodb:ListTables',
      'iam:ListRoles',
      'sqs:CreateQueue',
      'sqs:ListQueues',
    ]);
  });
});
