/**
 * gRPC requests to Google Cloud: the path names the method (`/google.pubsub.v1.Publisher/Publish`),
 * the generated table (`data/gcp/grpc.json`, from the APIs' descriptors) gives the REST method
 * whose permissions it needs and the numbers of its string fields, and the first message of the
 * request (a length-prefixed protobuf) gives their values. Pure.
 */
import { gcpCatalog } from '../../catalog/gcp.js';
import type { ObservedCall } from '../../model/index.js';

/** Whether a request is gRPC: HTTP/2 POST, `application/grpc...`, `/package.Service/Method`. */
export function isGrpc(call: ObservedCall): boolean {
  return (
    call.method === 'POST' &&
    /^application\/grpc/.test(call.headers['content-type'] ?? '') &&
    /^\/[A-Za-z0-9_.]+\/[A-Za-z0-9_]+$/.test(call.path)
  );
}

/** The first gRPC message of a body: its bytes, or why they cannot be read. */
export function firstMessage(body: Uint8Array): Uint8Array | 'compressed' | 'truncated' | null {
  if (body.length < 5) return null;
  if (body[0] === 1) return 'compressed';
  const length =
    ((body[1] as number) << 24) |
    ((body[2] as number) << 16) |
    ((body[3] as number) << 8) |
    (body[4] as number);
  if (length < 0 || 5 + length > body.length) return 'truncated';
  return body.subarray(5, 5 + length);
}

/**
 * Walks the top-level fields of a protobuf message: each length-delimited one is handed over
 * with its bytes; varints and fixed-size fields are stepped over. Stops at anything malformed.
 */
export function eachLengthDelimited(
  message: Uint8Array,
  visit: (field: number, bytes: Uint8Array) => void,
): void {
  let i = 0;
  const varint = (): number | null => {
    let v = 0;
    let shift = 0;
    while (i < message.length && shift < 35) {
      const b = message[i++] as number;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
    return null;
  };
  while (i < message.length) {
    const key = varint();
    if (key === null) return;
    const wire = key % 8;
    if (wire === 0) {
      if (varint() === null) return;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      if (len === null || i + len > message.length) return;
      visit(Math.floor(key / 8), message.subarray(i, i + len));
      i += len;
    } else return; // groups (3, 4) are not used by Google's APIs
  }
}

/** Top-level string (length-delimited, valid UTF-8) fields of a protobuf message, by number. */
export function stringFields(message: Uint8Array, wanted: ReadonlySet<number>): Map<number, string> {
  const out = new Map<number, string>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  eachLengthDelimited(message, (field, bytes) => {
    if (!wanted.has(field) || out.has(field)) return;
    try {
      out.set(field, decoder.decode(bytes));
    } catch {
      // bytes, not a string
    }
  });
  return out;
}

export interface GrpcCall {
  host: string;
  /** The REST method id whose permissions the call needs, or null. */
  method: string | null;
  grpcMethod: string;
  params: Record<string, string>;
  body: Record<string, string>;
  /** Why the fields could not be read, when they could not. */
  unread?: string;
  source?: string;
}

/** The gRPC call, or null when the method is not in the table. */
export function grpcCall(call: ObservedCall): GrpcCall | null {
  const m = gcpCatalog().grpc(call.path);
  if (!m) return null;
  const message = firstMessage(call.body);
  const params: Record<string, string> = {};
  const body: Record<string, string> = {};
  let unread: string | undefined;
  if (message instanceof Uint8Array) {
    const numbers = new Set([...Object.values(m.pathFields), ...Object.values(m.bodyFields)]);
    const values = stringFields(message, numbers);
    for (const [name, n] of Object.entries(m.pathFields)) {
      const v = values.get(n);
      if (v !== undefined) params[name] = v;
    }
    for (const [name, n] of Object.entries(m.bodyFields)) {
      const v = values.get(n);
      if (v !== undefined) body[name] = v;
    }
  } else if (message !== null) unread = `the request message is ${message}`;
  return {
    host: m.host,
    method: m.method,
    grpcMethod: call.path.slice(1),
    params,
    body,
    ...(unread ? { unread } : {}),
    ...(m.source ? { source: m.source } : {}),
  };
}
