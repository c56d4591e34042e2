import type { UnresolvedReason } from './operation.js';
import type { ConditionBlock } from './policy.js';

/** A permission as the calls log keeps it: enough to rebuild the policy later. */
export interface LoggedRequirement {
  action: string;
  resources: string[];
  conditions?: ConditionBlock;
  /** What was widened to a wildcard, when something was. */
  approximate?: string;
  /** What the call may also need that the request does not show. */
  note?: string;
}

/** One line of the calls log (NDJSON). The first twelve fields are a stable contract. */
export interface CallRecord {
  time: string;
  source: 'proxy' | 'csm' | 'cloudtrail';
  provider: 'aws';
  service: string | null;
  operation: string | null;
  region: string | null;
  account: string | null;
  status: number | null;
  error: string | null;
  actions: string[] | null;
  resources: string[] | null;
  unresolved: UnresolvedReason | null;
  host?: string;
  method?: string;
  path?: string;
  /** The permissions behind `actions` and `resources`, paired, with their conditions. */
  requirements?: LoggedRequirement[];
}
