import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ConditionBlock, Operation, Requirement } from '../../../src/model/index.js';
import { buildPolicy } from '../../../src/policy/index.js';
import { authorizeAws } from '../../../src/providers/aws/authorize/index.js';

interface ExpectedRequirement {
  action: string;
  resources: string[];
  conditions?: ConditionBlock | null;
  /** True when some part of a resource had to be widened. */
  approximate?: boolean;
}

interface Case {
  name: string;
  operation: Partial<Operation> & { service: string; operation: string };
  /** null: no mapping known; []: the call needs no permission. */
  expected: ExpectedRequirement[] | null;
}

function casesRoot(): string {
  for (const rel of ['../../../../test/cases/authorize/', '../../../test/cases/authorize/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error('test/cases/authorize not found');
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : f.endsWith('.json') ? [p] : [];
    });
}

const normalize = (list: Requirement[]): ExpectedRequirement[] =>
  list
    .map((r) => ({
      action: r.action,
      resources: [...r.resources].sort(),
      conditions: r.conditions ?? null,
      approximate: r.approximate !== undefined,
    }))
    .sort((a, b) => (a.action + a.resources.join() < b.action + b.resources.join() ? -1 : 1));

const root = casesRoot();
const files = walk(root);
const bySuite = new Map<string, string[]>();
for (const f of files) {
  const suite = `authorize/${relative(root, join(f, '..')).split('\\').join('/')}`;
  bySuite.set(suite, [...(bySuite.get(suite) ?? []), f]);
}

for (const [suite, suiteFiles] of bySuite) {
  describe(suite, () => {
    for (const file of suiteFiles) {
      for (const c of JSON.parse(readFileSync(file, 'utf8')) as Case[]) {
        it(c.name, () => {
          const op: Operation = {
            provider: 'aws',
            region: 'us-east-1',
            partition: 'aws',
            account: '123456789012',
            params: {},
            ...c.operation,
          };
          const actual = authorizeAws(op);
          if (c.expected === null) {
            assert.equal(actual, null);
            return;
          }
          assert.ok(actual, 'expected a mapping');
          const expected = c.expected
            .map((e) => ({
              action: e.action,
              resources: [...e.resources].sort(),
              conditions: e.conditions ?? null,
              approximate: e.approximate ?? false,
            }))
            .sort((a, b) => (a.action + a.resources.join() < b.action + b.resources.join() ? -1 : 1));
          assert.deepEqual(normalize(actual), expected);
          // Whatever the mapping gives must make a valid policy (buildPolicy validates).
          buildPolicy([{ requirements: actual, callIds: [1] }]);
        });
      }
    }
  });
}
