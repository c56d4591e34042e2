/**
 * Policy documents from JSON values: a document, a list of documents, or the answers of
 * `aws iam get-policy-version` / `get-role-policy` (whose document may be URL-encoded). Checks
 * the shape once and returns documents the evaluator can trust.
 */
import type { ConditionBlock, PolicyDocument, Statement } from '../model/index.js';
import type { Parsed } from './calls-log.js';

/** Sets an own property whatever the key (`__proto__` included), never the prototype. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** An own property's value; never one inherited from Object.prototype. */
export const ownValue = <T>(obj: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(obj, key) ? obj[key] : undefined;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringOrList(v: unknown, what: string): Parsed<string | string[]> {
  if (typeof v === 'string') return { ok: true, value: v };
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { ok: true, value: v as string[] };
  return { ok: false, error: `${what} must be a string or a list of strings` };
}

function condition(v: unknown, where: string): Parsed<ConditionBlock> {
  if (!isObj(v)) return { ok: false, error: `${where}: Condition must be an object` };
  const block: ConditionBlock = {};
  for (const [op, keys] of Object.entries(v)) {
    if (!isObj(keys)) return { ok: false, error: `${where}: Condition.${op} must be an object` };
    const inner: Record<string, string[]> = {};
    for (const [key, values] of Object.entries(keys)) {
      const list = Array.isArray(values) ? values : [values];
      if (!list.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) {
        return {
          ok: false,
          error: `${where}: Condition.${op}.${key} must hold strings, numbers or booleans`,
        };
      }
      setOwn(inner, key, list.map(String));
    }
    setOwn(block, op, inner);
  }
  return { ok: true, value: block };
}

function statement(v: unknown, where: string): Parsed<Statement> {
  if (!isObj(v)) return { ok: false, error: `${where} must be an object` };
  if (v.Effect !== 'Allow' && v.Effect !== 'Deny') {
    return { ok: false, error: `${where}: Effect must be Allow or Deny` };
  }
  const st: Statement = { Effect: v.Effect };
  if (v.Sid !== undefined) {
    if (typeof v.Sid !== 'string') return { ok: false, error: `${where}: Sid must be a string` };
    st.Sid = v.Sid;
  }
  const where2 = st.Sid ? `${where} (${st.Sid})` : where;
  for (const [field, other] of [
    ['Action', 'NotAction'],
    ['Resource', 'NotResource'],
  ] as const) {
    const has = v[field] !== undefined;
    const hasNot = v[other] !== undefined;
    if (has === hasNot) {
      return { ok: false, error: `${where2}: needs exactly one of ${field} and ${other}` };
    }
    const name = has ? field : other;
    const value = stringOrList(v[name], `${where2}: ${name}`);
    if (!value.ok) return value;
    st[name] = value.value;
  }
  if (v.Condition !== undefined) {
    const c = condition(v.Condition, where2);
    if (!c.ok) return c;
    st.Condition = c.value;
  }
  return { ok: true, value: st };
}

/** One policy document, checked. `where` names it in errors. */
export function policyDocument(v: unknown, where: string): Parsed<PolicyDocument> {
  if (typeof v === 'string') {
    // IAM API answers hold the document URL-encoded.
    try {
      return policyDocument(JSON.parse(v.trim().startsWith('{') ? v : decodeURIComponent(v)), where);
    } catch {
      return { ok: false, error: `${where}: the policy text is not JSON` };
    }
  }
  if (!isObj(v)) return { ok: false, error: `${where} is not a policy document (a JSON object)` };
  if (v.Statement === undefined) return { ok: false, error: `${where} has no Statement` };
  const list = Array.isArray(v.Statement) ? v.Statement : [v.Statement];
  const statements: Statement[] = [];
  for (let i = 0; i < list.length; i++) {
    const st = statement(list[i], `${where}, statement ${i + 1}`);
    if (!st.ok) return st;
    statements.push(st.value);
  }
  // Older versions are kept as written: they have no policy variables.
  const version = (typeof v.Version === 'string' ? v.Version : '2008-10-17') as PolicyDocument['Version'];
  return { ok: true, value: { Version: version, Statement: statements } };
}

/** Documents from any of the JSON shapes a policy is kept in. */
export function policiesFromJson(v: unknown, where: string): Parsed<PolicyDocument[]> {
  if (Array.isArray(v)) {
    const out: PolicyDocument[] = [];
    for (let i = 0; i < v.length; i++) {
      const d = policyDocument(v[i], `${where}[${i}]`);
      if (!d.ok) return d;
      out.push(d.value);
    }
    return { ok: true, value: out };
  }
  if (isObj(v)) {
    if (isObj(v.PolicyVersion) && v.PolicyVersion.Document !== undefined) {
      return wrap(policyDocument(v.PolicyVersion.Document, where));
    }
    if (v.PolicyDocument !== undefined) return wrap(policyDocument(v.PolicyDocument, where));
  }
  return wrap(policyDocument(v, where));
}

function wrap(d: Parsed<PolicyDocument>): Parsed<PolicyDocument[]> {
  return d.ok ? { ok: true, value: [d.value] } : d;
}
