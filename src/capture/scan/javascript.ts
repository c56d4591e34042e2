/**
 * JavaScript and TypeScript call sites of the AWS SDKs, read with the TypeScript compiler API:
 * SDK v3 commands (`new GetObjectCommand({...})`, resolved by the package the command is
 * imported from), v3 aggregated clients (`new S3().getObject({...})`), `@aws-sdk/lib-dynamodb`,
 * `@aws-sdk/lib-storage` `Upload`, v3 paginators and waiters, and SDK v2 (`new AWS.S3()`).
 */
import ts from 'typescript';
import {
  DOCUMENT_OPERATIONS,
  hasOperation,
  operationOf,
  serviceOfV2Class,
  serviceOfV3Class,
  serviceOfV3Package,
  UPLOAD_OPERATIONS,
  waiterOperation,
} from './services.js';
import type { CallSite } from './types.js';
import { asString, callSite, isRecord, Notes, record, snippet, type Value } from './values.js';

export interface ScanOptions {
  /** Environment variables the code reads (`--env FILE`, `.env`). */
  env: ReadonlyMap<string, string>;
}

type ClientKind = 'v3client' | 'v3aggregated' | 'v2' | 'doc' | 'doc-aggregated' | 'doc-v2';

interface ClientType {
  kind: ClientKind;
  service: string;
  region: string | null;
}

interface Entity {
  module: string;
  /** The imported name (`GetObjectCommand`), `*` for a namespace or default import, dotted below it. */
  name: string;
}

/** Methods of clients that are not API operations. */
const CLIENT_METHODS = new Set([
  'send',
  'destroy',
  'promise',
  'on',
  'makeRequest',
  'config',
  'middlewareStack',
]);

export function scanJavaScript(file: string, text: string, options: ScanOptions): CallSite[] {
  const kind = /\.tsx$/.test(file)
    ? ts.ScriptKind.TSX
    : /\.(ts|mts|cts)$/.test(file)
      ? ts.ScriptKind.TS
      : ts.ScriptKind.JSX;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  return new JsFile(file, source, options).scan();
}

class JsFile {
  private readonly imports = new Map<string, Entity>();
  private readonly consts = new Map<string, ts.Expression[]>();
  /** Initializers by variable name, and by `.property` for property assignments. */
  private readonly assigned = new Map<string, ts.Expression[]>();
  /** `x.send(cmd)` calls by the command variable's name. */
  private readonly sends = new Map<string, ts.Expression[]>();
  private readonly calls: CallSite[] = [];
  private readonly typing = new Set<string>();
  private readonly folding = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly source: ts.SourceFile,
    private readonly options: ScanOptions,
  ) {}

  scan(): CallSite[] {
    this.collect(this.source);
    this.visit(this.source);
    return this.calls;
  }

  // ---------------------------------------------------------------------------------------
  // Pass 1: imports, constants, assignments

  private collect(node: ts.Node): void {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const module = node.moduleSpecifier.text;
      const clause = node.importClause;
      if (clause?.name) this.imports.set(clause.name.text, { module, name: '*' });
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings))
        this.imports.set(bindings.name.text, { module, name: '*' });
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) {
          this.imports.set(el.name.text, { module, name: (el.propertyName ?? el.name).getText(this.source) });
        }
      }
    } else if (ts.isVariableDeclaration(node) && node.initializer) {
      const module = requiredModule(node.initializer);
      if (module !== null && ts.isIdentifier(node.name))
        this.imports.set(node.name.text, { module, name: '*' });
      else if (module !== null && ts.isObjectBindingPattern(node.name)) {
        for (const el of node.name.elements) {
          if (!ts.isIdentifier(el.name)) continue;
          const imported =
            el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : el.name.text;
          this.imports.set(el.name.text, { module, name: imported });
        }
      } else if (ts.isIdentifier(node.name)) {
        push(this.assigned, node.name.text, node.initializer);
        const list = node.parent;
        if (ts.isVariableDeclarationList(list) && list.flags & ts.NodeFlags.Const)
          push(this.consts, node.name.text, node.initializer);
      }
    } else if (ts.isPropertyDeclaration(node) && node.initializer && ts.isIdentifier(node.name)) {
      push(this.assigned, `.${node.name.text}`, node.initializer);
    } else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      !ts.isVariableDeclaration(node.parent)
    ) {
      const key = ts.isIdentifier(node.left)
        ? node.left.text
        : ts.isPropertyAccessExpression(node.left)
          ? `.${node.left.name.text}`
          : null;
      if (key) push(this.assigned, key, node.right);
    } else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'send' &&
      node.arguments[0] &&
      ts.isIdentifier(node.arguments[0])
    ) {
      push(this.sends, node.arguments[0].text, node.expression.expression);
    }
    ts.forEachChild(node, (c) => this.collect(c));
  }

  /** The import an expression names: `GetObjectCommand`, `s3.GetObjectCommand`, `AWS.DynamoDB.DocumentClient`. */
  private entity(expr: ts.Expression): Entity | null {
    if (ts.isIdentifier(expr)) return this.imports.get(expr.text) ?? null;
    if (ts.isPropertyAccessExpression(expr)) {
      const base = this.entity(expr.expression);
      if (!base) return null;
      const name = base.name === '*' ? expr.name.text : `${base.name}.${expr.name.text}`;
      return { module: base.module, name };
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------
  // Client types

  /** The client types an expression may have: none (not a client), one, or several (ambiguous). */
  private typesOf(expr: ts.Expression): ClientType[] {
    const e = unwrap(expr);
    if (ts.isNewExpression(e)) return this.typeOfNew(e);
    if (ts.isConditionalExpression(e)) return [...this.typesOf(e.whenTrue), ...this.typesOf(e.whenFalse)];
    if (
      ts.isCallExpression(e) &&
      ts.isPropertyAccessExpression(e.expression) &&
      e.expression.name.text === 'from'
    ) {
      const ent = this.entity(e.expression.expression);
      if (ent?.module === '@aws-sdk/lib-dynamodb' && e.arguments[0]) {
        const inner = this.typesOf(e.arguments[0]);
        const kind: ClientKind = ent.name === 'DynamoDBDocument' ? 'doc-aggregated' : 'doc';
        return [{ kind, service: 'dynamodb', region: inner[0]?.region ?? null }];
      }
      return [];
    }
    const key = ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? `.${e.name.text}` : null;
    if (key === null || this.typing.has(key)) return [];
    this.typing.add(key);
    try {
      const out: ClientType[] = [];
      for (const init of this.assigned.get(key) ?? []) {
        for (const t of this.typesOf(init)) {
          if (!out.some((o) => o.kind === t.kind && o.service === t.service && o.region === t.region))
            out.push(t);
        }
      }
      return out;
    } finally {
      this.typing.delete(key);
    }
  }

  private typeOfNew(e: ts.NewExpression): ClientType[] {
    const ent = this.entity(e.expression);
    if (!ent) return [];
    const region = this.regionOf(e.arguments?.[0]);
    const pkgService = serviceOfV3Package(ent.module);
    if (pkgService !== null) {
      if (ent.name.endsWith('Client') && serviceOfV3Class(ent.name) === pkgService)
        return [{ kind: 'v3client', service: pkgService, region }];
      if (serviceOfV3Class(ent.name) === pkgService)
        return [{ kind: 'v3aggregated', service: pkgService, region }];
      return [];
    }
    if (ent.module === '@aws-sdk/lib-dynamodb') {
      if (ent.name === 'DynamoDBDocumentClient') return [{ kind: 'doc', service: 'dynamodb', region }];
      if (ent.name === 'DynamoDBDocument') return [{ kind: 'doc-aggregated', service: 'dynamodb', region }];
      return [];
    }
    if (ent.module === 'aws-sdk') {
      if (ent.name === 'DynamoDB.DocumentClient') return [{ kind: 'doc-v2', service: 'dynamodb', region }];
      const service = serviceOfV2Class(ent.name);
      return service ? [{ kind: 'v2', service, region }] : [];
    }
    const m = /^aws-sdk\/clients\/([a-z0-9]+)$/.exec(ent.module);
    if (m && ent.name === '*') {
      const service = serviceOfV2Class(m[1] as string);
      return service ? [{ kind: 'v2', service, region }] : [];
    }
    if (m && ent.name === 'DocumentClient') return [{ kind: 'doc-v2', service: 'dynamodb', region }];
    return [];
  }

  /** The `region` a client's configuration object names, when constant. */
  private regionOf(config: ts.Expression | undefined): string | null {
    if (!config) return null;
    const v = this.fold(config, new Notes());
    const r = isRecord(v) ? asString(v.region) : null;
    return r !== null && !r.includes('lpscan0unknown') ? r : null;
  }

  // ---------------------------------------------------------------------------------------
  // Pass 2: call sites

  private visit(node: ts.Node): void {
    if (ts.isNewExpression(node)) this.onNew(node);
    else if (ts.isCallExpression(node)) this.onCall(node);
    ts.forEachChild(node, (c) => this.visit(c));
  }

  private onNew(node: ts.NewExpression): void {
    const ent = this.entity(node.expression);
    if (!ent) return;
    const arg = node.arguments?.[0];
    const service = serviceOfV3Package(ent.module);
    if (service !== null && ent.name.endsWith('Command')) {
      const operation = ent.name.slice(0, -'Command'.length);
      const region = this.sendRegion(node);
      if (!hasOperation(service, operation)) {
        this.add(node, 'v3-command', service, null, region, arg, {
          reason: 'unknown-operation',
          detail: `${ent.name} is not an operation of ${service} in leastpriv's API index`,
        });
      } else this.add(node, 'v3-command', service, operation, region, arg);
      return;
    }
    if (ent.module === '@aws-sdk/lib-dynamodb' && ent.name.endsWith('Command')) {
      const operation = DOCUMENT_OPERATIONS[ent.name.slice(0, -'Command'.length)];
      if (operation) this.add(node, 'lib-dynamodb', 'dynamodb', operation, this.sendRegion(node), arg);
      return;
    }
    if (ent.module === '@aws-sdk/lib-storage' && ent.name === 'Upload') {
      const notes = new Notes();
      const clientExpr = arg && ts.isObjectLiteralExpression(arg) ? property(arg, 'client') : undefined;
      const region = clientExpr ? (this.typesOf(clientExpr)[0]?.region ?? null) : null;
      const paramsExpr = arg && ts.isObjectLiteralExpression(arg) ? property(arg, 'params') : undefined;
      const params = paramsExpr ? this.fold(paramsExpr, notes) : record();
      for (const operation of UPLOAD_OPERATIONS) {
        this.push(node, 'lib-storage', 's3', operation, region, params, notes, null, 'Upload');
      }
    }
  }

  private onCall(node: ts.CallExpression): void {
    const callee = node.expression;
    const ent = this.entity(callee);
    const service = ent ? serviceOfV3Package(ent.module) : null;
    if (ent && service !== null) {
      const config = node.arguments[0];
      const clientExpr =
        config && ts.isObjectLiteralExpression(config) ? property(config, 'client') : undefined;
      const region = clientExpr ? (this.typesOf(clientExpr)[0]?.region ?? null) : null;
      const paginate = /^paginate([A-Z]\w*)$/.exec(ent.name);
      if (paginate && hasOperation(service, paginate[1] as string)) {
        this.add(node, 'v3-paginator', service, paginate[1] as string, region, node.arguments[1]);
        return;
      }
      const wait = /^wait(?:Until|For)([A-Z]\w*)$/.exec(ent.name);
      if (wait) {
        const operation = waiterOperation(service, wait[1] as string);
        this.add(
          node,
          'v3-waiter',
          service,
          operation,
          region,
          node.arguments[1],
          operation
            ? null
            : {
                reason: 'unknown-operation',
                detail: `waiter ${ent.name} is not in leastpriv's waiter table`,
              },
          ent.name,
        );
      }
      return;
    }
    if (!ts.isPropertyAccessExpression(callee)) return;
    const method = callee.name.text;
    if (CLIENT_METHODS.has(method)) return;
    const types = this.typesOf(callee.expression);
    if (types.length === 1) this.onMethod(node, types[0] as ClientType, method);
    else if (types.length > 1) {
      const candidates = types.flatMap((t) => {
        const op = methodOperation(t, method);
        return op ? [`${t.service}:${op}`] : [];
      });
      if (candidates.length > 0) {
        this.add(node, 'client-method', null, null, null, node.arguments[0], {
          reason: 'ambiguous',
          detail: `${snippet(callee.expression.getText(this.source))} may be ${types.map((t) => t.service).join(' or ')}`,
          candidates: [...new Set(candidates)].sort(),
        });
      }
    }
  }

  private onMethod(node: ts.CallExpression, t: ClientType, method: string): void {
    const arg = node.arguments[0];
    if (t.kind === 'v2' && t.service === 's3' && method === 'upload') {
      const notes = new Notes();
      const params = arg ? this.fold(arg, notes) : record();
      for (const operation of UPLOAD_OPERATIONS)
        this.push(node, 'v2', 's3', operation, t.region, params, notes, null, 'upload');
      return;
    }
    if (t.kind === 'v2' && (method === 'getSignedUrl' || method === 'getSignedUrlPromise')) {
      const name = arg ? asString(this.fold(arg, new Notes())) : null;
      const operation = name ? operationOf(t.service, name) : null;
      if (operation)
        this.add(node, 'v2-presign', t.service, operation, t.region, node.arguments[1], null, method);
      return;
    }
    if (t.kind === 'v3client' || t.kind === 'doc') return;
    const operation = methodOperation(t, method);
    const shape = t.kind === 'v2' || t.kind === 'doc-v2' ? 'v2' : 'v3-aggregated';
    if (operation) this.add(node, shape, t.service, operation, t.region, arg);
    else if (/^[a-z]/.test(method)) {
      this.add(node, shape, t.service, null, t.region, arg, {
        reason: 'unknown-operation',
        detail: `${method} is not an operation of ${t.service}`,
      });
    }
  }

  /** The region of the client a command is sent with (`client.send(new XCommand())` or `send(cmd)`). */
  private sendRegion(node: ts.NewExpression): string | null {
    let child: ts.Node = node;
    let parent = node.parent;
    while (parent && (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent))) {
      child = parent;
      parent = parent.parent;
    }
    if (
      parent &&
      ts.isCallExpression(parent) &&
      parent.arguments[0] === child &&
      ts.isPropertyAccessExpression(parent.expression) &&
      parent.expression.name.text === 'send'
    ) {
      return this.typesOf(parent.expression.expression)[0]?.region ?? null;
    }
    if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
      for (const client of this.sends.get(parent.name.text) ?? []) {
        const region = this.typesOf(client)[0]?.region;
        if (region) return region;
      }
    }
    return null;
  }

  private add(
    node: ts.Node,
    shape: string,
    service: string | null,
    operation: string | null,
    region: string | null,
    arg: ts.Expression | undefined,
    unresolved: CallSite['unresolved'] = null,
    helper?: string,
  ): void {
    const notes = new Notes();
    const params = arg ? this.fold(arg, notes) : record();
    this.push(node, shape, service, operation, region, params, notes, unresolved, helper);
  }

  private push(
    node: ts.Node,
    shape: string,
    service: string | null,
    operation: string | null,
    region: string | null,
    params: Value,
    notes: Notes,
    unresolved: CallSite['unresolved'],
    helper?: string,
  ): void {
    const line = this.source.getLineAndCharacterOfPosition(node.getStart(this.source)).line + 1;
    this.calls.push(
      callSite({
        file: this.file,
        line,
        language: 'javascript',
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

  fold(expr: ts.Expression, notes: Notes): Value {
    const e = unwrap(expr);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (ts.isNumericLiteral(e)) return Number(e.text);
    if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
    if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
    if (e.kind === ts.SyntaxKind.NullKeyword) return null;
    if (ts.isTemplateExpression(e)) {
      let out = e.head.text;
      for (const span of e.templateSpans) {
        const v = this.fold(span.expression, notes);
        out +=
          asString(v) ??
          notes.unknown(`\${${snippet(span.expression.getText(this.source))}} is not a constant`);
        out += span.literal.text;
      }
      return out;
    }
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === ts.SyntaxKind.PlusToken) {
        const a = this.fold(e.left, notes);
        const b = this.fold(e.right, notes);
        if (typeof a === 'number' && typeof b === 'number') return a + b;
        const sa = asString(a);
        const sb = asString(b);
        if (sa !== null && sb !== null) return sa + sb;
        return notes.unknown(`${snippet(e.getText(this.source))} is not a constant`);
      }
      if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken) {
        const env = this.envName(e.left);
        if (env !== null) return this.options.env.get(env) || this.fold(e.right, notes);
        return this.fold(e.left, notes);
      }
    }
    const env = this.envName(e);
    if (env !== null) {
      const v = this.options.env.get(env);
      return v ?? notes.unknown(`process.env.${env} is not set (give it with --env FILE or a .env file)`);
    }
    if (ts.isIdentifier(e)) {
      if (e.text === 'undefined') return null;
      const inits = this.consts.get(e.text);
      if (inits?.length !== 1 || this.folding.has(e.text)) {
        return notes.unknown(
          `${e.text} is not a constant${inits && inits.length > 1 ? ' (declared more than once)' : ''}`,
        );
      }
      this.folding.add(e.text);
      try {
        return this.fold(inits[0] as ts.Expression, notes);
      } finally {
        this.folding.delete(e.text);
      }
    }
    if (ts.isObjectLiteralExpression(e)) {
      const out = record();
      for (const p of e.properties) {
        if (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) {
          const key = propertyName(p.name);
          if (key === null) {
            notes.unknown(`a computed key is not a constant`);
            continue;
          }
          const valueExpr = ts.isPropertyAssignment(p) ? p.initializer : p.name;
          out[key] = notes.within(key, () => this.fold(valueExpr, notes));
        } else if (ts.isSpreadAssignment(p)) {
          const v = this.fold(p.expression, notes);
          if (isRecord(v)) Object.assign(out, v);
        }
      }
      return out;
    }
    if (ts.isArrayLiteralExpression(e)) {
      return e.elements.map((x, i) => notes.within(String(i), () => this.fold(x, notes)));
    }
    if (ts.isConditionalExpression(e)) {
      const a = this.fold(e.whenTrue, new Notes());
      const b = this.fold(e.whenFalse, new Notes());
      if (JSON.stringify(a) === JSON.stringify(b) && !JSON.stringify(a).includes('lpscan0unknown')) return a;
    }
    return notes.unknown(`${snippet(e.getText(this.source))} is not a constant`);
  }

  /** `process.env.X` / `process.env['X']` → `X`. */
  private envName(e: ts.Expression): string | null {
    const x = unwrap(e);
    const isEnv = (o: ts.Expression) =>
      ts.isPropertyAccessExpression(o) &&
      o.name.text === 'env' &&
      ts.isIdentifier(o.expression) &&
      o.expression.text === 'process';
    if (ts.isPropertyAccessExpression(x) && isEnv(x.expression)) return x.name.text;
    if (ts.isElementAccessExpression(x) && isEnv(x.expression) && ts.isStringLiteral(x.argumentExpression))
      return x.argumentExpression.text;
    return null;
  }
}

/** The operation a method of an aggregated, v2 or document client names. */
function methodOperation(t: ClientType, method: string): string | null {
  if (!/^[a-z]/.test(method)) return null;
  if (t.kind === 'doc-aggregated' || t.kind === 'doc-v2') {
    return DOCUMENT_OPERATIONS[method[0]?.toUpperCase() + method.slice(1)] ?? null;
  }
  if (t.kind === 'v3aggregated' || t.kind === 'v2') return operationOf(t.service, method);
  return null;
}

function unwrap(e: ts.Expression): ts.Expression {
  let x = e;
  while (
    ts.isParenthesizedExpression(x) ||
    ts.isAsExpression(x) ||
    ts.isNonNullExpression(x) ||
    ts.isAwaitExpression(x) ||
    ts.isSatisfiesExpression(x) ||
    ts.isTypeAssertionExpression(x)
  ) {
    x = x.expression;
  }
  return x;
}

/** `require('m')` → `m`. */
function requiredModule(e: ts.Expression): string | null {
  const x = unwrap(e);
  if (
    ts.isCallExpression(x) &&
    ts.isIdentifier(x.expression) &&
    x.expression.text === 'require' &&
    x.arguments[0] &&
    ts.isStringLiteral(x.arguments[0])
  ) {
    return x.arguments[0].text;
  }
  return null;
}

function propertyName(name: ts.PropertyName): string | null {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return null;
}

function property(obj: ts.ObjectLiteralExpression, key: string): ts.Expression | undefined {
  for (const p of obj.properties) {
    if (ts.isPropertyAssignment(p) && propertyName(p.name) === key) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p) && p.name.text === key) return p.name;
  }
  return undefined;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
