import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compileFilters,
  type FilterView,
  globToRegExp,
  NO_FILTERS,
  parseWhen,
} from '../../../src/capture/cloudtrail/filters.js';
import { pruned } from '../../../src/capture/cloudtrail/inputs.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const view: FilterView = {
  principal: 'arn:aws:iam::111122223333:role/ci/Deploy',
  identityArn: 'arn:aws:sts::111122223333:assumed-role/Deploy/run-1',
  account: '111122223333',
  region: 'eu-west-1',
  time: Date.parse('2026-11-20T00:00:00Z'),
  error: null,
};

describe('trail filters', () => {
  it('matches principals by glob, the role or the session', () => {
    assert.ok(globToRegExp('arn:aws:iam::*:role/ci/*').test(view.principal));
    assert.ok(!globToRegExp('arn:aws:iam::*:role/Deploy').test(view.principal));
    const f = (principals: string[]) => compileFilters({ ...NO_FILTERS, principals })?.(view);
    assert.equal(f(['*:role/ci/Deploy']), 'keep');
    assert.equal(f(['*assumed-role/Deploy/run-?']), 'keep');
    assert.equal(f(['*:user/*']), 'principal');
  });

  it('filters by account, region, time and errors', () => {
    const f = (over: Partial<typeof NO_FILTERS>, v = view) => compileFilters({ ...NO_FILTERS, ...over })?.(v);
    assert.equal(f({ accounts: ['444455556666'] }), 'account');
    assert.equal(f({ regions: ['eu-west-1', 'us-east-1'] }), 'keep');
    assert.equal(f({ regions: ['us-east-1'] }), 'region');
    assert.equal(f({ since: Date.parse('2026-11-20T00:00:01Z') }), 'time');
    assert.equal(f({ until: Date.parse('2026-11-20T00:00:00Z') }), 'keep');
    assert.equal(f({ excludeErrors: true }, { ...view, error: 'AccessDenied' }), 'error');
    assert.equal(compileFilters(NO_FILTERS), null, 'no filters: nothing to check per record');
  });

  it('reads dates and durations', () => {
    assert.deepEqual(parseWhen('7d', 'since', NOW), { ok: true, time: NOW - 7 * 86_400_000 });
    assert.deepEqual(parseWhen('12h', 'since', NOW), { ok: true, time: NOW - 12 * 3_600_000 });
    assert.deepEqual(parseWhen('2026-11-01', 'since', NOW), {
      ok: true,
      time: Date.parse('2026-11-01T00:00:00Z'),
    });
    assert.deepEqual(parseWhen('2026-11-01', 'until', NOW), {
      ok: true,
      time: Date.parse('2026-11-02T00:00:00Z') - 1,
    });
    assert.equal(parseWhen('last tuesday', 'since', NOW).ok, false);
  });

  it('does not enter delivery folders outside the filters', () => {
    const base = ['AWSLogs', 'o-abc', '111122223333', 'CloudTrail'];
    const f = {
      ...NO_FILTERS,
      accounts: ['111122223333'],
      regions: ['us-east-1'],
      since: Date.parse('2026-11-10T00:00:00Z'),
    };
    assert.equal(pruned(base, f), false);
    assert.equal(pruned(['AWSLogs', '444455556666', 'CloudTrail'], f), true);
    assert.equal(pruned([...base, 'eu-west-1'], f), true);
    assert.equal(pruned([...base, 'us-east-1', '2026', '11', '08'], f), true);
    // The day before the window may hold late deliveries.
    assert.equal(pruned([...base, 'us-east-1', '2026', '11', '09'], f), false);
    assert.equal(pruned([...base, 'us-east-1', '2025'], f), true);
    assert.equal(pruned(['some', 'folder'], f), false);
  });
});
