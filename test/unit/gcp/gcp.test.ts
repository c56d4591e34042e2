/**
 * Google Cloud: requests to methods, methods to permissions and where they are granted, the
 * custom role and its files, calls logs read back, and the curated rules checked against the
 * generated method table.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Session } from '../../../src/index.js';
import { parseCallsLog } from '../../../src/input/calls-log.js';
import { authorizeGcp, derivedPermission, grantTarget } from '../../../src/providers/gcp/authorize.js';
import { type GcpOperation, resolveGcp } from '../../../src/providers/gcp/resolve.js';
import { buildGcpRole, renderGcpRole } from '../../../src/providers/gcp/role.js';
import { providerOfHost } from '../../../src/providers/index.js';
import { observed } from '../resolve/synthesize.js';

const DATA = fileURLToPath(new URL('../../../../data/gcp/', import.meta.url));

function resolved(method: string, url: string, headers: Record<string, string> = {}): GcpOperation {
  const u = new URL(url);
  const r = resolveGcp(
    observed({ host: u.host, method, path: u.pathname, query: u.search.slice(1), headers }),
  );
  assert.equal(r.kind, 'resolved', JSON.stringify(r));
  if (r.kind !== 'resolved') throw new Error('unreachable');
  return r.operation;
}

describe('Google Cloud requests to methods', () => {
  const cases: [string, string, string, string | null, string | null][] = [
    [
      'GET',
      'https://storage.googleapis.com/storage/v1/b?project=p1',
      'storage.buckets.list',
      'projects/p1',
      'p1',
    ],
    [
      'POST',
      'https://storage.googleapis.com/storage/v1/b?project=p1',
      'storage.buckets.insert',
      'projects/p1',
      'p1',
    ],
    [
      'GET',
      'https://storage.googleapis.com/storage/v1/b/bk/o/a%2Fb.txt?alt=media',
      'storage.objects.get',
      'projects/_/buckets/bk/objects/a/b.txt',
      null,
    ],
    [
      'POST',
      'https://storage.googleapis.com/upload/storage/v1/b/bk/o?uploadType=media&name=x.bin',
      'storage.objects.insert',
      'projects/_/buckets/bk/objects/x.bin',
      null,
    ],
    [
      'POST',
      'https://storage.googleapis.com/resumable/upload/storage/v1/b/bk/o',
      'storage.objects.insert',
      'projects/_/buckets/bk',
      null,
    ],
    [
      'PUT',
      'https://pubsub.googleapis.com/v1/projects/p1/topics/t1',
      'pubsub.projects.topics.create',
      'projects/p1/topics/t1',
      'p1',
    ],
    [
      'POST',
      'https://pubsub.googleapis.com/v1/projects/p1/topics/t1:publish',
      'pubsub.projects.topics.publish',
      'projects/p1/topics/t1',
      'p1',
    ],
    [
      'GET',
      'https://pubsub.googleapis.com/v1/projects/p1/topics',
      'pubsub.projects.topics.list',
      'projects/p1',
      'p1',
    ],
    [
      'POST',
      'https://pubsub.googleapis.com/v1/projects/p1/subscriptions/s1:pull',
      'pubsub.projects.subscriptions.pull',
      'projects/p1/subscriptions/s1',
      'p1',
    ],
    [
      'GET',
      'https://compute.googleapis.com/compute/v1/projects/p1/aggregated/instances',
      'compute.instances.aggregatedList',
      'projects/p1',
      'p1',
    ],
    [
      'POST',
      'https://compute.googleapis.com/compute/v1/projects/p1/zones/us-central1-a/instances',
      'compute.instances.insert',
      'projects/p1/zones/us-central1-a',
      'p1',
    ],
    [
      'GET',
      'https://compute.googleapis.com/compute/v1/projects/p1/zones/us-central1-a/instances/vm1',
      'compute.instances.get',
      'projects/p1/zones/us-central1-a/instances/vm1',
      'p1',
    ],
    [
      'GET',
      'https://secretmanager.googleapis.com/v1/projects/p1/secrets/s1/versions/latest:access',
      'secretmanager.projects.secrets.versions.access',
      'projects/p1/secrets/s1/versions/latest',
      'p1',
    ],
    [
      'GET',
      'https://cloudresourcemanager.googleapis.com/v1/projects/p1',
      'cloudresourcemanager.projects.get',
      'projects/p1',
      'p1',
    ],
  ];
  for (const [method, url, id, resource, project] of cases) {
    it(`${method} ${url.replace('https://', '')} → ${id}`, () => {
      const op = resolved(method, url);
      assert.deepEqual([op.method, op.resource, op.project], [id, resource, project]);
    });
  }

  it('takes the project a client names in x-goog-user-project when the path has none', () => {
    const op = resolved('GET', 'https://storage.googleapis.com/storage/v1/b/bk', {
      'x-goog-user-project': 'billing-p',
    });
    assert.equal(op.project, 'billing-p');
  });

  it('the token endpoint needs no permission', () => {
    const op = resolved('POST', 'https://oauth2.googleapis.com/token');
    assert.equal(op.method, 'oauth2.token');
    assert.deepEqual(authorizeGcp(op), []);
  });

  it('says why a request is not understood', () => {
    const r = (method: string, host: string, path: string) => resolveGcp(observed({ host, method, path }));
    assert.deepEqual(
      [
        r('GET', 'nosuchapi.googleapis.com', '/v1/x'),
        r('POST', 'storage.googleapis.com', '/batch/storage/v1'),
        r('GET', 'pubsub.googleapis.com', '/v9/nothing'),
      ].map((x) => (x.kind === 'unresolved' ? [x.reason, x.detail] : x.kind)),
      [
        ['unknown-service', 'nosuchapi.googleapis.com is not a Google Cloud API leastpriv knows'],
        [
          'unknown-operation',
          'POST storage.googleapis.com/batch/storage/v1: a batch request (its parts are not read yet)',
        ],
        ['unknown-operation', 'GET pubsub.googleapis.com/v9/nothing matches no method of pubsub'],
      ],
    );
  });

  it('routes hosts to their provider', () => {
    assert.deepEqual(
      [
        's3.amazonaws.com',
        'storage.googleapis.com',
        'googleapis.com',
        'example.com',
        'evilgoogleapis.com',
      ].map(providerOfHost),
      ['aws', 'gcp', 'gcp', null, null],
    );
  });
});

describe('Google Cloud methods to permissions', () => {
  it('derives a permission from the method id', () => {
    assert.deepEqual(
      [
        'storage.buckets.list',
        'storage.objects.insert',
        'storage.buckets.patch',
        'pubsub.projects.topics.create',
        'compute.instances.aggregatedList',
        'compute.instances.insert',
        'iam.projects.serviceAccounts.list',
        'secretmanager.projects.secrets.versions.access',
        'cloudresourcemanager.projects.get',
        'run.projects.locations.services.list',
      ].map(derivedPermission),
      [
        'storage.buckets.list',
        'storage.objects.create',
        'storage.buckets.update',
        'pubsub.topics.create',
        'compute.instances.list',
        'compute.instances.create',
        'iam.serviceAccounts.list',
        'secretmanager.versions.access',
        'resourcemanager.projects.get',
        'run.services.list',
      ],
    );
  });

  it('takes a documented rule over the derived name, and says which is which', () => {
    const pull = authorizeGcp(
      resolved('POST', 'https://pubsub.googleapis.com/v1/projects/p1/subscriptions/s1:pull'),
    );
    assert.deepEqual(pull, [
      {
        action: 'pubsub.subscriptions.consume',
        resources: ['projects/p1/subscriptions/s1'],
        conditions: null,
        why: 'pubsub.projects.subscriptions.pull',
        note: 'documented: https://cloud.google.com/pubsub/docs/access-control#permissions',
      },
    ]);
    const list = authorizeGcp(resolved('GET', 'https://pubsub.googleapis.com/v1/projects/p1/topics'));
    assert.equal(list[0]?.note, 'derived from the method id');
    const insert = authorizeGcp(
      resolved('POST', 'https://compute.googleapis.com/compute/v1/projects/p1/zones/z/instances'),
    );
    assert.deepEqual(
      insert.map((r) => [r.action, r.resources]),
      [
        ['compute.instances.create', ['projects/p1']],
        ['compute.disks.create', ['projects/p1']],
        ['compute.subnetworks.use', ['projects/p1']],
      ],
    );
    const test = resolved(
      'POST',
      'https://pubsub.googleapis.com/v1/projects/p1/topics/t1:testIamPermissions',
    );
    assert.deepEqual(authorizeGcp(test), []);
  });

  it('grants on the bucket, topic or secret used, on the project for lists and creates', () => {
    const op = (resource: string, project = 'p1'): GcpOperation => ({
      provider: 'gcp',
      api: 'x',
      method: 'x.y.z',
      project,
      resource,
      params: {},
    });
    assert.deepEqual(
      [
        grantTarget(op('projects/_/buckets/b/objects/k'), 'storage.objects.get'),
        grantTarget(op('projects/_/buckets/b'), 'storage.objects.create'),
        grantTarget(op('projects/p1'), 'storage.buckets.create'),
        grantTarget(op('projects/p1/topics/t'), 'pubsub.topics.publish'),
        grantTarget(op('projects/p1/topics/t'), 'pubsub.topics.create'),
        grantTarget(op('projects/p1/secrets/s/versions/3'), 'secretmanager.versions.access'),
        grantTarget(op('projects/p1/zones/z/instances/vm'), 'compute.instances.get'),
      ],
      [
        'projects/_/buckets/b',
        'projects/_/buckets/b',
        'projects/p1',
        'projects/p1/topics/t',
        'projects/p1',
        'projects/p1/secrets/s',
        'projects/p1',
      ],
    );
  });

  it('every curated rule names a method Google publishes, a page, and permissions', () => {
    const methods = JSON.parse(readFileSync(`${DATA}methods.json`, 'utf8')) as {
      hosts: Record<string, string[][]>;
    };
    const ids = new Set(Object.values(methods.hosts).flatMap((list) => list.map((m) => m[3])));
    const rules = JSON.parse(readFileSync(`${DATA}rules.json`, 'utf8')) as {
      rules: { method: string; permissions: string[]; source: string }[];
    };
    for (const r of rules.rules) {
      assert.ok(ids.has(r.method), `${r.method}: no such method in data/gcp/methods.json`);
      assert.match(r.source, /^https:\/\/cloud\.google\.com\//, r.method);
      for (const p of r.permissions) assert.match(p, /^[a-z]+\.[A-Za-z]+\.[A-Za-z]+$/, r.method);
    }
  });
});

describe('the Google Cloud custom role', () => {
  const needs = [
    {
      action: 'storage.objects.get',
      resources: ['projects/_/buckets/b'],
      conditions: null,
      why: 'storage.objects.get',
    },
    {
      action: 'storage.buckets.list',
      resources: ['projects/p1'],
      conditions: null,
      why: 'storage.buckets.list',
    },
    {
      action: 'pubsub.subscriptions.consume',
      resources: ['projects/p1/subscriptions/s'],
      conditions: null,
      why: 'pubsub.projects.subscriptions.pull',
      note: 'documented: https://cloud.google.com/pubsub/docs/access-control#permissions',
    },
  ];

  it('is the YAML gcloud iam roles create --file reads, with its bindings as comments', () => {
    assert.equal(
      renderGcpRole(buildGcpRole(needs), 'yaml'),
      `# Custom role written by leastpriv: gcloud iam roles create ROLE_ID --project PROJECT --file THIS_FILE
# Grant it where the permissions were used:
#   projects/_/buckets/b: storage.objects.get
#   projects/p1: storage.buckets.list
#   projects/p1/subscriptions/s: pubsub.subscriptions.consume
title: "leastpriv"
description: "The permissions a workload used, as leastpriv observed them (3)."
stage: GA
includedPermissions:
- pubsub.subscriptions.consume
- storage.buckets.list
- storage.objects.get
`,
    );
  });

  it('says in Markdown where each permission is granted and on what basis', () => {
    const md = renderGcpRole(buildGcpRole(needs), 'markdown');
    assert.match(
      md,
      /\| `pubsub\.subscriptions\.consume` \| `projects\/p1\/subscriptions\/s` \| documented: https:\/\/cloud\.google\.com\/pubsub\/docs\/access-control#permissions \|/,
    );
    assert.match(md, /\| `storage\.buckets\.list` \| `projects\/p1` \| derived from the method id \|/);
  });

  it('is rebuilt the same from the calls log a capture wrote', () => {
    const capture = new Session({ accountId: null, wildcardResources: false });
    for (const [method, path] of [
      ['GET', '/storage/v1/b/bk/o/k'],
      ['POST', '/upload/storage/v1/b/bk/o'],
    ] as const) {
      capture.add(
        observed({
          host: 'storage.googleapis.com',
          method,
          path,
          response: {
            status: 200,
            errorCode: null,
            headers: {},
            body: new Uint8Array(),
            bodyTruncated: false,
          },
        }),
      );
    }
    const text = [...capture.callsNdjson()].join('');
    const parsed = parseCallsLog(text, 'calls.ndjson');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const again = new Session({ accountId: null, wildcardResources: false });
    for (const r of parsed.value) again.addRecord(r);
    assert.deepEqual(again.gcpRole(), capture.gcpRole());
    assert.deepEqual(capture.gcpRole()?.permissions, ['storage.objects.create', 'storage.objects.get']);
    assert.equal(capture.awsCallCount, 0);
  });
});

describe('a custom role file', () => {
  it('is read from gcloud YAML, REST JSON and leastpriv JSON; anything else is not a role', async () => {
    const { parseGcpRole } = await import('../../../src/input/gcp-role.js');
    const yaml = 'title: x\nstage: GA\nincludedPermissions:\n- storage.buckets.list\n';
    const rest = JSON.stringify({ name: 'projects/p/roles/r', includedPermissions: ['pubsub.topics.list'] });
    const ours = JSON.stringify({
      role: { includedPermissions: ['secretmanager.secrets.list'] },
      bindings: [],
    });
    assert.deepEqual(
      [yaml, rest, ours].map((t) => parseGcpRole(t, 'f')?.permissions),
      [['storage.buckets.list'], ['pubsub.topics.list'], ['secretmanager.secrets.list']],
    );
    assert.equal(parseGcpRole('{"Version":"2012-10-17","Statement":[]}', 'p.json'), null);
  });

  it('lint names wildcards, duplicates, a bad stage and an empty role', async () => {
    const { lintGcpRole } = await import('../../../src/providers/gcp/compare.js');
    assert.deepEqual(
      lintGcpRole({
        permissions: ['storage.*', 'pubsub.topics.list', 'pubsub.topics.list'],
        stage: 'PROD',
      }).map((f) => f.rule),
      ['permission-name', 'duplicate', 'stage'],
    );
    assert.deepEqual(
      lintGcpRole({ permissions: [], stage: 'GA' }).map((f) => f.rule),
      ['empty'],
    );
  });
});

describe('gRPC requests', () => {
  const enc = new TextEncoder();
  /** A protobuf message of string fields, in one gRPC frame. */
  const frame = (fields: [number, string][], compressed = false): Uint8Array => {
    const parts: number[] = [];
    for (const [n, v] of fields) {
      const bytes = [...enc.encode(v)];
      parts.push(n * 8 + 2, bytes.length, ...bytes);
    }
    // A varint field and a fixed64 field the reader must step over.
    parts.push(3 * 8 + 0, 0x96, 0x01, 4 * 8 + 1, 1, 2, 3, 4, 5, 6, 7, 8);
    return Uint8Array.from([compressed ? 1 : 0, 0, 0, 0, parts.length, ...parts]);
  };
  const grpc = (path: string, body: Uint8Array) =>
    resolveGcp(
      observed({
        host: 'pubsub.googleapis.com',
        method: 'POST',
        path,
        headers: { 'content-type': 'application/grpc' },
        body,
      }),
    );

  it('reads the method from the path and the resource names from the message', () => {
    const r = grpc(
      '/google.pubsub.v1.Subscriber/CreateSubscription',
      frame([
        [1, 'projects/p1/subscriptions/s'],
        [2, 'projects/p1/topics/t'],
      ]),
    );
    assert.equal(r.kind, 'resolved');
    if (r.kind !== 'resolved') return;
    assert.deepEqual(
      [r.operation.method, r.operation.grpc, r.operation.resource, r.operation.project, r.operation.body],
      [
        'pubsub.projects.subscriptions.create',
        'google.pubsub.v1.Subscriber/CreateSubscription',
        'projects/p1/subscriptions/s',
        'p1',
        { topic: 'projects/p1/topics/t' },
      ],
    );
    assert.deepEqual(
      authorizeGcp(r.operation).map((q) => [q.action, q.resources]),
      [
        ['pubsub.subscriptions.create', ['projects/p1']],
        ['pubsub.topics.attachSubscription', ['projects/p1/topics/t']],
      ],
    );
  });

  it('a streaming method with no HTTP rule takes its documented REST method', () => {
    const r = grpc('/google.pubsub.v1.Subscriber/StreamingPull', frame([[1, 'projects/p1/subscriptions/s']]));
    assert.equal(
      r.kind === 'resolved' && authorizeGcp(r.operation)[0]?.action,
      'pubsub.subscriptions.consume',
    );
  });

  it('a compressed message resolves the method, with the project unknown', () => {
    const r = grpc('/google.pubsub.v1.Publisher/Publish', frame([[1, 'projects/p1/topics/t']], true));
    assert.equal(r.kind === 'resolved' && r.operation.method, 'pubsub.projects.topics.publish');
    assert.equal(r.kind === 'resolved' && r.operation.resource, null);
  });

  it('a method not in the table is unresolved, with its name', () => {
    const r = grpc('/google.pubsub.v9.Nothing/Do', frame([]));
    assert.deepEqual(r.kind === 'unresolved' && [r.reason, r.detail], [
      'unknown-operation',
      'gRPC /google.pubsub.v9.Nothing/Do on pubsub.googleapis.com: not in the gRPC table',
    ]);
  });
});

describe("Google Cloud's error answers", () => {
  it('REST: the status of the JSON error is the error code, and a denial counts as denied', async () => {
    const { errorCodeOf } = await import('../../../src/capture/proxy/error-code.js');
    const { isDenied } = await import('../../../src/index.js');
    const body = new TextEncoder().encode(
      JSON.stringify({ error: { code: 403, message: 'Permission denied', status: 'PERMISSION_DENIED' } }),
    );
    const code = errorCodeOf(403, {}, body);
    assert.equal(code, 'PERMISSION_DENIED');
    assert.equal(isDenied(403, code), true);
  });

  it('gRPC: the trailers name the status', async () => {
    const { grpcError } = await import('../../../src/capture/proxy/http2-forward.js');
    assert.deepEqual(['0', '6', '7', '16', '99', undefined].map(grpcError), [
      null,
      'ALREADY_EXISTS',
      'PERMISSION_DENIED',
      'UNAUTHENTICATED',
      'GRPC_99',
      null,
    ]);
  });
});
