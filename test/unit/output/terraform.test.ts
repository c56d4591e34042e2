// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...}
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parsePolicyInput } from '../../../src/input/index.js';
import type { PolicyDocument } from '../../../src/model/index.js';
import { renderPolicy } from '../../../src/output/policy.js';
import { hclString } from '../../../src/output/terraform.js';

/** Two documents: variables, conditions, NotAction and NotResource, `%{` in a resource. */
const SAMPLE = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/policy/sample-documents.json', import.meta.url), 'utf8'),
) as PolicyDocument[];

describe('output/terraform', () => {
  it('escapes HCL templates: ${ and %{ stay literal', () => {
    assert.equal(hclString('a/${aws:username}/%{x}"\\'), '"a/$${aws:username}/%%{x}\\"\\\\"');
  });

  it('writes one data block per document, with Sids, conditions and not_ lists', () => {
    const tf = renderPolicy(SAMPLE, 'terraform');
    assert.match(tf, /^# Written by leastpriv\. The policy is split into 2 documents, each within the\n/);
    assert.ok(
      tf.endsWith(
        '\n\nlocals {\n  leastpriv_policies = [\n    data.aws_iam_policy_document.leastpriv.json,\n    data.aws_iam_policy_document.leastpriv_2.json,\n  ]\n}\n',
      ),
      tf.slice(-300),
    );
    // the example in the header is Terraform as written, once uncommented
    assert.match(
      tf,
      /\n# {3}resource "aws_iam_policy" "leastpriv" \{\n# {5}count {7}= length\(local\.leastpriv_policies\)\n/,
    );
    assert.match(
      tf,
      /data "aws_iam_policy_document" "leastpriv" \{\n {2}statement \{\n {4}sid {4}= "S3ReadObjects"\n {4}effect = "Allow"\n {4}actions = \[\n {6}"s3:GetObject",/,
    );
    assert.match(
      tf,
      /\n {4}condition \{\n {6}test {5}= "StringEquals"\n {6}variable = "iam:PassedToService"\n {6}values {3}= \["lambda.amazonaws.com"\]\n {4}\}/,
    );
    assert.match(tf, /not_actions {3}= \["s3:\*"\]\n {4}not_resources = \["arn:aws:s3:::x\/%%\{y\}"\]/);
  });

  it('writes a single document with a one-line attach hint', () => {
    const tf = renderPolicy(SAMPLE.slice(0, 1), 'terraform');
    assert.match(
      tf,
      /^# Written by leastpriv\. Attach with: policy = data\.aws_iam_policy_document\.leastpriv\.json\n/,
    );
    assert.ok(!tf.includes('locals'));
  });

  it('reads back as the same documents', () => {
    const back = parsePolicyInput(renderPolicy(SAMPLE, 'terraform'), 'out.tf');
    assert.ok(back.ok, back.ok ? '' : back.error);
    assert.deepEqual(
      back.value.documents,
      SAMPLE.map((d) => ({ ...d, Statement: d.Statement.map(normalise) })),
    );
    assert.deepEqual(back.value.notes, []);
  });
});

/** Lists as the data source writes them: every Action/Resource a list. */
function normalise(st: PolicyDocument['Statement'][number]) {
  const list = (v: string | string[] | undefined) =>
    v === undefined ? undefined : Array.isArray(v) ? v : [v];
  const out: Record<string, unknown> = { Effect: st.Effect };
  if (st.Sid) out.Sid = st.Sid;
  for (const k of ['Action', 'NotAction', 'Resource', 'NotResource'] as const)
    if (st[k] !== undefined) out[k] = list(st[k]);
  if (st.Condition) out.Condition = st.Condition;
  return { Sid: out.Sid, ...out };
}
