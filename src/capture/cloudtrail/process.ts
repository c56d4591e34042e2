/** One input into an aggregator: open it, read its records, count what it held or why not. */
import type { Aggregator } from './aggregate.js';
import { inputName, type TrailInput } from './inputs.js';
import { type ReadOutcome, type RecordSink, readFile, readStream } from './read.js';
import { openS3 } from './s3.js';

export interface Skipped {
  path: string;
  reason: string;
}

/** Reads one input into `agg`; returns why it was skipped, or null. */
export async function processInput(input: TrailInput, agg: Aggregator): Promise<Skipped | null> {
  let records = 0;
  const sink = (r: Parameters<Aggregator['add']>[0]) => {
    agg.add(r);
    records++;
  };
  let outcome: ReadOutcome;
  try {
    outcome = await read(input, sink);
  } catch (err) {
    // A fault no check foresaw loses this input, never the run and the inputs read before it.
    outcome = { kind: 'skipped', reason: `could not be read (${(err as Error).message})`, records, bytes: 0 };
  }
  agg.stats.files++;
  agg.stats.bytes += outcome.bytes;
  if (outcome.kind === 'ok') return null;
  agg.stats.skippedFiles++;
  const partly = outcome.records > 0 ? ` (after ${outcome.records} records, which were kept)` : '';
  return { path: inputName(input), reason: `${outcome.reason}${partly}` };
}

async function read(input: TrailInput, sink: RecordSink): Promise<ReadOutcome> {
  if (input.kind === 'file') return readFile(input.path, sink);
  if (input.kind === 'stdin') return readStream(process.stdin, sink);
  const opened = await openS3(input.bucket, input.key);
  return opened.ok
    ? readStream(opened.body, sink)
    : { kind: 'skipped', reason: `cannot read: ${opened.message}`, records: 0, bytes: 0 };
}
