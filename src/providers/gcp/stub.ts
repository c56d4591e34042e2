/**
 * `--upstream stub` for Google Cloud: minimal valid answers, so gcloud and the client libraries
 * run with no project and no network. The token endpoint answers a token that is never real;
 * a list answers an empty list; anything else answers the resource it named. Pure.
 */
import { createHash } from 'node:crypto';
import type { StubResponse } from '../../catalog/stub-responses.js';
import type { ObservedCall } from '../../model/index.js';
import { eachLengthDelimited, firstMessage } from './grpc.js';
import type { GcpResolution } from './resolve.js';

const enc = new TextEncoder();

function json(status: number, value: unknown): StubResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: enc.encode(JSON.stringify(value)),
  };
}

export function gcpStubResponse(resolution: GcpResolution, call: ObservedCall): StubResponse {
  if (resolution.kind === 'unresolved') {
    return json(404, {
      error: { code: 404, message: `leastpriv stub: ${resolution.detail}`, status: 'NOT_FOUND' },
    });
  }
  const op = resolution.operation;
  if (op.grpc) return grpcAnswer(op.grpc, op.params, call);
  if (op.method === 'oauth2.token') {
    return json(200, { access_token: 'leastpriv-stub-token', expires_in: 3599, token_type: 'Bearer' });
  }
  const verb = op.method.split('.').at(-1) ?? '';
  // Compute's clients read `items` of every list (a map for aggregated lists).
  if (verb === 'aggregatedList') return json(200, { items: {} });
  if (verb === 'list') return json(200, op.api === 'compute' ? { items: [] } : {});
  if (verb === 'publish') return json(200, { messageIds: ['1'] });
  if (verb === 'delete') return json(200, {});
  if (verb === 'testIamPermissions') return json(200, { permissions: [] });
  if (verb === 'getIamPolicy' || verb === 'setIamPolicy')
    return json(200, { version: 1, etag: 'BwYAAAAAAAA=' });
  // The resource named by the request (a create sends its name in the body or the query).
  const name =
    op.params.name ??
    op.params.object ??
    op.params.bucket ??
    bodyName(call) ??
    op.resource ??
    'leastpriv-stub';
  const body: Record<string, unknown> = { name };
  if (op.api === 'storage') return storage(op.method, op.params, call);
  if (op.api === 'compute' && verb !== 'get') {
    // A compute write answers an Operation, already done.
    return json(200, {
      kind: 'compute#operation',
      name: 'operation-leastpriv-stub',
      status: 'DONE',
      progress: 100,
    });
  }
  return json(200, body);
}

/**
 * Cloud Storage: a bucket, or an object with the size and MD5 of what was uploaded (clients
 * compare hashes after an upload): a multipart upload's metadata part names the object and its
 * last part holds the data.
 */
function storage(method: string, params: Record<string, string>, call: ObservedCall): StubResponse {
  const bucket = params.bucket ?? bodyName(call) ?? 'leastpriv-stub';
  if (!method.startsWith('storage.objects.'))
    return json(200, { kind: 'storage#bucket', name: bucket, id: bucket });
  let data: Uint8Array = new Uint8Array();
  let name = params.object ?? params.name;
  const type = call.headers['content-type'] ?? '';
  const boundary = /boundary=(?:"([^"]+)"|'([^']+)'|([^;\s]+))/.exec(type)?.slice(1).find(Boolean);
  if (method === 'storage.objects.insert' && boundary) {
    const parts = Buffer.from(call.body).toString('latin1').split(`--${boundary}`).slice(1, -1);
    const split = (part: string) => {
      const at = /\r?\n\r?\n/.exec(part);
      return at ? part.slice(at.index + at[0].length).replace(/\r?\n$/, '') : '';
    };
    try {
      name ??= (JSON.parse(split(parts[0] ?? '')) as { name?: string }).name;
    } catch {
      // no metadata part: the name is in the query
    }
    data = Buffer.from(split(parts.at(-1) ?? ''), 'latin1');
  } else if (method === 'storage.objects.insert') data = call.body;
  const object = name ?? 'leastpriv-stub';
  return json(200, {
    kind: 'storage#object',
    bucket,
    name: object,
    id: `${bucket}/${object}/1`,
    generation: '1',
    size: String(data.length),
    md5Hash: createHash('md5').update(data).digest('base64'),
    crc32c: crc32c(data),
  });
}

let CRC32C_TABLE: Uint32Array | null = null;

/** CRC32C (Castagnoli) of the data, big-endian, base64: the checksum Cloud Storage reports. */
function crc32c(data: Uint8Array): string {
  if (!CRC32C_TABLE) {
    CRC32C_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      CRC32C_TABLE[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

function bodyName(call: ObservedCall): string | undefined {
  if (call.body.length === 0) return undefined;
  try {
    const v = JSON.parse(new TextDecoder().decode(call.body)) as { name?: unknown };
    return typeof v.name === 'string' ? v.name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A gRPC answer: one message and `grpc-status: 0`. The message names the resource the request
 * named (field 1, the `name` of Google's resource messages) for a create, get or update; a
 * publish gets one message id per message sent; anything else an empty message.
 */
function grpcAnswer(method: string, params: Record<string, string>, call: ObservedCall): StubResponse {
  const name = method.split('/').pop() ?? '';
  let message: Uint8Array = new Uint8Array();
  if (name === 'Publish') {
    const request = firstMessage(call.body);
    const count = request instanceof Uint8Array ? countField(request, 2) : 1;
    message = concat(Array.from({ length: Math.max(1, count) }, (_, i) => stringField(1, String(i + 1))));
  } else if (/^(Create|Get|Update)/.test(name)) {
    const value = Object.values(params)[0];
    if (value) message = stringField(1, value);
  }
  const frame = new Uint8Array(5 + message.length);
  new DataView(frame.buffer).setUint32(1, message.length);
  frame.set(message, 5);
  return {
    status: 200,
    headers: { 'content-type': 'application/grpc' },
    body: frame,
    trailers: { 'grpc-status': '0' },
  };
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function stringField(field: number, value: string): Uint8Array {
  const bytes = enc.encode(value);
  return Uint8Array.from([...varint(field * 8 + 2), ...varint(bytes.length), ...bytes]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** How many times a length-delimited field occurs at the top level of a message. */
function countField(message: Uint8Array, field: number): number {
  let count = 0;
  eachLengthDelimited(message, (f) => {
    if (f === field) count++;
  });
  return count;
}
