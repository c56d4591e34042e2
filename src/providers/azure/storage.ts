/**
 * Azure Storage's data planes → RBAC operations: Blob Storage, Data Lake Storage (the `dfs`
 * endpoint of the same accounts), Queue Storage and Table Storage. Containers, queues and tables
 * are Actions; blobs, messages and entities DataActions, as Microsoft's "Authorize with
 * Microsoft Entra ID" page lists them for each REST operation
 * (https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory).
 * The host names the account, never its subscription or resource group. Pure.
 */
import type { ObservedCall } from '../../model/index.js';
import { type AzureResolution, decode, op, unmapped, VERBS } from './operation.js';

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

/** A Storage data-plane call: its operation on the account, or why it has none. */
function storageResult(
  call: ObservedCall,
  account: string,
  service: string,
  operation: string | null,
  data: boolean,
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
    }),
  };
}
