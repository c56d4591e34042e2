/**
 * `leastpriv scan` on the fixtures under test/fixtures/scan: each call site with its exact
 * operation, file:line, parameters, actions and resources.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseEnvFile, scanPaths, wildcardUnknowns } from '../../../src/capture/scan/index.js';
import { serviceOfBoto3, serviceOfV2Class, serviceOfV3Package } from '../../../src/capture/scan/services.js';
import { addCallSite } from '../../../src/cli/scan.js';
import { Session } from '../../../src/index.js';
import { parseCallsLog } from '../../../src/input/calls-log.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const ACCOUNT = '123456789012';

/** [file:line, service, operation, region, actions, resources, unresolved, candidates] per record. */
async function records(paths: string[], env = new Map<string, string>()) {
  const scanned = await scanPaths(
    paths.map((p) => join('test/fixtures/scan', p)),
    { cwd: ROOT, env },
  );
  const session = new Session({ accountId: ACCOUNT, wildcardResources: false });
  for (const c of scanned.calls)
    addCallSite(session, c, { time: 't', region: 'us-east-1', account: ACCOUNT });
  return {
    scanned,
    session,
    rows: session
      .calls()
      .map((c) => [
        `${c.file}:${c.line}`,
        c.service,
        c.operation,
        c.region,
        c.actions,
        c.resources,
        c.unresolved,
        c.candidates ?? null,
      ]),
  };
}

const F = 'test/fixtures/scan/';

describe('scan: JavaScript and TypeScript', () => {
  it('resolves SDK v3 commands, aggregated clients, lib-dynamodb, lib-storage and SDK v2 by client type', async () => {
    const { rows, scanned } = await records(['shapes.mts']);
    const S = `${F}shapes.mts`;
    const put = (op: string) => [
      `${S}:12`,
      's3',
      op,
      'eu-west-1',
      ['s3:PutObject'],
      ['arn:aws:s3:::b/big.bin'],
      null,
      null,
    ];
    assert.deepEqual(rows, [
      // `c` is an S3 or a DynamoDB client: recorded with its candidates, granted nothing
      [`${S}:9`, null, null, 'us-east-1', null, null, 'ambiguous', ['dynamodb:DeleteTable']],
      // a template string with an unknown part: * in that part only; the client's own region
      [`${S}:11`, 's3', 'GetObject', 'eu-west-1', ['s3:GetObject'], ['arn:aws:s3:::b/u/*.json'], null, null],
      put('PutObject'),
      put('CreateMultipartUpload'),
      put('UploadPart'),
      put('CompleteMultipartUpload'),
      [
        `${S}:12`,
        's3',
        'AbortMultipartUpload',
        'eu-west-1',
        ['s3:AbortMultipartUpload'],
        ['arn:aws:s3:::b/big.bin'],
        null,
        null,
      ],
      [
        `${S}:14`,
        'dynamodb',
        'PutItem',
        'us-east-1',
        ['dynamodb:PutItem'],
        [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/*`],
        null,
        null,
      ],
      [`${S}:16`, 's3', 'GetObject', 'us-west-2', ['s3:GetObject'], ['arn:aws:s3:::old/k'], null, null],
      [
        `${S}:17`,
        'dynamodb',
        'GetItem',
        'us-east-1',
        ['dynamodb:GetItem'],
        [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/legacy`],
        null,
        null,
      ],
      [`${S}:18`, 's3', 'HeadBucket', 'us-east-1', ['s3:ListBucket'], ['arn:aws:s3:::agg'], null, null],
    ]);
    const get = scanned.calls.find((c) => c.line === 11);
    assert.deepEqual(get?.params, { Bucket: 'b', Key: 'u/lpscan0unknown0x.json' });
    assert.deepEqual(get?.unknowns, ['Key: id is not a constant']);
  });

  it('takes process.env values from --env, and keeps the unknown part flagged otherwise', async () => {
    const { rows } = await records(['shapes.mts'], new Map([['TABLE', 'orders']]));
    assert.deepEqual(rows.find((r) => r[0] === `${F}shapes.mts:14`)?.[5], [
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`,
    ]);
    const { session } = await records(['shapes.mts']);
    const put = session.calls().find((c) => c.line === 14);
    assert.match(
      put?.requirements?.[0]?.approximate ?? '',
      /^dynamodb:PutItem: unknown in the code, used \*: TableName: process\.env\.TABLE is not set/,
    );
  });

  it('v3 commands in the notify app: aggregated SQS and SNS with names from an env file', async () => {
    const env = parseEnvFile(
      'QUEUE_NAME=scan-jobs\nTOPIC_NAME="scan-events"\n# comment\nexport ACCOUNT_ID=123456789012\n',
    );
    const { rows } = await records(['js/notify-app.mjs'], env);
    const N = `${F}js/notify-app.mjs`;
    assert.deepEqual(rows, [
      [`${N}:13`, 'sts', 'GetCallerIdentity', 'us-east-1', [], [], null, null],
      [
        `${N}:14`,
        'sqs',
        'CreateQueue',
        'us-east-1',
        ['sqs:CreateQueue'],
        [`arn:aws:sqs:us-east-1:${ACCOUNT}:scan-jobs`],
        null,
        null,
      ],
      [
        `${N}:15`,
        'sqs',
        'SendMessage',
        'us-east-1',
        ['sqs:SendMessage'],
        [`arn:aws:sqs:us-east-1:${ACCOUNT}:scan-jobs`],
        null,
        null,
      ],
      [
        `${N}:16`,
        'sns',
        'CreateTopic',
        'us-east-1',
        ['sns:CreateTopic'],
        [`arn:aws:sns:us-east-1:${ACCOUNT}:scan-events`],
        null,
        null,
      ],
      [
        `${N}:17`,
        'sns',
        'Publish',
        'us-east-1',
        ['sns:Publish'],
        [`arn:aws:sns:us-east-1:${ACCOUNT}:scan-events`],
        null,
        null,
      ],
    ]);
  });
});

describe('scan: Python boto3', () => {
  it('clients, paginators and the transfer helpers', async () => {
    const { rows, scanned } = await records(['py/s3_app.py']);
    const P = `${F}py/s3_app.py`;
    const B = 'arn:aws:s3:::scan-e2e-py-bucket';
    const up = (op: string, action = 's3:PutObject') => [
      `${P}:14`,
      's3',
      op,
      'us-east-1',
      [action],
      [`${B}/uploads/blob.bin`],
      null,
      null,
    ];
    assert.deepEqual(rows, [
      [`${P}:10`, 's3', 'CreateBucket', 'us-east-1', ['s3:CreateBucket'], [B], null, null],
      [`${P}:11`, 's3', 'PutObject', 'us-east-1', ['s3:PutObject'], [`${B}/data/one.txt`], null, null],
      [`${P}:13`, 's3', 'ListObjectsV2', 'us-east-1', ['s3:ListBucket'], [B], null, null],
      up('PutObject'),
      up('CreateMultipartUpload'),
      up('UploadPart'),
      up('CompleteMultipartUpload'),
      up('AbortMultipartUpload', 's3:AbortMultipartUpload'),
      [`${P}:15`, 's3', 'HeadObject', 'us-east-1', ['s3:GetObject'], [`${B}/uploads/blob.bin`], null, null],
      [`${P}:15`, 's3', 'GetObject', 'us-east-1', ['s3:GetObject'], [`${B}/uploads/blob.bin`], null, null],
    ]);
    const list = scanned.calls.find((c) => c.operation === 'ListObjectsV2');
    assert.deepEqual(list?.params, { Bucket: 'scan-e2e-py-bucket', Prefix: 'data/' });
    assert.equal(list?.helper, "get_paginator('list_objects_v2')");
  });

  it('resources (Table), waiters, sessions, os.environ from a .env next to the code, os.getenv defaults', async () => {
    const { rows } = await records(['py/orders_app.py', 'py/config_app.py']);
    const O = `${F}py/orders_app.py`;
    const C = `${F}py/config_app.py`;
    const T = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/scan-py-orders`;
    const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:scan-db-password-??????`;
    const PARAM = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/scan/config`;
    assert.deepEqual(rows, [
      [`${O}:8`, 'dynamodb', 'CreateTable', 'us-east-1', ['dynamodb:CreateTable'], [T], null, null],
      [`${O}:14`, 'dynamodb', 'DescribeTable', 'us-east-1', ['dynamodb:DescribeTable'], [T], null, null],
      [`${O}:17`, 'dynamodb', 'PutItem', 'us-east-1', ['dynamodb:PutItem'], [T], null, null],
      [`${O}:18`, 'dynamodb', 'GetItem', 'us-east-1', ['dynamodb:GetItem'], [T], null, null],
      [`${O}:20`, 'dynamodb', 'DeleteItem', 'us-east-1', ['dynamodb:DeleteItem'], [T], null, null],
      [
        `${C}:12`,
        'secretsmanager',
        'CreateSecret',
        'us-east-1',
        ['secretsmanager:CreateSecret'],
        [SECRET],
        null,
        null,
      ],
      [
        `${C}:13`,
        'secretsmanager',
        'GetSecretValue',
        'us-east-1',
        ['secretsmanager:GetSecretValue'],
        [SECRET],
        null,
        null,
      ],
      [`${C}:14`, 'ssm', 'PutParameter', 'us-east-1', ['ssm:PutParameter'], [PARAM], null, null],
      [`${C}:15`, 'ssm', 'GetParameter', 'us-east-1', ['ssm:GetParameter'], [PARAM], null, null],
    ]);
  });
});

describe('scan: names and unknowns', () => {
  it('maps every boto3 service whose sdkId the API index knows to that service (checked against botocore)', () => {
    const r = spawnSync(
      'python3',
      [
        '-c',
        'import boto3,json\nfrom botocore.loaders import Loader\nl=Loader()\nprint(json.dumps({n: l.load_service_model(n,"service-2")["metadata"]["serviceId"] for n in boto3.session.Session().get_available_services()}))',
      ],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    assert.equal(r.status, 0, `this test needs python3 with boto3 (pip install boto3): ${r.stderr}`);
    const services = JSON.parse(r.stdout) as Record<string, string>;
    assert.ok(Object.keys(services).length > 300);
    const wrong: string[] = [];
    for (const [name, sdkId] of Object.entries(services)) {
      const id = serviceOfBoto3(name);
      // the index is older than botocore: a service it lacks is left unknown, never guessed
      if (id === null) continue;
      if (name === 'events' && id === 'events') continue; // EventBridge's API under its old id
      const v3 = serviceOfV3Package(`@aws-sdk/client-${sdkId.toLowerCase().replace(/\s+/g, '-')}`);
      if (v3 !== id) wrong.push(`${name} → ${id}, sdkId ${sdkId} → ${v3}`);
    }
    assert.deepEqual(wrong, []);
    assert.equal(serviceOfBoto3('stepfunctions'), 'states');
    assert.equal(serviceOfBoto3('cloudwatch'), 'monitoring');
    assert.equal(serviceOfBoto3('no-such-service'), null);
    assert.equal(serviceOfV2Class('CloudWatchLogs'), 'logs');
    assert.equal(serviceOfV2Class('StepFunctions'), 'states');
  });

  it('widens only the unknown part of an ARN and turns StringEquals on an unknown value into StringLike', () => {
    const call = {
      file: 'a.py',
      line: 1,
      language: 'python' as const,
      shape: 'boto3-client',
      service: 's3',
      operation: 'ListObjectsV2',
      region: null,
      params: {},
      unknowns: ['Prefix: user is not a constant'],
      unresolved: null,
    };
    const out = wildcardUnknowns(call)([
      {
        action: 's3:ListBucket',
        resources: ['arn:aws:s3:::b'],
        conditions: { StringEquals: { 's3:prefix': ['home/lpscan0unknown0x/'] } },
        why: 's3:ListObjectsV2',
      },
    ]);
    assert.deepEqual(out, [
      {
        action: 's3:ListBucket',
        resources: ['arn:aws:s3:::b'],
        conditions: { StringLike: { 's3:prefix': ['home/*/'] } },
        why: 's3:ListObjectsV2',
        approximate: 's3:ListBucket: unknown in the code, used *: Prefix: user is not a constant',
      },
    ]);
  });

  it('writes calls-log records that generate reads back (source scan, file, line, candidates)', async () => {
    const { session } = await records(['shapes.mts']);
    const text = [...session.callsNdjson()].join('');
    const parsed = parseCallsLog(text, 'scan.ndjson');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const first = parsed.value[0];
    assert.equal(first?.source, 'scan');
    assert.equal(first?.file, `${F}shapes.mts`);
    assert.equal(first?.line, 9);
    assert.deepEqual(first?.candidates, ['dynamodb:DeleteTable']);
    const bad = parseCallsLog(text.replace('"line":9', '"line":0'), 'scan.ndjson');
    assert.equal(bad.ok, false);
  });
});

/** Rows of `records` with file names relative to test/fixtures/scan. */
async function short(paths: string[], env?: Map<string, string>) {
  const { rows } = await records(paths, env);
  return rows.map((r) => [(r[0] as string).slice(F.length), ...r.slice(1)]);
}

describe('scan: programs, JavaScript (all run against moto in test/e2e/scan.test.ts too)', () => {
  it('SDK v3 commands on S3 (a bucket from process.env with a ?? default) and DynamoDB', async () => {
    assert.deepEqual(await short(['js/s3-app.mjs', 'js/orders-app.mjs']), [
      [
        'js/s3-app.mjs:14',
        's3',
        'CreateBucket',
        'us-east-1',
        ['s3:CreateBucket'],
        ['arn:aws:s3:::scan-e2e-bucket'],
        null,
        null,
      ],
      [
        'js/s3-app.mjs:15',
        's3',
        'PutObject',
        'us-east-1',
        ['s3:PutObject'],
        ['arn:aws:s3:::scan-e2e-bucket/reports/today.json'],
        null,
        null,
      ],
      [
        'js/s3-app.mjs:16',
        's3',
        'ListObjectsV2',
        'us-east-1',
        ['s3:ListBucket'],
        ['arn:aws:s3:::scan-e2e-bucket'],
        null,
        null,
      ],
      [
        'js/s3-app.mjs:17',
        's3',
        'GetObject',
        'us-east-1',
        ['s3:GetObject'],
        ['arn:aws:s3:::scan-e2e-bucket/reports/today.json'],
        null,
        null,
      ],
      [
        'js/orders-app.mjs:14',
        'dynamodb',
        'CreateTable',
        'us-east-1',
        ['dynamodb:CreateTable'],
        ['arn:aws:dynamodb:us-east-1:123456789012:table/scan-orders'],
        null,
        null,
      ],
      [
        'js/orders-app.mjs:22',
        'dynamodb',
        'PutItem',
        'us-east-1',
        ['dynamodb:PutItem'],
        ['arn:aws:dynamodb:us-east-1:123456789012:table/scan-orders'],
        null,
        null,
      ],
      [
        'js/orders-app.mjs:23',
        'dynamodb',
        'GetItem',
        'us-east-1',
        ['dynamodb:GetItem'],
        ['arn:aws:dynamodb:us-east-1:123456789012:table/scan-orders'],
        null,
        null,
      ],
      [
        'js/orders-app.mjs:25',
        'dynamodb',
        'DeleteItem',
        'us-east-1',
        ['dynamodb:DeleteItem'],
        ['arn:aws:dynamodb:us-east-1:123456789012:table/scan-orders'],
        null,
        null,
      ],
    ]);
  });
  it('waiters and paginators of v3 clients, an aggregated client, a key from a loop variable', async () => {
    assert.deepEqual(await short(['js/catalog-app.mjs'], undefined), [
      [
        'js/catalog-app.mjs:13',
        's3',
        'CreateBucket',
        'us-east-1',
        ['s3:CreateBucket'],
        ['arn:aws:s3:::scan-catalog-assets'],
        null,
        null,
      ],
      [
        'js/catalog-app.mjs:14',
        's3',
        'HeadBucket',
        'us-east-1',
        ['s3:ListBucket'],
        ['arn:aws:s3:::scan-catalog-assets'],
        null,
        null,
      ],
      [
        'js/catalog-app.mjs:16',
        's3',
        'PutObject',
        'us-east-1',
        ['s3:PutObject'],
        ['arn:aws:s3:::scan-catalog-assets/images/*'],
        null,
        null,
      ],
      [
        'js/catalog-app.mjs:19',
        's3',
        'ListObjectsV2',
        'us-east-1',
        ['s3:ListBucket'],
        ['arn:aws:s3:::scan-catalog-assets'],
        null,
        null,
      ],
      [
        'js/catalog-app.mjs:23',
        'dynamodb',
        'CreateTable',
        'us-east-1',
        ['dynamodb:CreateTable'],
        ['arn:aws:dynamodb:us-east-1:123456789012:table/scan-catalog-items'],
        null,
        null,
      ],
      [
        'js/catalog-app.mjs:30',
        'dynamodb',
        'DescribeTable',
        'us-east-1',
        ['dynamodb:DescribeTable'],
        ['arn:aws:dynamodb:us-east-1:123456789012:table/scan-catalog-items'],
        null,
        null,
      ],
      [
        'js/catalog-app.mjs:31',
        'dynamodb',
        'PutItem',
        'us-east-1',
        ['dynamodb:PutItem'],
        ['arn:aws:dynamodb:us-east-1:123456789012:table/scan-catalog-items'],
        null,
        null,
      ],
      [
        'js/catalog-app.mjs:33',
        'dynamodb',
        'Scan',
        'us-east-1',
        ['dynamodb:Scan'],
        ['arn:aws:dynamodb:us-east-1:123456789012:table/scan-catalog-items'],
        null,
        null,
      ],
    ]);
  });
  it('CloudWatch Logs and SSM with names from --env (|| defaults, template strings)', async () => {
    assert.deepEqual(await short(['js/logs-app.mjs'], parseEnvFile('LOG_GROUP=/scan/app\nSTAGE=prod\n')), [
      [
        'js/logs-app.mjs:16',
        'logs',
        'CreateLogGroup',
        'us-east-1',
        ['logs:CreateLogGroup'],
        ['arn:aws:logs:us-east-1:123456789012:log-group:/scan/app'],
        null,
        null,
      ],
      [
        'js/logs-app.mjs:17',
        'logs',
        'CreateLogStream',
        'us-east-1',
        ['logs:CreateLogStream'],
        ['arn:aws:logs:us-east-1:123456789012:log-group:/scan/app:log-stream:worker-1'],
        null,
        null,
      ],
      [
        'js/logs-app.mjs:18',
        'logs',
        'PutLogEvents',
        'us-east-1',
        ['logs:PutLogEvents'],
        ['arn:aws:logs:us-east-1:123456789012:log-group:/scan/app:log-stream:worker-1'],
        null,
        null,
      ],
      [
        'js/logs-app.mjs:24',
        'ssm',
        'PutParameter',
        'us-east-1',
        ['ssm:PutParameter'],
        ['arn:aws:ssm:us-east-1:123456789012:parameter/scan/prod/feature-flags'],
        null,
        null,
      ],
      [
        'js/logs-app.mjs:25',
        'ssm',
        'GetParameter',
        'us-east-1',
        ['ssm:GetParameter'],
        ['arn:aws:ssm:us-east-1:123456789012:parameter/scan/prod/feature-flags'],
        null,
        null,
      ],
    ]);
  });
  it('EventBridge (the id a run gets: events), SQS and Step Functions with ARNs built from constants, iam:PassRole', async () => {
    assert.deepEqual(await short(['js/events-app.mjs'], undefined), [
      [
        'js/events-app.mjs:19',
        'sqs',
        'CreateQueue',
        'us-east-1',
        ['sqs:CreateQueue'],
        ['arn:aws:sqs:us-east-1:123456789012:scan-order-events'],
        null,
        null,
      ],
      [
        'js/events-app.mjs:20',
        'events',
        'CreateEventBus',
        'us-east-1',
        ['events:CreateEventBus'],
        ['*'],
        null,
        null,
      ],
      [
        'js/events-app.mjs:21',
        'events',
        'PutRule',
        'us-east-1',
        ['events:PutRule'],
        [
          'arn:aws:events:us-east-1:123456789012:rule/new-orders',
          'arn:aws:events:us-east-1:123456789012:rule/scan-orders-bus/new-orders',
        ],
        null,
        null,
      ],
      [
        'js/events-app.mjs:23',
        'events',
        'PutTargets',
        'us-east-1',
        ['events:PutTargets'],
        [
          'arn:aws:events:us-east-1:123456789012:rule/new-orders',
          'arn:aws:events:us-east-1:123456789012:rule/scan-orders-bus/new-orders',
        ],
        null,
        null,
      ],
      [
        'js/events-app.mjs:30',
        'events',
        'PutEvents',
        'us-east-1',
        ['events:PutEvents'],
        ['arn:aws:events:us-east-1:123456789012:event-bus/scan-orders-bus'],
        null,
        null,
      ],
      [
        'js/events-app.mjs:34',
        'states',
        'CreateStateMachine',
        'us-east-1',
        ['iam:PassRole', 'states:CreateStateMachine'],
        [
          'arn:aws:iam::123456789012:role/scan-sfn',
          'arn:aws:states:us-east-1:123456789012:stateMachine:scan-fulfil',
        ],
        null,
        null,
      ],
      [
        'js/events-app.mjs:41',
        'states',
        'StartExecution',
        'us-east-1',
        ['states:StartExecution'],
        ['arn:aws:states:us-east-1:123456789012:stateMachine:scan-fulfil'],
        null,
        null,
      ],
    ]);
  });
});

describe('scan: more programs, Python boto3 (run against moto in test/e2e/scan.test.ts too)', () => {
  it('SQS and SNS through boto3.session.Session, f-string URLs and concatenated ARNs, os.environ from .env', async () => {
    assert.deepEqual(await short(['py/queue_worker.py'], undefined), [
      [
        'py/queue_worker.py:16',
        'sqs',
        'CreateQueue',
        'us-east-1',
        ['sqs:CreateQueue'],
        ['arn:aws:sqs:us-east-1:123456789012:scan-py-jobs'],
        null,
        null,
      ],
      [
        'py/queue_worker.py:18',
        'sqs',
        'SendMessage',
        'us-east-1',
        ['sqs:SendMessage'],
        ['arn:aws:sqs:us-east-1:123456789012:scan-py-jobs'],
        null,
        null,
      ],
      [
        'py/queue_worker.py:20',
        'sns',
        'CreateTopic',
        'us-east-1',
        ['sns:CreateTopic'],
        ['arn:aws:sns:us-east-1:123456789012:scan-py-results'],
        null,
        null,
      ],
      [
        'py/queue_worker.py:21',
        'sqs',
        'ReceiveMessage',
        'us-east-1',
        ['sqs:ReceiveMessage'],
        ['arn:aws:sqs:us-east-1:123456789012:scan-py-jobs'],
        null,
        null,
      ],
      [
        'py/queue_worker.py:22',
        'sns',
        'Publish',
        'us-east-1',
        ['sns:Publish'],
        ['arn:aws:sns:us-east-1:123456789012:scan-py-results'],
        null,
        null,
      ],
      [
        'py/queue_worker.py:23',
        'sqs',
        'DeleteMessage',
        'us-east-1',
        ['sqs:DeleteMessage'],
        ['arn:aws:sqs:us-east-1:123456789012:scan-py-jobs'],
        null,
        null,
      ],
    ]);
  });
  it('S3 resources: Bucket, Object, objects.filter, and a waiter on resource.meta.client', async () => {
    assert.deepEqual(await short(['py/bucket_resource.py'], undefined), [
      [
        'py/bucket_resource.py:7',
        's3',
        'CreateBucket',
        'us-east-1',
        ['s3:CreateBucket'],
        ['arn:aws:s3:::scan-py-resources'],
        null,
        null,
      ],
      [
        'py/bucket_resource.py:8',
        's3',
        'HeadBucket',
        'us-east-1',
        ['s3:ListBucket'],
        ['arn:aws:s3:::scan-py-resources'],
        null,
        null,
      ],
      [
        'py/bucket_resource.py:10',
        's3',
        'PutObject',
        'us-east-1',
        ['s3:PutObject'],
        ['arn:aws:s3:::scan-py-resources/notes/one.txt'],
        null,
        null,
      ],
      [
        'py/bucket_resource.py:12',
        's3',
        'GetObject',
        'us-east-1',
        ['s3:GetObject'],
        ['arn:aws:s3:::scan-py-resources/notes/one.txt'],
        null,
        null,
      ],
      [
        'py/bucket_resource.py:13',
        's3',
        'ListObjects',
        'us-east-1',
        ['s3:ListBucket'],
        ['arn:aws:s3:::scan-py-resources'],
        null,
        null,
      ],
      [
        'py/bucket_resource.py:14',
        's3',
        'DeleteObject',
        'us-east-1',
        ['s3:DeleteObject'],
        ['arn:aws:s3:::scan-py-resources/notes/one.txt'],
        null,
        null,
      ],
    ]);
  });
  it('Kinesis with a waiter and CloudWatch Logs with a name built from constants', async () => {
    assert.deepEqual(await short(['py/stream_app.py'], undefined), [
      [
        'py/stream_app.py:12',
        'kinesis',
        'CreateStream',
        'us-east-1',
        ['kinesis:CreateStream'],
        ['arn:aws:kinesis:us-east-1:123456789012:stream/scan-py-clicks'],
        null,
        null,
      ],
      [
        'py/stream_app.py:13',
        'kinesis',
        'DescribeStream',
        'us-east-1',
        ['kinesis:DescribeStream'],
        ['arn:aws:kinesis:us-east-1:123456789012:stream/scan-py-clicks'],
        null,
        null,
      ],
      [
        'py/stream_app.py:14',
        'kinesis',
        'PutRecord',
        'us-east-1',
        ['kinesis:PutRecord'],
        ['arn:aws:kinesis:us-east-1:123456789012:stream/scan-py-clicks'],
        null,
        null,
      ],
      [
        'py/stream_app.py:15',
        'kinesis',
        'DescribeStreamSummary',
        'us-east-1',
        ['kinesis:DescribeStreamSummary'],
        ['arn:aws:kinesis:us-east-1:123456789012:stream/scan-py-clicks'],
        null,
        null,
      ],
      [
        'py/stream_app.py:16',
        'logs',
        'CreateLogGroup',
        'us-east-1',
        ['logs:CreateLogGroup'],
        ['arn:aws:logs:us-east-1:123456789012:log-group:/scan/py/scan-py-clicks'],
        null,
        null,
      ],
      [
        'py/stream_app.py:17',
        'logs',
        'CreateLogStream',
        'us-east-1',
        ['logs:CreateLogStream'],
        ['arn:aws:logs:us-east-1:123456789012:log-group:/scan/py/scan-py-clicks:log-stream:ingest'],
        null,
        null,
      ],
      [
        'py/stream_app.py:18',
        'logs',
        'PutLogEvents',
        'us-east-1',
        ['logs:PutLogEvents'],
        ['arn:aws:logs:us-east-1:123456789012:log-group:/scan/py/scan-py-clicks:log-stream:ingest'],
        null,
        null,
      ],
    ]);
  });
});

// Go cannot run here (no Go toolchain): these programs are checked by their exact scan only.
describe('scan: Go (AWS SDK for Go v2)', () => {
  it('NewFromConfig with the region of LoadDefaultConfig, a waiter, the transfer manager, a paginator; os.Getenv with an if-empty default', async () => {
    assert.deepEqual(await short(['go/uploader.go'], undefined), [
      [
        'go/uploader.go:31',
        's3',
        'CreateBucket',
        'eu-west-1',
        ['s3:CreateBucket'],
        ['arn:aws:s3:::scan-go-reports'],
        null,
        null,
      ],
      [
        'go/uploader.go:35',
        's3',
        'HeadBucket',
        'eu-west-1',
        ['s3:ListBucket'],
        ['arn:aws:s3:::scan-go-reports'],
        null,
        null,
      ],
      [
        'go/uploader.go:39',
        's3',
        'PutObject',
        'eu-west-1',
        ['s3:PutObject'],
        ['arn:aws:s3:::scan-go-reports/reports/daily.csv'],
        null,
        null,
      ],
      [
        'go/uploader.go:39',
        's3',
        'CreateMultipartUpload',
        'eu-west-1',
        ['s3:PutObject'],
        ['arn:aws:s3:::scan-go-reports/reports/daily.csv'],
        null,
        null,
      ],
      [
        'go/uploader.go:39',
        's3',
        'UploadPart',
        'eu-west-1',
        ['s3:PutObject'],
        ['arn:aws:s3:::scan-go-reports/reports/daily.csv'],
        null,
        null,
      ],
      [
        'go/uploader.go:39',
        's3',
        'CompleteMultipartUpload',
        'eu-west-1',
        ['s3:PutObject'],
        ['arn:aws:s3:::scan-go-reports/reports/daily.csv'],
        null,
        null,
      ],
      [
        'go/uploader.go:39',
        's3',
        'AbortMultipartUpload',
        'eu-west-1',
        ['s3:AbortMultipartUpload'],
        ['arn:aws:s3:::scan-go-reports/reports/daily.csv'],
        null,
        null,
      ],
      [
        'go/uploader.go:47',
        's3',
        'ListObjectsV2',
        'eu-west-1',
        ['s3:ListBucket'],
        ['arn:aws:s3:::scan-go-reports'],
        null,
        null,
      ],
    ]);
  });
  it('a client and a table in a struct, the region from os.Getenv and --env, a waiter and a paginator on an index', async () => {
    assert.deepEqual(await short(['go/orders.go'], parseEnvFile('AWS_REGION=eu-west-2\n')), [
      [
        'go/orders.go:31',
        'dynamodb',
        'DescribeTable',
        'eu-west-2',
        ['dynamodb:DescribeTable'],
        ['arn:aws:dynamodb:eu-west-2:123456789012:table/scan-go-orders'],
        null,
        null,
      ],
      [
        'go/orders.go:35',
        'dynamodb',
        'PutItem',
        'eu-west-2',
        ['dynamodb:PutItem'],
        ['arn:aws:dynamodb:eu-west-2:123456789012:table/scan-go-orders'],
        null,
        null,
      ],
      [
        'go/orders.go:43',
        'dynamodb',
        'GetItem',
        'eu-west-2',
        ['dynamodb:GetItem'],
        ['arn:aws:dynamodb:eu-west-2:123456789012:table/scan-go-orders'],
        null,
        null,
      ],
      [
        'go/orders.go:63',
        'dynamodb',
        'Query',
        'eu-west-2',
        ['dynamodb:Query'],
        ['arn:aws:dynamodb:eu-west-2:123456789012:table/scan-go-orders/index/by-customer'],
        null,
        null,
      ],
    ]);
  });
  it('option functions and s3.New(Options) regions, fmt.Sprintf URLs and ARNs, a method called through an interface', async () => {
    assert.deepEqual(await short(['go/worker.go'], parseEnvFile('ACCOUNT_ID=123456789012\n')), [
      [
        'go/worker.go:25',
        'sns',
        'Publish',
        'us-east-1',
        ['sns:Publish'],
        ['arn:aws:sns:us-west-2:123456789012:job-results'],
        null,
        null,
      ],
      [
        'go/worker.go:45',
        'secretsmanager',
        'GetSecretValue',
        'us-west-2',
        ['secretsmanager:GetSecretValue'],
        ['arn:aws:secretsmanager:us-west-2:123456789012:secret:worker/api-key-??????'],
        null,
        null,
      ],
      [
        'go/worker.go:49',
        'sqs',
        'ReceiveMessage',
        'us-west-2',
        ['sqs:ReceiveMessage'],
        ['arn:aws:sqs:us-west-2:123456789012:jobs'],
        null,
        null,
      ],
      [
        'go/worker.go:58',
        'sqs',
        'DeleteMessage',
        'us-west-2',
        ['sqs:DeleteMessage'],
        ['arn:aws:sqs:us-west-2:123456789012:jobs'],
        null,
        null,
      ],
    ]);
  });
  it('declared parameter types, presigning, the downloader, a function argument as * in that part only, an unknown method', async () => {
    assert.deepEqual(await short(['go/artifacts.go'], undefined), [
      [
        'go/artifacts.go:21',
        's3',
        'GetObject',
        'us-east-1',
        ['s3:GetObject'],
        ['arn:aws:s3:::scan-go-artifacts/builds/*'],
        null,
        null,
      ],
      [
        'go/artifacts.go:33',
        's3',
        'GetObject',
        'us-east-1',
        ['s3:GetObject'],
        ['arn:aws:s3:::scan-go-artifacts/builds/*'],
        null,
        null,
      ],
      [
        'go/artifacts.go:38',
        'kms',
        'Encrypt',
        'us-east-1',
        ['kms:Encrypt'],
        ['arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
        null,
        null,
      ],
      ['go/artifacts.go:49', 'sts', 'GetCallerIdentity', 'us-east-1', [], [], null, null],
      ['go/artifacts.go:53', 'sts', null, 'us-east-1', null, null, 'unknown-operation', null],
    ]);
  });
  it('scopes per function, package-level clients, raw strings, type assertions and an ambiguous variable', async () => {
    assert.deepEqual(await short(['go/shapes.go'], undefined), [
      [
        'go/shapes.go:16',
        's3',
        'DeleteBucket',
        'us-east-1',
        ['s3:DeleteBucket'],
        ['arn:aws:s3:::raw-bucket'],
        null,
        null,
      ],
      [
        'go/shapes.go:17',
        's3',
        'DeleteObject',
        'ap-south-1',
        ['s3:DeleteObject'],
        ['arn:aws:s3:::shared/a?b'],
        null,
        null,
      ],
      [
        'go/shapes.go:22',
        'dynamodb',
        'DeleteTable',
        'us-east-1',
        ['dynamodb:DeleteTable'],
        ['arn:aws:dynamodb:us-east-1:123456789012:table/t'],
        null,
        null,
      ],
      ['go/shapes.go:27', 's3', 'ListBuckets', 'us-east-1', ['s3:ListAllMyBuckets'], ['*'], null, null],
      ['go/shapes.go:32', null, null, 'us-east-1', null, null, 'ambiguous', ['dynamodb:DeleteTable']],
      [
        'go/shapes.go:34',
        's3',
        'HeadObject',
        'ca-central-1',
        ['s3:GetObject'],
        ['arn:aws:s3:::b/k'],
        null,
        null,
      ],
    ]);
  });
  it('keeps the unknown parts of Go values and says why', async () => {
    const { scanned } = await records(['go/artifacts.go', 'go/orders.go']);
    const link = scanned.calls.find((c) => c.file.endsWith('artifacts.go') && c.line === 21);
    assert.equal(link?.helper, 'PresignGetObject');
    assert.deepEqual(link?.params, { Bucket: 'scan-go-artifacts', Key: 'builds/lpscan0unknown0x' });
    assert.deepEqual(link?.unknowns, ['Key: key is not a constant']);
    const put = scanned.calls.find((c) => c.file.endsWith('orders.go') && c.operation === 'PutItem');
    assert.equal(put?.region, null, 'os.Getenv("AWS_REGION") without --env leaves the region to --region');
    assert.deepEqual(put?.params, {
      TableName: 'scan-go-orders',
      Item: { pk: { Value: 'lpscan0unknown0x' } },
    });
    const paginator = scanned.calls.find((c) => c.operation === 'Query');
    assert.equal(paginator?.shape, 'go-paginator');
    assert.equal(paginator?.helper, 'NewQueryPaginator');
  });
});

describe('scan: the summary', () => {
  it('lists each kind of note up to a limit, then counts the rest', async () => {
    const { formatScanNotes } = await import('../../../src/cli/scan.js');
    const { scanned, session } = await records(['js/catalog-app.mjs']);
    const many = Array.from({ length: 60 }, (_, i) => ({
      ...scanned.calls[0],
      line: i + 1,
      unresolved: { reason: 'ambiguous' as const, detail: 'x' },
    })) as typeof scanned.calls;
    const text = formatScanNotes(session, many, 1, []);
    assert.equal(text.split('\n').filter((l) => l.includes(' ambiguous: x')).length, 50);
    assert.match(text, /\.\.\. and 10 more unresolved call sites \(every call site is in --calls FILE\)/);
  });
});
