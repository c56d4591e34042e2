import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { PolicyDocument } from '../../../src/model/index.js';
import { numberedPath, renderPolicy, renderPolicyFiles } from '../../../src/output/policy.js';

const SAMPLE = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/policy/sample-documents.json', import.meta.url), 'utf8'),
) as PolicyDocument[];

describe('output/policy files', () => {
  it('numbers the files of a split policy before the extension', () => {
    assert.equal(numberedPath('policy.json', 0), 'policy.json');
    assert.equal(numberedPath('out/policy.json', 1), 'out/policy.2.json');
    assert.equal(numberedPath('out.d/policy', 2), 'out.d/policy.3');
    assert.equal(numberedPath('.hidden', 1), '.hidden.2');
  });

  it('writes one JSON document per file, each a policy IAM takes as it is', () => {
    const files = renderPolicyFiles(SAMPLE, 'json', 'p/policy.json');
    assert.deepEqual(
      files.map((f) => f.path),
      ['p/policy.json', 'p/policy.2.json'],
    );
    assert.deepEqual(
      files.map((f) => JSON.parse(f.text)),
      SAMPLE,
    );
  });

  it('keeps one file for one document and for the other formats', () => {
    assert.deepEqual(
      renderPolicyFiles(SAMPLE.slice(0, 1), 'json', 'policy.json').map((f) => [f.path, JSON.parse(f.text)]),
      [['policy.json', SAMPLE[0]]],
    );
    const tf = renderPolicyFiles(SAMPLE, 'terraform', 'policy.tf');
    assert.deepEqual(
      tf.map((f) => f.path),
      ['policy.tf'],
    );
    assert.equal(tf[0]?.text, renderPolicy(SAMPLE, 'terraform'));
  });

  it('prints a split JSON policy on one stream as an array of its documents', () => {
    assert.deepEqual(JSON.parse(renderPolicy(SAMPLE, 'json')), SAMPLE);
  });
});
