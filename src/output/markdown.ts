/**
 * Markdown output, for a pull-request comment: what each statement allows and which calls
 * needed it, then the policy JSON itself.
 */
import { sarActionByQualifiedName } from '../catalog/sar.js';
import type { CallRecord, PolicyDocument, Statement } from '../model/index.js';

/** What the report knows besides the documents: the calls behind each statement. */
export interface PolicyReport {
  /** Sid -> ids of the calls that produced the statement. */
  explain: ReadonlyMap<string, readonly number[]>;
  /** The call record with this id. */
  call: (id: number) => CallRecord | undefined;
  /** Widened resources, split documents: what a reviewer should know. */
  warnings?: readonly string[];
}

const asList = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** Inline code that survives backticks and pipes inside table cells. */
export function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.replace(/\|/g, '\\|')}${fence}`;
}

function actionLine(st: Statement): string {
  if (st.NotAction !== undefined) {
    return `every action except ${asList(st.NotAction).map(code).join(', ')}`;
  }
  return asList(st.Action)
    .map((a) => {
      const access = sarActionByQualifiedName(a)?.access;
      return access ? `${code(a)} (${access})` : code(a);
    })
    .join(', ');
}

function resourceLine(st: Statement): string {
  if (st.NotResource !== undefined) {
    return `every resource except ${asList(st.NotResource).map(code).join(', ')}`;
  }
  const list = asList(st.Resource);
  return list.length === 1 && list[0] === '*' ? '`*` (any resource)' : list.map(code).join(', ');
}

function conditionLines(st: Statement): string[] {
  const out: string[] = [];
  for (const [op, keys] of Object.entries(st.Condition ?? {})) {
    for (const [key, values] of Object.entries(keys)) {
      out.push(`${code(key)} ${op} ${asList(values).map(code).join(' or ')}`);
    }
  }
  return out;
}

/** `service:Operation` of each call, counted, most frequent first. */
function callLines(ids: readonly number[], report: PolicyReport): string[] {
  const counts = new Map<string, number>();
  for (const id of ids) {
    const r = report.call(id);
    if (!r) continue;
    const name = `${r.service ?? '?'}:${r.operation ?? '?'}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([name, n]) => `${code(name)}${n > 1 ? ` ×${n}` : ''}`);
}

function statementSection(st: Statement, report: PolicyReport | undefined): string[] {
  const title = st.Sid ? code(st.Sid) : '(no Sid)';
  const lines = [`### ${title}: ${st.Effect}`, '', `- **Actions:** ${actionLine(st)}`];
  lines.push(`- **Resources:** ${resourceLine(st)}`);
  const conditions = conditionLines(st);
  if (conditions.length) lines.push(`- **Only when:** ${conditions.join('; and ')}`);
  if (report && st.Sid) {
    const ids = report.explain.get(st.Sid) ?? [];
    const calls = callLines(ids, report);
    lines.push(
      `- **Needed by:** ${calls.length ? `${ids.length} call${ids.length === 1 ? '' : 's'}: ${calls.join(', ')}` : 'no recorded call'}`,
    );
  }
  return lines;
}

export function renderMarkdown(documents: readonly PolicyDocument[], report?: PolicyReport): string {
  const statements = documents.flatMap((d) => d.Statement);
  const actions = new Set(statements.flatMap((s) => asList(s.Action)));
  const out = [
    '## Least-privilege IAM policy',
    '',
    `${statements.length} statement${statements.length === 1 ? '' : 's'}, ${actions.size} action${actions.size === 1 ? '' : 's'}` +
      (documents.length > 1 ? `, split into ${documents.length} managed policies` : '') +
      '. Written by leastpriv from the recorded calls.',
  ];
  if (report?.warnings?.length) {
    out.push('', '> [!NOTE]', ...report.warnings.map((w) => `> - ${w}`));
  }
  for (const st of statements) out.push('', ...statementSection(st, report));
  documents.forEach((doc, i) => {
    const label = documents.length > 1 ? ` (document ${i + 1} of ${documents.length})` : '';
    out.push(
      '',
      `<details><summary>Policy JSON${label}</summary>`,
      '',
      '```json',
      JSON.stringify(doc, null, 2),
      '```',
      '',
      '</details>',
    );
  });
  return `${out.join('\n')}\n`;
}
