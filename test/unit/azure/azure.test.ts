/** Azure: requests to RBAC operations, the role definition and its formats. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizeAzure } from '../../../src/providers/azure/authorize.js';
import { resolveAzure } from '../../../src/providers/azure/resolve.js';
import { buildAzureRole, renderAzureRole } from '../../../src/providers/azure/role.js';
import { observed } from '../resolve/synthesize.js';

const S = '/subscriptions/s1';
const RG = `${S}/resourceGroups/rg1`;

function resolved(method: string, url: string) {
  const u = new URL(url);
  const r = resolveAzure(observed({ host: u.host, method, path: u.pathname, query: u.search.slice(1) }));
  assert.equal(r.kind, 'resolved', JSON.stringify(r));
  if (r.kind !== 'resolved') throw new Error('unreachable');
  return r.operation;
}

describe('Azure Resource Manager paths to operations', () => {
  const arm = 'https://management.azure.com';
  const cases: [string, string, string, string | null][] = [
    ['GET', `${arm}/subscriptions?api-version=2022-12-01`, 'Microsoft.Resources/subscriptions/read', null],
    [
      'GET',
      `${arm}${S}/resourcegroups?api-version=2021-04-01`,
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      S,
    ],
    [
      'DELETE',
      `${arm}${RG}?api-version=2021-04-01`,
      'Microsoft.Resources/subscriptions/resourceGroups/delete',
      RG,
    ],
    [
      'PUT',
      `${arm}${RG}/providers/Microsoft.Storage/storageAccounts/acct?api-version=2023-01-01`,
      'Microsoft.Storage/storageAccounts/write',
      `${RG}/providers/Microsoft.Storage/storageAccounts/acct`,
    ],
    [
      'POST',
      `${arm}${RG}/providers/Microsoft.Storage/storageAccounts/acct/listKeys?api-version=2023-01-01`,
      'Microsoft.Storage/storageAccounts/listKeys/action',
      `${RG}/providers/Microsoft.Storage/storageAccounts/acct`,
    ],
    [
      'PUT',
      `${arm}${RG}/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/c1?api-version=2023-01-01`,
      'Microsoft.Storage/storageAccounts/blobServices/containers/write',
      `${RG}/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/c1`,
    ],
    [
      'GET',
      `${arm}${S}/providers/Microsoft.Storage/storageAccounts?api-version=2023-01-01`,
      'Microsoft.Storage/storageAccounts/read',
      S,
    ],
    [
      'PUT',
      `${arm}${RG}/providers/Microsoft.Storage/storageAccounts/acct/providers/Microsoft.Authorization/roleAssignments/ra1?api-version=2022-04-01`,
      'Microsoft.Authorization/roleAssignments/write',
      `${RG}/providers/Microsoft.Storage/storageAccounts/acct/providers/Microsoft.Authorization/roleAssignments/ra1`,
    ],
    [
      'GET',
      `${arm}${S}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`,
      'Microsoft.Authorization/roleAssignments/read',
      S,
    ],
    [
      'POST',
      `${arm}${S}/providers/Microsoft.Storage/checkNameAvailability?api-version=2023-01-01`,
      'Microsoft.Storage/checkNameAvailability/action',
      S,
    ],
  ];
  for (const [method, url, operation, resource] of cases) {
    it(`${method} ${url.replace(arm, '').replace(/\?.*/, '')} → ${operation}`, () => {
      const op = resolved(method, url);
      assert.deepEqual([op.operation, op.resource, op.data], [operation, resource, false]);
    });
  }

  it('long-running operation polling and token requests need no permission', () => {
    const poll = resolved(
      'GET',
      `https://management.azure.com${S}/providers/Microsoft.Storage/locations/westeurope/asyncoperations/abc?api-version=2023-01-01`,
    );
    assert.equal(poll.permissionless, 'polling a long-running operation');
    assert.deepEqual(authorizeAzure(poll), []);
    assert.deepEqual(
      authorizeAzure(resolved('POST', 'https://login.microsoftonline.com/t1/oauth2/v2.0/token')),
      [],
    );
  });

  it('a documented rule renames an operation the path names differently', () => {
    const op = resolved(
      'POST',
      `https://management.azure.com${S}/providers/Microsoft.Storage/checkNameAvailability?api-version=2023-01-01`,
    );
    assert.deepEqual(
      authorizeAzure(op).map((r) => [r.action, r.note]),
      [
        [
          'Microsoft.Storage/checknameavailability/read',
          'Action; documented: https://learn.microsoft.com/azure/role-based-access-control/permissions/storage',
        ],
      ],
    );
  });
});

describe('Azure data planes to DataActions', () => {
  const cases: [string, string, string, boolean][] = [
    [
      'PUT',
      'https://acct.blob.core.windows.net/c1?restype=container',
      'Microsoft.Storage/storageAccounts/blobServices/containers/write',
      false,
    ],
    [
      'GET',
      'https://acct.blob.core.windows.net/c1?restype=container&comp=list',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      true,
    ],
    [
      'GET',
      'https://acct.blob.core.windows.net/?comp=list',
      'Microsoft.Storage/storageAccounts/blobServices/containers/read',
      false,
    ],
    [
      'PUT',
      'https://acct.blob.core.windows.net/c1/a/b.txt',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
      true,
    ],
    [
      'GET',
      'https://acct.blob.core.windows.net/c1/a/b.txt',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      true,
    ],
    [
      'DELETE',
      'https://acct.blob.core.windows.net/c1/a/b.txt',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
      true,
    ],
    [
      'PUT',
      'https://acct.blob.core.windows.net/c1/log?comp=appendblock',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action',
      true,
    ],
    [
      'PUT',
      'https://kv1.vault.azure.net/secrets/s1?api-version=7.5',
      'Microsoft.KeyVault/vaults/secrets/setSecret/action',
      true,
    ],
    [
      'GET',
      'https://kv1.vault.azure.net/secrets/s1/?api-version=7.5',
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      true,
    ],
    [
      'GET',
      'https://kv1.vault.azure.net/secrets?api-version=7.5',
      'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
      true,
    ],
  ];
  for (const [method, url, operation, data] of cases) {
    it(`${method} ${url.replace('https://', '')} → ${operation}`, () => {
      const op = resolved(method, url);
      assert.deepEqual([op.operation, op.data], [operation, data]);
    });
  }
});

describe('the Azure role definition', () => {
  const need = (action: string, resource: string, data = false) => ({
    action,
    resources: [resource],
    conditions: null,
    why: action,
    note: data ? 'DataAction' : 'Action',
  });
  const needs = [
    need('Microsoft.Storage/storageAccounts/write', `${RG}/providers/Microsoft.Storage/storageAccounts/acct`),
    need(
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      '/subscriptions/*/resourceGroups/*/providers/Microsoft.Storage/storageAccounts/acct',
      true,
    ),
    need(
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      '/subscriptions/*/resourceGroups/*/providers/Microsoft.KeyVault/vaults/kv',
      true,
    ),
    need('Microsoft.Resources/subscriptions/resourceGroups/read', `/subscriptions/s2/resourceGroups/rg2`),
    need('Microsoft.Resources/subscriptions/read', '/subscriptions/s2'),
  ];

  it('is assignable at the resource groups used (a subscription covers its own), data-plane scopes found from Resource Manager calls', () => {
    const role = buildAzureRole(needs);
    assert.deepEqual(role.assignableScopes, [RG, '/subscriptions/s2']);
    assert.deepEqual(role.unknownScopes, [
      '/subscriptions/*/resourceGroups/*/providers/Microsoft.KeyVault/vaults/kv',
    ]);
    assert.deepEqual(role.dataActions, [
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
    ]);
  });

  it('renders Terraform, Bicep and Markdown', () => {
    const role = buildAzureRole(needs);
    const tf = renderAzureRole(role, 'terraform');
    assert.match(
      tf,
      /resource "azurerm_role_definition" "leastpriv" \{\n {2}name {8}= "leastpriv"\n {2}scope {7}= "\/subscriptions\/s1\/resourceGroups\/rg1"\n/,
    );
    assert.match(
      tf,
      /resource "azurerm_role_assignment" "leastpriv_2" \{\n {2}scope {14}= "\/subscriptions\/s2"\n/,
    );
    const bicep = renderAzureRole(role, 'bicep');
    assert.match(bicep, /resource leastpriv 'Microsoft\.Authorization\/roleDefinitions@2022-04-01' = \{/);
    assert.match(bicep, /dataActions: \[\n {10}'Microsoft\.KeyVault\/vaults\/secrets\/getSecret\/action'\n/);
    assert.match(
      renderAzureRole(role, 'markdown'),
      /Also used, scope unknown from the calls: `\/subscriptions\/\*\/resourceGroups\/\*\/providers\/Microsoft\.KeyVault\/vaults\/kv`\./,
    );
  });
});

describe('check, diff and lint on a role definition', () => {
  const record = (operation: string, data = false) => ({
    time: '2026-12-03T10:00:00.000Z',
    source: 'proxy' as const,
    provider: 'azure' as const,
    service: operation.split('/')[0] ?? null,
    operation,
    region: null,
    account: 's1',
    status: 200,
    error: null,
    actions: [operation],
    resources: [RG],
    unresolved: null,
    requirements: [{ action: operation, resources: [RG], note: data ? 'DataAction' : 'Action' }],
  });
  const records = [
    record('Microsoft.Storage/storageAccounts/write'),
    record('Microsoft.Storage/storageAccounts/read'),
    record('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', true),
  ];
  const role = {
    name: 'r.json',
    roleName: 'r',
    actions: [
      'Microsoft.Storage/*/read',
      'microsoft.storage/storageaccounts/WRITE',
      'Microsoft.Compute/virtualMachines/read',
    ],
    notActions: [],
    dataActions: [],
    notDataActions: [],
    assignableScopes: [RG],
  };

  it('matches as Azure does (case, wildcards, Not entries) and names what is missing, unused and over-broad', async () => {
    const { compareAzureRole } = await import('../../../src/providers/azure/compare.js');
    const r = compareAzureRole(role, records);
    assert.deepEqual(
      [r.checked, r.allowed, r.missing.map((m) => [m.operation, m.data]), r.unused, r.overBroad],
      [
        3,
        2,
        [['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', true]],
        ['Microsoft.Compute/virtualMachines/read'],
        [{ entry: 'Microsoft.Storage/*/read', used: ['Microsoft.Storage/storageAccounts/read'] }],
      ],
    );
    const denied = compareAzureRole(
      { ...role, notActions: ['Microsoft.Storage/storageAccounts/read'] },
      records,
    );
    assert.deepEqual(
      denied.missing.map((m) => m.operation),
      [
        'Microsoft.Storage/storageAccounts/read',
        'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      ],
    );
  });

  it('denies a granted operation on a resource outside every assignable scope (not a resource named only by host)', async () => {
    const { compareAzureRole, withinScope } = await import('../../../src/providers/azure/compare.js');
    const other = '/subscriptions/s1/resourceGroups/other-rg/providers/Microsoft.Storage/storageAccounts/b';
    const byHost = '/subscriptions/*/resourceGroups/*/providers/Microsoft.Storage/storageAccounts/c';
    const at = (operation: string, id: string) => ({
      ...record(operation),
      resources: [id],
      requirements: [{ action: operation, resources: [id], note: 'Action' }],
    });
    const r = compareAzureRole(role, [
      at('Microsoft.Storage/storageAccounts/read', `${RG}/providers/Microsoft.Storage/storageAccounts/a`),
      at('Microsoft.Storage/storageAccounts/read', other),
      at('Microsoft.Storage/storageAccounts/read', byHost),
    ]);
    assert.deepEqual(
      [r.allowed, r.missing.map((m) => [m.callId, m.operation, m.outside])],
      [2, [[2, 'Microsoft.Storage/storageAccounts/read', [other]]]],
    );
    assert.deepEqual(
      [
        withinScope(`${RG.toUpperCase()}/x`, RG),
        withinScope(`${RG}2/x`, RG),
        withinScope(RG, `${RG}/`),
        withinScope('/subscriptions/s2', '/subscriptions/s1'),
      ],
      [true, false, true, false],
    );
  });

  it("a Table Storage insert or update is granted by entities/write too, as Microsoft's page allows", async () => {
    const { compareAzureRole } = await import('../../../src/providers/azure/compare.js');
    const E = 'Microsoft.Storage/storageAccounts/tableServices/tables/entities';
    const upsert = [
      record(`${E}/add/action`, true),
      record(`${E}/update/action`, true),
      record(`${E}/delete`, true),
    ];
    const r = compareAzureRole({ ...role, actions: [], dataActions: [`${E}/write`] }, upsert);
    assert.deepEqual([r.allowed, r.missing.map((m) => m.operation), r.unused], [2, [`${E}/delete`], []]);
  });

  it('reads both shapes of a role definition, and lint finds what Azure would refuse', async () => {
    const { parseAzureRole } = await import('../../../src/input/azure-role.js');
    const { lintAzureRole } = await import('../../../src/providers/azure/compare.js');
    const listed = parseAzureRole(
      JSON.stringify({
        roleName: 'x',
        permissions: [{ actions: ['a/b/read'], dataActions: ['c/d/read'] }],
        assignableScopes: [RG],
      }),
      'x.json',
    );
    assert.deepEqual(
      [listed?.actions, listed?.dataActions, listed?.assignableScopes],
      [['a/b/read'], ['c/d/read'], [RG]],
    );
    assert.equal(parseAzureRole('{"Version":"2012-10-17","Statement":[]}', 'p.json'), null);
    assert.deepEqual(
      lintAzureRole({
        ...role,
        actions: ['*', 'Microsoft.Storage/*/read', 'microsoft.storage/*/READ', 'bad op'],
        assignableScopes: ['/'],
      }).map((f) => f.rule),
      ['everything', 'duplicate', 'operation-name', 'scopes'],
    );
  });
});

describe('an ARM template deployment', () => {
  it('needs write on each resource type its inline template creates, and the deployments type', () => {
    const body = {
      properties: {
        mode: 'Incremental',
        template: {
          resources: [
            {
              type: 'Microsoft.Storage/storageAccounts',
              name: 'acct',
              resources: [{ type: 'blobServices/containers', name: 'default/c1' }],
            },
            { type: 'Microsoft.KeyVault/vaults', name: 'kv1' },
          ],
        },
      },
    };
    const r = resolveAzure(
      observed({
        host: 'management.azure.com',
        method: 'PUT',
        path: `${RG}/providers/Microsoft.Resources/deployments/d1`,
        query: 'api-version=2021-04-01',
        headers: { 'content-type': 'application/json' },
        body: new TextEncoder().encode(JSON.stringify(body)),
      }),
    );
    assert.equal(r.kind, 'resolved');
    if (r.kind !== 'resolved') return;
    assert.deepEqual(
      authorizeAzure(r.operation).map((q) => [q.action, q.resources]),
      [
        ['Microsoft.KeyVault/vaults/write', [RG]],
        ['Microsoft.Resources/deployments/*', [RG]],
        ['Microsoft.Storage/storageAccounts/blobServices/containers/write', [RG]],
        ['Microsoft.Storage/storageAccounts/write', [RG]],
      ],
    );
  });
});

describe('derived operation names against the known Resource Manager paths', () => {
  const arm = (method: string, path: string) =>
    resolved(method, `https://management.azure.com${path}?api-version=2023-01-01`);
  it('a known path is not flagged; a path no API of a known namespace has is; an unknown namespace is not judged', () => {
    assert.equal(arm('PUT', `${RG}/providers/Microsoft.Storage/storageAccounts/acct`).unverified, undefined);
    assert.equal(
      arm(
        'PUT',
        `${RG}/providers/Microsoft.Storage/storageAccounts/acct/providers/Microsoft.Authorization/roleAssignments/ra1`,
      ).unverified,
      undefined,
    );
    const invented = arm('PUT', `${RG}/providers/Microsoft.Storage/storageAccounts/acct/madeUpThings/x`);
    assert.equal(invented.unverified, true);
    assert.match(
      authorizeAzure(invented)[0]?.note ?? '',
      /unverified: no known Microsoft\.Storage API has this request path/,
    );
    assert.equal(arm('PUT', `${RG}/providers/Contoso.Widgets/widgets/w1`).unverified, undefined);
  });
});
