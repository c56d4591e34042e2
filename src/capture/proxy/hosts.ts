/**
 * The one list of domains whose API traffic leastpriv intercepts. The CA's Name Constraints
 * are built from this list too, so the CA can never sign for anything else.
 */
export const INTERCEPTED_DOMAINS = ['amazonaws.com', 'amazonaws.com.cn', 'api.aws'] as const;

/** True when `host` (no port) is one of the intercepted domains or below one. */
export function isIntercepted(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  for (const d of INTERCEPTED_DOMAINS) {
    if (h === d || h.endsWith(`.${d}`)) return true;
  }
  return false;
}
