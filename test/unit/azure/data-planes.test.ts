/**
 * Azure data planes (test/cases/azure/*.json: Table Storage, Data Lake Storage, Key Vault,
 * Service Bus, Cosmos DB): each request's exact operations and kind, and every operation one of those
 * Microsoft's permissions pages list (data/azure/data-planes.json).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { authorizeAzure } from '../../../src/providers/azure/authorize.js';
import { resolveAzure } from '../../../src/providers/azure/resolve.js';
import { ROOT } from '../../e2e/support.js';
import { observed } from '../resolve/synthesize.js';

interface Case {
  name: string;
  request: { method: string; url: string; headers?: Record<string, string>; body?: string };
  expect: { operations: string[]; data: boolean } | { unresolved: string };
}

const listed = JSON.parse(readFileSync(join(ROOT, 'data/azure/data-planes.json'), 'utf8')) as {
  actions: string[];
  dataActions: string[];
  cosmosDataActions: string[];
};
/** The list an operation must be on: Cosmos DB's own, or Azure RBAC's Actions or DataActions. */
const listFor = (action: string, data: boolean) =>
  action.startsWith('Microsoft.DocumentDB/')
    ? listed.cosmosDataActions
    : data
      ? listed.dataActions
      : listed.actions;
const dir = join(ROOT, 'test/cases/azure');

for (const file of readdirSync(dir).sort()) {
  const cases = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case[];
  describe(`azure/${file.replace(/\.json$/, '')}`, () => {
    for (const c of cases) {
      it(c.name, () => {
        const u = new URL(c.request.url);
        const body = new TextEncoder().encode(c.request.body ?? '');
        const r = resolveAzure(
          observed({
            host: u.host,
            method: c.request.method,
            path: u.pathname,
            query: u.search.slice(1),
            headers: c.request.headers ?? {},
            body,
            bodySize: body.length,
          }),
        );
        if ('unresolved' in c.expect) {
          assert.equal(r.kind, 'unresolved', JSON.stringify(r));
          if (r.kind === 'unresolved') assert.equal(r.reason, c.expect.unresolved);
          return;
        }
        assert.equal(r.kind, 'resolved', JSON.stringify(r));
        if (r.kind !== 'resolved') return;
        const expect = c.expect;
        const needs = authorizeAzure(r.operation);
        assert.deepEqual(
          needs.map((n) => n.action),
          [...expect.operations].sort(),
        );
        assert.deepEqual(
          needs.map((n) => /^(Cosmos DB )?DataAction/.test(n.note ?? '')),
          needs.map(() => expect.data),
        );
        for (const n of needs)
          assert.ok(
            listFor(n.action, expect.data).includes(n.action),
            `${n.action} is not among the ${expect.data ? 'DataActions' : 'Actions'} Microsoft lists`,
          );
      });
    }
  });
}

describe('data/azure/data-planes.json', () => {
  it('is sorted and has no duplicates (a reviewable list)', () => {
    for (const list of [listed.actions, listed.dataActions, listed.cosmosDataActions])
      assert.deepEqual(list, [...new Set(list)].sort());
  });
});
