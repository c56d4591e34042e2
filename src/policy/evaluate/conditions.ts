/**
 * Condition operators of identity policies. A block holds when every operator holds; an operator
 * when every key holds; a key when the request's value matches one of the policy's values (for
 * the negated operators: none of them). `...IfExists` holds when the key is absent;
 * `ForAnyValue:` and `ForAllValues:` compare each value of a multivalued key.
 */
import type { ConditionBlock } from '../../model/index.js';
import type { Context } from './context.js';
import { ipInRange } from './ip.js';
import { substitute, substituteText } from './variables.js';
import { arnMatch, globMatch } from './wildcard.js';

/** Whether a request value matches a policy value; null when a policy variable has no value. */
type Matcher = (context: string, policy: string, ctx: Context, variables: boolean) => boolean | null;

const text =
  (compare: (a: string, b: string) => boolean): Matcher =>
  (value, policy, ctx, variables) => {
    const p = substituteText(policy, ctx, variables);
    return p === null ? null : compare(value, p);
  };

const number = (s: string): number | null => (/^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(s) ? Number(s) : null);

const numeric =
  (compare: (a: number, b: number) => boolean): Matcher =>
  (value, policy) => {
    const a = number(value);
    const b = number(policy);
    return a !== null && b !== null && compare(a, b);
  };

/** A date as epoch milliseconds: ISO 8601 text or epoch seconds. */
export function parseDate(s: string): number | null {
  const t = s.trim();
  if (/^-?\d+$/.test(t)) return Number(t) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

const date =
  (compare: (a: number, b: number) => boolean): Matcher =>
  (value, policy) => {
    const a = parseDate(value);
    const b = parseDate(policy);
    return a !== null && b !== null && compare(a, b);
  };

const like: Matcher = (value, policy, ctx, variables) => {
  const p = substitute(policy, ctx, variables);
  return p === null ? null : globMatch(p, value);
};

const arn: Matcher = (value, policy, ctx, variables) => {
  const p = substitute(policy, ctx, variables);
  return p === null ? null : arnMatch(p, value);
};

/** Positive operators; each negated one names its positive counterpart. */
const MATCHERS: Record<string, Matcher> = {
  stringequals: text((a, b) => a === b),
  stringequalsignorecase: text((a, b) => a.toLowerCase() === b.toLowerCase()),
  stringlike: like,
  numericequals: numeric((a, b) => a === b),
  numericlessthan: numeric((a, b) => a < b),
  numericlessthanequals: numeric((a, b) => a <= b),
  numericgreaterthan: numeric((a, b) => a > b),
  numericgreaterthanequals: numeric((a, b) => a >= b),
  dateequals: date((a, b) => a === b),
  datelessthan: date((a, b) => a < b),
  datelessthanequals: date((a, b) => a <= b),
  dategreaterthan: date((a, b) => a > b),
  dategreaterthanequals: date((a, b) => a >= b),
  bool: text((a, b) => a.toLowerCase() === b.toLowerCase()),
  binaryequals: text((a, b) => a === b),
  ipaddress: (value, policy) => ipInRange(value, policy),
  arnequals: arn,
  arnlike: arn,
};

const NEGATED: Record<string, string> = {
  stringnotequals: 'stringequals',
  stringnotequalsignorecase: 'stringequalsignorecase',
  stringnotlike: 'stringlike',
  numericnotequals: 'numericequals',
  datenotequals: 'dateequals',
  notipaddress: 'ipaddress',
  arnnotequals: 'arnequals',
  arnnotlike: 'arnlike',
};

export interface ParsedOperator {
  set: 'ForAnyValue' | 'ForAllValues' | null;
  /** Lower case, without the set prefix and `IfExists`. */
  base: string;
  ifExists: boolean;
  negated: boolean;
}

/** The parts of an operator name, or null when it is not an operator IAM knows. */
export function parseOperator(name: string): ParsedOperator | null {
  let rest = name;
  let set: ParsedOperator['set'] = null;
  const m = /^(ForAnyValue|ForAllValues):(.*)$/i.exec(rest);
  if (m) {
    set = (m[1] ?? '').toLowerCase() === 'foranyvalue' ? 'ForAnyValue' : 'ForAllValues';
    rest = m[2] ?? '';
  }
  let ifExists = false;
  if (/IfExists$/i.test(rest)) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const base = rest.toLowerCase();
  if (base === 'null') return ifExists ? null : { set, base, ifExists, negated: false };
  if (MATCHERS[base]) return { set, base, ifExists, negated: false };
  if (NEGATED[base]) return { set, base, ifExists, negated: true };
  return null;
}

/** Whether one key of one operator holds. */
export function keyHolds(
  op: ParsedOperator,
  key: string,
  policyValues: readonly string[],
  ctx: Context,
  variables: boolean,
): boolean {
  const raw = ctx.get(key);
  if (op.base === 'null') {
    // An empty list is a value: the key is present.
    return policyValues.some((p) => (p.toLowerCase() === 'true') === (raw === undefined));
  }
  if (raw === undefined) {
    if (op.ifExists) return true;
    if (op.set === 'ForAllValues') return true;
    if (op.set === 'ForAnyValue') return false;
    return op.negated;
  }
  const matcher = MATCHERS[op.negated ? (NEGATED[op.base] ?? '') : op.base];
  if (!matcher) return false;
  // A request value satisfies a positive operator when it matches one policy value, a negated
  // one when it matches none of them; a policy value whose variable has no value satisfies neither.
  const satisfies = (v: string): boolean =>
    op.negated
      ? policyValues.every((p) => matcher(v, p, ctx, variables) === false)
      : policyValues.some((p) => matcher(v, p, ctx, variables) === true);
  if (op.set === 'ForAllValues') return toList(raw).every(satisfies);
  if (op.set === 'ForAnyValue') return toList(raw).some(satisfies);
  // Without a set operator a multivalued key matches nothing.
  return typeof raw === 'string' && satisfies(raw);
}

function toList(raw: string | readonly string[]): readonly string[] {
  return typeof raw === 'string' ? [raw] : raw;
}

/** Whether a whole condition block holds for the request context. */
export function conditionsHold(block: ConditionBlock | undefined, ctx: Context, variables: boolean): boolean {
  if (!block) return true;
  for (const [name, keys] of Object.entries(block)) {
    const op = parseOperator(name);
    if (!op) return false;
    for (const [key, values] of Object.entries(keys)) {
      if (!keyHolds(op, key, toStrings(values), ctx, variables)) return false;
    }
  }
  return true;
}

/** Policy values as strings (JSON policies may hold booleans and numbers). */
function toStrings(values: unknown): string[] {
  const list = Array.isArray(values) ? values : [values];
  return list.map((v) => String(v));
}
