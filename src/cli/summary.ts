import type { Session, SessionSummary } from '../index.js';
import { UNRESOLVED_REASONS } from '../model/index.js';
import { callNeeds, readableNote } from '../output/markdown.js';

/** The few lines printed to stderr after a capture: what was seen, what was not understood, what was denied. */
export function formatSummary(s: SessionSummary, written: { policy: string; calls: string | null }): string {
  const lines: string[] = [];
  const services = s.services.map(([name, n]) => `${name} ${n}`).join(', ');
  lines.push(
    `leastpriv: ${plural(s.calls, 'call')}${s.calls > 0 ? ` to ${plural(s.services.length, 'service')} (${services})` : ''}`,
  );
  for (const u of s.unresolved) {
    lines.push(
      `  unresolved: ${u.count} × ${u.reason} (${UNRESOLVED_REASONS[u.reason]}), e.g. ${u.examples.join('; ')}`,
    );
  }
  for (const d of s.denied) {
    lines.push(
      `  denied: ${d.call} → ${d.error}${d.actions.length ? ` (needs ${d.actions.join(', ')})` : ''}`,
    );
  }
  if (s.failed > 0) lines.push(`  ${plural(s.failed, 'other call')} answered with an error`);
  if (s.permissionless.length > 0) lines.push(`  no permission needed: ${s.permissionless.join(', ')}`);
  for (const w of s.warnings) lines.push(`  note: ${readableNote(w)}`);
  const where = written.policy === 'stdout' ? 'stdout' : written.policy;
  const calls = written.calls ? `; calls log → ${written.calls}` : '';
  const gcp = s.gcp
    ? `Google Cloud role: ${plural(s.gcp.permissions, 'permission')} (${s.gcp.permissions - s.gcp.derived} documented, ${s.gcp.derived} derived from method ids) in ${plural(s.gcp.bindings, 'binding')}`
    : null;
  const azure = s.azure
    ? `Azure role: ${plural(s.azure.actions, 'Action')}, ${plural(s.azure.dataActions, 'DataAction')}, ${azureScopes(s.azure.scopes, s.azure.unknownScopes)}`
    : null;
  const cosmos = s.cosmos
    ? `Cosmos DB role: ${plural(s.cosmos.dataActions, 'DataAction')}, assignable at ${s.cosmos.scopes.join(', ')}`
    : null;
  const others = [gcp, azure, cosmos].filter((x): x is string => x !== null);
  if (others.length && s.statements === 0) {
    for (const o of others.slice(0, -1)) lines.push(`  ${o}`);
    lines.push(`  ${others.at(-1)} → ${where}${calls}`);
  } else {
    for (const o of others) lines.push(`  ${o}`);
    lines.push(
      `  policy: ${plural(s.actions, 'action')} in ${plural(s.statements, 'statement')} → ${where}${calls}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Where the Azure role can be assigned, and what the calls did not show. */
function azureScopes(scopes: number, unknown: number): string {
  const byHost = `${plural(unknown, 'resource')} named only by ${unknown === 1 ? 'its host' : 'their hosts'}`;
  if (scopes === 0)
    return `no scope in the calls (${byHost}): replace /subscriptions/SUBSCRIPTION_ID in AssignableScopes`;
  return `assignable at ${plural(scopes, 'scope')}${unknown ? ` (check that the ${byHost} lie${unknown === 1 ? 's' : ''} within)` : ''}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `--explain`: which calls produced each statement. */
export function formatExplain(session: Session): string {
  const lines: string[] = [];
  const built = session.policy();
  const actionsOf = new Map<string, string[]>();
  for (const doc of built.documents) {
    for (const st of doc.Statement) {
      if (st.Sid) actionsOf.set(st.Sid, st.Action === undefined ? [] : [st.Action].flat());
    }
  }
  for (const [sid, ids] of built.explain) {
    const counts = new Map<string, number>();
    for (const id of ids) {
      const r = session.call(id);
      if (!r) continue;
      const where = r.file
        ? ` (${r.file}:${r.line ?? '?'})`
        : r.host
          ? ` (${r.method} ${r.host}${r.path})`
          : ` (${r.source}, ${r.region ?? 'no region'})`;
      const { operation, actions } = callNeeds(r, actionsOf.get(sid) ?? []);
      const name = `${operation}${actions.length ? ` → ${actions.join(', ')}` : ''}${where}`;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    lines.push(`${sid}: ${plural(ids.length, 'call')}`);
    for (const [name, n] of counts) lines.push(`  ${name}${n > 1 ? ` ×${n}` : ''}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
