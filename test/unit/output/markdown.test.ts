import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { CallRecord, PolicyDocument } from '../../../src/model/index.js';
import { renderPolicy } from '../../../src/output/policy.js';

const SAMPLE = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/policy/sample-documents.json', import.meta.url), 'utf8'),
) as PolicyDocument[];

const call = (id: number): CallRecord => ({
  time: '2026-11-21T18:00:00.000Z',
  source: 'proxy',
  provider: 'aws',
  service: id === 3 ? 'lambda' : 's3',
  operation: id === 3 ? 'CreateFunction' : 'GetObject',
  region: 'us-east-1',
  account: '123456789012',
  status: 200,
  error: null,
  actions: id === 3 ? ['iam:PassRole', 'lambda:CreateFunction'] : ['s3:GetObject'],
  resources: [],
  unresolved: null,
});

describe('output/markdown', () => {
  it('says what each statement allows and which calls needed it, then the JSON', () => {
    const md = renderPolicy(SAMPLE, 'markdown', {
      explain: new Map([
        ['S3ReadObjects', [1, 2]],
        ['IAMWriteAppRole', [3]],
      ]),
      call,
      warnings: [
        's3:GetObject: s3:GetObject on object: ObjectName unknown, used *',
        'lambda:Invoke (invocation type Event): lambda:InvokeFunction on function: widened',
        'the policy exceeds 6144 characters without whitespace: split into 2 documents',
      ],
    });
    assert.match(
      md,
      /^## Least-privilege IAM policy\n\n3 statements, 6 actions, split into 2 managed policies\./,
    );
    assert.match(
      md,
      /\n> - GetObject → s3:GetObject on object: ObjectName unknown, used \*\n> - Invoke \(invocation type Event\) → lambda:InvokeFunction on function: widened\n> - the policy exceeds 6144 characters/,
    );
    assert.match(md, /### `S3ReadObjects`: Allow\n\n- \*\*Actions:\*\* `s3:GetObject` \(Read\),/);
    assert.match(md, /- \*\*Needed by:\*\* 2 calls: `GetObject` → `s3:GetObject` ×2\n/);
    assert.match(md, /- \*\*Needed by:\*\* 1 call: `CreateFunction` → `iam:PassRole`\n/);
    assert.match(
      md,
      /- \*\*Only when:\*\* `iam:PassedToService` StringEquals `lambda.amazonaws.com`; and `aws:RequestedRegion` StringEquals `us-east-1`/,
    );
    assert.match(md, /- \*\*Actions:\*\* every action except `s3:\*`/);
    assert.match(md, /<details><summary>Policy JSON \(document 2 of 2\)<\/summary>\n\n```json\n\{/);
  });
});
