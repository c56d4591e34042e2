/** Reading operation parameters by path, as the curated rules name them. */

/** Where a path is read: the operation's parameters, and the current `each` element. */
export interface Scope {
  params: Record<string, unknown>;
  element?: unknown;
  key?: string;
}

/**
 * The value at a dotted path. `@` is the current element, `@.A.B` a field of it, `@key` the
 * key of the current map entry. Top-level names match case-insensitively when no exact key
 * exists (API models differ in casing between services).
 */
const split = new Map<string, { element: boolean; head: string; rest: string[] }>();

function parsePath(path: string): { element: boolean; head: string; rest: string[] } {
  let p = split.get(path);
  if (!p) {
    if (path === '@' || path.startsWith('@.')) {
      p = { element: true, head: '', rest: path === '@' ? [] : path.slice(2).split('.') };
    } else {
      const parts = path.split('.');
      p = { element: false, head: parts[0] ?? '', rest: parts.slice(1) };
    }
    split.set(path, p);
  }
  return p;
}

export function readPath(scope: Scope, path: string): unknown {
  if (path === '@key') return scope.key;
  const p = parsePath(path);
  let value: unknown = p.element ? scope.element : topLevel(scope.params, p.head);
  for (const part of p.rest) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function topLevel(params: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(params, name)) return params[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(params)) if (k.toLowerCase() === lower) return params[k];
  return undefined;
}

/** Present: not undefined, null, false, an empty string, list or map. */
export function present(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Scalar values of a parameter as strings: a string, a number, or a list of them. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (typeof value === 'number' || typeof value === 'bigint') return [String(value)];
  if (Array.isArray(value))
    return value.flatMap((v) => (typeof v === 'string' || typeof v === 'number' ? strings(v) : []));
  return [];
}

/** The scopes an `each` path expands into: one per list element or map entry. */
export function eachScopes(scope: Scope, path: string): Scope[] {
  const value = readPath(scope, path);
  if (Array.isArray(value)) return value.map((element) => ({ params: scope.params, element }));
  if (value && typeof value === 'object') {
    return Object.keys(value)
      .sort()
      .map((key) => ({ params: scope.params, element: (value as Record<string, unknown>)[key], key }));
  }
  return [];
}

/** Strings that look like ARNs among the top-level parameters (and lists of them). */
export function arnParams(params: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const v of Object.values(params)) {
    for (const s of strings(v)) if (s.startsWith('arn:')) out.push(s);
  }
  return out;
}
