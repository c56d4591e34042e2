/**
 * A small XML reader for request bodies of REST-XML APIs (S3 configurations, Route 53 change
 * batches, CloudFront distributions). Elements become objects keyed by local name; repeated
 * elements become lists; text-only elements become strings. Attributes are ignored.
 */

export class XmlError extends Error {}

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
    if (depth > MAX_DEPTH) throw new XmlError('XML nested too deeply');
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
      const prev = obj[c.name];
      if (prev === undefined) obj[c.name] = c.value;
      else if (Array.isArray(prev) && repeated.has(prev)) prev.push(c.value);
      else {
        const list = [prev, c.value];
        repeated.add(list);
        obj[c.name] = list;
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
