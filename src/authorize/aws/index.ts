import type { Operation, Requirement } from '../../model/index.js';

/**
 * The permissions an operation needs. Null when the operation has no known mapping;
 * an empty list when it needs no permission at all.
 */
export function authorizeAws(op: Operation): Requirement[] | null {
  return [{ action: `${op.service}:${op.operation}`, resources: ['*'], conditions: null, why: op.operation }];
}
