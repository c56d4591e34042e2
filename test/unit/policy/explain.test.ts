import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatExplain, formatSummary } from '../../../src/cli/summary.js';
import { Session } from '../../../src/index.js';
import type { CallRecord } from '../../../src/model/index.js';

const record = (
  service: string,
  operation: string,
  actions: string[],
  resources: string[],
  extra: Partial<CallRecord> = {},
): CallRecord => ({
  time: '2026-11-21T18:00:00.000Z',
  source: 'proxy',
  provider: 'aws',
  service,
  operation,
  region: 'us-east-1',
  account: '123456789012',
  status: 200,
  error: null,
  actions,
  resources,
  unresolved: null,
  ...extra,
});

describe('cli/summary: --explain and notes', () => {
  it('names each call by its operation, then the actions of the statement it needed', () => {
    const s = new Session({ accountId: '123456789012', wildcardResources: false });
    const bucket = 'arn:aws:s3:::logs';
    const http = { host: 'logs.s3.amazonaws.com', method: 'HEAD', path: '/' };
    s.addRecord(record('s3', 'HeadBucket', ['s3:ListBucket'], [bucket], http));
    s.addRecord(record('s3', 'HeadBucket', ['s3:ListBucket'], [bucket], http));
    s.addRecord(record('s3', 'ListObjectsV2', ['s3:ListBucket'], [bucket], { source: 'cloudtrail' }));
    const fn = 'arn:aws:lambda:us-east-1:123456789012:function:f';
    s.addRecord(record('lambda', 'Invoke', ['lambda:InvokeFunction'], [fn]));
    assert.equal(
      formatExplain(s),
      [
        'LambdaWriteFFunction: 1 call',
        '  Invoke → lambda:InvokeFunction (proxy, us-east-1)',
        'S3ReadLogsBucket: 3 calls',
        '  HeadBucket → s3:ListBucket (HEAD logs.s3.amazonaws.com/) ×2',
        '  ListObjectsV2 → s3:ListBucket (cloudtrail, us-east-1)',
        '',
      ].join('\n'),
    );
  });

  it('writes the notes of a call as operation → action', () => {
    const summary = {
      calls: 1,
      services: [['s3', 1]] as [string, number][],
      unresolved: [],
      denied: [],
      permissionless: [],
      failed: 0,
      actions: 1,
      statements: 1,
      warnings: [
        's3:HeadBucket: s3:ListBucket on bucket: Bucket unknown, used *',
        'iam:CreateRole (tags sent): iam:TagRole on role: widened',
        's3:PutObject: arn:aws:s3:::b/k? has control characters',
        'the policy exceeds 6144 characters without whitespace: split into 2 documents',
      ],
    };
    assert.equal(
      formatSummary(summary, { policy: 'stdout', calls: null }),
      [
        'leastpriv: 1 call to 1 service (s3 1)',
        '  note: HeadBucket → s3:ListBucket on bucket: Bucket unknown, used *',
        '  note: CreateRole (tags sent) → iam:TagRole on role: widened',
        '  note: PutObject: arn:aws:s3:::b/k? has control characters',
        '  note: the policy exceeds 6144 characters without whitespace: split into 2 documents',
        '  policy: 1 action in 1 statement → stdout',
        '',
      ].join('\n'),
    );
  });
});
