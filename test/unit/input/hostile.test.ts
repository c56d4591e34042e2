// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Terraform interpolations are written ${...}
/**
 * Inputs built to break the readers: keys that are Object.prototype's own, nesting thousands of
 * levels deep, hand-made calls logs. Each is read exactly or refused with file, line and what to
 * fix; none throws.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Session } from '../../../src/index.js';
import { parseCallsLog, parsePolicyInput, recordNeeds } from '../../../src/input/index.js';
import type { CallRecord, PolicyDocument } from '../../../src/model/index.js';
import { checkCalls } from '../../../src/policy/evaluate/check.js';

const DEEP = 4000;

/** An own property, read without the `__proto__` accessor. */
const own = (o: object, k: string): unknown => Object.getOwnPropertyDescriptor(o, k)?.value;

const GOOD = {
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
  resources: ['arn:aws:s3:::b/k'],
  unresolved: null,
};
const goodLine = JSON.stringify(GOOD);

function verdict(docs: readonly PolicyDocument[]): { allowed: number; denied: number } {
  const r = checkCalls(docs, [GOOD as CallRecord], (rec) => recordNeeds(rec));
  return { allowed: r.allowed, denied: r.denials.length };
}

function documents(text: string, name: string): PolicyDocument[] {
  const r = parsePolicyInput(text, name);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value.documents;
}

const protoTerraform = (test: string) => `data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
    condition {
      test     = "${test}"
      variable = "StringEquals"
      values   = ["x"]
    }
  }
}
`;

describe('input: prototype keys', () => {
  for (const key of ['__proto__', 'constructor', 'toString']) {
    it(`Terraform: a condition test '${key}' is an operator like any other and pollutes nothing`, () => {
      const docs = documents(protoTerraform(key), 'p.tf');
      const condition = docs[0]?.Statement[0]?.Condition as Record<string, unknown>;
      assert.deepEqual(Object.keys(condition), [key]);
      assert.deepEqual(Object.entries(condition[key] as object), [['StringEquals', ['x']]]);
      assert.equal(Object.hasOwn(Object.prototype, 'StringEquals'), false);
      assert.equal(Object.hasOwn(Object, 'StringEquals'), false);
      // an unknown operator never holds: the call is denied, as with any made-up operator
      assert.deepEqual(verdict(docs), verdict(documents(protoTerraform('BogusOp'), 'p.tf')));
      assert.deepEqual(verdict(docs), { allowed: 0, denied: 1 });
    });
  }

  it('policy JSON and CloudFormation: a __proto__ condition operator is kept as written', () => {
    const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"__proto__":{"StringEquals":["x"]},"StringLike":{"__proto__":"y"}}}]}`;
    const template = `{"Resources":{"P":{"Type":"AWS::IAM::ManagedPolicy","Properties":{"PolicyDocument":${doc}}}}}`;
    for (const [text, name] of [
      [doc, 'p.json'],
      [template, 't.json'],
    ] as const) {
      const docs = documents(text, name);
      const condition = docs[0]?.Statement[0]?.Condition as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(condition), ['__proto__', 'StringLike'], name);
      assert.deepEqual(Object.entries(own(condition, '__proto__') ?? {}), [['StringEquals', ['x']]], name);
      assert.deepEqual(Object.entries(condition.StringLike ?? {}), [['__proto__', ['y']]], name);
      assert.equal(
        JSON.stringify(condition),
        '{"__proto__":{"StringEquals":["x"]},"StringLike":{"__proto__":["y"]}}',
        name,
      );
      assert.deepEqual(verdict(docs), { allowed: 0, denied: 1 }, name);
    }
  });
});

const tfDoc = (actions: string) => `data "aws_iam_policy_document" "p" {
  statement {
    actions   = ${actions}
    resources = ["*"]
  }
}
`;

describe('input: Terraform nested 4,000 levels deep', () => {
  const cases: [string, string, string][] = [
    [
      'lists',
      tfDoc(`${'['.repeat(DEEP)}"s3:GetObject"${']'.repeat(DEEP)}`),
      'deep.tf: line 3: nested deeper than 64 levels',
    ],
    [
      'objects in a local',
      `locals {\n  x = ${'{a = '.repeat(DEEP)}1${'}'.repeat(DEEP)}\n}\n${tfDoc('["s3:GetObject"]')}`,
      'deep.tf: line 2: nested deeper than 64 levels',
    ],
    [
      'function calls',
      `locals {\n  x = ${'f('.repeat(DEEP)}1${')'.repeat(DEEP)}\n}\n${tfDoc('["s3:GetObject"]')}`,
      'deep.tf: line 2: nested deeper than 64 levels',
    ],
    [
      'parentheses',
      `locals {\n  x = ${'('.repeat(DEEP)}1${')'.repeat(DEEP)}\n}\n${tfDoc('["s3:GetObject"]')}`,
      'deep.tf: line 2: nested deeper than 64 levels',
    ],
    [
      'blocks',
      `${'a {\n'.repeat(DEEP)}${'}\n'.repeat(DEEP)}${tfDoc('["s3:GetObject"]')}`,
      'deep.tf: line 65: nested deeper than 64 levels',
    ],
    [
      'a jsonencode policy',
      `resource "aws_iam_policy" "p" {\n  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = "s3:GetObject", Resource = "*", Condition = ${'{a = '.repeat(DEEP)}1${'}'.repeat(DEEP)}}]})\n}\n`,
      'deep.tf: line 2: nested deeper than 64 levels',
    ],
  ];
  for (const [what, text, error] of cases) {
    it(`${what}: a one-line error naming the file and line`, () => {
      assert.deepEqual(parsePolicyInput(text, 'deep.tf'), {
        ok: false,
        error: `${error}; simplify the expression or write the policy as JSON`,
      });
    });
  }

  it('a local that refers to itself matches nothing and says so', () => {
    const text = `locals {
  a = [local.a]
  s = "x\${local.s}"
}
data "aws_iam_policy_document" "p" {
  statement {
    actions   = local.a
    resources = ["\${local.s}"]
  }
}
`;
    const r = parsePolicyInput(text, 'cycle.tf');
    assert.ok(r.ok);
    assert.deepEqual(r.value.documents[0]?.Statement[0], {
      Effect: 'Allow',
      Action: ['${local.a}'],
      Resource: ['x${local.s}'],
    });
    assert.deepEqual(r.value.notes, [
      'cycle.tf:5 data.aws_iam_policy_document.p: local.a refers to itself; it matches nothing',
      'cycle.tf:5 data.aws_iam_policy_document.p: local.s refers to itself; it matches nothing',
    ]);
  });

  it('a chain of 3,000 locals: a one-line error naming the file and block', () => {
    const chain = Array.from({ length: 3000 }, (_, i) => `  l${i} = [local.l${i + 1}]\n`).join('');
    const text = `locals {\n${chain}  l3000 = "s3:GetObject"\n}\n${tfDoc('local.l0')}`;
    assert.deepEqual(parsePolicyInput(text, 'chain.tf'), {
      ok: false,
      error:
        'chain.tf:3004 data.aws_iam_policy_document.p: nested deeper than 64 levels; simplify the expression or write the policy as JSON',
    });
  });

  it('nesting within the limit still reads', () => {
    const docs = documents(tfDoc(`${'['.repeat(20)}"s3:GetObject"${']'.repeat(20)}`), 'ok.tf');
    assert.deepEqual(docs[0]?.Statement[0]?.Action, ['s3:GetObject']);
  });

  it('line numbers stay exact across many blocks (the reader counts lines once)', () => {
    const blocks = Array.from(
      { length: 300 },
      (_, i) =>
        `data "aws_iam_policy_document" "p${i}" {\n  statement {\n    actions = ["s3:GetObject"]\n  }\n}\n`,
    ).join('');
    const r = parsePolicyInput(`${blocks}resource "x" ]\n`, 'many.tf');
    assert.deepEqual(r, { ok: false, error: "many.tf: line 1501: expected '{'" });
  });
});

describe('input: CloudFormation nested 5,000 levels deep', () => {
  it('a JSON template: a one-line error naming the resource', () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const text = `{"Resources":{"P":{"Type":"AWS::IAM::ManagedPolicy","Properties":{"PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":${deep}}]}}}}}`;
    assert.deepEqual(parsePolicyInput(text, 't.json'), {
      ok: false,
      error: 't.json P: nested deeper than 64 levels; simplify the template',
    });
  });
});

const problem = (line: string) => parseCallsLog(`${goodLine}\n${line}\n`, 'calls.ndjson');
const err = (what: string) => ({
  ok: false,
  error: `calls.ndjson:2: ${what}; is this a calls log written by 'leastpriv --calls'?`,
});
const withField = (k: string, v: unknown) => JSON.stringify({ ...GOOD, [k]: v });

describe('input: hand-made calls logs', () => {
  it('refuses each malformed record with its file, line and what is wrong', () => {
    const without = (k: string) => JSON.stringify({ ...GOOD, [k]: undefined });
    const cases: [string, string][] = [
      ['[]', 'not a JSON object'],
      ['null', 'not a JSON object'],
      ['42', 'not a JSON object'],
      ['"s3:GetObject"', 'not a JSON object'],
      [without('service'), 'service must be a string or null'],
      [without('resources'), 'resources must be a list of strings or null'],
      [
        goodLine.replace('"status":200', '"status":1e400'),
        'status must be an HTTP status code (100 to 599) or null',
      ],
      [
        goodLine.replace('"status":200', '"status":99999999999999999999'),
        'status must be an HTTP status code (100 to 599) or null',
      ],
      [withField('status', 2.5), 'status must be an HTTP status code (100 to 599) or null'],
      [withField('status', '200'), 'status must be an HTTP status code (100 to 599) or null'],
      [
        withField('unresolved', 'constructor'),
        'unresolved must be null or one of not-aws-host, unknown-service, unknown-operation, ambiguous, unparseable-body, no-mapping, no-response, internal-error',
      ],
      [
        withField('unresolved', '__proto__'),
        'unresolved must be null or one of not-aws-host, unknown-service, unknown-operation, ambiguous, unparseable-body, no-mapping, no-response, internal-error',
      ],
      [
        withField('actions', ['toString']),
        'actions must be a list of IAM actions like s3:GetObject, or null',
      ],
      [
        withField('actions', 's3:GetObject'),
        'actions must be a list of IAM actions like s3:GetObject, or null',
      ],
      [withField('time', 7), 'time must be a string'],
      [withField('requirements', { length: 1e9 }), 'requirements must be a list'],
      [
        withField('requirements', [
          { action: 's3:GetObject', resources: ['*'], conditions: { StringEquals: { k: 'v' } } },
        ]),
        'requirements[0].conditions.StringEquals.k must be a list of strings',
      ],
    ];
    for (const [line, what] of cases) assert.deepEqual(problem(line), err(what), line.slice(0, 80));
  });

  it('a line nested thousands of levels deep is refused, not a crash', () => {
    const deep = `${'['.repeat(100000)}${']'.repeat(100000)}`;
    assert.deepEqual(problem(`{"time":${deep}}`), err('time must be a string'));
    assert.deepEqual(problem(deep), err('not a JSON object'));
  });

  it('keeps only the fields of the contract: an unknown deep field cannot break the session', () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const r = parseCallsLog(goodLine.replace(/\}$/, `,"extra":${deep}}`), 'calls.ndjson');
    assert.ok(r.ok);
    assert.deepEqual(r.value, [GOOD]);
    const s = new Session({ accountId: null, wildcardResources: false });
    for (const rec of r.value) s.addRecord(rec);
    assert.equal([...s.callsNdjson()].join(''), `${goodLine}\n`);
  });

  it('conditions keyed __proto__ stay own keys of the record', () => {
    const line = withField('requirements', [
      { action: 's3:GetObject', resources: ['*'], conditions: JSON.parse('{"__proto__":{"k":["v"]}}') },
    ]);
    const r = parseCallsLog(line, 'calls.ndjson');
    assert.ok(r.ok);
    const conditions = r.value[0]?.requirements?.[0]?.conditions as Record<string, unknown>;
    assert.deepEqual(Object.keys(conditions), ['__proto__']);
    assert.deepEqual(Object.entries(own(conditions, '__proto__') as object), [['k', ['v']]]);
  });
});
