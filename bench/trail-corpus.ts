/**
 * A synthetic CloudTrail corpus shaped like real trails: gzipped delivery files of 1,000
 * records in the S3 layout, records of about 1.5 KB with the usual fields (assumed-role
 * sessions with their issuer, user agents, TLS details, request parameters, resources[],
 * response elements), a mix of management and data events over 12 principals, 30 operations
 * and bounded resource pools, 2% denied calls, a unique client token on the EC2 and
 * CloudFormation writes and a unique item key on every DynamoDB data event, as real trails have. The distinct (principal, operation, resource) tuples are the
 * same whatever the corpus size.
 *
 * Writing gigabytes of gzip would take longer than reading them, so the corpus is a fixed set
 * of distinct files (256 by default: 256,000 distinct records) hard-linked over and over in
 * the delivery layout until it holds the requested number of events.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const RECORDS_PER_FILE = 1000;

/** A small deterministic random source (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACCOUNTS = ['111111111111', '222222222222', '333333333333'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const ROLES = ['app/orders', 'app/payments', 'ci-deployer', 'etl-nightly'];
const AGENTS = [
  'aws-sdk-java/2.25.60 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy',
  'Boto3/1.34.101 md/Botocore#1.34.101 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.101',
  'aws-sdk-js/3.577.0 ua/2.0 os/linux#5.10.219 lang/js md/nodejs#20.13.1 api/dynamodb#3.577.0',
  'APN/1.0 HashiCorp/1.0 Terraform/1.8.3 (+https://www.terraform.io) terraform-provider-aws/5.50.0',
];

type Maker = (
  r: () => number,
  account: string,
  region: string,
) => {
  source: string;
  name: string;
  params: Record<string, unknown> | null;
  resources?: { type: string; ARN: string; accountId?: string }[];
  data?: boolean;
  response?: Record<string, unknown> | null;
};

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
const token = (r: () => number) => Math.floor(r() * 2 ** 52).toString(36);

const OPERATIONS: Maker[] = [
  (r, a) => {
    const bucket = `data-${a}-${Math.floor(r() * 4)}`;
    const key = `tenant-${Math.floor(r() * 25)}/part-${Math.floor(r() * 8)}.parquet`;
    return {
      source: 's3.amazonaws.com',
      name: pick(r, ['GetObject', 'GetObject', 'GetObject', 'PutObject', 'HeadObject']),
      params: { bucketName: bucket, Host: `${bucket}.s3.amazonaws.com`, key },
      resources: [
        { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
        { accountId: a, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
      ],
      data: true,
    };
  },
  (r, a) => {
    const bucket = `data-${a}-${Math.floor(r() * 4)}`;
    return {
      source: 's3.amazonaws.com',
      name: 'ListObjects',
      params: {
        bucketName: bucket,
        Host: `${bucket}.s3.amazonaws.com`,
        prefix: `tenant-${Math.floor(r() * 25)}/`,
        'list-type': '2',
      },
      resources: [{ accountId: a, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
      data: true,
    };
  },
  (r) => ({
    source: 'dynamodb.amazonaws.com',
    name: pick(r, ['GetItem', 'PutItem', 'Query', 'UpdateItem']),
    params: { tableName: pick(r, ['Orders', 'Customers', 'Sessions']), key: { pk: `id-${token(r)}` } },
    data: true,
  }),
  (r, a, g) => ({
    source: 'sqs.amazonaws.com',
    name: pick(r, ['SendMessage', 'ReceiveMessage', 'DeleteMessage']),
    params: { queueUrl: `https://sqs.${g}.amazonaws.com/${a}/${pick(r, ['orders', 'emails', 'dlq'])}` },
    data: true,
  }),
  (r, a, g) => ({
    source: 'kms.amazonaws.com',
    name: pick(r, ['Decrypt', 'GenerateDataKey']),
    params: {
      encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      encryptionContext: { 'aws:s3:arn': `arn:aws:s3:::data-${a}-0` },
    },
    resources: [
      {
        accountId: a,
        type: 'AWS::KMS::Key',
        ARN: `arn:aws:kms:${g}:${a}:key/0000000${Math.floor(r() * 3)}-aaaa-bbbb-cccc-dddddddddddd`,
      },
    ],
  }),
  (r) => ({ source: 'sts.amazonaws.com', name: pick(r, ['GetCallerIdentity', 'AssumeRole']), params: null }),
  (r) => {
    const name = pick(r, ['DescribeInstances', 'DescribeSecurityGroups', 'DescribeSubnets', 'RunInstances']);
    return {
      source: 'ec2.amazonaws.com',
      name,
      params: name === 'RunInstances' ? { clientToken: token(r) } : { filterSet: {} },
    };
  },
  (r) => ({
    source: 'lambda.amazonaws.com',
    name: pick(r, ['Invoke', 'GetFunction20150331v2', 'UpdateFunctionCode20150331v2']),
    params: { functionName: pick(r, ['orders-api', 'thumbnailer', 'nightly-report']) },
    data: true,
  }),
  (r) => ({
    source: 'logs.amazonaws.com',
    name: pick(r, ['CreateLogStream', 'DescribeLogGroups']),
    params: {
      logGroupName: `/aws/lambda/${pick(r, ['orders-api', 'thumbnailer'])}`,
      logStreamName: `2026/11/21/[$LATEST]${Math.floor(r() * 40)}`,
    },
  }),
  (r) => {
    const name = pick(r, ['DescribeStacks', 'DescribeStackEvents', 'DescribeStacks', 'UpdateStack']);
    const stackName = pick(r, ['orders', 'network', 'data']);
    return {
      source: 'cloudformation.amazonaws.com',
      name,
      params: name === 'UpdateStack' ? { stackName, clientRequestToken: token(r) } : { stackName },
    };
  },
];

function record(
  r: () => number,
  i: number,
  day: string,
  account: string,
  region: string,
): Record<string, unknown> {
  const role = pick(r, ROLES);
  const name = role.split('/').pop() ?? role;
  const op = (pick(r, OPERATIONS) as Maker)(r, account, region);
  const session = `i-${token(r)}`;
  const time = `${day}T${String(Math.floor(r() * 24)).padStart(2, '0')}:${String(Math.floor(r() * 60)).padStart(2, '0')}:${String(Math.floor(r() * 60)).padStart(2, '0')}Z`;
  const denied = r() < 0.02;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROA${name.toUpperCase().padEnd(17, 'X').slice(0, 17)}:${session}`,
      arn: `arn:aws:sts::${account}:assumed-role/${name}/${session}`,
      accountId: account,
      accessKeyId: `ASIA${token(r).toUpperCase().padEnd(16, 'Q').slice(0, 16)}`,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: `AROA${name.toUpperCase().padEnd(17, 'X').slice(0, 17)}`,
          arn: `arn:aws:iam::${account}:role/${role}`,
          accountId: account,
          userName: name,
        },
        attributes: { creationDate: `${day}T00:00:00Z`, mfaAuthenticated: 'false' },
        ec2RoleDelivery: '2.0',
      },
    },
    eventTime: time,
    eventSource: op.source,
    eventName: op.name,
    awsRegion: region,
    sourceIPAddress: `10.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`,
    userAgent: pick(r, AGENTS),
    ...(denied
      ? {
          errorCode: 'AccessDenied',
          errorMessage: `User is not authorized to perform this operation because no identity-based policy allows it`,
        }
      : {}),
    requestParameters: op.params,
    responseElements: denied ? null : (op.response ?? null),
    additionalEventData: op.data
      ? {
          SignatureVersion: 'SigV4',
          CipherSuite: 'TLS_AES_128_GCM_SHA256',
          bytesTransferredIn: 0,
          AuthenticationMethod: 'AuthHeader',
          'x-amz-id-2': token(r) + token(r) + token(r),
          bytesTransferredOut: Math.floor(r() * 100000),
        }
      : undefined,
    requestID: token(r).toUpperCase() + token(r).toUpperCase(),
    eventID: `${token(r)}-${i}`,
    readOnly: /^(Get|List|Describe|Head)/.test(op.name),
    ...(op.resources ? { resources: op.resources } : {}),
    eventType: 'AwsApiCall',
    managementEvent: !op.data,
    recipientAccountId: account,
    eventCategory: op.data ? 'Data' : 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${op.source.replace('.amazonaws.com', '')}.${region}.amazonaws.com`,
    },
  };
}

/** Writes (once, then reuses) `distinct` files of RECORDS_PER_FILE records; returns their paths. */
export function distinctFiles(root: string, distinct = 256): string[] {
  const dir = join(root, 'distinct');
  if (existsSync(dir) && readdirSync(dir).length === distinct)
    return readdirSync(dir)
      .sort()
      .map((f) => join(dir, f));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const r = rng(42);
  const out: string[] = [];
  for (let f = 0; f < distinct; f++) {
    const account = ACCOUNTS[f % ACCOUNTS.length] as string;
    const region = REGIONS[Math.floor(f / ACCOUNTS.length) % REGIONS.length] as string;
    const day = `2026-11-${String((f % 28) + 1).padStart(2, '0')}`;
    const records = Array.from({ length: RECORDS_PER_FILE }, (_, i) =>
      record(r, f * RECORDS_PER_FILE + i, day, account, region),
    );
    const path = join(dir, `${String(f).padStart(4, '0')}.json.gz`);
    writeFileSync(path, gzipSync(JSON.stringify({ Records: records }), { level: 6 }));
    out.push(path);
  }
  return out;
}

/**
 * A corpus of `events` events (rounded up to whole files) in the delivery layout under
 * `<tmp>/leastpriv-bench-trail/<events>`; built once and reused. Returns its folder.
 */
export function trailCorpus(events: number, root = join(tmpdir(), 'leastpriv-bench-trail')): string {
  const files = distinctFiles(root);
  const count = Math.ceil(events / RECORDS_PER_FILE);
  const dir = join(root, String(events));
  const done = join(root, `${events}.complete`);
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  for (let i = 0; i < count; i++) {
    const account = ACCOUNTS[i % ACCOUNTS.length] as string;
    const region = REGIONS[Math.floor(i / ACCOUNTS.length) % REGIONS.length] as string;
    const day = String((Math.floor(i / 9) % 28) + 1).padStart(2, '0');
    const folder = join(dir, 'AWSLogs', 'o-bench00001', account, 'CloudTrail', region, '2026', '11', day);
    mkdirSync(folder, { recursive: true });
    const name = `${account}_CloudTrail_${region}_202611${day}T0000Z_${String(i).padStart(7, '0')}.json.gz`;
    linkSync(files[i % files.length] as string, join(folder, name));
  }
  writeFileSync(done, '');
  return dir;
}
