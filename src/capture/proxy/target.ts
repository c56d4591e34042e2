import { isIPv4, isIPv6 } from 'node:net';

/**
 * The target of a CONNECT request, checked once where it enters the proxy: everything past
 * this point (certificate issuing, tunnels, logs) may trust `host` to be a valid DNS name or an
 * IP address and `port` to be 1–65535.
 */
export type ConnectTarget = { ok: true; host: string; port: number } | { ok: false; reason: string };

/** Longest authority looked at: a 253-character name, brackets, a colon and a port. */
const MAX_AUTHORITY = 262;
const AUTHORITY = /^(?:\[([^\]]*)\]|([^:[\]]*)):([0-9]{1,5})$/;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

export function parseConnectTarget(authority: string): ConnectTarget {
  const bad = (why: string): ConnectTarget => ({ ok: false, reason: `CONNECT target ${why}` });
  if (authority.length > MAX_AUTHORITY)
    return bad(`is ${authority.length} characters long, over ${MAX_AUTHORITY}`);
  const m = AUTHORITY.exec(authority);
  if (!m) return bad('must be host:port (a DNS name, an IPv4 address or a bracketed IPv6 address)');
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return bad(`has port ${m[3]}, outside 1-65535`);
  if (m[1] !== undefined) {
    return isIPv6(m[1]) ? { ok: true, host: m[1].toLowerCase(), port } : bad('has an invalid IPv6 address');
  }
  const name = (m[2] as string).toLowerCase().replace(/\.$/, '');
  if (isIPv4(name)) return { ok: true, host: name, port };
  if (name === '') return bad('has no host name');
  if (name.length > 253) return bad(`has a host name of ${name.length} characters, over 253`);
  for (const label of name.split('.')) {
    if (label === '') return bad('has an empty label in its host name');
    if (label.length > 63) return bad(`has a host name label of ${label.length} characters, over 63`);
    if (!LABEL.test(label)) {
      return bad(
        'has a host name with characters other than letters, digits, - and _ (or a label starting or ending with -)',
      );
    }
  }
  return { ok: true, host: name, port };
}
