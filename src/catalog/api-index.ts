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
  /** Members that carry what dependent permissions depend on (see `MemberFacts`). */
  d?: MemberFacts;
  /**
   * Id in the service's `t` of what the request sends: REST-XML, the XML payload or body
   * members; query and EC2 (and JSON services that also speak query), the form.
   */
  X?: number;
}

/**
 * Input members that dependent permissions depend on, as dotted paths (`[]` marks the elements
 * of a list: `Targets[].RoleArn`): IAM roles passed to the service (`r`), tags sent with the
 * request (`t`) and KMS keys (`k`).
 */
export interface MemberFacts {
  r?: string[];
  t?: string[];
  k?: string[];
}

/**
 * One entry of a service's input shape table (see `scripts/api-index/xml-shapes.mjs`).
 * Structure: `{wireName: entry}`, entry `"Member"` (renamed), `id` (same name, child shape),
 * `["Member", id]`, `["Member", id, 1]` (flattened list or map). List: `["L", item, id?]`.
 * Map: `["M", key, value, id?]`. Ids index the table.
 */
export type RawXmlShape =
  | Readonly<Record<string, string | number | readonly [string, number] | readonly [string, number, 1]>>
  | readonly ['L', string, number?]
  | readonly ['M', string, string, number?];

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
  /** Input shape table of the operations' XML bodies or query forms (`X`). */
  t?: RawXmlShape[];
}

/** How the XML (or query form) a request sends maps to model members (from a service's `t`). */
export type XmlShape = XmlStruct | XmlList | XmlMap;
export interface XmlStruct {
  kind: 'struct';
  /** Described elements by XML name; elements not listed keep their name and parsed value. */
  members: Readonly<Record<string, XmlMember>>;
}
export interface XmlMember {
  name: string;
  shape: XmlShape | null;
  /** A flattened list or map: its items repeat as this element, with no wrapper. */
  flat: boolean;
}
export interface XmlList {
  kind: 'list';
  /** Element name of each item inside the wrapper. */
  item: string;
  of: XmlShape | null;
}
export interface XmlMap {
  kind: 'map';
  key: string;
  value: string;
  of: XmlShape | null;
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
export function dataFile(name: string): string {
  for (const rel of ['../../data/', '../../../data/']) {
    const file = fileURLToPath(new URL(`${rel}${name}`, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new Error(`data/${name} not found: run \`npm run data\``);
}

let loaded: ApiIndex | null = null;

/** Operations with an XML input shape → their service's table. */
const xmlTables = new WeakMap<RawOperation, RawXmlShape[]>();
/** Linked shapes per table, built on first use. */
const linkedTables = new WeakMap<RawXmlShape[], XmlShape[]>();

/** The shape of the XML body or query form an operation's request sends, or null if none. */
export function xmlInputShape(op: RawOperation): XmlShape | null {
  if (op.X === undefined) return null;
  const table = xmlTables.get(op);
  if (!table) return null;
  let linked = linkedTables.get(table);
  if (!linked) {
    linked = linkXmlShapes(table);
    linkedTables.set(table, linked);
  }
  return linked[op.X] ?? null;
}

function linkXmlShapes(table: readonly RawXmlShape[]): XmlShape[] {
  // placeholders first: shapes may refer to each other (and to themselves)
  const out: XmlShape[] = table.map((raw) => {
    if (!Array.isArray(raw)) return { kind: 'struct', members: {} };
    return raw[0] === 'L'
      ? { kind: 'list', item: raw[1], of: null }
      : { kind: 'map', key: raw[1], value: raw[2] as string, of: null };
  });
  const at = (id: number | undefined): XmlShape | null => (id === undefined ? null : (out[id] ?? null));
  table.forEach((raw, i) => {
    const shape = out[i] as XmlShape;
    if (shape.kind === 'list') shape.of = at((raw as readonly ['L', string, number?])[2]);
    else if (shape.kind === 'map') shape.of = at((raw as readonly ['M', string, string, number?])[3]);
    else {
      // no prototype: element names from requests are looked up here
      const members: Record<string, XmlMember> = Object.create(null);
      for (const [xml, e] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof e === 'string') members[xml] = { name: e, shape: null, flat: false };
        else if (typeof e === 'number') members[xml] = { name: xml, shape: at(e), flat: false };
        else if (Array.isArray(e))
          members[xml] = { name: e[0] as string, shape: at(e[1] as number), flat: e[2] === 1 };
      }
      shape.members = members;
    }
  });
  return out;
}

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
    if (svc.t) for (const op of Object.values(svc.ops)) if (op.X !== undefined) xmlTables.set(op, svc.t);
  }
  return { sources: raw.sources, services, bySigning, byHost, byTarget };
}

/** One service by id (`s3`, `monitoring`), or null. */
export function apiService(id: string): ApiService | null {
  return apiIndex().services.get(id) ?? null;
}

/** An operation's member facts, or null when it has none (or does not exist). */
export function memberFacts(service: string, operation: string): MemberFacts | null {
  const ops = apiService(service)?.ops;
  return ops && Object.hasOwn(ops, operation) ? (ops[operation]?.d ?? null) : null;
}

let members: Record<string, Record<string, string>> | null = null;

/**
 * The top-level input members of an operation (`data/aws-api/members.json`), or null when the
 * operation does not exist. Read on first use: only rule checks and the self-check need it.
 */
export function inputMembers(service: string, operation: string): readonly string[] | null {
  members ??= (
    JSON.parse(readFileSync(dataFile('aws-api/members.json'), 'utf8')) as {
      services: Record<string, Record<string, string>>;
    }
  ).services;
  const ops = Object.hasOwn(members, service) ? members[service] : undefined;
  if (!ops || !Object.hasOwn(ops, operation)) return null;
  const list = ops[operation] ?? '';
  return list ? list.split(',') : [];
}
