/**
 * The library: composes capture records into resolution, authorization and policy.
 * The CLI is a thin layer over this; everything here returns data.
 */
import { authorizeAws } from './authorize/aws/index.js';
import { type StubResponse, stubResponse } from './catalog/stub-responses.js';
import type { CallRecord, ObservedCall, Requirement, UnresolvedReason } from './model/index.js';
import { type BuiltPolicy, buildPolicy } from './policy/index.js';
import { learnAccount, type ResolveContext, resolveAws } from './resolve/aws/index.js';

export interface SessionOptions {
  /** `--account-id`: the account every call acted in, when known. */
  accountId: string | null;
  /** `--wildcard-resources`: every statement on "*". */
  wildcardResources: boolean;
  /** Add `aws:RequestedRegion` with the regions the calls used. */
  requestedRegions?: boolean;
  /** Collapse more than this many sibling ARNs into one wildcard (0: never). */
  compactThreshold?: number;
}

/** Error codes that mean the caller lacked a permission. */
const DENIED =
  /^(AccessDenied|AccessDeniedException|UnauthorizedOperation|UnauthorizedAccess|AuthorizationError|AuthorizationErrorException|Forbidden|UnauthorizedException|NotAuthorized)/;

export function isDenied(status: number | null, error: string | null): boolean {
  return error !== null ? DENIED.test(error) : status === 403;
}

export interface SessionSummary {
  calls: number;
  /** [service, calls], most called first. */
  services: [string, number][];
  unresolved: { reason: UnresolvedReason; count: number; examples: string[] }[];
  denied: { call: string; error: string; actions: string[] }[];
  /** Calls that need no permission (`sts:GetCallerIdentity`...). */
  permissionless: string[];
  /** Calls answered with an error other than a denial. */
  failed: number;
  actions: number;
  statements: number;
  /** Widened resources, split documents: what a reviewer should know. */
  warnings: string[];
}

interface Entry {
  requirements: Requirement[];
  callIds: number[];
}

/** Everything one capture learned, in arrival order. */
export class Session {
  private readonly records: CallRecord[] = [];
  private readonly byId = new Map<number, CallRecord>();
  private readonly entries = new Map<string, Entry>();
  private readonly ctx: ResolveContext;
  private readonly permissionless = new Set<string>();
  private readonly unresolved = new Map<UnresolvedReason, { count: number; examples: string[] }>();
  private readonly denied: SessionSummary['denied'] = [];
  private failed = 0;
  private version = 0;
  private built: { version: number; policy: BuiltPolicy } | null = null;

  constructor(private readonly options: SessionOptions) {
    this.ctx = { accountId: options.accountId, learnedAccount: null };
  }

  /** Number of calls added so far; changes whenever the policy may have changed. */
  get revision(): number {
    return this.version;
  }

  add(call: ObservedCall): CallRecord {
    this.version++;
    const status = call.response?.status ?? null;
    const error = call.response?.errorCode ?? null;
    const base = {
      time: call.time,
      source: call.source,
      provider: 'aws' as const,
      status,
      error,
    };
    const trace = { host: call.host, method: call.method, path: call.path };
    const resolution = resolveAws(call, this.ctx);
    if (this.ctx.learnedAccount === null) this.ctx.learnedAccount = learnAccount(call, resolution);
    let record: CallRecord;
    if (resolution.kind === 'unresolved') {
      this.noteUnresolved(resolution.reason, `${call.method} ${call.host}${call.path}`);
      record = {
        ...base,
        service: resolution.service,
        operation: resolution.operation,
        region: resolution.region,
        account: null,
        actions: null,
        resources: null,
        unresolved: resolution.reason,
        ...trace,
      };
    } else {
      const op = resolution.operation;
      const requirements = authorizeAws(op);
      const name = `${op.service}:${op.operation}`;
      const actions = requirements ? [...new Set(requirements.map((r) => r.action))].sort() : null;
      const resources = requirements ? [...new Set(requirements.flatMap((r) => r.resources))].sort() : null;
      if (requirements === null) this.noteUnresolved('no-mapping', name);
      else if (requirements.length === 0) this.permissionless.add(name);
      else this.remember(requirements, call.id);
      if (isDenied(status, error))
        this.denied.push({ call: name, error: error ?? String(status), actions: actions ?? [] });
      else if (status !== null && status >= 400) this.failed++;
      record = {
        ...base,
        service: op.service,
        operation: op.operation,
        region: op.region,
        account: op.account ?? this.ctx.learnedAccount,
        actions,
        resources,
        unresolved: requirements === null ? 'no-mapping' : null,
        ...trace,
      };
    }
    if (resolution.kind === 'unresolved' && call.response === null) record.unresolved ??= 'no-response';
    this.records.push(record);
    this.byId.set(call.id, record);
    return record;
  }

  calls(): readonly CallRecord[] {
    return this.records;
  }

  /** The policy for everything added so far, with the calls behind each statement. */
  policy(): BuiltPolicy {
    if (this.built?.version !== this.version) {
      const policy = buildPolicy([...this.entries.values()], {
        wildcardResources: this.options.wildcardResources,
        requestedRegions: this.options.requestedRegions ?? false,
        compactThreshold: this.options.compactThreshold ?? 0,
      });
      this.built = { version: this.version, policy };
    }
    return this.built.policy;
  }

  /** A minimal success answer for `--upstream stub`, shaped for the call's operation. */
  stub(call: ObservedCall): StubResponse {
    return stubResponse(resolveAws(call, this.ctx), call);
  }

  /** The record of the call with this id. */
  call(id: number): CallRecord | undefined {
    return this.byId.get(id);
  }

  summary(): SessionSummary {
    const services = new Map<string, number>();
    for (const r of this.records) {
      const s = r.service ?? '(unknown)';
      services.set(s, (services.get(s) ?? 0) + 1);
    }
    const built = this.policy();
    const docs = built.documents;
    const actions = new Set(docs.flatMap((d) => d.Statement.flatMap((s) => toList(s.Action))));
    return {
      calls: this.records.length,
      services: [...services].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
      unresolved: [...this.unresolved].map(([reason, v]) => ({ reason, ...v })),
      denied: this.denied,
      permissionless: [...this.permissionless].sort(),
      failed: this.failed,
      actions: actions.size,
      statements: docs.reduce((n, d) => n + d.Statement.length, 0),
      warnings: built.warnings,
    };
  }

  private remember(requirements: Requirement[], callId: number): void {
    const key = JSON.stringify(requirements.map((r) => [r.action, r.resources, r.conditions]));
    const entry = this.entries.get(key);
    if (entry) entry.callIds.push(callId);
    else this.entries.set(key, { requirements, callIds: [callId] });
  }

  private noteUnresolved(reason: UnresolvedReason, example: string): void {
    const u = this.unresolved.get(reason) ?? { count: 0, examples: [] };
    u.count++;
    if (u.examples.length < 3 && !u.examples.includes(example)) u.examples.push(example);
    this.unresolved.set(reason, u);
  }
}

function toList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
