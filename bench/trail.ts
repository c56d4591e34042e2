/**
 * `leastpriv trail` over a synthetic corpus (bench/trail-corpus.ts): events per second on one
 * worker thread (per core), on every core, and peak memory (max RSS of the whole process,
 * workers included) at two corpus sizes, which must stay flat: memory follows the distinct
 * (principal, operation, resource) tuples, not the number of events.
 *
 *   node dist/bench/run.js --only trail          (LEASTPRIV_BENCH_TRAIL_LARGE=N for another size)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trailCorpus } from './trail-corpus.js';
import type { Figure } from './types.js';

const DUCKDB_VERSION = (() => {
  try {
    const req = createRequire(import.meta.url);
    return (req('@duckdb/node-api/package.json') as { version: string }).version;
  } catch {
    return 'not installed';
  }
})();
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SMALL = 1_000_000;
/** The large corpus: 10 M events (about a minute on 2 cores). */
const LARGE = Number(process.env.LEASTPRIV_BENCH_TRAIL_LARGE ?? 10_000_000);
/** Prints the process's peak RSS and CPU time (all threads) as it exits. */
const USAGE_HOOK = `data:text/javascript,process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('USAGE '+u.maxRSS+' '+(u.userCPUTime+u.systemCPUTime)+'\\n')})`;
/** Runs per figure: the median is reported, the range noted (this machine is shared). */
const RUNS = 3;

interface Run {
  events: number;
  seconds: number;
  rate: number;
  maxRssMiB: number;
  /** CPU seconds of the whole process: every thread, start-up and writing the policy too. */
  cpuSeconds: number;
  distinct: number;
}

function trail(
  dir: string,
  jobs: number | null,
  engine: 'builtin' | 'duckdb' = 'builtin',
  output = '/dev/null',
): Run {
  const args = [
    '--import',
    USAGE_HOOK,
    CLI,
    'trail',
    dir,
    '-o',
    output,
    ...(jobs ? ['--jobs', String(jobs)] : []),
    ...(engine === 'duckdb' ? ['--engine', 'duckdb'] : []),
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`leastpriv trail failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /([\d,]+) events in ([\d.]+) s \(([\d,]+) events\/s\); kept [\d,]+ → ([\d,]+) distinct/.exec(
    r.stderr,
  );
  const usage = /USAGE (\d+) (\d+)/.exec(r.stderr);
  if (!m || !usage) throw new Error(`unexpected output: ${r.stderr.slice(0, 2000)}`);
  const num = (s: string | undefined) => Number((s ?? '').replace(/,/g, ''));
  return {
    events: num(m[1]),
    seconds: Number(m[2]),
    rate: num(m[3]),
    maxRssMiB: Math.round(Number(usage[1]) / 1024),
    cpuSeconds: Number(usage[2]) / 1e6,
    distinct: num(m[4]),
  };
}

/** The run with the median rate of several, and the range of the rates. */
function median(dir: string, jobs: number | null): { run: Run; range: string } {
  const runs = Array.from({ length: RUNS }, () => trail(dir, jobs)).sort((a, b) => a.rate - b.rate);
  const run = runs[Math.floor(runs.length / 2)] as Run;
  const fmt = (n: number) => n.toLocaleString('en-US');
  return { run, range: `median of ${RUNS}, ${fmt((runs[0] as Run).rate)}-${fmt((runs.at(-1) as Run).rate)}` };
}

export async function benchTrail(): Promise<Figure[]> {
  const small = trailCorpus(SMALL);
  const large = trailCorpus(LARGE);
  const one = median(small, 1);
  const all = median(small, null);
  const out = mkdtempSync(join(tmpdir(), 'leastpriv-bench-trail-out-'));
  const big = trail(large, null, 'builtin', join(out, 'builtin.json'));
  const duck = trail(large, null, 'duckdb', join(out, 'duckdb.json'));
  const same =
    readFileSync(join(out, 'builtin.json'), 'utf8') === readFileSync(join(out, 'duckdb.json'), 'utf8');
  rmSync(out, { recursive: true, force: true });
  const cores = availableParallelism();
  const growth = big.maxRssMiB / all.run.maxRssMiB - 1;
  const events = SMALL.toLocaleString('en-US');
  const corpus = `synthetic corpus, ~1.45 KB records in 1,000-record .json.gz files (${join('<tmp>', 'leastpriv-bench-trail')})`;
  return [
    {
      name: 'trail.events_per_s_per_core',
      value: one.run.rate,
      unit: 'events/s',
      target: { op: '>=', value: 100_000 },
      note: `one worker thread, ${events} events, ${one.range}; ${corpus}`,
    },
    {
      name: 'trail.events_per_cpu_s',
      value: Math.round(one.run.events / one.run.cpuSeconds),
      unit: 'events/s',
      target: { op: '>=', value: 100_000 },
      note: `the same run, events per second of CPU of the whole process (${one.run.cpuSeconds.toFixed(1)} s): every thread (garbage collection included), start-up and writing the policy`,
    },
    {
      name: 'trail.events_per_s_all_cores',
      value: all.run.rate,
      unit: 'events/s',
      note: `${cores} cores (${cores} workers + the main thread), ${events} events, ${all.range}`,
    },
    {
      name: 'trail.peak_rss_1m',
      value: all.run.maxRssMiB,
      unit: 'MiB',
      note: `${all.run.distinct} distinct calls`,
    },
    {
      name: `trail.peak_rss_${LARGE / 1_000_000}m`,
      value: big.maxRssMiB,
      unit: 'MiB',
      note: `${big.distinct} distinct calls, ${big.seconds} s`,
    },
    {
      name: `trail.builtin_events_per_s_${LARGE / 1_000_000}m`,
      value: big.rate,
      unit: 'events/s',
      note: `built-in reader, ${cores} cores, ${LARGE.toLocaleString('en-US')} events, one run; peak RSS ${big.maxRssMiB} MiB`,
    },
    {
      name: `trail.duckdb_events_per_s_${LARGE / 1_000_000}m`,
      value: duck.rate,
      unit: 'events/s',
      note: `--engine duckdb (DuckDB ${DUCKDB_VERSION}, its own threads, one per core) on the same corpus, one run; ${duck.distinct} distinct calls, ${duck.seconds} s`,
    },
    {
      name: `trail.duckdb_peak_rss_${LARGE / 1_000_000}m`,
      value: duck.maxRssMiB,
      unit: 'MiB',
      note: 'the whole process: Node.js, DuckDB and the fold of its rows',
    },
    {
      name: 'trail.duckdb_same_policy',
      value: same ? 1 : 0,
      unit: 'bool',
      target: { op: '>=', value: 1 },
      note: "the policy DuckDB's rows give is byte-identical to the built-in reader's",
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
