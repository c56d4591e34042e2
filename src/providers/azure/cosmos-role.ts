/**
 * Cosmos DB's own role definition for the Cosmos DB data-plane operations a workload used: the
 * JSON `az cosmosdb sql role definition create --body @FILE` reads (RoleName, Type,
 * AssignableScopes relative to the account, Permissions with DataActions; Cosmos DB has no
 * NotDataActions), and Markdown (https://learn.microsoft.com/azure/cosmos-db/how-to-setup-rbac). Pure.
 */
import type { Requirement } from '../../model/index.js';
import { COSMOS_NOTE } from './authorize.js';

export interface CosmosRole {
  name: string;
  dataActions: string[];
  /** Account-relative scopes: `/` (the account), or the containers used (`/dbs/app/colls/orders`). */
  scopes: string[];
  /** The accounts the calls used (`orders-db`). */
  accounts: string[];
}

export const isCosmos = (r: Requirement): boolean => r.note?.startsWith(COSMOS_NOTE) ?? false;

export function buildCosmosRole(requirements: readonly Requirement[], name = 'leastpriv'): CosmosRole | null {
  const mine = requirements.filter(isCosmos);
  if (!mine.length) return null;
  const dataActions = new Set<string>();
  const scopes = new Set<string>();
  const accounts = new Set<string>();
  for (const r of mine) {
    dataActions.add(r.action);
    for (const id of r.resources) {
      const m = /\/databaseAccounts\/([^/]+)(\/dbs\/[^/]+\/colls\/[^/]+)?/i.exec(id);
      if (!m) continue;
      accounts.add(m[1] as string);
      scopes.add(m[2] ?? '/');
    }
  }
  return {
    name,
    dataActions: [...dataActions].sort(),
    scopes: scopes.has('/') || scopes.size === 0 ? ['/'] : [...scopes].sort(),
    accounts: [...accounts].sort(),
  };
}

export function renderCosmosRole(role: CosmosRole, format: 'json' | 'markdown'): string {
  if (format === 'markdown')
    return `${[
      `# Cosmos DB role definition: ${role.name}`,
      '',
      `${role.dataActions.length} DataActions on ${role.accounts.map((a) => `\`${a}\``).join(', ')}, assignable at ${role.scopes.map((s) => `\`${s}\``).join(', ')}.`,
      '',
      ...role.dataActions.map((a) => `- \`${a}\``),
      '',
      'Create it with `az cosmosdb sql role definition create --account-name ACCOUNT --resource-group GROUP --body @FILE.json`',
      'and assign it with `az cosmosdb sql role assignment create --scope SCOPE --principal-id ID --role-definition-id ID`.',
    ].join('\n')}\n`;
  return `${JSON.stringify(
    {
      RoleName: role.name,
      Type: 'CustomRole',
      AssignableScopes: role.scopes,
      Permissions: [{ DataActions: role.dataActions }],
    },
    null,
    2,
  )}\n`;
}
