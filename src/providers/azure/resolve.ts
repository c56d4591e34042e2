/**
 * Azure requests → RBAC operations. Azure Resource Manager paths name their operation: the
 * namespace and the alternating type/name segments after the last `/providers/` give the
 * resource type, the HTTP method its verb (GET read, PUT/PATCH write, DELETE delete, POST
 * `…/{verb}` `{verb}/action`). The data planes (`storage.ts`, `vault.ts`) map to DataActions.
 * The token endpoints and long-running operation polling need no permission. Pure.
 */
import { azurePaths } from '../../catalog/azure.js';
import type { ObservedCall } from '../../model/index.js';
import { resolveCosmos } from './cosmos.js';
import { type AzureResolution, decode, op, VERBS } from './operation.js';
import { resolveServiceBus } from './servicebus.js';
import { resolveBlob, resolveDataLake, resolveQueue, resolveTable } from './storage.js';
import { resolveVault } from './vault.js';

export type { AzureOperation, AzureResolution } from './operation.js';

const TOKEN_HOSTS = new Set(['login.microsoftonline.com', 'login.windows.net']);
/** Path segments of long-running operation status URLs (`Azure-AsyncOperation`, `Location`). */
const POLLING = /\/(operationresults|operationstatuses|asyncoperations|operationstatus)\//i;

/** The data planes, by host: its first label names the account, vault or namespace. */
const DATA_PLANES: readonly {
  host: RegExp;
  resolve: (call: ObservedCall, name: string) => AzureResolution;
}[] = [
  { host: /^([a-z0-9]+)\.blob\.core\.windows\.net$/, resolve: resolveBlob },
  { host: /^([a-z0-9]+)\.dfs\.core\.windows\.net$/, resolve: resolveDataLake },
  { host: /^([a-z0-9]+)\.queue\.core\.windows\.net$/, resolve: resolveQueue },
  { host: /^([a-z0-9]+)\.table\.core\.windows\.net$/, resolve: resolveTable },
  { host: /^([a-z0-9-]+)\.vault\.azure\.net$/, resolve: resolveVault },
  { host: /^([a-z0-9-]+)\.servicebus\.windows\.net$/, resolve: resolveServiceBus },
  { host: /^([a-z0-9-]+)\.documents\.azure\.com$/, resolve: resolveCosmos },
];

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
  for (const plane of DATA_PLANES) {
    const name = plane.host.exec(host)?.[1];
    if (name) return plane.resolve(call, name);
  }
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
