/**
 * Go call sites of the AWS SDK for Go v2, read with tree-sitter (`web-tree-sitter` and the
 * `tree-sitter-go` grammar's `.wasm`, loaded on first use, offline). A client's service is the
 * package its constructor comes from (`s3.NewFromConfig(cfg)`, `s3.New(s3.Options{...})`), or
 * the package of its declared type (`c *s3.Client` in a parameter, a struct field or a `var`);
 * its region is the `config.WithRegion(...)` of the configuration it was made from, or an
 * `o.Region = ...` option. Read: client methods (`client.PutObject(ctx, &s3.PutObjectInput{...})`),
 * paginators (`s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{...})`), waiters
 * (`s3.NewBucketExistsWaiter(client).Wait(ctx, &s3.HeadBucketInput{...}, d)`), presigning
 * (`s3.NewPresignClient(client).PresignGetObject(...)`) and the S3 transfer manager
 * (`manager.NewUploader(client).Upload(...)`, `manager.NewDownloader(client).Download(...)`).
 * A method called on a value of unknown type (an interface the code defines over the client)
 * is resolved only when its input names the same operation in a service package
 * (`api.PutObject(ctx, &s3.PutObjectInput{...})`).
 */
import { hasOperation, serviceOfGoPackage, UPLOAD_OPERATIONS, waiterOperation } from './services.js';
import { grammarParser, type TsNode, type TsParser, WEB_TREE_SITTER } from './tree-sitter.js';
import type { CallSite } from './types.js';
import { asString, callSite, isRecord, Notes, record, snippet, type Value } from './values.js';

/** What to install when the Go parser is missing. */
export const GO_PARSER_PACKAGES = `${WEB_TREE_SITTER} tree-sitter-go@0.25.0`;

/** The tree-sitter parser for Go, loaded once (no network: the grammar is a local .wasm). */
export function goParser(): Promise<TsParser> {
  return grammarParser('tree-sitter-go', '0.25.0', 'Go');
}

export interface ScanOptions {
  env: ReadonlyMap<string, string>;
}

const SDK = 'github.com/aws/aws-sdk-go-v2';
const CONFIG = `${SDK}/config`;
const AWS = `${SDK}/aws`;
const MANAGER = `${SDK}/feature/s3/manager`;

type GoType =
  | { kind: 'config'; region: string | null }
  | { kind: 'client' | 'presign'; service: string; region: string | null }
  | { kind: 'uploader' | 'downloader'; region: string | null }
  | { kind: 'waiter'; service: string; region: string | null; name: string };

/** Client methods that are not API operations. */
const CLIENT_METHODS = new Set(['Options']);

/** An assigned value and the scope it is evaluated in. */
interface Assigned {
  node: TsNode;
  scope: string;
}

export async function scanGo(file: string, text: string, options: ScanOptions): Promise<CallSite[]> {
  const tree = (await goParser()).parse(text);
  if (!tree) throw new Error('tree-sitter could not parse the file');
  try {
    return new GoFile(file, options).scan(tree.rootNode);
  } finally {
    tree.delete?.(); // the tree lives in the WebAssembly heap, not the JavaScript one
  }
}

/** The package scope; a top-level function's scope is `f` and its start offset. */
const PKG = 'pkg';

class GoFile {
  /** Local package names → import paths. */
  private readonly imports = new Map<string, string>();
  /** `scope:name` and `.field` → values assigned to it. */
  private readonly assigned = new Map<string, Assigned[]>();
  /** `scope:name` and `.field` → declared types (`*s3.Client`). */
  private readonly declared = new Map<string, TsNode[]>();
  private readonly calls: CallSite[] = [];
  private readonly typing = new Set<string>();
  private readonly folding = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly options: ScanOptions,
  ) {}

  scan(root: TsNode): CallSite[] {
    for (const decl of root.namedChildren) {
      if (decl.type === 'import_declaration') this.collectImports(decl);
    }
    // nothing to read in a file that imports no package of the SDK
    if (![...this.imports.values()].some((p) => p.startsWith(`${SDK}/`))) return [];
    for (const decl of root.namedChildren) {
      const scope =
        decl.type === 'function_declaration' || decl.type === 'method_declaration'
          ? `f${decl.startIndex}`
          : PKG;
      this.collect(decl, scope);
    }
    for (const decl of root.namedChildren) {
      const scope =
        decl.type === 'function_declaration' || decl.type === 'method_declaration'
          ? `f${decl.startIndex}`
          : PKG;
      this.visit(decl, scope);
    }
    return this.calls;
  }

  private collectImports(node: TsNode): void {
    for (const c of node.namedChildren) {
      if (c.type === 'import_spec_list') this.collectImports(c);
      if (c.type !== 'import_spec') continue;
      const pathNode = c.childForFieldName('path');
      if (!pathNode) continue;
      const path = stringContent(pathNode);
      const name = c.childForFieldName('name');
      if (name?.type === 'blank_identifier' || name?.type === 'dot') continue;
      const segments = path.split('/');
      let local = segments.at(-1) ?? path;
      // `example.com/x/v2` is package x
      if (/^v\d+$/.test(local) && segments.length > 1) local = segments.at(-2) ?? local;
      this.imports.set(name ? name.text : local.replace(/-/g, '_'), path);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Pass 1: assignments and declared types, by scope

  private collect(node: TsNode, scope: string): void {
    switch (node.type) {
      case 'short_var_declaration':
      case 'assignment_statement':
        this.assign(node.childForFieldName('left'), node.childForFieldName('right'), scope);
        break;
      case 'const_spec':
      case 'var_spec': {
        const names = node.namedChildren.filter((c) => c.type === 'identifier');
        const type = node.childForFieldName('type');
        const value = node.childForFieldName('value');
        for (const [i, n] of names.entries()) {
          if (type) push(this.declared, `${scope}:${n.text}`, type);
          const values = value?.namedChildren ?? [];
          const v = values.length === names.length ? values[i] : i === 0 ? values[0] : undefined;
          if (v) push(this.assigned, `${scope}:${n.text}`, { node: v, scope });
        }
        break;
      }
      case 'parameter_declaration': {
        const type = node.childForFieldName('type');
        if (type) {
          for (const n of node.namedChildren)
            if (n.type === 'identifier') push(this.declared, `${scope}:${n.text}`, type);
        }
        break;
      }
      case 'field_declaration': {
        const type = node.childForFieldName('type');
        if (type) {
          for (const n of node.namedChildren)
            if (n.type === 'field_identifier') push(this.declared, `.${n.text}`, type);
        }
        break;
      }
      case 'composite_literal': {
        // `&Store{client: dynamodb.NewFromConfig(cfg), table: name}`: fields of the code's own types
        const type = node.childForFieldName('type');
        const body = node.childForFieldName('body');
        if (type?.type === 'type_identifier' && body) {
          for (const el of body.namedChildren) {
            if (el.type !== 'keyed_element') continue;
            const [k, v] = keyedParts(el);
            if (k?.type === 'identifier' && v) push(this.assigned, `.${k.text}`, { node: v, scope });
          }
        }
        break;
      }
      default:
        break;
    }
    for (const c of node.namedChildren) this.collect(c, scope);
  }

  private assign(left: TsNode | null, right: TsNode | null, scope: string): void {
    if (!left || !right) return;
    const names = left.namedChildren;
    const values = right.namedChildren;
    for (const [i, n] of names.entries()) {
      // `cfg, err := config.LoadDefaultConfig(ctx)`: the first result is the value
      const v = values.length === names.length ? values[i] : i === 0 ? values[0] : undefined;
      if (!v) continue;
      const key =
        n.type === 'identifier' && n.text !== '_'
          ? `${scope}:${n.text}`
          : n.type === 'selector_expression'
            ? `.${n.childForFieldName('field')?.text ?? ''}`
            : null;
      if (key) push(this.assigned, key, { node: v, scope });
    }
  }

  /** What is assigned to a name: in its function first, else at package level. */
  private lookup<T>(map: Map<string, T[]>, name: string, scope: string): T[] {
    return map.get(`${scope}:${name}`) ?? (scope === PKG ? [] : (map.get(`${PKG}:${name}`) ?? []));
  }

  // ---------------------------------------------------------------------------------------
  // Types

  private typesOf(node: TsNode, scope: string): GoType[] {
    const n = unwrap(node);
    if (n.type === 'identifier') {
      if (this.imports.has(n.text) && this.lookup(this.assigned, n.text, scope).length === 0) return [];
      return this.typesOfKey(`${scope}:${n.text}`, () => [
        ...this.lookup(this.assigned, n.text, scope),
        ...this.lookup(this.declared, n.text, scope).map((t) => ({ node: t, scope: 'type' })),
      ]);
    }
    if (n.type === 'selector_expression') {
      const operand = n.childForFieldName('operand');
      if (operand?.type === 'identifier' && this.isPackage(operand.text, scope)) return [];
      const field = n.childForFieldName('field')?.text ?? '';
      return this.typesOfKey(`.${field}`, () => [
        ...(this.assigned.get(`.${field}`) ?? []),
        ...(this.declared.get(`.${field}`) ?? []).map((t) => ({ node: t, scope: 'type' })),
      ]);
    }
    if (n.type === 'call_expression') return this.typeOfCall(n, scope);
    if (n.type === 'type_assertion_expression') {
      // `c.(*s3.Client)`
      const type = n.childForFieldName('type');
      return type ? this.typeOfDeclared(type) : [];
    }
    if (n.type === 'composite_literal') {
      // `aws.Config{Region: "eu-west-1"}`
      const type = n.childForFieldName('type');
      if (type && this.qualified(type)?.path === AWS && this.qualified(type)?.name === 'Config') {
        const fields = this.fold(n, new Notes(), scope);
        return [{ kind: 'config', region: isRecord(fields) ? constant(fields.Region) : null }];
      }
    }
    return [];
  }

  private typesOfKey(key: string, sources: () => Assigned[]): GoType[] {
    if (this.typing.has(key)) return [];
    this.typing.add(key);
    try {
      const out: GoType[] = [];
      for (const a of sources()) {
        const types = a.scope === 'type' ? this.typeOfDeclared(a.node) : this.typesOf(a.node, a.scope);
        for (const t of types) {
          if (!out.some((o) => JSON.stringify(o) === JSON.stringify(t))) out.push(t);
        }
      }
      // a declared type without a region adds nothing when an assignment gave the same client
      return out.filter(
        (t) =>
          !(
            t.region === null &&
            out.some((o) => o !== t && o.kind === t.kind && sameService(o, t) && o.region !== null)
          ),
      );
    } finally {
      this.typing.delete(key);
    }
  }

  /** `*s3.Client`, `*manager.Uploader`, `*s3.PresignClient`, `aws.Config`. */
  private typeOfDeclared(type: TsNode): GoType[] {
    const q = this.qualified(type);
    if (!q) return [];
    const service = serviceOfGoPackage(q.path);
    if (service && q.name === 'Client') return [{ kind: 'client', service, region: null }];
    if (service && q.name === 'PresignClient') return [{ kind: 'presign', service, region: null }];
    if (q.path === MANAGER && q.name === 'Uploader') return [{ kind: 'uploader', region: null }];
    if (q.path === MANAGER && q.name === 'Downloader') return [{ kind: 'downloader', region: null }];
    if (q.path === AWS && q.name === 'Config') return [{ kind: 'config', region: null }];
    return [];
  }

  /** A qualified type (`*s3.Client` → the import path of `s3` and `Client`). */
  private qualified(type: TsNode): { path: string; name: string } | null {
    let t = type;
    while (t.type === 'pointer_type' || t.type === 'parenthesized_type') {
      const inner = t.namedChildren[0];
      if (!inner) return null;
      t = inner;
    }
    if (t.type !== 'qualified_type') return null;
    const pkg = t.childForFieldName('package')?.text ?? '';
    const path = this.imports.get(pkg);
    return path ? { path, name: t.childForFieldName('name')?.text ?? '' } : null;
  }

  /** Whether a name is an imported package where it is used (not shadowed by a variable). */
  private isPackage(name: string, scope: string): boolean {
    return (
      this.imports.has(name) &&
      this.lookup(this.assigned, name, scope).length === 0 &&
      this.lookup(this.declared, name, scope).length === 0
    );
  }

  /** `pkg.Name(...)` → the import path and the name, when `pkg` is an imported package. */
  private packageCall(call: TsNode, scope: string): { path: string; name: string } | null {
    const fn = call.childForFieldName('function');
    if (fn?.type !== 'selector_expression') return null;
    const operand = fn.childForFieldName('operand');
    if (operand?.type !== 'identifier' || !this.isPackage(operand.text, scope)) return null;
    return {
      path: this.imports.get(operand.text) as string,
      name: fn.childForFieldName('field')?.text ?? '',
    };
  }

  private typeOfCall(call: TsNode, scope: string): GoType[] {
    const target = this.packageCall(call, scope);
    if (!target) return [];
    const args = arguments_(call);
    const clientRegion = (n: TsNode | undefined) =>
      n ? (this.typesOf(n, scope).find((t) => t.region !== null)?.region ?? null) : null;
    if (target.path === CONFIG && target.name === 'LoadDefaultConfig') {
      let region: string | null = null;
      for (const a of args.slice(1)) {
        const c = this.packageCall(unwrap(a), scope);
        const x = arguments_(unwrap(a))[0];
        if (c?.path === CONFIG && c.name === 'WithRegion' && x)
          region = constant(this.fold(x, new Notes(), scope));
      }
      return [{ kind: 'config', region }];
    }
    if (target.path === MANAGER && (target.name === 'NewUploader' || target.name === 'NewDownloader'))
      return [
        { kind: target.name === 'NewUploader' ? 'uploader' : 'downloader', region: clientRegion(args[0]) },
      ];
    const service = serviceOfGoPackage(target.path);
    if (!service) return [];
    if (target.name === 'NewFromConfig') {
      const region = this.optionRegion(args.slice(1), scope) ?? clientRegion(args[0]);
      return [{ kind: 'client', service, region }];
    }
    if (target.name === 'New') {
      const opts = args[0] ? this.fold(args[0], new Notes(), scope) : null;
      const region = isRecord(opts) ? constant(opts.Region) : null;
      return [{ kind: 'client', service, region: region ?? this.optionRegion(args.slice(1), scope) }];
    }
    if (target.name === 'NewPresignClient')
      return [{ kind: 'presign', service, region: clientRegion(args[0]) }];
    const waiter = /^New(\w+)Waiter$/.exec(target.name);
    if (waiter)
      return [{ kind: 'waiter', service, region: clientRegion(args[0]), name: waiter[1] as string }];
    return [];
  }

  /** `func(o *s3.Options) { o.Region = "us-west-2" }` among a constructor's options. */
  private optionRegion(options: TsNode[], scope: string): string | null {
    let region: string | null = null;
    const find = (n: TsNode) => {
      if (n.type === 'assignment_statement') {
        const left = n.childForFieldName('left')?.namedChildren[0];
        const right = n.childForFieldName('right')?.namedChildren[0];
        if (
          left?.type === 'selector_expression' &&
          left.childForFieldName('field')?.text === 'Region' &&
          right
        )
          region = constant(this.fold(right, new Notes(), scope)) ?? region;
      }
      for (const c of n.namedChildren) find(c);
    };
    for (const o of options) if (unwrap(o).type === 'func_literal') find(o);
    return region;
  }

  // ---------------------------------------------------------------------------------------
  // Pass 2: call sites

  private visit(node: TsNode, scope: string): void {
    if (node.type === 'call_expression') this.onCall(node, scope);
    for (const c of node.namedChildren) this.visit(c, scope);
  }

  private onCall(call: TsNode, scope: string): void {
    const fn = call.childForFieldName('function');
    if (fn?.type !== 'selector_expression') return;
    const args = arguments_(call);
    const target = this.packageCall(call, scope);
    if (target) {
      const service = serviceOfGoPackage(target.path);
      const paginate = /^New(\w+)Paginator$/.exec(target.name);
      if (service && paginate && hasOperation(service, paginate[1] as string)) {
        const client = args[0] ? this.typesOf(args[0], scope) : [];
        const region = client.find((t) => t.region !== null)?.region ?? null;
        this.add(
          call,
          'go-paginator',
          service,
          paginate[1] as string,
          region,
          args[1],
          scope,
          null,
          target.name,
        );
      }
      return;
    }
    const method = fn.childForFieldName('field')?.text ?? '';
    const operand = fn.childForFieldName('operand');
    if (!operand || !/^[A-Z]/.test(method) || CLIENT_METHODS.has(method)) return;
    const types = this.typesOf(operand, scope);
    if (types.length === 1) this.onMethod(call, args, types[0] as GoType, method, scope);
    else if (types.length > 1) {
      const candidates = types.flatMap((t) => {
        const op = t.kind === 'client' && hasOperation(t.service, method) ? method : null;
        return op && t.kind === 'client' ? [`${t.service}:${op}`] : [];
      });
      if (candidates.length > 0) {
        this.add(call, 'go-client', null, null, null, undefined, scope, {
          reason: 'ambiguous',
          detail: `${snippet(operand.text)} may be ${types.map((t) => ('service' in t ? t.service : t.kind)).join(' or ')}`,
          candidates: [...new Set(candidates)].sort(),
        });
      }
    } else {
      // a value of a type the file does not show (an interface over the client): only when its
      // input is the same operation's input in a service package
      const input = args[1] ? this.inputType(args[1], scope) : null;
      if (input && input.name === `${method}Input` && hasOperation(input.service, method))
        this.add(call, 'go-interface', input.service, method, null, args[1], scope, null);
    }
  }

  private onMethod(call: TsNode, args: TsNode[], t: GoType, method: string, scope: string): void {
    switch (t.kind) {
      case 'client': {
        if (hasOperation(t.service, method)) {
          this.add(call, 'go-client', t.service, method, t.region, args[1], scope, null);
        } else {
          this.add(call, 'go-client', t.service, null, t.region, args[1], scope, {
            reason: 'unknown-operation',
            detail: `${method} is not an operation of ${t.service}`,
          });
        }
        return;
      }
      case 'presign': {
        const m = /^Presign(\w+)$/.exec(method);
        const operation = m ? (m[1] === 'PostObject' ? 'PutObject' : (m[1] as string)) : null;
        if (operation && hasOperation(t.service, operation))
          this.add(call, 'go-presign', t.service, operation, t.region, args[1], scope, null, method);
        return;
      }
      case 'uploader': {
        if (method !== 'Upload') return;
        const notes = new Notes();
        const params = args[1] ? this.fold(args[1], notes, scope) : record();
        for (const op of UPLOAD_OPERATIONS)
          this.push(call, 'go-transfer', 's3', op, t.region, params, notes, null, 'manager.Uploader.Upload');
        return;
      }
      case 'downloader': {
        // the downloader sends ranged GetObjects (the first one tells the size)
        if (method === 'Download')
          this.add(
            call,
            'go-transfer',
            's3',
            'GetObject',
            t.region,
            args[2],
            scope,
            null,
            'manager.Downloader.Download',
          );
        return;
      }
      case 'waiter': {
        if (method !== 'Wait' && method !== 'WaitForOutput') return;
        const operation = waiterOperation(t.service, t.name);
        this.add(
          call,
          'go-waiter',
          t.service,
          operation,
          t.region,
          args[1],
          scope,
          operation
            ? null
            : { reason: 'unknown-operation', detail: `waiter ${t.name} is not in leastpriv's waiter table` },
          `New${t.name}Waiter`,
        );
        return;
      }
      default:
        return;
    }
  }

  /** The type of an input argument: `&s3.PutObjectInput{...}`, or a variable assigned one. */
  private inputType(node: TsNode, scope: string): { service: string; name: string } | null {
    let n = address(node);
    if (n.type === 'identifier') {
      const a = this.lookup(this.assigned, n.text, scope);
      if (a.length !== 1) return null;
      n = address((a[0] as Assigned).node);
    }
    if (n.type !== 'composite_literal') return null;
    const type = n.childForFieldName('type');
    const q = type ? this.qualified(type) : null;
    const service = q ? serviceOfGoPackage(q.path) : null;
    return q && service ? { service, name: q.name } : null;
  }

  private add(
    node: TsNode,
    shape: string,
    service: string | null,
    operation: string | null,
    region: string | null,
    arg: TsNode | undefined,
    scope: string,
    unresolved: CallSite['unresolved'],
    helper?: string,
  ): void {
    const notes = new Notes();
    const params = arg ? this.fold(arg, notes, scope) : record();
    this.push(node, shape, service, operation, region, params, notes, unresolved, helper);
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
        language: 'go',
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

  fold(node: TsNode, notes: Notes, scope: string): Value {
    const n = unwrap(node);
    switch (n.type) {
      case 'interpreted_string_literal':
      case 'raw_string_literal':
        return stringContent(n);
      case 'int_literal':
      case 'float_literal': {
        const v = Number(n.text.replace(/_/g, ''));
        if (Number.isFinite(v)) return v;
        break;
      }
      case 'true':
        return true;
      case 'false':
        return false;
      case 'nil':
        return null;
      case 'unary_expression': {
        const operand = n.childForFieldName('operand');
        if (n.childForFieldName('operator')?.text === '&' && operand) return this.fold(operand, notes, scope);
        break;
      }
      case 'binary_expression': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (n.childForFieldName('operator')?.text === '+' && l && r) {
          const a = this.fold(l, notes, scope);
          const b = this.fold(r, notes, scope);
          if (typeof a === 'number' && typeof b === 'number') return a + b;
          if (typeof a === 'string' && typeof b === 'string') return a + b;
        }
        break;
      }
      case 'identifier':
        return this.foldName(n, notes, scope);
      case 'selector_expression': {
        // `s.table`: a field of the code's own type assigned once
        const operand = n.childForFieldName('operand');
        const field = n.childForFieldName('field')?.text ?? '';
        if (operand && !(operand.type === 'identifier' && this.isPackage(operand.text, scope))) {
          const a = this.assigned.get(`.${field}`) ?? [];
          if (a.length === 1 && !this.folding.has(`.${field}`)) {
            this.folding.add(`.${field}`);
            try {
              return this.fold((a[0] as Assigned).node, notes, (a[0] as Assigned).scope);
            } finally {
              this.folding.delete(`.${field}`);
            }
          }
        }
        break;
      }
      case 'call_expression': {
        const target = this.packageCall(n, scope);
        const args = arguments_(n);
        if (!target) break;
        // aws.String(x), aws.Int32(n), aws.Bool(b): pointers to the value
        if (
          target.path === AWS &&
          /^(String|Int|Int32|Int64|Bool|Float32|Float64|Time)$/.test(target.name) &&
          args[0]
        )
          return this.fold(args[0], notes, scope);
        if (target.path === 'os' && target.name === 'Getenv' && args[0]) {
          const name = asString(this.fold(args[0], new Notes(), scope));
          if (name !== null) return this.env(name, null, notes, scope);
        }
        if (target.path === 'fmt' && target.name === 'Sprintf' && args[0]) {
          const format = asString(this.fold(args[0], new Notes(), scope));
          if (format !== null) return this.sprintf(format, args.slice(1), notes, scope);
        }
        if (
          target.path === 'strings' &&
          (target.name === 'ToLower' || target.name === 'ToUpper') &&
          args[0]
        ) {
          const s = this.fold(args[0], notes, scope);
          if (typeof s === 'string' && !s.includes('lpscan0unknown'))
            return target.name === 'ToLower' ? s.toLowerCase() : s.toUpperCase();
        }
        break;
      }
      case 'composite_literal': {
        const body = n.childForFieldName('body');
        if (body) return this.foldLiteral(body, notes, scope);
        break;
      }
      case 'literal_value':
        return this.foldLiteral(n, notes, scope);
      default:
        break;
    }
    return notes.unknown(`${snippet(n.text)} is not a constant`);
  }

  /** `{Bucket: aws.String("b")}` → a map; `{"pk": ...}` → a map; `{a, b}` → a list. */
  private foldLiteral(body: TsNode, notes: Notes, scope: string): Value {
    const elements = body.namedChildren.filter((c) => c.type !== 'comment');
    if (elements.length > 0 && elements.every((e) => e.type === 'keyed_element')) {
      const out = record();
      for (const el of elements) {
        const [k, v] = keyedParts(el);
        if (!k || !v) continue;
        const key =
          k.type === 'identifier' || k.type === 'field_identifier'
            ? k.text
            : asString(this.fold(k, new Notes(), scope));
        if (key === null || key.includes('lpscan0unknown')) continue;
        out[key] = notes.within(key, () => this.fold(v, notes, scope));
      }
      return out;
    }
    return elements.map((e, i) => notes.within(String(i), () => this.fold(elementValue(e), notes, scope)));
  }

  private foldName(n: TsNode, notes: Notes, scope: string): Value {
    const name = n.text;
    const values = this.lookup(this.assigned, name, scope);
    const key = `${scope}:${name}`;
    if (this.folding.has(key) || values.length === 0) return notes.unknown(`${name} is not a constant`);
    this.folding.add(key);
    try {
      if (values.length === 1) {
        const a = values[0] as Assigned;
        return this.fold(a.node, notes, a.scope);
      }
      // `x := os.Getenv("X"); if x == "" { x = "default" }`
      const [first, ...rest] = values as [Assigned, ...Assigned[]];
      const envName = this.getenvName(first.node, first.scope);
      if (envName !== null && rest.length === 1 && isEmptyCheckBranch((rest[0] as Assigned).node, name)) {
        const fallback = rest[0] as Assigned;
        return this.env(envName, () => this.fold(fallback.node, notes, fallback.scope), notes, scope);
      }
      return notes.unknown(`${name} is not a constant (assigned more than once)`);
    } finally {
      this.folding.delete(key);
    }
  }

  /** `os.Getenv("X")` → `X`. */
  private getenvName(node: TsNode, scope: string): string | null {
    const n = unwrap(node);
    if (n.type !== 'call_expression') return null;
    const target = this.packageCall(n, scope);
    const arg = arguments_(n)[0];
    if (target?.path !== 'os' || target.name !== 'Getenv' || !arg) return null;
    return asString(this.fold(arg, new Notes(), scope));
  }

  private env(name: string, fallback: (() => Value) | null, notes: Notes, _scope: string): Value {
    const v = this.options.env.get(name);
    if (v !== undefined && v !== '') return v;
    if (fallback) return fallback();
    return notes.unknown(`os.Getenv("${name}") is not set (give it with --env FILE or a .env file)`);
  }

  /** `fmt.Sprintf` with `%s`, `%d`, `%v` and `%%`; other verbs make the value unknown. */
  private sprintf(format: string, args: TsNode[], notes: Notes, scope: string): Value {
    let i = 0;
    let out = '';
    const re = /%([%sdvq])|%[^%sdvq]/g;
    let last = 0;
    for (let m = re.exec(format); m; m = re.exec(format)) {
      out += format.slice(last, m.index);
      last = m.index + m[0].length;
      if (m[1] === '%') {
        out += '%';
        continue;
      }
      const arg = args[i++];
      if (!m[1] || !arg)
        return notes.unknown(`fmt.Sprintf(${JSON.stringify(format)}, ...) is not a constant`);
      const v = this.fold(arg, notes, scope);
      const s = asString(v) ?? notes.unknown(`${snippet(arg.text)} is not a constant`);
      out += m[1] === 'q' ? JSON.stringify(s) : s;
    }
    return out + format.slice(last);
  }
}

/** The text of a Go string literal, escapes decoded. */
function stringContent(n: TsNode): string {
  if (n.type === 'raw_string_literal') return n.text.slice(1, -1);
  let out = '';
  for (const c of n.namedChildren) {
    if (c.type === 'escape_sequence') out += unescapeGo(c.text);
    else out += c.text;
  }
  return out;
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  '"': '"',
  "'": "'",
  '0': '\0',
};

function unescapeGo(s: string): string {
  return s.replace(/\\(.)/g, (m, c: string) => ESCAPES[c] ?? m);
}

function unwrap(n: TsNode): TsNode {
  let x = n;
  while (x.type === 'parenthesized_expression' && x.namedChildren[0]) x = x.namedChildren[0];
  return x;
}

/** `&T{...}` → `T{...}`. */
function address(n: TsNode): TsNode {
  const x = unwrap(n);
  const operand = x.type === 'unary_expression' ? x.childForFieldName('operand') : null;
  return operand && x.childForFieldName('operator')?.text === '&' ? unwrap(operand) : x;
}

function arguments_(call: TsNode): TsNode[] {
  return (call.childForFieldName('arguments')?.namedChildren ?? []).filter((c) => c.type !== 'comment');
}

/** A keyed element's key and value, without their `literal_element` wrappers. */
function keyedParts(el: TsNode): [TsNode | undefined, TsNode | undefined] {
  const parts = el.namedChildren.filter((c) => c.type !== 'comment');
  const key = el.childForFieldName('key') ?? parts[0];
  const value = el.childForFieldName('value') ?? parts[1];
  return [key ? elementValue(key) : undefined, value ? elementValue(value) : undefined];
}

function elementValue(n: TsNode): TsNode {
  return (n.type === 'literal_element' || n.type === 'element') && n.namedChildren[0]
    ? n.namedChildren[0]
    : n;
}

/** A constant string (no unknown part), or null. */
function constant(v: Value | undefined): string | null {
  const s = asString(v);
  return s !== null && !s.includes('lpscan0unknown') ? s : null;
}

function sameService(a: GoType, b: GoType): boolean {
  return ('service' in a ? a.service : null) === ('service' in b ? b.service : null);
}

/** Whether an assigned value sits in `if name == "" { name = ... }`. */
function isEmptyCheckBranch(value: TsNode, name: string): boolean {
  for (let p = value.parent; p; p = p.parent) {
    if (p.type === 'if_statement') {
      const cond = p.childForFieldName('condition')?.text.replace(/\s+/g, '') ?? '';
      return cond === `${name}==""` || cond === `""==${name}` || cond === `len(${name})==0`;
    }
    if (p.type === 'function_declaration' || p.type === 'func_literal' || p.type === 'method_declaration')
      return false;
  }
  return false;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
