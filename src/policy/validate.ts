/**
 * Validation before a policy is written: every action exists in the Service Authorization
 * Reference and every resource fits a resource type the action supports. A failure means a bug
 * in leastpriv (a rule or the mapping), never a property of the user's workload.
 */
import { resourceTypeOfArn, sarActionByQualifiedName } from '../catalog/sar.js';
import type { PolicyDocument } from '../model/index.js';

export class PolicyValidationError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      `leastpriv produced an invalid policy (a bug: please report it with this message):\n  ${problems.join('\n  ')}`,
    );
    this.name = 'PolicyValidationError';
    this.problems = problems;
  }
}

const asList = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** Problems found, one line each; empty when the document is valid. */
export function policyProblems(doc: PolicyDocument): string[] {
  const problems: string[] = [];
  for (const st of doc.Statement) {
    const where = st.Sid ?? '(no Sid)';
    const resources = asList(st.Resource);
    for (const a of asList(st.Action)) {
      const action = sarActionByQualifiedName(a);
      if (!action) {
        problems.push(`${where}: ${a} is not an action in the Service Authorization Reference`);
        continue;
      }
      if (action.name !== a.slice(a.indexOf(':') + 1)) {
        problems.push(`${where}: ${a} should be spelled ${action.prefix}:${action.name}`);
      }
      for (const r of resources) {
        if (r === '*') continue;
        if (action.resourceTypes.length === 0) {
          problems.push(`${where}: ${a} supports no resource-level permissions but names ${r}`);
        } else if (!resourceTypeOfArn(action, r)) {
          const types = action.resourceTypes.map((t) => t.name).join(', ');
          problems.push(`${where}: ${r} fits none of the resource types of ${a} (${types})`);
        }
      }
    }
  }
  return problems;
}

export function assertValidPolicy(doc: PolicyDocument): void {
  const problems = policyProblems(doc);
  if (problems.length) throw new PolicyValidationError(problems);
}
