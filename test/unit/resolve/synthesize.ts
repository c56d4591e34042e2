/**
 * Synthesizes the request an operation's binding describes, for each protocol its service
 * speaks: the self-consistency test and the benchmark resolve these back.
 */
import type { ApiService, Protocol, RawOperation } from '../../../src/catalog/api-index.js';
import type { ObservedCall } from '../../../src/model/index.js';

const enc = new TextEncoder();

export function signed(service: string, region = 'us-east-1'): string {
  return `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date`;
}

export function observed(partial: Partial<ObservedCall> & { host: string }): ObservedCall {
  return {
    id: 1,
    time: '2026-11-21T18:00:00.000Z',
    source: 'proxy',
    scheme: 'https',
    port: 443,
    method: 'POST',
    path: '/',
    query: '',
    headers: {},
    body: new Uint8Array(0),
    bodyTruncated: false,
    bodySize: 0,
    response: null,
    ...partial,
  };
}

function host(svc: ApiService, op: RawOperation): string {
  // S3's only host-prefixed operation answers S3 Object Lambda
  const label = svc.id === 's3' && op.x ? 's3-object-lambda' : (svc.hosts[0] ?? svc.id);
  const base = `${label}.us-east-1.amazonaws.com`;
  if (!op.x) return base;
  return `${op.x.replace(/\{[^}]+\}/g, '123456789012')}${base}`;
}

function restRequest(svc: ApiService, op: RawOperation): Partial<ObservedCall> {
  const h = op.h as string;
  const space = h.indexOf(' ');
  const uri = h.slice(space + 1);
  const [path = '/', literal] = uri.split('?');
  const filled = path.replace(/\{([^}+]+)(\+?)\}/g, (_, name: string, greedy: string) =>
    greedy ? `${name}-a/${name}-b` : `${name}-1`,
  );
  const query = new URLSearchParams(literal ?? '');
  const headers: Record<string, string> = {};
  for (const key of op.r ?? []) {
    if (key.startsWith('q:')) query.append(key.slice(2), 'v');
    else if (key.startsWith('h:')) headers[key.slice(2)] = 'v';
  }
  return {
    method: h.slice(0, space),
    path: `${svc.basePath ?? ''}${filled}`,
    query: query.toString().replace(/=(?=&|$)/g, ''),
    headers,
  };
}

/** The request `name` of `svc` makes over `protocol`, or null when the binding cannot say. */
export function synthesize(svc: ApiService, name: string, protocol: Protocol): ObservedCall | null {
  const op = svc.ops[name] as RawOperation;
  const headers: Record<string, string> = { authorization: signed(svc.signing) };
  const base = { host: host(svc, op), headers };
  switch (protocol) {
    case 'json':
      if (!svc.target) return null;
      headers['x-amz-target'] = `${svc.target}.${name}`;
      headers['content-type'] = `application/x-amz-json-${svc.jsonVersion ?? '1.0'}`;
      return observed({ ...base, body: enc.encode('{}') });
    case 'rpcv2-cbor':
      if (!svc.target) return null;
      headers['smithy-protocol'] = 'rpc-v2-cbor';
      headers['content-type'] = 'application/cbor';
      return observed({
        ...base,
        path: `/service/${svc.target}/operation/${name}`,
        body: Uint8Array.of(0xa0),
      });
    case 'query':
    case 'ec2': {
      headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
      const body = `Action=${name}&Version=${svc.apiVersion ?? ''}`;
      return observed({ ...base, body: enc.encode(body) });
    }
    default: {
      if (!op.h) return null;
      const rest = restRequest(svc, op);
      return observed({ ...base, ...rest, headers: { ...headers, ...rest.headers } });
    }
  }
}
