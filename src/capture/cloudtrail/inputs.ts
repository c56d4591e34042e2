/**
 * What to read: files, folders in the S3 delivery layout (`AWSLogs/[o-org/]<account>/CloudTrail/
 * <region>/YYYY/MM/DD/*.json.gz`), `s3://bucket/prefix`, or `-` for stdin. Folders are walked in
 * name order; the layout's account, region and day folders outside the filters are not entered.
 */
import { lstatSync, readdirSync, readlinkSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TrailFilters } from './filters.js';

export type TrailInput =
  | { kind: 'file'; path: string; size: number }
  | { kind: 's3'; bucket: string; key: string; size: number }
  | { kind: 'stdin' };

export function inputName(input: TrailInput): string {
  return input.kind === 'file' ? input.path : input.kind === 's3' ? `s3://${input.bucket}/${input.key}` : '-';
}

export interface Expanded {
  inputs: TrailInput[];
  /** Files left out on purpose (digests, Insights, other extensions), by reason. */
  ignored: Map<string, number>;
  /** Paths given that do not exist (a typo, most likely: the run stops). */
  missing: { path: string; reason: string }[];
  /**
   * Paths skipped, each with its reason: dangling symbolic links, symbolic link loops, folders
   * that cannot be read, FIFOs and other files that are not regular files. The run goes on.
   */
  skipped: { path: string; reason: string }[];
}

const LOG_FILE = /\.(json|json\.gz|gz|jsonl|ndjson)$/i;
/** Folders CloudTrail writes beside the logs, holding no API calls. */
const NOT_LOGS = new Set(['CloudTrail-Digest', 'CloudTrail-Insight']);

/** Parses `s3://bucket/prefix`; null when the argument is not an S3 URL. */
export function parseS3Url(arg: string): { bucket: string; prefix: string } | null {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(arg);
  return m ? { bucket: m[1] ?? '', prefix: m[2] ?? '' } : null;
}

/** Files of local arguments (S3 URLs and `-` pass through; see `s3.ts` for listing). */
export function expandLocal(args: string[], filters: TrailFilters): Expanded {
  const out: Expanded = { inputs: [], ignored: new Map(), missing: [], skipped: [] };
  const ignore = (why: string) => out.ignored.set(why, (out.ignored.get(why) ?? 0) + 1);
  const skip = (path: string, reason: string) => out.skipped.push({ path, reason });
  /**
   * Folders already walked, by device and inode: a link back to one (a loop) is walked once.
   * Files are not: two names of one file (a hard link, a link given beside its target) are two
   * inputs, as they would be to any reader of the tree.
   */
  const seen = new Map<string, string>();
  const visit = (path: string, st: Stats, trail: string[] | null) => {
    if (st.isDirectory()) {
      const id = `${st.dev}:${st.ino}`;
      const first = seen.get(id);
      if (first !== undefined) {
        skip(path, `a symbolic link back to a folder already read (${first})`);
        return;
      }
      seen.set(id, path);
      walk(path, trail ?? path.split(/[\\/]/).filter(Boolean));
    } else if (st.isFile()) {
      out.inputs.push({ kind: 'file', path, size: st.size });
    } else skip(path, `not a regular file (${fileType(st)}); give - to read standard input`);
  };
  const walk = (dir: string, trail: string[]) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      skip(dir, `cannot read the folder: ${why(err)}`);
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const st = statOf(path);
      if ('reason' in st) {
        skip(path, st.reason);
        continue;
      }
      if (st.stats.isDirectory()) {
        if (NOT_LOGS.has(name)) {
          ignore(`${name} folder`);
          continue;
        }
        const segments = [...trail, name];
        if (!pruned(segments, filters)) visit(path, st.stats, segments);
      } else if (st.stats.isFile() && !LOG_FILE.test(name)) ignore('not .json, .json.gz, .ndjson');
      else visit(path, st.stats, null);
    }
  };
  for (const arg of args) {
    if (arg === '-') {
      out.inputs.push({ kind: 'stdin' });
      continue;
    }
    const st = statOf(arg);
    if ('reason' in st) {
      if (st.missing) out.missing.push({ path: arg, reason: 'no such file or folder' });
      else skip(arg, st.reason);
      continue;
    }
    visit(arg, st.stats, null);
  }
  return out;
}

/** A path's status, following symbolic links, or why there is none. */
function statOf(path: string): { stats: Stats } | { reason: string; missing: boolean } {
  try {
    return { stats: statSync(path) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ELOOP') return { reason: 'a symbolic link loop (ELOOP)', missing: false };
    if (e.code === 'ENOENT') {
      // A link whose target is gone is a link to nothing; a path that is not there at all is missing.
      try {
        if (lstatSync(path).isSymbolicLink())
          return { reason: `a symbolic link to nothing (${readlinkSync(path)})`, missing: false };
      } catch {
        // not there at all
      }
      return { reason: 'no such file or folder', missing: true };
    }
    return { reason: `cannot read: ${why(err)}`, missing: false };
  }
}

/** An error as the summary says it: what happened, then its code. */
function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'not permitted',
    ENOTDIR: 'not a folder',
    EIO: 'an input/output error',
    ENAMETOOLONG: 'the path is too long',
  };
  const text = (e.code && known[e.code]) ?? e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return e.code ? `${text} (${e.code})` : text;
}

function fileType(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a file or folder';
}

/**
 * True when a folder of the delivery layout lies outside the filters: `<account>/CloudTrail`
 * for `--account`, `CloudTrail/<region>` for `--region`, `YYYY/MM/DD` for `--since`/`--until`.
 */
export function pruned(segments: string[], filters: TrailFilters): boolean {
  const ct = segments.lastIndexOf('CloudTrail');
  if (ct < 0) return false;
  const after = segments.slice(ct + 1);
  if (after.length === 0) {
    const account = segments[ct - 1];
    return (
      filters.accounts.length > 0 &&
      account !== undefined &&
      /^\d{12}$/.test(account) &&
      !filters.accounts.includes(account)
    );
  }
  const [region, year, month, day] = after;
  if (after.length === 1 && region !== undefined)
    return filters.regions.length > 0 && !filters.regions.includes(region);
  if (filters.since === null && filters.until === null) return false;
  const y = Number(year);
  const m = month === undefined ? null : Number(month);
  const d = day === undefined ? null : Number(day);
  if (!Number.isInteger(y) || (m !== null && !Number.isInteger(m)) || (d !== null && !Number.isInteger(d)))
    return false;
  // The folder's span: a year, a month or a day (UTC), widened by a day for late deliveries.
  const start = Date.UTC(y, (m ?? 1) - 1, d ?? 1);
  const end =
    d !== null ? Date.UTC(y, (m ?? 1) - 1, d + 1) : m !== null ? Date.UTC(y, m, 1) : Date.UTC(y + 1, 0, 1);
  const slack = 86_400_000;
  if (filters.since !== null && end + slack <= filters.since) return true;
  if (filters.until !== null && start - slack > filters.until) return true;
  return false;
}
