/** What a protocol matcher found: one operation, or why not. */
import type { Protocol, RawOperation } from '../../../../catalog/api-index.js';
import type { UnresolvedReason } from '../../../../model/index.js';
import type { Candidate } from '../candidates.js';
import type { Extracted } from '../extract.js';

export interface Found {
  kind: 'found';
  candidate: Candidate;
  name: string;
  op: RawOperation;
  protocol: Protocol;
  extract: () => Extracted;
}

export interface NotFound {
  kind: 'not-found';
  reason: UnresolvedReason;
  detail: string;
  service: string | null;
  operation: string | null;
}

export type Outcome = Found | NotFound;

export function notFound(
  reason: UnresolvedReason,
  detail: string,
  service: string | null = null,
  operation: string | null = null,
): NotFound {
  return { kind: 'not-found', reason, detail, service, operation };
}
