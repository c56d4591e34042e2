/**
 * A record splitter for exports too big to parse in one piece: it scans the bytes once and
 * hands out the text of each element of the record array (`{"Records": [...]}`, `{"Events":
 * [...]}`, `{"QueryResultRows": [...]}` or a top-level array), or each top-level value of an
 * NDJSON stream. Memory is one element, whatever the file's size. JSON's structural characters
 * are ASCII, so scanning UTF-8 bytes is safe.
 */

import { BACKSLASH, CLOSE_ARR, CLOSE_OBJ, COLON, OPEN_ARR, OPEN_OBJ, QUOTE } from './json-chars.js';
import { CONTAINER_KEYS, type ContainerKind } from './records.js';

export type ElementSink = (kind: ContainerKind, text: string) => void;

export class RecordSplitter {
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Depth at which elements start (1 in a top-level array, 2 under a container key); 0: none. */
  private elementDepth = 0;
  private kind: ContainerKind = 'single';
  /** Pieces of the value being collected (an element, or a whole top-level value). */
  private parts: Buffer[] = [];
  private collecting = false;
  /** The last string closed at depth 1 (a candidate key) and where it started. */
  private keyStart = -1;
  private keyParts: Buffer[] = [];
  private lastKey = '';
  private rootIsObject = false;
  /** Bytes that are neither whitespace nor part of JSON values: a sign of a non-JSON file. */
  junk = 0;

  constructor(private readonly sink: ElementSink) {}

  push(chunk: Buffer): void {
    let start = this.collecting ? 0 : -1;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk[i] as number;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === BACKSLASH) this.escape = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.depth === 1 && this.rootIsObject && this.keyStart >= 0) {
            this.keyParts.push(chunk.subarray(this.keyStart, i));
            this.lastKey = Buffer.concat(this.keyParts).toString('utf8');
            this.keyParts = [];
            this.keyStart = -1;
          }
        }
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        if (this.depth === 1 && this.rootIsObject) {
          this.keyStart = i + 1;
          this.keyParts = [];
        }
        continue;
      }
      if (c === OPEN_OBJ || c === OPEN_ARR) {
        if (this.depth === 0) {
          this.rootIsObject = c === OPEN_OBJ;
          this.elementDepth = c === OPEN_ARR ? 1 : 0;
          this.kind = c === OPEN_ARR ? 'array' : 'single';
          this.collecting = c === OPEN_OBJ;
          start = c === OPEN_OBJ ? i : -1;
          this.parts = [];
        } else if (this.depth === 1 && c === OPEN_ARR && this.rootIsObject && this.isContainerKey()) {
          // A container under a known key: drop the root collected so far, split its elements.
          this.kind = this.lastKey as ContainerKind;
          this.elementDepth = 2;
          this.collecting = false;
          this.parts = [];
          start = -1;
        } else if (this.depth === this.elementDepth) {
          this.collecting = true;
          this.parts = [];
          start = i;
        }
        this.depth++;
        continue;
      }
      if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        this.depth--;
        if (this.collecting && (this.depth === this.elementDepth || this.depth === 0) && start >= 0) {
          const isElement = this.depth === this.elementDepth && this.elementDepth > 0;
          if (isElement || this.depth === 0) {
            this.parts.push(chunk.subarray(start, i + 1));
            this.emit(isElement ? this.kind : 'single');
            start = -1;
          }
        }
        if (this.depth === 0) {
          this.elementDepth = 0;
          this.rootIsObject = false;
          this.lastKey = '';
        }
        continue;
      }
      if (
        this.depth === 0 &&
        c !== 0x20 &&
        c !== 0x0a &&
        c !== 0x0d &&
        c !== 0x09 &&
        c !== 0xef &&
        c !== 0xbb &&
        c !== 0xbf &&
        c !== COLON &&
        c !== 0x2c
      ) {
        this.junk++;
      }
    }
    if (this.inString && this.keyStart >= 0) {
      this.keyParts.push(chunk.subarray(this.keyStart));
      this.keyStart = 0;
    }
    if (this.collecting && start >= 0) this.parts.push(chunk.subarray(start));
  }

  /** True when the input ended in the middle of a value. */
  get incomplete(): boolean {
    return this.depth !== 0 || this.inString;
  }

  private isContainerKey(): boolean {
    return (CONTAINER_KEYS as readonly string[]).includes(this.lastKey);
  }

  private emit(kind: ContainerKind): void {
    const text =
      this.parts.length === 1
        ? (this.parts[0] as Buffer).toString('utf8')
        : Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    this.collecting = false;
    this.sink(kind, text);
  }
}
