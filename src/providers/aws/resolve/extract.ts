/** Parameters of a resolved request, by model member name, for each protocol. */
import {
  type RawOperation,
  type XmlList,
  type XmlMap,
  type XmlShape,
  type XmlStruct,
  xmlInputShape,
} from '../../../catalog/api-index.js';
import { CborDepthError, CborError, decodeCbor } from './cbor.js';
import {
  formParams,
  formTooDeep,
  jsonObject,
  MAX_DEPTH,
  type Params,
  plain,
  pruneDeep,
  renameTop,
  tooDeep,
} from './params.js';
import { parseXml, shapeXml, XmlDepthError, XmlError } from './xml.js';

export interface Extracted {
  params: Params;
  /** Why body parameters are missing, when they are. */
  warning: string | null;
}

const utf8 = new TextDecoder();

function text(body: Uint8Array): string {
  return utf8.decode(body);
}

const truncated = (what: string) => `${what} body truncated: its parameters are missing`;

/** JSON protocol: the body is the input structure. */
export function jsonProtocolParams(op: RawOperation, body: Uint8Array, bodyTruncated: boolean): Extracted {
  if (bodyTruncated) return { params: {}, warning: truncated('JSON') };
  const json = jsonBody(text(body));
  if (!json.params) return { params: {}, warning: 'JSON body could not be parsed' };
  return { params: op.b ? renameTop(json.params, op.b) : json.params, warning: json.warning };
}

/** A JSON object body, with members nested deeper than `MAX_DEPTH` left out (and said so). */
function jsonBody(s: string): { params: Params | null; warning: string | null } {
  const obj = jsonObject(s);
  const pruned = obj && pruneDeep(obj, MAX_DEPTH);
  return pruned ? { params: pruned as Params, warning: tooDeep('JSON') } : { params: obj, warning: null };
}

/** Smithy RPCv2 CBOR: the body is a CBOR map of the input structure. */
export function cborParams(body: Uint8Array, bodyTruncated: boolean): Extracted {
  if (bodyTruncated) return { params: {}, warning: truncated('CBOR') };
  if (body.length === 0) return { params: {}, warning: null };
  try {
    const v = decodeCbor(body);
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array)
      return { params: {}, warning: 'CBOR body is not a map' };
    return { params: plain(v) as Params, warning: null };
  } catch (err) {
    if (err instanceof CborDepthError)
      return { params: {}, warning: tooDeep('CBOR', 'its parameters are missing') };
    if (err instanceof CborError)
      return { params: {}, warning: `CBOR body could not be parsed: ${err.message}` };
    throw err;
  }
}

/**
 * Query and EC2: the form in the body (POST) or in the query string (GET). Keys with a
 * `__proto__` segment are dropped: the form reader would walk into Object.prototype.
 */
export function formProtocolParams(
  op: RawOperation,
  form: URLSearchParams,
  bodyTruncated: boolean,
): Extracted {
  const shape = xmlInputShape(op);
  const safe = [...form].filter(([k]) => !k.split('.').includes('__proto__'));
  const deep = safe.some(([k]) => formTooDeep(k));
  return {
    params: shape ? (shapeForm(formParams(safe), shape) as Params) : formParams(safe, op.b),
    warning: bodyTruncated ? truncated('form') : deep ? tooDeep('form') : null,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Form parameters (already nested, `member` and `entry` wrappers removed, indexes made lists)
 * mapped to the model: keys renamed to member names, lists wrapped in a named item unwrapped,
 * flattened maps (`Attribute.1.Name=k&Attribute.1.Value=v`) made maps. Keys the shape does not
 * describe stay as they are.
 */
export function shapeForm(value: unknown, shape: XmlShape | null): unknown {
  if (!shape) return value;
  if (shape.kind === 'struct') return formStruct(value, shape);
  if (shape.kind === 'list') return formList(value, shape);
  return formMap(value, shape);
}

function formStruct(value: unknown, shape: XmlStruct): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const m = shape.members[key];
    if (!m) {
      if (!Object.hasOwn(out, key) && key !== '__proto__') out[key] = v;
      continue;
    }
    const mapped = shapeForm(v, m.shape);
    const prev = Object.hasOwn(out, m.name) ? out[m.name] : undefined;
    // two wire names for one flattened member (SDKs differ on the item name): one list
    out[m.name] = Array.isArray(prev) && Array.isArray(mapped) ? [...prev, ...mapped] : mapped;
  }
  return out;
}

function formList(value: unknown, shape: XmlList): unknown {
  let list = value;
  // `Ids.Id.1=a` (a list whose items are named): the item name is a level of its own
  if (isRecord(value) && Object.hasOwn(value, shape.item) && Object.keys(value).length === 1)
    list = value[shape.item];
  if (!Array.isArray(list)) return value;
  return list.map((i) => shapeForm(i, shape.of));
}

function formMap(value: unknown, shape: XmlMap): unknown {
  if (Array.isArray(value)) {
    // flattened (`Attribute.N.Name`) or entries whose key name the generic reader did not know
    const out: Record<string, unknown> = {};
    for (const e of value) {
      if (!isRecord(e) || typeof e[shape.key] !== 'string' || !Object.hasOwn(e, shape.key)) return value;
      const k = e[shape.key] as string;
      if (k !== '__proto__') out[k] = shapeForm(e[shape.value], shape.of);
    }
    return out;
  }
  if (!isRecord(value) || !shape.of) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== '__proto__') out[k] = shapeForm(v, shape.of);
  return out;
}

export interface RestInput {
  op: RawOperation;
  /** Where the request's binding locates members (`op.l` for the operation's own binding). */
  located?: Readonly<Record<string, string>>;
  labels: Record<string, string>;
  query: URLSearchParams;
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
  bodyTruncated: boolean;
  xml: boolean;
}

/** REST: URI labels, query and header members, then the payload or body members. */
export function restParams(input: RestInput): Extracted {
  const { op, query, headers } = input;
  const params: Params = { ...input.labels };
  const located = input.located ?? op.l ?? {};
  let queryMap: string | null = null;
  const prefixes: [string, string][] = [];
  for (const [key, member] of Object.entries(located)) {
    if (key === 'Q') queryMap = member;
    else if (key.startsWith('q:')) {
      const all = query.getAll(key.slice(2));
      if (all.length === 1) params[member] = all[0];
      else if (all.length > 1) params[member] = all;
    } else if (key.startsWith('h:')) {
      const v = headers[key.slice(2)];
      if (v !== undefined) params[member] = v;
    } else if (key.startsWith('p:')) prefixes.push([key.slice(2), member]);
  }
  for (const [prefix, member] of prefixes) {
    const map: Record<string, string> = {};
    for (const [h, v] of Object.entries(headers)) {
      const k = h.slice(prefix.length);
      if (h.startsWith(prefix) && k !== '__proto__') map[k] = v;
    }
    if (Object.keys(map).length) params[member] = map;
  }
  if (queryMap) {
    const map: Record<string, string> = {};
    const bound = new Set(Object.keys(located).map((k) => k.slice(2)));
    for (const [k, v] of query) if (!bound.has(k) && k !== 'x-id' && k !== '__proto__') map[k] = v;
    if (Object.keys(map).length) params[queryMap] = map;
  }
  if (op.P && op.Pb) return { params, warning: null };
  if (input.body.length === 0) return { params, warning: null };
  if (input.bodyTruncated) return { params, warning: truncated(input.xml ? 'XML' : 'JSON') };
  const parsed = input.xml ? xmlBody(text(input.body)) : jsonBody(text(input.body));
  const body = parsed.params;
  if (body === null)
    return { params, warning: parsed.warning ?? `${input.xml ? 'XML' : 'JSON'} body could not be parsed` };
  // REST-XML: element names to member names, lists and maps, as the model describes them
  const shape = input.xml ? xmlInputShape(op) : null;
  const value = shape ? (shapeXml(body, shape) as Params) : body;
  if (op.P) params[op.P] = value;
  else {
    const members = op.b && !shape ? renameTop(value, op.b) : value;
    // a `__proto__` member would set the prototype through Object.assign: never one in a model
    for (const [k, v] of Object.entries(members)) if (k !== '__proto__') params[k] = v;
  }
  return { params, warning: parsed.warning };
}

function xmlBody(s: string): { params: Params | null; warning: string | null } {
  try {
    const root = parseXml(s);
    const value = typeof root.value === 'object' && root.value !== null ? (root.value as Params) : {};
    return { params: value, warning: null };
  } catch (err) {
    if (err instanceof XmlDepthError)
      return { params: null, warning: tooDeep('XML', 'its parameters are missing') };
    if (err instanceof XmlError) return { params: null, warning: null };
    throw err;
  }
}

/** Labels of an operation host prefix (`{AccountId}.`) read from the host. */
export function hostLabels(op: RawOperation, hostPrefix: string): Params {
  if (!op.x?.includes('{') || !hostPrefix) return {};
  const names: string[] = [];
  const source = op.x
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{([^}]+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1] as string);
      return '([^.]+)';
    })
    .join('');
  const m = new RegExp(`^${source}$`).exec(hostPrefix);
  if (!m) return {};
  const out: Params = {};
  names.forEach((n, i) => {
    out[n] = m[i + 1];
  });
  return out;
}
