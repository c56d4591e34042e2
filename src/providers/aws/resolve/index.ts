/**
 * Resolves an observed AWS request to the API operation it called: the service from the SigV4
 * credential scope narrowed by the host (the host alone when unsigned), the operation from the
 * protocol's own marker (X-Amz-Target, RPCv2 path, Action=) or the REST binding, and the
 * parameters by model member name. Pure: the API index comes from `catalog/`.
 */
import { apiIndex } from '../../../catalog/api-index.js';
import type { ObservedCall, Operation, Resolution, Unresolved } from '../../../model/index.js';
import { type RequestView, viewRequest } from './candidates.js';
import { hostLabels } from './extract.js';
import { accountFromAccessKey } from './partition.js';
import { resolveJsonTarget, resolveRpcv2, rpcv2Path } from './protocols/json.js';
import type { Outcome } from './protocols/outcome.js';
import { requestForm, resolveQuery } from './protocols/query.js';
import { resolveRest } from './protocols/rest-resolve.js';

export { learnAccount } from './account.js';

export interface ResolveContext {
  /** `--account-id`, when given. */
  accountId: string | null;
  /** Learned from an sts GetCallerIdentity response in the same session. */
  learnedAccount: string | null;
}

const ACTION = /^[A-Za-z][A-Za-z0-9]*$/;

/** What a sensitive member's value (a secret, a key) is replaced with. */
export const REDACTED = '[redacted]';

function dispatch(view: RequestView): Outcome {
  const index = apiIndex();
  const headers = view.call.headers;
  const target = headers['x-amz-target'];
  if (target) return resolveJsonTarget(index, view, target);
  if (view.method === 'POST') {
    const rpc = rpcv2Path(view.call.path);
    if (rpc && (headers['smithy-protocol'] === 'rpc-v2-cbor' || !view.candidates.length || rpcSpeaker(view)))
      return resolveRpcv2(index, view, rpc[0], rpc[1]);
  }
  const form = requestForm(view);
  const action = form.get('Action');
  if (action && ACTION.test(action) && view.candidates.some((c) => c.service.protocols.some(isQuery)))
    return resolveQuery(view, form, action);
  return resolveRest(view);
}

const isQuery = (p: string) => p === 'query' || p === 'ec2';
const rpcSpeaker = (view: RequestView) =>
  view.candidates.some((c) => c.service.protocols.includes('rpcv2-cbor'));

function unresolved(view: RequestView, o: Exclude<Outcome, { kind: 'found' }>): Unresolved {
  return {
    kind: 'unresolved',
    reason: o.reason,
    detail: o.detail,
    service: o.service,
    operation: o.operation,
    region: view.region,
  };
}

/** The operation an AWS request called, or why it cannot be named. */
export function resolveAws(call: ObservedCall, ctx: ResolveContext): Resolution {
  const view = viewRequest(apiIndex(), call);
  if (!view.host.aws && !view.scope) {
    return {
      kind: 'unresolved',
      reason: 'not-aws-host',
      detail: `${call.host} is not an AWS endpoint and the request is not signed`,
      service: null,
      operation: null,
      region: null,
    };
  }
  if (view.candidates.length === 0 && !call.headers['x-amz-target'] && !rpcv2Path(call.path)) {
    const signed = view.scope?.service ? ` (signed for ${view.scope.service})` : '';
    return {
      kind: 'unresolved',
      reason: 'unknown-service',
      detail: `no AWS service is known for ${call.host}${signed}`,
      service: null,
      operation: null,
      region: view.region,
    };
  }
  const outcome = dispatch(view);
  if (outcome.kind !== 'found') return unresolved(view, outcome);
  const { candidate, name, op, protocol } = outcome;
  const extracted = outcome.extract();
  const params = { ...hostLabels(op, candidate.prefix), ...extracted.params };
  for (const member of op.s ?? []) if (member in params) params[member] = REDACTED;
  const account =
    ctx.accountId ?? ctx.learnedAccount ?? (view.scope ? accountFromAccessKey(view.scope.accessKeyId) : null);
  const operation: Operation = {
    provider: 'aws',
    service: candidate.service.id,
    operation: name,
    region: view.region,
    partition: view.partition,
    account,
    params,
    protocol,
  };
  const signing = view.scope?.service;
  if (signing && signing !== candidate.service.signing) operation.signingName = signing;
  if (extracted.warning) operation.warnings = [extracted.warning];
  return { kind: 'resolved', operation };
}
