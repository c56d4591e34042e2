/**
 * Reading one input into records: gzip or plain (told by the bytes, not the name), parsed in
 * one piece when it is small and split record by record when it is not. A corrupt gzip, a
 * file that is not JSON or JSON that is not CloudTrail is a value, never an exception.
 */

import { closeSync, constants, createReadStream, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import {
  type ContainerKind,
  documentElements,
  elementRecord,
  type TrailEvent,
  trailEvent,
} from './records.js';
import { scanDocument, scanRecord } from './scan.js';
import { RecordSplitter } from './splitter.js';

export type RecordSink = (event: TrailEvent) => void;

export type ReadOutcome =
  | { kind: 'ok'; records: number; bytes: number }
  | { kind: 'skipped'; reason: string; records: number; bytes: number };

/** Documents up to this size (decompressed) are parsed whole; bigger ones are split. */
export const WHOLE_LIMIT = 64 * 1024 * 1024;

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Records of one parsed document, or why it holds none. */
export function readText(text: string, sink: RecordSink): ReadOutcome {
  const bytes = text.length;
  if (text.trim() === '') return { kind: 'skipped', reason: 'empty', records: 0, bytes };
  const scanned = scanDocument(text);
  if (scanned) {
    for (const e of scanned.events) sink(e);
    return outcome(scanned.events.length, scanned.invalid, bytes);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return readLines(text, sink);
  }
  const found = documentElements(doc);
  if (!found) return { kind: 'skipped', reason: 'JSON but not CloudTrail records', records: 0, bytes };
  let records = 0;
  let invalid = 0;
  for (const e of found.elements) {
    const r = elementRecord(found.kind, e);
    if (r) {
      records++;
      sink(trailEvent(r));
    } else invalid++;
  }
  return outcome(records, invalid, bytes);
}

function outcome(records: number, invalid: number, bytes: number): ReadOutcome {
  if (records === 0 && invalid > 0)
    return {
      kind: 'skipped',
      reason: `none of its ${invalid} elements is a CloudTrail record`,
      records,
      bytes,
    };
  return { kind: 'ok', records, bytes };
}

/** NDJSON: one record per line. */
function readLines(text: string, sink: RecordSink): ReadOutcome {
  let records = 0;
  let line = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const s = text.slice(start, end).trim();
    start = end + 1;
    line++;
    if (s === '') continue;
    const scanned = scanRecord(s);
    if (typeof scanned === 'object' && scanned !== null) {
      records++;
      sink(scanned);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch {
      const reason = records === 0 ? 'not JSON' : `line ${line} is not JSON`;
      return { kind: 'skipped', reason, records, bytes: text.length };
    }
    const r = elementRecord('single', value);
    if (!r) {
      if (records === 0)
        return { kind: 'skipped', reason: 'JSON but not CloudTrail records', records, bytes: text.length };
      continue;
    }
    records++;
    sink(trailEvent(r));
  }
  return { kind: 'ok', records, bytes: text.length };
}

/** One element's text from the splitter. */
function splitElement(kind: ContainerKind, text: string, sink: RecordSink): boolean {
  try {
    if (kind === 'Records' || kind === 'array' || kind === 'single') {
      const scanned = scanRecord(text);
      if (scanned === 'invalid') return false;
      if (scanned) {
        sink(scanned);
        return true;
      }
    }
    const r = elementRecord(kind, JSON.parse(text));
    if (!r) return false;
    sink(trailEvent(r));
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a file: small ones synchronously in one piece, big ones streamed through the splitter.
 * The file is opened once, without waiting (a FIFO put in its place would block the open for
 * ever), and read only when it is a regular file.
 */
export async function readFile(path: string, sink: RecordSink): Promise<ReadOutcome> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return { kind: 'skipped', reason: `cannot read: ${(err as Error).message}`, records: 0, bytes: 0 };
  }
  let streamed = false;
  try {
    let size: number;
    let gz = false;
    // A gzip's last four bytes hold its decompressed size (mod 4 GiB).
    let expanded: number;
    try {
      const st = fstatSync(fd);
      if (!st.isFile())
        return {
          kind: 'skipped',
          reason: 'not a regular file; give - to read standard input',
          records: 0,
          bytes: 0,
        };
      size = st.size;
      expanded = size;
      const head = Buffer.alloc(4);
      readSync(fd, head, 0, Math.min(size, 2), 0);
      gz = isGzip(head.subarray(0, Math.min(size, 2)));
      if (gz && size >= 4) {
        readSync(fd, head, 0, 4, size - 4);
        expanded = head.readUInt32LE(0);
      }
    } catch (err) {
      return { kind: 'skipped', reason: `cannot read: ${(err as Error).message}`, records: 0, bytes: 0 };
    }
    const stream = () => {
      streamed = true;
      return readStream(createReadStream(path, { fd, start: 0 }), sink);
    };
    if (size > WHOLE_LIMIT || expanded > WHOLE_LIMIT) return await stream();
    let data: Buffer;
    try {
      data = readFileSync(fd);
      // One output buffer of the size the trailer announces, rather than many 16 KiB pieces.
      if (gz)
        data = gunzipSync(data, {
          maxOutputLength: WHOLE_LIMIT,
          chunkSize: Math.max(expanded + 1, 16 * 1024),
        });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE') return await stream();
      const reason = gz ? `corrupt gzip (${e.message})` : `cannot read: ${e.message}`;
      return { kind: 'skipped', reason, records: 0, bytes: size };
    }
    return readText(decode(data), sink);
  } finally {
    // A stream closes the descriptor it was given.
    if (!streamed) closeSync(fd);
  }
}

/**
 * UTF-8 text. Not latin1 for ASCII, though it decodes faster: Node.js makes a latin1 string
 * over ~1 MB an external string, which only a full garbage collection frees, and one of those
 * per file made collection cost more than decoding saves.
 */
function decode(data: Buffer): string {
  return data.toString('utf8');
}

/**
 * Reads a stream (stdin, an S3 object, a big file): gzip or plain, collected while small,
 * split record by record once it passes WHOLE_LIMIT.
 */
export async function readStream(
  input: Readable | AsyncIterable<Uint8Array>,
  sink: RecordSink,
): Promise<ReadOutcome> {
  const iterator = (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const first = await nextChunk(iterator);
  if (first.error) return { kind: 'skipped', reason: `cannot read: ${first.error}`, records: 0, bytes: 0 };
  if (!first.value) return { kind: 'skipped', reason: 'empty', records: 0, bytes: 0 };
  const gz = isGzip(first.value);
  let source: AsyncIterable<Buffer>;
  if (!gz) source = prepend(first.value, iterator);
  else {
    const gunzip = createGunzip();
    const feed = async () => {
      try {
        for await (const c of prepend(first.value as Uint8Array, iterator)) {
          if (!gunzip.write(c)) await new Promise((r) => gunzip.once('drain', r));
        }
        gunzip.end();
      } catch (err) {
        gunzip.destroy(err as Error);
      }
    };
    void feed();
    source = gunzip;
  }
  let bytes = 0;
  let records = 0;
  let invalid = 0;
  let collected: Buffer[] | null = [];
  let splitter: RecordSplitter | null = null;
  const onElement = (kind: ContainerKind, text: string) => {
    if (splitElement(kind, text, sink)) records++;
    else invalid++;
  };
  try {
    for await (const chunk of source) {
      bytes += chunk.length;
      if (collected) {
        collected.push(chunk);
        if (bytes <= WHOLE_LIMIT) continue;
        splitter = new RecordSplitter(onElement);
        for (const c of collected) splitter.push(c);
        collected = null;
      } else splitter?.push(chunk);
    }
  } catch (err) {
    const reason = gz ? `corrupt gzip (${(err as Error).message})` : `cannot read: ${(err as Error).message}`;
    return { kind: 'skipped', reason, records, bytes };
  }
  if (collected) return readText(decode(Buffer.concat(collected)), sink);
  if (splitter?.incomplete) return { kind: 'skipped', reason: 'truncated JSON', records, bytes };
  if (records === 0)
    return {
      kind: 'skipped',
      reason: invalid ? 'JSON but not CloudTrail records' : 'not JSON',
      records,
      bytes,
    };
  return { kind: 'ok', records, bytes };
}

async function nextChunk(it: AsyncIterator<Uint8Array>): Promise<{ value?: Uint8Array; error?: string }> {
  try {
    const r = await it.next();
    return r.done ? {} : { value: r.value };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

async function* prepend(first: Uint8Array, rest: AsyncIterator<Uint8Array>): AsyncIterable<Buffer> {
  yield Buffer.from(first.buffer, first.byteOffset, first.byteLength);
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
  }
}
