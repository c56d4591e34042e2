/**
 * A Google Cloud custom role against recorded calls: which permissions the calls needed that
 * the role lacks (check, diff), which it grants that no call used (diff), and the mistakes a
 * reviewer would catch in it (lint). Permissions only: where the role is bound is not in the
 * role file, so bindings are not checked. Pure.
 */
import type { CallRecord } from '../../model/index.js';
import { eachNeed } from '../needs.js';

export interface GcpMissing {
  callId: number;
  record: CallRecord;
  permission: string;
  resources: string[];
}

export interface GcpComparison {
  /** Permissions of GCP calls checked. */
  checked: number;
  allowed: number;
  missing: GcpMissing[];
  /** Granted and used by no call. */
  unused: string[];
  skipped: { unresolved: number; permissionless: number; otherProviders: number };
}

export function compareGcpRole(
  permissions: readonly string[],
  records: readonly CallRecord[],
): GcpComparison {
  const granted = new Set(permissions);
  const used = new Set<string>();
  const out: GcpComparison = {
    checked: 0,
    allowed: 0,
    missing: [],
    unused: [],
    skipped: { unresolved: 0, permissionless: 0, otherProviders: 0 },
  };
  out.skipped = eachNeed(records, 'gcp', (need, record, callId) => {
    out.checked++;
    used.add(need.action);
    if (granted.has(need.action)) out.allowed++;
    else out.missing.push({ callId, record, permission: need.action, resources: need.resources });
  });
  out.unused = [...granted].filter((p) => !used.has(p)).sort();
  return out;
}

export interface GcpLintFinding {
  severity: 'error' | 'warning';
  rule: string;
  message: string;
}

/** A permission name: `service.resource.verb`. */
const PERMISSION = /^[a-z][a-z0-9]*\.[A-Za-z0-9]+\.[A-Za-z0-9]+$/;
const STAGES = new Set(['ALPHA', 'BETA', 'GA', 'DEPRECATED', 'DISABLED', 'EAP']);

export function lintGcpRole(role: {
  permissions: readonly string[];
  stage: string | null;
}): GcpLintFinding[] {
  const findings: GcpLintFinding[] = [];
  const seen = new Set<string>();
  for (const p of role.permissions) {
    if (!PERMISSION.test(p))
      findings.push({
        severity: 'error',
        rule: 'permission-name',
        message: `'${p}' is not a permission name (service.resource.verb); custom roles take no wildcards`,
      });
    if (seen.has(p))
      findings.push({ severity: 'warning', rule: 'duplicate', message: `${p} is listed twice` });
    seen.add(p);
  }
  if (role.permissions.length === 0)
    findings.push({
      severity: 'warning',
      rule: 'empty',
      message: 'the role grants nothing (includedPermissions is empty)',
    });
  if (role.stage !== null && !STAGES.has(role.stage))
    findings.push({
      severity: 'error',
      rule: 'stage',
      message: `stage '${role.stage}' is not one of ${[...STAGES].join(', ')}`,
    });
  // https://cloud.google.com/iam/docs/roles-overview#custom-role-limits: 3,000 permissions at most.
  if (role.permissions.length > 3000)
    findings.push({
      severity: 'error',
      rule: 'size',
      message: `${role.permissions.length} permissions: a custom role holds 3,000 at most`,
    });
  return findings;
}
