/**
 * Every operation of every service in the API index, synthesized from its own binding for
 * each protocol its service speaks, resolves back to itself. The genuine ambiguities are
 * listed in test/cases/resolve/self-consistency/ambiguities.json with the winner and why.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { apiIndex } from '../../../src/catalog/api-index.js';
import { resolveAws } from '../../../src/providers/aws/resolve/index.js';
import { synthesize } from './synthesize.js';

interface OperationAmbiguity {
  service: string;
  operation: string;
  protocol: string;
  resolvesTo: string;
  why: string;
}

/** A service whose operations, where its model repeats another's, resolve to that other. */
interface ServiceAlias {
  service: string;
  resolvesTo: string;
  why: string;
}

const cases = new URL('../../../../test/cases/resolve/self-consistency/ambiguities.json', import.meta.url);
const known: { services: ServiceAlias[]; operations: OperationAmbiguity[] } = JSON.parse(
  readFileSync(cases, 'utf8'),
);
const ctx = { accountId: null, learnedAccount: null };

test('every operation in the index resolves back to itself', () => {
  const index = apiIndex();
  let checked = 0;
  let skipped = 0;
  const failures: string[] = [];
  const seen = new Set<string>();
  const aliased = new Map<string, number>();
  for (const svc of index.services.values()) {
    for (const name of Object.keys(svc.ops)) {
      for (const protocol of svc.protocols) {
        const call = synthesize(svc, name, protocol);
        if (!call) {
          skipped++;
          continue;
        }
        checked++;
        const r = resolveAws(call, ctx);
        const got =
          r.kind === 'resolved'
            ? `${r.operation.service}:${r.operation.operation}`
            : `unresolved:${r.reason}`;
        if (got === `${svc.id}:${name}`) continue;
        const k = known.operations.find(
          (a) => a.service === svc.id && a.operation === name && a.protocol === protocol,
        );
        if (k && k.resolvesTo === got) {
          seen.add(`${svc.id}:${name}:${protocol}`);
          continue;
        }
        const alias = known.services.find((a) => a.service === svc.id && got === `${a.resolvesTo}:${name}`);
        if (alias) {
          aliased.set(
            `${alias.service} -> ${alias.resolvesTo}`,
            (aliased.get(`${alias.service} -> ${alias.resolvesTo}`) ?? 0) + 1,
          );
          continue;
        }
        const detail = r.kind === 'unresolved' ? ` (${r.detail})` : '';
        failures.push(
          `${svc.id}:${name} [${protocol}] ${call.method} ${call.host}${call.path}?${call.query} -> ${got}${detail}`,
        );
      }
    }
  }
  const shared = [...aliased.values()].reduce((a, b) => a + b, 0);
  const own = checked - failures.length - shared - seen.size;
  console.log(
    `self-consistency: ${checked} synthesized requests: ${own} resolve to their own operation, ${shared} to the same operation of a service sharing the API, ${seen.size} listed ambiguities, ${failures.length} failures (${skipped} bindings without a request form)`,
  );
  for (const a of known.operations)
    console.log(`  ambiguity: ${a.service}:${a.operation} [${a.protocol}] -> ${a.resolvesTo}: ${a.why}`);
  for (const a of known.services)
    console.log(
      `  shared API: ${a.service} -> ${a.resolvesTo} (${aliased.get(`${a.service} -> ${a.resolvesTo}`) ?? 0} operations): ${a.why}`,
    );
  assert.deepEqual(failures, []);
  const stale = known.operations.filter((a) => !seen.has(`${a.service}:${a.operation}:${a.protocol}`));
  assert.deepEqual(stale, [], 'listed ambiguities that no longer occur');
});
