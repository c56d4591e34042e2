/**
 * The library: composes capture records into resolution, authorization and policy.
 * The CLI is a thin layer over this; everything here returns data.
 */

import { type StubResponse, stubResponse } from './catalog/stub-responses.js';
import { recordNeeds } from './input/calls-log.js';
import type {
  CallRecord,
  CloudUnresolved,
  LoggedRequirement,
  ObservedCall,
  Operation,
  Requirement,
  Resolution,
  UnresolvedReason,
} from './model/index.js';
import { type BuiltPolicy, buildPolicy } from './policy/index.js';
import { authorizeAws } from './providers/aws/authorize/index.js';
import { learnAccount, type ResolveContext, resolveAws } from './providers/aws/resolve/index.js';
import { authorizeAzure } from './providers/azure/authorize.js';
import { buildCosmosRole, type CosmosRole, isCosmos } from './providers/azure/cosmos-role.js';
import { type AzureResolution, resolveAzure } from './providers/azure/resolve.js';
import { type AzureRole, buildAzureRole } from './providers/azure/role.js';
import { azureStubResponse } from './providers/azure/stub.js';
import { authorizeGcp } from './providers/gcp/authorize.js';
import { type GcpResolution, resolveGcp } from './providers/gcp/resolve.js';
import { buildGcpRole, type GcpRole } from './providers/gcp/role.js';
import { gcpStubResponse } from './providers/gcp/stub.js';
import { providerOfHost } from './providers/index.js';

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
  /^(AccessDenied|AccessDeniedException|UnauthorizedOperation|UnauthorizedAccess|AuthorizationError|AuthorizationErrorException|Forbidden|UnauthorizedException|NotAuthorized|PERMISSION_DENIED)/;

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
  /** Google Cloud: the custom role's permissions and bindings (absent when no GCP call was seen). */
  gcp?: { permissions: number; bindings: number; derived: number };
  /** Azure: the role definition's entries and assignable scopes (absent when no Azure call was seen). */
  azure?: { actions: number; dataActions: number; scopes: number; unknownScopes: number };
  /** Cosmos DB's own role: its DataActions and account-relative scopes. */
  cosmos?: { dataActions: number; scopes: string[] };
}

interface Entry {
  requirements: Requirement[];
  callIds: number[];
}

/**
 * Everything one capture learned, in arrival order. Each call is kept as its calls-log line
 * (a few hundred bytes, not the objects behind it); a call made before the account was known
 * is rewritten once it is.
 */
export class Session {
  private readonly records: string[] = [];
  private readonly services = new Map<string, number>();
  private readonly entries = new Map<string, Entry>();
  private readonly ctx: ResolveContext;
  private readonly permissionless = new Set<string>();
  private readonly unresolved = new Map<UnresolvedReason, { count: number; examples: string[] }>();
  private readonly denied: SessionSummary['denied'] = [];
  private failed = 0;
  private awsCalls = 0;
  private version = 0;
  private built: { version: number; policy: BuiltPolicy } | null = null;
  private lastId = 0;
  /** Calls answered by the stub: resolved once, for the answer and for the record. */
  private readonly stubbed = new WeakMap<ObservedCall, Resolution>();
  private readonly gcpStubbed = new WeakMap<ObservedCall, GcpResolution>();
  private readonly azureStubbed = new WeakMap<ObservedCall, AzureResolution>();
  /** Google Cloud's and Azure's requirements, in arrival order: their custom roles are built from them. */
  private readonly cloudNeeds: Record<'gcp' | 'azure', Requirement[]> = { gcp: [], azure: [] };
  /** Calls seen per cloud: a cloud seen gets its role, empty when none of its calls needed anything. */
  private readonly cloudCalls: Record<'gcp' | 'azure', number> = { gcp: 0, azure: 0 };
  /** Calls added before the account was known, by requirement set (one operation stands for each). */
  private pending = new Map<string, Pending>();

  constructor(private readonly options: SessionOptions) {
    this.ctx = { accountId: options.accountId, learnedAccount: null };
  }

  /** Number of calls added so far; changes whenever the policy may have changed. */
  get revision(): number {
    return this.version;
  }

  /**
   * Adds a call the proxy saw: resolves, authorizes and records it. Never throws: a call that
   * makes leastpriv fail (a bug) is still recorded, unresolved, with the failure in the summary.
   */
  add(call: ObservedCall): CallRecord {
    const before = this.records.length;
    try {
      return this.resolveAndAdd(call);
    } catch (err) {
      // recorded already when the failure came after the record was written
      if (this.records.length > before) return this.parsedLast();
      return this.addFailed(call, err);
    }
  }

  private resolveAndAdd(call: ObservedCall): CallRecord {
    const provider = providerOfHost(call.host);
    if (provider === 'gcp' || provider === 'azure') return this.addCloud(call, provider);
    const resolution = this.stubbed.get(call) ?? resolveAws(call, this.ctx);
    if (this.ctx.learnedAccount === null) {
      this.ctx.learnedAccount = learnAccount(call, resolution);
      this.settle();
    }
    const meta = callMeta(call);
    if (resolution.kind === 'resolved') return this.addOperation(resolution.operation, meta);
    this.noteUnresolved(resolution.reason, `${call.method} ${call.host}${call.path}`);
    return this.push({
      ...base(meta),
      service: resolution.service,
      operation: resolution.operation,
      region: resolution.region,
      account: null,
      actions: null,
      resources: null,
      unresolved: resolution.reason,
      ...meta.trace,
    });
  }

  /**
   * A Google Cloud or Azure call: its method or operation, the permissions it needs and where
   * they are granted, kept apart from the AWS policy (each cloud has its own role shape).
   */
  private addCloud(call: ObservedCall, provider: 'gcp' | 'azure'): CallRecord {
    const view = provider === 'gcp' ? this.gcpView(call) : this.azureView(call);
    const meta = callMeta(call);
    if (view.kind === 'unresolved') {
      // The resolver's detail names the request and says why (a batch, the Manage right...).
      this.noteUnresolved(view.reason, view.detail);
      return this.push({
        ...base(meta),
        provider,
        service: view.service,
        operation: view.operation,
        region: null,
        account: null,
        actions: null,
        resources: null,
        unresolved: view.reason,
        ...meta.trace,
      });
    }
    const requirements = view.requirements;
    const record = this.push({
      ...base(meta),
      provider,
      service: view.service,
      operation: view.operation,
      region: null,
      account: view.account,
      actions: sorted(requirements.map((r) => r.action)),
      resources: sorted(requirements.flatMap((r) => r.resources)),
      unresolved: null,
      ...meta.trace,
      requirements: requirements.map(toLogged),
    });
    this.countCloud(provider, record, requirements);
    return record;
  }

  private gcpView(call: ObservedCall): CloudView {
    const r = this.gcpStubbed.get(call) ?? resolveGcp(call);
    if (r.kind === 'unresolved') return r;
    const op = r.operation;
    return {
      kind: 'resolved',
      service: op.api,
      operation: op.method,
      account: op.project,
      requirements: authorizeGcp(op),
    };
  }

  private azureView(call: ObservedCall): CloudView {
    const r = this.azureStubbed.get(call) ?? resolveAzure(call);
    if (r.kind === 'unresolved') return r;
    // Key Vault answers a request without a token with 401 and a challenge naming the
    // authority; the client retries with a token, and that call is the one that counts.
    const challenge =
      call.response?.status === 401 &&
      !call.headers.authorization &&
      call.response.headers['www-authenticate'];
    const op = challenge ? { ...r.operation, permissionless: 'an authentication challenge' } : r.operation;
    return {
      kind: 'resolved',
      service: op.namespace,
      operation: op.operation,
      account: op.subscription,
      requirements: authorizeAzure(op),
    };
  }

  private countCloud(provider: 'gcp' | 'azure', record: CallRecord, requirements: Requirement[]): void {
    // An authentication challenge (a 401 the client answers with a token): neither a failure nor
    // an operation that needs no permission; the retry is recorded on its own.
    if (provider === 'azure' && record.status === 401 && requirements.length === 0) return;
    if (requirements.length === 0) this.permissionless.add(`${record.service}:${record.operation}`);
    this.cloudNeeds[provider].push(...requirements);
    if (isDenied(record.status, record.error)) {
      this.denied.push({
        call: `${record.service}:${record.operation}`,
        error: record.error ?? String(record.status),
        actions: record.actions ?? [],
      });
    } else if (record.status !== null && record.status >= 400) this.failed++;
  }

  /** The Google Cloud custom role for every GCP call so far, or null when there was none. */
  gcpRole(): GcpRole | null {
    return this.cloudCalls.gcp ? buildGcpRole(this.cloudNeeds.gcp) : null;
  }

  /** The Azure custom role definition for every Azure call so far, or null when there was none. */
  azureRole(): AzureRole | null {
    const needs = this.cloudNeeds.azure;
    // Cosmos DB's data plane has a role of its own: no empty Azure role beside it.
    if (!this.cloudCalls.azure || (needs.length > 0 && needs.every(isCosmos))) return null;
    return buildAzureRole(needs);
  }

  /** Cosmos DB's own role definition, for the Cosmos DB data-plane calls seen. */
  cosmosRole(): CosmosRole | null {
    return buildCosmosRole(this.cloudNeeds.azure);
  }

  /** The record of a call whose resolution failed: what the request itself shows. */
  private addFailed(call: ObservedCall, err: unknown): CallRecord {
    const meta = callMeta(call);
    const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.noteUnresolved(
      'internal-error',
      `${call.method} ${call.host}${call.path} (leastpriv failed: ${why.slice(0, 200)})`,
    );
    const record = this.push({
      ...base(meta),
      service: null,
      operation: null,
      region: null,
      account: null,
      actions: null,
      resources: null,
      unresolved: 'internal-error',
      ...meta.trace,
    });
    this.count(record, null);
    return record;
  }

  private parsedLast(): CallRecord {
    return parseRecord(this.records[this.records.length - 1] as string);
  }

  /**
   * Adds a call whose operation is already known (CloudTrail, client-side monitoring, code
   * scanning). `adjust`, when given, rewrites the requirements the authorize stage found (a
   * source that knows more about its parameters than the operation shows: `scan` turns the
   * values it could not know into `*`).
   */
  addOperation(op: Operation, meta: CallMeta, adjust?: Adjust): CallRecord {
    const authorized = authorizeAws(op);
    const requirements = authorized && adjust ? adjust(authorized) : authorized;
    const name = `${op.service}:${op.operation}`;
    if (requirements === null) this.noteUnresolved('no-mapping', name);
    // Until the account is known, its requirements stay apart: an sts GetCallerIdentity
    // answer later in the session fills the account into their ARNs.
    const accountless = op.account === null && requirements !== null && requirements.length > 0;
    const record: CallRecord = this.push({
      ...base(meta),
      service: op.service,
      operation: op.operation,
      region: op.region,
      account: op.account ?? this.ctx.learnedAccount,
      actions: requirements ? sorted(requirements.map((r) => r.action)) : null,
      resources: requirements ? sorted(requirements.flatMap((r) => r.resources)) : null,
      unresolved: requirements === null ? 'no-mapping' : null,
      ...meta.trace,
      ...meta.code,
      ...(requirements ? { requirements: requirements.map(toLogged) } : {}),
    });
    if (accountless) {
      const key = `${name}\n${requirementKey(requirements)}`;
      const p = this.pending.get(key) ?? { op, requirements, ids: [], ...(adjust ? { adjust } : {}) };
      p.ids.push(this.lastId);
      this.pending.set(key, p);
    }
    this.count(record, requirements, !accountless);
    return record;
  }

  /** Authorizes again, with the account now known, the calls that were added without it. */
  private settle(): void {
    const account = this.ctx.learnedAccount;
    if (account === null || this.pending.size === 0) return;
    for (const p of this.pending.values()) {
      const again = authorizeAws({ ...p.op, account });
      const requirements = (again && p.adjust ? p.adjust(again) : again) ?? p.requirements;
      const filled = {
        account,
        actions: sorted(requirements.map((r) => r.action)),
        resources: sorted(requirements.flatMap((r) => r.resources)),
        requirements: requirements.map(toLogged),
      };
      for (const id of p.ids) {
        const record = JSON.parse(this.records[id - 1] as string) as CallRecord;
        this.records[id - 1] = JSON.stringify(Object.assign(record, filled));
        this.remember(requirements, id);
      }
    }
    this.pending.clear();
    this.version++;
  }

  /**
   * Adds a record read back from a calls log. Its requirements are taken as written (they
   * carry the conditions); a record without them falls back to every action on every resource.
   */
  addRecord(record: CallRecord): void {
    const why = `${record.service}:${record.operation}`;
    if (record.provider === 'gcp' || record.provider === 'azure') {
      if (record.unresolved)
        this.noteUnresolved(
          record.unresolved,
          `${record.method ?? ''} ${record.host ?? ''}${record.path ?? ''}`.trim(),
        );
      this.push(record);
      if (!record.unresolved)
        this.countCloud(
          record.provider,
          record,
          recordNeeds(record).map((need) => ({ ...need, why: record.operation ?? why })),
        );
      return;
    }
    const requirements: Requirement[] | null =
      record.actions === null && !record.requirements
        ? null
        : recordNeeds(record).map((need) => ({
            ...need,
            why,
            ...(record.region ? { region: record.region } : {}),
          }));
    if (record.unresolved) {
      this.noteUnresolved(
        record.unresolved,
        `${record.method ?? ''} ${record.host ?? ''}${record.path ?? ''}`.trim(),
      );
    }
    this.push(record);
    this.count(record, record.unresolved ? null : requirements);
  }

  /** Every call, parsed again from its line: for small sessions (CloudTrail tuples, tests). */
  calls(): CallRecord[] {
    return this.records.map(parseRecord);
  }

  /** Number of calls added so far. */
  get callCount(): number {
    return this.records.length;
  }

  /** The calls log, one JSON object per line in arrival order, in pieces of about 1 MiB. */
  *callsNdjson(): Generator<string> {
    let out = '';
    for (const r of this.records) {
      out += `${r}\n`;
      if (out.length >= 1 << 20) {
        yield out;
        out = '';
      }
    }
    if (out) yield out;
  }

  /** The policy for everything added so far, with the calls behind each statement. */
  policy(): BuiltPolicy {
    if (this.built?.version !== this.version) {
      const pending = [...this.pending.values()].map((p) => ({
        requirements: p.requirements,
        callIds: p.ids,
      }));
      const policy = buildPolicy([...this.entries.values(), ...pending], {
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
    const provider = providerOfHost(call.host);
    if (provider === 'gcp') {
      const resolution = resolveGcp(call);
      this.gcpStubbed.set(call, resolution);
      return gcpStubResponse(resolution, call);
    }
    if (provider === 'azure') {
      const resolution = resolveAzure(call);
      this.azureStubbed.set(call, resolution);
      return azureStubResponse(resolution, call);
    }
    let resolution: Resolution;
    try {
      resolution = resolveAws(call, this.ctx);
      this.stubbed.set(call, resolution);
    } catch (err) {
      // `add` meets the same failure and records it; the answer is a generic one
      resolution = {
        kind: 'unresolved',
        reason: 'internal-error',
        detail: `leastpriv failed: ${(err as Error).message}`,
        service: null,
        operation: null,
        region: null,
      };
    }
    return stubResponse(resolution, call);
  }

  /** The record of the call with this id (ids count from 1 in the order calls were added). */
  call(id: number): CallRecord | undefined {
    const r = this.records[id - 1];
    return r === undefined ? undefined : parseRecord(r);
  }

  summary(): SessionSummary {
    const built = this.policy();
    const docs = built.documents;
    const actions = new Set(docs.flatMap((d) => d.Statement.flatMap((s) => toList(s.Action))));
    return {
      calls: this.records.length,
      services: [...this.services].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
      unresolved: [...this.unresolved].map(([reason, v]) => ({ reason, ...v })),
      denied: this.denied,
      permissionless: [...this.permissionless].sort(),
      failed: this.failed,
      actions: actions.size,
      statements: docs.reduce((n, d) => n + d.Statement.length, 0),
      warnings: built.warnings,
      ...this.cloudSummary(),
    };
  }

  private cloudSummary(): Pick<SessionSummary, 'gcp' | 'azure' | 'cosmos'> {
    const out: Pick<SessionSummary, 'gcp' | 'azure' | 'cosmos'> = {};
    const role = this.gcpRole();
    if (role) {
      const derived = Object.values(role.basis).filter((b) => !b.startsWith('documented')).length;
      out.gcp = { permissions: role.permissions.length, bindings: role.bindings.length, derived };
    }
    const azure = this.azureRole();
    if (azure)
      out.azure = {
        actions: azure.actions.length,
        dataActions: azure.dataActions.length,
        scopes: azure.assignableScopes.length,
        unknownScopes: azure.unknownScopes.length,
      };
    const cosmos = this.cosmosRole();
    if (cosmos) out.cosmos = { dataActions: cosmos.dataActions.length, scopes: cosmos.scopes };
    return out;
  }

  /** Number of AWS calls added so far (the others are Google Cloud's). */
  get awsCallCount(): number {
    return this.awsCalls;
  }

  /** Records a call as its calls-log line. */
  private push(record: CallRecord): CallRecord {
    this.version++;
    if (record.provider === 'aws') this.awsCalls++;
    else if (record.provider === 'gcp' || record.provider === 'azure') this.cloudCalls[record.provider]++;
    this.records.push(JSON.stringify(record));
    const s = record.service ?? '(unknown)';
    this.services.set(s, (this.services.get(s) ?? 0) + 1);
    this.lastId = this.records.length;
    return record;
  }

  /** Counts a record into the summary and its requirements into the policy. */
  private count(record: CallRecord, requirements: Requirement[] | null, remember = true): void {
    const name = `${record.service}:${record.operation}`;
    if (requirements !== null && requirements.length === 0) this.permissionless.add(name);
    else if (requirements !== null && remember) this.remember(requirements, this.lastId);
    if (isDenied(record.status, record.error)) {
      this.denied.push({
        call: name,
        error: record.error ?? String(record.status),
        actions: record.actions ?? [],
      });
    } else if (record.status !== null && record.status >= 400) this.failed++;
  }

  private remember(requirements: Requirement[], callId: number): void {
    const key = requirementKey(requirements);
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

function parseRecord(r: string): CallRecord {
  return JSON.parse(r) as CallRecord;
}

function toList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** A Google Cloud or Azure call as the session records it. */
type CloudView =
  | CloudUnresolved
  | {
      kind: 'resolved';
      service: string;
      operation: string;
      account: string | null;
      requirements: Requirement[];
    };

/** What a capture source knows about a call besides its operation. */
export interface CallMeta {
  time: string;
  source: CallRecord['source'];
  status: number | null;
  error: string | null;
  /** Where the request went, when the source saw the request itself. */
  trace?: { host: string; method: string; path: string };
  /** Where the call is in the code, when the source read the code (`scan`). */
  code?: { file: string; line: number };
}

/** Rewrites the requirements the authorize stage found for one call (see `addOperation`). */
export type Adjust = (requirements: Requirement[]) => Requirement[];

function callMeta(call: ObservedCall): CallMeta {
  return {
    time: call.time,
    source: call.source,
    status: call.response?.status ?? null,
    error: call.response?.errorCode ?? null,
    trace: { host: call.host, method: call.method, path: call.path },
  };
}

function base(meta: CallMeta) {
  return {
    time: meta.time,
    source: meta.source,
    provider: 'aws' as const,
    status: meta.status,
    error: meta.error,
  };
}

interface Pending {
  op: Operation;
  requirements: Requirement[];
  ids: number[];
  adjust?: Adjust;
}

function requirementKey(requirements: Requirement[]): string {
  return JSON.stringify(requirements.map((r) => [r.action, r.resources, r.conditions]));
}

function sorted(values: string[]): string[] {
  return [...new Set(values)].sort();
}

function toLogged(r: Requirement): LoggedRequirement {
  return {
    action: r.action,
    resources: r.resources,
    ...(r.conditions ? { conditions: r.conditions } : {}),
    ...(r.approximate ? { approximate: r.approximate } : {}),
    ...(r.note ? { note: r.note } : {}),
  };
}
