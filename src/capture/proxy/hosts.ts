/**
 * The domains whose API traffic leastpriv intercepts: those of the registered providers
 * (`src/providers`). The CA's Name Constraints are built from this list too, so the CA can
 * never sign for anything else.
 */
import { INTERCEPTED_DOMAINS, providerOfHost } from '../../providers/index.js';

export { INTERCEPTED_DOMAINS };

/** True when `host` (no port) is one of the intercepted domains or below one. */
export function isIntercepted(host: string): boolean {
  return providerOfHost(host) !== null;
}
