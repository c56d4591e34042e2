/**
 * The shapes CloudTrail records arrive in, validated once here: log files as delivered to S3
 * (`{"Records": [...]}`), `aws cloudtrail lookup-events` output (`{"Events": [{"CloudTrailEvent":
 * "<json>"}]}`), CloudTrail Lake query results (`{"QueryResultRows": [[{"col": value}...]]}`),
 * a JSON array of records, one record per line (NDJSON), or a single record.
 */
import { BACKSLASH, CLOSE_ARR, CLOSE_OBJ, OPEN_ARR, OPEN_OBJ, QUOTE } from './json-chars.js';
import { type IdentityFields, identityFields, type UserIdentity } from './principal.js';

/**
 * How deep request parameters and resources may nest (the top-level object is 1). Real records
 * nest a dozen levels at most; deeper ones are hostile or broken, and reading them would
 * exhaust the stack: they are counted and left out.
 */
export const MAX_DEPTH = 100;

/** Whether a JSON text nests deeper than `limit`. Iterative: any depth is safe to check. */
export function nestsDeeper(text: string, limit = MAX_DEPTH): boolean {
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) depth--;
  }
  return false;
}

/** Whether a parsed value nests deeper than `limit`. Iterative, stops at the first too deep. */
export function valueNestsDeeper(value: unknown, limit = MAX_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [v, depth] = top;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(v))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * A record as the aggregation reads it: its strings, the identity's fields, and the request
 * parameters and resources as JSON text (parsed only for records that are not folded into a
 * call already seen). Read straight from the text by `scan.ts`, or from a parsed record.
 */
export interface TrailEvent {
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  eventType: string | undefined;
  recipientAccountId: string | undefined;
  errorCode: string | undefined;
  apiVersion: string | undefined;
  identity: IdentityFields;
  /** JSON text; undefined when absent or null. */
  requestParameters: string | undefined;
  /** JSON text of `resources[]`; undefined when absent or null. */
  resources: string | undefined;
  /** Set when the request parameters or resources nest deeper than MAX_DEPTH (then both are left out). */
  tooDeep?: true;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const text = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : JSON.stringify(v);

/** The event of a parsed record. */
export function trailEvent(r: TrailRecord): TrailEvent {
  const tooDeep = valueNestsDeeper(r.requestParameters) || valueNestsDeeper(r.resources);
  return {
    eventTime: r.eventTime,
    eventSource: r.eventSource,
    eventName: r.eventName,
    awsRegion: r.awsRegion,
    eventType: str(r.eventType),
    recipientAccountId: str(r.recipientAccountId),
    errorCode: str(r.errorCode),
    apiVersion: str(r.apiVersion),
    identity: identityFields(r.userIdentity),
    requestParameters: tooDeep ? undefined : text(r.requestParameters),
    resources: tooDeep ? undefined : text(r.resources),
    ...(tooDeep ? { tooDeep } : {}),
  };
}

/** A CloudTrail record with the fields leastpriv reads; the guard below checks the required ones. */
export interface TrailRecord {
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  eventType?: string;
  recipientAccountId?: string;
  errorCode?: string;
  apiVersion?: string;
  userIdentity?: UserIdentity;
  requestParameters?: Record<string, unknown> | null;
  resources?: { ARN?: string; type?: string; accountId?: string }[];
}

/** The array of records inside a document, by the key that holds it. */
export const CONTAINER_KEYS = ['Records', 'Events', 'QueryResultRows'] as const;
export type ContainerKind = (typeof CONTAINER_KEYS)[number] | 'array' | 'single';

export function isTrailRecord(v: unknown): v is TrailRecord {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.eventSource === 'string' &&
    typeof r.eventName === 'string' &&
    typeof r.eventTime === 'string' &&
    typeof r.awsRegion === 'string'
  );
}

/** One element of a container as a record, or null when it is not one. */
export function elementRecord(kind: ContainerKind, element: unknown): TrailRecord | null {
  switch (kind) {
    case 'Events': {
      const text = (element as { CloudTrailEvent?: unknown } | null)?.CloudTrailEvent;
      if (typeof text !== 'string') return null;
      try {
        const parsed: unknown = JSON.parse(text);
        return isTrailRecord(parsed) ? parsed : null;
      } catch {
        return null;
      }
    }
    case 'QueryResultRows':
      try {
        return Array.isArray(element) ? lakeRow(element) : null;
      } catch {
        // A cell nested too deep for the Lake notation's reader: not a record it can use.
        return null;
      }
    default:
      return isTrailRecord(element) ? element : null;
  }
}

/**
 * The container a parsed document holds: its kind and elements, or null when the document
 * is not CloudTrail at all.
 */
export function documentElements(doc: unknown): { kind: ContainerKind; elements: unknown[] } | null {
  if (Array.isArray(doc)) {
    if (doc.length === 0) return { kind: 'array', elements: doc };
    return isTrailRecord(doc[0]) ? { kind: 'array', elements: doc } : null;
  }
  if (doc === null || typeof doc !== 'object') return null;
  const d = doc as Record<string, unknown>;
  for (const key of CONTAINER_KEYS) {
    const list = d[key];
    if (Array.isArray(list)) return { kind: key, elements: list };
  }
  return isTrailRecord(doc) ? { kind: 'single', elements: [doc] } : null;
}

// ---------------------------------------------------------------------------------------------
// CloudTrail Lake rows: one object per column; structs and maps print as `{key=value, ...}`.

const LAKE_KEYS: Record<string, string> = {
  accountid: 'accountId',
  principalid: 'principalId',
  username: 'userName',
  invokedby: 'invokedBy',
  sessioncontext: 'sessionContext',
  sessionissuer: 'sessionIssuer',
  arn: 'arn',
  type: 'type',
};

function lakeRow(row: unknown[]): TrailRecord | null {
  const r: Record<string, unknown> = {};
  for (const cell of row) {
    if (cell === null || typeof cell !== 'object') continue;
    for (const [k, v] of Object.entries(cell)) r[k] = v;
  }
  for (const key of ['userIdentity', 'requestParameters', 'resources']) {
    if (typeof r[key] === 'string') r[key] = parseLakeValue(r[key] as string);
  }
  if (r.userIdentity && typeof r.userIdentity === 'object') r.userIdentity = recase(r.userIdentity);
  if (Array.isArray(r.resources)) {
    r.resources = r.resources.map((x) =>
      x && typeof x === 'object'
        ? { ...(x as object), ARN: (x as Record<string, unknown>).arn ?? (x as Record<string, unknown>).ARN }
        : x,
    );
  }
  if (typeof r.eventTime === 'string' && !r.eventTime.includes('T')) {
    r.eventTime = `${r.eventTime.replace(' ', 'T').replace(/\.\d+$/, '')}Z`;
  }
  return isTrailRecord(r) ? r : null;
}

function recase(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(recase);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[LAKE_KEYS[k.toLowerCase()] ?? k] = recase(x);
  return out;
}

/** A Lake cell: JSON when it is JSON, else the `{k=v, k2={...}}` / `[a, b]` notation. */
export function parseLakeValue(text: string): unknown {
  const t = text.trim();
  if (t === 'null' || t === '') return null;
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t);
    } catch {
      // Lake's own notation, below
    }
    const p = { s: t, i: 0 };
    return value(p);
  }
  return t;
}

function value(p: { s: string; i: number }): unknown {
  while (p.s[p.i] === ' ') p.i++;
  const c = p.s[p.i];
  if (c === '{') {
    p.i++;
    const out: Record<string, unknown> = {};
    while (p.i < p.s.length && p.s[p.i] !== '}') {
      while (p.s[p.i] === ' ' || p.s[p.i] === ',') p.i++;
      if (p.s[p.i] === '}') break;
      const eq = p.s.indexOf('=', p.i);
      if (eq < 0) break;
      const key = p.s.slice(p.i, eq).trim();
      p.i = eq + 1;
      out[key] = value(p);
    }
    p.i++;
    return out;
  }
  if (c === '[') {
    p.i++;
    const out: unknown[] = [];
    while (p.i < p.s.length && p.s[p.i] !== ']') {
      while (p.s[p.i] === ' ' || p.s[p.i] === ',') p.i++;
      if (p.s[p.i] === ']') break;
      out.push(value(p));
    }
    p.i++;
    return out;
  }
  let depth = 0;
  const start = p.i;
  while (p.i < p.s.length) {
    const ch = p.s[p.i];
    if (ch === '{' || ch === '[') depth++;
    else if ((ch === '}' || ch === ']') && depth > 0) depth--;
    else if ((ch === ',' || ch === '}' || ch === ']') && depth === 0) break;
    p.i++;
  }
  const raw = p.s.slice(start, p.i).trim();
  return raw === 'null' ? null : raw;
}
