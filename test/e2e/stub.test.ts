/**
 * `--upstream stub`: the embedded default behind `npm run demo`. The bundled SDK v3 demo runs
 * with no moto, no account and no network; every call is answered locally and recorded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertCaptureInvariants,
  callLine,
  exec,
  explain,
  leastprivRun,
  opView,
  type PolicyDocument,
  policyActions,
  ROOT,
  tempDir,
  testEnv,
} from './support.js';

/** A fresh machine: no credentials, no region (the demo falls back to eu-west-1). */
const freshEnv = () =>
  testEnv(tempDir('stub-home'), {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
  });

const SQS_MD5_BUG =
  "product bug: the stub's SendMessage response fails the SDK v3 SQS checksum (InvalidChecksumError): " +
  'the stub must answer MD5OfMessageBody (and MD5OfMessageAttributes) computed from the request';

describe('leastpriv run --upstream stub (the demo)', { timeout: 60_000 }, () => {
  it('runs demo/app.mjs with no emulator: exit 0, every call recorded and the JSON/query ones resolved', async () => {
    const r = await leastprivRun(['node', 'demo/app.mjs'], {
      env: freshEnv(),
      cwd: ROOT,
      timeoutMs: 30_000,
      options: ['--upstream', 'stub'],
    });
    assert.doesNotMatch(r.stderr, /InvalidChecksumError/, SQS_MD5_BUG);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /^account: .+\ndemo workload done\n$/);
    assertCaptureInvariants(r);
    assert.deepEqual(
      r.calls.map(callLine),
      [
        'POST sts.eu-west-1.amazonaws.com/ 200',
        'GET s3.eu-west-1.amazonaws.com/ 200',
        'PUT demo-reports.s3.eu-west-1.amazonaws.com/daily/report.csv 200',
        'GET demo-reports.s3.eu-west-1.amazonaws.com/daily/report.csv 200',
        'POST dynamodb.eu-west-1.amazonaws.com/ 200',
        'POST dynamodb.eu-west-1.amazonaws.com/ 200',
        'POST sqs.eu-west-1.amazonaws.com/ 200',
      ],
      explain(r),
    );
    const view = (host: string, service: string, operation: string) => ({
      host,
      method: 'POST',
      status: 200,
      error: null,
      service,
      operation,
      region: 'eu-west-1',
      unresolved: null,
    });
    assert.deepEqual(
      r.calls.filter((c) => c.service !== 's3').map(opView),
      [
        view('sts.eu-west-1.amazonaws.com', 'sts', 'GetCallerIdentity'),
        view('dynamodb.eu-west-1.amazonaws.com', 'dynamodb', 'ListTables'),
        view('dynamodb.eu-west-1.amazonaws.com', 'dynamodb', 'PutItem'),
        view('sqs.eu-west-1.amazonaws.com', 'sqs', 'SendMessage'),
      ],
      explain(r),
    );
  });

  it('npm run demo prints the policy the demo needed on stdout', async () => {
    const r = await exec('npm', ['run', '--silent', 'demo'], {
      env: freshEnv(),
      cwd: ROOT,
      timeoutMs: 30_000,
    });
    assert.doesNotMatch(r.stderr, /InvalidChecksumError/, SQS_MD5_BUG);
    assert.equal(r.code, 0, explain(r));
    const start = r.stdout.indexOf('\n{');
    assert.ok(start >= 0, `no policy JSON on stdout: ${explain(r)}`);
    const policy = JSON.parse(r.stdout.slice(start + 1)) as PolicyDocument;
    const actions = policyActions(policy);
    for (const a of ['dynamodb:ListTables', 'dynamodb:PutItem', 'sqs:SendMessage']) {
      assert.ok(actions.includes(a), `the demo policy lacks ${a}: ${actions.join(', ')}`);
    }
  });
});
