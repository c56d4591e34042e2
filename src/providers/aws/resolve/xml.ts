/**
 * A small XML reader for request bodies of REST-XML APIs (S3 configurations, Route 53 change
 * batches, CloudFront distributions). Elements become objects keyed by local name; repeated
 * elements become lists; text-only elements become strings. Attributes are ignored.
 * `shapeXml` then maps a parsed value to the model's member names, lists and maps.
 */
import type { XmlList, XmlMap, XmlShape, XmlStruct } from '../../../catalog/api-index.js';

export class XmlError extends Error {}

/** The document nests deeper than the reader follows. */
export class XmlDepthError extends XmlError {}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const MAX_DEPTH = 64;

export interface XmlElement {
  name: string;
  value: unknown;
}

/** Parses a document; returns its root element's name and value. Throws XmlError. */
export function parseXml(text: string): XmlElement {
  const p = new Parser(text);
  p.skipProlog();
  const root = p.element(0);
  p.skipMisc();
  if (p.pos < text.length) throw new XmlError('content after the root element');
  return root;
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  skipProlog(): void {
    this.skipMisc();
  }

  skipMisc(): void {
    for (;;) {
      while (this.pos < this.s.length && /\s/.test(this.s[this.pos] as string)) this.pos++;
      if (this.s.startsWith('<?', this.pos)) this.skipTo('?>');
      else if (this.s.startsWith('<!--', this.pos)) this.skipTo('-->');
      else if (this.s.startsWith('<!', this.pos)) this.skipTo('>');
      else return;
    }
  }

  private skipTo(end: string): void {
    const i = this.s.indexOf(end, this.pos);
    if (i < 0) throw new XmlError('unterminated markup');
    this.pos = i + end.length;
  }

  element(depth: number): XmlElement {
    if (depth > MAX_DEPTH) throw new XmlDepthError(`XML nested deeper than ${MAX_DEPTH} levels`);
    if (this.s[this.pos] !== '<') throw new XmlError('expected an element');
    const close = this.s.indexOf('>', this.pos);
    if (close < 0) throw new XmlError('unterminated tag');
    const tag = this.s.slice(this.pos + 1, close);
    this.pos = close + 1;
    const selfClosing = tag.endsWith('/');
    const qname = (tag.match(/^[^\s/>]+/) ?? [''])[0];
    if (!qname) throw new XmlError('empty tag name');
    const name = qname.includes(':') ? qname.slice(qname.indexOf(':') + 1) : qname;
    if (selfClosing) return { name, value: '' };
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (this.pos >= this.s.length) throw new XmlError(`unterminated element ${name}`);
      if (this.s.startsWith('</', this.pos)) {
        const end = this.s.indexOf('>', this.pos);
        if (end < 0) throw new XmlError('unterminated end tag');
        const endName = this.s.slice(this.pos + 2, end).trim();
        if (endName !== qname) throw new XmlError(`mismatched end tag ${endName}`);
        this.pos = end + 1;
        break;
      }
      if (this.s.startsWith('<![CDATA[', this.pos)) {
        const end = this.s.indexOf(']]>', this.pos);
        if (end < 0) throw new XmlError('unterminated CDATA');
        text += this.s.slice(this.pos + 9, end);
        this.pos = end + 3;
      } else if (this.s.startsWith('<!--', this.pos) || this.s.startsWith('<?', this.pos)) {
        this.skipMisc();
      } else if (this.s[this.pos] === '<') {
        children.push(this.element(depth + 1));
      } else {
        const next = this.s.indexOf('<', this.pos);
        const end = next < 0 ? this.s.length : next;
        text += decodeEntities(this.s.slice(this.pos, end));
        this.pos = end;
      }
    }
    if (children.length === 0) return { name, value: text };
    const obj: Record<string, unknown> = {};
    for (const c of children) {
      const prev = Object.hasOwn(obj, c.name) ? obj[c.name] : undefined;
      if (prev === undefined) setKey(obj, c.name, c.value);
      else if (Array.isArray(prev) && repeated.has(prev)) prev.push(c.value);
      else {
        const list = [prev, c.value];
        repeated.add(list);
        setKey(obj, c.name, list);
      }
    }
    return { name, value: obj };
  }
}

const repeated = new WeakSet<unknown[]>();

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (all, e: string) => {
    if (e.startsWith('#')) {
      const code = e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[e] ?? all;
  });
}

/** Sets an own property, even `__proto__`, without touching the prototype. */
function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Repeated elements parse as a list, a single one as its value: always a list here. */
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

/**
 * A parsed XML value mapped to the model: elements renamed to member names, flattened and
 * wrapped lists made lists (even of one item), maps made maps. Elements the shape does not
 * describe keep their name and parsed value; scalars stay text.
 */
export function shapeXml(value: unknown, shape: XmlShape | null): unknown {
  if (!shape) return value;
  if (shape.kind === 'struct') return struct(value, shape);
  if (shape.kind === 'list') return wrappedList(value, shape);
  return wrappedMap(value, shape);
}

function struct(value: unknown, shape: XmlStruct): unknown {
  if (value === '') return {};
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    const m = shape.members[name];
    if (!m) {
      if (!Object.hasOwn(out, name)) setKey(out, name, v);
      continue;
    }
    let mapped: unknown;
    if (m.flat && m.shape?.kind === 'map') mapped = entries(items(v), m.shape) ?? v;
    else if (m.flat && m.shape?.kind === 'list') {
      const of = m.shape.of;
      mapped = items(v).map((i) => shapeXml(i, of));
    } else mapped = shapeXml(v, m.shape);
    const prev = Object.hasOwn(out, m.name) ? out[m.name] : undefined;
    // two element names for one flattened member (SDKs differ on the item name): one list
    if (Array.isArray(prev) && Array.isArray(mapped)) out[m.name] = [...prev, ...mapped];
    else setKey(out, m.name, mapped);
  }
  return out;
}

function wrappedList(value: unknown, shape: XmlList): unknown {
  if (value === '') return [];
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  const key = Object.hasOwn(value, shape.item) ? shape.item : keys.length === 1 ? keys[0] : undefined;
  if (key === undefined) return value;
  return items(value[key]).map((i) => shapeXml(i, shape.of));
}

function wrappedMap(value: unknown, shape: XmlMap): unknown {
  if (value === '') return {};
  if (!isRecord(value) || !Object.hasOwn(value, 'entry')) return value;
  return entries(items(value.entry), shape) ?? value;
}

/** Map entries (`<key>k</key><value>v</value>`) as an object, or null when they are not. */
function entries(list: unknown[], shape: XmlMap): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  for (const e of list) {
    if (!isRecord(e) || !Object.hasOwn(e, shape.key)) return null;
    const k = e[shape.key];
    if (typeof k !== 'string') return null;
    setKey(out, k, shapeXml(Object.hasOwn(e, shape.value) ? e[shape.value] : '', shape.of));
  }
  return out;
}
