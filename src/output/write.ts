import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LeastprivError } from '../errors.js';

/**
 * Writes a file atomically (temporary file, then rename), so a reader never sees half a policy.
 * Synchronous on purpose: it also runs from signal handlers right before the process exits.
 */
export function writeFileAtomic(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new LeastprivError(
      'io',
      `cannot write ${path}: ${(err as Error).message}; check the folder exists and is writable`,
    );
  }
}
