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

export function azureStubResponse(resolution: AzureResolution, call: ObservedCall): StubResponse {
  if (resolution.kind === 'unresolved')
    return json(404, { error: { code: 'NotFound', message: `leastpriv stub: ${resolution.detail}` } });
  const op = resolution.operation;
  if (op.operation === 'token')
    return json(200, {
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: 'leastpriv-stub-token',
    });
  if (op.permissionless) return json(200, { status: 'Succeeded' });
  const host = call.host.toLowerCase();
  if (host.endsWith('.vault.azure.net')) return vault(op.operation, call);
  if (host.endsWith('.blob.core.windows.net')) return blob(op.operation, call);
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
  return json(call.method === 'PUT' ? 201 : 200, {
    ...body,
    id,
    name: decodeURIComponent(segs.at(-1) ?? ''),
    type,
    properties: { ...((body.properties as object | undefined) ?? {}), provisioningState: 'Succeeded' },
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
