/**
 * What of a request may be kept: secrets are removed here, at capture, so nothing downstream
 * (calls log, summaries, reports) can ever see them.
 */

/** Headers never kept: credentials, session tokens, customer-provided encryption keys. */
const DROPPED_HEADERS = new Set([
  'x-amz-security-token',
  'cookie',
  'proxy-authorization',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-copy-source-server-side-encryption-customer-key',
  'x-goog-api-key',
  'x-goog-iam-authorization-token',
  'x-goog-encryption-key',
  'x-goog-copy-source-encryption-key',
]);

/** Query parameters never kept: presigned signatures and tokens (SigV4, SigV2, Google's). */
const DROPPED_QUERY = new Set([
  'x-amz-signature',
  'x-amz-security-token',
  'signature',
  'securitytoken',
  'x-goog-signature',
  'access_token',
]);

/** Keeps the SigV4 credential scope and signed headers of an Authorization header, never the signature. */
export function sanitizeAuthorization(value: string): string {
  if (value.startsWith('AWS4-')) return value.replace(/,?\s*Signature=[0-9a-fA-F]*/, '');
  if (value.startsWith('AWS ')) return value.replace(/:.*$/, '');
  return value.split(' ')[0] ?? '';
}

/** Lower-case header map from Node's raw header list, with secrets removed. */
export function sanitizeHeaders(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (DROPPED_HEADERS.has(name)) continue;
    const value =
      name === 'authorization' ? sanitizeAuthorization(raw[i + 1] as string) : (raw[i + 1] as string);
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}

export function sanitizeQuery(query: string): string {
  if (query === '') return query;
  const parts = query.split('&');
  const kept = parts.filter((p) => {
    const eq = p.indexOf('=');
    const name = decodeURIComponentSafe(eq === -1 ? p : p.slice(0, eq)).toLowerCase();
    return !DROPPED_QUERY.has(name);
  });
  return kept.length === parts.length ? query : kept.join('&');
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Longest URI written to a log line. */
const LOGGED_URI_LIMIT = 200;
const PLAIN_NAME = /^[A-Za-z0-9._~-]{1,64}$/;

/**
 * A request target safe to log when it could not be parsed: no user info, no secret
 * parameters (as `sanitizeQuery`), no query value at all, no control characters, bounded.
 */
export function redactUri(uri: string): string {
  let s = uri.replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?').replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
  const q = s.indexOf('?');
  if (q !== -1) {
    const kept = sanitizeQuery(s.slice(q + 1));
    const names = kept === '' ? [] : kept.split('&');
    const shown = names.map((p) => {
      const eq = p.indexOf('=');
      const name = eq === -1 ? p : p.slice(0, eq);
      if (!PLAIN_NAME.test(name)) return '…';
      return eq === -1 ? name : `${name}=…`;
    });
    s = `${s.slice(0, q)}?${shown.join('&')}`;
  }
  return s.length > LOGGED_URI_LIMIT ? `${s.slice(0, LOGGED_URI_LIMIT)}…` : s;
}
