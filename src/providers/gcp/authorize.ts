/**
 * Google Cloud API methods → IAM permissions, and the resource each is granted on. Google
 * publishes no machine-readable method → permission table: a method's permission is derived
 * from its id (`pubsub.projects.topics.create` → `pubsub.topics.create`), and the methods whose
 * permissions differ are curated rules (`data/gcp/rules.json`), each citing Google's page.
 * Every requirement says which of the two it came from. Pure.
 */
import { gcpCatalog } from '../../catalog/gcp.js';
import type { Requirement } from '../../model/index.js';
import type { GcpOperation } from './resolve.js';

/** Method verbs whose permission verb differs (REST `insert` creates, `patch` updates...). */
const VERBS: Record<string, string> = {
  insert: 'create',
  patch: 'update',
  aggregatedList: 'list',
};

/** Collections that only locate a resource: never the collection a permission is named after. */
const CONTAINERS = new Set(['projects', 'locations', 'organizations', 'folders', 'billingAccounts']);

/**
 * `testIamPermissions` needs no permission: "No permission is required to call this method"
 * (https://cloud.google.com/resource-manager/reference/rest/v3/projects/testIamPermissions).
 */
const PERMISSIONLESS_VERBS = new Set(['testIamPermissions']);

/** The permission a method id names: the API's prefix, the last collection, the verb. */
export function derivedPermission(method: string): string {
  const parts = method.split('.');
  const api = parts[0] ?? '';
  const verb = parts.at(-1) ?? '';
  const collections = parts.slice(1, -1);
  const own = collections.filter((c) => !CONTAINERS.has(c));
  const collection = own.at(-1) ?? collections.at(-1) ?? api;
  return `${gcpCatalog().prefix(api)}.${collection}.${VERBS[verb] ?? verb}`;
}

/**
 * The resource a permission is granted on: the bucket, topic, subscription or secret itself
 * when the call named one that exists (these take IAM policies of their own), else the project.
 */
export function grantTarget(op: GcpOperation, permission: string): string {
  const project = `projects/${op.project ?? '*'}`;
  const r = op.resource ?? '';
  if (permission.endsWith('.create') && !permission.startsWith('storage.objects.')) return project;
  const bucket = /^projects\/_\/buckets\/[^/]+/.exec(r);
  if (bucket && permission.startsWith('storage.') && permission !== 'storage.buckets.list') return bucket[0];
  const topic = /^projects\/[^/]+\/(?:topics|subscriptions)\/[^/]+/.exec(r);
  if (topic && permission.startsWith('pubsub.')) return topic[0];
  const secret = /^projects\/[^/]+\/secrets\/[^/]+/.exec(r);
  if (secret && permission.startsWith('secretmanager.')) return secret[0];
  return project;
}

/** The permissions a call needs (empty: none), each with where it is granted and why. */
export function authorizeGcp(op: GcpOperation): Requirement[] {
  if (op.method === 'oauth2.token') return [];
  const verb = op.method.split('.').at(-1) ?? '';
  if (PERMISSIONLESS_VERBS.has(verb)) return [];
  const rule = gcpCatalog().rule(op.method);
  const permissions = rule ? rule.permissions : [derivedPermission(op.method)];
  const needs = permissions.map((permission) => {
    const member = rule?.on?.[permission];
    const value = member ? op.body?.[member] : undefined;
    const named = typeof value === 'string' ? value : undefined;
    const target = grantTarget(named ? { ...op, resource: named } : op, permission);
    return {
      action: permission,
      resources: [target],
      conditions: null,
      why: op.method,
      note: rule ? `documented: ${rule.source}` : 'derived from the method id',
      ...(op.project === null && target.startsWith('projects/*')
        ? { approximate: 'the project is unknown: grant on the project the calls use' }
        : {}),
    };
  });
  return [...needs, ...actAs(op)];
}

/**
 * Google Cloud's PassRole: a resource that runs as a service account needs
 * `iam.serviceAccounts.actAs` on that account, read from the request body.
 */
const RUNS_AS: Record<string, { accounts: (body: Record<string, unknown>) => unknown[]; source: string }> = {
  'compute.instances.insert': {
    accounts: (b) =>
      Array.isArray(b.serviceAccounts) ? b.serviceAccounts.map((a) => (a as { email?: unknown })?.email) : [],
    source:
      'https://cloud.google.com/compute/docs/access/create-enable-service-accounts-for-instances#permissions',
  },
  'run.projects.locations.services.create': {
    accounts: (b) => [(b.template as { serviceAccount?: unknown } | undefined)?.serviceAccount],
    source: 'https://cloud.google.com/run/docs/securing/service-identity#permissions_required_to_deploy',
  },
};

function actAs(op: GcpOperation): Requirement[] {
  const spec = RUNS_AS[op.method];
  if (!spec || !op.body) return [];
  const emails = [
    ...new Set(spec.accounts(op.body).filter((e): e is string => typeof e === 'string' && e.includes('@'))),
  ];
  return emails.map((email) => ({
    action: 'iam.serviceAccounts.actAs',
    resources: [
      `projects/${/@([^.]+)\.iam\.gserviceaccount\.com$/.exec(email)?.[1] ?? op.project ?? '-'}/serviceAccounts/${email}`,
    ],
    conditions: null,
    why: op.method,
    note: `documented: ${spec.source}`,
  }));
}
