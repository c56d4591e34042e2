/**
 * What to read: files, folders in the S3 delivery layout (`AWSLogs/[o-org/]<account>/CloudTrail/
 * <region>/YYYY/MM/DD/*.json.gz`), `s3://bucket/prefix`, or `-` for stdin. Folders are walked in
 * name order; the layout's account, region and day folders outside the filters are not entered.
 */
import { readdirSync, statSync } from 'node:fs';
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
  /** Paths that do not exist or cannot be read. */
  missing: { path: string; reason: string }[];
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
  const out: Expanded = { inputs: [], ignored: new Map(), missing: [] };
  const ignore = (why: string) => out.ignored.set(why, (out.ignored.get(why) ?? 0) + 1);
  const walk = (dir: string, trail: string[]) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      out.missing.push({ path: dir, reason: (err as Error).message });
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(path);
      } catch (err) {
        out.missing.push({ path, reason: (err as Error).message });
        continue;
      }
      if (st.isDirectory()) {
        if (NOT_LOGS.has(name)) {
          ignore(`${name} folder`);
          continue;
        }
        const segments = [...trail, name];
        if (!pruned(segments, filters)) walk(path, segments);
      } else if (st.isFile()) {
        if (LOG_FILE.test(name)) out.inputs.push({ kind: 'file', path, size: st.size });
        else ignore('not .json, .json.gz, .ndjson');
      }
    }
  };
  for (const arg of args) {
    if (arg === '-') {
      out.inputs.push({ kind: 'stdin' });
      continue;
    }
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(arg);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      out.missing.push({ path: arg, reason: e.code === 'ENOENT' ? 'no such file or folder' : e.message });
      continue;
    }
    if (st.isDirectory()) walk(arg, arg.split(/[\\/]/).filter(Boolean));
    else out.inputs.push({ kind: 'file', path: arg, size: st.size });
  }
  return out;
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
