/** Issue 16: the review loop's pure core (plan, prune, Terraform block, config, last-accessed veto). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallRecord, PolicyDocument } from '../../../src/model/index.js';
import { lastAccessedVeto } from '../../../src/review/advisor.js';
import { parseRefineConfig, refineBranch } from '../../../src/review/config.js';
import { planPolicy } from '../../../src/review/plan.js';
import { parseRollback, planPrune } from '../../../src/review/prune.js';
import {
  appendToPolicyDocumentBlock,
  findPolicyDocumentBlock,
  replacePolicyDocumentBlock,
} from '../../../src/review/terraform.js';

const ACCOUNT = '123456789012';

function call(
  action: string,
  resource: string,
  conditions?: Record<string, Record<string, string[]>>,
): CallRecord {
  const [service, name] = action.split(':') as [string, string];
  return {
    time: '2026-11-21T18:00:00.000Z',
    source: 'proxy',
    provider: 'aws',
    service,
    operation: name,
    region: 'us-east-1',
    account: ACCOUNT,
    status: 200,
    error: null,
    actions: [action],
    resources: [resource],
    unresolved: null,
    requirements: [{ action, resources: [resource], ...(conditions ? { conditions } : {}) }],
  };
}

const DOC: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'S3',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject'],
      Resource: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'],
    },
    {
      Sid: 'Pass',
      Effect: 'Allow',
      Action: ['iam:PassRole', 'iam:GetRole'],
      Resource: `arn:aws:iam::${ACCOUNT}:role/x`,
    },
    { Sid: 'Old', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' },
    { Sid: 'NoDelete', Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' },
  ],
};
const CALLS = [
  call('s3:GetObject', 'arn:aws:s3:::a/key'),
  call('dynamodb:GetItem', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/T`),
];

describe('planPolicy', () => {
  it('adds what is missing, lists what is unused, removes nothing without prune', () => {
    const plan = planPolicy(DOC, CALLS, { prune: false });
    assert.equal(plan.changed, true);
    assert.deepEqual(plan.added, [
      {
        action: 'dynamodb:GetItem',
        resources: [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/T`],
        calls: ['dynamodb:GetItem'],
      },
    ]);
    assert.deepEqual(plan.document.Statement.slice(0, 4), DOC.Statement);
    assert.deepEqual(plan.document.Statement[4], {
      Sid: 'DynamoDBReadTTable',
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/T`,
    });
    assert.deepEqual(plan.removed, []);
    assert.deepEqual(
      plan.unused.map((u) => [u.statement, u.kind, u.entry]),
      [
        ['S3', 'action', 's3:PutObject'],
        ['S3', 'resource', 'arn:aws:s3:::b/*'],
        ['Pass', 'statement', null],
        ['Old', 'statement', null],
      ],
    );
  });

  it('prunes, keeping iam:PassRole with its resources and every Deny', () => {
    const plan = planPolicy(DOC, CALLS, { prune: true, add: false });
    assert.deepEqual(plan.document.Statement, [
      { Sid: 'S3', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::a/*'] },
      { Sid: 'Pass', Effect: 'Allow', Action: ['iam:PassRole'], Resource: `arn:aws:iam::${ACCOUNT}:role/x` },
      DOC.Statement[3],
    ]);
    assert.deepEqual(
      plan.kept.map((k) => [k.statement, k.entry]),
      [['Pass', 'iam:PassRole']],
    );
    assert.deepEqual(
      plan.removed.map((r) => [r.statement, r.kind, r.entry]),
      [
        ['S3', 'action', 's3:PutObject'],
        ['S3', 'resource', 'arn:aws:s3:::b/*'],
        ['Pass', 'action', 'iam:GetRole'],
        ['Old', 'statement', null],
      ],
    );
    // --prune-passrole: it goes too.
    const all = planPolicy(DOC, CALLS, { prune: true, add: false, passRole: true });
    assert.equal(
      all.document.Statement.some((s) => s.Sid === 'Pass'),
      false,
    );
  });

  it('is idempotent: the proposed document plans to nothing', () => {
    const first = planPolicy(DOC, CALLS, { prune: true });
    const second = planPolicy(first.document, CALLS, { prune: true });
    assert.equal(second.changed, false);
    assert.equal(second.document, first.document);
    assert.deepEqual(second.added, []);
  });

  it('is deterministic whatever the order of the calls', () => {
    const a = planPolicy(DOC, CALLS, { prune: true });
    const b = planPolicy(DOC, [...CALLS].reverse(), { prune: true });
    assert.equal(JSON.stringify(a.document), JSON.stringify(b.document));
  });

  it('counts other documents when deciding what is missing, and numbers a Sid already taken', () => {
    const other: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }],
    };
    assert.equal(planPolicy(DOC, CALLS, { prune: false, others: [other] }).added.length, 0);
    const taken: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'DynamoDBReadTTable', Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::z' },
      ],
    };
    assert.equal(planPolicy(taken, CALLS, { prune: false }).addedStatements[0]?.Sid, 'DynamoDBReadTTable2');
  });

  it('keeps what last-accessed data saw used in the window', () => {
    const since = Date.parse('2026-09-01T00:00:00Z');
    const veto = lastAccessedVeto(
      [
        {
          ServiceNamespace: 'sqs',
          LastAuthenticated: new Date('2026-11-01T00:00:00Z'),
          TrackedActionsLastAccessed: [],
        },
        {
          ServiceNamespace: 's3',
          LastAuthenticated: new Date('2026-11-02T00:00:00Z'),
          TrackedActionsLastAccessed: [
            { ActionName: 'GetObject', LastAccessedTime: new Date('2026-11-02T00:00:00Z') },
            { ActionName: 'PutObject', LastAccessedTime: new Date('2026-01-01T00:00:00Z') },
          ],
        },
      ],
      since,
    );
    assert.match(veto('sqs:SendMessage') ?? '', /sqs used on 2026-11-01/);
    assert.equal(veto('s3:PutObject'), null);
    assert.match(veto('s3:Get*') ?? '', /s3:GetObject used on 2026-11-02/);
    assert.equal(veto('dynamodb:GetItem'), null);
    const plan = planPolicy(DOC, CALLS, { prune: true, add: false, keepAction: veto });
    assert.ok(plan.document.Statement.some((s) => s.Sid === 'Old'));
  });
});

describe('planPrune', () => {
  it('deletes an inline policy left empty, never empties a managed one', () => {
    const doc: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }],
    };
    const [inline, managed] = planPrune(
      [
        { kind: 'inline', name: 'i', arn: null, versionId: null, document: doc },
        {
          kind: 'managed',
          name: 'm',
          arn: `arn:aws:iam::${ACCOUNT}:policy/m`,
          versionId: 'v1',
          document: doc,
        },
      ],
      CALLS,
      { passRole: false },
    );
    assert.equal(inline?.step, 'delete-inline');
    assert.equal(managed?.step, 'skip');
    assert.match(managed?.note ?? '', /detach it/);
  });

  it('reads back only well-formed rollback files', () => {
    assert.equal(parseRollback('{}', 'f').ok, false);
    const ok = parseRollback(
      JSON.stringify({
        format: 'leastpriv-rollback/1',
        role: 'app',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/app`,
        savedAt: '2026-12-03T00:00:00.000Z',
        before: 'prune --apply',
        policies: [{ kind: 'inline', name: 'p', document: { Version: '2012-10-17', Statement: [] } }],
      }),
      'f',
    );
    assert.equal(ok.ok, true);
  });
});

describe('the leastpriv-owned Terraform block', () => {
  const TF = `# head {
locals {
  s = "a } \${jsonencode({ k = "}" })} b"
  h = <<EOT
  } not a brace
EOT
}

/* data "aws_iam_policy_document" "leastpriv" { */
data "aws_iam_policy_document" "leastpriv" {
  statement {
    actions   = ["s3:GetObject"] # a comment }
    resources = ["*"]
  }
}

resource "x" "y" {}
`;

  it('is found past strings, templates, heredocs and comments', () => {
    const range = findPolicyDocumentBlock(TF, 'leastpriv');
    assert.ok(range);
    assert.equal(TF.slice(range.start, range.start + 4), 'data');
    assert.equal(TF.slice(range.end), '\n\nresource "x" "y" {}\n');
    assert.equal(findPolicyDocumentBlock(TF, 'other'), null);
  });

  it('gets statements appended, every other byte kept', () => {
    const range = findPolicyDocumentBlock(TF, 'leastpriv');
    assert.ok(range);
    const out = appendToPolicyDocumentBlock(
      TF,
      range,
      [{ Sid: 'X', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }],
      'leastpriv',
    );
    const cut = TF.indexOf('  }\n}\n\nresource') + 4;
    assert.equal(
      out,
      `${TF.slice(0, cut)}
  statement {
    sid       = "X"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = ["*"]
  }
${TF.slice(cut)}`,
    );
  });

  it('is rewritten whole when entries go, with CRLF kept', () => {
    const crlf = TF.replace(/\n/g, '\r\n');
    const range = findPolicyDocumentBlock(crlf, 'leastpriv');
    assert.ok(range);
    const out = replacePolicyDocumentBlock(
      crlf,
      range,
      { Version: '2012-10-17', Statement: [] },
      'leastpriv',
    );
    assert.equal(
      out,
      `${crlf.slice(0, range.start)}data "aws_iam_policy_document" "leastpriv" {\r\n}${crlf.slice(range.end)}`,
    );
  });
});

describe('leastpriv.yaml', () => {
  it('reads roles and refuses mistakes with the role and key named', () => {
    const ok = parseRefineConfig(
      'roles:\n  - name: ci\n    policy: ci.tf\n    usage:\n      calls: a.ndjson\n      days: 30\n',
      'c.yaml',
    );
    assert.deepEqual(ok, {
      ok: true,
      value: {
        roles: [
          {
            name: 'ci',
            arn: null,
            policy: 'ci.tf',
            block: 'leastpriv',
            includeOtherPolicies: false,
            usage: { calls: ['a.ndjson'], cloudtrail: [], athena: null, accessAnalyzer: null, days: 30 },
          },
        ],
      },
    });
    const bad = (text: string) => {
      const r = parseRefineConfig(text, 'c.yaml');
      assert.equal(r.ok, false);
      return r.ok ? '' : r.error;
    };
    assert.match(bad('roles: []\n'), /needs a list of roles/);
    assert.match(
      bad('roles:\n  - name: ci\n    policy: p\n    usage: {calls: a}\n    polcy: x\n'),
      /unknown key 'polcy'/,
    );
    assert.match(
      bad(
        'roles:\n  - name: ci\n    arn: arn:aws:iam::123456789012:role/other\n    policy: p\n    usage: {calls: a}\n',
      ),
      /names the role other, not ci/,
    );
    assert.match(bad('roles:\n  - name: ci\n    policy: p\n    usage: {}\n'), /names no calls log/);
    assert.match(
      bad('roles:\n  - name: ci\n    policy: p\n    usage: {athena: {tabel: x}}\n'),
      /roles\[0\] \(ci\)\.usage\.athena: unknown key 'tabel' \(known: workgroup, database, catalog, table, output_location, plain_table\)/,
    );
    assert.match(
      bad('roles:\n  - name: ci\n    policy: p\n    usage: {athena: {output_location: /tmp}}\n'),
      /usage\.athena\.output_location must be an s3:\/\/ URL/,
    );
  });

  it('reads an Athena usage source, with defaults for what it leaves out', () => {
    const athena = (yaml: string) => {
      const r = parseRefineConfig(
        `roles:\n  - name: ci\n    policy: p\n    usage:\n      athena: ${yaml}\n`,
        'c.yaml',
      );
      assert.ok(r.ok, r.ok ? '' : r.error);
      return r.value.roles[0]?.usage.athena;
    };
    const defaults = {
      workgroup: 'primary',
      database: 'default',
      catalog: 'AwsDataCatalog',
      table: 'cloudtrail_logs',
      outputLocation: null,
      plainTable: false,
    };
    assert.deepEqual(athena('true'), defaults);
    assert.deepEqual(athena('{database: sec, table: ct, output_location: "s3://r/x/", plain_table: true}'), {
      ...defaults,
      database: 'sec',
      table: 'ct',
      outputLocation: 's3://r/x/',
      plainTable: true,
    });
  });

  it('names branches git accepts', () => {
    assert.equal(refineBranch('ci'), 'leastpriv/refine-ci');
    assert.equal(refineBranch('a+b@c..d'), 'leastpriv/refine-a-b-c.d');
  });
});
