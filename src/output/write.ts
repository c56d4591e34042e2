import {
  closeSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { LeastprivError } from '../errors.js';

/**
 * Writes a file atomically (temporary file, then rename), so a reader never sees half a policy.
 * Devices and pipes (`/dev/null`, `/dev/stdout`, a FIFO) are written in place: renaming over
 * them would replace them. Synchronous on purpose: it also runs from signal handlers right
 * before the process exits.
 */
export function writeFileAtomic(path: string, data: string | Iterable<string>): void {
  const existing = statOrNull(path);
  if (existing && !existing.isFile()) {
    try {
      writeAll(path, data);
      return;
    } catch (err) {
      throw new LeastprivError('io', `cannot write ${path}: ${(err as Error).message}`);
    }
  }
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeAll(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable: nothing was left behind
    }
    throw new LeastprivError(
      'io',
      `cannot write ${path}: ${(err as Error).message}; check the folder exists and is writable`,
    );
  }
}

/** Writes text given whole or in pieces (a calls log can be larger than one string may be). */
function writeAll(path: string, data: string | Iterable<string>): void {
  if (typeof data === 'string') {
    writeFileSync(path, data, { mode: 0o644 });
    return;
  }
  const fd = openSync(path, 'w', 0o644);
  try {
    for (const piece of data) writeSync(fd, piece);
  } finally {
    closeSync(fd);
  }
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
