/**
 * IAM wildcard matching: `*` matches any run of characters, `?` any one character. Text that came
 * from a policy variable (`${aws:username}`, `${*}`) is literal: its `*` and `?` match themselves.
 *
 * Matching is the classic two-pointer glob walk: on a mismatch it returns to the last `*` and lets
 * it take one more character. At most O(pattern × value) steps, never exponential (a backtracking
 * RegExp took 51 s for 11 wildcards against a 40-character key). Characters are UTF-16 code
 * units, and case-insensitive comparison folds them as a non-Unicode `i` RegExp does.
 */

/** A pattern after variable substitution: literal pieces and pieces that may hold wildcards. */
export type Pattern = readonly { text: string; literal: boolean }[];

const STAR = -1;
const ONE = -2;

/** Code units, with STAR and ONE for the wildcards of non-literal pieces. */
function tokens(pattern: Pattern, ignoreCase: boolean): Int32Array {
  let length = 0;
  for (const piece of pattern) length += piece.text.length;
  const out = new Int32Array(length);
  let n = 0;
  for (const piece of pattern) {
    const text = piece.text;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!piece.literal && c === 42 /* * */) {
        // a run of stars is one star
        if (n > 0 && out[n - 1] === STAR) continue;
        out[n++] = STAR;
      } else if (!piece.literal && c === 63 /* ? */) out[n++] = ONE;
      else out[n++] = ignoreCase ? fold(c) : c;
    }
  }
  return out.subarray(0, n);
}

const folded = new Map<number, number>();

/** A code unit's case-insensitive form, as a RegExp with the `i` flag and no `u` compares them. */
function fold(c: number): number {
  if (c < 128) return c >= 97 && c <= 122 ? c - 32 : c;
  const hit = folded.get(c);
  if (hit !== undefined) return hit;
  const upper = String.fromCharCode(c).toUpperCase();
  const u = upper.length === 1 ? upper.charCodeAt(0) : c;
  const out = u < 128 ? c : u;
  folded.set(c, out);
  return out;
}

function walk(p: Int32Array, value: string, ignoreCase: boolean): boolean {
  let pi = 0;
  let vi = 0;
  let star = -1;
  let resume = 0;
  const n = value.length;
  while (vi < n) {
    const t = pi < p.length ? (p[pi] as number) : null;
    if (t === STAR) {
      star = pi++;
      resume = vi;
      continue;
    }
    if (t !== null) {
      const c = value.charCodeAt(vi);
      if (t === ONE || t === (ignoreCase ? fold(c) : c)) {
        pi++;
        vi++;
        continue;
      }
    }
    if (star < 0) return false;
    pi = star + 1;
    vi = ++resume;
  }
  while (pi < p.length && p[pi] === STAR) pi++;
  return pi === p.length;
}

const cache = new Map<string, Int32Array>();

function compile(pattern: Pattern, ignoreCase: boolean): Int32Array {
  const plain = pattern.length === 1 && !pattern[0]?.literal;
  const key = plain ? `${ignoreCase ? 'i' : 's'}${pattern[0]?.text}` : null;
  const hit = key === null ? undefined : cache.get(key);
  if (hit) return hit;
  const p = tokens(pattern, ignoreCase);
  if (key !== null) {
    if (cache.size > 10_000) cache.clear();
    cache.set(key, p);
  }
  return p;
}

/** Whether `value` matches the pattern as a whole. */
export function globMatch(pattern: Pattern, value: string, ignoreCase = false): boolean {
  if (pattern.length === 1 && !pattern[0]?.literal) {
    const text = pattern[0]?.text ?? '';
    if (text === '*') return true;
    if (!/[*?]/.test(text)) return ignoreCase ? text.toLowerCase() === value.toLowerCase() : text === value;
  }
  return walk(compile(pattern, ignoreCase), value, ignoreCase);
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
