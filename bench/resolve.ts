/**
 * Benchmark: resolving recorded AWS requests (AWS CLI, boto3, SDK v3, Terraform and constructed
 * cases: every protocol) in-process, and loading the API index.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { apiIndex, readApiIndex } from '../src/catalog/api-index.js';
import type { ObservedCall } from '../src/model/index.js';
import { resolveAws } from '../src/providers/aws/resolve/index.js';
import type { Figure } from './types.js';

interface RecordedCase {
  request: {
    host: string;
    method: string;
    path: string;
    query?: string;
    headers?: Record<string, string>;
    body?: string;
    bodyBase64?: string;
  };
}

const CASES = fileURLToPath(new URL('../../test/cases/resolve/', import.meta.url));

function traffic(): ObservedCall[] {
  const calls: ObservedCall[] = [];
  for (const dir of ['recorded', 'constructed']) {
    for (const name of readdirSync(join(CASES, dir)).sort()) {
      const cases = JSON.parse(readFileSync(join(CASES, dir, name), 'utf8')) as RecordedCase[];
      for (const c of cases) {
        const r = c.request;
        const body = r.bodyBase64 ? Buffer.from(r.bodyBase64, 'base64') : Buffer.from(r.body ?? '', 'utf8');
        calls.push({
          id: calls.length + 1,
          time: '2026-11-21T18:00:00.000Z',
          source: 'proxy',
          scheme: 'https',
          host: r.host,
          port: 443,
          method: r.method,
          path: r.path,
          query: r.query ?? '',
          headers: r.headers ?? {},
          body: new Uint8Array(body),
          bodyTruncated: false,
          bodySize: body.length,
          response: null,
        });
      }
    }
  }
  return calls;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export async function benchResolve(): Promise<Figure[]> {
  const loads: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    readApiIndex();
    loads.push(performance.now() - t0);
  }
  apiIndex();
  const calls = traffic();
  const ctx = { accountId: null, learnedAccount: null };
  for (const c of calls) resolveAws(c, ctx); // warm: route tables compile on first use
  let n = 0;
  let resolved = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1500) {
    for (const c of calls) {
      if (resolveAws(c, ctx).kind === 'resolved') resolved++;
      n++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return [
    {
      name: 'resolve: requests per second (mixed recorded traffic)',
      value: Math.round(n / seconds),
      unit: 'req/s',
      target: { op: '>=', value: 50_000 },
      note: `${calls.length} distinct requests, ${Math.round((100 * resolved) / n)}% resolved`,
    },
    {
      name: 'resolve: API index load',
      value: Math.round(median(loads) * 10) / 10,
      unit: 'ms',
      target: { op: '<=', value: 150 },
      note: 'read, parse and index data/aws-api/index.json (median of 5)',
    },
  ];
}
