/**
 * `--upstream stub` for Azure: minimal valid answers so the SDKs and the az CLI run with no
 * subscription and no network. Resource Manager answers the resource the request named (done:
 * `provisioningState: Succeeded`, no polling); Blob Storage answers as the REST reference shows;
 * Key Vault first challenges an unauthenticated request, as the service does. Pure.
 */
import { createHash } from 'node:crypto';
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
  const [, name] = call.path.split('/').filter(Boolean);
  const id = `https://${call.host}/secrets/${name ?? ''}/0123456789abcdef0123456789abcdef`;
  const attributes = {
    enabled: true,
    created: 1764720000,
    updated: 1764720000,
    recoveryLevel: 'Recoverable+Purgeable',
  };
  if (operation.endsWith('readMetadata/action')) return json(200, { value: [], nextLink: null });
  const value = operation.endsWith('setSecret/action') ? bodyOf(call).value : 'leastpriv-stub-value';
  return json(200, { value, id, attributes });
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
