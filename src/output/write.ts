import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { LeastprivError } from '../errors.js';

/** What a write did: the file is complete and flushed, or why not and what became of it. */
export type WriteOutcome =
  | { ok: true; path: string; bytes: number }
  | {
      ok: false;
      path: string;
      /** The system's error code (`ENOSPC`, `EACCES`, `EFBIG`, ...). */
      code: string;
      /**
       * `previous`: the file as it was before is still there, untouched (or there was none);
       * `none`: the target is a device or pipe, written in place, so part may have gone out.
       */
      kept: 'previous' | 'none';
      /** One line: which file, why, what happened to the previous one, what to do. */
      message: string;
    };

/** A failed write, thrown by `writeFileAtomic`: a LeastprivError (`io`) with the outcome. */
export class WriteError extends LeastprivError {
  constructor(readonly outcome: Extract<WriteOutcome, { ok: false }>) {
    super('io', outcome.message);
  }
}

/**
 * Writes a file atomically (temporary file, then rename), so a reader never sees half a policy.
 * Throws a `WriteError` (a LeastprivError) with one clear line when it cannot; see
 * `tryWriteFileAtomic` for the outcome as a value.
 */
export function writeFileAtomic(path: string, data: string | Iterable<string>): void {
  const outcome = tryWriteFileAtomic(path, data);
  if (!outcome.ok) throw new WriteError(outcome);
}

/**
 * Writes a file atomically: every byte goes to a temporary file beside it (each write's count
 * checked, short writes continued), which is flushed to the disk (fsync) and closed, and only
 * then renamed over the target. Any failure (a full disk, a quota, no permission) removes the
 * temporary file and leaves the previous file as it was. Devices and pipes (`/dev/null`,
 * `/dev/stdout`, a FIFO) are written in place: renaming over them would replace them.
 * Synchronous on purpose: it also runs from signal handlers right before the process exits.
 */
export function tryWriteFileAtomic(path: string, data: string | Iterable<string>): WriteOutcome {
  const existing = statOrNull(path);
  if (existing?.isDirectory()) {
    const err = Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    return failure(path, err, 'previous');
  }
  if (existing && !existing.isFile()) {
    try {
      return { ok: true, path, bytes: writeAll(path, data, false) };
    } catch (err) {
      return failure(path, err, 'none');
    }
  }
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const bytes = writeAll(tmp, data, true);
    renameSync(tmp, path);
    syncFolder(dirname(path));
    return { ok: true, path, bytes };
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable: nothing was left behind
    }
    return failure(path, err, 'previous');
  }
}

/**
 * Writes text given whole or in pieces (a calls log can be larger than one string may be),
 * checking how much each write took: a short write is continued, a write that takes nothing is
 * an error. With `sync`, the data is flushed to the disk before the file is closed. Returns the
 * number of bytes written.
 */
function writeAll(path: string, data: string | Iterable<string>, sync: boolean): number {
  const fd = openSync(path, 'w', 0o644);
  let bytes = 0;
  try {
    for (const piece of typeof data === 'string' ? [data] : data) {
      const buf = Buffer.from(piece, 'utf8');
      for (let off = 0; off < buf.length; ) {
        const n = writeSync(fd, buf, off, buf.length - off);
        if (n <= 0) throw Object.assign(new Error('the system took no more bytes'), { code: 'EIO' });
        off += n;
      }
      bytes += buf.length;
    }
    if (sync) fsyncSync(fd);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // the first error is the one to report
    }
    throw err;
  }
  // Some file systems (NFS) report a full disk only when the file is closed.
  closeSync(fd);
  return bytes;
}

/** Flushes a folder's entries (the rename) to the disk, where the file system can. */
function syncFolder(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // the file is complete and in place; only the rename's durability is unknown
  }
  try {
    fsyncSync(fd);
  } catch {
    // some file systems cannot flush a folder (EINVAL): the data itself is already flushed
  } finally {
    closeSync(fd);
  }
}

/** Why a write failed and what to do, by error code. */
const REASONS: Record<string, [why: string, todo: string]> = {
  ENOSPC: ['no space left on the device', 'free some space or choose another path'],
  EDQUOT: ['the disk quota is used up', 'free some space or choose another path'],
  EFBIG: [
    "the file is larger than the file system or the process's file size limit allows",
    'write to another file system or raise the limit (ulimit -f)',
  ],
  EACCES: ['permission denied', 'make the folder writable or choose another path'],
  EPERM: ['the operation is not permitted', 'make the folder writable or choose another path'],
  EROFS: ['the file system is read-only', 'choose another path'],
  EISDIR: ['it is a folder', 'name a file, not a folder'],
  ENOTDIR: ['part of the path is a file, not a folder', 'check the folder exists and is writable'],
  EIO: ['an input/output error', 'check the disk, or choose another path'],
};

function failure(path: string, err: unknown, kept: 'previous' | 'none'): WriteOutcome {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e.code === 'string' ? e.code : 'EIO';
  const [why, todo] = REASONS[code] ?? [
    e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, ''),
    'check the folder exists and is writable',
  ];
  const name = basename(path);
  const state =
    kept === 'none'
      ? `${path} is not a regular file, so it is written in place and part may have gone out`
      : existsAsFile(path)
        ? `the previous ${name} is kept unchanged`
        : `nothing was written to ${name}`;
  return {
    ok: false,
    path,
    code,
    kept,
    message: `cannot write ${path}: ${why} (${code}); ${state}: ${todo}`,
  };
}

function existsAsFile(path: string): boolean {
  return statOrNull(path)?.isFile() ?? false;
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
