/**
 * A small CBOR (RFC 8949) decoder for Smithy RPCv2 request bodies. Decodes the data model
 * Smithy uses: integers, floats, byte and text strings (definite and indefinite), arrays,
 * maps, tags (timestamps are tag 1) and simple values. Throws CborError on malformed or
 * truncated input.
 */

export class CborError extends Error {}

/** The input nests deeper than the decoder follows. */
export class CborDepthError extends CborError {}

const MAX_DEPTH = 64;
const tooDeep = () => new CborDepthError(`CBOR nested deeper than ${MAX_DEPTH} levels`);
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeCbor(bytes: Uint8Array): unknown {
  const reader = new Reader(bytes);
  const value = reader.item(0);
  if (reader.pos !== bytes.length) throw new CborError('trailing bytes after the CBOR item');
  return value;
}

const BREAK = Symbol('break');

class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new CborError('truncated CBOR');
  }

  private argument(info: number): number | bigint {
    if (info < 24) return info;
    switch (info) {
      case 24:
        this.need(1);
        return this.view.getUint8(this.pos++);
      case 25: {
        this.need(2);
        const v = this.view.getUint16(this.pos);
        this.pos += 2;
        return v;
      }
      case 26: {
        this.need(4);
        const v = this.view.getUint32(this.pos);
        this.pos += 4;
        return v;
      }
      case 27: {
        this.need(8);
        const v = this.view.getBigUint64(this.pos);
        this.pos += 8;
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      default:
        throw new CborError(`invalid additional information ${info}`);
    }
  }

  private length(info: number): number {
    const n = this.argument(info);
    if (typeof n !== 'number') throw new CborError('length too large');
    return n;
  }

  item(depth: number): unknown {
    const v = this.next(depth);
    if (v === BREAK) throw new CborError('unexpected break');
    return v;
  }

  private next(depth: number): unknown {
    if (depth > MAX_DEPTH) throw tooDeep();
    this.need(1);
    const initial = this.view.getUint8(this.pos++);
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
        return this.argument(info);
      case 1: {
        const n = this.argument(info);
        return typeof n === 'bigint' ? -1n - n : -1 - n;
      }
      case 2:
        return info === 31 ? this.indefinite(2, depth) : this.take(this.length(info));
      case 3:
        return info === 31 ? this.indefinite(3, depth) : this.text(this.length(info));
      case 4: {
        const out: unknown[] = [];
        if (info === 31) {
          for (let v = this.next(depth + 1); v !== BREAK; v = this.next(depth + 1)) out.push(v);
          return out;
        }
        const n = this.length(info);
        for (let i = 0; i < n; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        const out: Record<string, unknown> = {};
        const n = info === 31 ? Number.POSITIVE_INFINITY : this.length(info);
        for (let i = 0; i < n; i++) {
          const k = this.next(depth + 1);
          if (k === BREAK && info === 31) break;
          if (k === BREAK) throw new CborError('unexpected break');
          out[String(k)] = this.item(depth + 1);
        }
        return out;
      }
      case 6: {
        // tags (1: epoch-seconds timestamp) annotate the value; the value is what matters here
        this.argument(info);
        return this.item(depth + 1);
      }
      default:
        return this.simple(info);
    }
  }

  private simple(info: number): unknown {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
      case 23:
        return null;
      case 25: {
        this.need(2);
        const v = half(this.view.getUint16(this.pos));
        this.pos += 2;
        return v;
      }
      case 26: {
        this.need(4);
        const v = this.view.getFloat32(this.pos);
        this.pos += 4;
        return v;
      }
      case 27: {
        this.need(8);
        const v = this.view.getFloat64(this.pos);
        this.pos += 8;
        return v;
      }
      case 31:
        return BREAK;
      default:
        if (info === 24) {
          this.need(1);
          this.pos++;
          return null;
        }
        if (info < 20) return null;
        throw new CborError(`invalid simple value ${info}`);
    }
  }

  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private text(n: number): string {
    try {
      return utf8.decode(this.take(n));
    } catch (err) {
      if (err instanceof CborError) throw err;
      throw new CborError('invalid UTF-8 in a CBOR text string');
    }
  }

  private indefinite(major: 2 | 3, depth: number): Uint8Array | string {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      this.need(1);
      const initial = this.view.getUint8(this.pos);
      if (initial === 0xff) {
        this.pos++;
        break;
      }
      if (initial >> 5 !== major || (initial & 0x1f) === 31)
        throw new CborError('invalid indefinite-length chunk');
      this.pos++;
      const chunk = this.take(this.length(initial & 0x1f));
      chunks.push(chunk);
      total += chunk.length;
      if (depth > MAX_DEPTH) throw tooDeep();
    }
    const all = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      all.set(c, off);
      off += c.length;
    }
    if (major === 2) return all;
    try {
      return utf8.decode(all);
    } catch {
      throw new CborError('invalid UTF-8 in a CBOR text string');
    }
  }
}

function half(bits: number): number {
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * 2 ** -14 * (mant / 1024);
  if (exp === 31) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + mant / 1024);
}

/** Encodes an empty map: the body of a Smithy RPCv2 CBOR response with no members. */
export const EMPTY_CBOR_MAP: Uint8Array = Uint8Array.of(0xa0);
