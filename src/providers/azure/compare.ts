/**
 * An Azure role definition against recorded calls: which operations the calls needed that it
 * does not grant, which entries no call used, which wildcards were used narrowly, and the
 * mistakes a reviewer would catch. Operations match as Azure matches them: case-insensitive,
 * an asterisk standing for any run of characters (so Microsoft.Storage/<asterisk>/read covers every read), NotActions and
 * NotDataActions taken away (https://learn.microsoft.com/azure/role-based-access-control/role-definitions).
 * AssignableScopes bound where the role can be assigned, so a call on a resource outside all of them
 * is denied whatever the operations say: the resource is named (resources the calls name only by
 * host, `/subscriptions/*`, cannot be placed and are not judged). Pure.
 */
import type { AzureRoleFile } from '../../input/azure-role.js';
import type { CallRecord } from '../../model/index.js';
import { eachNeed } from '../needs.js';
import { COSMOS_NOTE } from './authorize.js';

const matcher = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );

const ENTITIES = 'Microsoft.Storage/storageAccounts/tableServices/tables/entities';
/**
 * Operations Azure also grants through another one: a Table Storage insert or update is allowed
 * by `entities/write` as well as by its narrower action
 * (https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory#permissions-for-table-service-operations).
 */
const ALSO_GRANTED_BY: Readonly<Record<string, readonly string[]>> = {
  [`${ENTITIES}/add/action`.toLowerCase()]: [`${ENTITIES}/write`],
  [`${ENTITIES}/update/action`.toLowerCase()]: [`${ENTITIES}/write`],
};

export interface AzureNeed {
  callId: number;
  record: CallRecord;
  operation: string;
  data: boolean;
  /** Granted by the operations, but these resources lie outside every assignable scope. */
  outside?: string[];
}

/** Whether an ARM id lies within a scope (case-insensitive, on a segment boundary). */
export function withinScope(id: string, scope: string): boolean {
  const a = id.toLowerCase().replace(/\/+$/, '');
  const s = scope.toLowerCase().replace(/\/+$/, '');
  return s === '' || a === s || a.startsWith(`${s}/`);
}

export interface AzureComparison {
  checked: number;
  allowed: number;
  missing: AzureNeed[];
  /** Entries (Actions or DataActions) no call used. */
  unused: string[];
  /** Wildcard entries, with the operations the calls used them for. */
  overBroad: { entry: string; used: string[] }[];
  /** `cosmos`: Cosmos DB data-plane operations, which belong in Cosmos DB's own role definition. */
  skipped: { unresolved: number; permissionless: number; otherProviders: number; cosmos: number };
}

export function compareAzureRole(role: AzureRoleFile, records: readonly CallRecord[]): AzureComparison {
  const compile = (xs: string[]) => xs.map((x) => ({ entry: x, re: matcher(x) }));
  const grants = { action: compile(role.actions), data: compile(role.dataActions) };
  const denies = { action: compile(role.notActions), data: compile(role.notDataActions) };
  const usedBy = new Map<string, Set<string>>();
  const out: AzureComparison = {
    checked: 0,
    allowed: 0,
    missing: [],
    unused: [],
    overBroad: [],
    skipped: { unresolved: 0, permissionless: 0, otherProviders: 0, cosmos: 0 },
  };
  let cosmos = 0;
  const skipped = eachNeed(records, 'azure', (need, record, callId) => {
    if (need.note?.startsWith(COSMOS_NOTE)) {
      cosmos++;
      return;
    }
    out.checked++;
    const kind = need.note?.startsWith('DataAction') ? 'data' : 'action';
    const names = [need.action, ...(ALSO_GRANTED_BY[need.action.toLowerCase()] ?? [])];
    const hit = grants[kind].find((g) => names.some((n) => g.re.test(n)));
    const denied = denies[kind].some((d) => d.re.test(need.action));
    const outside =
      role.assignableScopes.length > 0
        ? need.resources.filter(
            (id) => !id.includes('*') && !role.assignableScopes.some((s) => withinScope(id, s)),
          )
        : [];
    if (hit && !denied && outside.length)
      out.missing.push({ callId, record, operation: need.action, data: kind === 'data', outside });
    else if (hit && !denied) {
      out.allowed++;
      const set = usedBy.get(hit.entry) ?? new Set<string>();
      set.add(need.action);
      usedBy.set(hit.entry, set);
    } else out.missing.push({ callId, record, operation: need.action, data: kind === 'data' });
  });
  out.skipped = { ...skipped, cosmos };
  for (const g of [...grants.action, ...grants.data]) {
    const used = usedBy.get(g.entry);
    if (!used) out.unused.push(g.entry);
    else if (g.entry.includes('*')) out.overBroad.push({ entry: g.entry, used: [...used].sort() });
  }
  out.unused.sort();
  return out;
}

export interface AzureLintFinding {
  severity: 'error' | 'warning';
  rule: string;
  message: string;
}

const OPERATION = /^(\*|[A-Za-z0-9*.-]+(\/[A-Za-z0-9*._-]+)*)$/;

export function lintAzureRole(role: AzureRoleFile): AzureLintFinding[] {
  const findings: AzureLintFinding[] = [];
  const lists: [string, string[]][] = [
    ['Actions', role.actions],
    ['NotActions', role.notActions],
    ['DataActions', role.dataActions],
    ['NotDataActions', role.notDataActions],
  ];
  for (const [what, list] of lists) {
    const seen = new Set<string>();
    for (const entry of list) {
      if (!OPERATION.test(entry))
        findings.push({
          severity: 'error',
          rule: 'operation-name',
          message: `${what}: '${entry}' is not an operation (Namespace/type/verb)`,
        });
      if (seen.has(entry.toLowerCase()))
        findings.push({
          severity: 'warning',
          rule: 'duplicate',
          message: `${what}: ${entry} is listed twice`,
        });
      seen.add(entry.toLowerCase());
      if (entry === '*' && (what === 'Actions' || what === 'DataActions'))
        findings.push({
          severity: 'warning',
          rule: 'everything',
          message: `${what}: '*' grants every operation of every provider`,
        });
    }
  }
  if (role.assignableScopes.length === 0)
    findings.push({
      severity: 'error',
      rule: 'scopes',
      message: 'AssignableScopes is empty: Azure requires at least one scope',
    });
  for (const s of role.assignableScopes)
    if (s === '/' || !/^\/(subscriptions|providers\/Microsoft\.Management\/managementGroups)\//i.test(s))
      findings.push({
        severity: 'error',
        rule: 'scopes',
        message: `AssignableScopes: '${s}' is not a subscription, resource group or management group scope`,
      });
  if (role.actions.length + role.dataActions.length === 0)
    findings.push({
      severity: 'warning',
      rule: 'empty',
      message: 'the role grants nothing (no Actions, no DataActions)',
    });
  return findings;
}
