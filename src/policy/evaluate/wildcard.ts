/**
 * IAM wildcard matching: `*` matches any run of characters, `?` any one character. Text that came
 * from a policy variable (`${aws:username}`, `${*}`) is literal: its `*` and `?` match themselves.
 */

/** A pattern after variable substitution: literal pieces and pieces that may hold wildcards. */
export type Pattern = readonly { text: string; literal: boolean }[];

const cache = new Map<string, RegExp>();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function source(pattern: Pattern): string {
  let out = '';
  for (const piece of pattern) {
    if (piece.literal) out += escapeRegExp(piece.text);
    else out += escapeRegExp(piece.text).replace(/\\\*/g, '.*').replace(/\\\?/g, '.');
  }
  return out;
}

function compile(pattern: Pattern, ignoreCase: boolean): RegExp {
  const plain = pattern.length === 1 && !pattern[0]?.literal;
  const key = plain ? `${ignoreCase ? 'i' : 's'}${pattern[0]?.text}` : null;
  const hit = key === null ? undefined : cache.get(key);
  if (hit) return hit;
  const re = new RegExp(`^${source(pattern)}$`, ignoreCase ? 'is' : 's');
  if (key !== null) {
    if (cache.size > 10_000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

/** Whether `value` matches the pattern as a whole. */
export function globMatch(pattern: Pattern, value: string, ignoreCase = false): boolean {
  if (pattern.length === 1 && !pattern[0]?.literal) {
    const text = pattern[0]?.text ?? '';
    if (text === '*') return true;
    if (!/[*?]/.test(text)) return ignoreCase ? text.toLowerCase() === value.toLowerCase() : text === value;
  }
  return compile(pattern, ignoreCase).test(value);
}

/** A pattern with no variables. */
export function plain(text: string): Pattern {
  return [{ text, literal: false }];
}

/** Splits a pattern at the first five `:` (the ARN fields), keeping literal pieces literal. */
export function splitArnPattern(pattern: Pattern): Pattern[] {
  const fields: { text: string; literal: boolean }[][] = [[]];
  for (const piece of pattern) {
    let rest = piece.text;
    while (fields.length < 6) {
      const i = rest.indexOf(':');
      if (i < 0) break;
      fields[fields.length - 1]?.push({ text: rest.slice(0, i), literal: piece.literal });
      fields.push([]);
      rest = rest.slice(i + 1);
    }
    fields[fields.length - 1]?.push({ text: rest, literal: piece.literal });
  }
  return fields;
}

/** An ARN's six fields (the last keeps any further `:`), or null when it has fewer than six. */
export function arnFields(arn: string): string[] | null {
  const out: string[] = [];
  let start = 0;
  for (let n = 0; n < 5; n++) {
    const i = arn.indexOf(':', start);
    if (i < 0) return null;
    out.push(arn.slice(start, i));
    start = i + 1;
  }
  out.push(arn.slice(start));
  return out;
}

/**
 * ARN matching as in Resource elements and the Arn condition operators: field by field, each
 * field with wildcards. A policy ARN with fewer than six fields has `*` for the missing ones.
 */
export function arnMatch(pattern: Pattern, arn: string): boolean {
  const fields = arnFields(arn);
  if (!fields) return false;
  const parts = splitArnPattern(pattern);
  while (parts.length < 6) parts.push(plain('*'));
  return parts.every((p, i) => globMatch(p, fields[i] ?? ''));
}
