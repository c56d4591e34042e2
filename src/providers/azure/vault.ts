/**
 * Key Vault's data plane → DataActions: keys, secrets and certificates. Each REST operation's
 * permission comes from the Key Vault REST API (its access-policy permission) translated to the
 * DataAction Microsoft's permissions page lists for it
 * (https://learn.microsoft.com/azure/role-based-access-control/permissions/security#microsoftkeyvault,
 * https://learn.microsoft.com/azure/key-vault/general/rbac-guide). Deleted objects are governed by
 * the actions of their kind (no deleted-object DataActions exist). The host names the vault, never
 * its subscription or resource group. Pure.
 */
import type { ObservedCall } from '../../model/index.js';
import { type AzureResolution, decode, op, unmapped } from './operation.js';

const VAULTS = 'Microsoft.KeyVault/vaults';

/**
 * Method, path pattern (`{}` one segment, `{}?` an optional last one), DataAction under
 * `Microsoft.KeyVault/vaults/`. The first match wins: literal segments come before `{}`.
 */
const ROUTES: readonly [string, string, string][] = [
  // Keys.
  ['GET', 'keys', 'keys/read'],
  ['POST', 'keys/restore', 'keys/restore/action'],
  ['POST', 'keys/{}/create', 'keys/create/action'],
  ['POST', 'keys/{}/backup', 'keys/backup/action'],
  ['POST', 'keys/{}/rotate', 'keys/rotate/action'],
  ['GET', 'keys/{}/versions', 'keys/read'],
  ['GET', 'keys/{}/rotationpolicy', 'keyrotationpolicies/read'],
  ['PUT', 'keys/{}/rotationpolicy', 'keyrotationpolicies/write'],
  ['POST', 'keys/{}/{}?/encrypt', 'keys/encrypt/action'],
  ['POST', 'keys/{}/{}?/decrypt', 'keys/decrypt/action'],
  ['POST', 'keys/{}/{}?/sign', 'keys/sign/action'],
  ['POST', 'keys/{}/{}?/verify', 'keys/verify/action'],
  ['POST', 'keys/{}/{}?/wrapkey', 'keys/wrap/action'],
  ['POST', 'keys/{}/{}?/unwrapkey', 'keys/unwrap/action'],
  ['POST', 'keys/{}/{}?/release', 'keys/release/action'],
  ['PUT', 'keys/{}', 'keys/import/action'],
  ['GET', 'keys/{}/{}?', 'keys/read'],
  ['PATCH', 'keys/{}/{}?', 'keys/update/action'],
  ['DELETE', 'keys/{}', 'keys/delete'],
  ['GET', 'deletedkeys/{}?', 'keys/read'],
  ['DELETE', 'deletedkeys/{}', 'keys/purge/action'],
  ['POST', 'deletedkeys/{}/recover', 'keys/recover/action'],
  // Secrets: listing reads metadata only; reading a value (or a deleted secret) is getSecret.
  ['GET', 'secrets', 'secrets/readMetadata/action'],
  ['POST', 'secrets/restore', 'secrets/restore/action'],
  ['POST', 'secrets/{}/backup', 'secrets/backup/action'],
  ['GET', 'secrets/{}/versions', 'secrets/readMetadata/action'],
  ['PUT', 'secrets/{}', 'secrets/setSecret/action'],
  ['GET', 'secrets/{}/{}?', 'secrets/getSecret/action'],
  ['PATCH', 'secrets/{}/{}?', 'secrets/update/action'],
  ['DELETE', 'secrets/{}', 'secrets/delete'],
  ['GET', 'deletedsecrets', 'secrets/readMetadata/action'],
  ['GET', 'deletedsecrets/{}', 'secrets/getSecret/action'],
  ['DELETE', 'deletedsecrets/{}', 'secrets/purge/action'],
  ['POST', 'deletedsecrets/{}/recover', 'secrets/recover/action'],
  // Certificates, their issuers (certificatecas) and contacts (one DataAction covers them).
  ['GET', 'certificates', 'certificates/read'],
  ['POST', 'certificates/restore', 'certificates/restore/action'],
  ['GET', 'certificates/contacts', 'certificatecontacts/write'],
  ['PUT', 'certificates/contacts', 'certificatecontacts/write'],
  ['DELETE', 'certificates/contacts', 'certificatecontacts/write'],
  ['GET', 'certificates/issuers/{}?', 'certificatecas/read'],
  ['PUT', 'certificates/issuers/{}', 'certificatecas/write'],
  ['PATCH', 'certificates/issuers/{}', 'certificatecas/write'],
  ['DELETE', 'certificates/issuers/{}', 'certificatecas/delete'],
  ['POST', 'certificates/{}/create', 'certificates/create/action'],
  ['POST', 'certificates/{}/import', 'certificates/import/action'],
  ['POST', 'certificates/{}/backup', 'certificates/backup/action'],
  ['POST', 'certificates/{}/pending/merge', 'certificates/create/action'],
  ['GET', 'certificates/{}/versions', 'certificates/read'],
  ['GET', 'certificates/{}/policy', 'certificates/read'],
  ['PATCH', 'certificates/{}/policy', 'certificates/update/action'],
  ['GET', 'certificates/{}/pending', 'certificates/read'],
  ['PATCH', 'certificates/{}/pending', 'certificates/update/action'],
  ['DELETE', 'certificates/{}/pending', 'certificates/update/action'],
  ['GET', 'certificates/{}/{}?', 'certificates/read'],
  ['PATCH', 'certificates/{}/{}?', 'certificates/update/action'],
  ['DELETE', 'certificates/{}', 'certificates/delete'],
  ['GET', 'deletedcertificates/{}?', 'certificates/read'],
  ['DELETE', 'deletedcertificates/{}', 'certificates/purge/action'],
  ['POST', 'deletedcertificates/{}/recover', 'certificates/recover/action'],
];

function matches(pattern: string, segs: readonly string[]): boolean {
  const parts = pattern.split('/');
  let i = 0;
  for (const part of parts) {
    if (part === '{}?') {
      // optional: present unless the next literal is what the request has here
      const next = parts[parts.indexOf(part) + 1];
      if (i < segs.length && segs[i] !== next) i++;
      continue;
    }
    const seg = segs[i++];
    if (seg === undefined || (part !== '{}' && seg.toLowerCase() !== part)) return false;
  }
  return i === segs.length;
}

export function resolveVault(call: ObservedCall, vault: string): AzureResolution {
  const segs = call.path.split('/').filter(Boolean).map(decode);
  const route = ROUTES.find(([method, pattern]) => method === call.method && matches(pattern, segs));
  if (!route) return unmapped(call, 'Key Vault', 'Microsoft.KeyVault');
  return {
    kind: 'resolved',
    operation: op({
      operation: `${VAULTS}/${route[2]}`,
      data: true,
      namespace: 'Microsoft.KeyVault',
      resource: `/subscriptions/*/resourceGroups/*/providers/${VAULTS}/${vault}`,
      apiVersion: new URLSearchParams(call.query).get('api-version'),
      approximate:
        'the vault is named by the host; its subscription and resource group are not: grant it on the vault',
    }),
  };
}
