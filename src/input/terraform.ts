/**
 * Identity policies from a Terraform file: `data "aws_iam_policy_document"` blocks, and the
 * `policy` of IAM policy resources written with `jsonencode(...)` or as JSON text. `var.*` with
 * defaults and `local.*` values are substituted; other references cannot be known from the file
 * and stay as `${...}`, which matches no request (each is reported).
 */
import type { ConditionBlock, PolicyDocument, Statement } from '../model/index.js';
import type { Parsed } from './calls-log.js';
import { type Block, type Body, type Expr, HclError, MAX_DEPTH, parseHcl, TOO_DEEP } from './hcl.js';
import { ownValue, policiesFromJson, setOwn } from './policy-json.js';

export interface LoadedPolicies {
  documents: PolicyDocument[];
  /** Where each document came from (`data.aws_iam_policy_document.app`). */
  labels: string[];
  /** What could not be read exactly: unresolved references, skipped blocks. */
  notes: string[];
}

/** Resources whose `policy` is an identity policy. */
const IDENTITY_RESOURCES = new Set([
  'aws_iam_policy',
  'aws_iam_role_policy',
  'aws_iam_user_policy',
  'aws_iam_group_policy',
]);

/** References followed deeper than `MAX_DEPTH` (`local.a = [local.b]`, `local.b = [local.c]`...). */
class TooDeep extends Error {
  constructor(readonly where: string) {
    super(`${where}: ${TOO_DEEP}`);
  }
}

class Scope {
  readonly notes = new Set<string>();
  /** The references being expanded: one met again refers to itself. */
  private readonly expanding = new Set<string>();
  private depth = 0;
  constructor(
    readonly vars: Map<string, Expr>,
    readonly locals: Map<string, Expr>,
  ) {}

  /** Expands a reference's value one level deeper, or says it refers to itself. */
  private expand<T>(ref: string, where: string, value: () => T, cycle: T): T {
    if (this.expanding.has(ref)) {
      this.notes.add(`${where}: ${ref} refers to itself; it matches nothing`);
      return cycle;
    }
    if (++this.depth > MAX_DEPTH) throw new TooDeep(where);
    this.expanding.add(ref);
    try {
      return value();
    } finally {
      this.expanding.delete(ref);
      this.depth--;
    }
  }

  /** A string with known references substituted; unknown ones stay as `${ref}`. */
  text(e: Expr, where: string): string | null {
    if (e.kind === 'string') {
      return e.parts
        .map((p) => {
          if (typeof p === 'string') return p;
          const known = this.lookup(p.interp, where);
          if (known !== null) return known;
          this.notes.add(`${where}: \${${p.interp}} is not known from the file; it matches nothing`);
          return `\${${p.interp}}`;
        })
        .join('');
    }
    if (e.kind === 'number') return String(e.value);
    if (e.kind === 'bool') return String(e.value);
    if (e.kind === 'ref') {
      const known = this.lookup(e.text, where);
      if (known !== null) return known;
      this.notes.add(`${where}: ${e.text} is not known from the file; it matches nothing`);
      return `\${${e.text}}`;
    }
    return null;
  }

  private lookup(ref: string, where: string): string | null {
    const m = /^(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)$/.exec(ref.trim());
    if (!m) return null;
    const e = (m[1] === 'var' ? this.vars : this.locals).get(m[2] ?? '');
    if (!e || e.kind === 'ref') return null;
    const name = `${m[1]}.${m[2]}`;
    return this.expand(name, where, () => this.text(e, where), `\${${name}}`);
  }

  /** A JSON value (for jsonencode), or undefined when the expression is not a value. */
  json(e: Expr, where: string): unknown {
    switch (e.kind) {
      case 'list':
        return e.items.map((x) => this.json(x, where));
      case 'object':
        return Object.fromEntries(e.entries.map(([k, v]) => [k, this.json(v, where)]));
      case 'null':
        return null;
      case 'number':
      case 'bool':
        return e.value;
      case 'call':
        if (e.name === 'concat') return e.args.flatMap((a) => this.json(a, where) as unknown[]);
        this.notes.add(`${where}: ${e.name}(...) is not evaluated; it matches nothing`);
        return `\${${e.name}(...)}`;
      case 'opaque':
        this.notes.add(`${where}: '${e.text}' is not evaluated; it matches nothing`);
        return `\${${e.text}}`;
      default: {
        if (e.kind === 'ref') {
          const m = /^(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)$/.exec(e.text);
          const target = m ? (m[1] === 'var' ? this.vars : this.locals).get(m[2] ?? '') : undefined;
          if (target && target.kind !== 'ref')
            return this.expand(e.text, where, () => this.json(target, where), `\${${e.text}}`);
        }
        return this.text(e, where);
      }
    }
  }

  strings(e: Expr | undefined, where: string): string[] {
    if (e === undefined) return [];
    const v = this.json(e, where);
    return (Array.isArray(v) ? v : [v]).map((x) => String(x).replace(/&\{/g, '${'));
  }
}

function documentFromData(block: Block, scope: Scope, where: string): PolicyDocument | null {
  const statements: Statement[] = [];
  for (const b of block.body.blocks) {
    if (b.type === 'dynamic') scope.notes.add(`${where}: a dynamic block is not expanded`);
    if (b.type !== 'statement') continue;
    const body = b.body;
    if (body.blocks.some((x) => x.type === 'principals' || x.type === 'not_principals')) return null;
    const attr = (n: string) => body.attributes.get(n);
    const effect = attr('effect') ? scope.text(attr('effect') as Expr, where) : 'Allow';
    const st: Statement = { Effect: effect === 'Deny' ? 'Deny' : 'Allow' };
    const sid = attr('sid') ? scope.text(attr('sid') as Expr, where) : null;
    if (sid) st.Sid = sid;
    const set = (field: 'Action' | 'NotAction' | 'Resource' | 'NotResource', name: string) => {
      if (attr(name) !== undefined) st[field] = scope.strings(attr(name), where);
    };
    set('Action', 'actions');
    set('NotAction', 'not_actions');
    set('Resource', 'resources');
    set('NotResource', 'not_resources');
    // The provider's default when neither is given.
    if (st.Resource === undefined && st.NotResource === undefined) st.Resource = '*';
    for (const c of body.blocks.filter((x) => x.type === 'condition')) {
      const test = scope.text(c.body.attributes.get('test') ?? { kind: 'null' }, where);
      const variable = scope.text(c.body.attributes.get('variable') ?? { kind: 'null' }, where);
      if (!test || !variable) continue;
      // the file names the keys: `__proto__` or `constructor` is an operator like any other
      const block: ConditionBlock = st.Condition ?? {};
      const keys = ownValue(block, test) ?? {};
      setOwn(block, test, keys);
      const values = scope.strings(c.body.attributes.get('values'), where);
      setOwn(keys, variable, [...(ownValue(keys, variable) ?? []), ...values]);
      st.Condition = block;
    }
    statements.push(st);
  }
  return { Version: '2012-10-17', Statement: statements };
}

function policyAttribute(e: Expr, scope: Scope, where: string): Parsed<PolicyDocument[]> | null {
  if (e.kind === 'call' && e.name === 'jsonencode' && e.args[0]) {
    return policiesFromJson(scope.json(e.args[0], where), where);
  }
  if (e.kind === 'string') {
    const text = scope.text(e, where) ?? '';
    try {
      return policiesFromJson(JSON.parse(text), where);
    } catch {
      return { ok: false, error: `${where}: the policy text is not JSON` };
    }
  }
  if (e.kind === 'ref' && /^data\.aws_iam_policy_document\./.test(e.text)) return null;
  scope.notes.add(`${where}: the policy is not written in the file (${e.kind}); skipped`);
  return null;
}

function collect(body: Body, into: Map<string, Expr>, type: string): void {
  for (const b of body.blocks) {
    if (type === 'locals' && b.type === 'locals') for (const [k, v] of b.body.attributes) into.set(k, v);
    if (type === 'variable' && b.type === 'variable' && b.labels[0]) {
      const d = b.body.attributes.get('default');
      if (d) into.set(b.labels[0], d);
    }
  }
}

/** The identity policies of a Terraform file. */
export function policiesFromTerraform(text: string, name: string): Parsed<LoadedPolicies> {
  let body: Body;
  try {
    body = parseHcl(text);
  } catch (err) {
    if (err instanceof HclError) return { ok: false, error: `${name}: ${err.message}` };
    throw err;
  }
  const vars = new Map<string, Expr>();
  const locals = new Map<string, Expr>();
  collect(body, vars, 'variable');
  collect(body, locals, 'locals');
  const scope = new Scope(vars, locals);
  try {
    return readPolicies(body, scope, name);
  } catch (err) {
    if (err instanceof TooDeep) return { ok: false, error: err.message };
    throw err;
  }
}

function readPolicies(body: Body, scope: Scope, name: string): Parsed<LoadedPolicies> {
  const out: LoadedPolicies = { documents: [], labels: [], notes: [] };
  for (const b of body.blocks) {
    const label = `${b.type === 'data' ? 'data.' : ''}${b.labels.join('.')}`;
    const where = `${name}:${b.line} ${label}`;
    if (b.type === 'data' && b.labels[0] === 'aws_iam_policy_document') {
      const doc = documentFromData(b, scope, where);
      if (doc) {
        out.documents.push(doc);
        out.labels.push(label);
      } else out.notes.push(`${where}: names principals (a trust or resource policy); skipped`);
      continue;
    }
    if (b.type !== 'resource') continue;
    const policies: [Expr, string][] = [];
    if (IDENTITY_RESOURCES.has(b.labels[0] ?? '')) {
      const p = b.body.attributes.get('policy');
      if (p) policies.push([p, label]);
    }
    if (b.labels[0] === 'aws_iam_role') {
      for (const inline of b.body.blocks.filter((x) => x.type === 'inline_policy')) {
        const p = inline.body.attributes.get('policy');
        if (p) policies.push([p, `${label}.inline_policy`]);
      }
    }
    for (const [expr, l] of policies) {
      const parsed = policyAttribute(expr, scope, `${name}:${b.line} ${l}`);
      if (parsed === null) continue;
      if (!parsed.ok) return parsed;
      for (const d of parsed.value) {
        out.documents.push(d);
        out.labels.push(l);
      }
    }
  }
  out.notes.push(...scope.notes);
  if (out.documents.length === 0) {
    return {
      ok: false,
      error: `${name}: no identity policy found (looked for data "aws_iam_policy_document" blocks and the policy of aws_iam_policy, aws_iam_role_policy and inline_policy)`,
    };
  }
  return { ok: true, value: out };
}
