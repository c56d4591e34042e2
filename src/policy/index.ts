/**
 * Policy: requirements of many calls -> IAM policy documents. Pure and deterministic: the same
 * requirements give the same documents byte for byte, whatever their order.
 */
import { sarActionByQualifiedName } from '../catalog/sar.js';
import type { ConditionBlock, PolicyDocument, Requirement, Statement } from '../model/index.js';
import { compactResources } from './compact.js';
import { canonical, conditionKey, mergeConditions, withRegion } from './conditions.js';
import { baseSid, type LevelGroup, levelGroup, uniqueSids } from './sid.js';
import { MANAGED_POLICY_LIMIT, splitStatements } from './split.js';
import { assertValidPolicy } from './validate.js';

export { compactResources } from './compact.js';
export { mergeConditions } from './conditions.js';
export { MANAGED_POLICY_LIMIT, policySize, splitStatements } from './split.js';
export { assertValidPolicy, PolicyValidationError, policyProblems } from './validate.js';

export interface PolicyEntry {
  requirements: Requirement[];
  /** The calls that needed these requirements (for `--explain`). */
  callIds: number[];
}

export interface BuildPolicyOptions {
  /** Every resource becomes `*`. */
  wildcardResources?: boolean;
  /** More than this many sibling ARNs under one parent become one wildcard; 0 or absent: never. */
  compactThreshold?: number;
  /** Add `aws:RequestedRegion` with the regions the calls used. */
  requestedRegions?: boolean;
  /** Characters (without whitespace) per document; defaults to the managed policy limit. */
  maxPolicySize?: number;
}

export interface BuiltPolicy {
  documents: PolicyDocument[];
  /** Sid -> ids of the calls that produced the statement, ascending. */
  explain: Map<string, number[]>;
  /** Widened resources, split documents: things a reviewer should know. */
  warnings: string[];
}

const LEVEL_ORDER: Record<LevelGroup, number> = { Read: 0, Write: 1, Tag: 2, Permissions: 3 };

interface Grant {
  action: string;
  conditions: ConditionBlock | null;
  resources: Map<string, Set<number>>;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const CONTROL = /\p{Cc}/gu;

/**
 * A resource as a policy can hold it. A control character (CR, LF... from an older calls log or
 * another source) has no safe place in an IAM policy: each becomes `?`, one character, and the
 * widening is reported.
 */
function policyResource(resource: string, why: string, warnings: Set<string>): string {
  if (!/\p{Cc}/u.test(resource)) return resource;
  const text = resource.replace(CONTROL, '?');
  warnings.add(`${why}: ${text} has control characters an IAM policy cannot hold, each written as ?`);
  return text;
}

/** action -> resource -> condition key -> { conditions, call ids } */
type Observed = Map<
  string,
  Map<string, Map<string, { conditions: ConditionBlock | null; calls: Set<number> }>>
>;

function observe(entries: PolicyEntry[], options: BuildPolicyOptions, warnings: Set<string>): Observed {
  const observed: Observed = new Map();
  // Most requirements carry no condition: their blocks (a region's, or none) are shared.
  const regionBlocks = new Map<string, { conditions: ConditionBlock; key: string }>();
  for (const entry of entries) {
    for (const req of entry.requirements) {
      if (req.approximate) warnings.add(`${req.why}: ${req.approximate}`);
      if (req.note) warnings.add(`${req.why}: ${req.note}`);
      let conditions: ConditionBlock | null;
      let key: string;
      if (req.conditions === null && !(options.requestedRegions && req.region)) {
        conditions = null;
        key = '';
      } else if (req.conditions === null && req.region) {
        let shared = regionBlocks.get(req.region);
        if (!shared) {
          const block = withRegion(null, req.region);
          shared = { conditions: block, key: conditionKey(block) };
          regionBlocks.set(req.region, shared);
        }
        conditions = shared.conditions;
        key = shared.key;
      } else {
        conditions = canonical(req.conditions);
        if (options.requestedRegions && req.region) conditions = withRegion(conditions, req.region);
        key = conditionKey(conditions);
      }
      const resources = options.wildcardResources
        ? ['*']
        : req.resources.map((r) => policyResource(r, req.why, warnings));
      let byResource = observed.get(req.action);
      if (!byResource) {
        byResource = new Map();
        observed.set(req.action, byResource);
      }
      for (const r of resources) {
        let byCondition = byResource.get(r);
        if (!byCondition) {
          byCondition = new Map();
          byResource.set(r, byCondition);
        }
        let slot = byCondition.get(key);
        if (!slot) {
          slot = { conditions, calls: new Set() };
          byCondition.set(key, slot);
        }
        for (const id of entry.callIds) slot.calls.add(id);
      }
    }
  }
  return observed;
}

/** Per action, the resources granted under each (merged) condition block. */
function grants(observed: Observed, options: BuildPolicyOptions, warnings: Set<string>): Grant[] {
  const out: Grant[] = [];
  for (const action of [...observed.keys()].sort(cmp)) {
    const byKey = new Map<string, Grant>();
    const byResource = observed.get(action) ?? new Map();
    for (const resource of [...byResource.keys()].sort(cmp)) {
      const slots = [...(byResource.get(resource)?.values() ?? [])];
      const merged = mergeConditions(slots.map((s) => ({ conditions: s.conditions, data: [...s.calls] })));
      for (const m of merged) {
        const key = conditionKey(m.conditions);
        let g = byKey.get(key);
        if (!g) {
          g = { action, conditions: m.conditions, resources: new Map() };
          byKey.set(key, g);
        }
        const calls = g.resources.get(resource) ?? new Set<number>();
        for (const id of m.data) calls.add(id);
        g.resources.set(resource, calls);
      }
    }
    for (const g of byKey.values()) {
      if (g.resources.has('*')) {
        const all = new Set<number>();
        for (const c of g.resources.values()) for (const id of c) all.add(id);
        g.resources = new Map([['*', all]]);
      } else if (options.compactThreshold) {
        const compacted = compactResources([...g.resources.keys()], options.compactThreshold);
        const next = new Map<string, Set<number>>();
        for (const r of compacted) next.set(r, new Set());
        for (const w of compacted) {
          if (g.resources.has(w)) continue;
          const covered = [...g.resources.keys()].filter((r) => r.startsWith(w.slice(0, -1))).length;
          warnings.add(`--compact: ${covered} resources of ${g.action} written as ${w}`);
        }
        for (const [r, calls] of g.resources) {
          const target = next.has(r)
            ? r
            : compacted.find((w) => w.endsWith('*') && r.startsWith(w.slice(0, -1)));
          const set = next.get(target ?? r);
          if (set) for (const id of calls) set.add(id);
        }
        g.resources = next;
      }
      out.push(g);
    }
  }
  return out;
}

interface Group {
  prefix: string;
  level: LevelGroup;
  conditions: ConditionBlock | null;
  resources: string[];
  actions: string[];
  calls: Set<number>;
  base: string;
}

export function buildPolicy(entries: PolicyEntry[], options: BuildPolicyOptions = {}): BuiltPolicy {
  const warnings = new Set<string>();
  const groups = new Map<string, Group>();
  for (const g of grants(observe(entries, options, warnings), options, warnings)) {
    const action = sarActionByQualifiedName(g.action);
    if (!action) throw new Error(`${g.action} is not an action in the Service Authorization Reference`);
    const level = levelGroup(action.access);
    const resources = [...g.resources.keys()].sort(cmp);
    const key = [action.prefix, level, conditionKey(g.conditions), resources.join('\u0000')].join('\u0001');
    let group = groups.get(key);
    if (!group) {
      group = {
        prefix: action.prefix,
        level,
        conditions: g.conditions,
        resources,
        actions: [],
        calls: new Set(),
        base: baseSid(action, level, resources),
      };
      groups.set(key, group);
    }
    group.actions.push(`${action.prefix}:${action.name}`);
    for (const calls of g.resources.values()) for (const id of calls) group.calls.add(id);
  }
  const ordered = [...groups.values()].sort(
    (a, b) =>
      cmp(a.prefix, b.prefix) ||
      LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] ||
      cmp(a.base, b.base) ||
      cmp(a.resources.join(','), b.resources.join(',')) ||
      cmp(conditionKey(a.conditions), conditionKey(b.conditions)) ||
      cmp(a.actions.join(','), b.actions.join(',')),
  );
  const sids = uniqueSids(ordered.map((g) => g.base));
  const explain = new Map<string, number[]>();
  const statements: Statement[] = ordered.map((g, i) => {
    const sid = sids[i] ?? g.base;
    const actions = [...new Set(g.actions)].sort(cmp);
    const st: Statement = {
      Sid: sid,
      Effect: 'Allow',
      Action: actions.length === 1 ? (actions[0] as string) : actions,
      Resource: g.resources.length === 1 ? (g.resources[0] as string) : g.resources,
    };
    if (g.conditions) st.Condition = g.conditions;
    explain.set(
      sid,
      [...g.calls].sort((a, b) => a - b),
    );
    return st;
  });
  const limit = options.maxPolicySize ?? MANAGED_POLICY_LIMIT;
  const { documents, parts } = splitStatements(statements, limit);
  for (const [sid, pieces] of parts) {
    const calls = explain.get(sid) ?? [];
    for (const p of pieces) explain.set(p, calls);
    warnings.add(`statement ${sid} alone exceeds ${limit} characters: cut into ${pieces.length} statements`);
  }
  if (documents.length > 1) {
    warnings.add(
      `the policy exceeds ${limit} characters without whitespace: split into ${documents.length} documents`,
    );
  }
  for (const doc of documents) assertValidPolicy(doc);
  return { documents, explain, warnings: [...warnings].sort(cmp) };
}
