// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...}
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConditionBlock, PolicyDocument, Statement } from '../../../src/model/index.js';
import { type ContextValue, evaluate, ipInRange } from '../../../src/policy/evaluate/index.js';

const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const allow = (
  Action: string | string[],
  Resource: string | string[],
  Condition?: ConditionBlock,
): Statement => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});
const decide = (
  docs: PolicyDocument[],
  action: string,
  resource: string,
  context: Record<string, ContextValue> = {},
) => evaluate(docs, { action, resource, context }).decision;

const OBJ = 'arn:aws:s3:::b/alice/k.txt';

describe('evaluate/actions and resources', () => {
  it('matches actions case-insensitively with * and ?', () => {
    const d = [doc(allow(['S3:get*', 'sqs:Send?essage'], '*'))];
    assert.equal(decide(d, 's3:GetObject', OBJ), 'allowed');
    assert.equal(decide(d, 'sqs:SendMessage', '*'), 'allowed');
    assert.equal(decide(d, 's3:PutObject', OBJ), 'implicit-deny');
    assert.equal(decide(d, 'sqs:SendMessageBatch', '*'), 'implicit-deny');
  });

  it('matches ARNs field by field; a short ARN has * for its missing fields', () => {
    assert.equal(decide([doc(allow('s3:GetObject', 'arn:aws:s3:::b/*'))], 's3:GetObject', OBJ), 'allowed');
    assert.equal(
      decide([doc(allow('s3:GetObject', 'arn:aws:s3:::c/*'))], 's3:GetObject', OBJ),
      'implicit-deny',
    );
    assert.equal(decide([doc(allow('s3:GetObject', 'arn:aws:*'))], 's3:GetObject', OBJ), 'allowed');
    const table = 'arn:aws:dynamodb:us-east-1:123456789012:table/T';
    assert.equal(
      decide([doc(allow('dynamodb:GetItem', 'arn:aws:dynamodb:*:*:table/T'))], 'dynamodb:GetItem', table),
      'allowed',
    );
    // A wildcard in the region field does not reach into the account field.
    assert.equal(
      decide([doc(allow('dynamodb:GetItem', 'arn:aws:dynamodb:us-*1:table/T'))], 'dynamodb:GetItem', table),
      'implicit-deny',
    );
  });

  it('grants an action without resource-level permissions only through Resource "*"', () => {
    assert.equal(
      decide(
        [doc(allow('ec2:DescribeInstances', 'arn:aws:ec2:*:*:instance/*'))],
        'ec2:DescribeInstances',
        '*',
      ),
      'implicit-deny',
    );
    assert.equal(decide([doc(allow('ec2:DescribeInstances', '*'))], 'ec2:DescribeInstances', '*'), 'allowed');
  });

  it('NotAction and NotResource apply to everything else; an explicit Deny wins', () => {
    const d = [
      doc(
        { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
        { Effect: 'Deny', Action: 's3:*', NotResource: 'arn:aws:s3:::b/*' },
      ),
    ];
    assert.equal(decide(d, 's3:GetObject', OBJ), 'allowed');
    assert.equal(decide(d, 's3:GetObject', 'arn:aws:s3:::other/k'), 'explicit-deny');
    assert.equal(decide(d, 'iam:CreateUser', '*'), 'implicit-deny');
    const e = evaluate(d, { action: 's3:GetObject', resource: 'arn:aws:s3:::x/y' });
    assert.deepEqual(e.deniedBy, [{ document: 0, statement: 1, sid: null, actions: [0], resources: [] }]);
  });

  it('substitutes policy variables, with defaults and the ${*} ${?} ${$} literals', () => {
    const d = [
      doc(
        allow('s3:GetObject', [
          'arn:aws:s3:::b/${aws:username}/*',
          "arn:aws:s3:::d/${aws:userid, 'none'}/x",
          'arn:aws:s3:::e/${*}',
        ]),
      ),
    ];
    assert.equal(decide(d, 's3:GetObject', OBJ, { 'aws:username': 'alice' }), 'allowed');
    assert.equal(decide(d, 's3:GetObject', OBJ, { 'aws:username': 'bob' }), 'implicit-deny');
    assert.equal(decide(d, 's3:GetObject', OBJ), 'implicit-deny', 'no value: matches nothing');
    assert.equal(decide(d, 's3:GetObject', 'arn:aws:s3:::d/none/x'), 'allowed');
    assert.equal(decide(d, 's3:GetObject', 'arn:aws:s3:::e/*'), 'allowed');
    assert.equal(decide(d, 's3:GetObject', 'arn:aws:s3:::e/x'), 'implicit-deny', '${*} is a literal star');
    const old: PolicyDocument = { Version: '2008-10-17' as '2012-10-17', Statement: d[0]?.Statement ?? [] };
    assert.equal(decide([old], 's3:GetObject', OBJ, { 'aws:username': 'alice' }), 'implicit-deny');
  });
});

/** [operator, key, policy values, context, expected] */
const CONDITIONS: [string, string, string[], Record<string, ContextValue>, boolean][] = [
  ['StringEquals', 'aws:RequestedRegion', ['us-east-1'], { 'aws:requestedregion': 'us-east-1' }, true],
  ['StringEquals', 'aws:RequestedRegion', ['us-east-1'], {}, false],
  ['StringNotEquals', 'aws:RequestedRegion', ['us-east-1'], {}, true],
  ['StringNotEquals', 'aws:RequestedRegion', ['us-east-1'], { 'aws:RequestedRegion': 'eu-west-1' }, true],
  [
    'StringEqualsIgnoreCase',
    'aws:PrincipalTag/team',
    ['PLATFORM'],
    { 'aws:PrincipalTag/team': 'platform' },
    true,
  ],
  [
    'StringLike',
    's3:prefix',
    ['home/${aws:username}/*'],
    { 's3:prefix': 'home/alice/x', 'aws:username': 'alice' },
    true,
  ],
  ['StringNotLike', 'aws:username', ['a*'], { 'aws:username': 'alice' }, false],
  ['StringEqualsIfExists', 'aws:RequestedRegion', ['us-east-1'], {}, true],
  ['StringNotEquals', 'aws:username', ['${aws:PrincipalTag/x}'], { 'aws:username': 'a' }, false],
  ['NumericLessThan', 'aws:MultiFactorAuthAge', ['3600'], { 'aws:MultiFactorAuthAge': '120' }, true],
  ['NumericGreaterThanEquals', 'aws:MultiFactorAuthAge', ['3600'], { 'aws:MultiFactorAuthAge': 'x' }, false],
  [
    'DateGreaterThan',
    'aws:CurrentTime',
    ['2024-01-01T00:00:00Z'],
    { 'aws:CurrentTime': '2024-06-01T00:00:00Z' },
    true,
  ],
  ['DateLessThan', 'aws:EpochTime', ['2024-01-01T00:00:00Z'], { 'aws:EpochTime': '1600000000' }, true],
  ['Bool', 'aws:SecureTransport', ['true'], { 'aws:SecureTransport': 'TRUE' }, true],
  ['BoolIfExists', 'aws:MultiFactorAuthPresent', ['true'], {}, true],
  ['IpAddress', 'aws:SourceIp', ['203.0.113.0/24'], { 'aws:SourceIp': '203.0.113.77' }, true],
  ['IpAddress', 'aws:SourceIp', ['2001:db8::/32'], { 'aws:SourceIp': '2001:db8:1::5' }, true],
  ['NotIpAddress', 'aws:SourceIp', ['10.0.0.0/8'], { 'aws:SourceIp': '10.2.3.4' }, false],
  ['Null', 'aws:TokenIssueTime', ['true'], {}, true],
  ['Null', 'aws:TagKeys', ['false'], { 'aws:TagKeys': [] }, true],
  [
    'ArnLike',
    'aws:SourceArn',
    ['arn:aws:sns:*:123456789012:t-*'],
    { 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:t-a' },
    true,
  ],
  [
    'ArnNotEquals',
    'aws:PrincipalArn',
    ['arn:aws:iam::1:user/a'],
    { 'aws:PrincipalArn': 'arn:aws:iam::1:user/a' },
    false,
  ],
  ['ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], { 'aws:TagKeys': ['env', 'x'] }, true],
  ['ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], {}, false],
  ['ForAllValues:StringLike', 'aws:TagKeys', ['team*'], { 'aws:TagKeys': ['team-a', 'team-b'] }, true],
  ['ForAllValues:StringLike', 'aws:TagKeys', ['team*'], { 'aws:TagKeys': ['team-a', 'env'] }, false],
  ['ForAllValues:StringEquals', 'aws:TagKeys', ['env'], {}, true],
  ['ForAllValues:StringNotEquals', 'aws:TagKeys', ['secret'], { 'aws:TagKeys': ['env'] }, true],
  ['StringEquals', 'aws:TagKeys', ['env'], { 'aws:TagKeys': ['env'] }, false],
  ['StringEqualz', 'aws:TagKeys', ['env'], { 'aws:TagKeys': 'env' }, false],
];

describe('evaluate/conditions', () => {
  for (const [op, key, values, context, expected] of CONDITIONS) {
    it(`${op} ${key} ${JSON.stringify(values)} with ${JSON.stringify(context)} → ${expected}`, () => {
      const d = [doc(allow('s3:GetObject', '*', { [op]: { [key]: values } }))];
      assert.equal(decide(d, 's3:GetObject', OBJ, context), expected ? 'allowed' : 'implicit-deny');
    });
  }

  it('matches IPv4-mapped and compressed IPv6 addresses', () => {
    assert.ok(ipInRange('::ffff:192.0.2.1', '::ffff:192.0.2.0/120'));
    assert.ok(!ipInRange('192.0.2.1', '2001:db8::/32'));
    assert.ok(ipInRange('2001:db8::1', '2001:0db8:0000::1'));
  });
});
