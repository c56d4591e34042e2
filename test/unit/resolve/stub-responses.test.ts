/**
 * `--upstream stub` answers parsed by the real AWS SDK v3 clients: every request the SDK sends
 * is resolved, answered by stubResponse, and the SDK's own deserializer must accept the answer.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { stubResponse } from '../../../src/catalog/stub-responses.js';
import type { ObservedCall, Resolution } from '../../../src/model/index.js';
import { resolveAws } from '../../../src/providers/aws/resolve/index.js';
import { observed } from './synthesize.js';

interface SdkRequest {
  method: string;
  hostname: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

const seen: { call: ObservedCall; resolution: Resolution }[] = [];

function queryString(q: SdkRequest['query']): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q ?? {})) {
    if (v === null) parts.push(encodeURIComponent(k));
    else
      for (const one of Array.isArray(v) ? v : [v])
        parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(one)}`);
  }
  return parts.join('&');
}

const requestHandler = {
  async handle(request: SdkRequest) {
    const body =
      typeof request.body === 'string'
        ? Buffer.from(request.body)
        : request.body instanceof Uint8Array
          ? Buffer.from(request.body)
          : Buffer.alloc(0);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
    const call = observed({
      host: request.hostname,
      method: request.method,
      path: request.path,
      query: queryString(request.query),
      headers,
      body: new Uint8Array(body),
      bodySize: body.length,
    });
    const resolution = resolveAws(call, { accountId: '123456789012', learnedAccount: null });
    seen.push({ call, resolution });
    const answer = stubResponse(resolution, call);
    return {
      response: {
        statusCode: answer.status,
        reason: 'OK',
        headers: answer.headers,
        body: Readable.from([Buffer.from(answer.body)]),
      },
    };
  },
  updateHttpClientConfig() {},
  httpHandlerConfigs() {
    return {};
  },
};

const config = {
  region: 'us-east-1',
  requestHandler,
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
};

function lastOperation(): string {
  const r = seen[seen.length - 1]?.resolution;
  assert.ok(r, 'no request seen');
  assert.equal(r.kind, 'resolved', r.kind === 'unresolved' ? r.detail : '');
  return r.kind === 'resolved' ? `${r.operation.service}:${r.operation.operation}` : '';
}

test('SDK v3 parsers accept stub answers for every protocol', async () => {
  const sts = await import('@aws-sdk/client-sts');
  const stsClient = new sts.STSClient(config);
  const who = await stsClient.send(new sts.GetCallerIdentityCommand({}));
  assert.equal(who.Account, '123456789012');
  assert.match(who.Arn ?? '', /^arn:aws:iam::123456789012:/);
  const role = await stsClient.send(
    new sts.AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/r', RoleSessionName: 's' }),
  );
  assert.ok(role.Credentials?.AccessKeyId);

  const s3 = await import('@aws-sdk/client-s3');
  const s3c = new s3.S3Client(config);
  await s3c.send(new s3.PutObjectCommand({ Bucket: 'b', Key: 'k.txt', Body: 'hello' }));
  assert.equal(lastOperation(), 's3:PutObject');
  await s3c.send(new s3.ListObjectsV2Command({ Bucket: 'b', Prefix: 'p/' }));
  assert.equal(lastOperation(), 's3:ListObjectsV2');
  const mpu = await s3c.send(new s3.CreateMultipartUploadCommand({ Bucket: 'b', Key: 'big' }));
  assert.ok(mpu.UploadId);
  await s3c.send(
    new s3.CompleteMultipartUploadCommand({
      Bucket: 'b',
      Key: 'big',
      UploadId: mpu.UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"e"' }] },
    }),
  );
  assert.equal(lastOperation(), 's3:CompleteMultipartUpload');
  await s3c.send(new s3.CopyObjectCommand({ Bucket: 'b', Key: 'c', CopySource: 'b/k.txt' }));
  assert.equal(lastOperation(), 's3:CopyObject');
  await s3c.send(new s3.HeadBucketCommand({ Bucket: 'b' }));
  await s3c.send(new s3.ListBucketsCommand({}));
  assert.equal(lastOperation(), 's3:ListBuckets');

  const sqs = await import('@aws-sdk/client-sqs');
  const q = new sqs.SQSClient(config);
  const created = await q.send(new sqs.CreateQueueCommand({ QueueName: 'jobs' }));
  assert.equal(created.QueueUrl, 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs');
  await q.send(new sqs.ListQueuesCommand({}));

  const ddb = await import('@aws-sdk/client-dynamodb');
  await new ddb.DynamoDBClient(config).send(
    new ddb.GetItemCommand({ TableName: 't', Key: { id: { S: '1' } } }),
  );
  assert.equal(lastOperation(), 'dynamodb:GetItem');

  const cw = await import('@aws-sdk/client-cloudwatch');
  await new cw.CloudWatchClient(config).send(new cw.ListMetricsCommand({ Namespace: 'AWS/EC2' }));
  assert.equal(lastOperation(), 'monitoring:ListMetrics');

  const ec2 = await import('@aws-sdk/client-ec2');
  await new ec2.EC2Client(config).send(new ec2.DescribeVpcsCommand({ VpcIds: ['vpc-1'] }));
  assert.equal(lastOperation(), 'ec2:DescribeVpcs');

  const iam = await import('@aws-sdk/client-iam');
  await new iam.IAMClient(config).send(new iam.ListRolesCommand({}));
  assert.equal(lastOperation(), 'iam:ListRoles');

  const lambda = await import('@aws-sdk/client-lambda');
  const lc = new lambda.LambdaClient(config);
  await lc.send(new lambda.InvokeCommand({ FunctionName: 'fn', Payload: Buffer.from('{}') }));
  assert.equal(lastOperation(), 'lambda:Invoke');
  await lc.send(new lambda.ListFunctionsCommand({}));

  const s3tables = await import('@aws-sdk/client-s3tables');
  await new s3tables.S3TablesClient(config).send(new s3tables.ListTableBucketsCommand({}));
  assert.equal(lastOperation(), 's3tables:ListTableBuckets');
});

test('RPCv2 CBOR stub answers are an empty map with the protocol header', () => {
  const call = observed({
    host: 'monitoring.us-east-1.amazonaws.com',
    path: '/service/GraniteServiceVersion20100801/operation/PutMetricAlarm',
    headers: { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' },
    body: Uint8Array.of(0xa0),
  });
  const r = resolveAws(call, { accountId: null, learnedAccount: null });
  assert.equal(r.kind, 'resolved');
  const answer = stubResponse(r, call);
  assert.equal(answer.headers['smithy-protocol'], 'rpc-v2-cbor');
  assert.equal(answer.headers['content-type'], 'application/cbor');
  assert.deepEqual([...answer.body], [0xa0]);
});

test('query answers use the operation wrapper and namespace', () => {
  const call = observed({
    host: 'sns.us-east-1.amazonaws.com',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new TextEncoder().encode('Action=CreateTopic&Version=2010-03-31&Name=t'),
  });
  const r = resolveAws(call, { accountId: null, learnedAccount: null });
  const xml = Buffer.from(stubResponse(r, call).body).toString('utf8');
  assert.match(
    xml,
    /^<CreateTopicResponse xmlns="http:\/\/sns\.amazonaws\.com\/doc\/2010-03-31\/"><CreateTopicResult\/>/,
  );
});
