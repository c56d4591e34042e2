/**
 * Azure Cosmos DB for NoSQL's data plane → its DataActions
 * (https://learn.microsoft.com/azure/cosmos-db/nosql/reference-data-plane-actions): metadata reads
 * (the account, databases, containers, partition key ranges) `readMetadata`; items `create`,
 * `upsert`, `read`, `replace`, `delete`; queries `executeQuery`; the change feed
 * `readChangeFeed`; stored procedures `executeStoredProcedure`; conflicts `manageConflicts`.
 * These are Cosmos DB's own role definitions, not Azure RBAC's: they make a role of their own.
 * Creating or changing databases, containers, stored procedures, triggers and functions is not
 * allowed on the data plane with an Entra ID token: reported, with the Resource Manager way. Pure.
 */
import type { ObservedCall } from '../../model/index.js';
import { type AzureResolution, decode, op } from './operation.js';

const ACCOUNTS = 'Microsoft.DocumentDB/databaseAccounts';
const CONTAINERS = `${ACCOUNTS}/sqlDatabases/containers`;
const DOCS_PAGE = 'https://learn.microsoft.com/azure/cosmos-db/nosql/reference-data-plane-actions';

export function resolveCosmos(call: ObservedCall, account: string): AzureResolution {
  const segs = call.path.split('/').filter(Boolean).map(decode);
  const lower = segs.map((s) => s.toLowerCase());
  const m = call.method;
  const h = call.headers;
  const unresolved = (detail: string): AzureResolution => ({
    kind: 'unresolved',
    reason: 'unknown-operation',
    detail: `${m} ${call.host}${call.path}: ${detail}`,
    service: 'Microsoft.DocumentDB',
    operation: null,
  });
  let operation: string | null = null;
  let basis: string | undefined;
  const [dbs, , colls, , kind, , sub] = lower;
  const depth = segs.length;
  if (depth === 0 && m === 'GET') operation = `${ACCOUNTS}/readMetadata`;
  else if (dbs !== 'dbs') return unresolved('not a Cosmos DB for NoSQL resource path leastpriv reads');
  else if (m === 'GET' && (depth <= 4 || (depth === 5 && kind === 'pkranges')))
    operation = `${ACCOUNTS}/readMetadata`;
  else if (colls === 'colls' && kind === 'docs') {
    const query =
      h['x-ms-documentdb-isquery'] === 'True' || /application\/query\+json/i.test(h['content-type'] ?? '');
    if (depth === 5 && m === 'POST')
      operation = query
        ? `${CONTAINERS}/executeQuery`
        : `${CONTAINERS}/items/${/^true$/i.test(h['x-ms-documentdb-is-upsert'] ?? '') ? 'upsert' : 'create'}`;
    else if (depth === 5 && m === 'GET') {
      operation = `${CONTAINERS}/readChangeFeed`;
      if (!/incremental feed/i.test(h['a-im'] ?? ''))
        basis =
          "reading a container's items without a query is not listed by Microsoft: mapped as its change feed";
    } else if (depth === 6 && m === 'GET') operation = `${CONTAINERS}/items/read`;
    else if (depth === 6 && m === 'PUT') operation = `${CONTAINERS}/items/replace`;
    else if (depth === 6 && m === 'PATCH') {
      operation = `${CONTAINERS}/items/replace`;
      basis = 'a partial update is not listed by Microsoft: mapped as a replace';
    } else if (depth === 6 && m === 'DELETE') operation = `${CONTAINERS}/items/delete`;
  } else if (colls === 'colls' && kind === 'sprocs' && depth === 6 && m === 'POST')
    operation = `${CONTAINERS}/executeStoredProcedure`;
  else if (colls === 'colls' && kind === 'conflicts') operation = `${CONTAINERS}/manageConflicts`;
  if (!operation) {
    if (sub === undefined && (kind === undefined || ['sprocs', 'triggers', 'udfs'].includes(kind ?? '')))
      return unresolved(
        'creating or changing databases, containers, stored procedures, triggers or functions is not allowed on the data plane with an Entra ID token: do it with Resource Manager (Microsoft.DocumentDB/databaseAccounts/sqlDatabases/.../write)',
      );
    return unresolved('a Cosmos DB request leastpriv does not map yet');
  }
  const scope =
    segs.length >= 4 ? `/dbs/${segs[1]}/colls/${segs[3]}` : segs.length >= 2 ? `/dbs/${segs[1]}` : '';
  return {
    kind: 'resolved',
    operation: op({
      operation,
      data: true,
      cosmos: true,
      namespace: 'Microsoft.DocumentDB',
      resource: `/subscriptions/*/resourceGroups/*/providers/${ACCOUNTS}/${account}${scope}`,
      apiVersion: h['x-ms-version'] ?? null,
      approximate:
        'the account is named by the host; its subscription and resource group are not: grant it on the account',
      basis: basis ?? `documented: ${DOCS_PAGE}`,
      ...(/type(=|%3D)master/i.test(h.authorization ?? '') ? { signedWithKey: true } : {}),
    }),
  };
}
