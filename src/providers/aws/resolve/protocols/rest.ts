/**
 * REST-JSON and REST-XML: method + URI template (labels, greedy labels) + query literals +
 * required query and header members. Every matching route gets a score; the highest wins and
 * a tie is reported as such, never broken at random.
 */
import type { ApiService, RawOperation } from '../../../../catalog/api-index.js';

type Segment = { lit: string } | { label: string; greedy: boolean } | { re: RegExp; labels: string[] };

export interface Route {
  name: string;
  op: RawOperation;
  /** Where this binding puts the members (`op.l` unless the binding is a superseded one). */
  located: Readonly<Record<string, string>>;
  segments: Segment[];
  /** `[key, value]`, value null when only the key must be present. */
  literals: [string, string | null][];
  requiredQuery: string[];
  requiredHeaders: string[];
  literalSegments: number;
  greedy: boolean;
}

/**
 * Score, compared left to right: literal path segments, query literals, required members
 * present, non-greedy over greedy.
 */
export type Score = readonly [number, number, number, number];

export interface RestMatch {
  route: Route;
  score: Score;
  labels: Record<string, string>;
  /** Required query and header members the request lacks (0 for a full match). */
  missing: number;
}

/** An HTTP binding and the members it places in the query and headers. */
interface Binding {
  /** `METHOD /uri?literals`, as `RawOperation.h`. */
  h: string;
  l?: Readonly<Record<string, string>>;
  r?: readonly string[];
}

/**
 * Bindings that a newer model replaced. The index keeps each operation's newest binding (the
 * SDK v3 model's), but clients built on older models (the AWS CLI v1 and boto3 through
 * botocore, the aws-sdk v2) still send the old one, and the service still answers it. Each
 * one is one more route of its operation, with the members it locates. Found by comparing
 * every REST operation in the index with the latest aws-sdk v2 and botocore models.
 */
export const SUPERSEDED_BINDINGS: Readonly<Record<string, Readonly<Record<string, readonly Binding[]>>>> = {
  sesv2: {
    ListConfigurationSets: [
      { h: 'GET /v2/email/configuration-sets', l: { 'q:NextToken': 'NextToken', 'q:PageSize': 'PageSize' } },
    ],
    ListEmailIdentities: [
      { h: 'GET /v2/email/identities', l: { 'q:NextToken': 'NextToken', 'q:PageSize': 'PageSize' } },
    ],
  },
};

const cache = new WeakMap<ApiService, Map<string, Route[]>>();

function compile(svc: ApiService): Map<string, Route[]> {
  const byMethod = new Map<string, Route[]>();
  const add = (name: string, op: RawOperation, binding: Binding) => {
    const space = binding.h.indexOf(' ');
    const method = binding.h.slice(0, space);
    const uri = binding.h.slice(space + 1);
    const q = uri.indexOf('?');
    const path = q < 0 ? uri : uri.slice(0, q);
    const literals: [string, string | null][] = [];
    if (q >= 0) {
      for (const part of uri.slice(q + 1).split('&')) {
        if (!part) continue;
        const eq = part.indexOf('=');
        literals.push(eq < 0 ? [part, null] : [part.slice(0, eq), part.slice(eq + 1)]);
      }
    }
    const segments = splitPath(path).map(compileSegment);
    const required = binding.r ?? [];
    const route: Route = {
      name,
      op,
      located: binding.l ?? {},
      segments,
      literals,
      requiredQuery: required.filter((k) => k.startsWith('q:')).map((k) => k.slice(2)),
      requiredHeaders: required.filter((k) => k.startsWith('h:')).map((k) => k.slice(2)),
      literalSegments: segments.filter((s) => 'lit' in s).length,
      greedy: segments.some((s) => 'greedy' in s && s.greedy),
    };
    const list = byMethod.get(method);
    if (list) list.push(route);
    else byMethod.set(method, [route]);
  };
  const superseded = Object.hasOwn(SUPERSEDED_BINDINGS, svc.id) ? SUPERSEDED_BINDINGS[svc.id] : undefined;
  for (const name of Object.keys(svc.ops)) {
    const op = svc.ops[name] as RawOperation;
    if (op.h) add(name, op, { h: op.h, l: op.l, r: op.r });
    const older = superseded && Object.hasOwn(superseded, name) ? superseded[name] : undefined;
    for (const binding of older ?? []) if (binding.h !== op.h) add(name, op, binding);
  }
  return byMethod;
}

function compileSegment(seg: string): Segment {
  const whole = /^\{([^}]+?)(\+?)\}$/.exec(seg);
  if (whole) return { label: whole[1] as string, greedy: whole[2] === '+' };
  if (!seg.includes('{')) return { lit: seg };
  const labels: string[] = [];
  const source = seg
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{([^}+]+)\+?\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      labels.push(m[1] as string);
      return '(.+?)';
    })
    .join('');
  return { re: new RegExp(`^${source}$`), labels };
}

/** Path segments without the leading slash and without a trailing slash. */
export function splitPath(path: string): string[] {
  let p = path.startsWith('/') ? path.slice(1) : path;
  if (p.endsWith('/')) p = p.slice(0, -1);
  return p === '' ? [] : p.split('/');
}

function decode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function matchPath(route: Route, parts: readonly string[]): Record<string, string> | null {
  const labels: Record<string, string> = {};
  const segs = route.segments;
  let i = 0;
  for (let s = 0; s < segs.length; s++) {
    const seg = segs[s] as Segment;
    if ('lit' in seg) {
      const part = parts[i++];
      if (part === undefined || (part !== seg.lit && decode(part) !== seg.lit)) return null;
    } else if ('label' in seg) {
      if (seg.greedy) {
        const rest = segs.length - s - 1;
        const take = parts.length - i - rest;
        if (take < 1) return null;
        labels[seg.label] = decode(parts.slice(i, i + take).join('/'));
        i += take;
      } else {
        const part = parts[i++];
        if (part === undefined || part === '') return null;
        labels[seg.label] = decode(part);
      }
    } else {
      const part = parts[i++];
      const m = part === undefined ? null : seg.re.exec(decode(part));
      if (!m) return null;
      seg.labels.forEach((l, k) => {
        labels[l] = m[k + 1] as string;
      });
    }
  }
  return i === parts.length ? labels : null;
}

/**
 * Every route of the service whose path and query literals the request satisfies, with its
 * score and the number of required members it lacks.
 */
export function matchRest(
  svc: ApiService,
  method: string,
  path: string,
  query: URLSearchParams,
  headers: Readonly<Record<string, string>>,
): RestMatch[] {
  let routes = cache.get(svc);
  if (!routes) {
    routes = compile(svc);
    cache.set(svc, routes);
  }
  const candidates = routes.get(method);
  if (!candidates) return [];
  let p = path;
  if (svc.basePath && (p === svc.basePath || p.startsWith(`${svc.basePath}/`)))
    p = p.slice(svc.basePath.length);
  const parts = splitPath(p);
  const out: RestMatch[] = [];
  for (const route of candidates) {
    const labels = matchPath(route, parts);
    if (!labels) continue;
    if (!route.literals.every(([k, v]) => (v === null ? query.has(k) : query.get(k) === v))) continue;
    let present = 0;
    for (const k of route.requiredQuery) if (query.has(k)) present++;
    for (const h of route.requiredHeaders) if (headers[h] !== undefined) present++;
    const missing = route.requiredQuery.length + route.requiredHeaders.length - present;
    const score: Score = [route.literalSegments, route.literals.length, present, route.greedy ? 0 : 1];
    out.push({ route, score, labels, missing });
  }
  return out;
}

/** Compares scores: positive when `a` is more specific. */
export function compareScores(a: Score, b: Score): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
