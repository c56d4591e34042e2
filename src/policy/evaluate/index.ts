/**
 * Evaluation of identity policies: does a set of policy documents allow one action on one
 * resource in a request context? An explicit Deny wins, then any Allow; otherwise the request
 * is implicitly denied. Pure: no I/O, no clock.
 */
import type { PolicyDocument, Statement } from '../../model/index.js';
import { conditionsHold } from './conditions.js';
import { Context, type ContextValue } from './context.js';
import { substitute } from './variables.js';
import { arnMatch, globMatch, plain } from './wildcard.js';

export { parseOperator } from './conditions.js';
export { Context, type ContextValue } from './context.js';
export { ipInRange } from './ip.js';
export { arnMatch, globMatch, plain } from './wildcard.js';

export interface EvalRequest {
  /** `service:Action`. */
  action: string;
  /** The resource ARN, or `*` for actions without resource-level permissions. */
  resource: string;
  /** Condition keys of the request (`aws:RequestedRegion`, `iam:PassedToService`...). */
  context?: Record<string, ContextValue> | Context;
}

export type Decision = 'allowed' | 'explicit-deny' | 'implicit-deny';

/** A statement that applied, and which of its Action and Resource entries matched. */
export interface StatementHit {
  document: number;
  statement: number;
  sid: string | null;
  /** Indexes into the statement's Action list (empty for NotAction). */
  actions: number[];
  /** Indexes into the statement's Resource list (empty for NotResource). */
  resources: number[];
}

export interface Evaluation {
  decision: Decision;
  allowedBy: StatementHit[];
  deniedBy: StatementHit[];
}

export const asList = (v: string | readonly string[] | undefined): string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : [...v];

/** Whether an Action entry (`s3:Get*`, `*`) names the action; case-insensitive. */
export function actionMatches(entry: string, action: string): boolean {
  if (entry === '*') return true;
  const i = entry.indexOf(':');
  const j = action.indexOf(':');
  if (i <= 0 || j <= 0) return false;
  if (entry.slice(0, i).toLowerCase() !== action.slice(0, j).toLowerCase()) return false;
  return globMatch(plain(entry.slice(i + 1)), action.slice(j + 1), true);
}

/** Whether a Resource entry names the resource; `${...}` variables come from the context. */
export function resourceMatches(entry: string, resource: string, ctx: Context, variables: boolean): boolean {
  if (entry === '*') return true;
  const pattern = substitute(entry, ctx, variables);
  if (pattern === null) return false;
  if (entry.startsWith('arn:')) return arnMatch(pattern, resource);
  return globMatch(pattern, resource);
}

/** Policy variables exist only in version 2012-10-17. */
export function hasVariables(doc: PolicyDocument): boolean {
  return String(doc.Version) === '2012-10-17';
}

/** Which entries of a statement apply to the request, or null when the statement does not. */
export function statementApplies(
  st: Statement,
  action: string,
  resource: string,
  ctx: Context,
  variables: boolean,
): { actions: number[]; resources: number[] } | null {
  let actions: number[] = [];
  if (st.Action !== undefined) {
    actions = indexesWhere(asList(st.Action), (a) => actionMatches(a, action));
    if (actions.length === 0) return null;
  } else if (st.NotAction !== undefined) {
    if (asList(st.NotAction).some((a) => actionMatches(a, action))) return null;
  } else return null;
  let resources: number[] = [];
  if (st.Resource !== undefined) {
    resources = indexesWhere(asList(st.Resource), (r) => resourceMatches(r, resource, ctx, variables));
    if (resources.length === 0) return null;
  } else if (st.NotResource !== undefined) {
    if (asList(st.NotResource).some((r) => resourceMatches(r, resource, ctx, variables))) return null;
  } else return null;
  if (!conditionsHold(st.Condition, ctx, variables)) return null;
  return { actions, resources };
}

function indexesWhere(list: string[], test: (s: string) => boolean): number[] {
  const out: number[] = [];
  list.forEach((s, i) => {
    if (test(s)) out.push(i);
  });
  return out;
}

/** Evaluates one request against identity policies (all documents attached to one principal). */
export function evaluate(documents: readonly PolicyDocument[], request: EvalRequest): Evaluation {
  const ctx = request.context instanceof Context ? request.context : new Context(request.context ?? {});
  const allowedBy: StatementHit[] = [];
  const deniedBy: StatementHit[] = [];
  documents.forEach((doc, d) => {
    const variables = hasVariables(doc);
    asStatements(doc.Statement).forEach((st, s) => {
      const hit = statementApplies(st, request.action, request.resource, ctx, variables);
      if (!hit) return;
      const ref = { document: d, statement: s, sid: st.Sid ?? null, ...hit };
      if (st.Effect === 'Deny') deniedBy.push(ref);
      else if (st.Effect === 'Allow') allowedBy.push(ref);
    });
  });
  const decision: Decision = deniedBy.length
    ? 'explicit-deny'
    : allowedBy.length
      ? 'allowed'
      : 'implicit-deny';
  return { decision, allowedBy, deniedBy };
}

/** A document's statements as a list (a single statement object is allowed in JSON). */
export function asStatements(st: Statement | readonly Statement[]): readonly Statement[] {
  return Array.isArray(st) ? st : [st as Statement];
}
