/**
 * Terraform output: one `data "aws_iam_policy_document"` block per policy document, with Sids and
 * conditions, formatted as `terraform fmt` writes it. Attach it with
 * `policy = data.aws_iam_policy_document.leastpriv.json`.
 */
import type { PolicyDocument, Statement } from '../model/index.js';

/** An HCL string literal: escapes, and `${` / `%{` doubled so Terraform keeps them literal. */
export function hclString(value: string): string {
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\$\{/g, () => '$${')
    .replace(/%\{/g, () => '%%{');
  return `"${escaped}"`;
}

const asList = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** A list on one line when short, else one item per line. */
function hclList(items: string[], indent: string): string {
  const quoted = items.map(hclString);
  const one = `[${quoted.join(', ')}]`;
  if (one.length <= 80) return one;
  return `[\n${quoted.map((q) => `${indent}  ${q},`).join('\n')}\n${indent}]`;
}

/** Attribute lines with their `=` aligned, as `terraform fmt` does for consecutive attributes. */
function attributes(pairs: [string, string][], indent: string): string[] {
  const lines: string[] = [];
  // terraform fmt aligns runs of one-line attributes; a multi-line value stands alone.
  let run: [string, string][] = [];
  const flush = () => {
    const width = Math.max(0, ...run.map(([k]) => k.length));
    for (const [k, v] of run) lines.push(`${indent}${k.padEnd(width)} = ${v}`);
    run = [];
  };
  for (const [k, v] of pairs) {
    if (v.includes('\n')) {
      flush();
      lines.push(`${indent}${k} = ${v}`);
    } else run.push([k, v]);
  }
  flush();
  return lines;
}

function statementBlock(st: Statement): string[] {
  const inner = '    ';
  const pairs: [string, string][] = [];
  if (st.Sid) pairs.push(['sid', hclString(st.Sid)]);
  pairs.push(['effect', hclString(st.Effect)]);
  if (st.Action !== undefined) pairs.push(['actions', hclList(asList(st.Action), inner)]);
  if (st.NotAction !== undefined) pairs.push(['not_actions', hclList(asList(st.NotAction), inner)]);
  if (st.Resource !== undefined) pairs.push(['resources', hclList(asList(st.Resource), inner)]);
  if (st.NotResource !== undefined) pairs.push(['not_resources', hclList(asList(st.NotResource), inner)]);
  const lines = ['  statement {', ...attributes(pairs, inner)];
  for (const [test, keys] of Object.entries(st.Condition ?? {})) {
    for (const [variable, values] of Object.entries(keys)) {
      const c = '      ';
      lines.push(
        '',
        `${inner}condition {`,
        ...attributes(
          [
            ['test', hclString(test)],
            ['variable', hclString(variable)],
            ['values', hclList(asList(values), c)],
          ],
          c,
        ),
        `${inner}}`,
      );
    }
  }
  lines.push('  }');
  return lines;
}

/** Block names: `leastpriv`, then `leastpriv_2`, ... for a policy split into several documents. */
export function terraformName(index: number): string {
  return index === 0 ? 'leastpriv' : `leastpriv_${index + 1}`;
}

export function renderTerraform(documents: readonly PolicyDocument[]): string {
  const blocks = documents.map((doc, i) => {
    const statements = doc.Statement.map((st) => statementBlock(st).join('\n'));
    return [
      `data "aws_iam_policy_document" "${terraformName(i)}" {`,
      ...(statements.length ? [statements.join('\n\n')] : []),
      '}',
    ].join('\n');
  });
  const names = documents.map((_, i) => `data.aws_iam_policy_document.${terraformName(i)}.json`);
  if (documents.length === 1) {
    const header = `# Written by leastpriv. Attach with: policy = ${names[0]}`;
    return `${header}\n${blocks.join('\n\n')}\n`;
  }
  // Several documents: each under the managed-policy size limit, attached one managed policy each.
  const header = [
    `# Written by leastpriv. The policy is split into ${documents.length} documents, each within the`,
    '# 6,144-character limit of a managed policy. Attach them all, for example to a role:',
    '#',
    '#   resource "aws_iam_policy" "leastpriv" {',
    '#     count       = length(local.leastpriv_policies)',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform interpolation, written as is
    '#     name_prefix = "leastpriv-${count.index + 1}-"',
    '#     policy      = local.leastpriv_policies[count.index]',
    '#   }',
    '#',
    '#   resource "aws_iam_role_policy_attachment" "leastpriv" {',
    '#     count      = length(aws_iam_policy.leastpriv)',
    '#     role       = aws_iam_role.example.name',
    '#     policy_arn = aws_iam_policy.leastpriv[count.index].arn',
    '#   }',
  ].join('\n');
  const locals = ['locals {', '  leastpriv_policies = [', ...names.map((n) => `    ${n},`), '  ]', '}'].join(
    '\n',
  );
  return `${header}\n${blocks.join('\n\n')}\n\n${locals}\n`;
}
