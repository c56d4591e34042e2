import type { UnresolvedReason } from './operation.js';

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
}
