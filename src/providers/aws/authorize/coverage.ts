/**
 * The mapping's self-check: every operation of the API index, how it maps to IAM (AWS's own
 * table, a curated rule, a strategy in code, the same-named action, no permission at all) or why
 * it cannot; how far PassRole and tag-on-create reach; and whether every curated rule still fits
 * the data it names (operations, handlers, actions, parameter paths).
 */
import { apiIndex, inputMembers, memberFacts } from '../../../catalog/api-index.js';
import {
  type ActionSpec,
  allOperationRules,
  allServiceRules,
  operationRule,
  serviceRule,
} from '../../../catalog/rules.js';
import { sarActionByQualifiedName } from '../../../catalog/sar.js';
import { authorizedActions, serviceReferenceCovers } from '../../../catalog/service-reference.js';
import { HANDLERS } from './handlers.js';
import { authorizeAws, iamPrefix } from './index.js';

export type MappedBy = 'aws-table' | 'curated' | 'strategy' | 'same-name' | 'permissionless';

export interface Coverage {
  operations: number;
  mapped: Record<MappedBy, number>;
  /** Operations no action can be named for, by reason, each with its operations. */
  unmapped: Record<string, string[]>;
  unmappedCount: number;
  /** Operations of discontinued services (counted apart: their calls cannot succeed). */
  retired: Record<string, number>;
  passRole: { withRoleMembers: number; byAwsTable: number; byMembers: number; withPrincipal: number };
  tagOnCreate: { withTagMembers: number; byAwsTable: number; byServiceFacts: number; undocumented: number };
  /** Curated rules that no longer fit the data, one line each. */
  problems: string[];
}

const REASON_NO_PREFIX = 'no IAM prefix is known for the service';
const REASON_NO_ACTION =
  'the Service Authorization Reference has no action for it (newer than the reference)';

function classify(service: string, operation: string, unmapped: Map<string, string[]>): MappedBy | null {
  const rule = operationRule(service, operation);
  const prefix = iamPrefix(service);
  const note = (reason: string) => {
    const list = unmapped.get(reason) ?? [];
    list.push(`${service}:${operation}`);
    unmapped.set(reason, list);
    return null;
  };
  if (rule?.permissionless) return 'permissionless';
  if (rule?.unmapped) return note(rule.unmapped);
  if (!prefix) return note(REASON_NO_PREFIX);
  if (rule?.handler || (!rule?.actions && serviceRule(service)?.handler)) return 'strategy';
  if (rule?.actions) return 'curated';
  const reqs = authorizeAws({
    provider: 'aws',
    service,
    operation,
    region: 'us-east-1',
    partition: 'aws',
    account: '123456789012',
    params: {},
  });
  if (reqs === null) return note(REASON_NO_ACTION);
  if (reqs.length === 0) return 'permissionless';
  return authorizedActions(prefix, operation) ? 'aws-table' : 'same-name';
}

/** Top-level member a rule's parameter path starts from, or null for element and derived paths. */
function head(path: string): string | null {
  if (path.startsWith('@') || path.startsWith('$') || path.startsWith('=')) return null;
  return path.split('.')[0] ?? null;
}

function specPaths(spec: ActionSpec): string[] {
  return [
    ...(spec.if ?? []),
    ...(spec.unless ?? []),
    ...Object.keys(spec.except ?? {}),
    ...(spec.each ? [spec.each] : []),
    ...Object.values(spec.bind ?? {}),
    ...(spec.arn ? [spec.arn] : []),
  ];
}

/** Lines naming every curated rule that does not fit the data. */
export function ruleProblems(): string[] {
  const problems: string[] = [];
  const services = apiIndex().services;
  // service rules may also name CloudTrail event sources and CSM ids outside the API index
  for (const s of allServiceRules()) {
    if (s.handler && !HANDLERS[s.handler])
      problems.push(`service ${s.service}: unknown handler ${s.handler}`);
    if (s.tagOnCreate && !sarActionByQualifiedName(s.tagOnCreate))
      problems.push(`service ${s.service}: ${s.tagOnCreate} is not in the Service Authorization Reference`);
  }
  for (const r of allOperationRules()) {
    const where = `${r.service}:${r.operation}`;
    if (!services.has(r.service)) {
      problems.push(`${where}: service not in the API index`);
      continue;
    }
    if (r.handler && !HANDLERS[r.handler]) problems.push(`${where}: unknown handler ${r.handler}`);
    const members = r.operation === '*' ? null : inputMembers(r.service, r.operation);
    if (r.operation !== '*' && members === null) {
      problems.push(`${where}: no such operation`);
      continue;
    }
    const known = new Set((members ?? []).map((m) => m.toLowerCase()));
    for (const spec of [...(r.actions ?? []), ...(r.also ?? [])]) {
      if (!spec.action.includes('{') && !sarActionByQualifiedName(spec.action))
        problems.push(`${where}: ${spec.action} is not in the Service Authorization Reference`);
      if (!members) continue;
      for (const path of specPaths(spec)) {
        const h = head(path);
        if (h && !known.has(h.toLowerCase()))
          problems.push(`${where}: parameter ${path} is not an input member`);
      }
    }
  }
  return problems.sort();
}

/** The whole index, classified. Pure over the catalog: no I/O beyond the data it reads. */
export function coverage(): Coverage {
  const unmapped = new Map<string, string[]>();
  const mapped: Record<MappedBy, number> = {
    'aws-table': 0,
    curated: 0,
    strategy: 0,
    'same-name': 0,
    permissionless: 0,
  };
  const passRole = { withRoleMembers: 0, byAwsTable: 0, byMembers: 0, withPrincipal: 0 };
  const tagOnCreate = { withTagMembers: 0, byAwsTable: 0, byServiceFacts: 0, undocumented: 0 };
  let operations = 0;
  const retired: Record<string, number> = {};
  for (const [service, svc] of apiIndex().services) {
    const prefix = iamPrefix(service);
    const facts = serviceRule(service);
    if (facts?.retired) {
      retired[service] = Object.keys(svc.ops).length;
      operations += retired[service];
      continue;
    }
    for (const operation of Object.keys(svc.ops)) {
      operations++;
      const by = classify(service, operation, unmapped);
      if (by) mapped[by]++;
      const d = memberFacts(service, operation);
      const covered = prefix !== null && serviceReferenceCovers(prefix);
      if (d?.r) {
        passRole.withRoleMembers++;
        if (covered) passRole.byAwsTable++;
        else passRole.byMembers++;
        const listed = prefix
          ? authorizedActions(prefix, operation)?.find((a) => a.action === 'iam:PassRole')
          : null;
        if (listed?.context || facts?.passedToService) passRole.withPrincipal++;
      }
      if (d?.t) {
        tagOnCreate.withTagMembers++;
        if (covered) tagOnCreate.byAwsTable++;
        else if (facts?.tagOnCreate !== undefined) tagOnCreate.byServiceFacts++;
        else tagOnCreate.undocumented++;
      }
    }
  }
  const sorted: Record<string, string[]> = {};
  for (const reason of [...unmapped.keys()].sort()) sorted[reason] = (unmapped.get(reason) ?? []).sort();
  const unmappedCount = [...unmapped.values()].reduce((n, l) => n + l.length, 0);
  return {
    operations,
    mapped,
    unmapped: sorted,
    unmappedCount,
    retired,
    passRole,
    tagOnCreate,
    problems: ruleProblems(),
  };
}
