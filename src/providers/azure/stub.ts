/**
 * `--upstream stub` for Azure: minimal valid answers so the SDKs and the az CLI run with no
 * subscription and no network. Resource Manager answers the resource the request named (done:
 * `provisioningState: Succeeded`, no polling); the Storage data planes and Service Bus answer as
 * their REST references show; Key Vault first challenges an unauthenticated request, as the
 * service does, then answers secrets, keys (a real RSA public key) and certificates. Pure.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import type { StubResponse } from '../../catalog/stub-responses.js';
import type { ObservedCall } from '../../model/index.js';
import type { AzureResolution } from './resolve.js';

const enc = new TextEncoder();

function json(status: number, value: unknown, headers: Record<string, string> = {}): StubResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-ms-request-id': 'leastpriv-stub',
      ...headers,
    },
    body: enc.encode(JSON.stringify(value)),
  };
}

function bodyOf(call: ObservedCall): Record<string, unknown> {
  try {
    const v = JSON.parse(new TextDecoder().decode(call.body)) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const STUB_TENANT = '00000000-0000-0000-0000-000000000000';
/** The one subscription the stub lists. */
export const STUB_SUBSCRIPTION = '00000000-0000-0000-0000-00000000a2e5';

export function azureStubResponse(resolution: AzureResolution, call: ObservedCall): StubResponse {
  if (resolution.kind === 'unresolved')
    return json(404, { error: { code: 'NotFound', message: `leastpriv stub: ${resolution.detail}` } });
  const op = resolution.operation;
  if (op.operation === 'token') return entra(call);
  if (op.operation === 'Microsoft.Resources/subscriptions/read' && op.permissionless)
    return json(200, {
      value: [
        {
          id: `/subscriptions/${STUB_SUBSCRIPTION}`,
          subscriptionId: STUB_SUBSCRIPTION,
          tenantId: STUB_TENANT,
          displayName: 'leastpriv stub',
          state: 'Enabled',
          subscriptionPolicies: {
            locationPlacementId: 'Public_2014-09-01',
            quotaId: 'PayAsYouGo_2014-09-01',
            spendingLimit: 'Off',
          },
        },
      ],
    });
  if (op.permissionless) return json(200, { status: 'Succeeded' });
  const host = call.host.toLowerCase();
  if (host.endsWith('.vault.azure.net')) return vault(op.operation, call);
  if (host.endsWith('.blob.core.windows.net')) return blob(op.operation, call);
  if (host.endsWith('.queue.core.windows.net')) return queue(call);
  if (host.endsWith('.dfs.core.windows.net')) return dataLake(call);
  if (host.endsWith('.table.core.windows.net')) return table(call);
  if (host.endsWith('.documents.azure.com')) return cosmos(call);
  if (host.endsWith('.servicebus.windows.net'))
    return {
      status: call.method === 'POST' && call.path.endsWith('/messages') ? 201 : 204,
      headers: {},
      body: new Uint8Array(),
    };
  // Resource Manager.
  const verb = op.operation.split('/').pop();
  if (call.method === 'DELETE') return { status: 200, headers: {}, body: new Uint8Array() };
  if (verb === 'action') return json(200, op.operation.endsWith('listKeys/action') ? { keys: [] } : {});
  const segs = call.path.split('/').filter(Boolean);
  const listing = call.method === 'GET' && segs.length % 2 === 1;
  if (listing) return json(200, { value: [] });
  const id = call.path;
  const type = op.operation.split('/').slice(0, -1).join('/');
  const body = bodyOf(call);
  // A create answers as the REST reference documents it: 201 for role definitions and
  // assignments and resource groups, 200 elsewhere (the service's 202 and polling skipped).
  const created = call.method === 'PUT' && /^Microsoft\.(Authorization|Resources)\//.test(op.operation);
  return json(created ? 201 : 200, {
    ...body,
    id,
    name: decodeURIComponent(segs.at(-1) ?? ''),
    type,
    properties: { ...((body.properties as object | undefined) ?? {}), provisioningState: 'Succeeded' },
  });
}

/**
 * Microsoft Entra ID, as MSAL (the az CLI, the SDKs' credentials) reads it: instance discovery,
 * the tenant's OpenID configuration, then tokens.
 */
function entra(call: ObservedCall): StubResponse {
  const [tenant = 'common'] = call.path.split('/').filter(Boolean);
  const base = `https://${call.host}/${tenant}`;
  if (call.path.endsWith('/discovery/instance')) {
    return json(200, {
      tenant_discovery_endpoint: `https://${call.host}/${new URLSearchParams(call.query).get('authorization_endpoint')?.split('/')[3] ?? tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: call.host, preferred_cache: call.host, aliases: [call.host] }],
    });
  }
  if (call.path.endsWith('/.well-known/openid-configuration')) {
    return json(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      issuer: `https://${call.host}/${tenant}/v2.0`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      tenant_region_scope: 'EU',
    });
  }
  return json(200, {
    token_type: 'Bearer',
    expires_in: 3599,
    ext_expires_in: 3599,
    access_token: 'leastpriv-stub-token',
  });
}

/** Key Vault: the challenge to a request without a token, then the secret. */
function vault(operation: string, call: ObservedCall): StubResponse {
  if (!call.headers.authorization) {
    return json(
      401,
      { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
      {
        'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${STUB_TENANT}", resource="https://vault.azure.net"`,
      },
    );
  }
  const [collection = '', name = ''] = call.path.split('/').filter(Boolean);
  const attributes = {
    enabled: true,
    created: 1764720000,
    updated: 1764720000,
    recoveryLevel: 'Recoverable+Purgeable',
  };
  const version = '0123456789abcdef0123456789abcdef';
  const verb = operation.split('/').slice(-3).join('/');
  if (/readMetadata\/action$/.test(operation) || (call.method === 'GET' && !name))
    return json(200, { value: [], nextLink: null });
  if (collection === 'keys') {
    const kid = `https://${call.host}/keys/${name}/${version}`;
    if (/^keys\/(sign|decrypt|encrypt|wrap|unwrap)\/action$/.test(verb))
      return json(200, { kid, value: Buffer.from('leastpriv-stub-result').toString('base64url') });
    if (verb === 'keys/verify/action') return json(200, { value: true });
    return json(200, {
      key: { kid, kty: 'RSA', key_ops: ['sign', 'verify', 'decrypt', 'encrypt'], ...stubRsa() },
      attributes,
    });
  }
  if (collection === 'certificates') {
    const id = `https://${call.host}/certificates/${name}`;
    const policy = {
      id: `${id}/policy`,
      key_props: { exportable: true, kty: 'RSA', key_size: 2048, reuse_key: false },
      secret_props: { contentType: 'application/x-pkcs12' },
      x509_props: { subject: 'CN=leastpriv-stub', validity_months: 12 },
      issuer: { name: 'Self' },
      attributes,
    };
    if (call.path.endsWith('/policy')) return json(200, policy);
    return json(200, {
      id: `${id}/${version}`,
      kid: `https://${call.host}/keys/${name}/${version}`,
      sid: `https://${call.host}/secrets/${name}/${version}`,
      x5t: 'bGVhc3Rwcml2',
      attributes,
      policy,
    });
  }
  const id = `https://${call.host}/secrets/${name}/${version}`;
  const value = operation.endsWith('setSecret/action') ? bodyOf(call).value : 'leastpriv-stub-value';
  return json(200, { value, id, attributes });
}

let rsa: { n: string; e: string } | null = null;
/** A real RSA public key (made once), for SDKs that read the key a vault returns. */
function stubRsa(): { n: string; e: string } {
  if (!rsa) {
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    rsa = { n: jwk.n as string, e: jwk.e as string };
  }
  return rsa;
}

/** Queue Storage: created queues and messages, empty reads (the REST reference's XML shapes). */
function queue(call: ObservedCall): StubResponse {
  const headers = {
    'x-ms-request-id': 'leastpriv-stub',
    'x-ms-version': call.headers['x-ms-version'] ?? '2024-11-04',
  };
  const xml = (status: number, body: string): StubResponse => ({
    status,
    headers: { ...headers, 'content-type': 'application/xml' },
    body: enc.encode(`<?xml version="1.0" encoding="utf-8"?>${body}`),
  });
  const [, collection] = call.path.split('/').filter(Boolean);
  if (call.method === 'DELETE') return { status: 204, headers, body: new Uint8Array() };
  if (collection === 'messages' && call.method === 'POST')
    return xml(
      201,
      '<QueueMessagesList><QueueMessage><MessageId>00000000-0000-0000-0000-000000000001</MessageId><InsertionTime>Wed, 03 Dec 2026 10:00:00 GMT</InsertionTime><ExpirationTime>Wed, 10 Dec 2026 10:00:00 GMT</ExpirationTime><PopReceipt>AgAAAAMAAAAAAAAA</PopReceipt><TimeNextVisible>Wed, 03 Dec 2026 10:00:00 GMT</TimeNextVisible></QueueMessage></QueueMessagesList>',
    );
  if (collection === 'messages') return xml(200, '<QueueMessagesList />');
  if (call.method === 'PUT') return { status: 201, headers, body: new Uint8Array() };
  if (/comp=list/.test(call.query))
    return xml(200, '<EnumerationResults><Queues /><NextMarker /></EnumerationResults>');
  return { status: 200, headers, body: new Uint8Array() };
}

/** Data Lake Storage: created paths and file systems, accepted appends, empty listings (the REST reference's shapes). */
function dataLake(call: ObservedCall): StubResponse {
  const q = new URLSearchParams(call.query);
  const headers = {
    etag: '"0x8DCLEASTPRIV"',
    'last-modified': 'Wed, 03 Dec 2026 10:00:00 GMT',
    'x-ms-request-id': 'leastpriv-stub',
    'x-ms-version': call.headers['x-ms-version'] ?? '2025-01-05',
  };
  const empty = (status: number, extra: Record<string, string> = {}): StubResponse => ({
    status,
    headers: { ...headers, 'content-length': '0', ...extra },
    body: new Uint8Array(),
  });
  if (call.method === 'PUT') return empty(201);
  if (call.method === 'PATCH') return empty(q.get('action') === 'append' ? 202 : 200);
  if (call.method === 'HEAD') return empty(200, { 'x-ms-resource-type': 'file' });
  if (call.method === 'GET' && q.get('resource') === 'account')
    return json(200, { filesystems: [] }, headers);
  if (call.method === 'GET' && q.get('resource') === 'filesystem') return json(200, { paths: [] }, headers);
  return empty(200);
}

/**
 * Cosmos DB for NoSQL: the account (its one region this host), databases, containers partitioned
 * on `/pk`, one partition key range; items echoed, queries empty (the REST reference's shapes).
 */
function cosmos(call: ObservedCall): StubResponse {
  const headers = {
    'x-ms-request-charge': '1',
    'x-ms-session-token': '0:-1#1',
    'x-ms-activity-id': '00000000-0000-0000-0000-000000000000',
  };
  const segs = call.path
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  const location = { name: 'West Europe', databaseAccountEndpoint: `https://${call.host}:443/` };
  if (segs.length === 0)
    return json(
      200,
      {
        id: call.host.split('.')[0],
        _rid: `${call.host}`,
        writableLocations: [location],
        readableLocations: [location],
        enableMultipleWriteLocations: false,
        userConsistencyPolicy: { defaultConsistencyLevel: 'Session' },
        userReplicationPolicy: { minReplicaSetSize: 3, maxReplicasetSize: 4 },
        systemReplicationPolicy: { minReplicaSetSize: 3, maxReplicasetSize: 4 },
        readPolicy: { primaryReadCoefficient: 1, secondaryReadCoefficient: 1 },
        queryEngineConfiguration: '{}',
      },
      headers,
    );
  const self = `${segs.join('/')}/`;
  const meta = {
    _rid: 'bGVhc3Q=',
    _self: self,
    _etag: '"00000000-0000-0000-0000-000000000001"',
    _ts: 1764720000,
  };
  if (segs.length === 2) return json(200, { id: segs[1], ...meta }, headers);
  if (segs.length === 4)
    return json(
      200,
      { id: segs[3], partitionKey: { paths: ['/pk'], kind: 'Hash', version: 2 }, ...meta },
      headers,
    );
  if (segs[4] === 'pkranges')
    return json(
      200,
      {
        _rid: 'bGVhc3Q=',
        PartitionKeyRanges: [
          { id: '0', minInclusive: '', maxExclusive: 'FF', ridPrefix: 0, parents: [], ...meta },
        ],
        _count: 1,
      },
      headers,
    );
  if (call.method === 'DELETE') return { status: 204, headers, body: new Uint8Array() };
  if (call.method === 'POST' && call.headers['x-ms-documentdb-isquery'] === 'True')
    return json(200, { _rid: 'bGVhc3Q=', Documents: [], _count: 0 }, headers);
  if (call.method === 'GET' && segs.length === 5)
    return json(200, { _rid: 'bGVhc3Q=', Documents: [], _count: 0 }, headers);
  const item = call.method === 'GET' ? { id: segs[5] } : bodyOf(call);
  return json(
    call.method === 'POST' && call.headers['x-ms-documentdb-is-upsert'] !== 'True' ? 201 : 200,
    { ...item, ...meta },
    headers,
  );
}

/** Table Storage: created tables and entities, empty queries (JSON, as the REST reference shows). */
function table(call: ObservedCall): StubResponse {
  const headers = { etag: `W/"datetime'2026-12-03T10%3A00%3A00Z'"`, 'x-ms-version': '2019-02-02' };
  if (call.method === 'POST') return json(201, bodyOf(call), headers);
  if (call.method === 'GET') return json(200, { value: [] }, headers);
  return { status: 204, headers, body: new Uint8Array() };
}

/** Blob Storage: created (201) for writes, the blob for reads, empty lists. */
function blob(operation: string, call: ObservedCall): StubResponse {
  const headers = {
    etag: '"0x8DCLEASTPRIV"',
    'last-modified': 'Wed, 03 Dec 2026 10:00:00 GMT',
    'x-ms-request-id': 'leastpriv-stub',
    'x-ms-version': call.headers['x-ms-version'] ?? '2024-11-04',
  };
  if (call.method === 'PUT') {
    const md5 = createHash('md5').update(call.body).digest('base64');
    return {
      status: 201,
      headers: { ...headers, 'content-md5': md5, 'x-ms-request-server-encrypted': 'true' },
      body: new Uint8Array(),
    };
  }
  if (call.method === 'DELETE') return { status: 202, headers, body: new Uint8Array() };
  if (operation.endsWith('blobs/read') && /comp=list/.test(call.query)) {
    const xml =
      '<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs /><NextMarker /></EnumerationResults>';
    return { status: 200, headers: { ...headers, 'content-type': 'application/xml' }, body: enc.encode(xml) };
  }
  if (operation.endsWith('containers/read') && /comp=list/.test(call.query)) {
    const xml =
      '<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Containers /><NextMarker /></EnumerationResults>';
    return { status: 200, headers: { ...headers, 'content-type': 'application/xml' }, body: enc.encode(xml) };
  }
  return {
    status: 200,
    headers: { ...headers, 'content-length': '0', 'x-ms-blob-type': 'BlockBlob' },
    body: new Uint8Array(),
  };
}
