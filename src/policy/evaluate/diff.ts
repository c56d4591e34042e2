/**
 * Comparing a policy with recorded use: what it grants that no call used (per statement, action
 * entry and resource entry), what calls needed that it does not grant, and wildcards the calls
 * used only narrowly.
 */
import { sarService } from '../../catalog/sar.js';
import type { CallRecord, PolicyDocument, Statement } from '../../model/index.js';
import { contextOf, type Need, statementsFor } from './check.js';
import { Context, type ContextValue } from './context.js';
import { actionMatches, asList, asStatements, evaluate } from './index.js';
import { unescapeResource } from './variables.js';

export const FINDING_KINDS = ['missing', 'unused', 'over-broad'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Missing {
  action: string;
  resources: string[];
  /** `service:Operation` of the calls that needed it, each once. */
  calls: string[];
  statements: Statement[];
}

export interface Unused {
  /** `Sid`, or `#n` (1-based) for a statement without one; documents after the first: `d2#n`. */
  statement: string;
  /** The whole statement, or one entry of its Action or Resource list. */
  kind: 'statement' | 'action' | 'resource';
  entry: string | null;
  /** A whole statement: the actions it grants (its Action entries, sorted; none for NotAction). */
  actions?: string[];
}

export interface OverBroad {
  statement: string;
  kind: 'action' | 'resource' | 'not-action' | 'not-resource';
  entry: string;
  /** How many actions the entry grants, when known (Action entries). */
  grants: number | null;
  /** What the calls used it for. */
  used: string[];
}

export interface DiffReport {
  missing: Missing[];
  unused: Unused[];
  overBroad: OverBroad[];
  /** Permissions evaluated. */
  checked: number;
}

interface Usage {
  used: boolean;
  actions: Map<number, Set<string>>;
  /** Resource entry -> resource used -> actions that used it. */
  resources: Map<number, Map<string, Set<string>>>;
  /** Actions let through a NotAction, resources through a NotResource. */
  others: { actions: Set<string>; resources: Set<string> };
}

export function statementLabel(st: Statement, doc: number, index: number): string {
  return st.Sid ?? `${doc > 0 ? `d${doc + 1}` : ''}#${index + 1}`;
}

/** Whether an entry has a wildcard (an escaped `${*}` or `${?}` is a literal character). */
const hasWildcard = (s: string) => /[*?]/.test(s.replace(/\$\{[*?$]\}/g, ''));

/** How many actions of the reference an Action entry grants. */
function actionCount(entry: string): number | null {
  if (entry === '*') return null;
  const prefix = entry.slice(0, entry.indexOf(':'));
  const service = sarService(prefix.toLowerCase());
  if (!service) return null;
  let n = 0;
  for (const a of service.actions.values()) if (actionMatches(entry, `${a.prefix}:${a.name}`)) n++;
  return n;
}

export function diffPolicy(
  documents: readonly PolicyDocument[],
  records: readonly CallRecord[],
  needsOf: (record: CallRecord) => Need[],
  extra: Record<string, ContextValue> = {},
): DiffReport {
  const usage = documents.map((d) =>
    asStatements(d.Statement).map<Usage>(() => ({
      used: false,
      actions: new Map(),
      resources: new Map(),
      others: { actions: new Set(), resources: new Set() },
    })),
  );
  const missing = new Map<string, Missing & { needs: Need[] }>();
  let checked = 0;
  for (const record of records) {
    if (record.unresolved) continue;
    const call = `${record.service}:${record.operation}`;
    for (const need of needsOf(record)) {
      const ctx = new Context(contextOf(record, need.conditions, extra));
      for (const resource of need.resources) {
        checked++;
        const e = evaluate(documents, {
          action: need.action,
          resource: unescapeResource(resource),
          context: ctx,
        });
        if (e.decision !== 'allowed') {
          const key = `${need.action}\u0000${JSON.stringify(need.conditions)}`;
          const m = missing.get(key) ?? {
            action: need.action,
            resources: [],
            calls: [],
            statements: [],
            needs: [],
          };
          if (!m.resources.includes(resource)) m.resources.push(resource);
          if (!m.calls.includes(call)) m.calls.push(call);
          m.needs.push({ ...need, resources: [resource] });
          missing.set(key, m);
          continue;
        }
        for (const hit of e.allowedBy) {
          const u = usage[hit.document]?.[hit.statement];
          if (!u) continue;
          u.used = true;
          for (const i of hit.actions) u.actions.set(i, (u.actions.get(i) ?? new Set()).add(need.action));
          for (const i of hit.resources) {
            const byResource = u.resources.get(i) ?? new Map<string, Set<string>>();
            byResource.set(resource, (byResource.get(resource) ?? new Set()).add(need.action));
            u.resources.set(i, byResource);
          }
          if (hit.actions.length === 0) u.others.actions.add(need.action);
          if (hit.resources.length === 0) u.others.resources.add(resource);
        }
      }
    }
  }
  const unused: Unused[] = [];
  const overBroad: OverBroad[] = [];
  documents.forEach((doc, d) => {
    asStatements(doc.Statement).forEach((st, s) => {
      if (st.Effect !== 'Allow') return;
      const u = usage[d]?.[s];
      const label = statementLabel(st, d, s);
      if (!u?.used) {
        const actions = [...new Set(asList(st.Action))].sort();
        unused.push({ statement: label, kind: 'statement', entry: null, actions });
        return;
      }
      asList(st.Action).forEach((entry, i) => {
        const used = u.actions.get(i);
        if (!used) unused.push({ statement: label, kind: 'action', entry });
        else if (hasWildcard(entry)) {
          const grants = actionCount(entry);
          if (grants === null || grants > used.size) {
            overBroad.push({ statement: label, kind: 'action', entry, grants, used: [...used].sort() });
          }
        }
      });
      asList(st.Resource).forEach((entry, i) => {
        const used = u.resources.get(i);
        if (!used) {
          unused.push({ statement: label, kind: 'resource', entry });
          return;
        }
        if (!hasWildcard(entry)) return;
        // Actions that needed "*" itself (no resource-level permissions) use the wildcard fully.
        const needStar = used.get('*') ?? new Set<string>();
        // A resource the calls named as this very pattern (widened when recorded) is no narrower.
        const narrow = [...used].filter(
          ([r, actions]) => r !== '*' && r !== entry && [...actions].some((a) => !needStar.has(a)),
        );
        if (narrow.length === 0) return;
        if (entry === '*' || (needStar.size === 0 && narrow.length <= 3)) {
          const list = narrow.map(([r, actions]) =>
            entry === '*' ? `${[...actions].sort().join(', ')} on ${r}` : r,
          );
          overBroad.push({ statement: label, kind: 'resource', entry, grants: null, used: list.sort() });
        }
      });
      if (st.NotAction !== undefined) {
        overBroad.push({
          statement: label,
          kind: 'not-action',
          entry: asList(st.NotAction).join(', '),
          grants: null,
          used: [...u.others.actions].sort(),
        });
      }
      if (st.NotResource !== undefined) {
        overBroad.push({
          statement: label,
          kind: 'not-resource',
          entry: asList(st.NotResource).join(', '),
          grants: null,
          used: [...u.others.resources].sort(),
        });
      }
    });
  });
  const missingList = [...missing.values()]
    .sort((a, b) => (a.action < b.action ? -1 : a.action > b.action ? 1 : 0))
    .map(({ needs, ...m }) => ({
      ...m,
      resources: m.resources.sort(),
      statements: statementsFor(mergeNeeds(needs), m.calls.join(', ')),
    }));
  return { missing: missingList, unused, overBroad, checked };
}

function mergeNeeds(needs: Need[]): Need[] {
  const first = needs[0];
  if (!first) return [];
  return [{ ...first, resources: [...new Set(needs.flatMap((n) => n.resources))].sort() }];
}

/** The kinds of findings the report holds. */
export function findingKinds(report: DiffReport): Set<FindingKind> {
  const out = new Set<FindingKind>();
  if (report.missing.length) out.add('missing');
  if (report.unused.length) out.add('unused');
  if (report.overBroad.length) out.add('over-broad');
  return out;
}
