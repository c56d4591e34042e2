/**
 * IAM's last-accessed data (`GenerateServiceLastAccessedDetails`, action level) as a veto on
 * removals: what AWS saw used inside the window stays, whatever the recorded calls say. Pure:
 * the caller fetches the details and gives the clock.
 */
import { actionMatches } from '../policy/evaluate/index.js';

/** The fields of `GetServiceLastAccessedDetails` this reads (the SDK's shape). */
export interface ServiceLastAccessed {
  ServiceNamespace?: string;
  LastAuthenticated?: Date | string;
  TrackedActionsLastAccessed?: { ActionName?: string; LastAccessedTime?: Date | string }[];
}

const time = (v: Date | string | undefined): number | null => {
  if (v === undefined) return null;
  const t = v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isFinite(t) ? t : null;
};

/**
 * A function that says why an Action entry must stay (the service, or one of the actions it
 * grants, was used since `since`), or null when last-accessed data does not vouch for it.
 */
export function lastAccessedVeto(
  services: readonly ServiceLastAccessed[],
  since: number,
): (entry: string) => string | null {
  const byNamespace = new Map<string, ServiceLastAccessed>();
  for (const s of services) if (s.ServiceNamespace) byNamespace.set(s.ServiceNamespace.toLowerCase(), s);
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  return (entry) => {
    const i = entry.indexOf(':');
    const namespaces = entry === '*' || i < 0 ? [...byNamespace.keys()] : [entry.slice(0, i).toLowerCase()];
    for (const ns of namespaces) {
      const s = byNamespace.get(ns);
      const last = time(s?.LastAuthenticated);
      if (!s || last === null || last < since) continue;
      const tracked = s.TrackedActionsLastAccessed ?? [];
      const matching = tracked.filter((a) => a.ActionName && actionMatches(entry, `${ns}:${a.ActionName}`));
      if (tracked.length > 0 && matching.length > 0) {
        const used = matching
          .map((a) => ({ name: a.ActionName as string, t: time(a.LastAccessedTime) }))
          .filter((a): a is { name: string; t: number } => a.t !== null && a.t >= since)
          .sort((a, b) => b.t - a.t);
        const first = used[0];
        if (first) return `last-accessed data shows ${ns}:${first.name} used on ${day(first.t)}`;
        continue;
      }
      // A service used in the window whose actions are not tracked one by one: no proof of non-use.
      return `last-accessed data shows ${ns} used on ${day(last)} (not tracked action by action)`;
    }
    return null;
  };
}
