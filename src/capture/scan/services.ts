/**
 * SDK names → the API index: client packages and classes of the AWS SDK for JavaScript (v3 and
 * v2), boto3 service names, and method names → operations. Derived from the index's own data
 * (service ids and `sdkId`s), with a small table for the names each SDK spells its own way.
 */
import { apiIndex, apiService } from '../../catalog/api-index.js';

/** boto3 names that are neither an index id nor the index's sdkId in lower case with hyphens. */
const BOTO3_EXCEPTIONS: Record<string, string> = {
  cloudwatch: 'monitoring',
  dynamodbstreams: 'streams.dynamodb',
  efs: 'elasticfilesystem',
  elb: 'elasticloadbalancing',
  elbv2: 'elasticloadbalancingv2',
  emr: 'elasticmapreduce',
  'lex-runtime': 'runtime.lex',
  'lexv2-models': 'models.lex.v2',
  'lexv2-runtime': 'runtime.lex.v2',
  'marketplace-entitlement': 'entitlement.marketplace',
  mgh: 'awsmigrationhub',
  mturk: 'mturk-requester',
  'pinpoint-sms-voice': 'sms-voice',
  'sagemaker-runtime': 'runtime.sagemaker',
  ses: 'email',
  stepfunctions: 'states',
};

/** SDK v2 class names (`AWS.X`) that are not the index's sdkId without spaces. */
const V2_EXCEPTIONS: Record<string, string> = {
  stepfunctions: 'states',
  elbv2: 'elasticloadbalancingv2',
  elb: 'elasticloadbalancing',
  cognitoidentityserviceprovider: 'cognito-idp',
  es: 'es',
  emr: 'elasticmapreduce',
  efs: 'elasticfilesystem',
  iotdata: 'data.iot',
};

interface Names {
  /** `client-s3` → s3 */
  v3Packages: Map<string, string>;
  /** `S3Client` and `S3` → s3 */
  v3Classes: Map<string, string>;
  /** sdkId in lower case without spaces or hyphens → id */
  compact: Map<string, string>;
  /** sdkId in lower case with hyphens → id */
  hyphenated: Map<string, string>;
}

let names: Names | null = null;

function load(): Names {
  if (names) return names;
  const n: Names = { v3Packages: new Map(), v3Classes: new Map(), compact: new Map(), hyphenated: new Map() };
  for (const [id, svc] of apiIndex().services) {
    const hyphen = svc.sdkId.toLowerCase().replace(/\s+/g, '-');
    if (!n.hyphenated.has(hyphen)) n.hyphenated.set(hyphen, id);
    if (!n.v3Packages.has(`client-${hyphen}`)) n.v3Packages.set(`client-${hyphen}`, id);
    const compact = svc.sdkId.toLowerCase().replace(/[\s-]+/g, '');
    if (!n.compact.has(compact)) n.compact.set(compact, id);
    const cls = svc.sdkId
      .split(/[\s-]+/)
      .map((w) => (w[0] ?? '').toUpperCase() + w.slice(1))
      .join('');
    if (!n.v3Classes.has(cls)) n.v3Classes.set(cls, id);
    if (!n.v3Classes.has(`${cls}Client`)) n.v3Classes.set(`${cls}Client`, id);
  }
  names = n;
  return n;
}

/** `@aws-sdk/client-s3` → `s3`; null for other modules. */
export function serviceOfV3Package(module: string): string | null {
  const m = /^@aws-sdk\/(client-[a-z0-9-]+)$/.exec(module);
  return m ? (load().v3Packages.get(m[1] as string) ?? null) : null;
}

/** `S3Client` / `S3` (aggregated) → `s3`. */
export function serviceOfV3Class(name: string): string | null {
  return load().v3Classes.get(name) ?? null;
}

/** SDK v2 `AWS.S3`, `AWS.StepFunctions` → the service id. */
export function serviceOfV2Class(name: string): string | null {
  const key = name.toLowerCase();
  return V2_EXCEPTIONS[key] ?? load().compact.get(key) ?? null;
}

/** boto3 `'s3'`, `'stepfunctions'`, `'sagemaker-runtime'` → the service id. */
export function serviceOfBoto3(name: string): string | null {
  if (Object.hasOwn(BOTO3_EXCEPTIONS, name)) return BOTO3_EXCEPTIONS[name] as string;
  if (apiService(name)) return name;
  return load().hyphenated.get(name) ?? null;
}

const opMaps = new Map<string, Map<string, string>>();

/**
 * The operation a method name stands for in one service: `ListObjectsV2`, `listObjectsV2` and
 * `list_objects_v2` all name `ListObjectsV2` (compared without case and underscores).
 */
export function operationOf(service: string, method: string): string | null {
  let map = opMaps.get(service);
  if (!map) {
    map = new Map();
    for (const op of Object.keys(apiService(service)?.ops ?? {})) map.set(op.toLowerCase(), op);
    opMaps.set(service, map);
  }
  return map.get(method.replace(/_/g, '').toLowerCase()) ?? null;
}

/** Whether a service has an operation of exactly this name (`GetObject` for v3 commands). */
export function hasOperation(service: string, operation: string): boolean {
  const ops = apiService(service)?.ops;
  return ops !== undefined && Object.hasOwn(ops, operation);
}

/**
 * Waiters → the operation they poll, keyed `service:name` with the name in lower case without
 * underscores (boto3 `bucket_exists`, v3 `waitUntilBucketExists`). From the SDK waiter models.
 */
const WAITERS: Record<string, string> = {
  's3:bucketexists': 'HeadBucket',
  's3:bucketnotexists': 'HeadBucket',
  's3:objectexists': 'HeadObject',
  's3:objectnotexists': 'HeadObject',
  'dynamodb:tableexists': 'DescribeTable',
  'dynamodb:tablenotexists': 'DescribeTable',
  'lambda:functionexists': 'GetFunction',
  'lambda:functionactive': 'GetFunctionConfiguration',
  'lambda:functionupdated': 'GetFunctionConfiguration',
  'lambda:functionactivev2': 'GetFunction',
  'lambda:functionupdatedv2': 'GetFunction',
  'lambda:publishedversionactive': 'GetFunctionConfiguration',
  'ec2:instanceexists': 'DescribeInstances',
  'ec2:instancerunning': 'DescribeInstances',
  'ec2:instancestopped': 'DescribeInstances',
  'ec2:instanceterminated': 'DescribeInstances',
  'ec2:instancestatusok': 'DescribeInstanceStatus',
  'cloudformation:stackexists': 'DescribeStacks',
  'cloudformation:stackcreatecomplete': 'DescribeStacks',
  'cloudformation:stackupdatecomplete': 'DescribeStacks',
  'cloudformation:stackdeletecomplete': 'DescribeStacks',
  'kinesis:streamexists': 'DescribeStream',
  'kinesis:streamnotexists': 'DescribeStream',
  'rds:dbinstanceavailable': 'DescribeDBInstances',
  'rds:dbinstancedeleted': 'DescribeDBInstances',
  'ecs:servicesstable': 'DescribeServices',
  'ecs:servicesinactive': 'DescribeServices',
  'ecs:tasksrunning': 'DescribeTasks',
  'ecs:tasksstopped': 'DescribeTasks',
  'iam:roleexists': 'GetRole',
  'iam:userexists': 'GetUser',
  'iam:instanceprofileexists': 'GetInstanceProfile',
  'iam:policyexists': 'GetPolicy',
  'sns:topicexists': 'GetTopicAttributes',
  'ssm:commandexecuted': 'GetCommandInvocation',
  'states:executionsucceeded': 'DescribeExecution',
};

/** The operation a waiter polls, or null when leastpriv's waiter table lacks it. */
export function waiterOperation(service: string, waiter: string): string | null {
  return WAITERS[`${service}:${waiter.replace(/_/g, '').toLowerCase()}`] ?? null;
}

/** `@aws-sdk/lib-dynamodb` commands and `DynamoDBDocument` methods → DynamoDB operations. */
export const DOCUMENT_OPERATIONS: Record<string, string> = {
  Put: 'PutItem',
  Get: 'GetItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
  ExecuteStatement: 'ExecuteStatement',
  BatchExecuteStatement: 'BatchExecuteStatement',
  ExecuteTransaction: 'ExecuteTransaction',
};

/**
 * What the S3 transfer helpers send. `Upload` (lib-storage), SDK v2 `upload` and boto3
 * `upload_file`: one PutObject for small bodies, multipart for large ones (aborted on failure).
 * boto3 `download_file`: HeadObject for the size, then GetObject (ranged for large objects).
 */
export const UPLOAD_OPERATIONS = [
  'PutObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
] as const;
export const DOWNLOAD_OPERATIONS = ['HeadObject', 'GetObject'] as const;

/** Where the AWS SDK for Go v2 keeps its service clients. */
export const GO_SERVICE_PREFIX = 'github.com/aws/aws-sdk-go-v2/service/';

/**
 * `github.com/aws/aws-sdk-go-v2/service/s3` → `s3`: the Go package is the sdkId in lower case
 * without spaces or hyphens (`cloudwatchlogs`, `sfn`, `route53`). Sub-packages (`.../s3/types`)
 * and other modules are null.
 */
export function serviceOfGoPackage(path: string): string | null {
  if (!path.startsWith(GO_SERVICE_PREFIX)) return null;
  const name = path.slice(GO_SERVICE_PREFIX.length);
  if (!/^[a-z0-9]+$/.test(name)) return null;
  return load().compact.get(name) ?? null;
}

/**
 * Ids the proxy gives the same API: EventBridge's newer model (`eventbridge`) and CloudWatch
 * Events (`events`) share the host `events`, which the proxy resolves to `events`. A call site
 * takes the id a run of the same call gets, when that id has the operation.
 */
const RUN_IDS: Record<string, string> = { eventbridge: 'events' };

export function runServiceId(service: string, operation: string | null): string {
  const id = RUN_IDS[service];
  return id && operation !== null && hasOperation(id, operation) ? id : service;
}
