/**
 * Authorize: the IAM permissions an AWS operation needs. Pure: reads the Service Authorization
 * Reference and the curated rules through the catalog, nothing else.
 *
 * By default an operation needs the action of the same name in its service's IAM prefix; the
 * curated rules rename actions, add dependent actions (with the conditions that held), mark
 * operations that need no permission, and point at strategies for the rest.
 */
import { memberFacts } from '../../../catalog/api-index.js';
import { type ActionSpec, operationRule, serviceRule, serviceWideRules } from '../../../catalog/rules.js';
import {
  type SarAction,
  sarAction,
  sarActionByQualifiedName,
  sarPrefixForService,
} from '../../../catalog/sar.js';
import { type AuthorizedAction, authorizedActions } from '../../../catalog/service-reference.js';
import type { ConditionBlock, Operation, Requirement } from '../../../model/index.js';
import { dependents } from './dependent.js';
import { type Derived, derive } from './derive.js';
import { HANDLERS, type ScopedSpec } from './handlers.js';
import { arnParams, eachScopes, present, readPath, type Scope, strings } from './params.js';
import { fillResources } from './resources.js';

export { partiqlTarget } from './handlers.js';

/** The IAM prefix for an operation's service, or null when the reference has none. */
export function iamPrefix(service: string): string | null {
  return serviceRule(service)?.prefix ?? sarPrefixForService(service);
}

interface Context {
  op: Operation;
  prefix: string;
  derived: Map<string, Derived>;
  aliases: Record<string, string> | undefined;
  arns: string[];
}

function derivedFor(ctx: Context, prefix: string): Derived {
  let d = ctx.derived.get(prefix);
  if (!d) {
    d = prefix === ctx.prefix ? derive(prefix, ctx.op) : {};
    ctx.derived.set(prefix, d);
  }
  return d;
}

const TEMPLATE = /\$\{([^}]+)\}/g;

/** Condition values with `${...}` filled; null when a value's parameter is absent. */
function fillValue(ctx: Context, scope: Scope, value: string): string[] | null {
  const names = [...value.matchAll(TEMPLATE)].map((m) => m[1] ?? '');
  if (names.length === 0) return [value];
  if (names.length === 1 && value === `\${${names[0]}}`) {
    const v = builtin(ctx, names[0] ?? '') ?? strings(readPath(scope, names[0] ?? ''));
    const list = typeof v === 'string' ? [v] : v;
    return list.length ? list : null;
  }
  let missing = false;
  const out = value.replace(TEMPLATE, (_, name: string) => {
    const v = builtin(ctx, name) ?? strings(readPath(scope, name))[0];
    if (v === undefined) missing = true;
    return v ?? '';
  });
  return missing ? null : [out];
}

function builtin(ctx: Context, name: string): string | undefined {
  switch (name) {
    case 'Region':
      return ctx.op.region;
    case 'Partition':
      return ctx.op.partition;
    case 'Account':
      return ctx.op.account ?? undefined;
    case 'Operation':
      return ctx.op.operation;
    default:
      return undefined;
  }
}

function conditionsFor(ctx: Context, scope: Scope, block: ConditionBlock | undefined): ConditionBlock | null {
  if (!block) return null;
  const out: ConditionBlock = {};
  for (const [operator, keys] of Object.entries(block)) {
    for (const [key, values] of Object.entries(keys)) {
      const filled = new Set<string>();
      let ok = true;
      for (const v of values) {
        const f = fillValue(ctx, scope, v);
        if (!f) ok = false;
        else for (const x of f) filled.add(x);
      }
      if (!ok || filled.size === 0) continue;
      out[operator] ??= {};
      (out[operator] as Record<string, string[]>)[key] = [...filled].sort();
    }
  }
  return Object.keys(out).length ? out : null;
}

function lookup(ctx: Context, scope: Scope, path: string): unknown {
  return path.startsWith('$') ? derivedFor(ctx, ctx.prefix)[path.slice(1)] : readPath(scope, path);
}

function applies(ctx: Context, scope: Scope, spec: ActionSpec): boolean {
  for (const p of spec.if ?? []) if (!present(lookup(ctx, scope, p))) return false;
  for (const p of spec.unless ?? []) if (present(lookup(ctx, scope, p))) return false;
  for (const [p, values] of Object.entries(spec.except ?? {})) {
    const v = lookup(ctx, scope, p);
    if (typeof v === 'string' && values.includes(v)) return false;
  }
  return true;
}

function resolveSpec(
  ctx: Context,
  spec: ActionSpec,
  scope: Scope,
  generic: boolean,
  out: Requirement[],
): boolean {
  const scopes = spec.each ? eachScopes(scope, spec.each) : [scope];
  for (const s of scopes) {
    if (!applies(ctx, s, spec)) continue;
    const action = sarActionByQualifiedName(spec.action);
    if (!action)
      throw new Error(`curated rule names ${spec.action}, which the Service Authorization Reference lacks`);
    // The operation's own actions (generic) read its parameters as the operation's service names
    // them, whatever the action's prefix (s3 CreateSession → s3express:CreateSession on the bucket).
    const explicit = spec.arn ? strings(readPath(s, spec.arn)).filter((a) => a.startsWith('arn:')) : [];
    const filled = fillResources({
      op: ctx.op,
      action,
      scope: s,
      derived: derivedFor(ctx, generic ? ctx.prefix : action.prefix),
      bind: spec.bind,
      aliases: generic || action.prefix === ctx.prefix ? ctx.aliases : serviceRule(action.prefix)?.aliases,
      arns: spec.arn || !generic ? explicit : ctx.arns,
      generic,
      only: spec.resourceTypes,
    });
    const req: Requirement = {
      action: `${action.prefix}:${action.name}`,
      resources: filled.resources,
      conditions: conditionsFor(ctx, s, spec.conditions),
      why: spec.why
        ? `${ctx.op.service}:${ctx.op.operation} (${spec.why})`
        : `${ctx.op.service}:${ctx.op.operation}`,
      region: ctx.op.region,
    };
    if (filled.approximate.length) req.approximate = filled.approximate.join('; ');
    out.push(req);
  }
  return true;
}

/** Requirements with the same action, conditions and reason become one, resources united. */
function mergeRequirements(list: Requirement[]): Requirement[] {
  const byKey = new Map<string, Requirement>();
  for (const r of list) {
    const key = `${r.action}\u0000${JSON.stringify(r.conditions)}\u0000${r.why}`;
    const prev = byKey.get(key);
    if (!prev) {
      byKey.set(key, { ...r, resources: [...r.resources] });
      continue;
    }
    prev.resources = [...new Set([...prev.resources, ...r.resources])].sort();
    if (r.approximate && prev.approximate !== r.approximate) {
      prev.approximate = prev.approximate ? `${prev.approximate}; ${r.approximate}` : r.approximate;
    }
    if (r.note && prev.note !== r.note) prev.note = prev.note ? `${prev.note}; ${r.note}` : r.note;
  }
  for (const r of byKey.values()) if (r.resources.includes('*')) r.resources = ['*'];
  return [...byKey.values()];
}

const MEMO_LIMIT = 20_000;
const memo = new Map<string, readonly Requirement[] | null>();

/**
 * The permissions an operation needs. Null when the operation has no known mapping;
 * an empty list when it needs no permission at all. The requirements are frozen: a recorded
 * run repeats the same calls many times, and equal operations share their answer.
 */
export function authorizeAws(op: Operation): Requirement[] | null {
  const key = `${op.service}\u0000${op.operation}\u0000${op.region}\u0000${op.partition}\u0000${op.account}\u0000${JSON.stringify(op.params)}`;
  let hit = memo.get(key);
  if (hit === undefined) {
    const fresh = authorizeUncached(op);
    hit =
      fresh === null
        ? null
        : Object.freeze(
            fresh.map((r) => Object.freeze({ ...r, resources: Object.freeze(r.resources) as string[] })),
          );
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(key, hit);
  }
  return hit === null ? null : [...hit];
}

/**
 * The actions AWS's table lists as the operation's own: without the dependent ones (PassRole,
 * tagging, KMS), which apply only when the request sends what they depend on. When the table
 * lists the same-named action, that is the operation's action and the rest are actions it may
 * authorize in some cases; otherwise the operation is authorized by the actions listed.
 */
function primaryActions(
  prefix: string,
  operation: string,
  table: readonly AuthorizedAction[] | null,
): string[] {
  const same = sarAction(prefix, operation);
  const own = same ? [`${prefix}:${same.name}`] : [];
  // When AWS lists the action of the operation's own name, that is its action and the others it
  // lists apply only in some cases.
  if (!table || table.some((a) => a.action.toLowerCase() === `${prefix}:${operation}`.toLowerCase()))
    return own;
  // Otherwise AWS's list is what the operation is authorized by (Glue column statistics by
  // GetTable, a point-in-time restore by the item actions on the new table), with the action of
  // its own name when the reference has one.
  const listed = table.filter(
    (a) =>
      a.action !== 'iam:PassRole' &&
      (prefix === 'kms' || !a.action.startsWith('kms:')) &&
      !(a.action.startsWith(`${prefix}:`) && sarActionByQualifiedName(a.action)?.access === 'Tagging'),
  );
  if (!listed.length && own.length) return own;
  const list = (listed.length ? listed : table.filter((a) => a.action !== 'iam:PassRole')).map(
    (a) => a.action,
  );
  // An operation authorized by another operation's action also inherits the actions AWS lists
  // for that operation only in some cases (ListImageReferrers is ecr:BatchGetImage, and like
  // BatchGetImage it needs CreateRepository only for pull-through caches): leave those out.
  const conditional = new Set<string>();
  for (const action of list) {
    const [p, name] = action.split(':');
    if (p !== prefix || !name) continue;
    const its = authorizedActions(prefix, name);
    if (its?.some((a) => a.action === action))
      for (const a of its) if (a.action !== action) conditional.add(a.action);
  }
  const kept = list.filter((a) => !conditional.has(a));
  return [...new Set([...own, ...(kept.length ? kept : list)])];
}

function authorizeUncached(op: Operation): Requirement[] | null {
  const prefix = iamPrefix(op.service);
  if (!prefix) return null;
  const rule = operationRule(op.service, op.operation);
  if (rule?.permissionless) return [];
  if (rule?.unmapped) return null;
  const handlerName = rule ? rule.handler : serviceRule(op.service)?.handler;
  const ctx: Context = {
    op,
    prefix,
    derived: new Map(),
    aliases: serviceRule(op.service)?.aliases,
    arns: arnParams(op.params),
  };
  const scope: Scope = { params: op.params };
  const out: Requirement[] = [];
  const handled: ScopedSpec[] = [];
  if (handlerName) {
    const handler = HANDLERS[handlerName];
    if (!handler)
      throw new Error(`curated rule for ${op.service}:${op.operation} names unknown handler ${handlerName}`);
    const result = handler(op);
    for (const d of result.direct) out.push({ ...d, region: op.region });
    handled.push(...result.specs);
    if (result.direct.length === 0 && result.specs.length === 0 && !rule?.actions) return null;
  }
  const table = authorizedActions(prefix, op.operation);
  let primary: SarAction | null = sarAction(prefix, op.operation);
  if (rule?.actions) {
    for (const spec of rule.actions) resolveSpec(ctx, spec, scope, true, out);
  } else if (!handlerName) {
    const actions = primaryActions(prefix, op.operation, table);
    if (!actions.length) return null;
    primary = sarActionByQualifiedName(actions[0] ?? '') ?? primary;
    for (const action of actions) resolveSpec(ctx, { action }, scope, true, out);
  }
  for (const { spec, scope: s } of handled) resolveSpec(ctx, spec, { ...s, params: s.params }, false, out);
  for (const spec of rule?.also ?? []) resolveSpec(ctx, spec, scope, false, out);
  for (const wide of serviceWideRules(op.service)) {
    if (wide.handler) {
      const handler = HANDLERS[wide.handler];
      if (!handler) throw new Error(`curated rule ${op.service}:* names unknown handler ${wide.handler}`);
      for (const { spec, scope: s } of handler(op).specs) resolveSpec(ctx, spec, s, false, out);
    }
    for (const spec of wide.also ?? []) resolveSpec(ctx, spec, scope, false, out);
  }
  const extra = dependents({
    op,
    prefix,
    facts: memberFacts(op.service, op.operation),
    table,
    service: serviceRule(op.service),
    have: new Set(out.map((r) => r.action)),
    primary,
  });
  for (const { spec, scope: s } of extra.specs) {
    resolveSpec(ctx, spec, s, spec.action.startsWith(`${prefix}:`), out);
  }
  const first = out[0];
  if (first && extra.notes.length) first.note = [first.note, ...extra.notes].filter(Boolean).join('; ');
  return mergeRequirements(out);
}
