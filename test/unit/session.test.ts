import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Session } from '../../src/index.js';
import type { ObservedCall } from '../../src/model/index.js';

let next = 0;

/** A JSON-protocol call (no access key in it, so the account is unknown until STS answers). */
function call(target: string, body: object, host: string, responseBody = ''): ObservedCall {
  next++;
  return {
    id: next,
    time: `2026-11-21T00:00:0${next % 10}.000Z`,
    source: 'proxy',
    scheme: 'https',
    host,
    port: 443,
    method: 'POST',
    path: '/',
    query: '',
    headers: {
      'x-amz-target': target,
      'content-type': 'application/x-amz-json-1.0',
    },
    body: Buffer.from(JSON.stringify(body)),
    bodyTruncated: false,
    bodySize: JSON.stringify(body).length,
    response: {
      status: 200,
      errorCode: null,
      headers: {},
      body: Buffer.from(responseBody),
      bodyTruncated: false,
    },
  };
}

function stsIdentity(): ObservedCall {
  const c = call('', {}, 'sts.amazonaws.com');
  c.headers = { 'content-type': 'application/x-www-form-urlencoded' };
  c.body = Buffer.from('Action=GetCallerIdentity&Version=2011-06-15');
  c.bodySize = c.body.length;
  (c.response as { body: Uint8Array }).body = Buffer.from(
    '<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>',
  );
  return c;
}

describe('a session', () => {
  it('keeps each call as its calls-log line, and fills the account into calls made before it was known', () => {
    const s = new Session({ accountId: null, wildcardResources: false });
    s.add(
      call('DynamoDB_20120810.DescribeTable', { TableName: 'Orders' }, 'dynamodb.us-east-1.amazonaws.com'),
    );
    s.add(stsIdentity());
    s.add(
      call('DynamoDB_20120810.DescribeTable', { TableName: 'Users' }, 'dynamodb.us-east-1.amazonaws.com'),
    );
    assert.equal(s.callCount, 3);
    const lines = [...s.callsNdjson()].join('').trimEnd().split('\n');
    assert.equal(lines.length, 3);
    const records = lines.map((l) => JSON.parse(l) as { account: string | null; resources: string[] });
    assert.deepEqual(
      records.map((r) => [r.account, r.resources]),
      [
        ['123456789012', ['arn:aws:dynamodb:us-east-1:123456789012:table/Orders']],
        ['123456789012', []],
        ['123456789012', ['arn:aws:dynamodb:us-east-1:123456789012:table/Users']],
      ],
    );
    // One record read back by id is the same object the log holds.
    assert.deepEqual(s.call(1), records[0]);
    assert.deepEqual(s.calls(), records);
    assert.equal(s.call(4), undefined);
    assert.deepEqual(s.summary().services, [
      ['dynamodb', 2],
      ['sts', 1],
    ]);
  });
});

describe('a session that meets a bug', () => {
  it('still records the call, unresolved, and names the failure in the summary', () => {
    const s = new Session({ accountId: '123456789012', wildcardResources: false });
    const c = call('DynamoDB_20120810.DescribeTable', {}, 'dynamodb.us-east-1.amazonaws.com');
    Object.defineProperty(c, 'body', {
      get() {
        throw new TypeError('boom');
      },
    });
    const r = s.add(c);
    assert.equal(s.callCount, 1);
    assert.deepEqual(
      [r.service, r.operation, r.actions, r.unresolved, r.status, r.host, r.method, r.path],
      [null, null, null, 'internal-error', 200, 'dynamodb.us-east-1.amazonaws.com', 'POST', '/'],
    );
    assert.deepEqual(s.summary().unresolved, [
      {
        reason: 'internal-error',
        count: 1,
        examples: ['POST dynamodb.us-east-1.amazonaws.com/ (leastpriv failed: TypeError: boom)'],
      },
    ]);
  });
});
