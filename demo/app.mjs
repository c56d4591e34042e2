// A small program that uses the AWS SDK for JavaScript v3 with its default settings: no proxy,
// no endpoint, nothing leastpriv-specific. `npm run demo` runs it through `leastpriv run`.
import { DynamoDBClient, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

// Example credentials from the AWS documentation: with `--upstream stub` nothing leaves the machine.
const config = {
  region: process.env.AWS_REGION ?? 'eu-west-1',
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
};

const s3 = new S3Client(config);
const dynamodb = new DynamoDBClient(config);
const sqs = new SQSClient(config);
const sts = new STSClient(config);

const identity = await sts.send(new GetCallerIdentityCommand({}));
console.log(`account: ${identity.Account ?? '(unknown)'}`);
await s3.send(new ListBucketsCommand({}));
await s3.send(new PutObjectCommand({ Bucket: 'demo-reports', Key: 'daily/report.csv', Body: 'a,b\n1,2\n' }));
const report = await s3.send(new GetObjectCommand({ Bucket: 'demo-reports', Key: 'daily/report.csv' }));
await report.Body?.transformToString();
await dynamodb.send(new ListTablesCommand({}));
await dynamodb.send(new PutItemCommand({ TableName: 'orders', Item: { id: { S: 'o-1' } } }));
await sqs.send(
  new SendMessageCommand({
    QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/order-events',
    MessageBody: 'order o-1 placed',
  }),
);
console.log('demo workload done');
