/**
 * A CloudTrail log tree of the record shapes that hide permissions (versioned Lambda event
 * names, monitoring → cloudwatch, HeadObject → GetObject, PassRole from CreateFunction,
 * assumed-role sessions with and without an issuer, idempotency tokens, DynamoDB items, API
 * versions, denials, records that are not API calls), written in the S3 delivery layout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const ACCOUNT = '111122223333';
export const OTHER = '444455556666';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/deploy/ci-deployer`;
const APP = `arn:aws:iam::${ACCOUNT}:role/app`;

type Rec = Record<string, unknown>;

/** A session of a role: the session name differs per call, the issuer does not. */
function assumed(role: string, session: string, issuer = true): Rec {
  const name = role.split('/').pop();
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${session}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${session}`,
    accountId: ACCOUNT,
    ...(issuer ? { sessionContext: { sessionIssuer: { type: 'Role', arn: role, accountId: ACCOUNT } } } : {}),
  };
}

function record(
  time: string,
  source: string,
  name: string,
  params: Rec | null,
  identity: Rec,
  extra: Rec = {},
): Rec {
  return {
    eventVersion: '1.09',
    userIdentity: identity,
    eventTime: time,
    eventSource: source,
    eventName: name,
    awsRegion: 'us-east-1',
    requestParameters: params,
    responseElements: null,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
    ...extra,
  };
}

/** Records whose permissions hide behind their shape, on three days and two regions. */
function hiddenShapes(): { day: string; region: string; records: Rec[] }[] {
  const ci = (s: string) => assumed(ROLE, s);
  const app = (s: string) => assumed(APP, s);
  const d1 = '2026-11-01T';
  const d2 = '2026-11-02T';
  const d3 = '2026-11-03T';
  return [
    {
      day: '2026/11/01',
      region: 'us-east-1',
      records: [
        // Versioned Lambda event names, and PassRole from CreateFunction's role.
        record(
          `${d1}08:00:00Z`,
          'lambda.amazonaws.com',
          'CreateFunction20150331',
          {
            functionName: 'orders',
            role: `arn:aws:iam::${ACCOUNT}:role/lambda-exec`,
            runtime: 'nodejs20.x',
          },
          ci('gh-run-1'),
        ),
        record(
          `${d1}08:00:05Z`,
          'lambda.amazonaws.com',
          'UpdateFunctionCode20150331v2',
          {
            functionName: 'orders',
          },
          ci('gh-run-1'),
        ),
        record(
          `${d1}08:00:06Z`,
          'lambda.amazonaws.com',
          'GetFunction20150331v2',
          { functionName: 'orders' },
          ci('gh-run-2'),
        ),
        // monitoring.amazonaws.com is CloudWatch.
        record(
          `${d1}09:00:00Z`,
          'monitoring.amazonaws.com',
          'PutMetricData',
          { namespace: 'Orders' },
          app('i-1'),
        ),
        record(`${d1}09:00:01Z`, 'monitoring.amazonaws.com', 'GetMetricData', {}, app('i-2')),
        // HeadObject is authorized as GetObject; HeadBucket as ListBucket.
        record(
          `${d1}10:00:00Z`,
          's3.amazonaws.com',
          'HeadObject',
          {
            bucketName: 'orders-prod',
            key: 'in/a.csv',
            Host: 'orders-prod.s3.us-east-1.amazonaws.com',
          },
          app('i-1'),
          { resources: [{ ARN: 'arn:aws:s3:::orders-prod/in/a.csv', type: 'AWS::S3::Object' }] },
        ),
        record(
          `${d1}10:00:01Z`,
          's3.amazonaws.com',
          'HeadBucket',
          {
            bucketName: 'orders-prod',
            Host: 'orders-prod.s3.us-east-1.amazonaws.com',
          },
          app('i-1'),
        ),
        // DynamoDB items differ per call and never change what is needed.
        ...[1, 2, 3].map((i) =>
          record(
            `${d1}11:00:0${i}Z`,
            'dynamodb.amazonaws.com',
            'PutItem',
            {
              tableName: 'Orders',
              item: { id: { S: `o-${i}` } },
            },
            app(`i-${i}`),
          ),
        ),
        // Idempotency tokens differ per call too; an ARN-shaped one is kept as it is.
        ...[1, 2].map((i) =>
          record(
            `${d1}12:00:0${i}Z`,
            'ec2.amazonaws.com',
            'RunInstances',
            {
              instancesSet: { items: [{ imageId: 'ami-0abc', minCount: 1, maxCount: 1 }] },
              instanceType: 't3.micro',
              clientToken: `token-${i}`,
            },
            ci(`gh-run-${i}`),
          ),
        ),
        record(
          `${d1}12:30:00Z`,
          'secretsmanager.amazonaws.com',
          'CreateSecret',
          {
            name: 'db-password',
            clientRequestToken: 'abc-123',
          },
          ci('gh-run-1'),
        ),
        // A session whose record has no issuer: the role is read from the session ARN.
        record(
          `${d1}13:00:00Z`,
          'sqs.amazonaws.com',
          'GetQueueAttributes',
          {
            queueUrl: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/jobs`,
            attributeNames: ['All'],
          },
          assumed(APP, 'bare', false),
        ),
        // Denied, and an error that is not a denial.
        record(`${d1}14:00:00Z`, 'iam.amazonaws.com', 'CreateRole', { roleName: 'escalate' }, app('i-9'), {
          errorCode: 'AccessDenied',
          errorMessage: 'not authorized',
        }),
        record(
          `${d1}14:00:01Z`,
          's3.amazonaws.com',
          'GetObject',
          {
            bucketName: 'orders-prod',
            key: 'missing.csv',
            Host: 'orders-prod.s3.us-east-1.amazonaws.com',
          },
          app('i-9'),
          { errorCode: 'NoSuchKey' },
        ),
        // Not an API call.
        {
          ...record(`${d1}15:00:00Z`, 'signin.amazonaws.com', 'ConsoleLogin', null, {
            type: 'IAMUser',
            arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
            accountId: ACCOUNT,
          }),
          eventType: 'AwsConsoleSignIn',
        },
      ],
    },
    {
      day: '2026/11/02',
      region: 'eu-west-1',
      records: [
        record(
          `${d2}08:00:00Z`,
          'kms.amazonaws.com',
          'Decrypt',
          { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
          app('i-1'),
          {
            awsRegion: 'eu-west-1',
            resources: [
              {
                ARN: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
                accountId: ACCOUNT,
                type: 'AWS::KMS::Key',
              },
            ],
          },
        ),
        record(
          `${d2}08:00:01Z`,
          'elasticloadbalancing.amazonaws.com',
          'DescribeLoadBalancers',
          {},
          ci('gh-run-3'),
          {
            awsRegion: 'eu-west-1',
            apiVersion: '2015-12-01',
          },
        ),
        record(
          `${d2}08:00:02Z`,
          'elasticloadbalancing.amazonaws.com',
          'DescribeLoadBalancers',
          {},
          ci('gh-run-3'),
          {
            awsRegion: 'eu-west-1',
            apiVersion: '2012-06-01',
          },
        ),
        // Another account, the same role name.
        record(
          `${d2}09:00:00Z`,
          's3.amazonaws.com',
          'ListObjects',
          {
            bucketName: 'shared-artifacts',
            Host: 'shared-artifacts.s3.eu-west-1.amazonaws.com',
          },
          ci('gh-run-3'),
          { awsRegion: 'eu-west-1', recipientAccountId: OTHER },
        ),
        record(`${d2}10:00:00Z`, 'made-up.amazonaws.com', 'DoSomething', {}, app('i-1'), {
          awsRegion: 'eu-west-1',
        }),
      ],
    },
    {
      day: '2026/11/03',
      region: 'us-east-1',
      records: [
        record(`${d3}08:00:00Z`, 'sts.amazonaws.com', 'GetCallerIdentity', null, ci('gh-run-4')),
        record(
          `${d3}08:00:02Z`,
          'lambda.amazonaws.com',
          'UpdateFunctionCode20150331v2',
          { functionName: 'orders' },
          ci('gh-run-4'),
        ),
        record(
          `${d3}09:00:00Z`,
          'dynamodb.amazonaws.com',
          'PutItem',
          { tableName: 'Orders', item: { id: { S: 'o-9' } } },
          app('i-4'),
        ),
      ],
    },
  ];
}

/** Writes the tree in the S3 delivery layout: gzip files, and one plain .json file per day. */
export function writeTree(dir: string): string {
  const root = join(dir, 'AWSLogs');
  for (const { day, region, records } of hiddenShapes()) {
    const folder = join(root, ACCOUNT, 'CloudTrail', region, day);
    mkdirSync(folder, { recursive: true });
    const stamp = day.replace(/\//g, '');
    const half = Math.ceil(records.length / 2);
    writeFileSync(
      join(folder, `${ACCOUNT}_CloudTrail_${region}_${stamp}T0000Z_a.json.gz`),
      gzipSync(JSON.stringify({ Records: records.slice(0, half) })),
    );
    writeFileSync(
      join(folder, `${ACCOUNT}_CloudTrail_${region}_${stamp}T0005Z_b.json`),
      JSON.stringify({ Records: records.slice(half) }),
    );
  }
  return root;
}
