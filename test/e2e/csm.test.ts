/**
 * SDK client-side monitoring with a real SDK: boto3 (CSM on through AWS_CSM_*) talks to moto
 * directly (AWS_ENDPOINT_URL, no proxy), and leastpriv listens for its UDP events, both as
 * `leastpriv run --csm -- COMMAND` and as the long-running `leastpriv csm`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertOk,
  CLI,
  exec,
  explain,
  freePort,
  type Moto,
  parseNdjson,
  requireTools,
  startMoto,
  stopGroup,
  tempDir,
  testEnv,
} from './support.js';

const WORKLOAD = `
import boto3, sys
s3 = boto3.client('s3')
s3.create_bucket(Bucket='leastpriv-csm')
s3.put_object(Bucket='leastpriv-csm', Key='a.txt', Body=b'hello')
s3.get_object(Bucket='leastpriv-csm', Key='a.txt')['Body'].read()
ddb = boto3.client('dynamodb', region_name='eu-west-1')
ddb.list_tables()
try:
    ddb.describe_table(TableName='missing')
except ddb.exceptions.ResourceNotFoundException:
    pass
boto3.client('sts').get_caller_identity()
sys.exit(3)
`;

const EXPECTED_CALLS = [
  'dynamodb:DescribeTable eu-west-1 400 ResourceNotFoundException',
  'dynamodb:ListTables eu-west-1 200 null',
  's3:CreateBucket us-east-1 200 null',
  's3:GetObject us-east-1 200 null',
  's3:PutObject us-east-1 200 null',
  'sts:GetCallerIdentity us-east-1 200 null',
];

interface Policy {
  Statement: { Action: string | string[]; Resource: string | string[] }[];
}

describe('client-side monitoring with boto3', { timeout: 90_000 }, () => {
  let moto: Moto;
  before(async () => {
    requireTools('moto_server', 'boto3');
    moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });

  const check = (callsPath: string, policyPath: string) => {
    const calls = parseNdjson(fs.readFileSync(callsPath, 'utf8'), callsPath);
    assert.ok(calls.every((c) => c.source === 'csm'));
    assert.deepEqual(
      calls.map((c) => `${c.service}:${c.operation} ${c.region} ${c.status} ${c.error}`).sort(),
      EXPECTED_CALLS,
    );
    const text = fs.readFileSync(callsPath, 'utf8');
    assert.ok(!/SessionToken|AccessKey|AKIA/.test(text), 'no credential in the calls log');
    const policy = JSON.parse(fs.readFileSync(policyPath, 'utf8')) as Policy;
    const actions = policy.Statement.flatMap((s) => s.Action).sort();
    assert.deepEqual(actions, [
      'dynamodb:DescribeTable',
      'dynamodb:ListTables',
      's3:CreateBucket',
      's3:GetObject',
      's3:PutObject',
    ]);
    assert.ok(
      policy.Statement.every((s) => s.Resource === '*'),
      'CSM has no parameters: every resource is *',
    );
  };

  it('run --csm sets the CSM variables, returns the command status and writes the policy', async () => {
    await moto.reset();
    const out = tempDir('csm');
    const policyPath = join(out, 'policy.json');
    const callsPath = join(out, 'calls.ndjson');
    const r = await exec(
      process.execPath,
      [CLI, 'run', '--csm', '-o', policyPath, '--calls', callsPath, '--', 'python3', '-c', WORKLOAD],
      { env: testEnv(tempDir('csm-home'), { AWS_ENDPOINT_URL: moto.url }), timeoutMs: 60_000 },
    );
    assert.equal(r.code, 3, explain(r));
    check(callsPath, policyPath);
    assert.match(r.stderr, /CSM events carry no parameters: every resource is "\*"/);
    assert.match(r.stderr, /6 CSM call events/);
    assert.match(r.stderr, /no permission needed: sts:GetCallerIdentity/);
  });

  it('leastpriv csm listens until SIGINT, ignores malformed datagrams, and writes on exit', async () => {
    await moto.reset();
    const out = tempDir('csm-listen');
    const policyPath = join(out, 'policy.json');
    const callsPath = join(out, 'calls.ndjson');
    const port = await freePort();
    const env = testEnv(tempDir('csm-home'));
    const listener = spawn(
      process.execPath,
      [CLI, 'csm', '--port', String(port), '-o', policyPath, '--calls', callsPath],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let stderr = '';
    listener.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    try {
      for (let i = 0; i < 100 && !stderr.includes('listening'); i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.match(
        stderr,
        new RegExp(`export AWS_CSM_ENABLED=true AWS_CSM_PORT=${port} AWS_CSM_HOST=127.0.0.1`),
      );
      const junk = `import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'{not json', ('127.0.0.1', ${port}))`;
      assertOk(await exec('python3', ['-c', junk], { env }), 'sending junk');
      const r = await exec('python3', ['-c', WORKLOAD], {
        env: {
          ...env,
          AWS_ENDPOINT_URL: moto.url,
          AWS_CSM_ENABLED: 'true',
          AWS_CSM_PORT: String(port),
          AWS_CSM_HOST: '127.0.0.1',
        },
        timeoutMs: 60_000,
      });
      assert.equal(r.code, 3, explain(r));
      await new Promise((r2) => setTimeout(r2, 300));
      const exited = new Promise<number | null>((resolve) => listener.once('exit', (code) => resolve(code)));
      process.kill(listener.pid as number, 'SIGINT');
      assert.equal(await exited, 0, stderr);
    } finally {
      await stopGroup(listener);
    }
    check(callsPath, policyPath);
    assert.match(stderr, /ignored 1 malformed datagram/);
  });
});
