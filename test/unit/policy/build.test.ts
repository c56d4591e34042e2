import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Requirement } from '../../../src/model/index.js';
import {
  buildPolicy,
  compactResources,
  PolicyValidationError,
  policyProblems,
  policySize,
} from '../../../src/policy/index.js';

const req = (action: string, resources: string[], extra: Partial<Requirement> = {}): Requirement => ({
  action,
  resources,
  conditions: null,
  why: 'test',
  region: 'us-east-1',
  ...extra,
});
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/Orders';

describe('policy/build', () => {
  it('groups by service, access level and resources, with content-derived Sids', () => {
    const { documents, explain } = buildPolicy([
      { requirements: [req('s3:GetObject', ['arn:aws:s3:::b/x', 'arn:aws:s3:::b/y'])], callIds: [1] },
      { requirements: [req('dynamodb:PutItem', [TABLE])], callIds: [2] },
      { requirements: [req('dynamodb:UpdateItem', [TABLE])], callIds: [3] },
      { requirements: [req('dynamodb:GetItem', [TABLE])], callIds: [4] },
    ]);
    assert.equal(documents.length, 1);
    assert.deepEqual(documents[0]?.Statement, [
      { Sid: 'DynamoDBReadOrdersTable', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE },
      {
        Sid: 'DynamoDBWriteOrdersTable',
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: TABLE,
      },
      {
        Sid: 'S3ReadObjects',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: ['arn:aws:s3:::b/x', 'arn:aws:s3:::b/y'],
      },
    ]);
    assert.deepEqual(explain.get('DynamoDBWriteOrdersTable'), [2, 3]);
    assert.deepEqual(explain.get('S3ReadObjects'), [1]);
  });

  it('is deterministic whatever the order of calls', () => {
    const entries = [
      { requirements: [req('s3:PutObject', ['arn:aws:s3:::b/1'])], callIds: [1] },
      { requirements: [req('sqs:SendMessage', ['arn:aws:sqs:us-east-1:123456789012:q'])], callIds: [2] },
      {
        requirements: [req('s3:PutObject', ['arn:aws:s3:::b/2']), req('s3:ListAllMyBuckets', ['*'])],
        callIds: [3],
      },
    ];
    const a = JSON.stringify(buildPolicy(entries).documents);
    const b = JSON.stringify(buildPolicy([...entries].reverse()).documents);
    assert.equal(a, b);
  });

  it('unites the values of one condition key and lets an unconditional grant absorb conditions', () => {
    const bucket = 'arn:aws:s3:::logs';
    const prefix = (p: string) =>
      req('s3:ListBucket', [bucket], { conditions: { StringEquals: { 's3:prefix': [p] } } });
    const merged = buildPolicy([
      { requirements: [prefix('b/')], callIds: [1] },
      { requirements: [prefix('a/')], callIds: [2] },
    ]);
    assert.deepEqual(merged.documents[0]?.Statement[0]?.Condition, {
      StringEquals: { 's3:prefix': ['a/', 'b/'] },
    });
    const absorbed = buildPolicy([
      { requirements: [prefix('a/')], callIds: [1] },
      { requirements: [req('s3:ListBucket', [bucket])], callIds: [2] },
    ]);
    assert.equal(absorbed.documents[0]?.Statement[0]?.Condition, undefined);
    assert.deepEqual(absorbed.explain.get('S3ReadLogsBucket'), [1, 2]);
  });

  it('keeps conditions on dependent actions and adds requested regions behind the option', () => {
    const pass = req('iam:PassRole', ['arn:aws:iam::123456789012:role/fn'], {
      conditions: { StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com'] } },
    });
    const plain = buildPolicy([{ requirements: [pass], callIds: [1] }]);
    assert.deepEqual(plain.documents[0]?.Statement[0]?.Condition, {
      StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com'] },
    });
    const regional = buildPolicy(
      [
        { requirements: [req('sqs:ListQueues', ['*'])], callIds: [1] },
        { requirements: [req('sqs:ListQueues', ['*'], { region: 'eu-west-1' })], callIds: [2] },
      ],
      { requestedRegions: true },
    );
    assert.deepEqual(regional.documents[0]?.Statement, [
      {
        Sid: 'SQSRead',
        Effect: 'Allow',
        Action: 'sqs:ListQueues',
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] } },
      },
    ]);
  });

  it('collapses resources to * with wildcardResources', () => {
    const { documents } = buildPolicy(
      [
        {
          requirements: [
            req('s3:GetObject', ['arn:aws:s3:::b/x']),
            req('s3:PutObject', ['arn:aws:s3:::b/y']),
          ],
          callIds: [1],
        },
      ],
      { wildcardResources: true },
    );
    assert.deepEqual(
      documents[0]?.Statement.map((s) => s.Resource),
      ['*', '*'],
    );
  });

  it('compacts many sibling ARNs into the narrowest covering wildcard', () => {
    const keys = Array.from({ length: 5 }, (_, i) => `arn:aws:s3:::b/logs/2024-0${i + 1}.gz`);
    assert.deepEqual(compactResources(keys, 3), ['arn:aws:s3:::b/logs/2024-0*']);
    assert.deepEqual(compactResources(keys, 10), keys);
    const { documents, explain } = buildPolicy(
      [{ requirements: [req('s3:GetObject', [...keys, 'arn:aws:s3:::other/k'])], callIds: [7] }],
      { compactThreshold: 3 },
    );
    assert.deepEqual(documents[0]?.Statement[0]?.Resource, [
      'arn:aws:s3:::b/logs/2024-0*',
      'arn:aws:s3:::other/k',
    ]);
    assert.deepEqual([...explain.values()], [[7]]);
  });

  it('splits over 6,144 characters without whitespace, deterministically', () => {
    const entries = Array.from({ length: 400 }, (_, i) => ({
      requirements: [
        req(i % 2 ? 's3:GetObject' : 's3:PutObject', [
          `arn:aws:s3:::bucket-${i % 7}/some/long/prefix/object-${i}.json`,
        ]),
        req('sqs:SendMessage', [`arn:aws:sqs:us-east-1:123456789012:queue-${i}`]),
      ],
      callIds: [i],
    }));
    const built = buildPolicy(entries);
    assert.ok(built.documents.length > 1);
    for (const d of built.documents) assert.ok(policySize(d) <= 6144, `size ${policySize(d)}`);
    const sids = built.documents.flatMap((d) => d.Statement.map((s) => s.Sid));
    assert.equal(new Set(sids).size, sids.length);
    assert.ok(built.warnings.some((w) => w.includes('split into')));
    assert.equal(JSON.stringify(buildPolicy(entries).documents), JSON.stringify(built.documents));
  });

  it('reports widened resources as warnings', () => {
    const { warnings } = buildPolicy([
      {
        requirements: [
          req('ec2:RunInstances', ['arn:aws:ec2:us-east-1:123456789012:instance/*'], {
            approximate: 'InstanceId unknown, used *',
          }),
        ],
        callIds: [1],
      },
    ]);
    assert.deepEqual(warnings, ['test: InstanceId unknown, used *']);
  });

  it('refuses to write an invalid policy', () => {
    assert.throws(
      () => buildPolicy([{ requirements: [req('s3:GetObjects', ['*'])], callIds: [1] }]),
      /not an action/,
    );
    assert.throws(
      () => buildPolicy([{ requirements: [req('s3:GetObject', [TABLE])], callIds: [1] }]),
      PolicyValidationError,
    );
    assert.deepEqual(
      policyProblems({
        Version: '2012-10-17',
        Statement: [{ Sid: 'X', Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: 'arn:aws:s3:::b' }],
      }),
      ['X: s3:ListAllMyBuckets supports no resource-level permissions but names arn:aws:s3:::b'],
    );
  });
});
