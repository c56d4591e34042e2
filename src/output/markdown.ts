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

/**
 * What a call needed of a statement: its operation (an API name, not an IAM action) and the
 * statement's actions it needed (`HeadBucket` and `s3:ListBucket`). A call whose record names
 * none of them keeps its service (`HeadBucket (s3)`).
 */
export function callNeeds(
  record: CallRecord,
  statementActions: readonly string[],
): { operation: string; actions: string[] } {
  const wanted = new Set(statementActions.map((a) => a.toLowerCase()));
  const actions = [...new Set((record.actions ?? []).filter((a) => wanted.has(a.toLowerCase())))].sort();
  const operation = record.operation ?? '?';
  return { operation: actions.length ? operation : `${operation} (${record.service ?? '?'})`, actions };
}

/** The reason of a requirement (`s3:HeadBucket` or `s3:HeadBucket (why)`) at a note's start. */
const WHY = /^([a-z0-9][a-z0-9.-]*):([A-Za-z0-9]+)((?: \([^()]*\))?): /;

/**
 * A note as a reader wants it: the reason a requirement carries (`service:Operation`, which reads
 * like an IAM action) becomes the operation, then what it needed (`HeadBucket → s3:ListBucket on
 * bucket: ...`). Other notes are unchanged.
 */
export function readableNote(note: string): string {
  const m = WHY.exec(note);
  if (!m) return note;
  const rest = note.slice(m[0].length);
  const what = `${m[2]}${m[3]}`;
  return /^[a-z0-9-]+:[A-Za-z0-9*]+(?=[\s,;]|$)/.test(rest) ? `${what} → ${rest}` : `${what}: ${rest}`;
}

/** Each call as its operation and the actions it needed, counted, most frequent first. */
function callLines(ids: readonly number[], report: PolicyReport, st: Statement): string[] {
  const counts = new Map<string, number>();
  const statementActions = asList(st.Action);
  for (const id of ids) {
    const r = report.call(id);
    if (!r) continue;
    const { operation, actions } = callNeeds(r, statementActions);
    const name = actions.length ? `${code(operation)} → ${actions.map(code).join(' and ')}` : code(operation);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([name, n]) => `${name}${n > 1 ? ` ×${n}` : ''}`);
}

function statementSection(st: Statement, report: PolicyReport | undefined): string[] {
  const title = st.Sid ? code(st.Sid) : '(no Sid)';
  const lines = [`### ${title}: ${st.Effect}`, '', `- **Actions:** ${actionLine(st)}`];
  lines.push(`- **Resources:** ${resourceLine(st)}`);
  const conditions = conditionLines(st);
  if (conditions.length) lines.push(`- **Only when:** ${conditions.join('; and ')}`);
  if (report && st.Sid) {
    const ids = report.explain.get(st.Sid) ?? [];
    const calls = callLines(ids, report, st);
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
    out.push('', '> [!NOTE]', ...report.warnings.map((w) => `> - ${readableNote(w)}`));
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
