/**
 * Python boto3 call sites, read with tree-sitter (`web-tree-sitter` and the `tree-sitter-python`
 * grammar's `.wasm`, loaded on first use, offline): clients (`boto3.client('s3')`,
 * `session.client(...)`), resources (`boto3.resource('dynamodb').Table('x')`, S3 `Bucket` and
 * `Object`), paginators, waiters and the S3 transfer helpers.
 */
import {
  DOWNLOAD_OPERATIONS,
  operationOf,
  serviceOfBoto3,
  UPLOAD_OPERATIONS,
  waiterOperation,
} from './services.js';
import { grammarParser, type TsNode, type TsParser, WEB_TREE_SITTER } from './tree-sitter.js';
import type { CallSite } from './types.js';
import { asString, callSite, isRecord, Notes, record, snippet, type Value } from './values.js';

/** What to install when the Python parser is missing. */
export const PYTHON_PARSER_PACKAGES = `${WEB_TREE_SITTER} tree-sitter-python@0.25.0`;

/** The tree-sitter parser for Python, loaded once (no network: the grammar is a local .wasm). */
export function pythonParser(): Promise<TsParser> {
  return grammarParser('tree-sitter-python', '0.25.0', 'Python');
}

export interface ScanOptions {
  env: ReadonlyMap<string, string>;
}

type PyType =
  | { kind: 'boto3' }
  | { kind: 'session'; region: string | null }
  | { kind: 'client' | 'resource'; service: string; region: string | null }
  | { kind: 'table'; region: string | null; name: Value }
  | { kind: 'bucket'; region: string | null; name: Value }
  | { kind: 'object'; region: string | null; bucket: Value; key: Value }
  | { kind: 'paginator'; service: string; region: string | null; operation: string | null; name: string }
  | { kind: 'waiter'; service: string; region: string | null; name: string };

/** Client methods that are not API operations. */
const CLIENT_HELPERS = new Set(['get_paginator', 'get_waiter', 'can_paginate', 'close']);

export async function scanPython(file: string, text: string, options: ScanOptions): Promise<CallSite[]> {
  const tree = (await pythonParser()).parse(text);
  if (!tree) throw new Error('tree-sitter could not parse the file');
  try {
    return new PyFile(file, options).scan(tree.rootNode);
  } finally {
    tree.delete?.(); // the tree lives in the WebAssembly heap, not the JavaScript one
  }
}

class PyFile {
  /** Local names of imports: `boto3`, `os`, `environ`, `getenv`, `client` (from boto3)... */
  private readonly imports = new Map<string, string>();
  private readonly assigned = new Map<string, TsNode[]>();
  private readonly calls: CallSite[] = [];
  private readonly typing = new Set<string>();
  private readonly folding = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly options: ScanOptions,
  ) {}

  scan(root: TsNode): CallSite[] {
    this.collect(root);
    this.visit(root);
    return this.calls;
  }

  private collect(node: TsNode): void {
    if (node.type === 'import_statement') {
      for (const c of node.namedChildren) {
        if (c.type === 'dotted_name')
          this.imports.set(c.text.split('.')[0] as string, c.text.split('.')[0] as string);
        if (c.type === 'aliased_import') {
          const name = c.childForFieldName('name')?.text ?? '';
          const alias = c.childForFieldName('alias')?.text ?? '';
          this.imports.set(alias, name);
        }
      }
    } else if (node.type === 'import_from_statement') {
      const module = node.childForFieldName('module_name')?.text ?? '';
      for (const c of node.namedChildren.slice(1)) {
        if (c.type === 'dotted_name') this.imports.set(c.text, `${module}.${c.text}`);
        if (c.type === 'aliased_import') {
          const name = c.childForFieldName('name')?.text ?? '';
          this.imports.set(c.childForFieldName('alias')?.text ?? '', `${module}.${name}`);
        }
      }
    } else if (node.type === 'assignment') {
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if (left && right) {
        const key =
          left.type === 'identifier' ? left.text : left.type === 'attribute' ? `.${attr(left)}` : null;
        if (key) push(this.assigned, key, right);
      }
    } else if (node.type === 'with_item' || node.type === 'as_pattern') {
      // `with boto3.client('s3') as s3:` is rare; not followed
    }
    for (const c of node.namedChildren) this.collect(c);
  }

  // ---------------------------------------------------------------------------------------
  // Types

  private typesOf(node: TsNode): PyType[] {
    const n = unwrap(node);
    if (n.type === 'identifier') {
      const imported = this.imports.get(n.text);
      if (imported === 'boto3') return [{ kind: 'boto3' }];
      return this.assignedTypes(n.text);
    }
    if (n.type === 'attribute') {
      const obj = n.childForFieldName('object');
      const name = attr(n);
      // `resource.meta.client`: the resource's own client
      if (name === 'client' && obj?.type === 'attribute' && attr(obj) === 'meta') {
        const base = obj.childForFieldName('object');
        return base
          ? this.typesOf(base).flatMap((t) =>
              t.kind === 'resource'
                ? [{ kind: 'client' as const, service: t.service, region: t.region }]
                : [],
            )
          : [];
      }
      if (name === 'session' && obj && this.typesOf(obj).some((t) => t.kind === 'boto3'))
        return [{ kind: 'boto3' }];
      return this.assignedTypes(`.${name}`);
    }
    if (n.type === 'call') return this.typeOfCall(n);
    return [];
  }

  private assignedTypes(key: string): PyType[] {
    if (this.typing.has(key)) return [];
    this.typing.add(key);
    try {
      const out: PyType[] = [];
      for (const rhs of this.assigned.get(key) ?? []) {
        for (const t of this.typesOf(rhs)) {
          if (!out.some((o) => JSON.stringify(o) === JSON.stringify(t))) out.push(t);
        }
      }
      return out;
    } finally {
      this.typing.delete(key);
    }
  }

  private typeOfCall(call: TsNode): PyType[] {
    const fn = call.childForFieldName('function');
    const args = call.childForFieldName('arguments');
    if (!fn || !args) return [];
    const { positional, keywords } = splitArgs(args);
    const arg = (i: number, kw: string) => keywords.get(kw) ?? positional[i];
    const str = (n: TsNode | undefined) => (n ? asString(this.fold(n, new Notes())) : null);
    const region = str(arg(1, 'region_name'));
    let method: string;
    let base: PyType[];
    if (fn.type === 'identifier') {
      const imported = this.imports.get(fn.text) ?? '';
      if (!/^boto3(\.session)?\./.test(imported)) return [];
      method = imported.split('.').pop() as string;
      base = [{ kind: 'boto3' }];
    } else if (fn.type === 'attribute') {
      method = attr(fn);
      const obj = fn.childForFieldName('object');
      base = obj ? this.typesOf(obj) : [];
    } else return [];
    const out: PyType[] = [];
    for (const t of base) {
      if (t.kind === 'boto3' || t.kind === 'session') {
        const inherited = t.kind === 'session' ? t.region : null;
        if (method === 'Session') out.push({ kind: 'session', region: str(keywords.get('region_name')) });
        if (method === 'client' || method === 'resource') {
          const name = str(arg(0, 'service_name'));
          const service = name ? serviceOfBoto3(name) : null;
          if (service) out.push({ kind: method, service, region: region ?? inherited });
        }
      } else if (t.kind === 'resource' && t.service === 'dynamodb' && method === 'Table') {
        out.push({ kind: 'table', region: t.region, name: this.foldArg(arg(0, 'name')) });
      } else if (t.kind === 'resource' && t.service === 's3' && method === 'Bucket') {
        out.push({ kind: 'bucket', region: t.region, name: this.foldArg(arg(0, 'name')) });
      } else if (t.kind === 'resource' && t.service === 's3' && method === 'Object') {
        out.push({
          kind: 'object',
          region: t.region,
          bucket: this.foldArg(arg(0, 'bucket_name')),
          key: this.foldArg(arg(1, 'key')),
        });
      } else if (t.kind === 'bucket' && method === 'Object') {
        out.push({ kind: 'object', region: t.region, bucket: t.name, key: this.foldArg(arg(0, 'key')) });
      } else if (t.kind === 'client' && method === 'get_paginator') {
        const name = str(arg(0, 'operation_name')) ?? '?';
        out.push({
          kind: 'paginator',
          service: t.service,
          region: t.region,
          operation: operationOf(t.service, name),
          name,
        });
      } else if (t.kind === 'client' && method === 'get_waiter') {
        out.push({
          kind: 'waiter',
          service: t.service,
          region: t.region,
          name: str(arg(0, 'waiter_name')) ?? '?',
        });
      }
    }
    return out;
  }

  private foldArg(n: TsNode | undefined): Value {
    return n ? this.fold(n, new Notes()) : new Notes().unknown('not given');
  }

  // ---------------------------------------------------------------------------------------
  // Call sites

  private visit(node: TsNode): void {
    if (node.type === 'call') this.onCall(node);
    for (const c of node.namedChildren) this.visit(c);
  }

  private onCall(call: TsNode): void {
    const fn = call.childForFieldName('function');
    const args = call.childForFieldName('arguments');
    if (fn?.type !== 'attribute' || !args || args.type !== 'argument_list') return;
    const method = attr(fn);
    const obj = fn.childForFieldName('object');
    if (!obj) return;
    // `bucket.objects.all()` / `.filter(Prefix=...)`: ListObjects on the bucket
    if ((method === 'all' || method === 'filter') && obj.type === 'attribute' && attr(obj) === 'objects') {
      const base = obj.childForFieldName('object');
      const bucket = base ? this.typesOf(base).find((t) => t.kind === 'bucket') : undefined;
      if (bucket?.kind === 'bucket') {
        const notes = new Notes();
        const params = this.keywordParams(args, notes);
        params.Bucket = bucket.name;
        this.push(call, 'boto3-resource', 's3', 'ListObjects', bucket.region, params, notes, null, 'objects');
      }
      return;
    }
    const types = this.typesOf(obj);
    if (types.length === 1) this.onMethod(call, args, types[0] as PyType, method);
    else if (types.length > 1) {
      const candidates = types.flatMap((t) => {
        const op = t.kind === 'client' || t.kind === 'resource' ? operationOf(t.service, method) : null;
        return op && t.kind !== 'boto3' && 'service' in t ? [`${t.service}:${op}`] : [];
      });
      if (candidates.length > 0) {
        this.push(call, 'boto3-client', null, null, null, record(), new Notes(), {
          reason: 'ambiguous',
          detail: `${snippet(obj.text)} may be ${types.map((t) => ('service' in t ? t.service : t.kind)).join(' or ')}`,
          candidates: [...new Set(candidates)].sort(),
        });
      }
    }
  }

  private onMethod(call: TsNode, args: TsNode, t: PyType, method: string): void {
    const notes = new Notes();
    const { positional, keywords } = splitArgs(args);
    const arg = (i: number, kw: string) => {
      const n = keywords.get(kw) ?? positional[i];
      return n ? notes.within(kw, () => this.fold(n, notes)) : notes.unknown(`${kw} not given`);
    };
    const transfer = (ops: readonly string[], params: { [k: string]: Value }, region: string | null) => {
      for (const op of ops) this.push(call, 'boto3-transfer', 's3', op, region, params, notes, null, method);
    };
    switch (t.kind) {
      case 'client': {
        if (CLIENT_HELPERS.has(method)) return;
        if (t.service === 's3' && (method === 'upload_file' || method === 'upload_fileobj')) {
          transfer(UPLOAD_OPERATIONS, { Bucket: arg(1, 'Bucket'), Key: arg(2, 'Key') }, t.region);
          return;
        }
        if (t.service === 's3' && (method === 'download_file' || method === 'download_fileobj')) {
          transfer(DOWNLOAD_OPERATIONS, { Bucket: arg(0, 'Bucket'), Key: arg(1, 'Key') }, t.region);
          return;
        }
        if (method === 'generate_presigned_url') {
          const name = asString(arg(0, 'ClientMethod'));
          const operation = name ? operationOf(t.service, name) : null;
          const p = keywords.get('Params');
          const params = p ? this.fold(p, notes) : record();
          if (operation)
            this.push(call, 'boto3-presign', t.service, operation, t.region, params, notes, null, method);
          return;
        }
        if (t.service === 's3' && method === 'generate_presigned_post') {
          const params = { Bucket: arg(0, 'Bucket'), Key: arg(1, 'Key') };
          this.push(call, 'boto3-presign', 's3', 'PutObject', t.region, params, notes, null, method);
          return;
        }
        const operation = operationOf(t.service, method);
        const params = this.keywordParams(args, notes);
        if (operation) this.push(call, 'boto3-client', t.service, operation, t.region, params, notes, null);
        else if (!method.startsWith('_') && method !== 'meta' && method !== 'exceptions') {
          this.push(call, 'boto3-client', t.service, null, t.region, params, notes, {
            reason: 'unknown-operation',
            detail: `${method} is not an operation of ${t.service}`,
          });
        }
        return;
      }
      case 'resource': {
        const operation = operationOf(t.service, method);
        if (operation) {
          const params = this.keywordParams(args, notes);
          this.push(call, 'boto3-resource', t.service, operation, t.region, params, notes, null);
        }
        return;
      }
      case 'paginator':
        if (method !== 'paginate') return;
        this.push(
          call,
          'boto3-paginator',
          t.service,
          t.operation,
          t.region,
          this.keywordParams(args, notes),
          notes,
          t.operation ? null : { reason: 'unknown-operation', detail: `no operation ${t.name} to paginate` },
          `get_paginator('${t.name}')`,
        );
        return;
      case 'waiter': {
        if (method !== 'wait') return;
        const operation = waiterOperation(t.service, t.name);
        const params = this.keywordParams(args, notes);
        delete params.WaiterConfig;
        this.push(
          call,
          'boto3-waiter',
          t.service,
          operation,
          t.region,
          params,
          notes,
          operation
            ? null
            : { reason: 'unknown-operation', detail: `waiter ${t.name} is not in leastpriv's waiter table` },
          `get_waiter('${t.name}')`,
        );
        return;
      }
      case 'table': {
        const ops: Record<string, string> = {
          put_item: 'PutItem',
          get_item: 'GetItem',
          update_item: 'UpdateItem',
          delete_item: 'DeleteItem',
          query: 'Query',
          scan: 'Scan',
          load: 'DescribeTable',
          reload: 'DescribeTable',
          delete: 'DeleteTable',
          update: 'UpdateTable',
        };
        if (method === 'batch_writer') {
          const requestItems = record();
          const name = asString(t.name);
          if (name !== null) requestItems[name] = [];
          const params = { RequestItems: requestItems };
          this.push(
            call,
            'boto3-resource',
            'dynamodb',
            'BatchWriteItem',
            t.region,
            params,
            notes,
            null,
            method,
          );
          return;
        }
        const operation = ops[method];
        if (!operation) return;
        const params = this.keywordParams(args, notes);
        params.TableName = t.name;
        this.push(
          call,
          'boto3-resource',
          'dynamodb',
          operation,
          t.region,
          params,
          notes,
          null,
          `Table.${method}`,
        );
        return;
      }
      case 'bucket': {
        if (method === 'upload_file' || method === 'upload_fileobj')
          transfer(UPLOAD_OPERATIONS, { Bucket: t.name, Key: arg(1, 'Key') }, t.region);
        else if (method === 'download_file' || method === 'download_fileobj')
          transfer(DOWNLOAD_OPERATIONS, { Bucket: t.name, Key: arg(0, 'Key') }, t.region);
        else {
          const operation = {
            put_object: 'PutObject',
            delete_objects: 'DeleteObjects',
            delete: 'DeleteBucket',
          }[method];
          if (!operation) return;
          const params = this.keywordParams(args, notes);
          params.Bucket = t.name;
          this.push(
            call,
            'boto3-resource',
            's3',
            operation,
            t.region,
            params,
            notes,
            null,
            `Bucket.${method}`,
          );
        }
        return;
      }
      case 'object': {
        if (method === 'upload_file' || method === 'upload_fileobj')
          transfer(UPLOAD_OPERATIONS, { Bucket: t.bucket, Key: t.key }, t.region);
        else if (method === 'download_file' || method === 'download_fileobj')
          transfer(DOWNLOAD_OPERATIONS, { Bucket: t.bucket, Key: t.key }, t.region);
        else {
          const operation = {
            get: 'GetObject',
            put: 'PutObject',
            delete: 'DeleteObject',
            load: 'HeadObject',
          }[method];
          if (!operation) return;
          const params = this.keywordParams(args, notes);
          params.Bucket = t.bucket;
          params.Key = t.key;
          this.push(
            call,
            'boto3-resource',
            's3',
            operation,
            t.region,
            params,
            notes,
            null,
            `Object.${method}`,
          );
        }
        return;
      }
      default:
        return;
    }
  }

  /** `Bucket='b', **extra` → `{Bucket: 'b', ...extra}`. */
  private keywordParams(args: TsNode, notes: Notes): { [k: string]: Value } {
    const out = record();
    for (const a of args.namedChildren) {
      if (a.type === 'keyword_argument') {
        const name = a.childForFieldName('name')?.text ?? '';
        const value = a.childForFieldName('value');
        if (value) out[name] = notes.within(name, () => this.fold(value, notes));
      } else if (a.type === 'dictionary_splat') {
        const inner = a.namedChildren[0];
        const v = inner ? this.fold(inner, notes) : null;
        if (isRecord(v)) Object.assign(out, v);
      }
    }
    return out;
  }

  private push(
    node: TsNode,
    shape: string,
    service: string | null,
    operation: string | null,
    region: string | null,
    params: Value,
    notes: Notes,
    unresolved: CallSite['unresolved'],
    helper?: string,
  ): void {
    this.calls.push(
      callSite({
        file: this.file,
        line: node.startPosition.row + 1,
        language: 'python',
        shape,
        service,
        operation,
        region,
        params,
        notes,
        unresolved,
        helper,
      }),
    );
  }

  // ---------------------------------------------------------------------------------------
  // Constant folding

  fold(node: TsNode, notes: Notes): Value {
    const n = unwrap(node);
    switch (n.type) {
      case 'string':
        return this.foldString(n, notes);
      case 'concatenated_string': {
        let out = '';
        for (const s of n.namedChildren) out += asString(this.foldString(s, notes)) ?? '';
        return out;
      }
      case 'integer':
        return Number(n.text.replace(/_/g, ''));
      case 'float':
        return Number(n.text.replace(/_/g, ''));
      case 'true':
        return true;
      case 'false':
        return false;
      case 'none':
        return null;
      case 'binary_operator': {
        const op = n.childForFieldName('operator')?.text;
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (op === '+' && l && r) {
          const a = this.fold(l, notes);
          const b = this.fold(r, notes);
          if (typeof a === 'number' && typeof b === 'number') return a + b;
          if (typeof a === 'string' && typeof b === 'string') return a + b;
        }
        break;
      }
      case 'identifier': {
        const rhs = this.assigned.get(n.text);
        if (rhs?.length !== 1 || this.folding.has(n.text)) {
          return notes.unknown(
            `${n.text} is not a constant${rhs && rhs.length > 1 ? ' (assigned more than once)' : ''}`,
          );
        }
        this.folding.add(n.text);
        try {
          return this.fold(rhs[0] as TsNode, notes);
        } finally {
          this.folding.delete(n.text);
        }
      }
      case 'subscript': {
        const value = n.childForFieldName('value');
        const sub = n.childForFieldName('subscript');
        if (value && sub && this.isEnviron(value)) {
          const name = asString(this.fold(sub, new Notes()));
          if (name !== null) return this.env(name, null, notes, `os.environ['${name}']`);
        }
        break;
      }
      case 'call': {
        const fn = n.childForFieldName('function');
        const args = n.childForFieldName('arguments');
        if (!fn || !args) break;
        const { positional } = splitArgs(args);
        const isGetenv =
          (fn.type === 'attribute' &&
            attr(fn) === 'getenv' &&
            this.isModule(fn.childForFieldName('object'), 'os')) ||
          (fn.type === 'identifier' && this.imports.get(fn.text) === 'os.getenv');
        const isEnvGet =
          fn.type === 'attribute' &&
          attr(fn) === 'get' &&
          this.isEnviron(fn.childForFieldName('object') as TsNode);
        if ((isGetenv || isEnvGet) && positional[0]) {
          const name = asString(this.fold(positional[0], new Notes()));
          if (name !== null) return this.env(name, positional[1] ?? null, notes, `os.getenv('${name}')`);
        }
        if (fn.type === 'identifier' && fn.text === 'str' && positional[0])
          return this.fold(positional[0], notes);
        break;
      }
      case 'dictionary': {
        const out = record();
        for (const pair of n.namedChildren) {
          if (pair.type !== 'pair') continue;
          const k = pair.childForFieldName('key');
          const v = pair.childForFieldName('value');
          const key = k ? asString(this.fold(k, new Notes())) : null;
          if (key === null || !v || key.includes('lpscan0unknown')) continue;
          out[key] = notes.within(key, () => this.fold(v, notes));
        }
        return out;
      }
      case 'list':
      case 'tuple':
        return n.namedChildren.map((c, i) => notes.within(String(i), () => this.fold(c, notes)));
      default:
        break;
    }
    return notes.unknown(`${snippet(n.text)} is not a constant`);
  }

  private foldString(n: TsNode, notes: Notes): Value {
    if (n.type !== 'string') return this.fold(n, notes);
    const start = n.children.find((c) => c.type === 'string_start')?.text ?? '';
    const raw = /r/i.test(start);
    let out = '';
    for (const c of n.children) {
      if (c.type === 'string_content') out += raw ? c.text : unescapePython(c.text);
      else if (c.type === 'escape_sequence') out += raw ? c.text : unescapePython(c.text);
      else if (c.type === 'interpolation') {
        const e = c.childForFieldName('expression') ?? c.namedChildren[0];
        const v = e ? this.fold(e, notes) : null;
        out += asString(v) ?? notes.unknown(`{${snippet(e?.text ?? '')}} is not a constant`);
      }
    }
    return out;
  }

  private env(name: string, fallback: TsNode | null, notes: Notes, what: string): Value {
    const v = this.options.env.get(name);
    if (v !== undefined) return v;
    if (fallback) return this.fold(fallback, notes);
    return notes.unknown(`${what} is not set (give it with --env FILE or a .env file)`);
  }

  private isModule(n: TsNode | null, module: string): boolean {
    return n?.type === 'identifier' && this.imports.get(n.text) === module;
  }

  /** `os.environ` or `environ` imported from os. */
  private isEnviron(n: TsNode): boolean {
    if (n.type === 'attribute')
      return attr(n) === 'environ' && this.isModule(n.childForFieldName('object'), 'os');
    return n.type === 'identifier' && this.imports.get(n.text) === 'os.environ';
  }
}

function attr(n: TsNode): string {
  return n.childForFieldName('attribute')?.text ?? '';
}

function unwrap(n: TsNode): TsNode {
  let x = n;
  while ((x.type === 'parenthesized_expression' || x.type === 'await') && x.namedChildren[0])
    x = x.namedChildren[0];
  return x;
}

function splitArgs(args: TsNode): { positional: TsNode[]; keywords: Map<string, TsNode> } {
  const positional: TsNode[] = [];
  const keywords = new Map<string, TsNode>();
  for (const a of args.namedChildren) {
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name')?.text;
      const value = a.childForFieldName('value');
      if (name && value) keywords.set(name, value);
    } else if (a.type !== 'comment' && a.type !== 'dictionary_splat' && a.type !== 'list_splat')
      positional.push(a);
  }
  return { positional, keywords };
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '0': '\0',
};

function unescapePython(s: string): string {
  return s.replace(/\\(.)/g, (m, c: string) => ESCAPES[c] ?? m);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
