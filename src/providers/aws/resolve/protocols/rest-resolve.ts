/**
 * REST resolution across the candidate services: every route that matches, the most specific
 * wins; SDK v3's `x-id` names the operation outright; the documented legacy S3 pairs resolve to
 * their current operation; any other tie is `ambiguous`.
 */
import type { Protocol } from '../../../../catalog/api-index.js';
import { type Candidate, endpointOwner, type RequestView, speaking } from '../candidates.js';
import { restParams } from '../extract.js';
import { notFound, type Outcome } from './outcome.js';
import { compareScores, matchRest, type RestMatch } from './rest.js';

interface Scored extends RestMatch {
  candidate: Candidate;
}

/**
 * S3 operations that share one binding. Both members of a pair are the same API call under an
 * old and a new name, authorized by the same IAM action, so the current name is reported.
 */
export const S3_LEGACY_PAIRS: Readonly<Record<string, string>> = {
  GetBucketLifecycle: 'GetBucketLifecycleConfiguration',
  PutBucketLifecycle: 'PutBucketLifecycleConfiguration',
  GetBucketNotification: 'GetBucketNotificationConfiguration',
  PutBucketNotification: 'PutBucketNotificationConfiguration',
};

/**
 * `GET /` on S3 lists general purpose buckets, or directory buckets when sent to the
 * S3 Express control endpoint (or signed for `s3express`).
 */
function s3RootList(view: RequestView, names: readonly string[]): string | null {
  if (names.length !== 2 || !names.includes('ListBuckets') || !names.includes('ListDirectoryBuckets'))
    return null;
  const express = view.s3?.express === true || view.scope?.service === 's3express';
  return express ? 'ListDirectoryBuckets' : 'ListBuckets';
}

/** Picks among equally specific matches of one service, or null when the request cannot tell. */
function breakTie(view: RequestView, tied: Scored[]): Scored | null {
  const xid = view.query.get('x-id');
  if (xid) {
    const named = tied.filter((m) => m.route.name === xid);
    if (named.length === 1) return named[0] as Scored;
  }
  const services = new Set(tied.map((m) => m.candidate.service.id));
  const names = tied.map((m) => m.route.name);
  if (services.size > 1) {
    if (new Set(names).size !== 1) return null;
    const owner = endpointOwner(
      view,
      tied.map((m) => m.candidate),
    );
    return owner ? (tied.find((m) => m.candidate === owner) ?? null) : null;
  }
  if (!services.has('s3')) return null;
  const root = s3RootList(view, names);
  if (root) return tied.find((m) => m.route.name === root) ?? null;
  if (names.length === 2) {
    const [a, b] = names as [string, string];
    const winner = S3_LEGACY_PAIRS[a] === b ? b : S3_LEGACY_PAIRS[b] === a ? a : null;
    if (winner) return tied.find((m) => m.route.name === winner) ?? null;
  }
  return null;
}

export function resolveRest(view: RequestView): Outcome {
  const candidates = speaking(view, ['rest-json', 'rest-xml']);
  if (candidates.length === 0) {
    const svc = view.candidates[0]?.service.id ?? null;
    const what = `${view.method} ${view.call.host}${view.call.path}`;
    return svc
      ? notFound('unknown-operation', `${svc} has no operation for ${what}`, svc)
      : notFound('unknown-service', `no service serves ${what}`);
  }
  const headers = view.call.headers;
  let matches: Scored[] = [];
  for (const candidate of candidates) {
    const raw = view.call.path || '/';
    const bucketPath = candidate.service.id === 's3' && view.path !== raw;
    let found = matchRest(candidate.service, view.method, bucketPath ? view.path : raw, view.query, headers);
    // a host prefix that is not a bucket (S3 Object Lambda's request route)
    if (bucketPath && !found.some((m) => m.missing === 0)) {
      const direct = matchRest(candidate.service, view.method, raw, view.query, headers);
      if (direct.some((m) => m.missing === 0)) found = direct;
    }
    for (const m of found) matches.push({ ...m, candidate });
  }
  if (matches.length === 0) {
    const svc = candidates.length === 1 ? (candidates[0] as Candidate).service.id : null;
    return notFound('unknown-operation', `no operation matches ${view.method} ${view.call.path}`, svc);
  }
  const xid = view.query.get('x-id');
  if (xid && matches.some((m) => m.route.name === xid)) matches = matches.filter((m) => m.route.name === xid);
  // routes whose required members are all present; else (clients that skip validation) the
  // routes that lack the fewest
  const fewest = Math.min(...matches.map((m) => m.missing));
  matches = matches.filter((m) => m.missing === fewest);
  matches.sort((a, b) => compareScores(b.score, a.score));
  const best = matches[0] as Scored;
  const tied = matches.filter((m) => compareScores(m.score, best.score) === 0);
  const winner = tied.length === 1 ? best : breakTie(view, tied);
  if (!winner) {
    const names = tied.map((m) => `${m.candidate.service.id}:${m.route.name}`).join(', ');
    const ids = new Set(tied.map((m) => m.candidate.service.id));
    return notFound(
      'ambiguous',
      `${view.method} ${view.call.path} matches ${names}`,
      ids.size === 1 ? ([...ids][0] ?? null) : null,
    );
  }
  const svc = winner.candidate.service;
  const lacking = winner.missing
    ? `the request lacks ${winner.missing} required member(s) of ${winner.route.name}`
    : null;
  const protocol: Protocol = svc.protocols.includes('rest-xml') ? 'rest-xml' : 'rest-json';
  const call = view.call;
  const labels = { ...winner.labels };
  return {
    kind: 'found',
    candidate: winner.candidate,
    name: winner.route.name,
    op: winner.route.op,
    protocol,
    extract: () => {
      const out = restParams({
        op: winner.route.op,
        located: winner.route.located,
        labels,
        query: view.query,
        headers,
        body: call.body,
        bodyTruncated: call.bodyTruncated,
        xml: protocol === 'rest-xml',
      });
      return lacking && !out.warning ? { ...out, warning: lacking } : out;
    },
  };
}
