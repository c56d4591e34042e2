import type { Session } from '../index.js';
import { type Format, renderPolicy } from '../output/policy.js';
import { writeFileAtomic } from '../output/write.js';

/** Writes the policy (file or stdout) and the calls log. Returns what was written where. */
export function writeOutputs(
  capture: { session: Session; format: Format },
  values: { output?: string | undefined; calls?: string | undefined },
): { policy: string; calls: string | null } {
  const built = capture.session.policy();
  const policy = renderPolicy(built.documents, capture.format, {
    explain: built.explain,
    call: (id) => capture.session.call(id),
    warnings: built.warnings,
  });
  // The policy first: it is what the run is for.
  if (values.output && values.output !== '-') writeFileAtomic(values.output, policy);
  else process.stdout.write(policy);
  if (values.calls) writeFileAtomic(values.calls, capture.session.callsNdjson());
  return {
    policy: values.output && values.output !== '-' ? values.output : 'stdout',
    calls: values.calls ?? null,
  };
}
