import type { SessionSummary } from '../index.js';
import { UNRESOLVED_REASONS } from '../model/index.js';

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
  const where = written.policy === 'stdout' ? 'stdout' : written.policy;
  lines.push(
    `  policy: ${plural(s.actions, 'action')} in ${plural(s.statements, 'statement')} → ${where}${
      written.calls ? `; calls log → ${written.calls}` : ''
    }`,
  );
  return `${lines.join('\n')}\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
