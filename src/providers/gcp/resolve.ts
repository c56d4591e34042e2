/**
 * Google Cloud REST requests → API methods: the host picks the API, the HTTP method and the
 * path pick the method (the most specific template wins), the path and the query give its
 * parameters, and from them the resource the call acted on and its project. Pure.
 */
import { type GcpMethod, gcpCatalog } from '../../catalog/gcp.js';
import type { CloudUnresolved, ObservedCall } from '../../model/index.js';
import { grpcCall, isGrpc } from './grpc.js';

export interface GcpOperation {
  provider: 'gcp';
  /** The API, as the method id names it (`storage`, `pubsub`, `compute`). */
  api: string;
  /** The method id (`pubsub.projects.topics.create`). */
  method: string;
  /** The project the call acted in, or null when the request does not say. */
  project: string | null;
  /**
   * The resource the call acted on, as a resource name (`projects/p/topics/t`,
   * `projects/_/buckets/b`), or its project or parent for a list or a create; null if unknown.
   */
  resource: string | null;
  /** Path and query parameters by the API's names. */
  params: Record<string, string>;
  /** The JSON request body (`topic` of a subscription, `serviceAccounts` of a VM...), when sent whole. */
  body?: Record<string, unknown>;
  /** The gRPC method (`google.pubsub.v1.Publisher/Publish`) when the call was gRPC. */
  grpc?: string;
}

export type GcpResolution = { kind: 'resolved'; operation: GcpOperation } | CloudUnresolved;

/** The OAuth token endpoints: credentials are exchanged there, no permission is used. */
const TOKEN_HOSTS = new Set(['oauth2.googleapis.com', 'accounts.google.com']);

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function resolveGcp(call: ObservedCall): GcpResolution {
  const host = call.host.toLowerCase();
  if (TOKEN_HOSTS.has(host) || (host === 'www.googleapis.com' && call.path.startsWith('/oauth2/'))) {
    return {
      kind: 'resolved',
      operation: {
        provider: 'gcp',
        api: 'oauth2',
        method: 'oauth2.token',
        project: null,
        resource: null,
        params: {},
      },
    };
  }
  const api = host.replace(/\.googleapis\.com$/, '');
  if (isGrpc(call)) return resolveGrpc(call, api);
  const methods = gcpCatalog().methods(host);
  if (!methods) {
    return {
      kind: 'unresolved',
      reason: 'unknown-service',
      detail: `${host} is not a Google Cloud API leastpriv knows`,
      service: api,
      operation: null,
    };
  }
  if (/^\/batch(\/|$)/.test(call.path)) {
    return {
      kind: 'unresolved',
      reason: 'unknown-operation',
      detail: `${call.method} ${host}${call.path}: a batch request (its parts are not read yet)`,
      service: api,
      operation: null,
    };
  }
  let best: { m: GcpMethod; match: RegExpExecArray } | null = null;
  for (const m of methods) {
    if (m.httpMethod !== call.method) continue;
    const match = m.flat.exec(call.path);
    if (match && (!best || m.weight > best.m.weight)) best = { m, match };
  }
  if (!best) {
    return {
      kind: 'unresolved',
      reason: 'unknown-operation',
      detail: `${call.method} ${host}${call.path} matches no method of ${api}`,
      service: api,
      operation: null,
    };
  }
  const params: Record<string, string> = {};
  const rel = best.m.relative.exec(call.path);
  if (rel) {
    best.m.relativeNames.forEach((name, i) => {
      params[name] = decode(rel[i + 1] ?? '');
    });
  }
  // Older APIs name the project `projectId` (Resource Manager v1, Cloud SQL...).
  if (params.projectId && params.project === undefined) params.project = params.projectId;
  const query = new URLSearchParams(call.query);
  for (const key of ['project', 'name', 'zone', 'region', 'parent']) {
    const v = query.get(key);
    if (v !== null && params[key] === undefined) params[key] = v;
  }
  const method = best.m.id;
  const resource = resourceOf(method, params);
  const project = projectOf(resource, params, call);
  const body = jsonBody(call);
  return {
    kind: 'resolved',
    operation: {
      provider: 'gcp',
      api: method.split('.')[0] ?? api,
      method,
      project,
      resource,
      params,
      ...(body ? { body } : {}),
    },
  };
}

/** A JSON request body that was kept whole and is an object, or null. */
function jsonBody(call: ObservedCall): Record<string, unknown> | null {
  if (call.body.length === 0 || call.bodyTruncated || !/json/.test(call.headers['content-type'] ?? ''))
    return null;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(call.body));
  } catch {
    return null;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function resolveGrpc(call: ObservedCall, api: string): GcpResolution {
  const g = grpcCall(call);
  if (!g || g.method === null) {
    return {
      kind: 'unresolved',
      reason: 'unknown-operation',
      detail: `gRPC ${call.path} on ${call.host}: ${g ? 'no REST method gives its permissions' : 'not in the gRPC table'}`,
      service: api,
      operation: call.path.slice(1),
    };
  }
  const resource = resourceOf(g.method, g.params);
  return {
    kind: 'resolved',
    operation: {
      provider: 'gcp',
      api: g.method.split('.')[0] ?? api,
      method: g.method,
      project: projectOf(resource, g.params, call),
      resource,
      params: g.params,
      ...(Object.keys(g.body).length ? { body: g.body } : {}),
      grpc: g.grpcMethod,
    },
  };
}

/** The resource name a call acted on, from the parameters the API names. */
function resourceOf(method: string, p: Record<string, string>): string | null {
  // Cloud Storage names buckets and objects by themselves: their resource names are these.
  if (method.startsWith('storage.')) {
    if (p.bucket && p.object) return `projects/_/buckets/${p.bucket}/objects/${p.object}`;
    if (p.bucket && p.name && method === 'storage.objects.insert')
      return `projects/_/buckets/${p.bucket}/objects/${p.name}`;
    if (p.bucket) return `projects/_/buckets/${p.bucket}`;
    if (p.project) return `projects/${p.project}`;
    return null;
  }
  // A parameter holding a resource name (`{+name}`, `{+topic}`, `{+parent}`, `{+project}`):
  // the longest one names the resource most exactly.
  let named: string | null = null;
  for (const v of Object.values(p)) {
    const value = v.replace(/^\/+/, '');
    if (
      /^(projects|organizations|folders|billingAccounts)\/[^/]+/.test(value) &&
      (!named || value.length > named.length)
    )
      named = value;
  }
  if (named) return named;
  // Compute-style paths: project, then zone or region, then the resource.
  if (p.project) {
    let r = `projects/${p.project}`;
    if (p.zone) r += `/zones/${p.zone}`;
    else if (p.region) r += `/regions/${p.region}`;
    const last = Object.entries(p).find(([k]) => !['project', 'projectId', 'zone', 'region'].includes(k));
    if (last) r += `/${method.split('.').at(-2) ?? 'resources'}/${last[1]}`;
    return r;
  }
  return null;
}

function projectOf(resource: string | null, p: Record<string, string>, call: ObservedCall): string | null {
  const m = resource ? /^projects\/([^/]+)/.exec(resource) : null;
  if (m && m[1] !== '_') return m[1] as string;
  if (p.project) return p.project;
  // A billing or quota project a client names (gcloud sends it with every call).
  return call.headers['x-goog-user-project'] ?? null;
}
