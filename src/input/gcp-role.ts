/**
 * A Google Cloud custom role as teams keep it: the YAML `gcloud iam roles create --file` takes
 * (or `gcloud iam roles describe` prints), the REST Role JSON (`includedPermissions`), or
 * leastpriv's JSON (`{"role": {...}, "bindings": [...]}`). Told from its content: a file with
 * `includedPermissions` is a role, anything else is not (null).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { LeastprivError } from '../errors.js';

export interface GcpRoleFile {
  name: string;
  title: string | null;
  stage: string | null;
  permissions: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The role in a file's text, or null when the text is not a custom role. */
export function parseGcpRole(text: string, name: string): GcpRoleFile | null {
  if (!text.includes('includedPermissions')) return null;
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 100 });
  } catch {
    return null;
  }
  const role = isObj(value) && isObj(value.role) ? value.role : value;
  if (!isObj(role) || !('includedPermissions' in role)) return null;
  const list = role.includedPermissions ?? [];
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string'))
    throw new LeastprivError('bad-input', `${name}: includedPermissions must be a list of permission names`);
  return {
    name,
    title: typeof role.title === 'string' ? role.title : null,
    stage: typeof role.stage === 'string' ? role.stage : null,
    permissions: list as string[],
  };
}

/** The custom role in a file, or null when the file holds something else (an AWS policy). */
export function loadGcpRole(path: string): GcpRoleFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null; // the AWS reader names the problem
  }
  return parseGcpRole(text, path);
}
