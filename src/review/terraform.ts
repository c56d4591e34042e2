/**
 * The leastpriv-owned `data "aws_iam_policy_document" "<label>"` block of a Terraform file: where
 * it starts and ends, and the file with only that block rewritten. Every other byte of the file
 * (comments, other blocks, the lines around it, line endings) stays as it was. Pure.
 */
import type { PolicyDocument } from '../model/index.js';
import { renderTerraform } from '../output/terraform.js';

export interface BlockRange {
  /** Offset of the `data` keyword. */
  start: number;
  /** Offset just after the block's closing `}`. */
  end: number;
}

export class BlockScanError extends Error {}

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const LABEL = /"((?:[^"\\\n]|\\.)*)"/y;

/** Skips a quoted string (from its opening quote), with `${...}` and `%{...}` templates. */
function skipString(s: string, i: number): number {
  let k = i + 1;
  while (k < s.length) {
    const c = s[k];
    if (c === '\\') k += 2;
    else if (c === '"') return k + 1;
    else if (c === '\n') throw new BlockScanError(`a string is not closed at offset ${i}`);
    else if ((c === '$' || c === '%') && s[k + 1] === '{') {
      if (s[k - 1] === c && s[k - 2] !== c) {
        // `$${` / `%%{`: a literal, not a template
        k += 2;
        continue;
      }
      k = skipBraces(s, k + 1);
    } else k++;
  }
  throw new BlockScanError(`a string is not closed at offset ${i}`);
}

/** Skips a heredoc (from `<<`); returns the offset after its closing marker line. */
function skipHeredoc(s: string, i: number): number | null {
  const m = /<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n/y;
  m.lastIndex = i;
  const h = m.exec(s);
  if (!h) return null;
  const marker = h[1] as string;
  let k = i + h[0].length;
  while (k < s.length) {
    const nl = s.indexOf('\n', k);
    const line = s.slice(k, nl < 0 ? s.length : nl);
    if (line.trim() === marker) return nl < 0 ? s.length : nl;
    if (nl < 0) break;
    k = nl + 1;
  }
  throw new BlockScanError(`the heredoc ${marker} is not closed`);
}

/** Skips a comment at `i`, or returns null when there is none. */
function skipComment(s: string, i: number): number | null {
  const c = s[i];
  if (c === '#' || (c === '/' && s[i + 1] === '/')) {
    const nl = s.indexOf('\n', i);
    return nl < 0 ? s.length : nl;
  }
  if (c === '/' && s[i + 1] === '*') {
    const end = s.indexOf('*/', i + 2);
    if (end < 0) throw new BlockScanError('a /* comment is not closed');
    return end + 2;
  }
  return null;
}

/** From an opening `{`: the offset after its matching `}`. */
function skipBraces(s: string, open: number): number {
  let depth = 0;
  let k = open;
  while (k < s.length) {
    const c = s[k] as string;
    const comment = skipComment(s, k);
    if (comment !== null) {
      k = comment;
      continue;
    }
    if (c === '"') {
      k = skipString(s, k);
      continue;
    }
    if (c === '<' && s[k + 1] === '<') {
      const h = skipHeredoc(s, k);
      if (h !== null) {
        k = h;
        continue;
      }
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return k + 1;
    }
    k++;
  }
  throw new BlockScanError('a block is not closed: check the braces');
}

/** The top-level `data "aws_iam_policy_document" "<label>"` block, or null when there is none. */
export function findPolicyDocumentBlock(text: string, label: string): BlockRange | null {
  let k = 0;
  let found: BlockRange | null = null;
  while (k < text.length) {
    const c = text[k] as string;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      k++;
      continue;
    }
    const comment = skipComment(text, k);
    if (comment !== null) {
      k = comment;
      continue;
    }
    IDENT.lastIndex = k;
    const word = IDENT.exec(text);
    if (!word) throw new BlockScanError(`unexpected '${c}' at offset ${k}`);
    const start = k;
    k += word[0].length;
    const labels: string[] = [];
    for (;;) {
      while (text[k] === ' ' || text[k] === '\t') k++;
      LABEL.lastIndex = k;
      const l = LABEL.exec(text);
      if (!l) break;
      labels.push(l[1] as string);
      k += l[0].length;
    }
    while (text[k] === ' ' || text[k] === '\t') k++;
    if (text[k] === '{') {
      const end = skipBraces(text, k);
      if (word[0] === 'data' && labels[0] === 'aws_iam_policy_document' && labels[1] === label) {
        if (found) throw new BlockScanError(`data "aws_iam_policy_document" "${label}" is defined twice`);
        found = { start, end };
      }
      k = end;
      continue;
    }
    if (text[k] === '=') {
      // A top-level attribute (not valid Terraform, but skip it to the end of its line).
      const nl = text.indexOf('\n', k);
      k = nl < 0 ? text.length : nl;
      continue;
    }
    throw new BlockScanError(`unexpected text after '${word[0]}' at offset ${k}`);
  }
  return found;
}

/** The block for one document, named `label`, as `terraform fmt` writes it (no trailing newline). */
export function renderPolicyDocumentBlock(document: PolicyDocument, label: string): string {
  const text = renderTerraform([document]);
  const at = text.indexOf('data "aws_iam_policy_document" "leastpriv" {');
  const block = text.slice(at).replace(/\n$/, '');
  return `data "aws_iam_policy_document" "${label}" {${block.slice(block.indexOf('{') + 1)}`;
}

/** The file with the block replaced; every byte outside the block is kept. */
export function replacePolicyDocumentBlock(
  text: string,
  range: BlockRange,
  document: PolicyDocument,
  label: string,
): string {
  let block = renderPolicyDocumentBlock(document, label);
  // A file written with CRLF line endings keeps them.
  if (text.slice(range.start, range.end).includes('\r\n')) block = block.replace(/\n/g, '\r\n');
  return `${text.slice(0, range.start)}${block}${text.slice(range.end)}`;
}

/**
 * The file with statements appended at the end of the block: the statements already there stay
 * byte for byte (their interpolations, comments and layout included).
 */
export function appendToPolicyDocumentBlock(
  text: string,
  range: BlockRange,
  statements: PolicyDocument['Statement'],
  label: string,
): string {
  const rendered = renderPolicyDocumentBlock({ Version: '2012-10-17', Statement: statements }, label);
  let inner = rendered.slice(rendered.indexOf('\n') + 1, rendered.length - 1);
  const close = range.end - 1;
  const crlf = text.slice(range.start, range.end).includes('\r\n');
  const head = text.slice(0, close);
  const empty = head.trimEnd().endsWith('{');
  if (crlf) inner = inner.replace(/\n/g, '\r\n');
  const nl = crlf ? '\r\n' : '\n';
  const before = empty ? `${head.trimEnd()}${nl}` : `${head.replace(/[ \t]*$/, '')}${nl}`;
  return `${before}${inner}${text.slice(close)}`;
}
