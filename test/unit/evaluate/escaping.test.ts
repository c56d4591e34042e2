// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...}
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallRecord, Operation, PolicyDocument } from '../../../src/model/index.js';
import { checkCalls } from '../../../src/policy/evaluate/check.js';
import { diffPolicy } from '../../../src/policy/evaluate/diff.js';
import { evaluate } from '../../../src/policy/evaluate/index.js';
import { buildPolicy } from '../../../src/policy/index.js';
import { authorizeAws } from '../../../src/providers/aws/authorize/index.js';

const op = (operation: string, params: Record<string, unknown>): Operation => ({
  provider: 'aws',
  service: 's3',
  operation,
  region: 'us-east-1',
  partition: 'aws',
  account: '123456789012',
  params,
});

/** A calls-log record as the session writes it, requirements included. */
function record(o: Operation): CallRecord {
  const reqs = authorizeAws(o) ?? [];
  return {
    time: '2026-11-21T18:00:00.000Z',
    source: 'proxy',
    provider: 'aws',
    service: o.service,
    operation: o.operation,
    region: o.region,
    account: o.account,
    status: 200,
    error: null,
    actions: reqs.map((r) => r.action),
    resources: reqs.flatMap((r) => r.resources),
    unresolved: null,
    requirements: reqs.map((r) => ({ action: r.action, resources: [...r.resources] })),
  };
}

const needs = (r: CallRecord) => (r.requirements ?? []).map((q) => ({ ...q, conditions: null }));
const KEYS = ['logs/a*b', 'q?', '${aws:username}/notes', 'x${*}y', 'line\nbreak'];

describe('evaluate/escaping', () => {
  it('check agrees with the policy generated for keys with *, ?, ${...} and control characters', () => {
    const records = KEYS.map((Key) => record(op('GetObject', { Bucket: 'data', Key })));
    const built = buildPolicy(
      records.map((r, i) => ({ requirements: needs(r).map((n) => ({ ...n, why: 'x' })), callIds: [i + 1] })),
    );
    const result = checkCalls(built.documents, records, needs);
    assert.equal(result.checked, 5);
    assert.deepEqual(result.denials, []);
    const diff = diffPolicy(built.documents, records, needs);
    assert.deepEqual(diff.missing, []);
    assert.deepEqual(diff.unused, []);
    assert.deepEqual(diff.overBroad, []);
  });

  it('an escaped * or ? matches itself only', () => {
    const docs: PolicyDocument[] = [
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: [
              'arn:aws:s3:::data/logs/a${*}b',
              'arn:aws:s3:::data/q${?}',
              'arn:aws:s3:::data/${$}{aws:username}',
            ],
          },
        ],
      },
    ];
    const decide = (resource: string) =>
      evaluate(docs, { action: 's3:GetObject', resource, context: { 'aws:username': 'alice' } }).decision;
    assert.equal(decide('arn:aws:s3:::data/logs/a*b'), 'allowed');
    assert.equal(decide('arn:aws:s3:::data/logs/axxb'), 'implicit-deny');
    assert.equal(decide('arn:aws:s3:::data/q?'), 'allowed');
    assert.equal(decide('arn:aws:s3:::data/qx'), 'implicit-deny');
    assert.equal(decide('arn:aws:s3:::data/${aws:username}'), 'allowed');
    assert.equal(decide('arn:aws:s3:::data/alice'), 'implicit-deny');
  });
});
