/**
 * Reading the calls log (NDJSON) back: each line is checked once here, at the boundary; the
 * rest of leastpriv trusts the records. A bad line is an error naming the file and line.
 */
import type { CallRecord, ConditionBlock, LoggedRequirement } from '../model/index.js';
import { UNRESOLVED_REASONS } from '../model/index.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const SOURCES = new Set(['proxy', 'csm', 'cloudtrail']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrOrNull = (v: unknown) => v === null || typeof v === 'string';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

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
  if (typeof v.action !== 'string' || !/^[a-z0-9-]+:[A-Za-z0-9*?]+$/.test(v.action)) {
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
    return 'source must be proxy, csm or cloudtrail';
  if (v.provider !== 'aws') return 'provider must be aws';
  for (const f of ['service', 'operation', 'region', 'account', 'error'] as const) {
    if (!isStrOrNull(v[f])) return `${f} must be a string or null`;
  }
  if (v.status !== null && typeof v.status !== 'number') return 'status must be a number or null';
  for (const f of ['actions', 'resources'] as const) {
    if (v[f] !== null && !isStrings(v[f])) return `${f} must be a list of strings or null`;
  }
  if (v.unresolved !== null && !(typeof v.unresolved === 'string' && v.unresolved in UNRESOLVED_REASONS)) {
    return `unresolved must be null or one of ${Object.keys(UNRESOLVED_REASONS).join(', ')}`;
  }
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
    records.push(value as CallRecord);
  }
  return { ok: true, value: records };
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
