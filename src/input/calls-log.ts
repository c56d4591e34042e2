/**
 * Reading the calls log (NDJSON) back: each line is checked once here, at the boundary; the
 * rest of leastpriv trusts the records. A bad line is an error naming the file and line.
 */
import type { CallRecord, ConditionBlock, LoggedRequirement } from '../model/index.js';
import { UNRESOLVED_REASONS } from '../model/index.js';
import { setOwn } from './policy-json.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const SOURCES = new Set(['proxy', 'csm', 'cloudtrail', 'scan']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrOrNull = (v: unknown) => v === null || typeof v === 'string';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
/**
 * `s3:GetObject` (AWS), `storage.buckets.list` (a Google Cloud permission), or
 * `Microsoft.Storage/storageAccounts/write` (an Azure operation).
 */
const ACTION =
  /^(?:[a-z0-9-]+:[A-Za-z0-9*?]+|[a-z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9]+){2,}|[A-Z][A-Za-z0-9.]*(?:\/[A-Za-z0-9._*-]+)+)$/;
const isActions = (v: unknown): v is string[] => isStrings(v) && v.every((a) => ACTION.test(a));
/** An HTTP status code, as the proxy and SDK monitoring record it. */
const isStatus = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 100 && v <= 599;

function conditionsProblem(v: unknown): string | null {
  if (!isObj(v)) return 'conditions must be an object';
  for (const [op, keys] of Object.entries(v)) {
    if (!isObj(keys)) return `conditions.${op} must be an object`;
    for (const [k, values] of Object.entries(keys)) {
      if (!isStrings(values)) return `conditions.${op}.${k} must be a list of strings`;
    }
  }
  return null;
}

function requirementProblem(v: unknown, i: number): string | null {
  if (!isObj(v)) return `requirements[${i}] must be an object`;
  if (typeof v.action !== 'string' || !ACTION.test(v.action)) {
    return `requirements[${i}].action must be an IAM action like s3:GetObject`;
  }
  if (!isStrings(v.resources)) return `requirements[${i}].resources must be a list of strings`;
  if (v.conditions !== undefined) {
    const p = conditionsProblem(v.conditions);
    if (p) return `requirements[${i}].${p}`;
  }
  if (v.approximate !== undefined && typeof v.approximate !== 'string') {
    return `requirements[${i}].approximate must be a string`;
  }
  if (v.note !== undefined && typeof v.note !== 'string') return `requirements[${i}].note must be a string`;
  return null;
}

/** What is wrong with one parsed line, or null when it is a valid record. */
export function recordProblem(v: unknown): string | null {
  if (!isObj(v)) return 'not a JSON object';
  if (typeof v.time !== 'string') return 'time must be a string';
  if (typeof v.source !== 'string' || !SOURCES.has(v.source))
    return 'source must be proxy, csm, cloudtrail or scan';
  if (v.provider !== 'aws' && v.provider !== 'gcp' && v.provider !== 'azure')
    return 'provider must be aws, gcp or azure';
  for (const f of ['service', 'operation', 'region', 'account', 'error'] as const) {
    if (!isStrOrNull(v[f])) return `${f} must be a string or null`;
  }
  if (v.status !== null && !isStatus(v.status))
    return 'status must be an HTTP status code (100 to 599) or null';
  if (v.actions !== null && !isActions(v.actions))
    return 'actions must be a list of IAM actions like s3:GetObject, or null';
  if (v.resources !== null && !isStrings(v.resources)) return 'resources must be a list of strings or null';
  const reason = v.unresolved;
  if (reason !== null && !(typeof reason === 'string' && Object.hasOwn(UNRESOLVED_REASONS, reason))) {
    return `unresolved must be null or one of ${Object.keys(UNRESOLVED_REASONS).join(', ')}`;
  }
  for (const f of ['host', 'method', 'path'] as const) {
    if (v[f] !== undefined && typeof v[f] !== 'string') return `${f} must be a string when present`;
  }
  if (v.file !== undefined && typeof v.file !== 'string') return 'file must be a string when present';
  if (v.line !== undefined && !(typeof v.line === 'number' && Number.isInteger(v.line) && v.line >= 1))
    return 'line must be a positive integer when present';
  if (v.candidates !== undefined && !isStrings(v.candidates))
    return 'candidates must be a list of strings when present';
  if (v.requirements !== undefined) {
    if (!Array.isArray(v.requirements)) return 'requirements must be a list';
    for (let i = 0; i < v.requirements.length; i++) {
      const p = requirementProblem(v.requirements[i], i);
      if (p) return p;
    }
  }
  return null;
}

/** The records of one calls log; blank lines are skipped. */
export function parseCallsLog(text: string, name: string): Parsed<CallRecord[]> {
  const records: CallRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { ok: false, error: `${name}:${i + 1}: not JSON; a calls log has one JSON object per line` };
    }
    const problem = recordProblem(value);
    if (problem) {
      return {
        ok: false,
        error: `${name}:${i + 1}: ${problem}; is this a calls log written by 'leastpriv --calls'?`,
      };
    }
    records.push(contractFields(value as CallRecord));
  }
  return { ok: true, value: records };
}

/**
 * A checked record rebuilt from the fields leastpriv reads: anything else a hand-made line
 * carries (an unknown field nested thousands of levels deep, say) stays behind, and condition
 * keys such as `__proto__` stay own keys.
 */
function contractFields(r: CallRecord): CallRecord {
  const out: CallRecord = {
    time: r.time,
    source: r.source,
    provider: r.provider,
    service: r.service,
    operation: r.operation,
    region: r.region,
    account: r.account,
    status: r.status,
    error: r.error,
    actions: r.actions && [...r.actions],
    resources: r.resources && [...r.resources],
    unresolved: r.unresolved,
  };
  if (r.host !== undefined) out.host = r.host;
  if (r.method !== undefined) out.method = r.method;
  if (r.path !== undefined) out.path = r.path;
  if (r.file !== undefined) out.file = r.file;
  if (r.line !== undefined) out.line = r.line;
  if (r.candidates !== undefined) out.candidates = [...r.candidates];
  if (r.requirements !== undefined) out.requirements = r.requirements.map(requirementFields);
  return out;
}

function requirementFields(r: LoggedRequirement): LoggedRequirement {
  const out: LoggedRequirement = { action: r.action, resources: [...r.resources] };
  if (r.conditions !== undefined) {
    const block: ConditionBlock = {};
    for (const [op, keys] of Object.entries(r.conditions)) {
      const inner: Record<string, string[]> = {};
      for (const [k, values] of Object.entries(keys)) setOwn(inner, k, [...values]);
      setOwn(block, op, inner);
    }
    out.conditions = block;
  }
  if (r.approximate !== undefined) out.approximate = r.approximate;
  if (r.note !== undefined) out.note = r.note;
  return out;
}

/** One permission a recorded call needed: the action on each resource, with its conditions. */
export interface RecordedNeed {
  action: string;
  resources: string[];
  conditions: ConditionBlock | null;
  /** What was widened to a wildcard, when something was. */
  approximate?: string;
  note?: string;
}

/**
 * What a record needed: its logged requirements, or (older logs) every action on every resource.
 * Empty for unresolved calls and for calls that need no permission.
 */
export function recordNeeds(record: CallRecord): RecordedNeed[] {
  if (record.unresolved) return [];
  if (record.requirements) return record.requirements.map(toNeed);
  return (record.actions ?? []).map((action) => ({
    action,
    resources: record.resources?.length ? record.resources : ['*'],
    conditions: null,
  }));
}

function toNeed(r: LoggedRequirement): RecordedNeed {
  return {
    action: r.action,
    resources: r.resources,
    conditions: r.conditions ?? null,
    ...(r.approximate ? { approximate: r.approximate } : {}),
    ...(r.note ? { note: r.note } : {}),
  };
}
