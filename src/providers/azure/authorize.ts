/**
 * Azure operations → role definition entries: an Action (control plane) or a DataAction (data
 * plane), on the resource the call acted on. Where Azure checks something other than the name
 * the path gives, a documented rule says so, with its page. Pure.
 */
import type { Requirement } from '../../model/index.js';
import type { AzureOperation } from './resolve.js';

/**
 * Operations Azure names differently from the path (Microsoft's "Azure resource provider
 * operations" pages list the valid names).
 */
const RULES: Record<string, { operation: string; source: string }> = {
  // POST /subscriptions/{id}/providers/Microsoft.Storage/checkNameAvailability
  'Microsoft.Storage/checkNameAvailability/action': {
    operation: 'Microsoft.Storage/checknameavailability/read',
    source: 'https://learn.microsoft.com/azure/role-based-access-control/permissions/storage',
  },
};

/** How a Cosmos DB data-plane requirement is told apart: it belongs in Cosmos DB's own role. */
export const COSMOS_NOTE = 'Cosmos DB DataAction';

export function authorizeAzure(op: AzureOperation): Requirement[] {
  if (op.permissionless) return [];
  const rule = RULES[op.operation];
  // A deployment needs "write access on the resources you're deploying and access to all
  // operations on the Microsoft.Resources/deployments resource type"
  // (https://learn.microsoft.com/azure/azure-resource-manager/templates/deploy-rest).
  const scope =
    op.resourceGroup && op.subscription
      ? `/subscriptions/${op.subscription}/resourceGroups/${op.resourceGroup}`
      : op.subscription
        ? `/subscriptions/${op.subscription}`
        : '/';
  const deployed = (op.templateTypes ?? []).map((type) => ({
    action: `${type}/write`,
    resources: [scope],
    conditions: null,
    why: op.operation,
    note: 'Action; a resource type the deployment template creates',
  }));
  if (op.operation === 'Microsoft.Resources/deployments/write')
    return [
      ...deployed,
      {
        action: 'Microsoft.Resources/deployments/*',
        resources: [scope],
        conditions: null,
        why: op.operation,
        note: 'Action; documented: https://learn.microsoft.com/azure/azure-resource-manager/templates/deploy-rest',
      },
    ].sort((a, b) => (a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
  return [
    ...deployed,
    ...[rule?.operation ?? op.operation, ...(op.also ?? [])].map((action) => ({
      action,
      resources: [op.resource ?? (op.subscription ? `/subscriptions/${op.subscription}` : '/')],
      conditions: null,
      why: op.operation,
      note: `${op.cosmos ? COSMOS_NOTE : op.data ? 'DataAction' : 'Action'}${rule ? `; documented: ${rule.source}` : ''}${
        op.signedWithKey
          ? '; the request was signed with the account key, which RBAC does not govern: this is what the identity needs with Entra ID'
          : ''
      }${
        op.unverified
          ? `; unverified: no known ${op.namespace} API has this request path, so the operation name is derived from the path and may not exist`
          : ''
      }${op.basis ? `; ${op.basis}` : ''}`,
      ...(op.approximate ? { approximate: op.approximate } : {}),
    })),
  ].sort((a, b) => (a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
}
