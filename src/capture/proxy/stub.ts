import { randomUUID } from 'node:crypto';
import type { ObservedCall } from '../../model/index.js';
import type { StubAnswer } from './intercept.js';

/**
 * A minimal success answer shaped by the request's protocol alone: JSON `{}`, a query/EC2
 * XML envelope, an empty CBOR map, or an empty REST body. Used when no operation-aware
 * answer is available.
 */
export function protocolStub(call: ObservedCall): StubAnswer {
  const requestId = randomUUID();
  const common = { 'x-amzn-requestid': requestId, 'x-amz-request-id': requestId, 'x-amz-id-2': requestId };
  const target = call.headers['x-amz-target'];
  if (target !== undefined) {
    const type = call.headers['content-type'] ?? 'application/x-amz-json-1.0';
    return { status: 200, headers: { ...common, 'content-type': type }, body: Buffer.from('{}') };
  }
  if (call.headers['smithy-protocol'] === 'rpc-v2-cbor') {
    return {
      status: 200,
      headers: { ...common, 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' },
      body: Buffer.from([0xa0]),
    };
  }
  const action = formAction(call);
  if (action) {
    const ec2 = /(^|\.)ec2\./.test(call.host);
    const xml = ec2
      ? `<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId></${action}Response>`
      : `<${action}Response><${action}Result/><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
    return { status: 200, headers: { ...common, 'content-type': 'text/xml' }, body: Buffer.from(xml) };
  }
  return { status: 200, headers: common, body: new Uint8Array(0) };
}

function formAction(call: ObservedCall): string | null {
  const fromQuery = new URLSearchParams(call.query).get('Action');
  if (fromQuery) return safe(fromQuery);
  if (!(call.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) return null;
  return safe(new URLSearchParams(Buffer.from(call.body).toString('utf8')).get('Action'));
}

function safe(action: string | null): string | null {
  return action && /^[A-Za-z0-9]+$/.test(action) ? action : null;
}
