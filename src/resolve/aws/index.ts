import type { ObservedCall, Resolution } from '../../model/index.js';

export interface ResolveContext {
  /** `--account-id`, when given. */
  accountId: string | null;
  /** Learned from an sts GetCallerIdentity response in the same session. */
  learnedAccount: string | null;
}

const TARGET = /^([A-Za-z0-9_]+)\.([A-Za-z0-9]+)$/;

/** Minimal resolution: service from the SigV4 scope, operation from the protocol's own marker. */
export function resolveAws(call: ObservedCall, ctx: ResolveContext): Resolution {
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(call.headers.authorization ?? '');
  const region = scope?.[1] ?? 'us-east-1';
  const service = scope?.[2] ?? call.host.split('.')[0] ?? null;
  const account = ctx.accountId ?? ctx.learnedAccount;
  const base = { provider: 'aws' as const, region, partition: 'aws', account, params: {} };
  const target = call.headers['x-amz-target'];
  let operation: string | undefined;
  if (target) operation = TARGET.exec(target)?.[2];
  if (!operation) {
    const m = /\/service\/[^/]+\/operation\/([^/?]+)/.exec(call.path);
    if (m) operation = m[1];
  }
  if (!operation) {
    const body = Buffer.from(call.body).toString('utf8');
    const form = new URLSearchParams(call.headers['content-type']?.includes('x-www-form-urlencoded') ? body : '');
    operation = form.get('Action') ?? new URLSearchParams(call.query).get('Action') ?? undefined;
  }
  if (!service || !operation) {
    return {
      kind: 'unresolved',
      reason: service ? 'unknown-operation' : 'unknown-service',
      detail: `${call.method} ${call.host}${call.path}`,
      service: service ?? null,
      operation: null,
      region,
    };
  }
  return { kind: 'resolved', operation: { ...base, service, operation } };
}
