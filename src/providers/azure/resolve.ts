/**
 * Azure requests → RBAC operations. Azure Resource Manager paths name their operation: the
 * namespace and the alternating type/name segments after the last `/providers/` give the
 * resource type, the HTTP method its verb (GET read, PUT/PATCH write, DELETE delete, POST
 * `…/{verb}` `{verb}/action`). The data planes (Blob Storage, Key Vault) map to DataActions.
 * The token endpoints and long-running operation polling need no permission. Pure.
 */
import { azurePaths } from '../../catalog/azure.js';
import type { ObservedCall, UnresolvedReason } from '../../model/index.js';

export interface AzureOperation {
  provider: 'azure';
  /** `Microsoft.Storage/storageAccounts/write`. */
  operation: string;
  /** A data-plane operation: a DataAction in a role definition. */
  data: boolean;
  /** The resource provider namespace (`Microsoft.Storage`), the service in the calls log. */
  namespace: string;
  subscription: string | null;
  resourceGroup: string | null;
  /** The ARM id the call acted on (or the account or vault, for a data-plane call). */
  resource: string | null;
  apiVersion: string | null;
  /** No permission is needed (a token request, polling a long-running operation). */
  permissionless?: string;
  /** Why part of the scope is unknown (a data-plane host names its account, not its resource group). */
  approximate?: string;
  /** Signed with the storage account's key (SharedKey): RBAC was not what authorized it. */
  signedWithKey?: boolean;
  /** A deployment's inline template: the resource types it creates (`Microsoft.Storage/storageAccounts`). */
  templateTypes?: string[];
  /** The namespace's known paths do not include this one: the derived name may not exist. */
  unverified?: boolean;
}

export type AzureResolution =
  | { kind: 'resolved'; operation: AzureOperation }
  | {
      kind: 'unresolved';
      reason: UnresolvedReason;
      detail: string;
      service: string | null;
      operation: string | null;
    };

const TOKEN_HOSTS = new Set(['login.microsoftonline.com', 'login.windows.net']);
const VERBS: Record<string, string> = {
  GET: 'read',
  HEAD: 'read',
  PUT: 'write',
  PATCH: 'write',
  DELETE: 'delete',
};
/** Path segments of long-running operation status URLs (`Azure-AsyncOperation`, `Location`). */
const POLLING = /\/(operationresults|operationstatuses|asyncoperations|operationstatus)\//i;

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

function op(partial: Partial<AzureOperation> & { operation: string; namespace: string }): AzureOperation {
  return {
    provider: 'azure',
    data: false,
    subscription: null,
    resourceGroup: null,
    resource: null,
    apiVersion: null,
    ...partial,
  };
}

export function resolveAzure(call: ObservedCall): AzureResolution {
  const host = call.host.toLowerCase();
  if (TOKEN_HOSTS.has(host)) {
    return {
      kind: 'resolved',
      operation: op({
        operation: 'token',
        namespace: 'Microsoft Entra ID',
        permissionless: 'a token request',
      }),
    };
  }
  if (host === 'management.azure.com') return resolveArm(call);
  const blob = /^([a-z0-9]+)\.blob\.core\.windows\.net$/.exec(host);
  if (blob) return resolveBlob(call, blob[1] as string);
  const queue = /^([a-z0-9]+)\.queue\.core\.windows\.net$/.exec(host);
  if (queue) return resolveQueue(call, queue[1] as string);
  const vault = /^([a-z0-9-]+)\.vault\.azure\.net$/.exec(host);
  if (vault) return resolveVault(call, vault[1] as string);
  return {
    kind: 'unresolved',
    reason: 'unknown-service',
    detail: `${host}: an Azure endpoint leastpriv does not read yet`,
    service: null,
    operation: null,
  };
}

function resolveArm(call: ObservedCall): AzureResolution {
  const apiVersion = new URLSearchParams(call.query).get('api-version');
  const segs = call.path.split('/').filter(Boolean).map(decode);
  const lower = segs.map((s) => s.toLowerCase());
  const unresolved = (detail: string): AzureResolution => ({
    kind: 'unresolved',
    reason: 'unknown-operation',
    detail: `${call.method} management.azure.com${call.path}: ${detail}`,
    service: null,
    operation: null,
  });
  const subscription = lower[0] === 'subscriptions' ? (segs[1] ?? null) : null;
  const rgAt = lower.indexOf('resourcegroups');
  const resourceGroup = rgAt === 2 ? (segs[3] ?? null) : null;
  const base = { subscription, resourceGroup, apiVersion };
  if (call.method === 'GET' && POLLING.test(call.path)) {
    return {
      kind: 'resolved',
      operation: op({
        ...base,
        operation: 'operation status',
        namespace: segs[lower.lastIndexOf('providers') + 1] ?? 'Microsoft.Resources',
        permissionless: 'polling a long-running operation',
      }),
    };
  }
  const verb = VERBS[call.method];
  const at = lower.lastIndexOf('providers');
  if (at === -1) {
    // Subscriptions and resource groups: Microsoft.Resources.
    if (!subscription && lower.length === 1 && lower[0] === 'subscriptions' && verb === 'read') {
      // Lists the subscriptions the identity holds a role in: that role is the permission.
      return {
        kind: 'resolved',
        operation: op({
          ...base,
          operation: 'Microsoft.Resources/subscriptions/read',
          namespace: 'Microsoft.Resources',
          permissionless: 'listing the subscriptions the identity has a role in',
        }),
      };
    }
    if (!subscription || !verb) return unresolved('not an Azure Resource Manager path leastpriv reads');
    if (lower.length === 2)
      return arm(base, 'Microsoft.Resources/subscriptions/read', `/subscriptions/${subscription}`);
    if (rgAt === 2 && lower.length <= 4) {
      const id = resourceGroup
        ? `/subscriptions/${subscription}/resourceGroups/${resourceGroup}`
        : `/subscriptions/${subscription}`;
      return arm(base, `Microsoft.Resources/subscriptions/resourceGroups/${verb}`, id);
    }
    return unresolved('not an Azure Resource Manager path leastpriv reads');
  }
  const namespace = segs[at + 1];
  if (!namespace) {
    // `/subscriptions/{id}/providers`: the resource providers registered.
    return arm(
      base,
      'Microsoft.Resources/subscriptions/providers/read',
      subscription ? `/subscriptions/${subscription}` : null,
    );
  }
  const rest = segs.slice(at + 2);
  const types: string[] = [];
  for (let i = 0; i < rest.length; i += 2) types.push(rest[i] as string);
  const named = rest.length % 2 === 0;
  let operation: string;
  if (call.method === 'POST') {
    // POST …/{type}/{name}/{verb}: an action on the resource.
    const action = named ? null : types.pop();
    operation = action
      ? `${[namespace, ...types].join('/')}/${action}/action`
      : `${[namespace, ...types].join('/')}/action`;
  } else if (verb) operation = `${[namespace, ...types].join('/')}/${verb}`;
  else return unresolved(`HTTP ${call.method} has no RBAC verb`);
  // The resource the call acted on: the path up to its last name (a list or an action names
  // none: then the path before the collection or the action, or the scope above /providers).
  const upto = named ? segs.length : segs.length - 1;
  const resource =
    upto > at + 2 ? `/${segs.slice(0, upto).join('/')}` : at > 0 ? `/${segs.slice(0, at).join('/')}` : null;
  if (operation === 'Microsoft.Resources/deployments/write') {
    const types = templateTypes(call);
    if (types.length)
      return {
        kind: 'resolved',
        operation: op({ ...base, operation, namespace, resource, templateTypes: types }),
      };
  }
  const paths = azurePaths();
  if (paths.covers(namespace) && !paths.known(call.method, call.path))
    return { kind: 'resolved', operation: op({ ...base, operation, namespace, resource, unverified: true }) };
  return arm(base, operation, resource, namespace);
}

function arm(
  base: { subscription: string | null; resourceGroup: string | null; apiVersion: string | null },
  operation: string,
  resource: string | null,
  namespace = operation.split('/')[0] ?? 'Microsoft.Resources',
): AzureResolution {
  return { kind: 'resolved', operation: op({ ...base, operation, namespace, resource }) };
}

const STORAGE = 'Microsoft.Storage/storageAccounts';
const ACCOUNT_UNKNOWN =
  'the storage account is named by the host; its subscription and resource group are not: grant it on the account';

/** Blob Storage (https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory). */
function resolveBlob(call: ObservedCall, account: string): AzureResolution {
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
function resolveQueue(call: ObservedCall, account: string): AzureResolution {
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
  if (!operation) {
    return {
      kind: 'unresolved',
      reason: 'unknown-operation',
      detail: `${call.method} ${call.host}${call.path}${call.query ? `?${call.query}` : ''}: a ${service} request leastpriv does not map yet`,
      service: 'Microsoft.Storage',
      operation: null,
    };
  }
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

const VAULTS = 'Microsoft.KeyVault/vaults';

/** Key Vault secrets (https://learn.microsoft.com/azure/key-vault/general/rbac-guide). */
function resolveVault(call: ObservedCall, vault: string): AzureResolution {
  const [collection, name] = call.path.split('/').filter(Boolean).map(decode);
  const m = call.method;
  let operation: string | null = null;
  if (collection === 'secrets') {
    if (!name && m === 'GET') operation = `${VAULTS}/secrets/readMetadata/action`;
    else if (name && m === 'GET') operation = `${VAULTS}/secrets/getSecret/action`;
    else if (name && m === 'PUT') operation = `${VAULTS}/secrets/setSecret/action`;
    else if (name && m === 'DELETE') operation = `${VAULTS}/secrets/delete`;
    else if (name && m === 'PATCH') operation = `${VAULTS}/secrets/update/action`;
  }
  if (!operation) {
    return {
      kind: 'unresolved',
      reason: 'unknown-operation',
      detail: `${m} ${call.host}${call.path}: a Key Vault request leastpriv does not map yet`,
      service: 'Microsoft.KeyVault',
      operation: null,
    };
  }
  return {
    kind: 'resolved',
    operation: op({
      operation,
      data: true,
      namespace: 'Microsoft.KeyVault',
      resource: `/subscriptions/*/resourceGroups/*/providers/${VAULTS}/${vault}`,
      apiVersion: new URLSearchParams(call.query).get('api-version'),
      approximate:
        'the vault is named by the host; its subscription and resource group are not: grant it on the vault',
    }),
  };
}

/**
 * The resource types an inline ARM template creates (`properties.template.resources[].type`,
 * child resources' types qualified by their parents'), from a deployment's request body.
 */
function templateTypes(call: ObservedCall): string[] {
  if (call.bodyTruncated || call.body.length === 0) return [];
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(call.body));
  } catch {
    return [];
  }
  const template = (body as { properties?: { template?: { resources?: unknown } } })?.properties?.template;
  const out = new Set<string>();
  const walk = (resources: unknown, parent: string | null, depth: number) => {
    if (!Array.isArray(resources) || depth > 10) return;
    for (const r of resources) {
      const type = (r as { type?: unknown })?.type;
      if (typeof type !== 'string' || !/^[A-Za-z0-9.]+\/[A-Za-z0-9./]+$|^[A-Za-z0-9]+$/.test(type)) continue;
      // A child's type is relative to its parent's unless it names its namespace (`Microsoft.X/...`).
      const full = parent && !(type.split('/')[0] ?? '').includes('.') ? `${parent}/${type}` : type;
      out.add(full);
      walk((r as { resources?: unknown }).resources, full, depth + 1);
    }
  };
  walk(template?.resources, null, 0);
  return [...out].sort();
}
