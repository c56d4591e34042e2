/**
 * Azure's data planes through `leastpriv run`, with real clients: Table Storage (the Azure SDK
 * for JavaScript against Azurite), Data Lake Storage and Key Vault keys and certificates (the SDK
 * through `--upstream stub`), Cosmos DB (the SDK through the stub), Service Bus over HTTPS (curl
 * through the stub). Exact operations
 * per request, hand-checked against Microsoft's pages:
 * - https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory (Table)
 * - https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-attributes (Data Lake renames, ACLs)
 * - https://learn.microsoft.com/azure/role-based-access-control/permissions/security#microsoftkeyvault
 * - https://learn.microsoft.com/azure/service-bus-messaging/service-bus-sas#rights-required-for-service-bus-operations
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Azurite, startAzurite } from './azurite.js';
import { CLI, exec, parseNdjson, ROOT, requireTools, tempDir, testEnv } from './support.js';

const STORAGE = 'Microsoft.Storage/storageAccounts';
const ENTITIES = `${STORAGE}/tableServices/tables/entities`;
const BLOBS = `${STORAGE}/blobServices/containers/blobs`;
const VAULT = 'Microsoft.KeyVault/vaults';

/** `leastpriv run` one command; the records' (status, method, path, actions). */
async function capture(dir: string, upstream: string, command: string[]) {
  const calls = join(dir, 'calls.ndjson');
  const role = join(dir, 'role.json');
  const r = await exec(
    process.execPath,
    [CLI, 'run', '--upstream', upstream, '-o', role, '--calls', calls, '--', ...command],
    { env: testEnv(join(dir, 'home')), timeoutMs: 90_000 },
  );
  assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  const log = fs.readFileSync(calls, 'utf8');
  return {
    ...r,
    log,
    records: parseNdjson(log).map((c) => [c.status, c.method, c.path, c.actions]),
    role: JSON.parse(fs.readFileSync(role, 'utf8')) as Record<string, unknown>,
  };
}

describe('Azure: Table Storage through leastpriv run to Azurite', { timeout: 120_000 }, () => {
  const dir = tempDir('azurite-table');
  let azurite: Azurite | null = null;
  let url = '';
  before(async () => {
    azurite = await startAzurite('table', dir);
    url = azurite.url;
  });
  after(async () => {
    await azurite?.stop();
  });

  it('tables are Actions; inserts, upserts, updates, reads and deletes their DataActions', async () => {
    const r = await capture(dir, `table.core.windows.net=${url}`, [
      process.execPath,
      join(ROOT, 'test/fixtures/azure/table-app.mjs'),
    ]);
    assert.equal(r.stdout, 'total 43, 2 entities, tables orders\n');
    assert.deepEqual(r.records, [
      [201, 'POST', '/Tables', [`${STORAGE}/tableServices/tables/write`]],
      [204, 'POST', '/orders', [`${ENTITIES}/add/action`]],
      // An upsert (no If-Match) inserts or updates: both.
      [
        204,
        'PATCH',
        "/orders(PartitionKey='eu',RowKey='2')",
        [`${ENTITIES}/add/action`, `${ENTITIES}/update/action`],
      ],
      // A replace of an existing entity (If-Match: *) updates only.
      [204, 'PUT', "/orders(PartitionKey='eu',RowKey='1')", [`${ENTITIES}/update/action`]],
      [200, 'GET', "/orders(PartitionKey='eu',RowKey='1')", [`${ENTITIES}/read`]],
      [200, 'GET', '/orders()', [`${ENTITIES}/read`]],
      [204, 'DELETE', "/orders(PartitionKey='eu',RowKey='2')", [`${ENTITIES}/delete`]],
      [200, 'GET', '/Tables', [`${STORAGE}/tableServices/tables/read`]],
    ]);
    assert.deepEqual(r.role.Actions, [
      `${STORAGE}/tableServices/tables/read`,
      `${STORAGE}/tableServices/tables/write`,
    ]);
    assert.deepEqual(r.role.DataActions, [
      `${ENTITIES}/add/action`,
      `${ENTITIES}/delete`,
      `${ENTITIES}/read`,
      `${ENTITIES}/update/action`,
    ]);
    assert.match(r.log, /signed with the account key, which RBAC does not govern/);
    assert.doesNotMatch(
      r.log,
      /Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq|SharedKey(Lite)? devstoreaccount1:/,
    );
  });
});

describe('Azure: Data Lake Storage and Key Vault keys and certificates through --upstream stub', {
  timeout: 120_000,
}, () => {
  it('Data Lake: file systems are containers, paths blobs; rename and ACLs their own DataActions', async () => {
    const r = await capture(tempDir('azure-dfs'), 'stub', [
      process.execPath,
      join(ROOT, 'test/fixtures/azure/datalake-app.mjs'),
    ]);
    assert.equal(r.stdout, 'done\n');
    assert.deepEqual(r.records, [
      [201, 'PUT', '/raw', [`${STORAGE}/blobServices/containers/write`]],
      [201, 'PUT', '/raw/2026', [`${BLOBS}/write`]],
      [201, 'PUT', '/raw/2026/q4.csv', [`${BLOBS}/write`]],
      [202, 'PATCH', '/raw/2026/q4.csv', [`${BLOBS}/write`]],
      [200, 'PATCH', '/raw/2026/q4.csv', [`${BLOBS}/write`]],
      [200, 'PATCH', '/raw/2026/q4.csv', [`${BLOBS}/modifyPermissions/action`]],
      [201, 'PUT', '/raw/2026/q4-final.csv', [`${BLOBS}/move/action`]],
      [200, 'DELETE', '/raw/2026/q4-final.csv', [`${BLOBS}/delete`]],
    ]);
    assert.deepEqual(r.role.DataActions, [
      `${BLOBS}/delete`,
      `${BLOBS}/modifyPermissions/action`,
      `${BLOBS}/move/action`,
      `${BLOBS}/write`,
    ]);
    // Where the mapping is the Blob Storage equivalent, the calls log says so.
    const append = parseNdjson(r.log)[3] as { requirements?: { note?: string }[] };
    assert.match(
      append.requirements?.[0]?.note ?? '',
      /lists no Data Lake operations: mapped as the Blob Storage operation/,
    );
  });

  it('Key Vault: create, sign and decrypt in the vault, list keys; read a certificate and its policy', async () => {
    const r = await capture(tempDir('azure-keys'), 'stub', [
      process.execPath,
      join(ROOT, 'test/fixtures/azure/keys-app.mjs'),
    ]);
    assert.equal(
      r.stdout,
      'key signing RSA, signed leastpriv-stub-result, decrypted leastpriv-stub-result, certificate tls CN=leastpriv-stub\n',
    );
    const V = '0123456789abcdef0123456789abcdef';
    // The SDK's first request to a vault carries no token: Key Vault's challenge, no permission.
    assert.deepEqual(r.records, [
      [401, 'POST', '/keys/signing/create', []],
      [200, 'POST', '/keys/signing/create', [`${VAULT}/keys/create/action`]],
      [401, 'GET', `/keys/signing/${V}`, []],
      [200, 'GET', `/keys/signing/${V}`, [`${VAULT}/keys/read`]],
      [200, 'POST', `/keys/signing/${V}/sign`, [`${VAULT}/keys/sign/action`]],
      [200, 'POST', `/keys/signing/${V}/decrypt`, [`${VAULT}/keys/decrypt/action`]],
      [200, 'GET', '/keys', [`${VAULT}/keys/read`]],
      [401, 'GET', '/certificates/tls/', []],
      [200, 'GET', '/certificates/tls/', [`${VAULT}/certificates/read`]],
      [200, 'GET', '/certificates/tls/policy', [`${VAULT}/certificates/read`]],
      [200, 'GET', '/certificates', [`${VAULT}/certificates/read`]],
    ]);
    assert.deepEqual(r.role.DataActions, [
      `${VAULT}/certificates/read`,
      `${VAULT}/keys/create/action`,
      `${VAULT}/keys/decrypt/action`,
      `${VAULT}/keys/read`,
      `${VAULT}/keys/sign/action`,
    ]);
    assert.doesNotMatch(r.log, /not-a-real-(token|ciphertext)/);
  });
});

describe('Azure: Cosmos DB for NoSQL through --upstream stub', { timeout: 60_000 }, () => {
  it("items are Cosmos DB DataActions, written as Cosmos DB's own role definition", async () => {
    const dir = tempDir('azure-cosmos');
    const r = await capture(dir, 'stub', [
      process.execPath,
      join(ROOT, 'test/fixtures/azure/cosmos-app.mjs'),
    ]);
    assert.equal(r.stdout, 'read 42\n');
    const A = 'Microsoft.DocumentDB/databaseAccounts';
    const I = `${A}/sqlDatabases/containers/items`;
    assert.deepEqual(r.records, [
      [200, 'GET', '/', [`${A}/readMetadata`]],
      [200, 'GET', '/dbs/app/colls/orders', [`${A}/readMetadata`]],
      [201, 'POST', '/dbs/app/colls/orders/docs', [`${I}/create`]],
      [200, 'GET', '/dbs/app/colls/orders/docs/42', [`${I}/read`]],
      [201, 'POST', '/dbs/app/colls/orders/docs', [`${I}/upsert`]],
      [200, 'PUT', '/dbs/app/colls/orders/docs/42', [`${I}/replace`]],
      [204, 'DELETE', '/dbs/app/colls/orders/docs/43', [`${I}/delete`]],
    ]);
    // The file is Cosmos DB's role definition (az cosmosdb sql role definition create --body @FILE).
    assert.deepEqual(r.role, {
      RoleName: 'leastpriv',
      Type: 'CustomRole',
      AssignableScopes: ['/'],
      Permissions: [
        {
          DataActions: [
            `${A}/readMetadata`,
            `${I}/create`,
            `${I}/delete`,
            `${I}/read`,
            `${I}/replace`,
            `${I}/upsert`,
          ],
        },
      ],
    });
    assert.match(
      r.stderr,
      /\n {2}Cosmos DB role: 6 DataActions, assignable at \/ → .*role\.json \(Cosmos DB role\)/,
    );
    assert.doesNotMatch(r.stderr, /Azure role/);
    assert.doesNotMatch(r.log, /not-a-real-token/);
    // check against an Azure role: the Cosmos DB operations are not its to grant, and it says so.
    const azureRole = join(dir, 'azure-role.json');
    fs.writeFileSync(
      azureRole,
      JSON.stringify({ Name: 'app', Actions: [], DataActions: [], AssignableScopes: ['/subscriptions/s1'] }),
    );
    const check = await exec(process.execPath, [CLI, 'check', azureRole, join(dir, 'calls.ndjson')], {
      env: testEnv(join(dir, 'home')),
      timeoutMs: 30_000,
    });
    assert.equal(check.code, 0, check.stdout);
    assert.match(
      check.stdout,
      /calls skipped: 7 Cosmos DB operations \(Cosmos DB's own role definition grants them\)/,
    );
  });
});

describe('Azure: Service Bus over HTTPS with curl through --upstream stub', { timeout: 60_000 }, () => {
  requireTools('curl');
  it('send and receive are DataActions; entity management and AMQP are reported, not guessed', async () => {
    const ns = 'https://orders-ns.servicebus.windows.net';
    const auth = "-H 'Authorization: Bearer not-a-real-token'";
    const script = [
      'set -e',
      `curl -sSf -X POST ${auth} -H 'Content-Type: application/json' -d '{"id":42}' ${ns}/orders/messages`,
      `curl -sSf -X DELETE ${auth} ${ns}/orders/messages/head`,
      `curl -sSf -X POST ${auth} ${ns}/events/subscriptions/audit/messages/head`,
      `curl -sS -X PUT ${auth} -d '<entry/>' ${ns}/orders -o /dev/null`,
      // AMQP's port: tunnelled blind (and, with no network here, refused).
      `curl -sS --max-time 5 ${ns}:5671/ -o /dev/null || true`,
    ].join('\n');
    const r = await capture(tempDir('azure-servicebus'), 'stub', ['bash', '-c', script]);
    const M = 'Microsoft.ServiceBus/namespaces/messages';
    assert.deepEqual(r.records, [
      [201, 'POST', '/orders/messages', [`${M}/send/action`]],
      [204, 'DELETE', '/orders/messages/head', [`${M}/receive/action`]],
      [204, 'POST', '/events/subscriptions/audit/messages/head', [`${M}/receive/action`]],
      [404, 'PUT', '/orders', null],
    ]);
    assert.deepEqual(r.role.DataActions, [`${M}/receive/action`, `${M}/send/action`]);
    assert.match(
      r.stderr,
      /unresolved: 1 × unknown-operation .*PUT orders-ns\.servicebus\.windows\.net\/orders: managing an entity/,
    );
    assert.match(
      r.stderr,
      /orders-ns\.servicebus\.windows\.net:5671 carries AMQP, which leastpriv does not read: what is sent over it is not in the policy/,
    );
    assert.doesNotMatch(r.log, /not-a-real-token/);
  });
});
