/**
 * The query protocols (awsQuery, ec2Query): `Action=<Operation>&Version=<api version>` in the
 * form body or, for GET and presigned requests, in the query string.
 */
import type { Protocol, RawOperation } from '../../../../catalog/api-index.js';
import { type Candidate, endpointOwner, operationOf, type RequestView, speaking } from '../candidates.js';
import { formProtocolParams } from '../extract.js';
import { notFound, type Outcome } from './outcome.js';

const FORM = 'application/x-www-form-urlencoded';

/** The form the request carries: the body when it is form-encoded, else the query string. */
export function requestForm(view: RequestView): URLSearchParams {
  const type = view.call.headers['content-type'] ?? '';
  if (view.method === 'POST' && type.toLowerCase().startsWith(FORM)) {
    const body = new URLSearchParams(Buffer.from(view.call.body).toString('utf8'));
    for (const [k, v] of view.query) if (!body.has(k)) body.append(k, v);
    return body;
  }
  return view.query;
}

export function resolveQuery(view: RequestView, form: URLSearchParams, action: string): Outcome {
  let candidates: Candidate[] = speaking(view, ['query', 'ec2']);
  if (candidates.length === 0)
    return notFound('unknown-service', `no query service serves ${view.call.host}`);
  const withOp = candidates.filter((c) => operationOf(c.service, action) !== undefined);
  if (withOp.length === 0) {
    const svc = (candidates[0] as Candidate).service.id;
    return notFound('unknown-operation', `${svc} has no operation ${action}`, svc, action);
  }
  candidates = withOp;
  if (candidates.length > 1) {
    // services sharing an endpoint and signing name (elb and elbv2) differ by API version
    const version = form.get('Version');
    const same = candidates.filter((c) => c.service.apiVersion === version);
    if (same.length) candidates = same;
  }
  const candidate = candidates.length > 1 ? endpointOwner(view, candidates) : candidates[0];
  if (!candidate) {
    const ids = candidates.map((c) => c.service.id).join(', ');
    return notFound('ambiguous', `Action=${action} matches ${ids}`, null, action);
  }
  const op = operationOf(candidate.service, action) as RawOperation;
  const protocol: Protocol = candidate.service.protocols.includes('ec2') ? 'ec2' : 'query';
  const truncated = view.call.bodyTruncated;
  return {
    kind: 'found',
    candidate,
    name: action,
    op,
    protocol,
    extract: () => formProtocolParams(op, form, truncated),
  };
}
