/**
 * An unmodified AWS SDK for JavaScript v3 program (default settings, no proxy configuration,
 * credentials from the environment) through `leastpriv run`. Node ignores HTTPS_PROXY, so this
 * proves leastpriv's NODE_OPTIONS preload routes the SDK's own agents through the proxy.
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

const BUCKET = 'leastpriv-e2e-sdk-v3';
const QUEUE = 'leastpriv-e2e-sdk-v3-queue';

describe('AWS SDK for JavaScript v3 through leastpriv run', { timeout: 60_000 }, () => {
  let moto: Moto;

  before(async () => {
    requireTools('moto_server');
    moto = await startMoto();
  });

  after(async () => {
    await moto?.stop();
  });

  it('captures every call of a Node program that configures no proxy', async () => {
    const work = tempDir('sdk-v3');
    const up = join(work, 'up.bin');
    const down = join(work, 'down.bin');
    randomFile(up, 6 * 1024 * 1024);
    const r = await leastprivRun([process.execPath, join(FIXTURES, 'sdk-v3.mjs'), BUCKET, QUEUE, up, down], {
      env: testEnv(tempDir('sdk-v3-home')),
      cwd: work,
      timeoutMs: 45_000,
      options: ['--upstream', moto.url],
    });
    assertOk(r, 'the SDK v3 program');

    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(out.account, ACCOUNT);
    assert.deepEqual(out.buckets, [BUCKET]);
    assert.deepEqual(out.tables, []);
    assert.equal((out.queues as string[]).length, 1, r.stdout);
    assert.match(
      (out.queues as string[])[0] ?? '',
      new RegExp(`^https?://sqs\\.us-east-1\\.amazonaws\\.com/${ACCOUNT}/${QUEUE}$`),
    );
    assert.equal(sha256File(down), sha256File(up), 'the downloaded object differs from the uploaded file');

    assertCaptureInvariants(r);
    const s3 = `${BUCKET}.s3.us-east-1.amazonaws.com`;
    assert.deepEqual(
      callLines(r.calls),
      [
        `GET ${s3}/data.bin 200`,
        'GET s3.us-east-1.amazonaws.com/ 200',
        'POST dynamodb.us-east-1.amazonaws.com/ 200',
        'POST sqs.us-east-1.amazonaws.com/ 200',
        'POST sqs.us-east-1.amazonaws.com/ 200',
        'POST sts.us-east-1.amazonaws.com/ 200',
        `PUT ${s3}/ 200`,
        `PUT ${s3}/data.bin 200`,
      ],
      explain(r),
    );
    assert.ok(
      r.calls.every((c) => c.region === 'us-east-1' && c.error === null),
      explain(r),
    );
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
      r.calls.filter((c) => c.service !== 's3').map(opView),
      [
        view('sts.us-east-1.amazonaws.com', 'sts', 'GetCallerIdentity'),
        view('dynamodb.us-east-1.amazonaws.com', 'dynamodb', 'ListTables'),
        view('sqs.us-east-1.amazonaws.com', 'sqs', 'CreateQueue'),
        view('sqs.us-east-1.amazonaws.com', 'sqs', 'ListQueues'),
      ],
      explain(r),
    );
    assertPolicyIncludes(r.policy, ['dynamodb:ListTables', 'sqs:CreateQueue', 'sqs:ListQueues']);
  });
});
