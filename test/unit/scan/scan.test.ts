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
