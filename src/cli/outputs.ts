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
  if (values.calls) writeFileAtomic(values.calls, capture.session.callsNdjson());
  if (values.output && values.output !== '-') {
    writeFileAtomic(values.output, policy);
    return { policy: values.output, calls: values.calls ?? null };
  }
  process.stdout.write(policy);
  return { policy: 'stdout', calls: values.calls ?? null };
}
