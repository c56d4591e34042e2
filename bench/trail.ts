/**
 * `leastpriv trail` over a synthetic corpus (bench/trail-corpus.ts): events per second on one
 * worker thread (per core), on every core, and peak memory (max RSS of the whole process,
 * workers included) at two corpus sizes, which must stay flat: memory follows the distinct
 * (principal, operation, resource) tuples, not the number of events.
 *
 *   node dist/bench/run.js --only trail          (LEASTPRIV_BENCH_TRAIL_LARGE=N for another size)
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trailCorpus } from './trail-corpus.js';
import type { Figure } from './types.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SMALL = 1_000_000;
/** The large corpus: 10 M events (about a minute on 2 cores). */
const LARGE = Number(process.env.LEASTPRIV_BENCH_TRAIL_LARGE ?? 10_000_000);
const MAXRSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('MAXRSS '+process.resourceUsage().maxRSS+'\\n'))`;

interface Run {
  events: number;
  seconds: number;
  rate: number;
  maxRssMiB: number;
  distinct: number;
}

function trail(dir: string, jobs: number | null): Run {
  const args = [
    '--import',
    MAXRSS_HOOK,
    CLI,
    'trail',
    dir,
    '-o',
    '/dev/null',
    ...(jobs ? ['--jobs', String(jobs)] : []),
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`leastpriv trail failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /([\d,]+) events in ([\d.]+) s \(([\d,]+) events\/s\); kept [\d,]+ → ([\d,]+) distinct/.exec(
    r.stderr,
  );
  const rss = /MAXRSS (\d+)/.exec(r.stderr);
  if (!m || !rss) throw new Error(`unexpected output: ${r.stderr.slice(0, 2000)}`);
  const num = (s: string | undefined) => Number((s ?? '').replace(/,/g, ''));
  return {
    events: num(m[1]),
    seconds: Number(m[2]),
    rate: num(m[3]),
    distinct: num(m[4]),
    maxRssMiB: Math.round(Number(rss[1]) / 1024),
  };
}

export async function benchTrail(): Promise<Figure[]> {
  const small = trailCorpus(SMALL);
  const large = trailCorpus(LARGE);
  const one = trail(small, 1);
  const all = trail(small, null);
  const big = trail(large, null);
  const cores = availableParallelism();
  const growth = big.maxRssMiB / all.maxRssMiB - 1;
  const corpus = `synthetic corpus, ~1.45 KB records in 1,000-record .json.gz files (${join('<tmp>', 'leastpriv-bench-trail')})`;
  return [
    {
      name: 'trail.events_per_s_per_core',
      value: one.rate,
      unit: 'events/s',
      target: { op: '>=', value: 100_000 },
      note: `one worker thread, ${SMALL.toLocaleString('en-US')} events; ${corpus}`,
    },
    {
      name: 'trail.events_per_s_all_cores',
      value: all.rate,
      unit: 'events/s',
      note: `${cores} cores (${cores} workers + the main thread), ${SMALL.toLocaleString('en-US')} events`,
    },
    { name: 'trail.peak_rss_1m', value: all.maxRssMiB, unit: 'MiB', note: `${all.distinct} distinct calls` },
    {
      name: `trail.peak_rss_${LARGE / 1_000_000}m`,
      value: big.maxRssMiB,
      unit: 'MiB',
      note: `${big.distinct} distinct calls, ${big.seconds} s`,
    },
    {
      name: 'trail.peak_rss_growth',
      value: Math.round(growth * 1000) / 10,
      unit: '%',
      target: { op: '<=', value: 20 },
      note: `peak RSS from ${SMALL / 1_000_000} M to ${LARGE / 1_000_000} M events`,
    },
  ];
}
