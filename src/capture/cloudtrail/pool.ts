/**
 * Reading many inputs across cores: worker threads take inputs one at a time from a shared
 * queue (a big file never holds up the small ones queued behind it), each folds its records
 * into its own aggregator, and the distinct calls are merged at the end. Standard input is read
 * on the main thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  Aggregator,
  addStats,
  diffStats,
  emptyStats,
  sortTuples,
  type TrailStats,
  type TrailTuple,
} from './aggregate.js';
import type { TrailFilters } from './filters.js';
import type { TrailInput } from './inputs.js';
import { processInput, type Skipped } from './process.js';

const YOUNG_GENERATION_MB = 192;

export type ToWorker = { type: 'input'; input: TrailInput } | { type: 'finish' };
export type FromWorker =
  | { type: 'next'; stats: TrailStats; skipped: Skipped | null }
  | { type: 'progress'; stats: TrailStats }
  | { type: 'result'; tuples: TrailTuple[]; stats: TrailStats };

export interface Progress {
  files: number;
  totalFiles: number;
  events: number;
  bytes: number;
}

export interface TrailRunOptions {
  filters: TrailFilters;
  /** Worker threads; default: one per core, never more than the inputs. */
  jobs?: number;
  onProgress?: (p: Progress) => void;
  /** Called as soon as an input is skipped. */
  onSkipped?: (s: Skipped) => void;
}

export interface TrailRun {
  /** Distinct calls, sorted by principal, first time seen, key. */
  tuples: TrailTuple[];
  stats: TrailStats;
  skipped: Skipped[];
}

export async function runTrail(inputs: readonly TrailInput[], options: TrailRunOptions): Promise<TrailRun> {
  const main = new Aggregator(options.filters);
  const stats = emptyStats();
  const skipped: Skipped[] = [];
  const total = inputs.length;
  const progress = () =>
    options.onProgress?.({ files: stats.files, totalFiles: total, events: stats.events, bytes: stats.bytes });
  const skip = (s: Skipped | null) => {
    if (!s) return;
    skipped.push(s);
    options.onSkipped?.(s);
  };
  const local: TrailInput[] = inputs.filter((i) => i.kind === 'stdin');
  const queue = inputs.filter((i) => i.kind !== 'stdin');
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), queue.length));

  let before = structuredClone(main.stats);
  for (const input of local) {
    skip(await processInput(input, main));
    addStats(stats, diffStats(main.stats, before));
    before = structuredClone(main.stats);
    progress();
  }

  if (queue.length > 0) {
    const results = await Promise.all(
      Array.from({ length: jobs }, () =>
        runWorker(queue, options.filters, (m) => {
          addStats(stats, m.stats);
          if (m.type === 'next') skip(m.skipped);
          progress();
        }),
      ),
    );
    for (const r of results) main.merge(r);
  }
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { tuples: sortTuples(main.result()), stats, skipped };
}

function runWorker(
  queue: TrailInput[],
  filters: TrailFilters,
  onStats: (m: Exclude<FromWorker, { type: 'result' }>) => void,
): Promise<TrailTuple[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { filters },
      // Parsing allocates many short-lived objects: a larger young generation halves the
      // time spent collecting them.
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    let done = false;
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'result') {
        done = true;
        onStats({ type: 'progress', stats: m.stats });
        resolve(m.tuples);
        return;
      }
      onStats(m);
      if (m.type === 'next') {
        const input = queue.shift();
        worker.postMessage(
          input ? ({ type: 'input', input } satisfies ToWorker) : ({ type: 'finish' } satisfies ToWorker),
        );
      }
    });
    worker.on('error', (err) => reject(err));
    worker.on('exit', (code) => {
      if (!done) reject(new Error(`a trail worker thread exited with code ${code} before it finished`));
    });
  });
}
