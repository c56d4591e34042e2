/**
 * Resource ARNs for one action of one call: each resource type's ARN format from the Service
 * Authorization Reference, filled from the call's parameters. A part that cannot be filled
 * becomes `*` (the narrowest valid wildcard) and is reported as approximate.
 *
 * Values from the request are text, never patterns: `*`, `?` and a `$` that would start a policy
 * variable are written as IAM's escapes `${*}`, `${?}` and `${$}`. A control character (CR, LF,
 * tab...) has no safe place in a policy (IAM accepts only tab, LF and CR below U+0020 in a policy
 * document, and nowhere documents them inside an ARN): each becomes `?`, which matches exactly one
 * character, and the resource is reported as approximate.
 */
import {
  compileArnFormat,
  resourceTypeOfArn,
  type SarAction,
  type SarResourceType,
  sarResourceType,
} from '../../../catalog/sar.js';
import type { Operation } from '../../../model/index.js';
import type { Derived } from './derive.js';
import { readPath, type Scope, strings, topLevel } from './params.js';

export interface FillInput {
  op: Operation;
  action: SarAction;
  scope: Scope;
  derived: Derived;
  /** ARN variable -> parameter path, `$Derived` variable, or `=literal`. */
  bind: Record<string, string> | undefined;
  /** Per-service ARN variable aliases from the rules. */
  aliases: Record<string, string> | undefined;
  /** ARNs the call names explicitly (a parameter that already is an ARN). */
  arns: string[];
  /** Fill variables from same-named parameters (off for dependent actions of another service). */
  generic: boolean;
  /** Only these resource types. */
  only: string[] | undefined;
}

export interface Filled {
  resources: string[];
  /** What had to be widened, one phrase per gap. */
  approximate: string[];
}

const GLOBAL_VARS = new Set(['Partition', 'Region', 'Account']);
const MAX_ARNS = 1000;

type Values = string[] | null | undefined;

/** Values a rule writes itself (`=default`): already policy text, never escaped. */
const RULE_LITERALS = new WeakSet<string[]>();

/** Characters a request value may hold that mean something else in a policy. */
const SPECIAL = /[*?]|\$(?=\{|$)|\p{Cc}/gu;

/**
 * A value from the request as policy text: `*` `?` `${` escaped the IAM way, each control
 * character widened to `?` (then `widened` is true).
 */
export function escapeArnValue(value: string): { text: string; widened: boolean } {
  let widened = false;
  const text = value.replace(SPECIAL, (c) => {
    if (c === '*' || c === '?' || c === '$') return `\${${c}}`;
    widened = true;
    return '?';
  });
  return { text, widened };
}

/**
 * Wildcards that derived values carry on purpose (derive.ts writes them after the request's
 * text): a secret's random six-character suffix. The rest of a derived value is escaped.
 */
const DERIVED_WILDCARD = /-\?{6}$/;

function escapeDerived(value: string): { text: string; widened: boolean } {
  const m = DERIVED_WILDCARD.exec(value);
  if (!m) return escapeArnValue(value);
  const e = escapeArnValue(value.slice(0, m.index));
  return { text: e.text + m[0], widened: e.widened };
}

function fromPath(input: FillInput, path: string): Values {
  if (path.startsWith('=')) {
    const literal = [path.slice(1)];
    RULE_LITERALS.add(literal);
    return literal;
  }
  if (path.startsWith('$')) return input.derived[path.slice(1)];
  const v = strings(readPath(input.scope, path));
  return v.length ? v : undefined;
}

function variable(input: FillInput, name: string): Values {
  const bound = input.bind?.[name];
  if (bound !== undefined) {
    const v = fromPath(input, bound);
    if (v !== undefined) return v;
  }
  if (Object.hasOwn(input.derived, name)) return input.derived[name];
  if (input.generic) {
    const exact = strings(topLevel(input.op.params, name));
    if (exact.length) return exact;
  }
  const alias = input.aliases?.[name];
  if (alias !== undefined) {
    const v = fromPath(input, alias);
    if (v !== undefined) return v;
  }
  if (input.generic) {
    const plural = strings(topLevel(input.op.params, `${name}s`));
    if (plural.length) return plural;
  }
  return undefined;
}

function globalVar(input: FillInput, name: string): string | null {
  const bound = input.bind?.[name];
  const alias = input.aliases?.[name];
  const v =
    (bound !== undefined ? fromPath(input, bound) : undefined) ??
    input.derived[name] ??
    (alias !== undefined ? fromPath(input, alias) : undefined);
  if (v?.[0] !== undefined) return v[0];
  if (name === 'Partition') return input.op.partition;
  if (name === 'Region') return input.op.region;
  return input.op.account;
}

interface TypeFill {
  arns: string[];
  filled: number;
  /** Names of the variables whose values had control characters (each written as `?`). */
  widened: string[];
  /** Names of the resource-specific variables that were filled. */
  names: string[];
  missing: string[];
  applicable: boolean;
}

/** The last name in an ARN's resource part (`cluster/prod` -> `prod`). */
function lastSegment(arn: string): string {
  const parts = arn.split(/[:/]/);
  return parts[parts.length - 1] ?? arn;
}

/** KMS key ids from key ids or ARNs; an alias does not say which key it points to. */
function keyIds(values: string[]): string[] | undefined {
  const ids = values.filter((v) => !v.includes('alias/')).map((v) => (v.startsWith('key/') ? v.slice(4) : v));
  return ids.length ? ids : undefined;
}

function fillFormat(input: FillInput, format: string): TypeFill {
  const compiled = compileArnFormat(format);
  const values = new Map<string, string[]>();
  const missing: string[] = [];
  const names: string[] = [];
  const widened: string[] = [];
  let filled = 0;
  const asText = (name: string, list: string[], derived = false): string[] =>
    list.map((s) => {
      const e = derived ? escapeDerived(s) : escapeArnValue(s);
      if (e.widened && !widened.includes(name)) widened.push(name);
      return e.text;
    });
  for (const name of compiled.variables) {
    if (values.has(name)) continue;
    if (GLOBAL_VARS.has(name)) {
      const v = globalVar(input, name);
      if (v === null) missing.push(name);
      values.set(name, [v ?? '*']);
      continue;
    }
    const raw = variable(input, name);
    if (raw === null) return { arns: [], filled: 0, widened: [], names: [], missing: [], applicable: false };
    const v = raw && name === 'KeyId' ? keyIds(raw) : raw;
    if (v === undefined) {
      missing.push(name);
      values.set(name, ['*']);
      continue;
    }
    filled++;
    names.push(name);
    // A value that already is an ARN of this type stands for the whole resource.
    const own = v.filter((s) => s.startsWith('arn:') && compiled.regex.test(s));
    if (own.length && compiled.variables.filter((n) => !GLOBAL_VARS.has(n)).length === 1) {
      return { arns: asText(name, own), filled, widened, names, missing: [], applicable: true };
    }
    const texts = v.map((s) => (s.startsWith('arn:') ? lastSegment(s) : s));
    const derived = Object.values(input.derived).includes(raw ?? null);
    values.set(name, RULE_LITERALS.has(v) ? texts : asText(name, texts, derived));
  }
  let arns = [''];
  let last = 0;
  for (const m of format.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)) {
    const literal = format.slice(last, m.index);
    const vs = values.get(m[1] ?? '') ?? ['*'];
    const next: string[] = [];
    for (const a of arns) for (const v of vs) if (next.length < MAX_ARNS) next.push(a + literal + v);
    arns = next;
    last = m.index + m[0].length;
  }
  const tail = format.slice(last);
  arns = arns.map((a) => (a + tail).replace(/\*+/g, '*'));
  return {
    arns,
    filled,
    widened,
    names,
    missing: missing.filter((n) => !GLOBAL_VARS.has(n) || n === 'Account'),
    applicable: true,
  };
}

function fillType(input: FillInput, type: SarResourceType): TypeFill {
  let best: TypeFill | null = null;
  for (const format of type.arns) {
    const f = fillFormat(input, format);
    if (!f.applicable) continue;
    if (!best || f.filled - f.missing.length > best.filled - best.missing.length) best = f;
  }
  return best ?? { arns: [], filled: 0, widened: [], names: [], missing: [], applicable: false };
}

/** The resource part of an ARN: what follows the account field. */
function resourcePart(arn: string): string {
  const parts = arn.split(':');
  return parts.slice(5).join(':');
}

/**
 * One resource nested under the other (`/keyspace/k/` and `/keyspace/k/table/t`, a table and
 * its index). Siblings of one kind stay both: a rule named on the `default` event bus is
 * `rule/r`, though the custom-bus format would also fill as `rule/default/r`.
 */
function sameKind(a: string, b: string): boolean {
  return b.startsWith(a);
}

function describe(action: SarAction, type: SarResourceType, fill: TypeFill): string[] {
  const what = `${action.prefix}:${action.name} on ${type.name}`;
  const out: string[] = [];
  if (fill.missing.length) out.push(`${what}: ${fill.missing.join(', ')} unknown, used *`);
  if (fill.widened.length) {
    out.push(`${what}: ${fill.widened.join(', ')} has control characters, each written as ?`);
  }
  return out;
}

/** An ARN the request names, as policy text. */
function explicitArn(action: SarAction, arn: string, approximate: string[]): string {
  const e = escapeArnValue(arn);
  if (e.widened)
    approximate.push(`${action.prefix}:${action.name}: ${e.text} has control characters, each written as ?`);
  return e.text;
}

export function fillResources(input: FillInput): Filled {
  const { action } = input;
  const refs = action.resourceTypes.filter((r) => !input.only || input.only.includes(r.name));
  if (refs.length === 0) return { resources: ['*'], approximate: [] };
  const byArn = new Map<string, string[]>();
  const approximate: string[] = [];
  for (const raw of input.arns) {
    const notes: string[] = [];
    const arn = explicitArn(action, raw, notes);
    const type = resourceTypeOfArn(action, arn);
    if (!type) continue;
    // An ARN the call names explicitly is used as is, even of a type outside `only`.
    if (!refs.some((r) => r.name === type.name)) {
      if (input.only) return { resources: [arn], approximate: notes };
      continue;
    }
    approximate.push(...notes);
    const list = byArn.get(type.name) ?? [];
    list.push(arn);
    byArn.set(type.name, list);
  }
  const out = new Set<string>();
  const wildcards: { type: SarResourceType; fill: TypeFill }[] = [];
  const filled: { type: SarResourceType; fill: TypeFill; required: boolean }[] = [];
  let any = false;
  for (const ref of refs) {
    const type = sarResourceType(action.prefix, ref.name);
    if (!type) continue;
    const explicit = byArn.get(type.name);
    if (explicit) {
      for (const a of explicit) out.add(a);
      any = true;
      continue;
    }
    const fill = fillType(input, type);
    if (!fill.applicable) continue;
    // Types a rule names are the resource the call acts on, required or not.
    if (fill.filled > 0) filled.push({ type, fill, required: ref.required });
    else if (ref.required || input.only) wildcards.push({ type, fill });
  }
  // A type only partly filled from what fills another type completely is a variant the call
  // did not use (a rule on a custom event bus when no bus was named, an index when none was).
  // Of two resources filled completely, one nested under the other, the one using strictly more
  // of what the call named is the one it acts on: a table rather than its keyspace, an index
  // rather than its table. Resources of other kinds stay: Glue authorizes a table on its catalog
  // and database too.
  const complete = filled.filter((f) => f.fill.missing.length === 0);
  const within = (a: TypeFill, b: TypeFill) => a.names.every((n) => b.names.includes(n));
  const variant = (a: TypeFill, b: TypeFill) =>
    a.arns.every((x) => b.arns.some((y) => sameKind(resourcePart(x), resourcePart(y))));
  for (const { type, fill, required } of filled) {
    // a type the reference marks required is always named
    if (!required && fill.missing.length && complete.some((c) => within(fill, c.fill))) continue;
    if (
      !required &&
      complete.some(
        (c) =>
          c.fill !== fill &&
          c.fill.names.length > fill.names.length &&
          within(fill, c.fill) &&
          variant(fill, c.fill),
      )
    )
      continue;
    for (const a of fill.arns) out.add(a);
    approximate.push(...describe(action, type, fill));
    any = true;
  }
  // Required types the call did not name are alternatives when it named a resource by ARN.
  for (const { type, fill } of byArn.size ? [] : wildcards) {
    for (const a of fill.arns) out.add(a);
    approximate.push(...describe(action, type, fill));
  }
  if (!any && wildcards.length === 0) return { resources: ['*'], approximate: [] };
  return { resources: [...out].sort(), approximate };
}
