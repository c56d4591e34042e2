/**
 * Which services a request can be for: the SigV4 signing name narrowed by the host, or the
 * host alone for unsigned requests.
 */
import type { ApiIndex, ApiService, RawOperation } from '../../../catalog/api-index.js';
import type { ObservedCall } from '../../../model/index.js';
import { type HostInfo, parseHost, servicesForHost } from './hosts.js';
import { globalRegion, partitionOf } from './partition.js';
import { parseS3Host, type S3Host } from './s3-hosts.js';
import { type CredentialScope, credentialScope } from './sigv4.js';

export interface Candidate {
  service: ApiService;
  /** What precedes the service's host prefix in the host (`data-`, `123456789012.`). */
  prefix: string;
}

/** Everything the protocol matchers need, computed once per request. */
export interface RequestView {
  call: ObservedCall;
  method: string;
  /** The path, with an S3 virtual-hosted bucket moved into it. */
  path: string;
  query: URLSearchParams;
  host: HostInfo;
  s3: S3Host | null;
  scope: CredentialScope | null;
  region: string;
  partition: string;
  candidates: Candidate[];
  /** The request's signing name is in the index (or there is no signature). */
  signingKnown: boolean;
}

/** Signing names that are not a service's own but sign requests to it. */
const SIGNING_ALIASES: ReadonlyMap<string, readonly string[]> = new Map([
  ['s3express', ['s3']],
  ['s3-object-lambda', ['s3']],
  ['s3-outposts', ['s3']],
]);

/**
 * The operation of a service by its name as a request gives it. The request can name anything
 * (`constructor`, `__proto__`): only the model's own operations count.
 */
export function operationOf(service: ApiService, name: string): RawOperation | undefined {
  return Object.hasOwn(service.ops, name) ? service.ops[name] : undefined;
}

export function viewRequest(index: ApiIndex, call: ObservedCall): RequestView {
  const query = new URLSearchParams(call.query);
  const host = parseHost(call.host);
  const scope = credentialScope(call, query);
  const s3 = host.aws ? parseS3Host(host.labels, host.partition ?? 'aws', host.region) : null;
  const region = scope?.region ?? s3?.region ?? host.region ?? globalRegion(host.partition ?? 'aws');
  const partition = partitionOf(region);

  const s3svc = index.services.get('s3');
  const fromHost: Candidate[] =
    s3 && s3svc ? [{ service: s3svc, prefix: '' }] : host.aws ? servicesForHost(index, host.labels) : [];
  let candidates = fromHost;
  let signingKnown = true;
  if (scope?.service) {
    const signed = new Set<ApiService>(index.bySigning.get(scope.service) ?? []);
    for (const alias of SIGNING_ALIASES.get(scope.service) ?? []) {
      const svc = index.services.get(alias);
      if (svc) signed.add(svc);
    }
    signingKnown = signed.size > 0;
    const both = fromHost.filter((c) => signed.has(c.service));
    // the signature names the service: a host of another service (or none) does not override it
    candidates = both.length ? both : [...signed].map((service) => ({ service, prefix: '' }));
  }
  let path = call.path || '/';
  if (s3?.bucket) path = `/${encodeURIComponent(s3.bucket)}${path === '/' ? '' : path}`;
  return {
    call,
    method: call.method.toUpperCase(),
    path,
    query,
    host,
    s3,
    scope,
    region,
    partition,
    candidates,
    signingKnown,
  };
}

/** The candidates that speak one of the protocols. */
export function speaking(view: RequestView, protocols: readonly string[]): Candidate[] {
  return view.candidates.filter((c) => c.service.protocols.some((p) => protocols.includes(p)));
}

/**
 * Among services whose models describe the same request (Neptune and DocumentDB on RDS's
 * endpoint, CloudWatch Events and EventBridge, Greengrass v1 and v2 on shared paths), the one
 * that owns the endpoint: its id is the request's signing name or the host's service label.
 * Null when none or several do.
 */
export function endpointOwner<T extends { service: ApiService }>(
  view: RequestView,
  tied: readonly T[],
): T | null {
  const signing = view.scope?.service;
  const label = view.host.labels[view.host.labels.length - 1];
  const owners = tied.filter((t) => t.service.id === signing || t.service.id === label);
  return owners.length === 1 ? (owners[0] as T) : null;
}
