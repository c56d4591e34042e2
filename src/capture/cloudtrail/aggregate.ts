/**
 * Folding records into distinct calls: one tuple per (principal, operation, permissions it
 * needed, region, error), with a count and the first and last time seen. Memory grows with the
 * number of distinct tuples, never with the number of records.
 *
 * Like `src/index.ts`, this composes stages (the CloudTrail mapping and authorization) because
 * it runs inside worker threads, where the permissions a record needs decide what is distinct.
 */

import type { Operation } from '../../model/index.js';
import { authorizeAws } from '../../providers/aws/authorize/index.js';
import { present } from '../../providers/aws/authorize/params.js';
import { trailOperation } from '../../providers/aws/resolve/cloudtrail.js';
import { compileFilters, type FilterResult, type TrailFilters } from './filters.js';
import { principalOf } from './principal.js';
import { nestsDeeper, type TrailEvent } from './records.js';
import { detach } from './scan.js';

export interface TrailTuple {
  key: string;
  principal: string;
  first: string;
  last: string;
  count: number;
  /** The record's error code (`Client.` / `Server.` prefixes removed), or null. */
  error: string | null;
  /** The operation, when the record names one the API index knows. */
  operation: Operation | null;
  unresolved: {
    reason: 'unknown-service' | 'unknown-operation';
    service: string | null;
    operation: string;
    region: string;
    account: string | null;
    /** The record's `eventSource`. */
    source: string;
  } | null;
}

export type Filtered = Exclude<FilterResult, 'keep'>;

export interface TrailStats {
  /** Records read. */
  events: number;
  /** Records that passed the filters and were counted. */
  kept: number;
  filtered: Record<Filtered, number>;
  /** Records that are not API calls (console sign-ins, service events, Insights). */
  notApiCalls: number;
  /** Records whose request parameters or resources are not JSON. */
  malformed: number;
  /** Records whose request parameters or resources nest deeper than MAX_DEPTH. */
  tooDeep: number;
  files: number;
  bytes: number;
  skippedFiles: number;
}

export function emptyStats(): TrailStats {
  return {
    events: 0,
    kept: 0,
    filtered: { principal: 0, account: 0, region: 0, time: 0, error: 0 },
    notApiCalls: 0,
    malformed: 0,
    tooDeep: 0,
    files: 0,
    bytes: 0,
    skippedFiles: 0,
  };
}

export function addStats(into: TrailStats, from: TrailStats): void {
  for (const k of COUNTS) into[k] += from[k];
  for (const k of Object.keys(into.filtered) as Filtered[]) into.filtered[k] += from.filtered[k];
}

const COUNTS = [
  'events',
  'kept',
  'notApiCalls',
  'malformed',
  'tooDeep',
  'files',
  'bytes',
  'skippedFiles',
] as const;

/** `now - before`, field by field. */
export function diffStats(now: TrailStats, before: TrailStats): TrailStats {
  const d = structuredClone(now);
  for (const k of COUNTS) d[k] -= before[k];
  for (const k of Object.keys(d.filtered) as Filtered[]) d.filtered[k] -= before.filtered[k];
  return d;
}

interface Mapped {
  /** What the call needed, as a key: equal keys need equal permissions. */
  needs: string;
  operation: Operation | null;
  unresolved: TrailTuple['unresolved'];
}

/** Records with equal request fields map to the same call: the answer is kept for reuse. */
const CACHE_LIMIT = 50_000;
/** Entries of the fold map (record fields -> tuple) before it starts over. */
const FOLD_LIMIT = 50_000;

/**
 * Request parameters that never change what a call needs, but are unique per call: left out of
 * the fold key (below) so that records differing only in them fold without resolving and
 * authorizing again. Deliberately short, and checked against what reads parameters:
 * - idempotency tokens, any service (`clientToken`: EC2 and many more; `clientRequestToken`:
 *   CloudFormation, Secrets Manager...): no rule, derived resource or ARN template reads them;
 * - DynamoDB item contents (`key`, `item`, `exclusiveStartKey`, `expressionAttributeValues`):
 *   the DynamoDB rules read only `TableName`, `IndexName`, `RequestItems` and `TransactItems`,
 *   and no condition key is derived from item keys or values (no `dynamodb:LeadingKeys`).
 *   Scoped to DynamoDB: S3's `key` names the object and does change the resource.
 * A left-out member still counts by whether it is present (rules may test presence), and a
 * string value that looks like an ARN is kept as it is (ARN-shaped parameters are read).
 */
const IRRELEVANT_ANY = new Set(['clientToken', 'clientRequestToken']);
const IRRELEVANT_BY_SOURCE = new Map<string, ReadonlySet<string>>([
  [
    'dynamodb.amazonaws.com',
    new Set([
      'clientToken',
      'clientRequestToken',
      'key',
      'item',
      'exclusiveStartKey',
      'expressionAttributeValues',
    ]),
  ],
]);

/**
 * The left-out members, for a SQL engine that groups records before they reach this fold: it
 * must leave out the same members (standing in for them the same way), never more.
 */
export const IRRELEVANT_MEMBERS = {
  any: [...IRRELEVANT_ANY],
  bySource: [...IRRELEVANT_BY_SOURCE].map(([source, members]) => ({ source, members: [...members] })),
} as const;

/** What a left-out member contributes to the fold key: its presence, or an ARN as it is. */
function stand(value: unknown): unknown {
  if (typeof value === 'string' && value.startsWith('arn:')) return value;
  return present(value) ? 1 : 0;
}

/**
 * `requestParameters` as a fold key part: its JSON text, or, when it may hold irrelevant
 * members, the text with those replaced (parsed only then); null when the text is not JSON.
 */
function paramsKey(source: string, params: string | undefined): string | null | typeof TOO_DEEP {
  if (params === undefined) return '';
  const bySource = IRRELEVANT_BY_SOURCE.get(source);
  // Both token names end in `Token"`: one short search rules them out for most records.
  if (!bySource && !params.includes('Token"')) return params;
  if (nestsDeeper(params)) return TOO_DEEP;
  const drop = bySource ?? IRRELEVANT_ANY;
  const value = parseJson(params);
  if (value === MALFORMED) return null;
  const parsed = asObject(value);
  if (!parsed) return params;
  let copy: Record<string, unknown> | null = null;
  for (const name in parsed) {
    if (!drop.has(name) || !Object.hasOwn(parsed, name)) continue;
    copy ??= { ...parsed };
    copy[name] = stand(parsed[name]);
  }
  return copy ? JSON.stringify(copy) : params;
}

const MALFORMED = Symbol('malformed');
/**
 * Request parameters or resources nesting deeper than MAX_DEPTH: checked (iteratively) before
 * anything parses or walks them, which would exhaust the stack. A record folded into a call
 * already seen has the same text as one that passed, so only new texts are checked.
 */
const TOO_DEEP = Symbol('too deep');

/** A JSON text's value (undefined for no text), or MALFORMED. */
function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return MALFORMED;
  }
}

const asObject = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

const laterOf = (a: string, b: string) => (b > a ? detach(b) : a);
const earlierOf = (a: string, b: string) => (b < a ? detach(b) : a);

export class Aggregator {
  readonly stats = emptyStats();
  private readonly tuples = new Map<string, TrailTuple>();
  private readonly cache = new Map<string, Mapped>();
  /**
   * Records already counted, by every field that can change their tuple (less the irrelevant
   * parameters above): a record found here folds into its tuple without being mapped again.
   */
  private readonly folded = new Map<string, TrailTuple>();
  private readonly filter: ReturnType<typeof compileFilters>;
  private readonly needsTime: boolean;
  /** Called after every 64 Ki records read (a worker's progress report). */
  every64Ki: (() => void) | null = null;

  constructor(filters: TrailFilters) {
    this.filter = compileFilters(filters);
    this.needsTime = filters.since !== null || filters.until !== null;
  }

  /** Counts one record. */
  add(r: TrailEvent): void {
    if ((++this.stats.events & 0xffff) === 0) this.every64Ki?.();
    this.fold(r, 1, r.eventTime, r.eventTime);
  }

  /**
   * Counts `count` records grouped elsewhere (a SQL engine's row): equal in every field this
   * fold reads, first and last seen at the times given.
   */
  addGrouped(r: TrailEvent, count: number, first: string, last: string): void {
    this.stats.events += count;
    this.fold(r, count, first, last);
  }

  private fold(r: TrailEvent, n: number, firstTime: string, lastTime: string): void {
    if (r.eventType !== undefined && r.eventType !== 'AwsApiCall') {
      this.stats.notApiCalls += n;
      return;
    }
    const identity = r.identity;
    const principal = principalOf(identity);
    const account = r.recipientAccountId ?? identity.accountId ?? null;
    const error = r.errorCode ? r.errorCode.replace(/^(Client|Server)\./, '') : null;
    if (this.filter !== null) {
      const verdict = this.filter({
        principal,
        identityArn: identity.arn ?? null,
        account,
        region: r.awsRegion,
        // A group's times all pass or none does: the engine filtered by time before grouping.
        time: this.needsTime ? Date.parse(firstTime) : 0,
        error,
      });
      if (verdict !== 'keep') {
        this.stats.filtered[verdict] += n;
        return;
      }
    }
    const params = r.tooDeep ? TOO_DEEP : paramsKey(r.eventSource, r.requestParameters);
    if (params === TOO_DEEP) {
      this.stats.tooDeep += n;
      return;
    }
    if (params === null) {
      this.stats.malformed += n;
      return;
    }
    const fold = `${principal}\u0000${error ?? ''}\u0000${r.eventSource}\u0000${r.eventName}\u0000${r.awsRegion}\u0000${account ?? ''}\u0000${r.apiVersion ?? ''}\u0000${params}\u0000${r.resources ?? ''}`;
    const known = this.folded.get(fold);
    if (known) {
      this.stats.kept += n;
      known.count += n;
      known.first = earlierOf(known.first, firstTime);
      known.last = laterOf(known.last, lastTime);
      return;
    }
    const mapped = this.map(r, account);
    if (mapped === TOO_DEEP) {
      this.stats.tooDeep += n;
      return;
    }
    if (mapped === null) {
      this.stats.malformed += n;
      return;
    }
    this.stats.kept += n;
    const key = `${principal}\u0000${error ?? ''}\u0000${mapped.needs}`;
    if (this.folded.size >= FOLD_LIMIT) this.folded.clear();
    const t = this.tuples.get(key);
    if (t) {
      this.folded.set(detach(fold), t);
      t.count += n;
      t.first = earlierOf(t.first, firstTime);
      t.last = laterOf(t.last, lastTime);
      return;
    }
    const created: TrailTuple = {
      key: detach(key),
      principal: detach(principal),
      first: detach(firstTime),
      last: detach(lastTime),
      count: n,
      error: error === null ? null : detach(error),
      operation: mapped.operation,
      unresolved: mapped.unresolved,
    };
    this.tuples.set(created.key, created);
    this.folded.set(detach(fold), created);
  }

  /**
   * What a record needs: resolved and authorized once per distinct request. Strings kept from
   * here are copies, not slices of the document the record was read from.
   */
  private map(r: TrailEvent, account: string | null): Mapped | null | typeof TOO_DEEP {
    const raw = `${r.eventSource}\u0000${r.eventName}\u0000${r.awsRegion}\u0000${account ?? ''}\u0000${r.apiVersion ?? ''}\u0000${
      r.requestParameters ?? ''
    }\u0000${r.resources ?? ''}`;
    const hit = this.cache.get(raw);
    if (hit) return hit;
    if (nestsDeeper(r.requestParameters ?? '') || nestsDeeper(r.resources ?? '')) return TOO_DEEP;
    const source = detach(r.eventSource);
    const params = parseJson(r.requestParameters);
    const resources = parseJson(r.resources);
    if (params === MALFORMED || resources === MALFORMED) return null;
    const resolution = trailOperation({
      eventSource: source,
      eventName: detach(r.eventName),
      awsRegion: detach(r.awsRegion),
      recipientAccountId: account === null ? undefined : detach(account),
      apiVersion: r.apiVersion === undefined ? undefined : detach(r.apiVersion),
      requestParameters: asObject(params),
      resources: Array.isArray(resources) ? resources : undefined,
    });
    let mapped: Mapped;
    if (resolution.kind === 'unresolved') {
      const { reason, service, operation, region } = resolution;
      mapped = {
        needs: `?${reason}\u0000${source}\u0000${operation}\u0000${region}`,
        operation: null,
        unresolved: { reason, service, operation, region, account: account && detach(account), source },
      };
    } else {
      const op = resolution.operation;
      const reqs = authorizeAws(op);
      const needs =
        reqs === null ? 'no-mapping' : JSON.stringify(reqs.map((q) => [q.action, q.resources, q.conditions]));
      mapped = {
        needs: `${op.service}:${op.operation}\u0000${op.region}\u0000${needs}`,
        operation: op,
        unresolved: null,
      };
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(detach(raw), mapped);
    return mapped;
  }

  /** The distinct calls so far. */
  result(): TrailTuple[] {
    return [...this.tuples.values()];
  }

  /** Adds tuples counted elsewhere (another worker). */
  merge(tuples: readonly TrailTuple[]): void {
    for (const t of tuples) {
      const own = this.tuples.get(t.key);
      if (!own) {
        this.tuples.set(t.key, { ...t });
        continue;
      }
      own.count += t.count;
      if (t.first < own.first) {
        own.first = t.first;
        own.operation = t.operation;
      }
      if (t.last > own.last) own.last = t.last;
    }
  }

  get size(): number {
    return this.tuples.size;
  }
}

/** Tuples in a stable order: by principal, then first time seen, then key. */
export function sortTuples(tuples: TrailTuple[]): TrailTuple[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return tuples.sort((a, b) => cmp(a.principal, b.principal) || cmp(a.first, b.first) || cmp(a.key, b.key));
}
