/**
 * Which records count: principals (globs), accounts, regions, a time window, and whether calls
 * answered with an error are kept. Plain data, so it crosses to worker threads as it is.
 */

export interface TrailFilters {
  /** Globs over the principal (`*` any run of characters, `?` one); empty: every principal. */
  principals: string[];
  /** Accounts the calls acted in (`recipientAccountId`); empty: every account. */
  accounts: string[];
  regions: string[];
  /** Epoch milliseconds, inclusive; null: unbounded. */
  since: number | null;
  until: number | null;
  excludeErrors: boolean;
}

export const NO_FILTERS: TrailFilters = {
  principals: [],
  accounts: [],
  regions: [],
  since: null,
  until: null,
  excludeErrors: false,
};

/** What a filter looks at in one record. */
export interface FilterView {
  principal: string;
  /** The identity's own ARN (a role session's), matched by the principal globs too. */
  identityArn: string | null;
  account: string | null;
  region: string;
  /** Epoch milliseconds, NaN when the record's time is unreadable. */
  time: number;
  error: string | null;
}

export type FilterResult = 'keep' | 'principal' | 'account' | 'region' | 'time' | 'error';

export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** A predicate for the filters (the globs compiled once), or null when nothing is filtered. */
export function compileFilters(f: TrailFilters): ((v: FilterView) => FilterResult) | null {
  if (
    f.principals.length === 0 &&
    f.accounts.length === 0 &&
    f.regions.length === 0 &&
    f.since === null &&
    f.until === null &&
    !f.excludeErrors
  )
    return null;
  const globs = f.principals.map(globToRegExp);
  const accounts = new Set(f.accounts);
  const regions = new Set(f.regions);
  return (v) => {
    if (
      globs.length &&
      !globs.some((g) => g.test(v.principal) || (v.identityArn !== null && g.test(v.identityArn)))
    )
      return 'principal';
    if (accounts.size && (v.account === null || !accounts.has(v.account))) return 'account';
    if (regions.size && !regions.has(v.region)) return 'region';
    if (f.since !== null && !(v.time >= f.since)) return 'time';
    if (f.until !== null && !(v.time <= f.until)) return 'time';
    if (f.excludeErrors && v.error !== null) return 'error';
    return 'keep';
  };
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since` / `--until`: an ISO date or date-time (`2026-11-01`, `2026-11-01T12:00:00Z`), or a
 * duration back from `now` (`90d`, `12h`, `30m`, `2w`). A bare date ends at the end of its day
 * when it is an upper bound.
 */
export function parseWhen(
  value: string,
  bound: 'since' | 'until',
  now: number,
): { ok: true; time: number } | { ok: false; message: string } {
  const rel = /^(\d+)\s*([mhdw])$/i.exec(value.trim());
  if (rel) return { ok: true, time: now - Number(rel[1]) * (UNITS[(rel[2] ?? 'd').toLowerCase()] ?? 0) };
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value.trim());
  const t = Date.parse(dateOnly ? `${value.trim()}T00:00:00Z` : value.trim());
  if (!Number.isFinite(t)) {
    return {
      ok: false,
      message: `--${bound} '${value}' is neither a date (2026-11-01, 2026-11-01T12:00:00Z) nor a duration (7d, 12h, 90d)`,
    };
  }
  return { ok: true, time: dateOnly && bound === 'until' ? t + 86_400_000 - 1 : t };
}
