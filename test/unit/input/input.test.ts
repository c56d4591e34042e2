// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables and Terraform interpolations are written ${...}
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseCallsLog, parseHcl, parsePolicyInput, recordNeeds } from '../../../src/input/index.js';

const FIXTURES = new URL('../../../../test/fixtures/policy/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

describe('input/calls-log', () => {
  it('reads every record and what each needed', () => {
    const r = parseCallsLog(fixture('calls.ndjson'), 'calls.ndjson');
    assert.ok(r.ok);
    assert.equal(r.value.length, 7);
    assert.deepEqual(recordNeeds(r.value[3] as never), [
      {
        action: 'lambda:CreateFunction',
        resources: ['arn:aws:lambda:us-east-1:123456789012:function:app'],
        conditions: null,
      },
      {
        action: 'iam:PassRole',
        resources: ['arn:aws:iam::123456789012:role/app'],
        conditions: { StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com'] } },
      },
    ]);
    assert.deepEqual(recordNeeds(r.value[6] as never), [], 'unresolved');
  });

  it('names the file and line of a bad record', () => {
    assert.deepEqual(parseCallsLog(fixture('bad-line.ndjson'), 'x.ndjson'), {
      ok: false,
      error:
        "x.ndjson:2: status must be an HTTP status code (100 to 599) or null; is this a calls log written by 'leastpriv --calls'?",
    });
    const notJson = parseCallsLog('\n{"time":\n', 'y.ndjson');
    assert.ok(!notJson.ok && notJson.error.startsWith('y.ndjson:2: not JSON'));
  });
});

describe('input/policy JSON', () => {
  it('reads documents, lists, get-policy-version answers and URL-encoded text', () => {
    const d = {
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Action: 's3:*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': true } },
      },
    };
    const one = parsePolicyInput(JSON.stringify(d), 'p.json');
    assert.ok(one.ok);
    assert.deepEqual(one.value.documents[0]?.Statement[0]?.Condition, {
      Bool: { 'aws:SecureTransport': ['true'] },
    });
    const cli = parsePolicyInput(
      JSON.stringify({ PolicyVersion: { Document: encodeURIComponent(JSON.stringify(d)) } }),
      'v.json',
    );
    assert.ok(cli.ok && cli.value.documents.length === 1);
    const list = parsePolicyInput(JSON.stringify([d, d]), 'l.json');
    assert.ok(list.ok && list.value.documents.length === 2);
  });

  it('rejects a statement without Effect or with both Action and NotAction', () => {
    const r = parsePolicyInput('{"Statement":[{"Action":"s3:*","Resource":"*"}]}', 'p.json');
    assert.deepEqual(r, { ok: false, error: 'p.json, statement 1: Effect must be Allow or Deny' });
    const both = parsePolicyInput(
      '{"Statement":[{"Effect":"Allow","Action":"a:b","NotAction":"c:d","Resource":"*"}]}',
      'p.json',
    );
    assert.ok(!both.ok && /exactly one of Action and NotAction/.test(both.error));
  });
});

describe('input/terraform', () => {
  it('parses blocks, heredocs, interpolations and comments', () => {
    const body = parseHcl(
      `# c\nlocals { a = "x-\${var.b}" /* c */ }\nresource "t" "n" {\n  p = <<-EOT\n    {"k": "$\${v}"}\n  EOT\n  l = [1, true, null, f(2), a.b[0]]\n}\n`,
    );
    assert.equal(body.blocks.length, 2);
    assert.deepEqual(body.blocks[0]?.body.attributes.get('a'), {
      kind: 'string',
      parts: ['x-', { interp: 'var.b' }],
    });
    assert.deepEqual(body.blocks[1]?.body.attributes.get('p'), { kind: 'string', parts: ['{"k": "${v}"}'] });
    assert.equal(body.blocks[1]?.body.attributes.get('l')?.kind, 'list');
  });

  it('reads data blocks and jsonencode policies, resolving var and local, skipping trust policies', () => {
    const r = parsePolicyInput(fixture('policy.tf'), 'policy.tf');
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.value.labels, ['data.aws_iam_policy_document.ci', 'aws_iam_policy.extra']);
    const [ci, extra] = r.value.documents;
    assert.deepEqual(ci?.Statement[0], {
      Sid: 'ReadArtifacts',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: ['arn:aws:s3:::artifacts', 'arn:aws:s3:::artifacts/*'],
    });
    assert.deepEqual(ci?.Statement[2]?.Condition, {
      StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com'] },
    });
    assert.equal(extra?.Statement[1]?.Resource, 'arn:aws:lambda:us-east-1:123456789012:function:*');
    assert.match(r.value.notes.join('\n'), /data.aws_iam_policy_document.trust: names principals/);
  });

  it('keeps unknown references as ${...}, which match nothing, and says so', () => {
    const tf =
      'data "aws_iam_policy_document" "p" {\n  statement {\n    actions = ["s3:GetObject"]\n    resources = ["${aws_s3_bucket.b.arn}/*", "arn:aws:s3:::x/&{aws:username}"]\n  }\n}\n';
    const r = parsePolicyInput(tf, 'main.tf');
    assert.ok(r.ok);
    assert.deepEqual(r.value.documents[0]?.Statement[0]?.Resource, [
      '${aws_s3_bucket.b.arn}/*',
      'arn:aws:s3:::x/${aws:username}',
    ]);
    assert.match(r.value.notes[0] ?? '', /aws_s3_bucket\.b\.arn\} is not known/);
  });

  it('reports a syntax error with its line', () => {
    const r = parsePolicyInput(
      'data "aws_iam_policy_document" "p" {\n  statement {\n    actions = ["s3:x"\n',
      'bad.tf',
    );
    assert.ok(!r.ok && /^bad\.tf: line \d+:/.test(r.error), JSON.stringify(r));
  });
});

describe('input/cloudformation', () => {
  it('reads YAML with short-form tags, parameters and pseudo parameters', () => {
    const r = parsePolicyInput(fixture('template.yaml'), 'template.yaml', { accountId: '123456789012' });
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.value.labels, ['CiRole', 'CiPolicy']);
    assert.deepEqual(r.value.documents[0]?.Statement[0]?.Resource, [
      'arn:aws:s3:::artifacts',
      'arn:aws:s3:::artifacts/*',
    ]);
    assert.equal(
      r.value.documents[1]?.Statement[1]?.Resource,
      'arn:aws:s3:::artifacts/home/${aws:username}/*',
    );
    assert.equal(r.value.documents[1]?.Statement[2]?.Resource, '${Table.Arn}');
  });

  it('reads JSON templates with Fn::Join and Ref', () => {
    const t = {
      Resources: {
        P: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'sqs:SendMessage',
                  Resource: {
                    'Fn::Join': [':', ['arn:aws:sqs:us-east-1', { Ref: 'AWS::AccountId' }, 'jobs']],
                  },
                },
              ],
            },
          },
        },
      },
    };
    const r = parsePolicyInput(JSON.stringify(t), 't.json', { accountId: '111122223333' });
    assert.ok(r.ok);
    assert.equal(r.value.documents[0]?.Statement[0]?.Resource, 'arn:aws:sqs:us-east-1:111122223333:jobs');
  });
});
