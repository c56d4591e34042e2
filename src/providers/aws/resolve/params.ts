/** Request parameters by model member name, from form, JSON, XML and CBOR bodies. */

export type Params = Record<string, unknown>;

/**
 * How deep a request body may nest. No AWS input shape comes near it; a body that goes deeper
 * is built to exhaust the stack, and the members below this depth are left out (and said so).
 */
export const MAX_DEPTH = 64;

/** The warning of a body whose members below `MAX_DEPTH` were left out. */
export const tooDeep = (what: string, consequence = 'members below that depth are left out') =>
  `${what} body nested deeper than ${MAX_DEPTH} levels: ${consequence}`;

/** A value with every list or object nested deeper than `max` left out; null when none is. */
export function pruneDeep(value: unknown, max = MAX_DEPTH): unknown | null {
  return exceeds(value, max) ? prune(value, max) : null;
}

// Both recurse at most `max + 1` levels, whatever the input.
function exceeds(v: unknown, left: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (left === 0) return true;
  for (const x of Array.isArray(v) ? v : Object.values(v)) if (exceeds(x, left - 1)) return true;
  return false;
}

const isContainer = (v: unknown) => typeof v === 'object' && v !== null;

function prune(v: unknown, left: number): unknown {
  if (!isContainer(v)) return v;
  if (Array.isArray(v)) return v.filter((x) => left > 1 || !isContainer(x)).map((x) => prune(x, left - 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as object)) {
    if (left > 1 || !isContainer(x))
      Object.defineProperty(out, k, {
        value: prune(x, left - 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}

/** Form keys that carry the protocol, not a parameter. */
const FORM_PROTOCOL_KEYS = new Set(['Action', 'Version']);

/**
 * Query / EC2 form parameters: `Tags.member.1.Key=k` becomes `{Tags: [{Key: 'k'}]}`,
 * `Attributes.entry.1.key=a&Attributes.entry.1.value=b` becomes `{Attributes: {a: 'b'}}`,
 * EC2's `InstanceId.1=i-1` becomes `{InstanceId: ['i-1']}`. Top-level wire names are renamed to
 * member names with `renames`.
 */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The form keys nested deeper than `MAX_DEPTH` (`a.b.c...`), which `formParams` leaves out. */
export function formTooDeep(key: string): boolean {
  let dots = 0;
  for (let i = key.indexOf('.'); i >= 0; i = key.indexOf('.', i + 1)) if (++dots >= MAX_DEPTH) return true;
  return false;
}

export function formParams(
  form: Iterable<[string, string]>,
  renames: Readonly<Record<string, string>> = {},
): Params {
  const root: Record<string, unknown> = {};
  for (const [key, value] of form) {
    if (FORM_PROTOCOL_KEYS.has(key) || key.startsWith('X-Amz-') || formTooDeep(key)) continue;
    const parts = key.split('.');
    // A request can name any key: never let one reach an object's prototype.
    if (parts.some((p) => UNSAFE_KEYS.has(p))) continue;
    let node: Record<string, unknown> = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i] as string;
      let child = node[part];
      if (typeof child !== 'object' || child === null) {
        child = Object.create(null) as Record<string, unknown>;
        node[part] = child;
      }
      node = child as Record<string, unknown>;
    }
    node[parts[parts.length - 1] as string] = value;
  }
  const shaped = shape(root) as Params;
  return renameTop(shaped, renames);
}

function shape(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => shape(obj[String(k)]));
  }
  if (keys.length === 1 && (keys[0] === 'member' || keys[0] === 'item')) {
    const inner = shape(obj[keys[0]]);
    if (Array.isArray(inner)) return inner;
  }
  if (keys.length === 1 && keys[0] === 'entry') {
    const inner = shape(obj.entry);
    if (Array.isArray(inner)) return entriesToMap(inner);
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = shape(obj[k]);
  // keys never hold `__proto__`: formParams drops every key with such a segment
  return out;
}

function entriesToMap(entries: unknown[]): unknown {
  const out: Record<string, unknown> = {};
  for (const e of entries) {
    if (typeof e !== 'object' || e === null) return entries;
    const rec = e as Record<string, unknown>;
    const k = rec.key ?? rec.Key ?? rec.Name;
    if (typeof k !== 'string') return entries;
    // a map key is the request's own text: `__proto__` would set the map's prototype
    if (k !== '__proto__') out[k] = rec.value ?? rec.Value;
  }
  return out;
}

/** Renames top-level keys from wire names to member names. */
export function renameTop(params: Params, renames: Readonly<Record<string, string>>): Params {
  let out: Params | null = null;
  for (const [wire, member] of Object.entries(renames)) {
    if (!(wire in params)) continue;
    out ??= { ...params };
    out[member] = out[wire];
    delete out[wire];
  }
  return out ?? params;
}

/** A JSON object body, or null when the text is not one. */
export function jsonObject(text: string): Params | null {
  if (text.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Params) : null;
  } catch {
    return null;
  }
}

/** Byte strings become base64 text; bigints become numbers when exact, else text. */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}
