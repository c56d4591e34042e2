// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${...}
/**
 * A generated corpus of identity-policy evaluation cases: random policies from pools of actions,
 * resources (with wildcards and policy variables) and condition blocks (every operator family,
 * IfExists, ForAnyValue/ForAllValues, Null), each with a request and a request context.
 * Deterministic: the same seed gives the same cases.
 */
import type { ConditionBlock, PolicyDocument, Statement } from '../../../src/model/index.js';

export interface Case {
  id: number;
  policies: PolicyDocument[];
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

/** Mulberry32: a small deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACCOUNT = '123456789012';

/** Requests: an action with resources of its own resource types. */
const REQUESTS: [string, string[]][] = [
  [
    's3:GetObject',
    [
      'arn:aws:s3:::my-bucket/alice/notes.txt',
      'arn:aws:s3:::my-bucket/logs/2024/a.gz',
      'arn:aws:s3:::other/x',
    ],
  ],
  ['s3:PutObject', ['arn:aws:s3:::my-bucket/bob/k:with:colons', 'arn:aws:s3:::my-bucket/?mark']],
  ['s3:ListBucket', ['arn:aws:s3:::my-bucket', 'arn:aws:s3:::my-bucket-2']],
  [
    'dynamodb:GetItem',
    [
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/Orders`,
      `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/orders`,
    ],
  ],
  ['dynamodb:PutItem', [`arn:aws:dynamodb:us-east-2:${ACCOUNT}:table/Orders`]],
  ['ec2:DescribeInstances', ['*']],
  ['iam:PassRole', [`arn:aws:iam::${ACCOUNT}:role/app-role`, `arn:aws:iam::${ACCOUNT}:role/path/admin`]],
  ['sqs:SendMessage', [`arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`]],
];

const ACTION_ENTRIES = [
  '*',
  's3:*',
  's3:Get*',
  's3:GetObject',
  'S3:getobject',
  's3:?etObject',
  's3:*Object',
  's3:List*',
  's3:PutObject',
  'dynamodb:*Item',
  'dynamodb:GetItem',
  'ec2:Describe*',
  'ec2:DescribeInstances',
  'iam:Pass*',
  'iam:PassRole',
  'sqs:*',
  'sqs:Send?essage',
];

const RESOURCE_ENTRIES = [
  '*',
  'arn:aws:s3:::my-bucket/*',
  'arn:aws:s3:::my-bucket',
  'arn:aws:s3:::my-bucket*',
  'arn:aws:s3:::my-bucket/${aws:username}/*',
  'arn:aws:s3:::my-bucket/${aws:PrincipalTag/team}/*',
  "arn:aws:s3:::my-bucket/${aws:userid, 'nobody'}/*",
  'arn:aws:s3:::my-bucket/${*}star',
  'arn:aws:s3:::my-bucket/${?}mark',
  'arn:aws:s3:::*/logs/*',
  'arn:aws:s3:::other/?',
  'arn:aws:s3:::my-bucket-?',
  `arn:aws:dynamodb:*:${ACCOUNT}:table/Orders`,
  'arn:aws:dynamodb:us-east-?:*:table/*',
  `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`,
  `arn:aws:iam::${ACCOUNT}:role/app-*`,
  `arn:aws:iam::${ACCOUNT}:role/*`,
  `arn:aws:iam::*:role/path/*`,
  `arn:aws:sqs:*:${ACCOUNT}:*`,
  'arn:aws:sqs:us-east-1:*:jobs',
  'arn:*:s3:::my-bucket/*',
  'arn:aws:*:*:*:*',
];

/** Condition entries: operator, key, policy values. */
const CONDITIONS: [string, string, string[]][] = [
  ['StringEquals', 'aws:RequestedRegion', ['us-east-1']],
  ['StringEquals', 'aws:RequestedRegion', ['eu-west-1', 'us-east-1']],
  ['StringNotEquals', 'aws:RequestedRegion', ['eu-west-1']],
  ['StringEqualsIfExists', 'aws:RequestedRegion', ['us-east-1']],
  ['StringNotEqualsIfExists', 'aws:RequestedRegion', ['us-east-1']],
  ['StringLike', 'aws:username', ['ali*']],
  ['StringLike', 'aws:username', ['?ob']],
  ['StringNotLike', 'aws:username', ['a*']],
  ['StringLikeIfExists', 'aws:username', ['bob']],
  ['StringEqualsIgnoreCase', 'aws:PrincipalTag/team', ['PLATFORM']],
  ['StringNotEqualsIgnoreCase', 'aws:PrincipalTag/team', ['platform']],
  ['StringEquals', 'aws:PrincipalTag/team', ['${aws:username}']],
  ['StringLike', 's3:prefix', ['${aws:username}/*']],
  ['NumericLessThan', 'aws:MultiFactorAuthAge', ['3600']],
  ['NumericGreaterThanEquals', 'aws:MultiFactorAuthAge', ['60']],
  ['NumericEquals', 'aws:MultiFactorAuthAge', ['120']],
  ['NumericNotEquals', 'aws:MultiFactorAuthAge', ['120']],
  ['NumericLessThanEqualsIfExists', 'aws:MultiFactorAuthAge', ['100']],
  ['DateGreaterThan', 'aws:CurrentTime', ['2024-01-01T00:00:00Z']],
  ['DateLessThan', 'aws:CurrentTime', ['2025-06-01T00:00:00Z']],
  ['DateLessThanEquals', 'aws:EpochTime', ['1700000000']],
  ['DateEquals', 'aws:TokenIssueTime', ['2024-05-01T12:00:00Z']],
  ['DateNotEquals', 'aws:TokenIssueTime', ['2024-05-01T12:00:00Z']],
  ['DateGreaterThanEqualsIfExists', 'aws:CurrentTime', ['2024-03-01T00:00:00Z']],
  ['Bool', 'aws:SecureTransport', ['true']],
  ['Bool', 'aws:MultiFactorAuthPresent', ['false']],
  ['BoolIfExists', 'aws:MultiFactorAuthPresent', ['true']],
  ['IpAddress', 'aws:SourceIp', ['203.0.113.0/24']],
  ['IpAddress', 'aws:SourceIp', ['2001:db8::/32', '198.51.100.7']],
  ['NotIpAddress', 'aws:SourceIp', ['203.0.113.0/24']],
  ['NotIpAddressIfExists', 'aws:SourceIp', ['10.0.0.0/8']],
  ['Null', 'aws:TokenIssueTime', ['true']],
  ['Null', 'aws:MultiFactorAuthAge', ['false']],
  ['ArnLike', 'aws:SourceArn', [`arn:aws:sns:*:${ACCOUNT}:topic-*`]],
  ['ArnEquals', 'aws:SourceArn', [`arn:aws:sns:us-east-1:${ACCOUNT}:topic-a`]],
  ['ArnNotLike', 'aws:SourceArn', ['arn:aws:sns:eu-*:*:*']],
  ['ArnNotEquals', 'aws:PrincipalArn', [`arn:aws:iam::${ACCOUNT}:user/alice`]],
  ['ArnLikeIfExists', 'aws:PrincipalArn', [`arn:aws:iam::${ACCOUNT}:user/*`]],
  ['ForAnyValue:StringEquals', 'aws:TagKeys', ['env', 'team']],
  ['ForAllValues:StringEquals', 'aws:TagKeys', ['env', 'team']],
  ['ForAllValues:StringLike', 'aws:TagKeys', ['team*']],
  ['ForAnyValue:StringLike', 'aws:TagKeys', ['c?st*']],
  ['ForAllValues:StringNotEquals', 'aws:TagKeys', ['secret']],
  ['ForAnyValue:StringNotEquals', 'aws:TagKeys', ['env']],
  ['ForAnyValue:StringEqualsIgnoreCase', 'aws:TagKeys', ['ENV']],
  ['ForAllValues:StringEqualsIfExists', 'aws:TagKeys', ['env']],
  ['ForAnyValue:StringLike', 'aws:PrincipalServiceNamesList', ['*.amazonaws.com']],
  ['StringEquals', 'aws:TagKeys', ['env']],
  ['StringNotEquals', 'aws:TagKeys', ['env']],
  ['StringLike', 'aws:TagKeys', ['team*']],
  ['StringNotEquals', 'aws:username', ['${aws:PrincipalTag/team}']],
  ['StringEquals', 'aws:username', ['${aws:PrincipalTag/team}', 'bob']],
  ['Null', 'aws:TagKeys', ['true']],
  ['Null', 'aws:PrincipalServiceNamesList', ['false']],
  ['ForAnyValue:StringEqualsIfExists', 'aws:TagKeys', ['team-a']],
  ['ForAllValues:StringNotLikeIfExists', 'aws:TagKeys', ['sec*']],
  ['StringEquals', 'AWS:requestedregion', ['us-east-1']],
  ['ArnLike', 'aws:SourceArn', ['arn:aws:sns:us-east-1:*:${aws:username}*']],
  ['StringLike', 'aws:userid', ['*${aws:username}']],
  ['NumericGreaterThan', 'aws:MultiFactorAuthAge', ['100.5']],
  ['IpAddress', 'aws:SourceIp', ['203.0.113.9']],
  ['StringEqualsIgnoreCase', 'aws:username', ['ALICE', 'Bob']],
];

/** Possible values of each context key (absent is always possible too). */
const CONTEXT_VALUES: Record<string, (string | string[])[]> = {
  'aws:RequestedRegion': ['us-east-1', 'eu-west-1', 'ap-south-1'],
  'aws:username': ['alice', 'bob', 'carol'],
  'aws:userid': ['AIDAEXAMPLE', 'alice', 'AROAEXAMPLE:bob'],
  'aws:PrincipalAccount': [ACCOUNT, '999999999999'],
  'aws:PrincipalTag/team': ['platform', 'Platform', 'alice', 'data'],
  's3:prefix': ['alice/', 'alice/docs', 'bob/x', ''],
  'aws:MultiFactorAuthAge': ['30', '120', '7200', '3600'],
  'aws:CurrentTime': ['2024-02-01T10:00:00Z', '2023-12-31T23:59:59Z', '2025-07-01T00:00:00Z'],
  'aws:EpochTime': ['1600000000', '1700000000', '1800000000'],
  'aws:TokenIssueTime': ['2024-05-01T12:00:00Z', '2024-05-01T12:00:01Z'],
  'aws:SecureTransport': ['true', 'false', 'TRUE'],
  'aws:MultiFactorAuthPresent': ['true', 'false'],
  'aws:SourceIp': ['203.0.113.9', '198.51.100.7', '10.1.2.3', '2001:db8::1', '2001:db9::1'],
  'aws:SourceArn': [
    `arn:aws:sns:us-east-1:${ACCOUNT}:topic-a`,
    `arn:aws:sns:eu-west-1:${ACCOUNT}:topic-b`,
    `arn:aws:sns:us-east-1:999999999999:other`,
  ],
  'aws:PrincipalArn': [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:role/ci`],
  'aws:TagKeys': [['env'], ['env', 'team'], ['team-a', 'team-b'], ['env', 'secret'], ['cost-center'], []],
  'aws:PrincipalServiceNamesList': [['ec2.amazonaws.com'], ['lambda.amazonaws.com', 'example.com'], []],
};

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

function some<T>(r: () => number, list: readonly T[], max: number): T[] {
  const n = 1 + Math.floor(r() * max);
  return [...new Set(Array.from({ length: n }, () => pick(r, list)))];
}

function statement(r: () => number, request: [string, string[]]): Statement {
  const st: Statement = { Effect: r() < 0.75 ? 'Allow' : 'Deny' };
  const actions = some(r, ACTION_ENTRIES, 3);
  // Bias towards entries that can match the request, so allows and denies are both common.
  if (r() < 0.5) actions.push(request[0]);
  const resources = some(r, RESOURCE_ENTRIES, 3);
  if (r() < 0.3) resources.push(pick(r, request[1]));
  const one = (xs: string[]) => (xs.length === 1 ? (xs[0] as string) : xs);
  if (r() < 0.15) st.NotAction = one(actions.filter((a) => a !== request[0] || r() < 0.3));
  else st.Action = one(actions);
  if (r() < 0.12) st.NotResource = one(resources);
  else st.Resource = one(resources);
  if (st.NotAction !== undefined && (st.NotAction as string[]).length === 0) st.NotAction = 'sqs:*';
  const n = r() < 0.35 ? 0 : 1 + Math.floor(r() * 3);
  if (n > 0) {
    const block: ConditionBlock = {};
    for (let i = 0; i < n; i++) {
      const [op, key, values] = pick(r, CONDITIONS);
      block[op] ??= {};
      (block[op] as Record<string, string[]>)[key] = values;
    }
    st.Condition = block;
  }
  return st;
}

/** `count` cases from `seed`. */
export function corpus(seed: number, count: number): Case[] {
  const r = rng(seed);
  const out: Case[] = [];
  for (let id = 0; id < count; id++) {
    const request = pick(r, REQUESTS);
    const statements = Array.from({ length: 1 + Math.floor(r() * 3) }, () => statement(r, request));
    const context: Record<string, string | string[]> = {};
    for (const [key, values] of Object.entries(CONTEXT_VALUES)) {
      if (r() < 0.55) context[key] = pick(r, values);
    }
    out.push({
      id,
      policies: [{ Version: '2012-10-17', Statement: statements }],
      action: request[0],
      resource: pick(r, request[1]),
      context,
    });
  }
  return out;
}
