/**
 * Key Vault's data plane → DataActions: secrets, keys and certificates, as Microsoft's Key Vault
 * RBAC guide and the permissions page list them
 * (https://learn.microsoft.com/azure/key-vault/general/rbac-guide,
 * https://learn.microsoft.com/azure/role-based-access-control/permissions/security#microsoftkeyvault).
 * The host names the vault, never its subscription or resource group. Pure.
 */
import type { ObservedCall } from '../../model/index.js';
import { type AzureResolution, decode, op, unmapped } from './operation.js';

const VAULTS = 'Microsoft.KeyVault/vaults';

/** Key Vault secrets (https://learn.microsoft.com/azure/key-vault/general/rbac-guide). */
export function resolveVault(call: ObservedCall, vault: string): AzureResolution {
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
  if (!operation) return unmapped(call, 'Key Vault', 'Microsoft.KeyVault');
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
