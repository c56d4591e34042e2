/**
 * What the capture page shows, as plain data: the calls (one row each), the policy in every
 * format with the calls behind each statement, and the reasons a call can be unresolved. The
 * live server sends it over server-sent events; `leastpriv report` embeds it in one HTML file.
 * Built from the calls log records only: no request or response body is ever part of it.
 */
import { isDenied, type Session } from '../index.js';
import { type CallRecord, type Statement, UNRESOLVED_REASONS } from '../model/index.js';
import { callNeeds, readableNote } from '../output/markdown.js';
import { renderPolicy } from '../output/policy.js';

/** One row of the calls table. */
export interface UiCall {
  /** The call's id in the session (counts from 1, arrival order): what statements point at. */
  id: number;
  time: string;
  service: string | null;
  operation: string | null;
  region: string | null;
  account: string | null;
  status: number | null;
  error: string | null;
  actions: string[] | null;
  resources: string[] | null;
  unresolved: string | null;
  /** Answered with a denial: `actions` are then the permissions that were missing. */
  denied: boolean;
  /** `METHOD host/path`, the query left out; null for calls not seen on the wire (CloudTrail). */
  where: string | null;
}

/** One statement of the policy, with the calls that produced it (`--explain`). */
export interface UiStatement {
  sid: string;
  /** Which policy document it is in (0 unless the policy is split). */
  document: number;
  effect: string;
  actions: string[];
  resources: string[];
  /** The statement as JSON, as it appears in the policy. */
  json: string;
  /** Ids of the calls behind it, ascending. */
  calls: number[];
  /**
   * Those calls as `Operation → actions (METHOD host/path)`, counted, in order of first use;
   * the first `EXPLAIN_LINES` of them (a statement over thousands of objects has thousands).
   */
  explain: { text: string; count: number }[];
  /** How many more lines there are. */
  explainMore: number;
}

/** Lines of `explain` kept per statement. */
export const EXPLAIN_LINES = 200;

export interface UiPolicy {
  json: string;
  terraform: string;
  cloudformation: string;
  statements: UiStatement[];
  /** Widened resources, split documents: what a reviewer should know. */
  warnings: string[];
  actions: number;
}

/** Everything the page shows at one moment. */
export interface UiSnapshot {
  calls: UiCall[];
  policy: UiPolicy;
  /** Unresolved reason code → what it means. */
  reasons: Record<string, string>;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : [v].flat());

/** A call record as a table row. */
export function uiCall(id: number, r: CallRecord): UiCall {
  return {
    id,
    time: r.time,
    service: r.service,
    operation: r.operation,
    region: r.region,
    account: r.account,
    status: r.status,
    error: r.error,
    actions: r.actions,
    resources: r.resources,
    unresolved: r.unresolved,
    denied: isDenied(r.status, r.error),
    where: r.host ? `${r.method ?? '?'} ${r.host}${(r.path ?? '').split('?')[0]}` : null,
  };
}

/** The rows of the calls with ids `from`..`to` (inclusive; ids count from 1). */
export function uiCalls(session: Session, from = 1, to = session.callCount): UiCall[] {
  const out: UiCall[] = [];
  for (let id = from; id <= to; id++) {
    const r = session.call(id);
    if (r) out.push(uiCall(id, r));
  }
  return out;
}

/** The policy in every format, each statement with the calls behind it. */
export function uiPolicy(session: Session): UiPolicy {
  const built = session.policy();
  const statements: UiStatement[] = [];
  const actions = new Set<string>();
  built.documents.forEach((doc, document) => {
    for (const st of doc.Statement) {
      for (const a of list(st.Action)) actions.add(a);
      const ids = st.Sid ? (built.explain.get(st.Sid) ?? []) : [];
      statements.push({
        sid: st.Sid ?? '',
        document,
        effect: st.Effect,
        actions: list(st.Action ?? st.NotAction),
        resources: list(st.Resource ?? st.NotResource),
        json: JSON.stringify(st, null, 2),
        calls: [...ids],
        ...explainLines(session, st, ids),
      });
    }
  });
  return {
    json: renderPolicy(built.documents, 'json'),
    terraform: renderPolicy(built.documents, 'terraform'),
    cloudformation: renderPolicy(built.documents, 'cloudformation'),
    statements,
    warnings: built.warnings.map(readableNote),
    actions: actions.size,
  };
}

/** What `formatExplain` prints for one statement, as data. */
function explainLines(
  session: Session,
  st: Statement,
  ids: readonly number[],
): Pick<UiStatement, 'explain' | 'explainMore'> {
  const counts = new Map<string, number>();
  const statementActions = list(st.Action);
  for (const id of ids) {
    const r = session.call(id);
    if (!r) continue;
    const where = r.host
      ? ` (${r.method} ${r.host}${(r.path ?? '').split('?')[0]})`
      : ` (${r.source}, ${r.region ?? 'no region'})`;
    const { operation, actions } = callNeeds(r, statementActions);
    const text = `${operation}${actions.length ? ` → ${actions.join(', ')}` : ''}${where}`;
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  const lines = [...counts].map(([text, count]) => ({ text, count }));
  return { explain: lines.slice(0, EXPLAIN_LINES), explainMore: Math.max(0, lines.length - EXPLAIN_LINES) };
}

export function uiSnapshot(session: Session): UiSnapshot {
  return { calls: uiCalls(session), policy: uiPolicy(session), reasons: { ...UNRESOLVED_REASONS } };
}
