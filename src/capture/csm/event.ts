/**
 * SDK client-side monitoring (CSM) events -> Operations. An SDK with CSM on (AWS_CSM_ENABLED)
 * sends one UDP datagram of JSON per API call (`Type: "ApiCall"`) and per attempt
 * (`ApiCallAttempt`). An ApiCall names the service (its SDK service id, `S3`, `DynamoDB`,
 * `CloudWatch Logs`), the operation (`Api`), the region and the final status or error. It
 * carries no parameters: every resource is `*`. Attempts add nothing and carry the access key
 * and session token: they are counted and dropped, their fields never kept.
 */
import type { Operation } from '../../model/index.js';
import { findOperation } from '../../resolve/aws/cloudtrail.js';
import { partitionOf } from '../../resolve/aws/partition.js';

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

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

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
  if (e.Type !== 'ApiCall') return { kind: 'malformed', why: `unknown event type ${JSON.stringify(e.Type)}` };
  const sdkService = str(e.Service);
  const api = str(e.Api);
  if (!sdkService || !api) return { kind: 'malformed', why: 'an ApiCall without Service or Api' };
  const region = str(e.Region);
  const time =
    typeof e.Timestamp === 'number' && Number.isFinite(e.Timestamp)
      ? new Date(e.Timestamp).toISOString()
      : new Date().toISOString();
  const status = typeof e.FinalHttpStatusCode === 'number' ? e.FinalHttpStatusCode : null;
  const error = str(e.FinalAwsException) ?? str(e.FinalSdkException);
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
