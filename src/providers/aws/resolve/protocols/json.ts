/**
 * The JSON protocols (awsJson1_0 / awsJson1_1): `X-Amz-Target: <TargetPrefix>.<Operation>`,
 * and Smithy RPCv2 CBOR: `POST /service/<ServiceName>/operation/<Operation>`. Both name the
 * operation outright; the target prefix or service name picks the service.
 */
import type { ApiIndex, ApiService, Protocol, RawOperation } from '../../../../catalog/api-index.js';
import { type Candidate, endpointOwner, operationOf, type RequestView } from '../candidates.js';
import { cborParams, jsonProtocolParams } from '../extract.js';
import { type Found, notFound, type Outcome } from './outcome.js';

const RPCV2_PATH = /^\/service\/([^/]+)\/operation\/([^/]+)$/;

/** The RPCv2 service and operation names in a request path, or null. */
export function rpcv2Path(path: string): [service: string, operation: string] | null {
  const m = RPCV2_PATH.exec(path);
  return m ? [m[1] as string, m[2] as string] : null;
}

function byTarget(index: ApiIndex, view: RequestView, target: string, protocol: Protocol): Candidate[] {
  const speaks = (s: ApiService) => s.target === target && s.protocols.includes(protocol);
  const matched = view.candidates.filter((c) => speaks(c.service));
  if (matched.length) return matched;
  // a custom endpoint, an unsigned call or a signing name the index lacks: the target alone
  return (index.byTarget.get(target) ?? []).filter(speaks).map((service) => ({ service, prefix: '' }));
}

function pick(
  view: RequestView,
  candidates: Candidate[],
  target: string,
  name: string,
  protocol: Protocol,
  extract: (op: RawOperation) => Found['extract'],
): Outcome {
  if (candidates.length === 0)
    return notFound('unknown-service', `no ${protocol} service has target ${target}`, null, name);
  const withOp = candidates.filter((c) => operationOf(c.service, name) !== undefined);
  if (withOp.length === 0) {
    const svc = (candidates[0] as Candidate).service.id;
    return notFound('unknown-operation', `${svc} has no operation ${name}`, svc, name);
  }
  const owner = withOp.length > 1 ? endpointOwner(view, withOp) : withOp[0];
  if (!owner) {
    const ids = withOp.map((c) => c.service.id).join(', ');
    return notFound('ambiguous', `${target}.${name} matches ${ids}`, null, name);
  }
  const op = operationOf(owner.service, name) as RawOperation;
  return { kind: 'found', candidate: owner, name, op, protocol, extract: extract(op) };
}

export function resolveJsonTarget(index: ApiIndex, view: RequestView, header: string): Outcome {
  const dot = header.lastIndexOf('.');
  if (dot <= 0) return notFound('unknown-operation', `malformed X-Amz-Target ${header}`);
  const target = header.slice(0, dot);
  const name = header.slice(dot + 1);
  const call = view.call;
  return pick(
    view,
    byTarget(index, view, target, 'json'),
    target,
    name,
    'json',
    (op) => () => jsonProtocolParams(op, call.body, call.bodyTruncated),
  );
}

export function resolveRpcv2(index: ApiIndex, view: RequestView, service: string, name: string): Outcome {
  const call = view.call;
  return pick(
    view,
    byTarget(index, view, service, 'rpcv2-cbor'),
    service,
    name,
    'rpcv2-cbor',
    () => () => cborParams(call.body, call.bodyTruncated),
  );
}
