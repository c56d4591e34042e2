/**
 * The permissions a cloud's recorded calls needed, for comparing them with a role file: each
 * need with its call, and the calls that were not compared (another cloud's, unresolved, or
 * needing nothing). Pure.
 */
import type { CallRecord, LoggedRequirement } from '../model/index.js';
import type { ProviderId } from './index.js';

export interface Skipped {
  unresolved: number;
  permissionless: number;
  otherProviders: number;
}

export function eachNeed(
  records: readonly CallRecord[],
  provider: ProviderId,
  visit: (need: LoggedRequirement, record: CallRecord, callId: number) => void,
): Skipped {
  const skipped: Skipped = { unresolved: 0, permissionless: 0, otherProviders: 0 };
  records.forEach((r, i) => {
    if (r.provider !== provider) skipped.otherProviders++;
    else if (r.unresolved || r.actions === null) skipped.unresolved++;
    else if (r.actions.length === 0) skipped.permissionless++;
    else
      for (const need of r.requirements ??
        r.actions.map((action) => ({ action, resources: r.resources ?? [] })))
        visit(need, r, i + 1);
  });
  return skipped;
}
