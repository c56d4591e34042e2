/** Condition blocks: canonical form, and merging the conditions that held across calls. */
import type { ConditionBlock } from '../model/index.js';

/** Operators, keys and values sorted; values deduplicated. */
export function canonical(block: ConditionBlock | null): ConditionBlock | null {
  if (!block) return null;
  const out: ConditionBlock = {};
  for (const op of Object.keys(block).sort()) {
    const keys = block[op] ?? {};
    const inner: Record<string, string[]> = {};
    for (const k of Object.keys(keys).sort()) inner[k] = [...new Set(keys[k] ?? [])].sort();
    if (Object.keys(inner).length) out[op] = inner;
  }
  return Object.keys(out).length ? out : null;
}

export function conditionKey(block: ConditionBlock | null): string {
  return block ? JSON.stringify(block) : '';
}

/** Operator and key names, without values. */
function shape(block: ConditionBlock): string {
  return Object.keys(block)
    .map((op) => `${op}(${Object.keys(block[op] ?? {}).join(',')})`)
    .join(';');
}

function entries(block: ConditionBlock): [string, string, string[]][] {
  const out: [string, string, string[]][] = [];
  for (const op of Object.keys(block)) {
    for (const k of Object.keys(block[op] ?? {})) out.push([op, k, block[op]?.[k] ?? []]);
  }
  return out;
}

/** Two blocks of one shape that differ in the values of at most one key: that key's values united. */
function tryMerge(a: ConditionBlock, b: ConditionBlock): ConditionBlock | null {
  if (shape(a) !== shape(b)) return null;
  const ea = entries(a);
  const eb = entries(b);
  let differing = -1;
  for (let i = 0; i < ea.length; i++) {
    if (JSON.stringify(ea[i]?.[2]) !== JSON.stringify(eb[i]?.[2])) {
      if (differing >= 0) return null;
      differing = i;
    }
  }
  if (differing < 0) return a;
  const [op, key] = ea[differing] ?? ['', ''];
  const merged = structuredClone(a);
  const target = merged[op] as Record<string, string[]>;
  target[key] = [...new Set([...(a[op]?.[key] ?? []), ...(b[op]?.[key] ?? [])])].sort();
  return merged;
}

/**
 * The fewest blocks that allow exactly what the given ones allowed together (united value lists
 * are an OR within one key). An unconditional grant (null) absorbs every conditional one.
 */
export function mergeConditions<T>(items: { conditions: ConditionBlock | null; data: T[] }[]): {
  conditions: ConditionBlock | null;
  data: T[];
}[] {
  const unconditional = items.filter((i) => i.conditions === null);
  if (unconditional.length) return [{ conditions: null, data: items.flatMap((i) => i.data) }];
  const work = items
    .map((i) => ({ conditions: canonical(i.conditions) as ConditionBlock, data: [...i.data] }))
    .sort((x, y) => (conditionKey(x.conditions) < conditionKey(y.conditions) ? -1 : 1));
  let changed = true;
  while (changed) {
    changed = false;
    outer: for (let i = 0; i < work.length; i++) {
      for (let j = i + 1; j < work.length; j++) {
        const a = work[i];
        const b = work[j];
        if (!a || !b) continue;
        const m = tryMerge(a.conditions, b.conditions);
        if (m) {
          work[i] = { conditions: m, data: [...a.data, ...b.data] };
          work.splice(j, 1);
          changed = true;
          break outer;
        }
      }
    }
  }
  return work;
}

/** A block with `aws:RequestedRegion` added (StringEquals). */
export function withRegion(block: ConditionBlock | null, region: string): ConditionBlock {
  const out: ConditionBlock = structuredClone(block ?? {});
  const eq = out.StringEquals ?? {};
  eq['aws:RequestedRegion'] = [...new Set([...(eq['aws:RequestedRegion'] ?? []), region])].sort();
  out.StringEquals = eq;
  return out;
}
