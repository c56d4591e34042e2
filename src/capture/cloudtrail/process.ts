/** One input into an aggregator: open it, read its records, count what it held or why not. */
import type { Aggregator } from './aggregate.js';
import { inputName, type TrailInput } from './inputs.js';
import { type ReadOutcome, readFile, readStream } from './read.js';
import { openS3 } from './s3.js';

export interface Skipped {
  path: string;
  reason: string;
}

/** Reads one input into `agg`; returns why it was skipped, or null. */
export async function processInput(input: TrailInput, agg: Aggregator): Promise<Skipped | null> {
  const sink = (r: Parameters<Aggregator['add']>[0]) => agg.add(r);
  let outcome: ReadOutcome;
  if (input.kind === 'file') outcome = await readFile(input.path, sink);
  else if (input.kind === 'stdin') outcome = await readStream(process.stdin, sink);
  else {
    const opened = await openS3(input.bucket, input.key);
    outcome = opened.ok
      ? await readStream(opened.body, sink)
      : { kind: 'skipped', reason: `cannot read: ${opened.message}`, records: 0, bytes: 0 };
  }
  agg.stats.files++;
  agg.stats.bytes += outcome.bytes;
  if (outcome.kind === 'ok') return null;
  agg.stats.skippedFiles++;
  const partly = outcome.records > 0 ? ` (after ${outcome.records} records, which were kept)` : '';
  return { path: inputName(input), reason: `${outcome.reason}${partly}` };
}
