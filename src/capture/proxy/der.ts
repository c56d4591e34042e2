/**
 * A minimal ASN.1 DER encoder: just what X.509 certificates need. Every function returns the
 * complete encoding (tag, length, content) of one value, so values compose by nesting calls.
 * A small reader at the end walks already-encoded structures (to find a certificate's names).
 * Pure: no I/O.
 */

/** Tag numbers of the universal types used here. */
export const Tag = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

const CONSTRUCTED = 0x20;
const CONTEXT = 0x80;

/** The DER length octets: short form below 128, else long form with minimal length bytes. */
export function encodeLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid DER length ${length}`);
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One tag-length-value triple. `tag` is the full identifier octet (class, form and number). */
export function tlv(tag: number, content: Uint8Array): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new RangeError(`unsupported DER tag ${tag}`);
  }
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(Tag.sequence, Buffer.concat(items));
}

/** SET OF: DER requires the elements in ascending order of their encodings. */
export function set(...items: Uint8Array[]): Buffer {
  const sorted = items.map((i) => Buffer.from(i)).sort(Buffer.compare);
  return tlv(Tag.set, Buffer.concat(sorted));
}

/**
 * INTEGER in minimal two's complement. A bigint or number may be negative; a Buffer is read as
 * an unsigned big-endian magnitude (a leading 0x00 is added when its top bit is set).
 */
export function integer(value: bigint | number | Uint8Array): Buffer {
  if (value instanceof Uint8Array) {
    let i = 0;
    while (i < value.length - 1 && value[i] === 0) i++;
    const magnitude = Buffer.from(value.subarray(i));
    if (magnitude.length === 0) return tlv(Tag.integer, Buffer.from([0]));
    const pad = (magnitude[0] ?? 0) & 0x80 ? Buffer.from([0]) : Buffer.alloc(0);
    return tlv(Tag.integer, Buffer.concat([pad, magnitude]));
  }
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError(`INTEGER needs a safe integer, got ${value}`);
  }
  let v = BigInt(value);
  const bytes: number[] = [];
  // Emit bytes from the least significant end until the remaining value is pure sign extension
  // and the top emitted bit agrees with the sign.
  for (;;) {
    const byte = Number(v & 0xffn);
    bytes.unshift(byte);
    v >>= 8n;
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
  }
  return tlv(Tag.integer, Buffer.from(bytes));
}

/** OBJECT IDENTIFIER from dotted decimal ("1.2.840.10045.4.3.2"). */
export function oid(dotted: string): Buffer {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new Error(`invalid OID "${dotted}"`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first = 0n, second = 0n, ...rest] = arcs;
  if (first < 2n && second > 39n) throw new Error(`invalid OID "${dotted}": second arc above 39`);
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let a = arc >> 7n; a > 0n; a >>= 7n) chunk.unshift(Number(a & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return tlv(Tag.oid, Buffer.from(out));
}

export function utf8String(s: string): Buffer {
  return tlv(Tag.utf8String, Buffer.from(s, 'utf8'));
}

export function printableString(s: string): Buffer {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s)) throw new Error(`not a PrintableString: "${s}"`);
  return tlv(Tag.printableString, Buffer.from(s, 'latin1'));
}

export function ia5String(s: string): Buffer {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: IA5 is exactly 7-bit ASCII
  if (!/^[\x00-\x7f]*$/.test(s)) throw new Error(`not an IA5String: "${s}"`);
  return tlv(Tag.ia5String, Buffer.from(s, 'latin1'));
}

/** BIT STRING; `unusedBits` (0-7) are the trailing bits of the last byte, which must be zero. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) {
    throw new RangeError(`unused bits must be 0-7, got ${unusedBits}`);
  }
  if (bytes.length === 0 && unusedBits !== 0) throw new RangeError('empty BIT STRING with unused bits');
  const last = bytes[bytes.length - 1] ?? 0;
  if ((last & ((1 << unusedBits) - 1)) !== 0) throw new RangeError('unused bits of a BIT STRING must be 0');
  return tlv(Tag.bitString, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/** A named-bit BIT STRING (e.g. KeyUsage): bit 0 is the most significant; trailing zeros dropped. */
export function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return bitString(Buffer.alloc(0));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const b of bits) {
    if (!Number.isInteger(b) || b < 0) throw new RangeError(`invalid bit number ${b}`);
    bytes[b >> 3] = (bytes[b >> 3] ?? 0) | (0x80 >> (b & 7));
  }
  return bitString(bytes, 7 - (highest & 7));
}

export function octetString(bytes: Uint8Array): Buffer {
  return tlv(Tag.octetString, bytes);
}

export function boolean(value: boolean): Buffer {
  return tlv(Tag.boolean, Buffer.from([value ? 0xff : 0x00]));
}

export function nullValue(): Buffer {
  return tlv(Tag.null, Buffer.alloc(0));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function timeDigits(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  return (
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2)
  );
}

/** UTCTime YYMMDDHHMMSSZ (RFC 5280: seconds always present, always Z, years 1950-2049). */
export function utcTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime covers 1950-2049, got ${year}`);
  return tlv(Tag.utcTime, Buffer.from(`${pad(year % 100, 2)}${timeDigits(date)}Z`, 'latin1'));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280: no fractional seconds, always Z). */
export function generalizedTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`GeneralizedTime covers 0000-9999, got ${year}`);
  return tlv(Tag.generalizedTime, Buffer.from(`${pad(year, 4)}${timeDigits(date)}Z`, 'latin1'));
}

/** An X.509 Time: UTCTime through 2049, GeneralizedTime from 2050 on (RFC 5280 4.1.2.5). */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  return year >= 1950 && year <= 2049 ? utcTime(date) : generalizedTime(date);
}

/** [n] EXPLICIT: a constructed context-specific wrapper around one complete encoding. */
export function explicit(tagNumber: number, inner: Uint8Array): Buffer {
  checkTagNumber(tagNumber);
  return tlv(CONTEXT | CONSTRUCTED | tagNumber, inner);
}

/** [n] IMPLICIT: `encoded` with its tag replaced, keeping its primitive/constructed form. */
export function implicit(tagNumber: number, encoded: Uint8Array): Buffer {
  checkTagNumber(tagNumber);
  const first = encoded[0];
  if (first === undefined) throw new Error('IMPLICIT needs an encoded value');
  const out = Buffer.from(encoded);
  out[0] = CONTEXT | (first & CONSTRUCTED) | tagNumber;
  return out;
}

function checkTagNumber(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new RangeError(`context tag must be 0-30, got ${n}`);
}

/** One decoded element: its identifier octet and where its header and content lie in `buf`. */
export interface Element {
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

/** Reads the element at `offset` (DER definite lengths only); throws on truncation. */
export function readElement(buf: Uint8Array, offset = 0): Element {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined) throw new Error(`DER truncated at ${offset}`);
  if ((tag & 0x1f) === 0x1f) throw new Error(`DER high tag numbers are not supported (at ${offset})`);
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error(`DER length form not supported (at ${offset})`);
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = buf[contentStart + i];
      if (b === undefined) throw new Error(`DER truncated at ${offset}`);
      length = length * 256 + b;
    }
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > buf.length) throw new Error(`DER element at ${offset} runs past the end`);
  return { tag, start: offset, contentStart, end };
}

/** The elements directly inside a constructed element. */
export function readChildren(buf: Uint8Array, parent: Element): Element[] {
  const children: Element[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readElement(buf, at);
    if (child.end > parent.end) throw new Error(`DER element at ${at} runs past its parent`);
    children.push(child);
    at = child.end;
  }
  return children;
}
