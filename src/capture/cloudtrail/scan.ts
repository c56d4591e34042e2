/**
 * A reader for CloudTrail records that reads only what leastpriv uses. A record is ~1.5 KB of
 * JSON, most of it (user agent, TLS details, response elements, request and event ids) never
 * read: building objects for all of it was most of the time `trail` spent. This scanner walks
 * the text once, takes the fields it is asked for (strings as values, `requestParameters` and
 * `resources` as their JSON text, parsed later only for records that are not already folded)
 * and skips everything else by its structure: strings, brackets, separators.
 *
 * It reads valid JSON exactly as JSON.parse would, and gives up (null) on anything it does
 * not expect in what it reads (an escaped key, a broken structure or string, a container other
 * than `Records`): callers then read the document with JSON.parse, which reports what is wrong.
 * What it skips is checked for structure only (strings, brackets, separators), so a malformed
 * number or literal in a field nobody reads goes unnoticed, and the text of `requestParameters`
 * and `resources` is only known to be JSON once it is parsed (the aggregation counts a record
 * whose text is not as malformed). The strings it returns are slices of the document: keep a
 * copy (`detach`) of any that outlives it.
 */

import { BACKSLASH, CLOSE_ARR, CLOSE_OBJ, COLON, COMMA, OPEN_ARR, OPEN_OBJ, QUOTE } from './json-chars.js';
import type { IdentityFields } from './principal.js';
import type { TrailEvent } from './records.js';

/** What to take from an object: each key's slot, how it is read, and nested objects. */
interface Entry {
  name: string;
  /** `string`: the value when it is a string; `text`: the JSON text of any value but null. */
  kind: 'string' | 'text' | 'object';
  slot: number;
  sub: Spec | null;
}
interface Spec {
  /** Entries by key length: a key is matched by length, then by its characters in place. */
  byLength: (Entry[] | undefined)[];
  /** Every slot filled from inside this object: cleared when its key comes again. */
  slots: number[];
}
type Shape = { [key: string]: 'string' | 'text' | Shape };

function compile(shape: Shape, slots: Map<string, number>, prefix = ''): Spec {
  const byLength: (Entry[] | undefined)[] = [];
  const own: number[] = [];
  for (const [name, how] of Object.entries(shape)) {
    let entry: Entry;
    if (typeof how === 'string') {
      entry = { name, kind: how, slot: slots.size, sub: null };
      slots.set(`${prefix}${name}`, entry.slot);
      own.push(entry.slot);
    } else {
      const sub = compile(how, slots, `${prefix}${name}.`);
      entry = { name, kind: 'object', slot: -1, sub };
      own.push(...sub.slots);
    }
    const same = byLength[name.length];
    if (same) same.push(entry);
    else byLength[name.length] = [entry];
  }
  return { byLength, slots: own };
}

/** The fields read from a record; anything else is skipped. */
const RECORD_SHAPE: Shape = {
  eventTime: 'string',
  eventSource: 'string',
  eventName: 'string',
  awsRegion: 'string',
  eventType: 'string',
  recipientAccountId: 'string',
  errorCode: 'string',
  apiVersion: 'string',
  requestParameters: 'text',
  resources: 'text',
  userIdentity: {
    type: 'string',
    arn: 'string',
    accountId: 'string',
    invokedBy: 'string',
    userName: 'string',
    sessionContext: { sessionIssuer: { arn: 'string' } },
  },
};
const SLOTS = new Map<string, number>();
const RECORD = compile(RECORD_SHAPE, SLOTS);
const slot = (path: string): number => {
  const n = SLOTS.get(path);
  if (n === undefined) throw new Error(`no slot for ${path}`);
  return n;
};
const S = {
  eventTime: slot('eventTime'),
  eventSource: slot('eventSource'),
  eventName: slot('eventName'),
  awsRegion: slot('awsRegion'),
  eventType: slot('eventType'),
  recipientAccountId: slot('recipientAccountId'),
  errorCode: slot('errorCode'),
  apiVersion: slot('apiVersion'),
  requestParameters: slot('requestParameters'),
  resources: slot('resources'),
  type: slot('userIdentity.type'),
  arn: slot('userIdentity.arn'),
  accountId: slot('userIdentity.accountId'),
  invokedBy: slot('userIdentity.invokedBy'),
  userName: slot('userIdentity.userName'),
  issuerArn: slot('userIdentity.sessionContext.sessionIssuer.arn'),
};

/** The outcome of scanning a document of records. */
export interface Scanned {
  events: TrailEvent[];
  /** Elements of the array that are not CloudTrail records. */
  invalid: number;
}

class Scanner {
  /** Index of the first backslash at or after `bsFrom` (the text's length when none). */
  private bs = -1;
  /** Whether the last string skipped held an escape. */
  private escaped = false;
  private slots: (string | undefined)[] = [];

  constructor(private readonly s: string) {}

  /** Whether a backslash lies in [from, to). Positions only move forward. */
  private backslashBefore(from: number, to: number): boolean {
    if (this.bs < from) {
      const at = this.s.indexOf('\\', from);
      this.bs = at < 0 ? this.s.length : at;
    }
    return this.bs < to;
  }

  /** Past any JSON whitespace at i. */
  ws(i: number): number {
    const s = this.s;
    let c = s.charCodeAt(i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
    return i;
  }

  /** From an opening quote to just past its closing quote; -1 when the text ends first. */
  private skipString(i: number): number {
    const s = this.s;
    let j = s.indexOf('"', i + 1);
    if (j < 0) return -1;
    if (!this.backslashBefore(i + 1, j)) {
      this.escaped = false;
      return j + 1;
    }
    this.escaped = true;
    for (;;) {
      let k = j - 1;
      while (s.charCodeAt(k) === BACKSLASH) k--;
      if (((j - 1 - k) & 1) === 0) return j + 1;
      j = s.indexOf('"', j + 1);
      if (j < 0) return -1;
    }
  }

  /** Past any JSON value starting at i; -1 when it is not one. */
  private skipValue(i: number): number {
    const s = this.s;
    const c = s.charCodeAt(i);
    if (c === QUOTE) return this.skipString(i);
    if (c === OPEN_OBJ || c === OPEN_ARR) {
      let depth = 0;
      for (;;) {
        const d = s.charCodeAt(i);
        if (d === QUOTE) {
          i = this.skipString(i);
          if (i < 0) return -1;
          continue;
        }
        if (d === OPEN_OBJ || d === OPEN_ARR) depth++;
        else if (d === CLOSE_OBJ || d === CLOSE_ARR) {
          if (--depth === 0) return i + 1;
        } else if (i >= s.length) return -1; // the text ended inside the value
        i++;
      }
    }
    // A number, true, false or null: up to the next separator.
    const start = i;
    for (;;) {
      const d = s.charCodeAt(i);
      if (
        d === COMMA ||
        d === CLOSE_OBJ ||
        d === CLOSE_ARR ||
        d === 0x20 ||
        d === 0x0a ||
        d === 0x0d ||
        d === 0x09
      )
        break;
      if (i >= s.length || d === QUOTE || d === OPEN_OBJ || d === OPEN_ARR || d === COLON) return -1;
      i++;
    }
    return i > start ? i : -1;
  }

  /** The entry a key names, matched where it stands in the text. */
  private entry(spec: Spec, at: number, length: number): Entry | null {
    const list = spec.byLength[length];
    if (list === undefined) return null;
    for (const e of list) if (this.s.startsWith(e.name, at)) return e;
    return null;
  }

  /** Reads the object at i (an opening brace) into the slots; past its end, or -1. */
  private object(spec: Spec, i: number): number {
    const s = this.s;
    i = this.ws(i + 1);
    if (s.charCodeAt(i) === CLOSE_OBJ) return i + 1;
    for (;;) {
      if (s.charCodeAt(i) !== QUOTE) return -1;
      const end = s.indexOf('"', i + 1);
      // An escaped key is left to JSON.parse.
      if (end < 0 || this.backslashBefore(i + 1, end)) return -1;
      const e = this.entry(spec, i + 1, end - i - 1);
      i = this.ws(end + 1);
      if (s.charCodeAt(i) !== COLON) return -1;
      i = this.ws(i + 1);
      const c = s.charCodeAt(i);
      const start = i;
      if (e === null) i = this.skipValue(i);
      else if (e.kind === 'object') {
        // A repeated key replaces the whole object, as in JSON.parse.
        const sub = e.sub as Spec;
        for (const n of sub.slots) this.slots[n] = undefined;
        i = c === OPEN_OBJ ? this.object(sub, i) : this.skipValue(i);
      } else if (e.kind === 'string') {
        i = this.skipValue(i);
        if (c !== QUOTE || i < 0) this.slots[e.slot] = undefined;
        else if (!this.escaped) this.slots[e.slot] = s.slice(start + 1, i - 1);
        else {
          const value = stringLiteral(s.slice(start, i));
          if (value === null) return -1;
          this.slots[e.slot] = value;
        }
      } else {
        i = this.skipValue(i);
        this.slots[e.slot] = c === 0x6e /* null */ || i < 0 ? undefined : s.slice(start, i);
      }
      if (i < 0) return -1;
      i = this.ws(i);
      const d = s.charCodeAt(i);
      if (d === CLOSE_OBJ) return i + 1;
      if (d !== COMMA) return -1;
      i = this.ws(i + 1);
    }
  }

  /** The record at i, or null when the object there is not one; `end` is set past it. */
  record(i: number): TrailEvent | null {
    this.slots = new Array<string | undefined>(SLOTS.size);
    this.end = this.object(RECORD, i);
    if (this.end < 0) return null;
    return eventOf(this.slots);
  }

  end = 0;

  /** A `{"Records": [...]}` document, or null when the text is anything else. */
  document(): Scanned | null {
    const s = this.s;
    let i = this.ws(0);
    if (s.charCodeAt(i) !== OPEN_OBJ) return null;
    i = this.ws(i + 1);
    if (!s.startsWith('"Records"', i)) return null;
    i = this.ws(i + 9);
    if (s.charCodeAt(i) !== COLON) return null;
    i = this.ws(i + 1);
    if (s.charCodeAt(i) !== OPEN_ARR) return null;
    i = this.ws(i + 1);
    const events: TrailEvent[] = [];
    let invalid = 0;
    if (s.charCodeAt(i) !== CLOSE_ARR) {
      for (;;) {
        if (s.charCodeAt(i) === OPEN_OBJ) {
          const e = this.record(i);
          if (this.end < 0) return null;
          if (e) events.push(e);
          else invalid++;
          i = this.end;
        } else {
          i = this.skipValue(i);
          if (i < 0) return null;
          invalid++;
        }
        i = this.ws(i);
        const c = s.charCodeAt(i);
        if (c === CLOSE_ARR) break;
        if (c !== COMMA) return null;
        i = this.ws(i + 1);
      }
    }
    i = this.ws(i + 1);
    if (s.charCodeAt(i) !== CLOSE_OBJ) return null;
    return this.ws(i + 1) === s.length ? { events, invalid } : null;
  }
}

/** A record from its slots, or null when a required field is not a string. */
function eventOf(v: (string | undefined)[]): TrailEvent | null {
  const eventTime = v[S.eventTime];
  const eventSource = v[S.eventSource];
  const eventName = v[S.eventName];
  const awsRegion = v[S.awsRegion];
  if (
    eventTime === undefined ||
    eventSource === undefined ||
    eventName === undefined ||
    awsRegion === undefined
  )
    return null;
  const identity: IdentityFields = {
    type: v[S.type],
    arn: v[S.arn],
    accountId: v[S.accountId],
    invokedBy: v[S.invokedBy],
    userName: v[S.userName],
    issuerArn: v[S.issuerArn],
  };
  return {
    eventTime,
    eventSource,
    eventName,
    awsRegion,
    eventType: v[S.eventType],
    recipientAccountId: v[S.recipientAccountId],
    errorCode: v[S.errorCode],
    apiVersion: v[S.apiVersion],
    identity,
    requestParameters: v[S.requestParameters],
    resources: v[S.resources],
  };
}

/** The records of a delivered log document (`{"Records": [...]}`), or null (read it with JSON.parse). */
export function scanDocument(text: string): Scanned | null {
  return new Scanner(text).document();
}

/**
 * One record's text (an element from the record splitter): the record, `invalid` when it is
 * JSON but not a record, or null (read it with JSON.parse).
 */
export function scanRecord(text: string): TrailEvent | 'invalid' | null {
  const scanner = new Scanner(text);
  const i = scanner.ws(0);
  if (text.charCodeAt(i) !== OPEN_OBJ) return null;
  const e = scanner.record(i);
  if (scanner.end < 0 || scanner.ws(scanner.end) !== text.length) return null;
  return e ?? 'invalid';
}

/** A JSON string literal's value, or null when it is not a valid one. */
function stringLiteral(literal: string): string | null {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return null;
  }
}

/**
 * A copy of a string that does not keep the text it was sliced from alive (V8 keeps a slice's
 * whole parent string): for strings kept after their document is gone.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}
