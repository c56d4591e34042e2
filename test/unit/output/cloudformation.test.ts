import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { parsePolicyInput } from '../../../src/input/index.js';
import type { PolicyDocument } from '../../../src/model/index.js';
import { renderPolicy } from '../../../src/output/policy.js';

const SAMPLE = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/policy/sample-documents.json', import.meta.url), 'utf8'),
) as PolicyDocument[];

describe('output/cloudformation', () => {
  it('writes one AWS::IAM::ManagedPolicy per document with its ARN as an output', () => {
    const yaml = renderPolicy(SAMPLE, 'cloudformation');
    const t = parse(yaml) as Record<string, Record<string, Record<string, unknown>>>;
    assert.equal(t.AWSTemplateFormatVersion as unknown, '2010-09-09');
    assert.deepEqual(Object.keys(t.Resources ?? {}), ['LeastprivPolicy', 'LeastprivPolicy2']);
    assert.equal(t.Resources?.LeastprivPolicy?.Type, 'AWS::IAM::ManagedPolicy');
    assert.deepEqual(t.Outputs?.LeastprivPolicyArn, {
      Description: 'ARN of LeastprivPolicy',
      Value: { Ref: 'LeastprivPolicy' },
    });
    // Quoted, so YAML 1.1 readers (CloudFormation) do not read a date or an alias.
    assert.match(yaml, /Version: "2012-10-17"/);
    assert.doesNotMatch(yaml, /: \*/);
  });

  it('reads back as the same documents', () => {
    const back = parsePolicyInput(renderPolicy(SAMPLE, 'cloudformation'), 'out.yaml');
    assert.ok(back.ok, back.ok ? '' : back.error);
    assert.deepEqual(back.value.documents, SAMPLE);
  });
});
