/**
 * Identity policies from a CloudFormation template (JSON or YAML, short-form tags included):
 * `AWS::IAM::ManagedPolicy` and `AWS::IAM::Policy`, the `Policies` of roles, users and groups,
 * and the Role/User/GroupPolicy resources. `Fn::Sub`, `Fn::Join` and `Ref` are resolved when
 * their values are known (pseudo parameters, parameter defaults); the rest stay as `${...}` and
 * match no request (each is reported).
 */
import { type CollectionTag, isMap, isSeq, parse as parseYaml, type ScalarTag } from 'yaml';
import type { PolicyDocument } from '../model/index.js';
import type { Parsed } from './calls-log.js';
import { policyDocument } from './policy-json.js';
import type { LoadedPolicies } from './terraform.js';

export interface TemplateContext {
  accountId?: string | null;
  region?: string | null;
  partition?: string;
}

const SHORT_TAGS = [
  'Ref',
  'Sub',
  'Join',
  'GetAtt',
  'If',
  'Select',
  'Split',
  'FindInMap',
  'ImportValue',
  'Base64',
  'Cidr',
  'GetAZs',
  'Equals',
  'Not',
  'And',
  'Or',
  'Condition',
  'Transform',
];

/** `!Sub x` -> `{ "Fn::Sub": x }`, for scalars, sequences and maps. */
function customTags(): (ScalarTag | CollectionTag)[] {
  const tags: (ScalarTag | CollectionTag)[] = [];
  for (const name of SHORT_TAGS) {
    const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
    const wrap = (value: unknown) => ({
      [key]: name === 'GetAtt' && typeof value === 'string' ? value.split('.') : value,
    });
    tags.push({ tag: `!${name}`, resolve: (s: string) => wrap(s) } as ScalarTag);
    tags.push({
      tag: `!${name}`,
      collection: 'seq',
      resolve: (v) => wrap(isSeq(v) ? v.toJSON() : v),
    } as CollectionTag);
    tags.push({
      tag: `!${name}`,
      collection: 'map',
      resolve: (v) => wrap(isMap(v) ? v.toJSON() : v),
    } as CollectionTag);
  }
  return tags;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How deep a template's values may nest; deeper is refused instead of exhausting the stack. */
const MAX_DEPTH = 64;

class TooDeep extends Error {}

class Resolver {
  readonly notes = new Set<string>();
  private depth = 0;
  constructor(
    private readonly params: Map<string, unknown>,
    private readonly ctx: TemplateContext,
  ) {}

  private pseudo(name: string): string | null {
    switch (name) {
      case 'AWS::Partition':
        return this.ctx.partition ?? 'aws';
      case 'AWS::AccountId':
        return this.ctx.accountId ?? null;
      case 'AWS::Region':
        return this.ctx.region ?? null;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      default: {
        const p = this.params.get(name);
        return typeof p === 'string' || typeof p === 'number' ? String(p) : null;
      }
    }
  }

  private unknown(text: string, where: string): string {
    this.notes.add(`${where}: ${text} is not known from the template; it matches nothing`);
    return `\${${text}}`;
  }

  /** Intrinsic functions resolved as far as the template allows. Throws TooDeep. */
  value(v: unknown, where: string): unknown {
    if (typeof v !== 'object' || v === null) return v;
    if (++this.depth > MAX_DEPTH) throw new TooDeep();
    try {
      return this.valueAt(v, where);
    } finally {
      this.depth--;
    }
  }

  private valueAt(v: object, where: string): unknown {
    if (Array.isArray(v)) return v.map((x) => this.value(x, where));
    if (!isObj(v)) return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const arg = v[k];
      if (k === 'Ref' && typeof arg === 'string') return this.pseudo(arg) ?? this.unknown(arg, where);
      if (k === 'Fn::Sub') return this.sub(arg, where);
      if (k === 'Fn::Join' && Array.isArray(arg)) {
        const [sep, list] = arg as [unknown, unknown];
        const items = this.value(list, where);
        if (typeof sep === 'string' && Array.isArray(items)) return items.map(String).join(sep);
      }
      if (k === 'Fn::GetAtt') {
        return this.unknown(Array.isArray(arg) ? arg.join('.') : String(arg), where);
      }
      if (k.startsWith('Fn::')) return this.unknown(k, where);
    }
    return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, this.value(x, where)]));
  }

  private sub(arg: unknown, where: string): string {
    const [template, vars] = Array.isArray(arg) ? (arg as [unknown, unknown]) : [arg, {}];
    if (typeof template !== 'string') return this.unknown('Fn::Sub', where);
    const local = isObj(vars) ? vars : {};
    // `${!Literal}` is the literal `${Literal}` (how a template writes IAM policy variables).
    return template.replace(/\$\{(!?)([^}]*)\}/g, (_m, bang: string, name: string) => {
      if (bang) return `\${${name}}`;
      if (Object.hasOwn(local, name)) return String(this.value(local[name], where));
      if (name.includes('.')) return this.unknown(name, where);
      return this.pseudo(name) ?? this.unknown(name, where);
    });
  }
}

/** Where each resource type keeps its identity policies. */
function documentsOf(type: string, props: Obj): unknown[] {
  switch (type) {
    case 'AWS::IAM::ManagedPolicy':
    case 'AWS::IAM::Policy':
    case 'AWS::IAM::RolePolicy':
    case 'AWS::IAM::UserPolicy':
    case 'AWS::IAM::GroupPolicy':
      return props.PolicyDocument === undefined ? [] : [props.PolicyDocument];
    case 'AWS::IAM::Role':
    case 'AWS::IAM::User':
    case 'AWS::IAM::Group':
      return Array.isArray(props.Policies) ? props.Policies.filter(isObj).map((p) => p.PolicyDocument) : [];
    default:
      return [];
  }
}

/** Parses template text: JSON when it starts with `{`, YAML otherwise. */
export function parseTemplate(text: string, name: string): Parsed<unknown> {
  try {
    if (text.trimStart().startsWith('{')) return { ok: true, value: JSON.parse(text) };
    return { ok: true, value: parseYaml(text, { customTags: customTags(), version: '1.1' }) };
  } catch (err) {
    return { ok: false, error: `${name}: not valid JSON or YAML (${(err as Error).message.split('\n')[0]})` };
  }
}

export function isTemplate(v: unknown): boolean {
  return isObj(v) && isObj(v.Resources);
}

/** The identity policies of a parsed template. */
export function policiesFromTemplate(
  template: unknown,
  name: string,
  ctx: TemplateContext = {},
): Parsed<LoadedPolicies> {
  if (!isObj(template) || !isObj(template.Resources)) {
    return { ok: false, error: `${name}: not a CloudFormation template (no Resources)` };
  }
  const params = new Map<string, unknown>();
  if (isObj(template.Parameters)) {
    for (const [k, p] of Object.entries(template.Parameters)) if (isObj(p)) params.set(k, p.Default);
  }
  const resolver = new Resolver(params, ctx);
  const out: LoadedPolicies = { documents: [], labels: [], notes: [] };
  for (const [id, r] of Object.entries(template.Resources)) {
    if (!isObj(r) || typeof r.Type !== 'string' || !isObj(r.Properties)) continue;
    const raw = documentsOf(r.Type, r.Properties);
    for (let i = 0; i < raw.length; i++) {
      const label = raw.length > 1 ? `${id}.Policies[${i}]` : id;
      let value: unknown;
      try {
        value = resolver.value(raw[i], `${name} ${label}`);
      } catch (err) {
        if (!(err instanceof TooDeep)) throw err;
        return {
          ok: false,
          error: `${name} ${label}: nested deeper than ${MAX_DEPTH} levels; simplify the template`,
        };
      }
      const doc = policyDocument(value, `${name} ${label}`);
      if (!doc.ok) return doc;
      out.documents.push(doc.value as PolicyDocument);
      out.labels.push(label);
    }
  }
  out.notes.push(...resolver.notes);
  if (out.documents.length === 0) {
    return {
      ok: false,
      error: `${name}: the template has no IAM identity policy (ManagedPolicy, Policy, or a role's Policies)`,
    };
  }
  return { ok: true, value: out };
}
