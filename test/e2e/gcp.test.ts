/**
 * Google Cloud through `leastpriv run --upstream stub`: the real gcloud CLI (528) talks REST to
 * the proxy, which answers locally (no project, no network; a fake access token). Exact checks
 * on the methods resolved, the permissions and where they are granted, and the custom role file
 * in each format, hand-checked against Google's pages:
 * - Cloud Storage: https://cloud.google.com/storage/docs/access-control/iam-permissions
 * - Pub/Sub: https://cloud.google.com/pubsub/docs/access-control#permissions
 * - Compute Engine: https://cloud.google.com/compute/docs/reference/rest/v1/instances/aggregatedList
 *   ("Requires the compute.instances.list permission")
 * - IAM: https://cloud.google.com/iam/docs/service-accounts-list-edit#permissions
 * - Secret Manager: https://cloud.google.com/secret-manager/docs/access-control#permissions
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CLI,
  exec,
  freePort,
  parseNdjson,
  ROOT,
  requireTools,
  stopGroup,
  tempDir,
  testEnv,
} from './support.js';

const PROJECT = 'demo-proj';

/**
 * A service-account key of our own making: the client libraries sign with it (a token exchange
 * or a self-signed JWT), the stub or the emulator accepts anything, nothing real is involved.
 */
function serviceAccountKey(dir: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = join(dir, 'sa.json');
  fs.writeFileSync(
    key,
    JSON.stringify({
      type: 'service_account',
      project_id: PROJECT,
      private_key_id: '0123456789abcdef',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: `app@${PROJECT}.iam.gserviceaccount.com`,
      client_id: '1',
      token_uri: 'https://oauth2.googleapis.com/token',
    }),
  );
  return key;
}

const PUBSUB_APP = join(ROOT, 'test/fixtures/gcp/pubsub-app.mjs');

describe('Google Cloud: gcloud through leastpriv run --upstream stub', { timeout: 240_000 }, () => {
  requireTools('gcloud');
  const dir = tempDir('gcp');
  const token = join(dir, 'token');
  fs.writeFileSync(token, 'not-a-real-token\n');
  const file = join(dir, 'hello.txt');
  fs.writeFileSync(file, 'hello\n');
  const env = testEnv(join(dir, 'home'), {
    CLOUDSDK_CONFIG: join(dir, 'gcloud'),
    CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: token,
    CLOUDSDK_CORE_PROJECT: PROJECT,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: '1',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1',
  });
  const script = join(dir, 'script.sh');
  fs.writeFileSync(
    script,
    [
      'set -e',
      'gcloud storage buckets create gs://lp-demo-bucket --location=us-central1',
      'gcloud storage buckets list',
      `gcloud storage cp ${file} gs://lp-demo-bucket/dir/hello.txt`,
      'gcloud pubsub topics create orders',
      'gcloud pubsub topics list',
      'gcloud pubsub topics publish orders --message=hi',
      'gcloud compute instances list',
      'gcloud iam service-accounts list',
      'gcloud secrets list',
      '',
    ].join('\n'),
  );

  const run = (out: string) =>
    exec(
      process.execPath,
      [
        CLI,
        'run',
        '--upstream',
        'stub',
        '-o',
        out,
        '--calls',
        join(dir, 'calls.ndjson'),
        '--',
        'bash',
        script,
      ],
      {
        env,
        timeoutMs: 180_000,
      },
    );

  it('resolves every call to its method and grants each permission where it was used', async () => {
    const out = join(dir, 'role.yaml');
    const r = await run(out);
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    const calls = parseNdjson(fs.readFileSync(join(dir, 'calls.ndjson'), 'utf8'));
    assert.deepEqual(
      calls.map((c) => [
        c.provider,
        c.method,
        c.host,
        c.operation,
        c.actions,
        c.resources,
        c.status,
        c.unresolved,
      ]),
      [
        [
          'gcp',
          'POST',
          'storage.googleapis.com',
          'storage.buckets.insert',
          ['storage.buckets.create'],
          [`projects/${PROJECT}`],
          200,
          null,
        ],
        [
          'gcp',
          'GET',
          'storage.googleapis.com',
          'storage.buckets.list',
          ['storage.buckets.list'],
          [`projects/${PROJECT}`],
          200,
          null,
        ],
        [
          'gcp',
          'GET',
          'storage.googleapis.com',
          'storage.objects.get',
          ['storage.objects.get'],
          ['projects/_/buckets/lp-demo-bucket'],
          200,
          null,
        ],
        [
          'gcp',
          'POST',
          'storage.googleapis.com',
          'storage.objects.insert',
          ['storage.objects.create'],
          ['projects/_/buckets/lp-demo-bucket'],
          200,
          null,
        ],
        [
          'gcp',
          'PUT',
          'pubsub.googleapis.com',
          'pubsub.projects.topics.create',
          ['pubsub.topics.create'],
          [`projects/${PROJECT}`],
          200,
          null,
        ],
        [
          'gcp',
          'GET',
          'pubsub.googleapis.com',
          'pubsub.projects.topics.list',
          ['pubsub.topics.list'],
          [`projects/${PROJECT}`],
          200,
          null,
        ],
        [
          'gcp',
          'POST',
          'pubsub.googleapis.com',
          'pubsub.projects.topics.publish',
          ['pubsub.topics.publish'],
          [`projects/${PROJECT}/topics/orders`],
          200,
          null,
        ],
        [
          'gcp',
          'GET',
          'compute.googleapis.com',
          'compute.instances.aggregatedList',
          ['compute.instances.list'],
          [`projects/${PROJECT}`],
          200,
          null,
        ],
        [
          'gcp',
          'GET',
          'iam.googleapis.com',
          'iam.projects.serviceAccounts.list',
          ['iam.serviceAccounts.list'],
          [`projects/${PROJECT}`],
          200,
          null,
        ],
        [
          'gcp',
          'GET',
          'secretmanager.googleapis.com',
          'secretmanager.projects.secrets.list',
          ['secretmanager.secrets.list'],
          [`projects/${PROJECT}`],
          200,
          null,
        ],
      ],
    );
    // The object's path and the upload path, as the requests had them.
    assert.deepEqual(
      calls.filter((c) => c.service === 'storage').map((c) => c.path),
      [
        '/storage/v1/b',
        '/storage/v1/b',
        '/storage/v1/b/lp-demo-bucket/o/dir%2Fhello.txt',
        '/upload/storage/v1/b/lp-demo-bucket/o',
      ],
    );
    // No token, no Authorization value reaches the calls log.
    assert.doesNotMatch(fs.readFileSync(join(dir, 'calls.ndjson'), 'utf8'), /not-a-real-token|Bearer \S/);

    assert.equal(
      fs.readFileSync(out, 'utf8'),
      `# Custom role written by leastpriv: gcloud iam roles create ROLE_ID --project PROJECT --file THIS_FILE
# Grant it where the permissions were used:
#   projects/_/buckets/lp-demo-bucket: storage.objects.create, storage.objects.get
#   projects/${PROJECT}: compute.instances.list, iam.serviceAccounts.list, pubsub.topics.create, pubsub.topics.list, secretmanager.secrets.list, storage.buckets.create, storage.buckets.list
#   projects/${PROJECT}/topics/orders: pubsub.topics.publish
title: "leastpriv"
description: "The permissions a workload used, as leastpriv observed them (10)."
stage: GA
includedPermissions:
- compute.instances.list
- iam.serviceAccounts.list
- pubsub.topics.create
- pubsub.topics.list
- pubsub.topics.publish
- secretmanager.secrets.list
- storage.buckets.create
- storage.buckets.list
- storage.objects.create
- storage.objects.get
`,
    );
    assert.match(
      r.stderr,
      /\n {2}Google Cloud role: 10 permissions \(0 documented, 10 derived from method ids\) in 3 bindings → .*role\.yaml \(Google Cloud role\); calls log → /,
    );
  });

  it('check, diff and lint read the role file back', async () => {
    const role = join(dir, 'role.yaml');
    const calls = join(dir, 'calls.ndjson');
    const cli = (...args: string[]) => exec(process.execPath, [CLI, ...args], { env, timeoutMs: 30_000 });
    const ok = await cli('check', role, calls);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(
      ok.stdout,
      `10 permissions of 10 calls checked against the custom role ${role}: 10 allowed, 0 denied\n`,
    );
    // Without pubsub.topics.publish, the publish call is denied, and diff says it is missing.
    const less = join(dir, 'less.yaml');
    fs.writeFileSync(less, fs.readFileSync(role, 'utf8').replace('- pubsub.topics.publish\n', ''));
    const denied = await cli('check', less, calls);
    assert.equal(denied.code, 1);
    assert.match(
      denied.stdout,
      /\ndenied: call 7 pubsub\.projects\.topics\.publish at \S+ needs pubsub\.topics\.publish on projects\/demo-proj\/topics\/orders\n {2}add to includedPermissions: - pubsub\.topics\.publish\n$/,
    );
    const diff = await cli('diff', less, calls);
    assert.equal(diff.code, 1);
    assert.equal(
      diff.stdout,
      `custom role ${less}: 1 missing permission, 0 unused permissions\nmissing: pubsub.topics.publish (needed by pubsub.projects.topics.publish)\n`,
    );
    const lint = await cli('lint', role);
    assert.equal(lint.code, 0);
    assert.equal(lint.stdout, 'no findings in 10 permissions\n');
  });

  it('writes the role as JSON and as Terraform, with one binding per resource', async () => {
    const json = join(dir, 'role.json');
    assert.equal((await run(json)).code, 0);
    const doc = JSON.parse(fs.readFileSync(json, 'utf8')) as {
      role: { includedPermissions: string[]; stage: string };
      bindings: { resource: string; permissions: string[] }[];
    };
    assert.equal(doc.role.stage, 'GA');
    assert.equal(doc.role.includedPermissions.length, 10);
    assert.deepEqual(
      doc.bindings.map((b) => b.resource),
      ['projects/_/buckets/lp-demo-bucket', `projects/${PROJECT}`, `projects/${PROJECT}/topics/orders`],
    );
    const tf = join(dir, 'role.tf');
    assert.equal((await run(tf)).code, 0);
    const text = fs.readFileSync(tf, 'utf8');
    assert.match(
      text,
      /resource "google_project_iam_custom_role" "leastpriv" \{\n {2}project {5}= "demo-proj"\n/,
    );
    assert.match(
      text,
      /resource "google_storage_bucket_iam_member" "leastpriv_1" \{\n {2}bucket {2}= "lp-demo-bucket"\n/,
    );
    assert.match(text, /resource "google_project_iam_member" "leastpriv_2" \{\n {2}project = "demo-proj"\n/);
    assert.match(
      text,
      /resource "google_pubsub_topic_iam_member" "leastpriv_3" \{\n {2}topic {3}= "projects\/demo-proj\/topics\/orders"\n/,
    );
  });
});

describe('Google Cloud: a Node program on @google-cloud/storage through leastpriv run --upstream stub', {
  timeout: 120_000,
}, () => {
  it('captures the unmodified program (token exchange included) and grants exactly what it used', async () => {
    const dir = tempDir('gcp-node');
    const key = serviceAccountKey(dir);
    const env = testEnv(join(dir, 'home'), { GOOGLE_APPLICATION_CREDENTIALS: key });
    const calls = join(dir, 'calls.ndjson');
    const role = join(dir, 'role.yaml');
    const r = await exec(
      process.execPath,
      [
        CLI,
        'run',
        '--upstream',
        'stub',
        '-o',
        role,
        '--calls',
        calls,
        '--',
        process.execPath,
        join(ROOT, 'test/fixtures/gcp/storage-app.mjs'),
      ],
      { env, timeoutMs: 90_000 },
    );
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.equal(r.stdout, 'buckets: 0\nsaved, exists: true\n');
    const text = fs.readFileSync(calls, 'utf8');
    assert.deepEqual(
      parseNdjson(text).map((c) => [c.method, `${c.host}${c.path}`, c.operation, c.actions, c.resources]),
      [
        ['POST', 'www.googleapis.com/oauth2/v4/token', 'oauth2.token', [], []],
        [
          'GET',
          'storage.googleapis.com/storage/v1/b',
          'storage.buckets.list',
          ['storage.buckets.list'],
          [`projects/${PROJECT}`],
        ],
        [
          'POST',
          'storage.googleapis.com/upload/storage/v1/b/app-data/o',
          'storage.objects.insert',
          ['storage.objects.create'],
          ['projects/_/buckets/app-data'],
        ],
        [
          'GET',
          'storage.googleapis.com/storage/v1/b/app-data/o/reports%2F2026.csv',
          'storage.objects.get',
          ['storage.objects.get'],
          ['projects/_/buckets/app-data'],
        ],
      ],
    );
    // The key, the signed assertion and the token never reach the calls log.
    assert.doesNotMatch(text, /PRIVATE KEY|assertion|leastpriv-stub-token|eyJ/);
    assert.match(
      fs.readFileSync(role, 'utf8'),
      /includedPermissions:\n- storage\.buckets\.list\n- storage\.objects\.create\n- storage\.objects\.get\n$/,
    );
  });
});

/**
 * `--upstream gcp=URL`: Google Cloud calls go to the Pub/Sub emulator that ships with the
 * Google Cloud CLI (REST on its port), AWS calls would still go to AWS. The emulator really
 * keeps the topic, the subscription and the message.
 */
describe('Google Cloud: gcloud pubsub through leastpriv run --upstream gcp=<the Pub/Sub emulator>', {
  timeout: 180_000,
}, () => {
  requireTools('gcloud', 'java');
  const dir = tempDir('gcp-emulator');
  let emulator: ReturnType<typeof spawn>;
  let url = '';
  const token = join(dir, 'token');
  fs.writeFileSync(token, 'not-a-real-token\n');
  const env = testEnv(join(dir, 'home'), {
    CLOUDSDK_CONFIG: join(dir, 'gcloud'),
    CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: token,
    CLOUDSDK_CORE_PROJECT: PROJECT,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1',
  });

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    emulator = spawn('gcloud', ['beta', 'emulators', 'pubsub', 'start', `--host-port=127.0.0.1:${port}`], {
      env: { ...env, CLOUDSDK_CONFIG: join(dir, 'gcloud-emulator') },
      stdio: 'ignore',
      detached: true,
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const r = await fetch(`${url}/v1/projects/${PROJECT}/topics`);
        await r.arrayBuffer();
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) assert.fail(`the Pub/Sub emulator did not answer on ${url} within 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });
  after(async () => {
    if (emulator) await stopGroup(emulator);
  });

  it('forwards to the emulator with the real host names and grants each permission where it was used', async () => {
    const calls = join(dir, 'calls.ndjson');
    const role = join(dir, 'role.yaml');
    const script = [
      'set -e',
      'gcloud pubsub topics create jobs',
      'gcloud pubsub subscriptions create jobs-sub --topic=jobs',
      'gcloud pubsub topics publish jobs --message=hello',
      "gcloud pubsub subscriptions pull jobs-sub --auto-ack --format='value(message.data)'",
    ].join('\n');
    const r = await exec(
      process.execPath,
      [CLI, 'run', '--upstream', `gcp=${url}`, '-o', role, '--calls', calls, '--', 'bash', '-c', script],
      { env, timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(r.stdout, /^hello$/m, 'the message went through the emulator');
    assert.deepEqual(
      parseNdjson(fs.readFileSync(calls, 'utf8')).map((c) => [
        c.method,
        `${c.host}${c.path}`,
        c.status,
        c.actions,
        c.resources,
      ]),
      [
        [
          'PUT',
          `pubsub.googleapis.com/v1/projects/${PROJECT}/topics/jobs`,
          200,
          ['pubsub.topics.create'],
          [`projects/${PROJECT}`],
        ],
        [
          'PUT',
          `pubsub.googleapis.com/v1/projects/${PROJECT}/subscriptions/jobs-sub`,
          200,
          ['pubsub.subscriptions.create', 'pubsub.topics.attachSubscription'],
          [`projects/${PROJECT}`, `projects/${PROJECT}/topics/jobs`],
        ],
        [
          'POST',
          `pubsub.googleapis.com/v1/projects/${PROJECT}/topics/jobs:publish`,
          200,
          ['pubsub.topics.publish'],
          [`projects/${PROJECT}/topics/jobs`],
        ],
        [
          'POST',
          `pubsub.googleapis.com/v1/projects/${PROJECT}/subscriptions/jobs-sub:pull`,
          200,
          ['pubsub.subscriptions.consume'],
          [`projects/${PROJECT}/subscriptions/jobs-sub`],
        ],
        [
          'POST',
          `pubsub.googleapis.com/v1/projects/${PROJECT}/subscriptions/jobs-sub:acknowledge`,
          200,
          ['pubsub.subscriptions.consume'],
          [`projects/${PROJECT}/subscriptions/jobs-sub`],
        ],
      ],
    );
    assert.match(
      fs.readFileSync(role, 'utf8'),
      new RegExp(
        [
          `#   projects/${PROJECT}: pubsub.subscriptions.create, pubsub.topics.create`,
          `#   projects/${PROJECT}/subscriptions/jobs-sub: pubsub.subscriptions.consume`,
          `#   projects/${PROJECT}/topics/jobs: pubsub.topics.attachSubscription, pubsub.topics.publish`,
        ].join('\n'),
      ),
    );
    // The emulator really holds what gcloud made.
    const topics = (await (await fetch(`${url}/v1/projects/${PROJECT}/topics`)).json()) as {
      topics: { name: string }[];
    };
    assert.deepEqual(
      topics.topics.map((t) => t.name),
      [`projects/${PROJECT}/topics/jobs`],
    );
  });

  it('forwards gRPC over HTTP/2 to the emulator: answers, trailers and errors pass through', async () => {
    const calls = join(dir, 'grpc-calls.ndjson');
    const grpcEnv = { ...env, GOOGLE_APPLICATION_CREDENTIALS: serviceAccountKey(dir) };
    const r = await exec(
      process.execPath,
      [
        CLI,
        'run',
        '--upstream',
        `gcp=${url}`,
        '-o',
        join(dir, 'grpc-role.yaml'),
        '--calls',
        calls,
        '--',
        process.execPath,
        PUBSUB_APP,
      ],
      { env: grpcEnv, timeoutMs: 90_000 },
    );
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    // The emulator's answers: the second create fails (gRPC status 6 in the trailers), the list
    // holds the topics of both tests.
    assert.match(
      r.stdout,
      new RegExp(
        `^created projects/${PROJECT}/topics/orders\nagain: ALREADY_EXISTS\npublished \\d+\nsubscribed projects/${PROJECT}/subscriptions/orders-audit\ntopics projects/${PROJECT}/topics/jobs,projects/${PROJECT}/topics/orders\n$`,
      ),
    );
    assert.deepEqual(
      parseNdjson(fs.readFileSync(calls, 'utf8')).map((c) => [c.path, c.status, c.error]),
      [
        ['/google.pubsub.v1.Publisher/CreateTopic', 200, null],
        ['/google.pubsub.v1.Publisher/CreateTopic', 200, 'ALREADY_EXISTS'],
        ['/google.pubsub.v1.Publisher/Publish', 200, null],
        ['/google.pubsub.v1.Subscriber/CreateSubscription', 200, null],
        ['/google.pubsub.v1.Publisher/ListTopics', 200, null],
      ],
    );
  });
});
