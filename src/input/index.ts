/**
 * Inputs of the policy commands: existing policies and calls logs. Parsing is pure; `readInput`
 * is the one function here that touches the file system.
 */
import { readFileSync } from 'node:fs';
import { LeastprivError } from '../errors.js';
import type { CallRecord } from '../model/index.js';
import { parseCallsLog } from './calls-log.js';
import type { TemplateContext } from './cloudformation.js';
import { type LoadedPolicies, parsePolicyInput } from './policy.js';

export { type Parsed, parseCallsLog, type RecordedNeed, recordNeeds, recordProblem } from './calls-log.js';
export { policiesFromTemplate, type TemplateContext } from './cloudformation.js';
export { parseHcl } from './hcl.js';
export { type LoadedPolicies, parsePolicyInput } from './policy.js';
export { policiesFromJson, policyDocument } from './policy-json.js';
export { policiesFromTerraform } from './terraform.js';

/** A file's text (`-` is standard input); a missing or unreadable file is a bad-input error. */
export function readInput(path: string, what: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a folder' : e.message;
    throw new LeastprivError('bad-input', `cannot read ${what} ${path}: ${why}; check the path`);
  }
}

/** Every record of the calls logs, in order. */
export function loadCallsLogs(paths: readonly string[]): CallRecord[] {
  const out: CallRecord[] = [];
  for (const path of paths) {
    const parsed = parseCallsLog(readInput(path, 'calls log'), path);
    if (!parsed.ok) throw new LeastprivError('bad-input', parsed.error);
    out.push(...parsed.value);
  }
  return out;
}

export function loadPolicy(path: string, ctx: TemplateContext = {}): LoadedPolicies {
  const parsed = parsePolicyInput(readInput(path, 'policy'), path, ctx);
  if (!parsed.ok) throw new LeastprivError('bad-input', parsed.error);
  return parsed.value;
}
