/**
 * Azure Storage's data planes → RBAC operations: Blob Storage, Data Lake Storage (the `dfs`
 * endpoint of the same accounts), Queue Storage and Table Storage. Containers, queues and tables
 * are Actions; blobs, messages and entities DataActions, as Microsoft's "Authorize with
 * Microsoft Entra ID" page lists them for each REST operation
 * (https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory).
 * The host names the account, never its subscription or resource group. Pure.
 */
import type { ObservedCall } from '../../model/index.js';
import { type AzureOperation, type AzureResolution, decode, op, unmapped, VERBS } from './operation.js';

const STORAGE = 'Microsoft.Storage/storageAccounts';
const ACCOUNT_UNKNOWN =
  'the storage account is named by the host; its subscription and resource group are not: grant it on the account';

/** Blob Storage (https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory). */
export function resolveBlob(call: ObservedCall, account: string): AzureResolution {
  const q = new URLSearchParams(call.query);
  const restype = q.get('restype');
  const comp = q.get('comp');
  const [container, ...blobParts] = call.path.split('/').filter(Boolean).map(decode);
  const m = call.method;
  let operation: string | null = null;
  let data = false;
  if (!container) {
    if (comp === 'list') operation = `${STORAGE}/blobServices/containers/read`;
    else if (restype === 'service') operation = `${STORAGE}/blobServices/${m === 'PUT' ? 'write' : 'read'}`;
  } else if (blobParts.length === 0 && restype === 'container') {
    if (comp === 'list') {
      operation = `${STORAGE}/blobServices/containers/blobs/read`;
      data = true;
    } else operation = `${STORAGE}/blobServices/containers/${VERBS[m] ?? 'read'}`;
  } else if (blobParts.length > 0) {
    data = true;
    if (m === 'GET' || m === 'HEAD') operation = `${STORAGE}/blobServices/containers/blobs/read`;
    else if (m === 'DELETE') operation = `${STORAGE}/blobServices/containers/blobs/delete`;
    else if (m === 'PUT' && comp === 'appendblock')
      operation = `${STORAGE}/blobServices/containers/blobs/add/action`;
    else if (m === 'PUT') operation = `${STORAGE}/blobServices/containers/blobs/write`;
  }
  return storageResult(call, account, 'Blob Storage', operation, data);
}

const QUEUES = `${STORAGE}/queueServices/queues`;

/**
 * Queue Storage: queues are Actions, messages DataActions
 * (https://learn.microsoft.com/azure/storage/queues/queues-auth-abac-attributes): peek `read`,
 * put `add/action`, update `write`, clear `delete`, get or delete `process/action`.
 */
export function resolveQueue(call: ObservedCall, account: string): AzureResolution {
  const q = new URLSearchParams(call.query);
  const [queue, collection, id] = call.path.split('/').filter(Boolean).map(decode);
  const m = call.method;
  let operation: string | null = null;
  let data = false;
  if (!queue) {
    if (q.get('comp') === 'list') operation = `${QUEUES}/read`;
  } else if (!collection) {
    operation = `${QUEUES}/${m === 'PUT' ? 'write' : m === 'DELETE' ? 'delete' : 'read'}`;
  } else if (collection === 'messages') {
    data = true;
    if (m === 'POST') operation = `${QUEUES}/messages/add/action`;
    else if (m === 'GET')
      operation = `${QUEUES}/messages/${q.get('peekonly') === 'true' ? 'read' : 'process/action'}`;
    else if (m === 'PUT' && id) operation = `${QUEUES}/messages/write`;
    else if (m === 'DELETE')
      operation = id ? `${QUEUES}/messages/process/action` : `${QUEUES}/messages/delete`;
  }
  return storageResult(call, account, 'Queue Storage', operation, data);
}

const TABLES = `${STORAGE}/tableServices/tables`;
const ENTITIES = `${TABLES}/entities`;
/** `orders(PartitionKey='eu',RowKey='1')`, `orders()`: a table and, inside the parentheses, its keys. */
const KEYED = /^([^(]+)\((.*)\)$/;

/**
 * Table Storage: the service and its tables are Actions (`tables/read|write|delete`,
 * `getAcl|setAcl/action`), entities DataActions. Microsoft's page lets an entity write be granted
 * by `entities/write` or by the narrower action of what it does: insert `add/action`, update and
 * merge (with `If-Match`) `update/action`, upserts (without) both. The narrower ones are used. A
 * batch needs what each of its requests needs.
 */
export function resolveTable(call: ObservedCall, account: string): AzureResolution {
  const found = tableOperations(call);
  if (!found?.length) return storageResult(call, account, 'Table Storage', null, false);
  const [first, ...also] = [...new Set(found.map((f) => f.operation))];
  return storageResult(call, account, 'Table Storage', first ?? null, found[0]?.data ?? false, {
    ...(also.length ? { also } : {}),
  });
}

function tableOperations(call: ObservedCall): { operation: string; data: boolean }[] | null {
  const q = new URLSearchParams(call.query);
  const segs = call.path.split('/').filter(Boolean).map(decode);
  const m = call.method;
  const one = (operation: string, data = false) => [{ operation, data }];
  if (segs.length === 0) {
    if (q.get('restype') === 'service')
      return one(`${STORAGE}/tableServices/${m === 'PUT' ? 'write' : 'read'}`);
    return null;
  }
  if (segs.length !== 1) return null;
  const name = segs[0] as string;
  if (/^tables(\(.*\))?$/i.test(name)) {
    if (m === 'GET') return one(`${TABLES}/read`);
    if (m === 'POST') return one(`${TABLES}/write`);
    if (m === 'DELETE') return one(`${TABLES}/delete`);
    return null;
  }
  if (name === '$batch' && m === 'POST') return batchOperations(call);
  if (q.get('comp') === 'acl') return one(`${TABLES}/${m === 'PUT' ? 'setAcl' : 'getAcl'}/action`);
  const keyed = (KEYED.exec(name)?.[2] ?? '') !== '';
  if (m === 'GET' || m === 'HEAD') return one(`${ENTITIES}/read`, true);
  if (m === 'POST' && !keyed) return one(`${ENTITIES}/add/action`, true);
  if (m === 'DELETE' && keyed) return one(`${ENTITIES}/delete`, true);
  if ((m === 'PUT' || m === 'MERGE' || m === 'PATCH') && keyed) {
    if (call.headers['if-match']) return one(`${ENTITIES}/update/action`, true);
    return [
      { operation: `${ENTITIES}/add/action`, data: true },
      { operation: `${ENTITIES}/update/action`, data: true },
    ];
  }
  return null;
}

/** An entity group transaction: the requests inside its multipart body, each resolved as sent alone. */
function batchOperations(call: ObservedCall): { operation: string; data: boolean }[] | null {
  if (call.bodyTruncated) return null;
  const text = new TextDecoder().decode(call.body);
  const out: { operation: string; data: boolean }[] = [];
  const request = /^(GET|POST|PUT|PATCH|MERGE|DELETE) (\S+) HTTP\/1\.1\r?\n((?:[^\r\n]+\r?\n)*)/gm;
  for (const [, method, target, head] of text.matchAll(request)) {
    let url: URL;
    try {
      url = new URL(target as string, `https://${call.host}`);
    } catch {
      return null;
    }
    const headers: Record<string, string> = {};
    for (const line of (head ?? '').split(/\r?\n/)) {
      const at = line.indexOf(':');
      if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
    }
    const inner = tableOperations({
      ...call,
      method: method as string,
      path: url.pathname,
      query: url.search.slice(1),
      headers,
      body: new Uint8Array(),
    });
    if (!inner?.length) return null;
    out.push(...inner);
  }
  return out.length ? out : null;
}

const CONTAINERS = `${STORAGE}/blobServices/containers`;
const BLOBS = `${CONTAINERS}/blobs`;
const AS_BLOB =
  "Microsoft's Entra ID page lists no Data Lake operations: mapped as the Blob Storage operation it matches (with a hierarchical namespace, POSIX ACLs can also allow it)";
const ABAC_PAGE = 'documented: https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-attributes';

/**
 * Data Lake Storage (the `dfs` endpoint): file systems are containers, paths blobs. Renames
 * (`x-ms-rename-source`), permission and ownership changes have DataActions of their own,
 * Microsoft's ABAC attributes page says; the rest is mapped as its Blob Storage equivalent.
 */
export function resolveDataLake(call: ObservedCall, account: string): AzureResolution {
  const q = new URLSearchParams(call.query);
  const [fs, ...path] = call.path.split('/').filter(Boolean).map(decode);
  const m = call.method;
  let operation: string | null = null;
  let data = false;
  let also: string[] = [];
  let basis = AS_BLOB;
  if (!fs) {
    if (m === 'GET' && q.get('resource') === 'account') operation = `${CONTAINERS}/read`;
  } else if (path.length === 0) {
    if (m === 'GET' && q.get('resource') === 'filesystem') {
      operation = `${BLOBS}/read`;
      data = true;
    } else if (m === 'HEAD') operation = `${CONTAINERS}/read`;
    else if (m === 'PUT' || m === 'PATCH') operation = `${CONTAINERS}/write`;
    else if (m === 'DELETE') operation = `${CONTAINERS}/delete`;
  } else {
    data = true;
    const action = q.get('action') ?? '';
    const h = call.headers;
    if (m === 'PUT' && h['x-ms-rename-source']) {
      operation = `${BLOBS}/move/action`;
      basis = ABAC_PAGE;
    } else if (m === 'PATCH' && /^setAccessControl(Recursive)?$/i.test(action)) {
      const ops = [
        ...(h['x-ms-acl'] || h['x-ms-permissions'] || /recursive/i.test(action)
          ? [`${BLOBS}/modifyPermissions/action`]
          : []),
        ...(h['x-ms-owner'] || h['x-ms-group'] ? [`${BLOBS}/manageOwnership/action`] : []),
      ];
      [operation = null, ...also] = ops;
      basis = ABAC_PAGE;
    } else if (m === 'PUT' || m === 'PATCH' || m === 'POST') operation = `${BLOBS}/write`;
    else if (m === 'GET' || m === 'HEAD') operation = `${BLOBS}/read`;
    else if (m === 'DELETE') operation = `${BLOBS}/delete`;
  }
  return storageResult(call, account, 'Data Lake Storage', operation, data, {
    basis,
    ...(also.length ? { also } : {}),
  });
}

/** A Storage data-plane call: its operation on the account, or why it has none. */
function storageResult(
  call: ObservedCall,
  account: string,
  service: string,
  operation: string | null,
  data: boolean,
  extra: Pick<AzureOperation, 'also' | 'basis'> = {},
): AzureResolution {
  if (!operation) return unmapped(call, service, 'Microsoft.Storage');
  return {
    kind: 'resolved',
    operation: op({
      operation,
      data,
      namespace: 'Microsoft.Storage',
      resource: `/subscriptions/*/resourceGroups/*/providers/${STORAGE}/${account}`,
      apiVersion: call.headers['x-ms-version'] ?? null,
      approximate: ACCOUNT_UNKNOWN,
      ...(/^SharedKey/i.test(call.headers.authorization ?? '') ? { signedWithKey: true } : {}),
      ...extra,
    }),
  };
}
