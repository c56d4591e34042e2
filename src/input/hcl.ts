/**
 * A small parser for the subset of HCL that holds IAM policies in Terraform files: blocks,
 * attributes, strings with `${...}` interpolations, heredocs, numbers, booleans, null, lists,
 * objects, function calls and references. Anything else (conditionals, for expressions,
 * arithmetic) is kept as opaque text. Pure.
 */

export type Expr =
  | { kind: 'string'; parts: (string | { interp: string })[] }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'object'; entries: [string, Expr][] }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'ref'; text: string }
  | { kind: 'opaque'; text: string };

export interface Block {
  type: string;
  labels: string[];
  body: Body;
  line: number;
}

export interface Body {
  attributes: Map<string, Expr>;
  blocks: Block[];
}

export class HclError extends Error {}

/**
 * How deep blocks and expressions may nest. Terraform policies nest a handful of levels; a file
 * that goes deeper is refused with its line instead of exhausting the stack.
 */
export const MAX_DEPTH = 64;

/** What to do about nesting deeper than `MAX_DEPTH`. */
export const TOO_DEEP = `nested deeper than ${MAX_DEPTH} levels; simplify the expression or write the policy as JSON`;

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

class Parser {
  private i = 0;
  private depth = 0;
  /** Offsets of the newlines, found once when a line number is first needed. */
  private newlines: number[] | null = null;
  constructor(private readonly src: string) {}

  /** The 1-based line of an offset: a binary search over the newlines, never a rescan. */
  private line(at = this.i): number {
    if (this.newlines === null) {
      this.newlines = [];
      for (let k = this.src.indexOf('\n'); k >= 0; k = this.src.indexOf('\n', k + 1)) this.newlines.push(k);
    }
    const nl = this.newlines;
    let lo = 0;
    let hi = nl.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((nl[mid] as number) < at) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }

  /** Runs `parse` one nesting level deeper; past `MAX_DEPTH` the file is refused. */
  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_DEPTH) this.fail(TOO_DEEP);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  fail(message: string): never {
    throw new HclError(`line ${this.line()}: ${message}`);
  }

  /** Skips spaces, comments and (when allowed) newlines. */
  private skip(newlines: boolean): void {
    const s = this.src;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.i++;
      else if (c === '#' || (c === '/' && s[this.i + 1] === '/')) {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
      } else if (c === '/' && s[this.i + 1] === '*') {
        const end = s.indexOf('*/', this.i + 2);
        this.i = end < 0 ? s.length : end + 2;
      } else break;
    }
  }

  private peek(newlines = true): string {
    this.skip(newlines);
    return this.src[this.i] ?? '';
  }

  private expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected '${ch}'`);
    this.i++;
  }

  private ident(): string | null {
    IDENT.lastIndex = this.i;
    const m = IDENT.exec(this.src);
    if (!m) return null;
    this.i += m[0].length;
    return m[0];
  }

  body(end: string | null): Body {
    const body: Body = { attributes: new Map(), blocks: [] };
    for (;;) {
      const c = this.peek();
      if (c === '' && end === null) return body;
      if (c === end) {
        this.i++;
        return body;
      }
      const start = this.i;
      const name = this.ident();
      if (!name) this.fail(c === '' ? `missing '${end}'` : `unexpected '${c}'`);
      const next = this.peek(false);
      if (next === '=' && this.src[this.i + 1] !== '=') {
        this.i++;
        body.attributes.set(name, this.expr());
        continue;
      }
      const labels: string[] = [];
      while (this.peek(false) === '"' || /[A-Za-z_]/.test(this.peek(false))) {
        if (this.peek(false) === '"') labels.push(this.stringLiteral());
        else labels.push(this.ident() ?? '');
      }
      this.expect('{');
      const line = this.line(start);
      body.blocks.push({ type: name, labels, body: this.nested(() => this.body('}')), line });
    }
  }

  private stringLiteral(): string {
    const e = this.quoted();
    return e.parts.map((p) => (typeof p === 'string' ? p : `\${${p.interp}}`)).join('');
  }

  /** A quoted template; `$${` and `%%{` are literal. */
  private quoted(): { kind: 'string'; parts: (string | { interp: string })[] } {
    const s = this.src;
    this.i++; // opening quote
    const parts: (string | { interp: string })[] = [];
    let text = '';
    while (this.i < s.length && s[this.i] !== '"') {
      const c = s[this.i] as string;
      if (c === '\n') this.fail('unterminated string');
      if (c === '\\') {
        const n = s[this.i + 1] ?? '';
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
        if (n === 'u') {
          text += String.fromCharCode(Number.parseInt(s.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
          continue;
        }
        text += map[n] ?? n;
        this.i += 2;
      } else if ((c === '$' || c === '%') && s[this.i + 1] === c && s[this.i + 2] === '{') {
        text += `${c}{`;
        this.i += 3;
      } else if ((c === '$' || c === '%') && s[this.i + 1] === '{') {
        if (text) parts.push(text);
        text = '';
        const inner = this.balanced(this.i + 2);
        parts.push({ interp: `${c === '%' ? '%' : ''}${inner.trim()}` });
      } else {
        text += c;
        this.i++;
      }
    }
    if (s[this.i] !== '"') this.fail('unterminated string');
    this.i++;
    if (text || parts.length === 0) parts.push(text);
    return { kind: 'string', parts };
  }

  /** Text up to the `}` that closes a `${` opened before `from`; moves past it. */
  private balanced(from: number): string {
    const s = this.src;
    let depth = 1;
    let k = from;
    let inString = false;
    for (; k < s.length; k++) {
      const c = s[k];
      if (inString) {
        if (c === '\\') k++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
    if (depth !== 0) this.fail('unterminated interpolation');
    this.i = k + 1;
    return s.slice(from, k);
  }

  private heredoc(): Expr {
    const s = this.src;
    const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n/.exec(s.slice(this.i, this.i + 200));
    if (!m) this.fail('bad heredoc');
    this.i += m[0].length;
    const lines: string[] = [];
    for (;;) {
      const nl = s.indexOf('\n', this.i);
      const line = s.slice(this.i, nl < 0 ? s.length : nl).replace(/\r$/, '');
      this.i = nl < 0 ? s.length : nl + 1;
      if (line.trim() === m[2]) break;
      if (nl < 0) this.fail(`heredoc ${m[2]} is not closed`);
      lines.push(line);
    }
    let body = lines;
    if (m[1] === '-') {
      const indent = Math.min(
        ...lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)?.[0].length ?? 0),
      );
      body = lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0));
    }
    const sub = new Parser(
      `"${body.join('\n').replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    );
    return sub.quoted();
  }

  expr(): Expr {
    return this.nested(() => this.exprAt());
  }

  private exprAt(): Expr {
    const start = this.i;
    const heredoc = this.peek() === '<' && this.src[this.i + 1] === '<';
    const primary = this.primary();
    // A heredoc ends with its closing line.
    if (heredoc) return primary;
    // Anything after a primary other than a delimiter makes the expression opaque.
    const c = this.peek(false);
    if (c === '' || c === '\n' || c === ',' || c === ']' || c === '}' || c === ')') return primary;
    if (c === ':' && this.src[this.i + 1] !== ':') return primary;
    this.skipOpaque();
    return { kind: 'opaque', text: this.src.slice(start, this.i).trim() };
  }

  /** Moves to the end of the current expression: a delimiter outside brackets. */
  private skipOpaque(): void {
    let depth = 0;
    const s = this.src;
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (c === '"') {
        this.quoted();
        continue;
      }
      if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c)) {
        if (depth === 0) return;
        depth--;
      } else if (depth === 0 && (c === '\n' || c === ',')) return;
      this.i++;
    }
  }

  private primary(): Expr {
    const c = this.peek();
    if (c === '"') return this.quoted();
    if (c === '<' && this.src[this.i + 1] === '<') return this.heredoc();
    if (c === '[') return this.list();
    if (c === '{') return this.object();
    if (c === '(') {
      this.i++;
      const e = this.expr();
      this.expect(')');
      return e;
    }
    NUMBER.lastIndex = this.i;
    const num = NUMBER.exec(this.src);
    if (num) {
      this.i += num[0].length;
      return { kind: 'number', value: Number(num[0]) };
    }
    const start = this.i;
    const name = this.ident();
    if (!name) this.fail(`unexpected '${c}'`);
    if (name === 'true' || name === 'false') return { kind: 'bool', value: name === 'true' };
    if (name === 'null') return { kind: 'null' };
    if (this.src[this.i] === '(') {
      this.i++;
      const args: Expr[] = [];
      while (this.peek() !== ')') {
        args.push(this.expr());
        if (this.peek() === ',') this.i++;
        else if (this.peek() !== ')') this.fail(`expected ',' or ')' in ${name}(...)`);
      }
      this.i++;
      return { kind: 'call', name, args };
    }
    // A traversal: a.b.c, a.b[0], a["k"], a.*.b
    while (this.i < this.src.length) {
      const ch = this.src[this.i];
      if (ch === '.') {
        this.i++;
        if (this.src[this.i] === '*') this.i++;
        else if (!this.ident() && !/\d/.test(this.src[this.i] ?? '')) this.fail('bad reference');
        while (/\d/.test(this.src[this.i] ?? '')) this.i++;
      } else if (ch === '[') {
        this.balancedBracket();
      } else break;
    }
    return { kind: 'ref', text: this.src.slice(start, this.i) };
  }

  private balancedBracket(): void {
    let depth = 0;
    for (; this.i < this.src.length; this.i++) {
      const ch = this.src[this.i];
      if (ch === '[') depth++;
      else if (ch === ']' && --depth === 0) {
        this.i++;
        return;
      }
    }
    this.fail("missing ']'");
  }

  private list(): Expr {
    this.i++;
    const items: Expr[] = [];
    if (/^\s*for\s/.test(this.src.slice(this.i, this.i + 10))) {
      const start = this.i - 1;
      this.i--;
      this.balancedBracket();
      return { kind: 'opaque', text: this.src.slice(start, this.i) };
    }
    while (this.peek() !== ']') {
      items.push(this.expr());
      if (this.peek() === ',') this.i++;
      else if (this.peek() !== ']') this.fail("expected ',' or ']' in a list");
    }
    this.i++;
    return { kind: 'list', items };
  }

  private object(): Expr {
    this.i++;
    const entries: [string, Expr][] = [];
    while (this.peek() !== '}') {
      let key: string;
      if (this.peek() === '"') key = this.stringLiteral();
      else if (this.peek() === '(') {
        this.i++;
        const k = this.expr();
        this.expect(')');
        key = k.kind === 'string' ? k.parts.join('') : k.kind === 'ref' ? k.text : '?';
      } else key = this.ident() ?? this.fail('expected an object key');
      const sep = this.peek(false);
      if (sep !== '=' && sep !== ':') this.fail(`expected '=' or ':' after ${key}`);
      this.i++;
      entries.push([key, this.expr()]);
      if (this.peek() === ',') this.i++;
    }
    this.i++;
    return { kind: 'object', entries };
  }
}

/** Parses a Terraform file's text; throws HclError with the line on a syntax error. */
export function parseHcl(text: string): Body {
  return new Parser(text).body(null);
}
