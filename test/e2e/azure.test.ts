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
import { after, before, describe, it } from 'node:test';
import { type Azurite, startAzurite } from './azurite.js';
import { CLI, exec, leastprivRun, parseNdjson, ROOT, requireTools, tempDir, testEnv } from './support.js';

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
          200,
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
      /\n {2}Azure role: 4 Actions, 3 DataActions, assignable at 1 scope \(check that the 1 resource named only by its host lies within\) → .*role\.json \(Azure role\); calls log → /,
    );
    assert.doesNotMatch(r.stderr, /answered with an error|no permission needed/);
    // check reads the role definition back: every operation allowed; without the DataAction
    // for getSecret, that call is denied.
    const cli = (...args: string[]) => exec(process.execPath, [CLI, ...args], { env, timeoutMs: 30_000 });
    const ok = await cli('check', role, calls);
    assert.equal(ok.code, 0, ok.stdout);
    const less = join(dir, 'less.json');
    const doc = JSON.parse(fs.readFileSync(role, 'utf8')) as { DataActions: string[] };
    doc.DataActions = doc.DataActions.filter((a) => !a.endsWith('getSecret/action'));
    fs.writeFileSync(less, JSON.stringify(doc));
    const denied = await cli('check', less, calls);
    assert.equal(denied.code, 1);
    assert.match(
      denied.stdout,
      /\n {2}add to DataActions: "Microsoft\.KeyVault\/vaults\/secrets\/getSecret\/action"\n$/,
    );
    assert.equal((await cli('lint', role)).stdout, 'no findings in 7 entries\n');
    // Assignable only in another resource group: the calls on app-rg's resources are denied,
    // the vault (named only by its host) is not judged.
    const elsewhere = join(dir, 'elsewhere.json');
    fs.writeFileSync(
      elsewhere,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(role, 'utf8')), AssignableScopes: [`${RG}-other`] }),
    );
    const outside = await cli('check', elsewhere, calls);
    assert.equal(outside.code, 1);
    assert.match(outside.stdout, /: 4 allowed, 3 denied\n/);
    assert.match(
      outside.stdout,
      new RegExp(
        `\\n {2}${RG}/providers/Microsoft\\.Storage/storageAccounts/appdata lies outside the AssignableScopes \\(${RG}-other\\): add to AssignableScopes: "${RG}"\\n`,
      ),
    );
    const diff = await cli('diff', elsewhere, calls);
    assert.match(
      diff.stdout,
      new RegExp(`^role definition .*: 1 missing operation, .*\\nmissing: AssignableScopes: ${RG}\\n`),
    );
  });
});

describe('Azure: Queue Storage through leastpriv run --upstream stub', { timeout: 60_000 }, () => {
  it('queues are Actions, messages DataActions (peek, add, process, clear)', async () => {
    const dir = tempDir('azure-queue');
    const r = await leastprivRun([process.execPath, join(ROOT, 'test/fixtures/azure/queue-app.mjs')], {
      options: ['--upstream', 'stub'],
      outDir: dir,
      env: testEnv(join(dir, 'home')),
      timeoutMs: 45_000,
    });
    const calls = r.callsPath;
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.equal(r.stdout, 'sent 00000000-0000-0000-0000-000000000001\nreceived 0\n');
    const Q = 'Microsoft.Storage/storageAccounts/queueServices/queues';
    assert.deepEqual(
      parseNdjson(fs.readFileSync(calls, 'utf8')).map((c) => [
        c.status,
        c.method,
        `${c.host}${c.path}`,
        c.actions,
      ]),
      [
        [201, 'PUT', 'appdata.queue.core.windows.net/jobs', [`${Q}/write`]],
        [201, 'POST', 'appdata.queue.core.windows.net/jobs/messages', [`${Q}/messages/add/action`]],
        [200, 'GET', 'appdata.queue.core.windows.net/jobs/messages', [`${Q}/messages/process/action`]],
        [204, 'DELETE', 'appdata.queue.core.windows.net/jobs/messages', [`${Q}/messages/delete`]],
      ],
    );
  });
});

/**
 * The az CLI (2.45, Debian's) through `leastpriv run --upstream stub`: a service-principal login
 * answered by the stub's Entra ID (instance metadata, token), then Resource Manager calls; and
 * `az role definition create` reading the role definition leastpriv wrote (az parses and
 * validates its JSON before sending it).
 */
describe('Azure: the az CLI through leastpriv run --upstream stub', { timeout: 240_000 }, () => {
  requireTools('az');
  const dir = tempDir('azure-cli');
  const env = testEnv(join(dir, 'home'), {
    AZURE_CONFIG_DIR: join(dir, 'az'),
    AZURE_CORE_COLLECT_TELEMETRY: '0',
    AZURE_CORE_NO_COLOR: '1',
  });
  const STUB_SUB = '00000000-0000-0000-0000-00000000a2e5';
  const role = join(dir, 'role.json');
  const run = (out: string, calls: string, command: string[]) =>
    exec(
      process.execPath,
      [CLI, 'run', '--upstream', 'stub', '-o', out, '--calls', calls, '--', ...command],
      {
        env,
        timeoutMs: 180_000,
      },
    );

  it('logs in, creates a group and a storage account, lists role assignments: exact operations and scopes', async () => {
    const calls = join(dir, 'calls.ndjson');
    const script = [
      'set -e',
      'az login --service-principal -u 00000000-0000-0000-0000-000000000001 -p not-a-real-secret --tenant 00000000-0000-0000-0000-000000000002 -o none',
      'az group create -n app-rg -l westeurope -o none',
      'az storage account create -n appdata -g app-rg -l westeurope --sku Standard_LRS -o none',
      'az role assignment list --all -o none',
    ].join('\n');
    const r = await run(role, calls, ['bash', '-c', script]);
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    const log = fs.readFileSync(calls, 'utf8');
    assert.deepEqual(
      parseNdjson(log).map((c) => [c.method, `${c.host}${c.path}`, c.actions]),
      [
        [
          'GET',
          'login.microsoftonline.com/00000000-0000-0000-0000-000000000002/v2.0/.well-known/openid-configuration',
          [],
        ],
        ['POST', 'login.microsoftonline.com/00000000-0000-0000-0000-000000000002/oauth2/v2.0/token', []],
        ['GET', 'management.azure.com/subscriptions', []],
        [
          'PUT',
          `management.azure.com/subscriptions/${STUB_SUB}/resourcegroups/app-rg`,
          ['Microsoft.Resources/subscriptions/resourceGroups/write'],
        ],
        [
          'PUT',
          `management.azure.com/subscriptions/${STUB_SUB}/resourceGroups/app-rg/providers/Microsoft.Storage/storageAccounts/appdata`,
          ['Microsoft.Storage/storageAccounts/write'],
        ],
        [
          'GET',
          `management.azure.com/subscriptions/${STUB_SUB}/providers/Microsoft.Authorization/roleAssignments`,
          ['Microsoft.Authorization/roleAssignments/read'],
        ],
      ],
    );
    assert.doesNotMatch(log, /not-a-real-secret|leastpriv-stub-token/);
    const written = JSON.parse(fs.readFileSync(role, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(written.Actions, [
      'Microsoft.Authorization/roleAssignments/read',
      'Microsoft.Resources/subscriptions/resourceGroups/write',
      'Microsoft.Storage/storageAccounts/write',
    ]);
    // Listing role assignments across the subscription makes the subscription the scope.
    assert.deepEqual(written.AssignableScopes, [`/subscriptions/${STUB_SUB}`]);
  });

  // Debian's az 2.45 cannot load its `keyvault secret` commands (it imports azure.keyvault.v7_0,
  // which its python3-azure does not ship); `az rest` is the same CLI, login and token cache
  // sending the Key Vault REST requests those commands send.
  it('sets and reads a Key Vault secret with az rest: DataActions on the vault, the value never logged', async () => {
    const calls = join(dir, 'vault.ndjson');
    const url = 'https://app-kv.vault.azure.net/secrets/db-password?api-version=7.4';
    const script = [
      'set -e',
      `az rest --method put --url "${url}" --resource https://vault.azure.net --body '{"value":"hunter2-never-logged"}' -o none`,
      `az rest --method get --url "${url}" --resource https://vault.azure.net --query value -o tsv`,
    ].join('\n');
    const out = join(dir, 'vault-role.json');
    const r = await run(out, calls, ['bash', '-c', script]);
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.equal(r.stdout.trim(), 'leastpriv-stub-value');
    const log = fs.readFileSync(calls, 'utf8');
    assert.deepEqual(
      parseNdjson(log)
        .filter((c) => c.host === 'app-kv.vault.azure.net')
        .map((c) => [c.method, c.path, c.status, c.actions, c.resources]),
      [
        [
          'PUT',
          '/secrets/db-password',
          200,
          ['Microsoft.KeyVault/vaults/secrets/setSecret/action'],
          ['/subscriptions/*/resourceGroups/*/providers/Microsoft.KeyVault/vaults/app-kv'],
        ],
        [
          'GET',
          '/secrets/db-password',
          200,
          ['Microsoft.KeyVault/vaults/secrets/getSecret/action'],
          ['/subscriptions/*/resourceGroups/*/providers/Microsoft.KeyVault/vaults/app-kv'],
        ],
      ],
    );
    assert.doesNotMatch(log, /hunter2-never-logged|not-a-real-secret|leastpriv-stub-token/);
    const written = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>;
    assert.match(
      r.stderr,
      /\n {2}Azure role: 0 Actions, 2 DataActions, no scope in the calls \(1 resource named only by its host\): replace \/subscriptions\/SUBSCRIPTION_ID in AssignableScopes → /,
    );
    assert.deepEqual(written.AssignableScopes, ['/subscriptions/SUBSCRIPTION_ID']);
    assert.deepEqual(written.Actions, []);
    assert.deepEqual(written.DataActions, [
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.KeyVault/vaults/secrets/setSecret/action',
    ]);
  });

  it('az role definition create accepts the role definition leastpriv wrote', async () => {
    const calls = join(dir, 'create.ndjson');
    const r = await run(join(dir, 'create-role.json'), calls, [
      'az',
      'role',
      'definition',
      'create',
      '--role-definition',
      `@${role}`,
      '-o',
      'json',
    ]);
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    const answer = JSON.parse(r.stdout) as {
      roleName: string;
      permissions: { actions: string[] }[];
      assignableScopes: string[];
    };
    assert.equal(answer.roleName, 'leastpriv');
    assert.deepEqual(answer.permissions[0]?.actions, [
      'Microsoft.Authorization/roleAssignments/read',
      'Microsoft.Resources/subscriptions/resourceGroups/write',
      'Microsoft.Storage/storageAccounts/write',
    ]);
    assert.deepEqual(
      parseNdjson(fs.readFileSync(calls, 'utf8')).map((c) => [c.method, c.actions]),
      [['PUT', ['Microsoft.Authorization/roleDefinitions/write']]],
    );
  });
});

/**
 * `--upstream blob.core.windows.net=URL`: Blob Storage calls go to Azurite (npm `azurite`,
 * started here on a free port), with the account's real host name, which Azurite reads the
 * account from. The program signs with the account key (Azurite's published development key).
 */
describe('Azure: Blob Storage through leastpriv run to Azurite', { timeout: 120_000 }, () => {
  const dir = tempDir('azurite');
  let azurite: Azurite | null = null;
  let url = '';
  before(async () => {
    azurite = await startAzurite('blob', dir);
    url = azurite.url;
  });
  after(async () => {
    await azurite?.stop();
  });

  it('maps the data-plane calls Azurite answered, and says the key signed them', async () => {
    const r = await leastprivRun([process.execPath, join(ROOT, 'test/fixtures/azure/blob-app.mjs')], {
      options: ['--upstream', `blob.core.windows.net=${url}`],
      outDir: dir,
      env: testEnv(join(dir, 'home')),
      timeoutMs: 90_000,
    });
    const calls = r.callsPath;
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.equal(r.stdout, 'eu,42\nlisted 2026/q4.csv\n');
    const C = 'Microsoft.Storage/storageAccounts/blobServices/containers';
    const records = parseNdjson(fs.readFileSync(calls, 'utf8'));
    assert.deepEqual(
      records.map((c) => [c.status, c.method, `${c.host}${c.path}`, c.actions]),
      [
        [201, 'PUT', 'devstoreaccount1.blob.core.windows.net/reports', [`${C}/write`]],
        [201, 'PUT', 'devstoreaccount1.blob.core.windows.net/reports/2026/q4.csv', [`${C}/blobs/write`]],
        [200, 'HEAD', 'devstoreaccount1.blob.core.windows.net/reports/2026/q4.csv', [`${C}/blobs/read`]],
        [206, 'GET', 'devstoreaccount1.blob.core.windows.net/reports/2026/q4.csv', [`${C}/blobs/read`]],
        [200, 'GET', 'devstoreaccount1.blob.core.windows.net/reports', [`${C}/blobs/read`]],
      ],
    );
    const second = JSON.parse(fs.readFileSync(calls, 'utf8').split('\n')[1] ?? '{}') as {
      requirements?: { note?: string }[];
    };
    assert.match(
      second.requirements?.[0]?.note ?? '',
      /signed with the account key, which RBAC does not govern/,
    );
    assert.doesNotMatch(
      fs.readFileSync(calls, 'utf8'),
      /Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq|SharedKey devstoreaccount1:/,
    );
  });

  it('the az CLI: storage container create and blob upload, with the account key, to Azurite', async () => {
    requireTools('az');
    const calls = join(dir, 'az-calls.ndjson');
    const file = join(dir, 'q4.csv');
    fs.writeFileSync(file, 'region,total\neu,42\n');
    const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
    const auth = ['--account-name', 'devstoreaccount1', '--account-key', key, '-o', 'none'];
    const script = [
      'set -e',
      `az storage container create -n audit ${auth.join(' ')}`,
      `az storage blob upload -c audit -n 2026/q4.csv -f ${file} ${auth.join(' ')}`,
    ].join('\n');
    const r = await exec(
      process.execPath,
      [
        CLI,
        'run',
        '--upstream',
        `blob.core.windows.net=${url}`,
        '-o',
        join(dir, 'az-role.json'),
        '--calls',
        calls,
        '--',
        'bash',
        '-c',
        script,
      ],
      {
        env: testEnv(join(dir, 'home'), {
          AZURE_CONFIG_DIR: join(dir, 'az'),
          AZURE_CORE_COLLECT_TELEMETRY: '0',
        }),
        timeoutMs: 120_000,
      },
    );
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    const C = 'Microsoft.Storage/storageAccounts/blobServices/containers';
    assert.deepEqual(
      parseNdjson(fs.readFileSync(calls, 'utf8')).map((c) => [
        c.status,
        c.method,
        `${c.host}${c.path}`,
        c.actions,
      ]),
      [
        [201, 'PUT', 'devstoreaccount1.blob.core.windows.net/audit', [`${C}/write`]],
        [201, 'PUT', 'devstoreaccount1.blob.core.windows.net/audit/2026/q4.csv', [`${C}/blobs/write`]],
      ],
    );
    assert.doesNotMatch(fs.readFileSync(calls, 'utf8'), /Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1/);
  });
});
