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
  source: 'proxy' | 'csm' | 'cloudtrail' | 'scan';
  provider: 'aws' | 'gcp' | 'azure';
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
  /** `leastpriv scan`: the source file of the call site, as given on the command line. */
  file?: string;
  /** `leastpriv scan`: the call site's line in `file` (from 1). */
  line?: number;
  /** `leastpriv scan`, `unresolved: "ambiguous"`: the operations the call may be (`s3:GetObject`). */
  candidates?: string[];
  /** The permissions behind `actions` and `resources`, paired, with their conditions. */
  requirements?: LoggedRequirement[];
}
