import { accessSync, constants, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { LeastprivError } from '../errors.js';
import { isDenied, Session, type SessionSummary } from '../index.js';
import { type Format, numberedPath, renderPolicy, renderPolicyFiles } from '../output/policy.js';
import { writeFileAtomic } from '../output/write.js';
import { renderCosmosRole } from '../providers/azure/cosmos-role.js';
import { azureFormatOf, renderAzureRole } from '../providers/azure/role.js';
import { gcpFormatOf, renderGcpRole } from '../providers/gcp/role.js';
import { COMPACT_THRESHOLD } from './args.js';

export interface OutputValues {
  output?: string | undefined;
  calls?: string | undefined;
  'wildcard-resources'?: boolean | undefined;
  compact?: boolean | undefined;
  'fails-only'?: boolean | undefined;
  force?: boolean | undefined;
}

export interface OutputOptions {
  /** A capture (run, proxy): with no calls, an existing policy or calls log is kept (unless --force). */
  keepOnEmpty?: boolean;
  /** Where a policy that cannot be written goes instead (`<home>/unsaved`, else the temp folder). */
  fallbackHome?: string;
  /** One line for the user (kept files, fallbacks). */
  log?: (line: string) => void;
}

export interface Written {
  policy: string;
  calls: string | null;
  /** The session the policy was built from (the denied calls only, with --fails-only). */
  session: Session;
}

/** The note on a resource widened because the account was unknown, with the option that fixes it. */
export function hintAccount(warning: string): string {
  return warning.replace(/\bAccount\b[^:]*? unknown, used \*/, '$& (pass --account-id ID to fill it in)');
}

/** The summary of a capture, with the policy counts of the policy that was written. */
export function summaryFor(full: Session, written: { session: Session }): SessionSummary {
  const s = full.summary();
  const p = written.session === full ? s : written.session.summary();
  return { ...s, actions: p.actions, statements: p.statements, warnings: p.warnings.map(hintAccount) };
}

/** `--fails-only`: a session of the denied calls alone (the fix-the-AccessDenied loop). */
function policySession(session: Session, values: OutputValues): Session {
  if (!values['fails-only']) return session;
  const denied = new Session({
    accountId: null,
    wildcardResources: values['wildcard-resources'] ?? false,
    compactThreshold: values.compact ? COMPACT_THRESHOLD : 0,
  });
  for (const r of session.calls()) if (isDenied(r.status, r.error)) denied.addRecord(r);
  return denied;
}

/**
 * Checks, before a long command runs, that a file can be written where it was asked for:
 * its folder exists or can be made, and a file can be created there.
 */
export function checkWritable(
  path: string | undefined,
  what: string,
  consequence = 'the command was not started',
): void {
  if (!path || path === '-') return;
  const fail = (reason: string) => {
    throw new LeastprivError('io', `cannot write ${what} to ${path}: ${reason}; ${consequence}`);
  };
  if (/[/\\]\.{0,2}$/.test(path)) fail('it names a folder, not a file');
  const existing = statOrNull(path);
  if (existing?.isDirectory()) fail('it is a folder');
  if (existing && !existing.isFile()) return; // a device or a pipe: written in place
  const probe = `${path}.${process.pid}.probe`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    if (existing) accessSync(path, constants.W_OK);
    writeFileSync(probe, '');
  } catch (err) {
    fail((err as Error).message);
  } finally {
    try {
      rmSync(probe, { force: true });
    } catch {
      // nothing was made
    }
  }
}

/**
 * Writes the policy (file or stdout) and the calls log, and returns what was written where.
 * Without `fallbackHome`, a file that cannot be written is an error; with it, the file goes
 * to a fallback that the returned paths (and the log) name.
 */
export function writeOutputs(
  capture: { session: Session; format: Format },
  values: OutputValues,
  options: OutputOptions = {},
): Written {
  const log = options.log ?? ((line: string) => process.stderr.write(`leastpriv: ${line}\n`));
  const session = policySession(capture.session, values);
  const built = session.policy();
  const report = {
    explain: built.explain,
    call: (id: number) => session.call(id),
    warnings: built.warnings.map(hintAccount),
  };
  const toFile = values.output && values.output !== '-' ? values.output : null;
  const kept: string[] = [];
  const keep = (path: string | null) => {
    if (!path || !options.keepOnEmpty || values.force || capture.session.callCount > 0) return false;
    const s = statOrNull(path);
    if (!s?.isFile() || s.size === 0) return false;
    kept.push(path);
    return true;
  };
  const keepPolicy = keep(toFile);
  const keepCalls = keep(values.calls ?? null);
  if (kept.length) log(`no calls were seen: kept ${kept.join(' and ')} as they were (--force replaces them)`);

  // Google Cloud and Azure calls make custom roles (Cosmos DB's data plane one of its own): with
  // no AWS call, the first takes the file asked for and the others go beside it; else all go
  // beside the AWS policy (policy.gcp-role.yaml, policy.azure-role.json, policy.cosmos-role.json).
  const roles = cloudRoles(session);
  const only = roles.length > 0 && capture.session.awsCallCount === 0 ? roles[0] : null;
  const roleWhere: string[] = [];
  for (const role of roles) {
    const path = role === only ? toFile : toFile ? role.sibling(toFile) : null;
    if (path && !keepPolicy) {
      const text = role.render(path);
      roleWhere.push(
        `${writeOrFallback(path, () => text, `the ${role.name} role`, options, log)} (${role.name} role)`,
      );
    } else if (!path && role === only) {
      process.stdout.write(role.render(null));
      roleWhere.push(`stdout (${role.name} role)`);
    } else if (!path) log(`${role.name} calls were seen: -o FILE writes their custom role beside the policy`);
  }
  const roleOnly = only !== null && only !== undefined;
  const rolesWhere = roleWhere.length ? roleWhere.join(', ') : null;

  // The policy first: it is what the run is for.
  // A policy split over several documents is one JSON file each (policy.json, policy.2.json...).
  let policyWhere = 'stdout';
  if (roleOnly) policyWhere = rolesWhere ?? 'not written';
  else if (toFile && keepPolicy) policyWhere = `${toFile} (kept)`;
  else if (toFile) {
    // a device or a pipe (`-o /dev/null`) takes every document in one stream, never `.2` files
    const regular = !statOrNull(toFile) || statOrNull(toFile)?.isFile() === true;
    const files = regular
      ? renderPolicyFiles(built.documents, capture.format, toFile, report)
      : [{ path: toFile, text: renderPolicy(built.documents, capture.format, report) }];
    policyWhere = files
      .map((f) => writeOrFallback(f.path, () => f.text, 'the policy', options, log))
      .join(', ');
    if (regular) removeStaleParts(toFile, files.length, log);
  } else {
    process.stdout.write(renderPolicy(built.documents, capture.format, report));
    if (built.documents.length > 1 && capture.format === 'json')
      log(`the policy is split into ${built.documents.length} documents; -o FILE writes one file each`);
  }
  if (rolesWhere && !roleOnly) policyWhere = `${policyWhere}, ${rolesWhere}`;
  let callsWhere: string | null = null;
  if (values.calls && keepCalls) callsWhere = `${values.calls} (kept)`;
  else if (values.calls)
    callsWhere = writeOrFallback(
      values.calls,
      () => capture.session.callsNdjson(),
      'the calls log',
      options,
      log,
    );
  return { policy: policyWhere, calls: callsWhere, session };
}

/** Where a cloud's role goes beside an AWS policy file: `policy.gcp-role.yaml`, `policy.azure-role.json`. */
export function roleSibling(path: string, suffix: string): string {
  return `${path.replace(/\.(json|tf|ya?ml|template)$/i, '')}.${suffix}`;
}

interface CloudRole {
  name: string;
  sibling: (path: string) => string;
  /** The role in the format a file name asks for (null: stdout, the default format). */
  render: (path: string | null) => string;
}

/** The custom roles of the clouds other than AWS that the session saw calls to. */
function cloudRoles(session: Session): CloudRole[] {
  const out: CloudRole[] = [];
  const gcp = session.gcpRole();
  if (gcp)
    out.push({
      name: 'Google Cloud',
      sibling: (p) => roleSibling(p, 'gcp-role.yaml'),
      render: (p) => renderGcpRole(gcp, p ? gcpFormatOf(p) : 'yaml'),
    });
  const azure = session.azureRole();
  if (azure)
    out.push({
      name: 'Azure',
      sibling: (p) => roleSibling(p, 'azure-role.json'),
      render: (p) => renderAzureRole(azure, p ? azureFormatOf(p) : 'json'),
    });
  const cosmos = session.cosmosRole();
  if (cosmos)
    out.push({
      name: 'Cosmos DB',
      sibling: (p) => roleSibling(p, 'cosmos-role.json'),
      render: (p) => renderCosmosRole(cosmos, p && /\.md$/i.test(p) ? 'markdown' : 'json'),
    });
  return out;
}

/**
 * The parts an earlier, longer policy left beside this one (`policy.3.json` after a run that
 * wrote three documents, when this one wrote two): removed, so no stale part is attached.
 */
function removeStaleParts(path: string, written: number, log: (line: string) => void): void {
  for (let i = written; ; i++) {
    const part = numberedPath(path, i);
    if (!statOrNull(part)?.isFile() || !isPolicyDocument(part)) return;
    rmSync(part, { force: true });
    log(`removed ${part}: a part of an earlier policy, not of this one`);
  }
}

/** A file that holds one IAM policy document (what a part is): anything else is never removed. */
function isPolicyDocument(path: string): boolean {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { Version?: unknown; Statement?: unknown };
    return doc.Version === '2012-10-17' && Array.isArray(doc.Statement);
  } catch {
    return false;
  }
}

/** Writes a file; when that fails and a fallback home is given, writes it there and says so. */
function writeOrFallback(
  path: string,
  data: () => string | Iterable<string>,
  what: string,
  options: OutputOptions,
  log: (line: string) => void,
): string {
  const failure = tryWrite(path, data());
  if (failure === null) return path;
  if (options.fallbackHome === undefined)
    throw new LeastprivError('io', `cannot write ${what} to ${path}: ${failure}`);
  const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${basename(path)}`;
  for (const dir of [join(options.fallbackHome, 'unsaved'), join(tmpdir(), 'leastpriv-unsaved')]) {
    const fallback = join(dir, name);
    if (tryWrite(fallback, data()) === null) {
      log(`cannot write ${what} to ${path} (${failure}); wrote it to ${fallback} instead`);
      return fallback;
    }
  }
  throw new LeastprivError(
    'io',
    `cannot write ${what} to ${path} (${failure}), nor to ${join(options.fallbackHome, 'unsaved')} or the temp folder`,
  );
}

/**
 * Null when the file was written, else why not. `writeFileAtomic` reports a failure by throwing
 * today; a returned failure (`false`, an Error, `{ ok: false, error }`) is read the same way.
 */
function tryWrite(path: string, data: string | Iterable<string>): string | null {
  try {
    const result: unknown = writeFileAtomic(path, data);
    return failureOf(result);
  } catch (err) {
    return reasonOf((err as Error).message ?? String(err), path);
  }
}

function failureOf(result: unknown): string | null {
  if (result === undefined || result === null || result === true) return null;
  if (result === false) return 'the write failed';
  if (result instanceof Error) return result.message;
  if (typeof result === 'object') {
    const r = result as { ok?: unknown; error?: unknown; message?: unknown };
    if (r.ok === false || (r.ok === undefined && r.error)) {
      const e = r.error ?? r.message;
      return e instanceof Error ? e.message : typeof e === 'string' ? e : 'the write failed';
    }
  }
  return null;
}

/** The reason alone from `cannot write PATH: REASON; what happened: what to do`. */
function reasonOf(message: string, path: string): string {
  const reason = message.replace(`cannot write ${path}: `, '');
  const end = reason.indexOf('; ');
  return (end === -1 ? reason : reason.slice(0, end)).trim();
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
