// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...}
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Requirement } from '../../../src/model/index.js';
import { buildPolicy, compactResources } from '../../../src/policy/index.js';

const req = (action: string, resources: string[], extra: Partial<Requirement> = {}): Requirement => ({
  action,
  resources,
  conditions: null,
  why: 's3:PutObject',
  region: 'us-east-1',
  ...extra,
});

describe('policy/escaping', () => {
  it('writes a policy for a resource with CR and LF (from a calls log), widened one character each', () => {
    const built = buildPolicy([
      { requirements: [req('s3:PutObject', ['arn:aws:s3:::data/line\nbreak\r'])], callIds: [1] },
    ]);
    assert.deepEqual(built.documents[0]?.Statement, [
      {
        Sid: 'S3WriteLineBreakObject',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::data/line?break?',
      },
    ]);
    assert.deepEqual(built.warnings, [
      's3:PutObject: arn:aws:s3:::data/line?break? has control characters an IAM policy cannot hold, each written as ?',
    ]);
  });

  it('never cuts an escape when it compacts sibling resources', () => {
    assert.deepEqual(
      compactResources(['arn:aws:s3:::b/k${*}1', 'arn:aws:s3:::b/k${?}2', 'arn:aws:s3:::b/k${$}{x}'], 2),
      ['arn:aws:s3:::b/k*'],
    );
    assert.deepEqual(
      compactResources(['arn:aws:s3:::b/k${*}1', 'arn:aws:s3:::b/k${*}2', 'arn:aws:s3:::b/k${*}3'], 2),
      ['arn:aws:s3:::b/k${*}*'],
    );
  });
});
