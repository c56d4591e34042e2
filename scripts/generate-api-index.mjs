#!/usr/bin/env node
/**
 * Generates data/aws-api/index.json: the compact AWS API index the resolver reads.
 *
 * Sources (devDependencies, used here only):
 * - `aws-sdk` v2 `apis/*.min.json`: every service of the v2 SDK (frozen in late 2024). Minified
 *   models omit defaults: no `http.method` means POST, no `requestUri` means `/`.
 * - `@aws-sdk/client-*` v3 packages: their exported Smithy schemas (`Operation$` arrays) and
 *   runtime configuration (protocol, target prefix, signing name, endpoint rules). They add the
 *   services v2 lacks, the operations added since, and protocols that changed.
 *
 * Output: one JSON object, one operation per line, keys sorted: the same inputs give the same
 * bytes. Format of an operation (keys omitted when empty):
 *   h  "METHOD /uri/{Label}/{Greedy+}?literal&k=v"   (REST protocols only)
 *   l  {"q:name"|"h:name"|"p:prefix"|"Q": member}      query, header, prefix-header, query-map members
 *   r  [key of l, ...]                                 required located members
 *   b  {serialized name: member}                       body members whose wire name differs
 *   P  payload member; Pb 1 when the payload is a blob (never parsed)
 *   x  host prefix ("data-", "{AccountId}.")
 *   w  output result wrapper, when not `<Op>Result` (query protocol)
 *   s  [member, ...] sensitive top-level members (secrets, keys): never kept as parameters
 *   d  {r: [paths], t: [paths], k: [paths]}: members that carry IAM roles, tags and KMS keys
 *      (see api-index/member-facts.mjs); dependent permissions are driven by them
 *   X  id in the service's shape table `t` of what the request sends: REST-XML, the XML payload
 *      structure or body members; query and EC2 (and JSON services that also speak query), the
 *      form: wire names → member names, lists, maps (see api-index/xml-shapes.mjs)
 * A service with such operations has `t`, its shape table.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v2MemberFacts, v3MemberFacts } from './api-index/member-facts.mjs';
import { shapeTable, v2XmlNode, v3Resolve, v3XmlNode } from './api-index/xml-shapes.mjs';
import { ensureSources, sourcesRequire as require, sourcePackages } from './lib/data-sources.mjs';
import { checking, emit } from './lib/emit.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
ensureSources({ install: !checking });
const outDir = join(root, 'data', 'aws-api');

/**
 * Protocols a service speaks that the JS SDK's chosen protocol does not reveal. CloudWatch's
 * Smithy model lists rpcv2Cbor, awsJson1_0 and awsQuery: aws-sdk-go-v2 (so Terraform) sends CBOR.
 */
const EXTRA_PROTOCOLS = { monitoring: ['rpcv2-cbor'] };

/** The v3 client's protocol class → wire protocol (and JSON version). */
const V3_PROTOCOL = {
  AwsJson1_0Protocol: ['json', '1.0'],
  AwsJson1_1Protocol: ['json', '1.1'],
  AwsQueryProtocol: ['query'],
  AwsEc2QueryProtocol: ['ec2'],
  AwsRestJsonProtocol: ['rest-json'],
  AwsRestXmlProtocol: ['rest-xml'],
  S3RestXmlProtocol: ['rest-xml'],
  AwsSmithyRpcV2CborProtocol: ['rpcv2-cbor'],
  SmithyRpcV2CborProtocol: ['rpcv2-cbor'],
};

const sortKeys = (o) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const prune = (o) => {
  const out = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
};

// ---------------------------------------------------------------- v2

function v2Models() {
  const dir = join(dirname(require.resolve('aws-sdk/package.json')), 'apis');
  const latest = new Map();
  for (const f of readdirSync(dir).sort()) {
    const m = /^(.+)-(\d{4}-\d{2}-\d{2})\.min\.json$/.exec(f);
    if (!m) continue;
    latest.set(m[1], f); // sorted: the last version wins
  }
  const out = new Map();
  for (const [id, f] of latest) out.set(id.toLowerCase(), JSON.parse(readFileSync(join(dir, f), 'utf8')));
  return out;
}

function v2Shape(model, ref) {
  let s = ref;
  for (let i = 0; i < 20 && s?.shape; i++) s = { ...model.shapes[s.shape], ...s, shape: undefined };
  return s ?? {};
}

/** The flavor of input shape a protocol needs (see api-index/xml-shapes.mjs), or null. */
function shapeFlavor(protocol, queryCompatible) {
  if (protocol === 'rest-xml') return 'xml';
  if (protocol === 'query' || protocol === 'ec2') return protocol;
  return queryCompatible ? 'query' : null;
}

function v2Operation(model, name, op, protocol, memo) {
  const input = v2Shape(model, op.input);
  const members = input.members ?? {};
  const required = new Set(input.required ?? []);
  const l = {};
  const r = [];
  const b = {};
  const labels = {};
  let P;
  let Pb;
  const sensitive = [];
  for (const [member, ref] of Object.entries(members)) {
    const shape = v2Shape(model, ref);
    if (shape.sensitive) sensitive.push(member);
    let key;
    if (ref.location === 'uri') labels[ref.locationName ?? member] = member;
    else if (ref.location === 'querystring')
      key = shape.type === 'map' ? 'Q' : `q:${ref.locationName ?? member}`;
    else if (ref.location === 'header') key = `h:${(ref.locationName ?? member).toLowerCase()}`;
    else if (ref.location === 'headers') key = `p:${(ref.locationName ?? '').toLowerCase()}`;
    else if (ref.location === 'statusCode') continue;
    else if (input.payload === member) {
      P = member;
      if (shape.type === 'blob' || shape.type === 'string' || shape.streaming) Pb = 1;
    } else {
      let wire = ref.locationName ?? member;
      if (protocol === 'ec2') wire = ref.queryName ?? (ref.locationName ? cap(ref.locationName) : member);
      if (wire !== member) b[wire] = member;
    }
    if (key) {
      l[key] = member;
      if (required.has(member)) r.push(key);
    }
  }
  let h;
  if (protocol === 'rest-json' || protocol === 'rest-xml') {
    const method = op.http?.method ?? 'POST';
    const uri = (op.http?.requestUri ?? '/').replace(
      /\{([^}+]+)(\+?)\}/g,
      (_, n, plus) => `{${labels[n] ?? n}${plus}}`,
    );
    h = `${method} ${uri}`;
  }
  const wrapper = op.output?.resultWrapper;
  return prune({
    h,
    l: sortKeys(l),
    r: r.sort(),
    b: sortKeys(b),
    P,
    Pb,
    x: op.endpoint?.hostPrefix,
    w: protocol === 'query' && wrapper && wrapper !== `${name}Result` ? wrapper : undefined,
    s: sensitive.sort(),
    X: v2InputShape(model, op, protocol, P, Pb, memo),
    d: v2MemberFacts(model, op),
    I: Object.keys(members).sort(),
  });
}

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

function v2InputShape(model, op, protocol, P, Pb, memo) {
  const flavor = shapeFlavor(protocol, model.metadata.awsQueryCompatible);
  if (!flavor || Pb) return undefined;
  const input = v2Shape(model, op.input);
  return v2XmlNode(model, P ? input.members[P] : op.input, memo, flavor);
}

function v2Service(id, model) {
  const md = model.metadata;
  const protocols = md.protocols ?? [md.protocol];
  const protocol = protocols.includes(md.protocol) ? md.protocol : protocols[0];
  const ops = {};
  const memo = new Map();
  for (const [name, op] of Object.entries(model.operations))
    ops[name] = v2Operation(model, name, op, protocol, memo);
  return {
    id,
    sdkId: md.serviceId,
    signing: md.signingName ?? md.endpointPrefix,
    hosts: [md.endpointPrefix],
    protocols: [...protocols],
    jsonVersion: md.jsonVersion,
    target: md.targetPrefix,
    xmlns: md.xmlNamespace,
    apiVersion: md.apiVersion,
    globalHost: md.globalEndpoint,
    queryCompatible: md.awsQueryCompatible ? 1 : undefined,
    src: 'v2',
    ops,
  };
}

// ---------------------------------------------------------------- v3

/** Bit positions of the traits a schema encodes as a number (see @smithy/core translateTraits). */
const TRAIT_BITS = [
  'httpLabel',
  'idempotent',
  'idempotencyToken',
  'sensitive',
  'httpPayload',
  'httpResponseCode',
  'httpQueryParams',
];
function traitsOf(t) {
  if (t && typeof t === 'object') return t;
  const out = {};
  TRAIT_BITS.forEach((name, i) => {
    if (((t | 0) >> i) & 1) out[name] = 1;
  });
  return out;
}
function deref(s) {
  let x = s;
  for (let i = 0; i < 10 && typeof x === 'function'; i++) x = x();
  return x;
}
/** Resolves a member schema to [target schema, member traits]. */
function memberOf(s) {
  let x = deref(s);
  let traits = {};
  if (Array.isArray(x) && x.length === 2) {
    traits = traitsOf(x[1]);
    x = deref(x[0]);
  }
  // simple named schema: [0, ns, name, traits, ref]; its traits (sensitive) apply to the member
  for (let i = 0; i < 10 && Array.isArray(x) && x[0] === 0; i++) {
    traits = { ...traitsOf(x[3]), ...traits };
    x = deref(x[4]);
  }
  if (Array.isArray(x) && traitsOf(x[3]).sensitive) traits = { ...traits, sensitive: 1 };
  return [x, traits];
}
/** Blob, streaming blob or string: a payload sent as raw bytes. */
const isRaw = (x) => x === 21 || x === 42 || x === 0;

function v3Operation(opSchema, protocol, memo, queryCompatible) {
  const opTraits = traitsOf(opSchema[3]);
  const input = deref(opSchema[4]);
  const l = {};
  const r = [];
  const b = {};
  let P;
  let Pb;
  const labels = [];
  const sensitive = [];
  const body = { names: [], schemas: [] };
  let payloadSchema;
  if (Array.isArray(input) && input[0] === 3) {
    const names = input[4] ?? [];
    const schemas = input[5] ?? [];
    const requiredCount = input[6] ?? 0;
    names.forEach((member, i) => {
      const [target, t] = memberOf(schemas[i]);
      if (t.sensitive) sensitive.push(member);
      let key;
      if (t.httpLabel) {
        labels.push(member);
        return;
      }
      if (t.hostLabel && !t.httpHeader) return;
      if (t.httpQuery) key = `q:${t.httpQuery}`;
      else if (t.httpQueryParams) key = 'Q';
      else if (t.httpHeader) key = `h:${String(t.httpHeader).toLowerCase()}`;
      else if (t.httpPrefixHeaders !== undefined) key = `p:${String(t.httpPrefixHeaders).toLowerCase()}`;
      else if (t.httpResponseCode) return;
      else if (t.httpPayload) {
        P = member;
        if (isRaw(target)) Pb = 1;
        payloadSchema = schemas[i];
        return;
      } else {
        body.names.push(member);
        body.schemas.push(schemas[i]);
        let wire = member;
        if (protocol === 'ec2') wire = t.ec2QueryName ?? (t.xmlName ? cap(t.xmlName) : member);
        else if (protocol === 'rest-json' || protocol === 'json') wire = t.jsonName ?? member;
        else wire = t.xmlName ?? member;
        if (wire !== member) b[wire] = member;
        return;
      }
      l[key] = member;
      if (i < requiredCount) r.push(key);
    });
  }
  let h;
  if ((protocol === 'rest-json' || protocol === 'rest-xml') && opTraits.http) {
    const [method, uri] = opTraits.http;
    // S3's v3 URIs are relative to the bucket's endpoint: the bucket label becomes the first segment
    const missing = labels.filter((m) => !uri.includes(`{${m}}`) && !uri.includes(`{${m}+}`));
    const prefix = missing.map((m) => `/{${m}}`).join('');
    const full = prefix ? `${prefix}${uri === '/' || uri.startsWith('/?') ? uri.slice(1) : uri}` : uri;
    h = `${method} ${stripXId(full)}`;
  }
  return prune({
    h,
    l: sortKeys(l),
    r: r.sort(),
    b: sortKeys(b),
    P,
    Pb,
    x: opTraits.endpoint?.[0],
    s: sensitive.sort(),
    d: v3MemberFacts(opSchema),
    I: Array.isArray(input) && input[0] === 3 ? [...(input[4] ?? [])].sort() : undefined,
    X: Pb ? undefined : v3InputShape(shapeFlavor(protocol, queryCompatible), P, payloadSchema, body, memo),
    // JSON and CBOR services may also speak query (their v2 model's protocol): kept for the merge
    Xq:
      protocol === 'json' || protocol === 'rpcv2-cbor'
        ? v3InputShape('query', P, payloadSchema, body, memo.query)
        : undefined,
  });
}

/** What a request sends: the XML payload structure, or the body (or form) members. */
function v3InputShape(flavor, P, payloadSchema, body, memo) {
  if (!flavor) return undefined;
  if (P) return v3XmlNode(v3Resolve(payloadSchema)[0], memo, flavor);
  if (!body.names.length) return undefined;
  return v3XmlNode([3, 'input', 'input', 0, body.names, body.schemas], memo, flavor);
}

/** SDK v3 appends `x-id=<Operation>` to some S3 URIs; the resolver treats it as optional. */
function stripXId(uri) {
  const [path, query] = uri.split('?');
  if (query === undefined) return uri;
  const rest = query.split('&').filter((p) => !p.startsWith('x-id='));
  return rest.length ? `${path}?${rest.join('&')}` : path;
}

function quietly(fn) {
  const warn = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return fn();
  } finally {
    process.emitWarning = warn;
  }
}

function v3Hosts(resolver) {
  const hosts = new Set();
  let basePath;
  const tries = [
    { Region: 'us-east-1', UseFIPS: false, UseDualStack: false },
    { Region: 'us-east-1', UseFIPS: true, UseDualStack: false },
    { Region: 'us-east-1', UseFIPS: false, UseDualStack: true },
  ];
  for (const params of tries) {
    try {
      const ep = resolver(params, {});
      const url = ep.url;
      const key = hostKey(url.hostname);
      if (key) hosts.add(key);
      if (!params.UseFIPS && !params.UseDualStack && url.pathname && url.pathname !== '/')
        basePath = url.pathname;
    } catch {
      // endpoint rules that need more parameters (bucket, account) give no default host
    }
  }
  return { hosts: [...hosts].sort(), basePath };
}

const DNS_SUFFIX =
  /\.(\{PartitionResult#(dnsSuffix|dualStackDnsSuffix)\}|amazonaws\.com(\.cn)?|amazonaws\.eu|api\.aws|api\.amazonwebservices\.(com\.cn|eu)|c2s\.ic\.gov|sc2s\.sgov\.gov|csp\.hci\.ic\.gov|cloud\.adc-e\.uk|api\.aws\.(ic\.gov|hci\.ic\.gov|scloud)|api\.cloud-aws\.adc-e\.uk)$/;
const REGION_LABEL = /^([a-z]{2,4}(-[a-z]+)+-\d{1,2}|us-gov|\{Region\})$/;

/** Host prefixes of every endpoint URL template in the client's endpoint rules. */
function ruleHosts(pkg) {
  const text = readFileSync(
    join(dirname(require.resolve(`${pkg}/package.json`)), 'dist-cjs', 'index.js'),
    'utf8',
  );
  const hosts = new Set();
  for (const [, host] of text.matchAll(/"https:\/\/([^"/]+)[^"]*"/g)) {
    const key = hostKey(host);
    if (key) hosts.add(key);
  }
  return hosts;
}

/** `sqs-fips.{Region}.{PartitionResult#dnsSuffix}` → `sqs`; null for hosts with other labels. */
function hostKey(host) {
  if (!DNS_SUFFIX.test(host)) return null;
  const labels = host
    .replace(DNS_SUFFIX, '')
    .split('.')
    .filter((l) => !REGION_LABEL.test(l) && l !== 'dualstack' && l !== 'fips' && l !== 'global');
  while (labels.length && /^\{[^}]+\}$/.test(labels[0])) labels.shift();
  if (!labels.length || labels.some((l) => l.includes('{') || l.includes('}'))) return null;
  return labels.map((l) => l.replace(/-fips$/, '')).join('.');
}

function v3Service(pkg) {
  const pkgJson = require(`${pkg}/package.json`);
  const mod = quietly(() => require(pkg));
  const ClientClass = Object.values(mod).find(
    (v) => typeof v === 'function' && /Client$/.test(v.name) && v.name !== 'Client' && v.prototype?.send,
  );
  const client = quietly(() => new ClientClass({ region: 'us-east-1' }));
  const cfg = client.config;
  const protoName = cfg.protocol?.constructor?.name;
  const proto = V3_PROTOCOL[protoName];
  // clients generated before schemas (discontinued services) carry no schema to read
  if (!proto) return null;
  const settings = cfg.protocolSettings ?? {};
  const authText = readFileSync(
    join(dirname(require.resolve(`${pkg}/package.json`)), 'dist-es', 'auth', 'httpAuthSchemeProvider.js'),
    'utf8',
  );
  const signing = /name:\s*"([^"]+)"/.exec(authText)?.[1];
  const { hosts, basePath } = v3Hosts((params) => cfg.endpointProvider(params, {}));
  client.destroy?.();
  const ops = {};
  const memo = Object.assign(new Map(), { query: new Map() });
  for (const [key, value] of Object.entries(mod)) {
    if (!key.endsWith('Command') || typeof value !== 'function') continue;
    let schema;
    try {
      schema = new value({}).schema;
    } catch {
      continue;
    }
    if (!Array.isArray(schema) || schema[0] !== 9) continue;
    ops[schema[2]] = v3Operation(schema, proto[0], memo, settings.awsQueryCompatible);
  }
  return {
    pkg,
    version: pkgJson.version,
    sdkId: cfg.serviceId,
    signing,
    hosts: [...new Set([...hosts, ...ruleHosts(pkg)])].sort(),
    basePath,
    protocols: [proto[0]],
    jsonVersion: proto[1],
    target: settings.serviceTarget,
    xmlns: settings.xmlNamespace,
    apiVersion: settings.version,
    queryCompatible: settings.awsQueryCompatible ? 1 : undefined,
    ops,
  };
}

// ---------------------------------------------------------------- merge

const norm = (s) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function main() {
  const v3Packages = sourcePackages().filter((n) => n.startsWith('@aws-sdk/client-'));
  const services = new Map();
  const v2 = v2Models();
  const bySdkId = new Map();
  for (const [id, model] of v2) {
    const svc = v2Service(id, model);
    services.set(id, svc);
    bySdkId.set(norm(svc.sdkId), svc);
  }
  const skipped = [];
  const sources = { 'aws-sdk': require('aws-sdk/package.json').version };
  for (const pkg of v3Packages) {
    const v3 = v3Service(pkg);
    if (!v3) {
      skipped.push(pkg);
      continue;
    }
    sources[pkg] = v3.version;
    let svc = bySdkId.get(norm(v3.sdkId));
    if (!svc) {
      const id = pkg.slice('@aws-sdk/client-'.length);
      svc = { id, sdkId: v3.sdkId, signing: v3.signing, hosts: [], protocols: [], ops: {}, src: 'v3' };
      services.set(id, svc);
    } else svc.src = 'v2+v3';
    svc.signing = v3.signing ?? svc.signing;
    svc.hosts = [...new Set([...svc.hosts, ...v3.hosts])].sort();
    if (v3.basePath) svc.basePath = v3.basePath;
    const [p] = v3.protocols;
    if (!svc.protocols.includes(p)) svc.protocols = [p, ...svc.protocols];
    if (p === 'json') svc.jsonVersion = v3.jsonVersion;
    svc.target = svc.target ?? v3.target;
    if (p === 'json' || !svc.target) svc.target = v3.target;
    svc.xmlns = svc.xmlns ?? v3.xmlns;
    svc.apiVersion = v3.apiVersion ?? svc.apiVersion;
    if (v3.queryCompatible) svc.queryCompatible = 1;
    // v3 is newer: its bindings win; operations v3 dropped stay (old clients still call them)
    for (const [name, { Xq, ...op }] of Object.entries(v3.ops)) {
      const old = svc.ops[name];
      svc.ops[name] = old?.w ? { ...op, w: old.w } : op;
      if (op.X === undefined && Xq && svc.protocols.includes('query')) svc.ops[name].X = Xq;
    }
  }
  for (const [id, extra] of Object.entries(EXTRA_PROTOCOLS)) {
    const svc = services.get(id);
    if (svc) for (const p of extra) if (!svc.protocols.includes(p)) svc.protocols.push(p);
  }
  for (const svc of services.values()) {
    if (svc.queryCompatible && !svc.protocols.includes('query')) svc.protocols.push('query');
  }
  for (const svc of services.values()) encodeXmlShapes(svc);
  if (skipped.length) process.stderr.write(`skipped (no schemas): ${skipped.join(' ')}\n`);
  writeIndex(sources, services);
}

/** Replaces each operation's XML shape node (`X`) with its id in the service's table `t`. */
function encodeXmlShapes(svc) {
  const names = Object.keys(svc.ops)
    .filter((n) => svc.ops[n].X)
    .sort();
  if (!names.length) return;
  const { table, id } = shapeTable(names.map((n) => svc.ops[n].X));
  for (const n of names) {
    const x = id(svc.ops[n].X);
    if (x === undefined) delete svc.ops[n].X;
    else svc.ops[n].X = x;
  }
  if (table.length) svc.t = table;
}

function writeIndex(sources, services) {
  mkdirSync(outDir, { recursive: true });
  writeMembers(sources, services);
  const lines = ['{"format":1,', `"sources":${JSON.stringify(sortKeys(sources))},`, '"services":{'];
  const ids = [...services.keys()].sort();
  ids.forEach((id, si) => {
    const { ops, t, id: _id, ...meta } = services.get(id);
    const head = JSON.stringify(prune(sortKeys(meta)));
    lines.push(`${JSON.stringify(id)}:${head.slice(0, -1)},"ops":{`);
    const names = Object.keys(ops).sort();
    names.forEach((n, i) => {
      lines.push(
        `${JSON.stringify(n)}:${JSON.stringify(sortKeys(ops[n]))}${i < names.length - 1 ? ',' : ''}`,
      );
    });
    if (t) {
      lines.push('},"t":[');
      t.forEach((shape, i) => {
        lines.push(`${JSON.stringify(shape)}${i < t.length - 1 ? ',' : ''}`);
      });
      lines.push(`]}${si < ids.length - 1 ? ',' : ''}`);
    } else lines.push(`}}${si < ids.length - 1 ? ',' : ''}`);
  });
  lines.push('}}');
  const text = `${lines.join('\n')}\n`;
  JSON.parse(text);
  emit(join(outDir, 'index.json'), text);
  const opCount = [...services.values()].reduce((n, s) => n + Object.keys(s.ops).length, 0);
  process.stdout.write(
    `data/aws-api/index.json: ${services.size} services, ${opCount} operations, ${text.length} bytes\n`,
  );
}

/**
 * data/aws-api/members.json: every operation's top-level input members, comma-separated. Not
 * read on the request path: the curated rules are checked against it, and the self-check.
 */
function writeMembers(sources, services) {
  const lines = ['{"format":1,', `"sources":${JSON.stringify(sortKeys(sources))},`, '"services":{'];
  const ids = [...services.keys()].sort();
  ids.forEach((id, si) => {
    const { ops } = services.get(id);
    const names = Object.keys(ops).sort();
    const row = {};
    for (const n of names) {
      row[n] = (ops[n].I ?? []).join(',');
      delete ops[n].I;
    }
    lines.push(`${JSON.stringify(id)}:${JSON.stringify(row)}${si < ids.length - 1 ? ',' : ''}`);
  });
  lines.push('}}');
  const text = `${lines.join('\n')}\n`;
  JSON.parse(text);
  emit(join(outDir, 'members.json'), text);
}

main();
