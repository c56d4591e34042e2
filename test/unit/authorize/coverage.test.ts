import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { allOperationRules } from '../../../src/catalog/rules.js';
import { authorizedActions, serviceReferenceInfo } from '../../../src/catalog/service-reference.js';
import { coverage, ruleProblems } from '../../../src/providers/aws/authorize/coverage.js';

function casesRoot(): string {
  for (const rel of ['../../../../test/cases/authorize/', '../../../test/cases/authorize/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error('test/cases/authorize not found');
}

function caseKeys(dir: string, out = new Set<string>()): Set<string> {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) caseKeys(p, out);
    else if (f.endsWith('.json'))
      for (const c of JSON.parse(readFileSync(p, 'utf8')) as {
        operation: { service: string; operation: string };
      }[])
        out.add(`${c.operation.service}:${c.operation.operation}`);
  }
  return out;
}

describe('authorize/coverage', () => {
  const c = coverage();

  it('every curated rule fits the data: operations, handlers, actions, parameter paths', () => {
    assert.deepEqual(ruleProblems(), []);
  });

  it('fewer than 1% of the operations are unmapped, each with a reason', () => {
    assert.ok(
      c.unmappedCount * 100 < c.operations,
      `${c.unmappedCount} of ${c.operations} unmapped: ${JSON.stringify(c.unmapped).slice(0, 400)}`,
    );
    const listed = Object.values(c.unmapped).reduce((n, l) => n + l.length, 0);
    assert.equal(listed, c.unmappedCount);
    const mapped = Object.values(c.mapped).reduce((a, b) => a + b, 0);
    const retired = Object.values(c.retired).reduce((a, b) => a + b, 0);
    assert.equal(mapped + c.unmappedCount + retired, c.operations);
    assert.deepEqual(Object.keys(c.retired).sort(), [
      'applicationcostprofiler',
      'cloudhsm',
      'elastic-inference',
      'finspace-data',
      'iot1click-devices',
      'iot1click-projects',
      'iotthingsgraph',
    ]);
  });

  it('every rule that names actions has a table case', () => {
    const keys = caseKeys(casesRoot());
    const missing = allOperationRules()
      .filter((r) => r.operation !== '*' && (r.actions || r.also || r.handler))
      .map((r) => `${r.service}:${r.operation}`)
      .filter((k) => !keys.has(k));
    assert.deepEqual(missing, []);
  });

  it("AWS's operation table is read as published, dated, with nothing it names dropped unseen", () => {
    const info = serviceReferenceInfo();
    assert.equal(Object.keys(info.documents).length, 33);
    assert.deepEqual(info.dropped, []);
    assert.deepEqual(authorizedActions('kms', 'ReEncrypt'), [
      { action: 'kms:ReEncryptFrom', context: null },
      { action: 'kms:ReEncryptTo', context: null },
    ]);
    assert.deepEqual(
      authorizedActions('codebuild', 'StartBuild')?.find((a) => a.action === 'iam:PassRole')?.context,
      { 'iam:PassedToService': ['codebuild.amazonaws.com'] },
    );
    assert.equal(authorizedActions('kms', 'NoSuchOperation'), null);
    assert.equal(authorizedActions('eks', 'CreateCluster'), null);
  });
});
