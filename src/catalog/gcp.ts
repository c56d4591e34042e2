/**
 * Google Cloud's REST methods (`data/gcp/methods.json`, generated from the API clients the
 * Google Cloud SDK ships) and the curated permission rules (`data/gcp/rules.json`, each rule
 * with the Google documentation page it comes from). Loaded once, on first use.
 */
import { readFileSync } from 'node:fs';
import { dataFile } from './api-index.js';

export interface GcpMethod {
  httpMethod: string;
  /** One path segment per parameter: `/v1/projects/{projectsId}/topics/{topicsId}`. */
  flat: RegExp;
  /** The parameters as the API names them (`{+name}` may span segments). */
  relative: RegExp;
  relativeNames: string[];
  /** Literal characters of the flat template: the most specific match wins. */
  weight: number;
  /** `pubsub.projects.topics.create`. */
  id: string;
}

export interface GcpRule {
  /** Method id this rule is for. */
  method: string;
  /** The permissions the method needs (empty: none). */
  permissions: string[];
  /**
   * Permissions granted on a resource the request body names, not on the one in the path:
   * permission → body member (`pubsub.topics.attachSubscription` → `topic`).
   */
  on?: Record<string, string>;
  source: string;
}

/** A gRPC method: its host, the REST method whose permissions it needs, its string fields by number. */
export interface GcpGrpcMethod {
  host: string;
  /** The REST method id (`pubsub.projects.topics.publish`), or null when none is known. */
  method: string | null;
  /** Fields the REST path names (`topic` → 1). */
  pathFields: Record<string, number>;
  /** The message's other top-level string fields (`topic` of a CreateSubscription → 2). */
  bodyFields: Record<string, number>;
  /** The rule's page, when a curated rule named the REST method. */
  source?: string;
}

export interface GcpCatalog {
  sdkVersion: string;
  /** A gRPC method by its path (`/google.pubsub.v1.Publisher/Publish`). */
  grpc(path: string): GcpGrpcMethod | undefined;
  methods(host: string): readonly GcpMethod[] | undefined;
  rule(method: string): GcpRule | undefined;
  /** API name → IAM permission prefix, where they differ (`cloudresourcemanager` → `resourcemanager`). */
  prefix(api: string): string;
}

type RawMethod = [string, string, string, string, string[]];

/** A path template as a regular expression: `{x}` one segment, `{+x}` one or more. */
function compile(template: string): { re: RegExp; names: string[]; weight: number } {
  const names: string[] = [];
  let weight = 0;
  const body = template
    .split(/(\{\+?[A-Za-z0-9_.]+\})/)
    .map((part) => {
      const m = /^\{(\+?)([A-Za-z0-9_.]+)\}$/.exec(part);
      if (!m) {
        weight += part.length;
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      names.push(m[2] as string);
      return m[1] ? '(.+?)' : '([^/]+?)';
    })
    .join('');
  return { re: new RegExp(`^${body}$`), names, weight };
}

let loaded: GcpCatalog | null = null;

export function gcpCatalog(): GcpCatalog {
  if (loaded) return loaded;
  const raw = JSON.parse(readFileSync(dataFile('gcp/methods.json'), 'utf8')) as {
    sdkVersion: string;
    hosts: Record<string, RawMethod[]>;
  };
  const rules = JSON.parse(readFileSync(dataFile('gcp/rules.json'), 'utf8')) as {
    prefixes: Record<string, string>;
    grpc: Record<string, { method: string; source: string }>;
    rules: GcpRule[];
  };
  const grpcRaw = JSON.parse(readFileSync(dataFile('gcp/grpc.json'), 'utf8')) as {
    methods: Record<string, [string, string | null, Record<string, number>, Record<string, number>]>;
  };
  const byMethod = new Map(rules.rules.map((r) => [r.method, r]));
  const compiled = new Map<string, GcpMethod[]>();
  const methods = (host: string): GcpMethod[] | undefined => {
    const hit = compiled.get(host);
    if (hit) return hit;
    const list = raw.hosts[host];
    if (!list) return undefined;
    const out: GcpMethod[] = [];
    for (const [httpMethod, flat, relative, id, uploads] of list) {
      const f = compile(flat);
      const r = compile(relative);
      out.push({ httpMethod, flat: f.re, relative: r.re, relativeNames: r.names, weight: f.weight, id });
      // A media upload goes to its own path, with the method's parameters.
      for (const path of uploads) {
        const u = compile(path);
        out.push({ httpMethod, flat: u.re, relative: u.re, relativeNames: u.names, weight: u.weight, id });
      }
    }
    compiled.set(host, out);
    return out;
  };
  const grpc = (path: string): GcpGrpcMethod | undefined => {
    const m = Object.hasOwn(grpcRaw.methods, path) ? grpcRaw.methods[path] : undefined;
    if (!m) return undefined;
    const [host, method, pathFields, bodyFields] = m;
    const curated = Object.hasOwn(rules.grpc, path) ? rules.grpc[path] : undefined;
    return {
      host,
      method: method ?? curated?.method ?? null,
      pathFields,
      bodyFields,
      ...(curated ? { source: curated.source } : {}),
    };
  };
  loaded = {
    sdkVersion: raw.sdkVersion,
    grpc,
    methods,
    rule: (m) => byMethod.get(m),
    prefix: (api) => rules.prefixes[api] ?? api,
  };
  return loaded;
}
