/**
 * The least privilege for what Azure saw: one custom role definition with exactly the Actions
 * and DataActions used, assignable at the narrowest scopes the calls show (their resource groups,
 * else their subscription), as the JSON `az role definition create --role-definition` takes,
 * as Terraform (`azurerm_role_definition` + `azurerm_role_assignment`), Bicep and Markdown. Pure.
 */
import type { Requirement } from '../../model/index.js';
import { isCosmos } from './cosmos-role.js';

export interface AzureRole {
  name: string;
  description: string;
  actions: string[];
  dataActions: string[];
  assignableScopes: string[];
  /** Scopes the calls did not show (a data-plane host names an account, not its resource group). */
  unknownScopes: string[];
}

/** The resource group (or subscription) an ARM id lives in; null when the id does not say. */
export function scopeOf(id: string): string | null {
  const rg = /^\/subscriptions\/([^/*]+)\/resourceGroups\/([^/*]+)/i.exec(id);
  if (rg) return `/subscriptions/${rg[1]}/resourceGroups/${rg[2]}`;
  const sub = /^\/subscriptions\/([^/*]+)/i.exec(id);
  return sub ? `/subscriptions/${sub[1]}` : null;
}

export function buildAzureRole(requirements: readonly Requirement[], name = 'leastpriv'): AzureRole {
  const actions = new Set<string>();
  const dataActions = new Set<string>();
  const scopes = new Set<string>();
  const unknown = new Set<string>();
  // A data-plane call names its account or vault, not where it lives: a Resource Manager call
  // on the same resource (its creation, say) tells.
  const known = new Map<string, string>();
  for (const r of requirements)
    for (const id of r.resources) {
      const m = /^(\/subscriptions\/[^/*]+\/resourceGroups\/[^/*]+)(\/providers\/[^/]+\/[^/]+\/[^/]+)/i.exec(
        id,
      );
      if (m) known.set((m[2] as string).toLowerCase(), m[1] as string);
    }
  for (const r of requirements) {
    if (isCosmos(r)) continue; // Cosmos DB's own role definition
    (r.note?.startsWith('DataAction') ? dataActions : actions).add(r.action);
    for (const id of r.resources) {
      const provider = /(\/providers\/[^/]+\/[^/]+\/[^/]+)/i.exec(id)?.[1]?.toLowerCase();
      const scope = scopeOf(id) ?? (provider ? known.get(provider) : undefined) ?? null;
      if (scope) scopes.add(scope);
      else unknown.add(id);
    }
  }
  // A subscription scope covers its resource groups.
  const subs = [...scopes].filter((s) => !s.includes('/resourceGroups/'));
  const assignable = [...scopes].filter((s) => !subs.some((sub) => s !== sub && s.startsWith(`${sub}/`)));
  return {
    name,
    description: `The operations a workload used, as leastpriv observed them (${actions.size + dataActions.size}).`,
    actions: [...actions].sort(),
    dataActions: [...dataActions].sort(),
    assignableScopes: assignable.sort(),
    unknownScopes: [...unknown].sort(),
  };
}

export type AzureFormat = 'json' | 'terraform' | 'bicep' | 'markdown';

export function azureFormatOf(path: string): AzureFormat {
  if (/\.tf$/i.test(path)) return 'terraform';
  if (/\.bicep$/i.test(path)) return 'bicep';
  if (/\.md$/i.test(path)) return 'markdown';
  return 'json';
}

const q = (s: string) => JSON.stringify(s);
/** Scopes to write: the ones seen, else a placeholder the reader must fill in. */
const scopesOf = (role: AzureRole) =>
  role.assignableScopes.length ? role.assignableScopes : ['/subscriptions/SUBSCRIPTION_ID'];

export function renderAzureRole(role: AzureRole, format: AzureFormat): string {
  const scopes = scopesOf(role);
  if (format === 'terraform') {
    const list = (xs: string[]) =>
      xs.length ? `[\n${xs.map((x) => `      ${q(x)},`).join('\n')}\n    ]` : '[]';
    const lines = [
      'variable "principal_id" {',
      '  description = "The object id of the identity that gets the role"',
      '  type        = string',
      '}',
      '',
      'resource "azurerm_role_definition" "leastpriv" {',
      `  name        = ${q(role.name)}`,
      `  scope       = ${q(scopes[0] as string)}`,
      `  description = ${q(role.description)}`,
      '',
      '  permissions {',
      `    actions      = ${list(role.actions)}`,
      `    data_actions = ${list(role.dataActions)}`,
      '  }',
      '',
      `  assignable_scopes = [${scopes.map(q).join(', ')}]`,
      '}',
    ];
    scopes.forEach((scope, i) => {
      lines.push(
        '',
        `resource "azurerm_role_assignment" "leastpriv_${i + 1}" {`,
        `  scope              = ${q(scope)}`,
        '  role_definition_id = azurerm_role_definition.leastpriv.role_definition_resource_id',
        '  principal_id       = var.principal_id',
        '}',
      );
    });
    return `${lines.join('\n')}\n`;
  }
  if (format === 'bicep') {
    const arr = (xs: string[], pad: string) =>
      xs.length ? `[\n${xs.map((x) => `${pad}  '${x}'`).join('\n')}\n${pad}]` : '[]';
    return `${[
      "targetScope = 'subscription'",
      '',
      "resource leastpriv 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {",
      `  name: guid(subscription().id, '${role.name}')`,
      '  properties: {',
      `    roleName: '${role.name}'`,
      `    description: '${role.description.replace(/'/g, "\\'")}'`,
      "    type: 'CustomRole'",
      '    permissions: [',
      '      {',
      `        actions: ${arr(role.actions, '        ')}`,
      `        dataActions: ${arr(role.dataActions, '        ')}`,
      '      }',
      '    ]',
      `    assignableScopes: ${arr(scopes, '    ')}`,
      '  }',
      '}',
    ].join('\n')}\n`;
  }
  if (format === 'markdown') {
    const lines = [
      `# Azure custom role: ${role.name}`,
      '',
      `${role.actions.length} Actions, ${role.dataActions.length} DataActions; assignable at ${scopes.map((s) => `\`${s}\``).join(', ')}.`,
      '',
      '| Operation | Kind |',
      '| --- | --- |',
      ...role.actions.map((a) => `| \`${a}\` | Action |`),
      ...role.dataActions.map((a) => `| \`${a}\` | DataAction |`),
    ];
    if (role.unknownScopes.length)
      lines.push(
        '',
        `Also used, scope unknown from the calls: ${role.unknownScopes.map((s) => `\`${s}\``).join(', ')}.`,
      );
    return `${lines.join('\n')}\n`;
  }
  return `${JSON.stringify(
    {
      Name: role.name,
      IsCustom: true,
      Description: role.description,
      Actions: role.actions,
      NotActions: [],
      DataActions: role.dataActions,
      NotDataActions: [],
      AssignableScopes: scopes,
    },
    null,
    2,
  )}\n`;
}
