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
agg.every64Ki = () => send({ type: 'progress', stats: delta() });

// Inputs are handled one at a time, in the order they arrive. Two requests are kept in
// flight, so the next input is already here when one is done: the worker never waits for a
// round trip to the main thread. Once one 'finish' arrives every later answer is 'finish' too,
// and the inputs before it are done.
let chain: Promise<void> = Promise.resolve();
let finished = false;
port.on('message', (m: ToWorker) => {
  chain = chain.then(async () => {
    if (finished) return;
    if (m.type === 'finish') {
      finished = true;
      send({ type: 'result', tuples: agg.result(), stats: delta() });
      port.close();
      return;
    }
    await run(m.input);
  });
});

async function run(input: TrailInput): Promise<void> {
  const skipped: Skipped | null = await processInput(input, agg);
  send({ type: 'next', stats: delta(), skipped });
}

send({ type: 'next', stats: delta(), skipped: null });
send({ type: 'next', stats: delta(), skipped: null });
