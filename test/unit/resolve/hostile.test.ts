/**
 * Requests built to break the resolver: credential scopes and operation names that are
 * Object.prototype's own keys, and bodies nested thousands of levels deep. Every one still
 * produces its calls-log record.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Session } from '../../../src/index.js';
import type { ObservedCall } from '../../../src/model/index.js';
import { resolveAws } from '../../../src/providers/aws/resolve/index.js';
import { observed, signed } from './synthesize.js';

const DEEP = 5000;
const ctx = { accountId: '123456789012', learnedAccount: null };

function record(call: ObservedCall) {
  const s = new Session({ accountId: '123456789012', wildcardResources: false });
  const r = s.add(call);
  assert.equal(s.callCount, 1);
  const lines = [...s.callsNdjson()].join('').trimEnd().split('\n');
  assert.equal(lines.length, 1);
  assert.deepEqual(JSON.parse(lines[0] as string), JSON.parse(JSON.stringify(r)));
  return { r, s };
}

const form = (host: string, body: string, auth?: string) =>
  observed({
    host,
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      ...(auth ? { authorization: auth } : {}),
    },
    body: Buffer.from(body),
    bodySize: body.length,
  });

const json = (host: string, target: string, body: string, auth?: string) =>
  observed({
    host,
    headers: {
      'x-amz-target': target,
      'content-type': 'application/x-amz-json-1.0',
      ...(auth ? { authorization: auth } : {}),
    },
    body: Buffer.from(body),
    bodySize: body.length,
  });

describe('resolve: prototype keys in the request', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    it(`a credential scope signed for service '${name}' is an unknown service`, () => {
      const { r, s } = record(form('sqs.us-east-1.amazonaws.com', 'Action=ListQueues', signed(name)));
      assert.deepEqual(
        [r.service, r.operation, r.region, r.actions, r.unresolved],
        [null, null, 'us-east-1', null, 'unknown-service'],
      );
      assert.deepEqual(s.summary().unresolved, [
        { reason: 'unknown-service', count: 1, examples: ['POST sqs.us-east-1.amazonaws.com/'] },
      ]);
    });

    it(`a credential scope signed for region '${name}' still resolves the operation`, () => {
      const { r } = record(
        json(
          'dynamodb.us-east-1.amazonaws.com',
          'DynamoDB_20120810.DescribeTable',
          '{"TableName":"t"}',
          signed('dynamodb', name),
        ),
      );
      assert.deepEqual(
        [r.service, r.operation, r.region, r.actions, r.resources, r.unresolved],
        [
          'dynamodb',
          'DescribeTable',
          name,
          ['dynamodb:DescribeTable'],
          [`arn:aws:dynamodb:${name}:123456789012:table/t`],
          null,
        ],
      );
    });

    it(`an operation named '${name}' is an unknown operation, not an unmapped one`, () => {
      const target = record(json('sqs.us-east-1.amazonaws.com', `AmazonSQS.${name}`, '{}', signed('sqs')));
      assert.deepEqual(
        [target.r.service, target.r.operation, target.r.unresolved],
        ['sqs', name, 'unknown-operation'],
      );
      const query = record(form('sts.amazonaws.com', `Action=${name}&Version=2011-06-15`, signed('sts')));
      if (name === '__proto__') {
        // not an operation name at all: the request is read as REST, where nothing matches
        assert.deepEqual([query.r.service, query.r.unresolved], ['sts', 'unknown-operation']);
      } else {
        assert.deepEqual(
          [query.r.service, query.r.operation, query.r.unresolved],
          ['sts', name, 'unknown-operation'],
        );
      }
      const rpc = record(
        observed({
          host: 'monitoring.us-east-1.amazonaws.com',
          path: `/service/GraniteServiceVersion20100801/operation/${name}`,
          headers: { 'smithy-protocol': 'rpc-v2-cbor', authorization: signed('monitoring') },
        }),
      );
      assert.deepEqual(
        [rpc.r.service, rpc.r.operation, rpc.r.unresolved],
        ['monitoring', name, 'unknown-operation'],
      );
    });

    it(`a host whose service label is '${name}' is an unknown service`, () => {
      const { r } = record(form(`${name}.us-east-1.amazonaws.com`, 'Action=ListQueues'));
      assert.deepEqual([r.service, r.unresolved], [null, 'unknown-service']);
    });
  }
});

const nested = (open: string, leaf: string, close: string) =>
  `${open.repeat(DEEP)}${leaf}${close.repeat(DEEP)}`;

describe('resolve: bodies nested 5,000 levels deep', () => {
  it('JSON: the operation and its shallow members are kept; what is deeper is left out and said', () => {
    const body = `{"TableName":"t","Item":{"k":${nested('{"M":{"a":', '{"S":"x"}', '}}')}}}`;
    const call = json('dynamodb.us-east-1.amazonaws.com', 'DynamoDB_20120810.PutItem', body);
    const res = resolveAws(call, ctx);
    assert.equal(res.kind, 'resolved');
    if (res.kind !== 'resolved') return;
    assert.deepEqual(res.operation.warnings, [
      'JSON body nested deeper than 64 levels: members below that depth are left out',
    ]);
    assert.equal(res.operation.params.TableName, 't');
    const { r } = record(call);
    assert.deepEqual(
      [r.operation, r.actions, r.resources, r.unresolved],
      ['PutItem', ['dynamodb:PutItem'], ['arn:aws:dynamodb:us-east-1:123456789012:table/t'], null],
    );
  });

  it('JSON arrays nested deep, in a REST-JSON body', () => {
    const body = `{"Payload":${nested('[', '1', ']')}}`;
    const call = observed({
      host: 'lambda.us-east-1.amazonaws.com',
      path: '/2015-03-31/functions/f/invocations',
      body: Buffer.from(body),
      bodySize: body.length,
    });
    const { r } = record(call);
    assert.deepEqual(
      [r.operation, r.actions, r.resources, r.unresolved],
      ['Invoke', ['lambda:InvokeFunction'], ['arn:aws:lambda:us-east-1:123456789012:function:f'], null],
    );
  });

  it('query form: keys with more than 64 segments are left out and said; the rest is kept', () => {
    const deepKey = Array.from({ length: DEEP }, () => 'a').join('.');
    const call = form(
      'sqs.us-east-1.amazonaws.com',
      `Action=SendMessage&Version=2012-11-05&QueueUrl=https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F123456789012%2Fq&MessageBody=b&${deepKey}=1`,
    );
    const res = resolveAws(call, ctx);
    assert.equal(res.kind, 'resolved');
    if (res.kind !== 'resolved') return;
    assert.deepEqual(res.operation.warnings, [
      'form body nested deeper than 64 levels: members below that depth are left out',
    ]);
    const { r } = record(call);
    assert.deepEqual(
      [r.operation, r.actions, r.resources],
      ['SendMessage', ['sqs:SendMessage'], ['arn:aws:sqs:us-east-1:123456789012:q']],
    );
  });

  it('EC2 form: numeric segments nested deep', () => {
    const deepKey = Array.from({ length: DEEP }, () => '1').join('.');
    const call = form('ec2.us-east-1.amazonaws.com', `Action=DescribeVpcs&Version=2016-11-15&${deepKey}=1`);
    const { r } = record(call);
    assert.deepEqual([r.operation, r.actions, r.unresolved], ['DescribeVpcs', ['ec2:DescribeVpcs'], null]);
  });

  it('XML: the operation is kept, its body parameters are missing, and it says why', () => {
    const body = `<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">${nested('<a>', 'x', '</a>')}</ChangeResourceRecordSetsRequest>`;
    const call = observed({
      host: 'route53.amazonaws.com',
      path: '/2013-04-01/hostedzone/Z1/rrset/',
      body: Buffer.from(body),
      bodySize: body.length,
    });
    const res = resolveAws(call, ctx);
    assert.equal(res.kind, 'resolved');
    if (res.kind !== 'resolved') return;
    assert.deepEqual(res.operation.warnings, [
      'XML body nested deeper than 64 levels: its parameters are missing',
    ]);
    const { r } = record(call);
    assert.deepEqual(
      [r.operation, r.actions, r.resources],
      ['ChangeResourceRecordSets', ['route53:ChangeResourceRecordSets'], ['arn:aws:route53:::hostedzone/Z1']],
    );
  });

  it('CBOR: the operation is kept, its body parameters are missing, and it says why', () => {
    // {"a": [[[...1...]]]}
    const body = Buffer.concat([Buffer.from([0xa1, 0x61, 0x61]), Buffer.alloc(DEEP, 0x81), Buffer.from([1])]);
    const call = observed({
      host: 'monitoring.us-east-1.amazonaws.com',
      path: '/service/GraniteServiceVersion20100801/operation/ListMetrics',
      headers: { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' },
      body,
      bodySize: body.length,
    });
    const res = resolveAws(call, ctx);
    assert.equal(res.kind, 'resolved');
    if (res.kind !== 'resolved') return;
    assert.deepEqual(res.operation.warnings, [
      'CBOR body nested deeper than 64 levels: its parameters are missing',
    ]);
    const { r } = record(call);
    assert.deepEqual([r.operation, r.actions], ['ListMetrics', ['cloudwatch:ListMetrics']]);
  });
});
