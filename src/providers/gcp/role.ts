/**
 * Google Cloud grants roles on resources: the least privilege for what was seen is one custom
 * role with exactly the permissions used, bound where they were used (the project, or the
 * bucket, topic, subscription or secret when every use was on that one). Rendered as the YAML
 * `gcloud iam roles create --file` takes, as JSON (the role and its bindings), as Terraform and
 * as Markdown. Pure.
 */
import type { Requirement } from '../../model/index.js';

export interface GcpBinding {
  /** `projects/p`, `projects/_/buckets/b`, `projects/p/topics/t`, `projects/p/secrets/s`. */
  resource: string;
  permissions: string[];
}

export interface GcpRole {
  title: string;
  description: string;
  permissions: string[];
  bindings: GcpBinding[];
  /** Per permission: documented (with the page) or derived from the method id. */
  basis: Record<string, string>;
}

export function buildGcpRole(requirements: readonly Requirement[], title = 'leastpriv'): GcpRole {
  const byResource = new Map<string, Set<string>>();
  const basis: Record<string, string> = {};
  for (const r of requirements) {
    for (const resource of r.resources) {
      const set = byResource.get(resource) ?? new Set<string>();
      set.add(r.action);
      byResource.set(resource, set);
    }
    basis[r.action] ??= r.note ?? 'derived from the method id';
  }
  const permissions = [...new Set(requirements.map((r) => r.action))].sort();
  const bindings = [...byResource]
    .map(([resource, set]) => ({ resource, permissions: [...set].sort() }))
    .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  return {
    title,
    description: `The permissions a workload used, as leastpriv observed them (${permissions.length}).`,
    permissions,
    bindings,
    basis: Object.fromEntries(Object.entries(basis).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

export type GcpFormat = 'yaml' | 'json' | 'terraform' | 'markdown';

/** The format a file name asks for. */
export function gcpFormatOf(path: string): GcpFormat {
  if (/\.json$/i.test(path)) return 'json';
  if (/\.tf$/i.test(path)) return 'terraform';
  if (/\.md$/i.test(path)) return 'markdown';
  return 'yaml';
}

const q = (s: string) => JSON.stringify(s);

export function renderGcpRole(role: GcpRole, format: GcpFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(
        {
          role: {
            title: role.title,
            description: role.description,
            stage: 'GA',
            includedPermissions: role.permissions,
          },
          bindings: role.bindings,
        },
        null,
        2,
      )}\n`;
    case 'terraform':
      return terraform(role);
    case 'markdown':
      return markdown(role);
    default:
      return yaml(role);
  }
}

/** The role file `gcloud iam roles create ROLE_ID --project P --file FILE` reads; bindings as comments. */
function yaml(role: GcpRole): string {
  const lines = [
    '# Custom role written by leastpriv: gcloud iam roles create ROLE_ID --project PROJECT --file THIS_FILE',
    '# Grant it where the permissions were used:',
    ...role.bindings.map((b) => `#   ${b.resource}: ${b.permissions.join(', ')}`),
    `title: ${q(role.title)}`,
    `description: ${q(role.description)}`,
    'stage: GA',
    'includedPermissions:',
    ...role.permissions.map((p) => `- ${p}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Terraform (google provider): the custom role and one member binding per resource. */
function terraform(role: GcpRole): string {
  const projects = new Set(
    role.bindings
      .map((b) => /^projects\/([^/]+)/.exec(b.resource)?.[1])
      .filter((p) => p && p !== '_' && p !== '*'),
  );
  const project = projects.size === 1 ? q([...projects][0] as string) : 'var.project';
  const out = [
    'variable "member" {',
    '  description = "Who gets the role: serviceAccount:ci@PROJECT.iam.gserviceaccount.com, user:..., group:..."',
    '  type        = string',
    '}',
    '',
  ];
  if (project === 'var.project') out.push('variable "project" {', '  type = string', '}', '');
  out.push(
    'resource "google_project_iam_custom_role" "leastpriv" {',
    `  project     = ${project}`,
    '  role_id     = "leastpriv"',
    `  title       = ${q(role.title)}`,
    `  description = ${q(role.description)}`,
    '  permissions = [',
    ...role.permissions.map((p) => `    ${q(p)},`),
    '  ]',
    '}',
  );
  role.bindings.forEach((b, i) => {
    const name = `leastpriv_${i + 1}`;
    const roleRef = 'google_project_iam_custom_role.leastpriv.name';
    const bucket = /^projects\/_\/buckets\/([^/]+)$/.exec(b.resource);
    const topic = /^projects\/[^/]+\/topics\/[^/]+$/.test(b.resource);
    const subscription = /^projects\/[^/]+\/subscriptions\/[^/]+$/.test(b.resource);
    const secret = /^projects\/[^/]+\/secrets\/[^/]+$/.test(b.resource);
    const account = /^projects\/[^/]+\/serviceAccounts\/[^/]+$/.test(b.resource);
    const [type, field, value] = bucket
      ? ['google_storage_bucket_iam_member', 'bucket', q(bucket[1] as string)]
      : topic
        ? ['google_pubsub_topic_iam_member', 'topic', q(b.resource)]
        : subscription
          ? ['google_pubsub_subscription_iam_member', 'subscription', q(b.resource)]
          : secret
            ? ['google_secret_manager_secret_iam_member', 'secret_id', q(b.resource)]
            : account
              ? ['google_service_account_iam_member', 'service_account_id', q(b.resource)]
              : ['google_project_iam_member', 'project', project];
    out.push(
      '',
      `# ${b.permissions.join(', ')}`,
      `resource "${type}" "${name}" {`,
      `  ${field.padEnd(7)} = ${value}`,
      `  role    = ${roleRef}`,
      '  member  = var.member',
      '}',
    );
  });
  return `${out.join('\n')}\n`;
}

function markdown(role: GcpRole): string {
  const lines = [
    `# Google Cloud custom role: ${role.title}`,
    '',
    `${role.permissions.length} permissions, ${role.bindings.length} bindings.`,
    '',
    '| Permission | Granted on | Basis |',
    '| --- | --- | --- |',
  ];
  for (const p of role.permissions) {
    const where = role.bindings.filter((b) => b.permissions.includes(p)).map((b) => `\`${b.resource}\``);
    lines.push(`| \`${p}\` | ${where.join(', ')} | ${role.basis[p] ?? ''} |`);
  }
  return `${lines.join('\n')}\n`;
}
