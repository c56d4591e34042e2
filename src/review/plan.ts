/**
 * The review loop's core: from one policy document and the calls a role made, what to add (the
 * permissions the calls needed and nothing granted), what went unused, and, when asked, the
 * document without what went unused. Pure and deterministic: the same document and calls give
 * the same plan, byte for byte, whatever the order of the calls.
 *
 * `iam:PassRole` is never removed without proof (as RepoKid does): AWS's last-accessed data
 * does not track it, and the call that passes a role (a deploy, a rare rotation) is the one a
 * usage window misses. Statements that grant it keep it, and keep their resources.
 */
import { recordNeeds } from '../input/calls-log.js';
import type { CallRecord, PolicyDocument, Requirement, Statement } from '../model/index.js';
import { type DiffReport, diffPolicy, statementLabel, type Unused } from '../policy/evaluate/diff.js';
import { actionMatches, asList, asStatements } from '../policy/evaluate/index.js';
import { buildPolicy } from '../policy/index.js';

export const PASS_ROLE = 'iam:PassRole';

/** A permission the calls needed that the policy did not grant, with the calls behind it. */
export interface AddedPermission {
  action: string;
  resources: string[];
  /** `service:Operation` of the calls that needed it, each once. */
  calls: string[];
}

/** One entry taken out of the document (`--prune`). */
export interface Removal {
  statement: string;
  kind: Unused['kind'];
  /** The Action or Resource entry; null for a whole statement. */
  entry: string | null;
  /** A whole statement: the actions it granted. */
  actions?: string[];
}

/** An unused entry left in place on purpose, with the reason. */
export interface Kept {
  statement: string;
  kind: Unused['kind'];
  entry: string | null;
  reason: string;
}

export interface PolicyPlan {
  /** The proposed document; the input itself when nothing changes. */
  document: PolicyDocument;
  added: AddedPermission[];
  /** The statements appended for `added`. */
  addedStatements: Statement[];
  /** Granted and used by no recorded call: the candidates for removal. */
  unused: Unused[];
  removed: Removal[];
  kept: Kept[];
  /** Whether `document` differs from the input. */
  changed: boolean;
  /** Permissions evaluated (action × resource of every call). */
  checked: number;
  /** Calls considered (resolved ones). */
  calls: number;
  /** Things a reviewer should know (widened resources, refused entries). */
  notes: string[];
}

export interface PlanOptions {
  /** Remove what went unused (default: only report it). */
  prune: boolean;
  /** Add what is missing (default true; `leastpriv prune` only removes). */
  add?: boolean;
  /** Other documents that grant to the same principal: they count when deciding what is missing. */
  others?: readonly PolicyDocument[];
  /** Allow removing `iam:PassRole` (default: never). */
  passRole?: boolean;
  /** A reason to keep an Action entry that the calls did not use (Access Advisor saw it used). */
  keepAction?: (entry: string) => string | null;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Whether a statement grants `iam:PassRole` (through an Action entry or a NotAction). */
export function grantsPassRole(st: Statement): boolean {
  if (st.Effect !== 'Allow') return false;
  if (st.Action !== undefined) return asList(st.Action).some((a) => actionMatches(a, PASS_ROLE));
  return !asList(st.NotAction).some((a) => actionMatches(a, PASS_ROLE));
}

export function planPolicy(
  owned: PolicyDocument,
  records: readonly CallRecord[],
  options: PlanOptions,
): PolicyPlan {
  const resolved = records.filter((r) => !r.unresolved);
  const own = diffPolicy([owned], resolved, recordNeeds);
  const all = options.others?.length ? diffPolicy([owned, ...options.others], resolved, recordNeeds) : own;
  const notes: string[] = [];
  let statements: Statement[] = asStatements(owned.Statement).map((s) => s);
  let removed: Removal[] = [];
  let kept: Kept[] = [];
  if (options.prune) {
    const pruned = pruneStatements(statements, own.unused, options);
    statements = pruned.statements;
    removed = pruned.removed;
    kept = pruned.kept;
  } else {
    kept = [];
  }
  const added = options.add === false ? [] : addedPermissions(all);
  const addedStatements = options.add === false ? [] : statementsForMissing(all, statements, notes);
  const changed = removed.length > 0 || addedStatements.length > 0;
  const document: PolicyDocument = changed
    ? { Version: owned.Version, Statement: [...statements, ...addedStatements] }
    : owned;
  return {
    document,
    added,
    addedStatements,
    unused: own.unused,
    removed,
    kept,
    changed,
    checked: all.checked,
    calls: resolved.length,
    notes,
  };
}

function addedPermissions(report: DiffReport): AddedPermission[] {
  return report.missing.map((m) => ({ action: m.action, resources: [...m.resources], calls: [...m.calls] }));
}

/**
 * One set of statements for everything missing, grouped and named as `generate` writes them;
 * a Sid the document already uses gets a number.
 */
function statementsForMissing(
  report: DiffReport,
  existing: readonly Statement[],
  notes: string[],
): Statement[] {
  if (report.missing.length === 0) return [];
  const requirements: Requirement[] = [];
  for (const m of report.missing) {
    for (const st of m.statements) {
      for (const action of asList(st.Action)) {
        requirements.push({
          action,
          resources: asList(st.Resource),
          conditions: st.Condition ?? null,
          why: m.calls.join(', '),
        });
      }
    }
  }
  let statements: Statement[];
  try {
    const built = buildPolicy([{ requirements, callIds: [1] }], { maxPolicySize: Number.MAX_SAFE_INTEGER });
    statements = built.documents.flatMap((d) => d.Statement);
    notes.push(...built.warnings);
  } catch {
    // An action the Service Authorization Reference does not know: the plain statements.
    statements = report.missing.flatMap((m) => m.statements);
  }
  const used = new Set(existing.map((s) => s.Sid).filter((s): s is string => s !== undefined));
  return statements.map((st) => {
    if (st.Sid === undefined || !used.has(st.Sid)) {
      if (st.Sid !== undefined) used.add(st.Sid);
      return st;
    }
    let n = 2;
    while (used.has(`${st.Sid}${n}`)) n++;
    const sid = `${st.Sid}${n}`;
    used.add(sid);
    return { ...st, Sid: sid };
  });
}

/** A list written back in the shape it was read: a single string stays a string. */
function shaped(original: string | string[] | undefined, list: string[]): string | string[] {
  return typeof original === 'string' && list.length === 1 ? (list[0] as string) : list;
}

/**
 * The statements without their unused entries: whole statements, Action entries, Resource
 * entries. A statement left with no action or no resource goes. `iam:PassRole` (and an entry
 * `keepAction` vouches for) stays, with the reason.
 */
export function pruneStatements(
  statements: readonly Statement[],
  unused: readonly Unused[],
  options: Pick<PlanOptions, 'passRole' | 'keepAction'>,
): { statements: Statement[]; removed: Removal[]; kept: Kept[] } {
  const labels = statements.map((st, i) => statementLabel(st, 0, i));
  const count = new Map<string, number>();
  for (const l of labels) count.set(l, (count.get(l) ?? 0) + 1);
  const byLabel = new Map<string, Unused[]>();
  for (const u of unused) byLabel.set(u.statement, [...(byLabel.get(u.statement) ?? []), u]);
  const removed: Removal[] = [];
  const kept: Kept[] = [];
  const out: Statement[] = [];
  const keepReason = (entry: string): string | null => {
    if (!options.passRole && actionMatches(entry, PASS_ROLE)) {
      return `grants ${PASS_ROLE}, which is never removed without proof (last-accessed data does not track it)`;
    }
    return options.keepAction?.(entry) ?? null;
  };
  statements.forEach((st, i) => {
    const label = labels[i] as string;
    const mine = byLabel.get(label) ?? [];
    if (mine.length === 0 || st.Effect !== 'Allow') {
      out.push(st);
      return;
    }
    if ((count.get(label) ?? 0) > 1) {
      for (const u of mine) {
        kept.push({
          statement: label,
          kind: u.kind,
          entry: u.entry,
          reason: 'several statements share this Sid: give each its own',
        });
      }
      out.push(st);
      return;
    }
    const passRole = !options.passRole && grantsPassRole(st);
    const whole = mine.find((u) => u.kind === 'statement');
    if (whole) {
      if (st.Action === undefined) {
        // NotAction: the statement grants everything else; it goes whole or stays whole.
        if (passRole) {
          kept.push({
            statement: label,
            kind: 'statement',
            entry: null,
            reason: keepReason(PASS_ROLE) ?? '',
          });
          out.push(st);
        } else {
          removed.push({ statement: label, kind: 'statement', entry: null, actions: [] });
        }
        return;
      }
      const actions = asList(st.Action);
      const stay = actions.filter((a) => keepReason(a) !== null);
      if (stay.length === 0) {
        removed.push({
          statement: label,
          kind: 'statement',
          entry: null,
          actions: [...new Set(actions)].sort(cmp),
        });
        return;
      }
      for (const a of [...new Set(actions)].sort(cmp)) {
        const reason = keepReason(a);
        if (reason) kept.push({ statement: label, kind: 'action', entry: a, reason });
        else removed.push({ statement: label, kind: 'action', entry: a });
      }
      out.push({ ...st, Action: shaped(st.Action, stay) });
      return;
    }
    let actions = asList(st.Action);
    let resources = asList(st.Resource);
    for (const u of mine) {
      if (u.entry === null) continue;
      if (u.kind === 'action') {
        const reason = keepReason(u.entry);
        if (reason) kept.push({ statement: label, kind: 'action', entry: u.entry, reason });
        else {
          actions = actions.filter((a) => a !== u.entry);
          removed.push({ statement: label, kind: 'action', entry: u.entry });
        }
      } else if (u.kind === 'resource') {
        if (passRole) {
          kept.push({
            statement: label,
            kind: 'resource',
            entry: u.entry,
            reason: `the statement grants ${PASS_ROLE}: its roles stay until a call shows otherwise`,
          });
        } else {
          resources = resources.filter((r) => r !== u.entry);
          removed.push({ statement: label, kind: 'resource', entry: u.entry });
        }
      }
    }
    if (
      (st.Action !== undefined && actions.length === 0) ||
      (st.Resource !== undefined && resources.length === 0)
    ) {
      // Everything left of it was unused: the whole statement goes (its entries are listed).
      return;
    }
    const next: Statement = { ...st };
    if (st.Action !== undefined) next.Action = shaped(st.Action, actions);
    if (st.Resource !== undefined) next.Resource = shaped(st.Resource, resources);
    out.push(next);
  });
  return { statements: out, removed, kept };
}

/** The first and last time of the calls, or null when there are none. */
export function timeRange(records: readonly CallRecord[]): { first: string; last: string } | null {
  let first: string | null = null;
  let last: string | null = null;
  for (const r of records) {
    if (first === null || r.time < first) first = r.time;
    if (last === null || r.time > last) last = r.time;
  }
  return first === null || last === null ? null : { first, last };
}

/** A document with its keys in the order IAM's documentation writes them (Sid, Effect, Action...). */
export function orderedDocument(doc: PolicyDocument): PolicyDocument {
  return {
    Version: doc.Version,
    Statement: asStatements(doc.Statement).map((st) => {
      const ordered: Statement =
        st.Sid !== undefined ? { Sid: st.Sid, Effect: st.Effect } : { Effect: st.Effect };
      if (st.Action !== undefined) ordered.Action = st.Action;
      if (st.NotAction !== undefined) ordered.NotAction = st.NotAction;
      if (st.Resource !== undefined) ordered.Resource = st.Resource;
      if (st.NotResource !== undefined) ordered.NotResource = st.NotResource;
      if (st.Condition !== undefined) ordered.Condition = st.Condition;
      return ordered;
    }),
  };
}
