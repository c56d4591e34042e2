/**
 * Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`): replaced by
 * values from the request context. Only policies of version 2012-10-17 have variables; in older
 * ones `${...}` is plain text.
 */

import type { Context } from './context.js';
import type { Pattern } from './wildcard.js';

const VARIABLE = /\$\{([^}]*)\}/g;
const SPECIAL: Record<string, string> = { '*': '*', '?': '?', $: '$' };

/**
 * The pattern with its variables replaced, or null when a variable has no single value in the
 * context and no default (the text then matches nothing).
 */
export function substitute(text: string, context: Context, variables: boolean): Pattern | null {
  if (!variables || !text.includes('${')) return [{ text, literal: false }];
  const out: { text: string; literal: boolean }[] = [];
  let last = 0;
  for (const m of text.matchAll(VARIABLE)) {
    if (m.index > last) out.push({ text: text.slice(last, m.index), literal: false });
    last = m.index + m[0].length;
    const value = resolve(m[1] ?? '', context);
    if (value === null) return null;
    out.push({ text: value, literal: true });
  }
  if (last < text.length) out.push({ text: text.slice(last), literal: false });
  return out;
}

function resolve(inner: string, context: Context): string | null {
  const body = inner.trim();
  const special = SPECIAL[body];
  if (special !== undefined) return special;
  const comma = /^([^,]+?)\s*,\s*'([^']*)'$/.exec(body);
  const key = comma ? (comma[1] ?? '') : body;
  const value = context.get(key);
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1) return value[0] ?? null;
  return comma ? (comma[2] ?? '') : null;
}

/** The substituted text, for comparisons without wildcards (null: no value). */
export function substituteText(text: string, context: Context, variables: boolean): string | null {
  const p = substitute(text, context, variables);
  return p === null ? null : p.map((x) => x.text).join('');
}

/**
 * The resource a recorded requirement names, as the request had it: leastpriv writes a request's
 * `*`, `?` and `$` as IAM's escapes (`${*}`, `${?}`, `${$}`) in the ARNs it records.
 */
export function unescapeResource(text: string): string {
  return text.includes('${') ? text.replace(/\$\{([*?$])\}/g, '$1') : text;
}
