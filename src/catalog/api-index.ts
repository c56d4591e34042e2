/**
 * The AWS API index: every service's endpoints, signing name and protocols, and every
 * operation's HTTP binding, generated from the AWS SDK models by `npm run data`
 * (`scripts/generate-api-index.mjs`). Loaded once, on first use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Protocol = 'json' | 'query' | 'ec2' | 'rest-json' | 'rest-xml' | 'rpcv2-cbor';

/** One operation as stored in the index (see the generator for the key meanings). */
export interface RawOperation {
  /** `METHOD /uri?literals` for REST protocols. */
  h?: string;
  /** Located members: `q:<query key>`, `h:<header>`, `p:<header prefix>`, `Q` (query map). */
  l?: Record<string, string>;
  /** Keys of `l` that the operation requires. */
  r?: string[];
  /** Body members whose wire name differs from the member name. */
  b?: Record<string, string>;
  /** Payload member. */
  P?: string;
  /** 1 when the payload is raw bytes (an object body, never parsed). */
  Pb?: 1;
  /** Host prefix, possibly with `{Member}` labels. */
  x?: string;
  /** Query result wrapper when it is not `<Operation>Result`. */
  w?: string;
  /** Sensitive top-level members (secrets, keys). */
  s?: string[];
}

export interface RawService {
  sdkId: string;
  signing: string;
  hosts: string[];
  protocols: Protocol[];
  jsonVersion?: string;
  target?: string;
  xmlns?: string;
  apiVersion?: string;
  globalHost?: string;
  basePath?: string;
  queryCompatible?: 1;
  src: 'v2' | 'v3' | 'v2+v3';
  ops: Record<string, RawOperation>;
}

interface RawIndex {
  format: number;
  sources: Record<string, string>;
  services: Record<string, RawService>;
}

export interface ApiService extends RawService {
  id: string;
}

export interface ApiIndex {
  /** Source packages and their versions. */
  sources: Record<string, string>;
  services: ReadonlyMap<string, ApiService>;
  /** Services by SigV4 signing name. */
  bySigning: ReadonlyMap<string, readonly ApiService[]>;
  /** Services by host prefix (the host without region and DNS suffix: `sqs`, `api.ecr`). */
  byHost: ReadonlyMap<string, readonly ApiService[]>;
  /** JSON and CBOR services by target prefix / Smithy service name. */
  byTarget: ReadonlyMap<string, readonly ApiService[]>;
}

/** The package's `data/` folder, from both `src/catalog/` and `dist/src/catalog/`. */
function dataFile(name: string): string {
  for (const rel of ['../../data/', '../../../data/']) {
    const file = fileURLToPath(new URL(`${rel}${name}`, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new Error(`data/${name} not found: run \`npm run data\``);
}

let loaded: ApiIndex | null = null;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The API index, read and indexed on first call. */
export function apiIndex(): ApiIndex {
  loaded ??= readApiIndex();
  return loaded;
}

/** Reads and indexes `data/aws-api/index.json` (uncached: `apiIndex()` is the cached one). */
export function readApiIndex(): ApiIndex {
  const raw = JSON.parse(readFileSync(dataFile('aws-api/index.json'), 'utf8')) as RawIndex;
  if (raw.format !== 1) throw new Error(`data/aws-api/index.json: unsupported format ${raw.format}`);
  const services = new Map<string, ApiService>();
  const bySigning = new Map<string, ApiService[]>();
  const byHost = new Map<string, ApiService[]>();
  const byTarget = new Map<string, ApiService[]>();
  for (const id of Object.keys(raw.services).sort()) {
    const svc = { id, ...(raw.services[id] as RawService) };
    services.set(id, svc);
    push(bySigning, svc.signing, svc);
    for (const h of svc.hosts) push(byHost, h, svc);
    if (svc.target) push(byTarget, svc.target, svc);
  }
  return { sources: raw.sources, services, bySigning, byHost, byTarget };
}

/** One service by id (`s3`, `monitoring`), or null. */
export function apiService(id: string): ApiService | null {
  return apiIndex().services.get(id) ?? null;
}
