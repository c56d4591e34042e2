/**
 * A worker thread of `leastpriv trail`: asks for inputs one at a time, folds their records into
 * its own aggregator, and hands back the distinct calls when told to finish.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Aggregator, diffStats, emptyStats, type TrailStats } from './aggregate.js';
import type { TrailFilters } from './filters.js';
import type { TrailInput } from './inputs.js';
import type { FromWorker, ToWorker } from './pool.js';
import { processInput, type Skipped } from './process.js';

const port = parentPort;
if (!port) throw new Error('worker.js runs as a worker thread of leastpriv trail');

const agg = new Aggregator((workerData as { filters: TrailFilters }).filters);
let reported = emptyStats();

/** The stats since the last report. */
function delta(): TrailStats {
  const d = diffStats(agg.stats, reported);
  reported = structuredClone(agg.stats);
  return d;
}

const send = (m: FromWorker) => port.postMessage(m);

// Progress inside big inputs: a report every 64 Ki records.
const add = agg.add.bind(agg);
agg.add = (r) => {
  add(r);
  if ((agg.stats.events & 0xffff) === 0) send({ type: 'progress', stats: delta() });
};

port.on('message', (m: ToWorker) => {
  if (m.type === 'finish') {
    send({ type: 'result', tuples: agg.result(), stats: delta() });
    port.close();
    return;
  }
  void run(m.input);
});

async function run(input: TrailInput): Promise<void> {
  const skipped: Skipped | null = await processInput(input, agg);
  send({ type: 'next', stats: delta(), skipped });
}

send({ type: 'next', stats: delta(), skipped: null });
