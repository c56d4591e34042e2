/**
 * Azure through `leastpriv run --upstream stub`: an unmodified Node program on the Azure SDK for
 * JavaScript (Resource Manager, Blob Storage, Key Vault with its authentication challenge).
 * Exact checks on the operations, the resources and the role definition, hand-checked against
 * Microsoft's pages:
 * - https://learn.microsoft.com/azure/role-based-access-control/permissions/management-and-governance#microsoftresources
 * - https://learn.microsoft.com/azure/role-based-access-control/permissions/storage#microsoftstorage
 * - https://learn.microsoft.com/azure/key-vault/general/rbac-guide
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, exec, parseNdjson, ROOT, tempDir, testEnv } from './support.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const RG = `/subscriptions/${SUB}/resourceGroups/app-rg`;
const ACCOUNT = '/subscriptions/*/resourceGroups/*/providers/Microsoft.Storage/storageAccounts/appdata';
const VAULT = '/subscriptions/*/resourceGroups/*/providers/Microsoft.KeyVault/vaults/app-kv';

describe('Azure: the Azure SDK for JavaScript through leastpriv run --upstream stub', {
  timeout: 120_000,
}, () => {
  it('maps Resource Manager and data-plane calls, and writes the role definition az reads', async () => {
    const dir = tempDir('azure');
    const env = testEnv(join(dir, 'home'));
    const calls = join(dir, 'calls.ndjson');
    const role = join(dir, 'role.json');
    const r = await exec(
      process.execPath,
      [
        CLI,
        'run',
        '--upstream',
        'stub',
        '-o',
        role,
        '--calls',
        calls,
        '--',
        process.execPath,
        join(ROOT, 'test/fixtures/azure/app.mjs'),
      ],
      { env, timeoutMs: 90_000 },
    );
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.equal(r.stdout, 'account appdata\nuploaded\nsecret db-password\n');
    const log = fs.readFileSync(calls, 'utf8');
    assert.deepEqual(
      parseNdjson(log).map((c) => [
        c.provider,
        c.status,
        c.method,
        `${c.host}${c.path}`,
        c.actions,
        c.resources,
      ]),
      [
        [
          'azure',
          201,
          'PUT',
          `management.azure.com/subscriptions/${SUB}/resourcegroups/app-rg`,
          ['Microsoft.Resources/subscriptions/resourceGroups/write'],
          [RG],
        ],
        [
          'azure',
          201,
          'PUT',
          `management.azure.com${RG}/providers/Microsoft.Storage/storageAccounts/appdata`,
          ['Microsoft.Storage/storageAccounts/write'],
          [`${RG}/providers/Microsoft.Storage/storageAccounts/appdata`],
        ],
        [
          'azure',
          200,
          'GET',
          `management.azure.com${RG}/providers/Microsoft.Storage/storageAccounts`,
          ['Microsoft.Storage/storageAccounts/read'],
          [RG],
        ],
        [
          'azure',
          201,
          'PUT',
          'appdata.blob.core.windows.net/reports',
          ['Microsoft.Storage/storageAccounts/blobServices/containers/write'],
          [ACCOUNT],
        ],
        [
          'azure',
          201,
          'PUT',
          'appdata.blob.core.windows.net/reports/2026/q4.csv',
          ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'],
          [ACCOUNT],
        ],
        // Key Vault's challenge: no token, 401, no permission; the retry carries the token.
        ['azure', 401, 'PUT', 'app-kv.vault.azure.net/secrets/db-password', [], []],
        [
          'azure',
          200,
          'PUT',
          'app-kv.vault.azure.net/secrets/db-password',
          ['Microsoft.KeyVault/vaults/secrets/setSecret/action'],
          [VAULT],
        ],
        [
          'azure',
          200,
          'GET',
          'app-kv.vault.azure.net/secrets/db-password/',
          ['Microsoft.KeyVault/vaults/secrets/getSecret/action'],
          [VAULT],
        ],
      ],
    );
    assert.doesNotMatch(log, /not-a-real-(token|password)/);
    // The storage account's resource group is known from its creation; the vault's is not.
    assert.deepEqual(JSON.parse(fs.readFileSync(role, 'utf8')), {
      Name: 'leastpriv',
      IsCustom: true,
      Description: 'The operations a workload used, as leastpriv observed them (7).',
      Actions: [
        'Microsoft.Resources/subscriptions/resourceGroups/write',
        'Microsoft.Storage/storageAccounts/blobServices/containers/write',
        'Microsoft.Storage/storageAccounts/read',
        'Microsoft.Storage/storageAccounts/write',
      ],
      NotActions: [],
      DataActions: [
        'Microsoft.KeyVault/vaults/secrets/getSecret/action',
        'Microsoft.KeyVault/vaults/secrets/setSecret/action',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
      ],
      NotDataActions: [],
      AssignableScopes: [RG],
    });
    assert.match(
      r.stderr,
      /\n {2}Azure role: 4 Actions, 3 DataActions, assignable at 1 scope \(1 used where the calls do not show the resource group: see the role\) → .*role\.json \(Azure role\); calls log → /,
    );
    assert.doesNotMatch(r.stderr, /answered with an error|no permission needed/);
  });
});
