/** IPv4 and IPv6 addresses and CIDR ranges, for the IpAddress condition operators. */
import { isIPv4, isIPv6 } from 'node:net';

/** An address as a big integer with its width in bits, or null when it is not an address. */
function parseAddress(text: string): { value: bigint; bits: 32 | 128 } | null {
  if (isIPv4(text)) {
    const value = text.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
    return { value, bits: 32 };
  }
  if (!isIPv6(text)) return null;
  let t = text;
  const lastColon = t.lastIndexOf(':');
  const tail = t.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An IPv4 tail (`::ffff:192.0.2.1`) is the last two groups.
    const p = tail.split('.').map(Number);
    const hi = (((p[0] ?? 0) << 8) | (p[1] ?? 0)).toString(16);
    const lo = (((p[2] ?? 0) << 8) | (p[3] ?? 0)).toString(16);
    t = `${t.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = t.split('::');
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16)));
  const l = parse(halves[0] ?? '');
  const r = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const groups = halves.length === 2 ? [...l, ...Array<number>(8 - l.length - r.length).fill(0), ...r] : l;
  if (groups.length !== 8) return null;
  const value = groups.reduce((n: bigint, g: number) => (n << 16n) | BigInt(g), 0n);
  return { value, bits: 128 };
}

/** Whether `address` lies in `range` (`203.0.113.0/24`, `2001:db8::/32`, or one address). */
export function ipInRange(address: string, range: string): boolean {
  const addr = parseAddress(address.trim());
  const slash = range.indexOf('/');
  const base = parseAddress((slash < 0 ? range : range.slice(0, slash)).trim());
  if (!addr || !base || addr.bits !== base.bits) return false;
  const prefix = slash < 0 ? base.bits : Number(range.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > base.bits) return false;
  const shift = BigInt(base.bits - prefix);
  return addr.value >> shift === base.value >> shift;
}
