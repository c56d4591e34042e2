/** Helpers shared by the language scanners: folded values and what is unknown in them. */
import { type CallSite, type Language, UNKNOWN } from './types.js';

/** A folded value: strings (with `UNKNOWN` for unknown parts), numbers, booleans, lists, maps. */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

/** Where folding records what it could not know. */
export class Notes {
  readonly unknowns: string[] = [];
  /** The member being folded (`Key`, `Item.pk`), for the notes. */
  path: string[] = [];
  /** Records an unknown part and returns its placeholder (`UNKNOWN` + its number + `x`). */
  unknown(what: string): string {
    const where = this.path.length ? `${this.path.join('.')}: ` : '';
    const line = `${where}${what}`;
    let i = this.unknowns.indexOf(line);
    if (i < 0) i = this.unknowns.push(line) - 1;
    return `${UNKNOWN}${i}x`;
  }
  within<T>(key: string, f: () => T): T {
    this.path.push(key);
    try {
      return f();
    } finally {
      this.path.pop();
    }
  }
}

export function isRecord(v: Value | undefined): v is { [key: string]: Value } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A map with no prototype keys: member names from code are stored as own keys. */
export function record(): { [key: string]: Value } {
  return Object.create(null) as { [key: string]: Value };
}

/** A folded value as a string (numbers and booleans as the SDKs send them). */
export function asString(v: Value | undefined): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** `Object.create(null)` maps become plain objects again (for JSON and the authorize stage). */
export function plain(v: Value): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      Object.defineProperty(out, k, {
        value: plain(x),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}

/** Shortens a source expression for a note. */
export function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}

/** What every scanner records of a call site: the folded parameters as plain data, and what was unknown. */
export interface Site {
  file: string;
  line: number;
  language: Language;
  shape: string;
  service: string | null;
  operation: string | null;
  region: string | null;
  params: Value;
  notes: Notes;
  unresolved: CallSite['unresolved'];
  helper?: string | undefined;
}

export function callSite(site: Site): CallSite {
  return {
    file: site.file,
    line: site.line,
    language: site.language,
    shape: site.shape,
    ...(site.helper ? { helper: site.helper } : {}),
    service: site.service,
    operation: site.operation,
    region: site.region,
    params: isRecord(site.params) ? (plain(site.params) as Record<string, unknown>) : {},
    unknowns: [...site.notes.unknowns],
    unresolved: site.unresolved,
  };
}
