/**
 * SDK client-side monitoring (CSM) events -> Operations. An SDK with CSM on (AWS_CSM_ENABLED)
 * sends one UDP datagram of JSON per API call (`Type: "ApiCall"`) and per attempt
 * (`ApiCallAttempt`). An ApiCall names the service (its SDK service id, `S3`, `DynamoDB`,
 * `CloudWatch Logs`), the operation (`Api`), the region and the final status or error. It
 * carries no parameters: every resource is `*`. Attempts add nothing and carry the access key
 * and session token: they are counted and dropped, their fields never kept.
 */
import type { Operation } from '../../model/index.js';
import { findOperation } from '../../providers/aws/resolve/cloudtrail.js';
import { partitionOf } from '../../providers/aws/resolve/partition.js';

export interface CsmCall {
  kind: 'call';
  operation: Operation;
  time: string;
  status: number | null;
  error: string | null;
}

export interface CsmUnresolved {
  kind: 'unresolved';
  reason: 'unknown-service' | 'unknown-operation';
  service: string | null;
  /** The SDK's own service name, for the summary. */
  sdkService: string;
  operation: string;
  region: string | null;
  time: string;
  status: number | null;
  error: string | null;
}

export type CsmEvent = CsmCall | CsmUnresolved | { kind: 'attempt' } | { kind: 'malformed'; why: string };

/** A value as a reason shows it: its JSON, cut short. */
function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? 'an array' : typeof v;
  }
  return s.length > 44 ? `${s.slice(0, 41)}...` : s;
}

/** The latest time a Date can hold (milliseconds since 1970). */
const MAX_TIME = 8.64e15;
const SERVICE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const API = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;
const REGION = /^[a-z]{2,}(-[a-z0-9]+){1,5}$/;
/** An error code or exception class name: printable ASCII, no spaces. */
const ERROR = /^[\x21-\x7e]{1,128}$/;

/**
 * The fields of an ApiCall, each checked where it enters: a value of the wrong type, out of
 * range or not shaped like what it names makes the event malformed, with the field named.
 * Absent (or empty) optional fields are null.
 */
type Checked<T> = { ok: true; value: T } | { ok: false; why: string };

function optional<T>(
  e: Record<string, unknown>,
  field: string,
  valid: (v: unknown) => v is T,
  what: string,
): Checked<T | null> {
  const v = e[field];
  if (v === undefined || v === null || v === '') return { ok: true, value: null };
  return valid(v) ? { ok: true, value: v } : { ok: false, why: `${field} ${show(v)} is not ${what}` };
}

const matching =
  (re: RegExp) =>
  (v: unknown): v is string =>
    typeof v === 'string' && re.test(v);
const isTime = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_TIME;
const isStatus = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 100 && v <= 599;

/** The events of one datagram: one JSON object, or several on separate lines. */
export function parseDatagram(data: Uint8Array): CsmEvent[] {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  const out: CsmEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      out.push({ kind: 'malformed', why: 'not JSON' });
      continue;
    }
    out.push(csmEvent(value));
  }
  if (out.length === 0) out.push({ kind: 'malformed', why: 'empty' });
  return out;
}

/** One parsed CSM event. */
export function csmEvent(value: unknown): CsmEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { kind: 'malformed', why: 'not an object' };
  const e = value as Record<string, unknown>;
  if (e.Type === 'ApiCallAttempt') return { kind: 'attempt' };
  if (e.Type !== 'ApiCall') return { kind: 'malformed', why: `unknown event type ${show(e.Type)}` };
  if (e.Service === undefined || e.Service === '' || e.Api === undefined || e.Api === '')
    return { kind: 'malformed', why: 'an ApiCall without Service or Api' };
  const service = optional(e, 'Service', matching(SERVICE), 'an SDK service name');
  const apiName = optional(e, 'Api', matching(API), 'an operation name');
  const regionName = optional(e, 'Region', matching(REGION), 'a region name');
  const timestamp = optional(e, 'Timestamp', isTime, 'a time (milliseconds since 1970)');
  const httpStatus = optional(e, 'FinalHttpStatusCode', isStatus, 'an HTTP status');
  const awsError = optional(e, 'FinalAwsException', matching(ERROR), 'an error code');
  const sdkError = optional(e, 'FinalSdkException', matching(ERROR), 'an error code');
  for (const c of [service, apiName, regionName, timestamp, httpStatus, awsError, sdkError])
    if (!c.ok) return { kind: 'malformed', why: c.why };
  const sdkService = service.ok ? service.value : null;
  const api = apiName.ok ? apiName.value : null;
  if (!sdkService || !api) return { kind: 'malformed', why: 'an ApiCall without Service or Api' };
  const region = regionName.ok ? regionName.value : null;
  const time = new Date(
    timestamp.ok && timestamp.value !== null ? timestamp.value : Date.now(),
  ).toISOString();
  const status = httpStatus.ok ? httpStatus.value : null;
  const error = (awsError.ok ? awsError.value : null) ?? (sdkError.ok ? sdkError.value : null);
  const found = findOperation(sdkService, api);
  if ('missing' in found) {
    return {
      kind: 'unresolved',
      reason: found.missing,
      service: found.service,
      sdkService,
      operation: api,
      region,
      time,
      status,
      error,
    };
  }
  // Without a signed request the SDK reports no region; global services sign in us-east-1.
  const r = region ?? 'us-east-1';
  return {
    kind: 'call',
    operation: {
      provider: 'aws',
      service: found.service.id,
      operation: found.operation,
      region: r,
      partition: partitionOf(r),
      account: null,
      params: {},
    },
    time,
    status,
    error,
  };
}
