/** generate, check, diff and lint as a user runs them, on the fixtures under test/fixtures/policy. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/policy/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'leastpriv-cli-policy-'));
after(() => rmSync(work, { recursive: true, force: true }));

function leastpriv(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: FIXTURES,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CALLS = ['calls.ndjson', 'calls-2.ndjson'];

describe('cli/generate', () => {
  it('merges several calls logs into one policy, the same whatever their order', () => {
    const a = leastpriv('generate', ...CALLS, '-q');
    const b = leastpriv('generate', ...[...CALLS].reverse(), '-q');
    assert.equal(a.code, 0, a.stderr);
    const policy = JSON.parse(a.stdout);
    assert.deepEqual(
      policy.Statement.map((s: { Sid: string }) => s.Sid),
      [
        'DynamoDBWriteOrdersTable',
        'EC2Read',
        'IAMWriteAppRole',
        'LambdaWriteAppFunction',
        'S3ReadArtifactsBucket',
        'S3ReadObjects',
        'SQSWriteJobsQueue',
      ],
    );
    assert.deepEqual(JSON.parse(b.stdout), policy);
  });

  it('writes each format to -o, and the summary and --explain to stderr', () => {
    for (const [format, pattern] of [
      ['terraform', /data "aws_iam_policy_document" "leastpriv"/],
      ['cloudformation', /Type: AWS::IAM::ManagedPolicy/],
      ['markdown', /- \*\*Needed by:\*\* 2 calls: `GetObject` → `s3:GetObject` ×2/],
    ] as const) {
      const out = join(work, `policy.${format}`);
      const r = leastpriv('generate', ...CALLS, '-f', format, '-o', out, '--explain');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(readFileSync(out, 'utf8'), pattern);
      assert.match(r.stderr, /leastpriv: 9 calls to 7 services/);
      assert.match(r.stderr, /unresolved: 1 × unknown-service/);
      assert.match(r.stderr, /S3ReadObjects: 2 calls/);
    }
  });

  it('--wildcard-resources puts every statement on "*"', () => {
    const r = leastpriv('generate', 'calls.ndjson', '--wildcard-resources', '-q');
    const resources = JSON.parse(r.stdout).Statement.map((s: { Resource: string }) => s.Resource);
    assert.ok(resources.every((x: string) => x === '*'));
  });

  it('names the file and line of a bad record (exit 2)', () => {
    const r = leastpriv('generate', 'bad-line.ndjson');
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "leastpriv: bad-line.ndjson:2: status must be an HTTP status code (100 to 599) or null; is this a calls log written by 'leastpriv --calls'?\n",
    );
    const missing = leastpriv('generate', 'nope.ndjson');
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr,
      'leastpriv: cannot read calls log nope.ndjson: no such file; check the path\n',
    );
  });
});

describe('cli/check', () => {
  it('exits 0 when the generated policy allows every call', () => {
    const out = join(work, 'generated.json');
    assert.equal(leastpriv('generate', ...CALLS, '-o', out, '-q').code, 0);
    const r = leastpriv('check', out, ...CALLS);
    assert.equal(r.code, 0, r.stdout);
    assert.match(
      r.stdout,
      /^8 permissions of 9 calls checked: 8 allowed, 0 denied\ncalls skipped: 1 unresolved \(not checked\), 1 needing no permission\n$/,
    );
  });

  it('exits 1 listing each denied call and the statement that would allow it', () => {
    const r = leastpriv('check', 'policy.json', ...CALLS);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /denied: call 4 lambda:CreateFunction at 2026-11-21T18:00:03.000Z needs lambda:CreateFunction on arn:aws:lambda:us-east-1:123456789012:function:app\n {2}no statement allows it; this one would:\n {2}\{\n {4}"Sid": "LambdaWriteAppFunction",/,
    );
    assert.match(r.stdout, /denied: call 8 sqs:SendMessage/);
    const json = JSON.parse(leastpriv('check', 'policy.json', ...CALLS, '-f', 'json').stdout);
    assert.deepEqual(
      json.denied.map((d: { action: string }) => d.action),
      ['lambda:CreateFunction', 'sqs:SendMessage'],
    );
    assert.deepEqual(json.denied[1].statements, [
      {
        Sid: 'SQSWriteJobsQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: 'arn:aws:sqs:us-east-1:123456789012:jobs',
      },
    ]);
  });

  it('reads Terraform and CloudFormation policies', () => {
    const tf = leastpriv('check', 'policy.tf', ...CALLS);
    assert.equal(tf.code, 1);
    assert.match(tf.stdout, /7 allowed, 1 denied/);
    assert.match(tf.stderr, /note: policy.tf:\d+ data.aws_iam_policy_document.trust: names principals/);
    const cfn = leastpriv('check', 'template.yaml', ...CALLS);
    assert.equal(cfn.code, 0, cfn.stdout);
  });

  it('an explicit Deny is named, and --context supplies condition keys', () => {
    const r = leastpriv('check', 'deny-unless-ci.json', 'calls-2.ndjson');
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /needs sqs:SendMessage on arn:aws:sqs:us-east-1:123456789012:jobs\n {2}explicitly denied by OnlyCi in deny-unless-ci.json: an Allow cannot override it\n/,
    );
    assert.equal(
      leastpriv('check', 'deny-unless-ci.json', 'calls-2.ndjson', '--context', 'aws:username=ci').code,
      0,
    );
    const bad = leastpriv('check', 'policy.json', 'calls.ndjson', '--context', 'nokey');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--context 'nokey' must be KEY=VALUE/);
  });

  it('bad input is exit 2 with one line', () => {
    const r = leastpriv('check', 'calls.ndjson', 'calls.ndjson');
    assert.equal(r.code, 2);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
  });
});

describe('cli/diff', () => {
  it('reports missing, unused and over-broad; exits 1 on missing by default', () => {
    const r = leastpriv('diff', 'policy.json', ...CALLS);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^8 permissions checked: 2 missing, 2 unused, 2 over-broad\n/);
    assert.match(
      r.stdout,
      /unused:\n {2}Orders: Action dynamodb:DeleteItem\n {2}Logs: the whole statement: logs:PutLogEvents\n/,
    );
    assert.match(r.stdout, /S3: s3:\* grants \d+ actions; the calls used s3:GetObject, s3:ListBucket/);
  });

  it('--fail-on picks what fails; JSON and Markdown reports', () => {
    assert.equal(leastpriv('diff', 'template.yaml', ...CALLS, '-q').code, 0);
    assert.equal(
      leastpriv('diff', 'template.yaml', ...CALLS, '-q', '--fail-on', 'unused,over-broad').code,
      1,
    );
    assert.equal(leastpriv('diff', 'policy.json', ...CALLS, '--fail-on', 'none').code, 0);
    assert.equal(leastpriv('diff', 'policy.json', ...CALLS, '--fail-on', 'sometimes').code, 2);
    const json = JSON.parse(leastpriv('diff', 'policy.json', ...CALLS, '-f', 'json').stdout);
    assert.deepEqual(Object.keys(json), ['missing', 'unused', 'overBroad', 'checked']);
    assert.deepEqual(json.unused[1], {
      statement: 'Logs',
      kind: 'statement',
      entry: null,
      actions: ['logs:PutLogEvents'],
    });
    const md = leastpriv('diff', 'policy.json', ...CALLS, '-f', 'markdown').stdout;
    assert.match(md, /### Missing\n\n\| Action \| Resources \| Needed by \|/);
  });
});

describe('cli/lint', () => {
  it('exits 0 on a clean policy and on the policy leastpriv generates', () => {
    assert.equal(leastpriv('lint', 'policy.json').code, 0);
    assert.equal(leastpriv('lint', join(work, 'generated.json')).code, 0);
  });

  it('finds the mistakes a reviewer would catch (exit 1)', () => {
    const r = leastpriv('lint', 'lint-mistakes.json', '-f', 'json');
    assert.equal(r.code, 1);
    const rules = JSON.parse(r.stdout).map((f: { where: string; rule: string }) => `${f.where} ${f.rule}`);
    assert.deepEqual(rules, [
      'lint-mistakes.json List resource-type-mismatch',
      'lint-mistakes.json Typo unknown-action',
      'lint-mistakes.json Typo unknown-action',
      'lint-mistakes.json Star star-resource',
      'lint-mistakes.json Describe no-resource-level',
      'lint-mistakes.json Everything-else bad-sid',
      'lint-mistakes.json Everything-else not-action',
      'lint-mistakes.json Star bad-sid',
      'lint-mistakes.json Star not-resource',
      'lint-mistakes.json Star unknown-operator',
    ]);
    const text = leastpriv('lint', 'lint-mistakes.json').stdout;
    assert.match(
      text,
      /error: lint-mistakes.json List: s3:ListBucket needs a resource of type accesspoint or bucket, and arn:aws:s3:::artifacts\/\* is not one \[resource-type-mismatch\]/,
    );
  });

  it('reports a policy over the managed policy size limit', () => {
    const resources = Array.from({ length: 300 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`);
    const big = join(work, 'big.json');
    const doc = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resources }],
    };
    writeFileSync(big, JSON.stringify(doc));
    const r = leastpriv('lint', big);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /error: \S*big\.json: \d+ characters without whitespace: over the 6144 of a managed policy/,
    );
  });
});
