/** Splitting statements over managed policies: each holds 6,144 characters without whitespace. */
import type { PolicyDocument, Statement } from '../model/index.js';

export const MANAGED_POLICY_LIMIT = 6144;

export function policySize(doc: PolicyDocument): number {
  return JSON.stringify(doc).replace(/\s/g, '').length;
}

const document = (statements: Statement[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements,
});

/** A statement too large for one policy, cut into parts by resources (then actions). */
function cut(st: Statement, limit: number): Statement[] {
  if (policySize(document([st])) <= limit) return [st];
  const resources = Array.isArray(st.Resource) ? st.Resource : null;
  const actions = Array.isArray(st.Action) ? st.Action : null;
  let halves: [Statement, Statement] | null = null;
  if (resources && resources.length > 1) {
    const mid = Math.ceil(resources.length / 2);
    halves = [
      { ...st, Resource: resources.slice(0, mid) },
      { ...st, Resource: resources.slice(mid) },
    ];
  } else if (actions && actions.length > 1) {
    const mid = Math.ceil(actions.length / 2);
    halves = [
      { ...st, Action: actions.slice(0, mid) },
      { ...st, Action: actions.slice(mid) },
    ];
  }
  if (!halves) return [st];
  return [...cut(halves[0], limit), ...cut(halves[1], limit)];
}

/**
 * Statements packed in order into as few documents as the limit allows. Statements too large
 * for a document on their own are cut, their parts numbered (`Sid`, `SidPart2`, ...).
 */
export function splitStatements(
  statements: Statement[],
  limit = MANAGED_POLICY_LIMIT,
): { documents: PolicyDocument[]; parts: Map<string, string[]> } {
  const parts = new Map<string, string[]>();
  const flat: Statement[] = [];
  for (const st of statements) {
    const pieces = cut(st, limit);
    if (pieces.length > 1 && st.Sid) {
      const sids = pieces.map((_, i) => (i === 0 ? (st.Sid as string) : `${st.Sid}Part${i + 1}`));
      pieces.forEach((p, i) => {
        p.Sid = sids[i];
      });
      parts.set(st.Sid, sids);
    }
    flat.push(...pieces);
  }
  const documents: PolicyDocument[] = [];
  let current: Statement[] = [];
  for (const st of flat) {
    if (current.length && policySize(document([...current, st])) > limit) {
      documents.push(document(current));
      current = [];
    }
    current.push(st);
  }
  if (current.length || documents.length === 0) documents.push(document(current));
  return { documents, parts };
}
