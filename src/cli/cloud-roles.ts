/**
 * `check`, `diff` and `lint` on a Google Cloud custom role file (YAML or JSON) or an Azure role
 * definition (JSON): the same commands and exit codes as for an AWS policy. Bindings and
 * assignable scopes say where a role applies, not what it allows: they are not checked.
 */
import type { AzureRoleFile } from '../input/azure-role.js';
import type { GcpRoleFile } from '../input/gcp-role.js';
import type { CallRecord } from '../model/index.js';
import { compareAzureRole, lintAzureRole } from '../providers/azure/compare.js';
import { scopeOf } from '../providers/azure/role.js';
import { compareGcpRole, lintGcpRole } from '../providers/gcp/compare.js';
import { writeReport } from './check.js';

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

function skippedLine(s: {
  unresolved: number;
  permissionless: number;
  otherProviders: number;
  cosmos?: number;
}): string | null {
  const parts = [];
  if (s.cosmos)
    parts.push(
      `${s.cosmos} Cosmos DB operation${s.cosmos === 1 ? '' : 's'} (Cosmos DB's own role definition grants them)`,
    );
  if (s.unresolved) parts.push(`${s.unresolved} unresolved (not checked)`);
  if (s.permissionless) parts.push(`${s.permissionless} needing no permission`);
  if (s.otherProviders)
    parts.push(`${s.otherProviders} of another cloud (check them against their own policy)`);
  return parts.length ? `calls skipped: ${parts.join(', ')}` : null;
}

export function checkGcpRole(
  role: GcpRoleFile,
  records: readonly CallRecord[],
  format: string,
  output?: string,
): number {
  const r = compareGcpRole(role.permissions, records);
  if (format === 'json') {
    const missing = r.missing.map((m) => ({
      call: m.callId,
      time: m.record.time,
      operation: m.record.operation,
      permission: m.permission,
      resources: m.resources,
    }));
    writeReport(
      `${JSON.stringify({ checked: r.checked, allowed: r.allowed, skipped: r.skipped, denied: missing }, null, 2)}\n`,
      output,
    );
  } else {
    const lines = [
      `${plural(r.checked, 'permission')} of ${plural(records.length, 'call')} checked against the custom role ${role.name}: ${r.allowed} allowed, ${r.missing.length} denied`,
    ];
    const skipped = skippedLine(r.skipped);
    if (skipped) lines.push(skipped);
    for (const m of r.missing)
      lines.push(
        '',
        `denied: call ${m.callId} ${m.record.operation} at ${m.record.time} needs ${m.permission} on ${m.resources.join(', ')}`,
        `  add to includedPermissions: - ${m.permission}`,
      );
    writeReport(`${lines.join('\n')}\n`, output);
  }
  return r.missing.length ? 1 : 0;
}

export function diffGcpRole(
  role: GcpRoleFile,
  records: readonly CallRecord[],
  format: string,
  failOn: ReadonlySet<string>,
  output?: string,
): number {
  const r = compareGcpRole(role.permissions, records);
  const missing = [...new Set(r.missing.map((m) => m.permission))].sort();
  const neededBy = (p: string) => [
    ...new Set(r.missing.filter((m) => m.permission === p).map((m) => m.record.operation)),
  ];
  if (format === 'json')
    writeReport(
      `${JSON.stringify({ missing: missing.map((p) => ({ permission: p, calls: neededBy(p) })), unused: r.unused, overBroad: [] }, null, 2)}\n`,
      output,
    );
  else if (format === 'markdown') {
    const out = [
      `## leastpriv diff: custom role \`${role.name}\``,
      '',
      `${plural(missing.length, 'missing permission')}, ${plural(r.unused.length, 'unused permission')}.`,
    ];
    if (missing.length)
      out.push(
        '',
        '### Missing',
        '',
        '| Permission | Needed by |',
        '| --- | --- |',
        ...missing.map(
          (p) =>
            `| \`${p}\` | ${neededBy(p)
              .map((c) => `\`${c}\``)
              .join(', ')} |`,
        ),
      );
    if (r.unused.length) out.push('', '### Unused', '', ...r.unused.map((p) => `- \`${p}\``));
    writeReport(`${out.join('\n')}\n`, output);
  } else {
    const out = [
      `custom role ${role.name}: ${plural(missing.length, 'missing permission')}, ${plural(r.unused.length, 'unused permission')}`,
    ];
    for (const p of missing) out.push(`missing: ${p} (needed by ${neededBy(p).join(', ')})`);
    for (const p of r.unused) out.push(`unused: ${p}`);
    writeReport(`${out.join('\n')}\n`, output);
  }
  const found = new Set([...(missing.length ? ['missing'] : []), ...(r.unused.length ? ['unused'] : [])]);
  return [...failOn].some((k) => found.has(k)) ? 1 : 0;
}

export function lintGcpRoleFile(role: GcpRoleFile, format: string, output?: string): number {
  const findings = lintGcpRole(role);
  if (format === 'json') writeReport(`${JSON.stringify(findings, null, 2)}\n`, output);
  else {
    const lines = findings.map((f) => `${f.severity}: ${role.name}: ${f.message} [${f.rule}]`);
    lines.push(
      findings.length
        ? `${plural(findings.length, 'finding')} in ${plural(role.permissions.length, 'permission')}`
        : `no findings in ${plural(role.permissions.length, 'permission')}`,
    );
    writeReport(`${lines.join('\n')}\n`, output);
  }
  return findings.length ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Azure role definitions

export function checkAzureRole(
  role: AzureRoleFile,
  records: readonly CallRecord[],
  format: string,
  output?: string,
): number {
  const r = compareAzureRole(role, records);
  if (format === 'json') {
    const denied = r.missing.map((m) => ({
      call: m.callId,
      time: m.record.time,
      operation: m.operation,
      kind: m.data ? 'DataAction' : 'Action',
      resources: m.record.resources,
      ...(m.outside ? { outsideAssignableScopes: m.outside } : {}),
    }));
    writeReport(
      `${JSON.stringify({ checked: r.checked, allowed: r.allowed, skipped: r.skipped, denied }, null, 2)}\n`,
      output,
    );
  } else {
    const lines = [
      `${plural(r.checked, 'operation')} of ${plural(records.length, 'call')} checked against the role definition ${role.name}: ${r.allowed} allowed, ${r.missing.length} denied`,
    ];
    const skipped = skippedLine(r.skipped);
    if (skipped) lines.push(skipped);
    for (const m of r.missing)
      lines.push(
        '',
        `denied: call ${m.callId} at ${m.record.time} needs ${m.operation} on ${(m.record.resources ?? []).join(', ')}`,
        m.outside
          ? `  ${m.outside.join(', ')} ${m.outside.length === 1 ? 'lies' : 'lie'} outside the AssignableScopes (${role.assignableScopes.join(', ')}): add to AssignableScopes: ${[
              ...new Set(m.outside.map((id) => `"${scopeOf(id) ?? id}"`)),
            ].join(', ')}`
          : `  add to ${m.data ? 'DataActions' : 'Actions'}: "${m.operation}"`,
      );
    writeReport(`${lines.join('\n')}\n`, output);
  }
  return r.missing.length ? 1 : 0;
}

export function diffAzureRole(
  role: AzureRoleFile,
  records: readonly CallRecord[],
  format: string,
  failOn: ReadonlySet<string>,
  output?: string,
): number {
  const r = compareAzureRole(role, records);
  const missing = [
    ...new Set(
      r.missing.flatMap((m) =>
        m.outside
          ? m.outside.map((id) => `AssignableScopes: ${scopeOf(id) ?? id}`)
          : [`${m.data ? 'DataActions' : 'Actions'}: ${m.operation}`],
      ),
    ),
  ].sort();
  if (format === 'json')
    writeReport(
      `${JSON.stringify({ missing, unused: r.unused, overBroad: r.overBroad }, null, 2)}\n`,
      output,
    );
  else {
    const out = [
      `role definition ${role.name}: ${plural(missing.length, 'missing operation')}, ${r.unused.length} unused ${r.unused.length === 1 ? 'entry' : 'entries'}, ${plural(r.overBroad.length, 'over-broad wildcard')}`,
    ];
    for (const m of missing) out.push(`missing: ${m}`);
    for (const u of r.unused) out.push(`unused: ${u}`);
    for (const o of r.overBroad) out.push(`over-broad: ${o.entry} was used only for ${o.used.join(', ')}`);
    writeReport(`${out.join('\n')}\n`, output);
  }
  const found = new Set([
    ...(missing.length ? ['missing'] : []),
    ...(r.unused.length ? ['unused'] : []),
    ...(r.overBroad.length ? ['over-broad'] : []),
  ]);
  return [...failOn].some((k) => found.has(k)) ? 1 : 0;
}

export function lintAzureRoleFile(role: AzureRoleFile, format: string, output?: string): number {
  const findings = lintAzureRole(role);
  const n = role.actions.length + role.dataActions.length;
  if (format === 'json') writeReport(`${JSON.stringify(findings, null, 2)}\n`, output);
  else {
    const lines = findings.map((f) => `${f.severity}: ${role.name}: ${f.message} [${f.rule}]`);
    const entries = `${n} ${n === 1 ? 'entry' : 'entries'}`;
    lines.push(
      findings.length ? `${plural(findings.length, 'finding')} in ${entries}` : `no findings in ${entries}`,
    );
    writeReport(`${lines.join('\n')}\n`, output);
  }
  return findings.length ? 1 : 0;
}
