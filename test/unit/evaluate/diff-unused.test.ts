import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDiffMarkdown, formatDiffText } from '../../../src/cli/diff.js';
import type { CallRecord, PolicyDocument } from '../../../src/model/index.js';
import { diffPolicy } from '../../../src/policy/evaluate/diff.js';

const OBJ = 'arn:aws:s3:::b/k';
const docs: PolicyDocument[] = [
  {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: OBJ },
      { Sid: 'Write', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: OBJ },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' },
    ],
  },
];
const call: CallRecord = {
  time: '2026-11-21T18:00:00.000Z',
  source: 'proxy',
  provider: 'aws',
  service: 's3',
  operation: 'GetObject',
  region: 'us-east-1',
  account: '123456789012',
  status: 200,
  error: null,
  actions: ['s3:GetObject'],
  resources: [OBJ],
  unresolved: null,
};
const needs = (r: CallRecord) => [{ action: 's3:GetObject', resources: r.resources ?? [], conditions: null }];

describe('evaluate/diff: a whole unused statement', () => {
  it('names the actions it grants', () => {
    const report = diffPolicy(docs, [call], needs);
    assert.deepEqual(report.unused, [
      { statement: 'Write', kind: 'statement', entry: null, actions: ['s3:DeleteObject', 's3:PutObject'] },
      { statement: '#3', kind: 'statement', entry: null, actions: ['sqs:SendMessage'] },
    ]);
    const text = formatDiffText(report);
    assert.match(
      text,
      /\nunused:\n {2}Write: the whole statement: s3:DeleteObject, s3:PutObject\n {2}#3: the whole statement: sqs:SendMessage\n/,
    );
    const md = formatDiffMarkdown(report);
    assert.match(md, /\n\| `Write` \| the whole statement: `s3:DeleteObject`, `s3:PutObject` \|\n/);
  });

  it('shows a control character of a recorded resource as an escape', () => {
    const wide: PolicyDocument[] = [
      {
        Version: '2012-10-17',
        Statement: [{ Sid: 'W', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/cr?lf' }],
      },
    ];
    const record = { ...call, resources: ['arn:aws:s3:::b/cr\nlf'] };
    const text = formatDiffText(diffPolicy(wide, [record], needs));
    assert.match(text, /\n {2}W: arn:aws:s3:::b\/cr\?lf was used only for arn:aws:s3:::b\/cr\\u000alf\n/);
  });
});
