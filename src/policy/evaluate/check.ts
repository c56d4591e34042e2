/**
 * Checking recorded calls against a policy: every permission each call needed is evaluated; a
 * denied one comes with the statement leastpriv itself would write to allow it.
 */
import type { CallRecord, ConditionBlock, PolicyDocument, Statement } from '../../model/index.js';
import { buildPolicy } from '../index.js';
import { Context, type ContextValue } from './context.js';
import { type Decision, evaluate, type StatementHit } from './index.js';
import { unescapeResource } from './variables.js';

/** One permission of one call: an action on a resource, with the conditions that held. */
export interface Need {
  action: string;
  resources: string[];
  conditions: ConditionBlock | null;
}

export interface Denial {
  /** 1-based position of the call among all records. */
  callId: number;
  record: CallRecord;
  action: string;
  /** The resources the policy does not allow. */
  resources: string[];
  decision: Exclude<Decision, 'allowed'>;
  /** The Deny statements that matched (explicit denials). */
  deniedBy: StatementHit[];
  /** The statements leastpriv would write to allow it. */
  fix: Statement[];
}

export interface CheckResult {
  /** Permissions evaluated (one per action and resource). */
  checked: number;
  allowed: number;
  denials: Denial[];
  /** Calls with no permission to check: unresolved, or needing none. */
  skipped: { unresolved: number; permissionless: number };
}

/**
 * The request context a recorded call had: its region and time, the keys its conditions name,
 * and the given extra keys (`aws:username`...) on top.
 */
export function contextOf(
  record: CallRecord,
  conditions: ConditionBlock | null,
  extra: Record<string, ContextValue>,
): Record<string, ContextValue> {
  const ctx: Record<string, ContextValue> = { 'aws:SecureTransport': 'true' };
  if (record.region && record.region !== 'aws-global') ctx['aws:RequestedRegion'] = record.region;
  const ms = Date.parse(record.time);
  if (!Number.isNaN(ms)) {
    ctx['aws:CurrentTime'] = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    ctx['aws:EpochTime'] = String(Math.floor(ms / 1000));
  }
  for (const [op, keys] of Object.entries(conditions ?? {})) {
    for (const [key, values] of Object.entries(keys)) {
      const set = /^For(Any|All)Value/i.test(op);
      if (set) ctx[key] = values;
      else if (
        /^(String|Arn|Bool|Numeric|Date)(Equals|EqualsIgnoreCase)?$|^Bool$/.test(op) &&
        values[0] !== undefined
      ) {
        ctx[key] = values[0];
      }
    }
  }
  return { ...ctx, ...extra };
}

/** The statements our own generator writes for these needs. */
export function statementsFor(needs: Need[], why: string): Statement[] {
  try {
    const built = buildPolicy([{ requirements: needs.map((n) => ({ ...n, why })), callIds: [1] }]);
    return built.documents.flatMap((d) => d.Statement);
  } catch {
    // An action the reference does not know: the plain statement.
    return needs.map((n) => ({
      Effect: 'Allow',
      Action: n.action,
      Resource: n.resources.length === 1 ? (n.resources[0] as string) : n.resources,
      ...(n.conditions ? { Condition: n.conditions } : {}),
    }));
  }
}

export function checkCalls(
  documents: readonly PolicyDocument[],
  records: readonly CallRecord[],
  needsOf: (record: CallRecord) => Need[],
  extra: Record<string, ContextValue> = {},
): CheckResult {
  const result: CheckResult = {
    checked: 0,
    allowed: 0,
    denials: [],
    skipped: { unresolved: 0, permissionless: 0 },
  };
  records.forEach((record, i) => {
    if (record.unresolved) {
      result.skipped.unresolved++;
      return;
    }
    const needs = needsOf(record);
    if (needs.length === 0) result.skipped.permissionless++;
    for (const need of needs) {
      const ctx = new Context(contextOf(record, need.conditions, extra));
      const denied = new Map<
        string,
        { decision: Exclude<Decision, 'allowed'>; hits: StatementHit[]; resources: string[] }
      >();
      for (const resource of need.resources) {
        result.checked++;
        const e = evaluate(documents, {
          action: need.action,
          resource: unescapeResource(resource),
          context: ctx,
        });
        if (e.decision === 'allowed') {
          result.allowed++;
          continue;
        }
        const key = `${e.decision}\u0000${e.deniedBy.map((h) => `${h.document}.${h.statement}`).join(',')}`;
        const slot = denied.get(key) ?? { decision: e.decision, hits: e.deniedBy, resources: [] };
        slot.resources.push(resource);
        denied.set(key, slot);
      }
      for (const d of denied.values()) {
        const why = `${record.service}:${record.operation}`;
        result.denials.push({
          callId: i + 1,
          record,
          action: need.action,
          resources: d.resources,
          decision: d.decision,
          deniedBy: d.hits,
          fix: statementsFor([{ ...need, resources: d.resources }], why),
        });
      }
    }
  });
  return result;
}
