/**
 * An Azure custom role definition as teams keep it: the JSON `az role definition create
 * --role-definition` takes (`Actions`, `DataActions`, `AssignableScopes`...), or the shape
 * `az role definition list` and Resource Manager print (`permissions[].actions`,
 * `assignableScopes`). Told from its content; anything else is not one (null).
 */
import { readFileSync } from 'node:fs';
import { LeastprivError } from '../errors.js';

export interface AzureRoleFile {
  name: string;
  roleName: string | null;
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
  assignableScopes: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseAzureRole(text: string, name: string): AzureRoleFile | null {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') || !/"(Actions|DataActions|permissions)"/i.test(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObj(value)) return null;
  const root = isObj(value.properties) ? value.properties : value;
  const list = (v: unknown, what: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw new LeastprivError('bad-input', `${name}: ${what} must be a list of strings`);
    return v as string[];
  };
  const get = (o: Obj, key: string) => o[key] ?? o[key.charAt(0).toLowerCase() + key.slice(1)];
  if ('Actions' in root || 'DataActions' in root) {
    return {
      name,
      roleName: typeof root.Name === 'string' ? root.Name : null,
      actions: list(root.Actions, 'Actions'),
      notActions: list(root.NotActions, 'NotActions'),
      dataActions: list(root.DataActions, 'DataActions'),
      notDataActions: list(root.NotDataActions, 'NotDataActions'),
      assignableScopes: list(root.AssignableScopes, 'AssignableScopes'),
    };
  }
  const permissions = get(root, 'Permissions');
  if (!Array.isArray(permissions)) return null;
  const out: AzureRoleFile = {
    name,
    roleName: typeof root.roleName === 'string' ? root.roleName : null,
    actions: [],
    notActions: [],
    dataActions: [],
    notDataActions: [],
    assignableScopes: list(get(root, 'AssignableScopes'), 'assignableScopes'),
  };
  for (const p of permissions) {
    if (!isObj(p)) continue;
    out.actions.push(...list(get(p, 'Actions'), 'permissions[].actions'));
    out.notActions.push(...list(get(p, 'NotActions'), 'permissions[].notActions'));
    out.dataActions.push(...list(get(p, 'DataActions'), 'permissions[].dataActions'));
    out.notDataActions.push(...list(get(p, 'NotDataActions'), 'permissions[].notDataActions'));
  }
  return out;
}

export function loadAzureRole(path: string): AzureRoleFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  return parseAzureRole(text, path);
}
