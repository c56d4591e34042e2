import type { CallRecord } from '../model/index.js';

/** The calls log: one JSON object per line, stable field order. */
export function callsToNdjson(records: readonly CallRecord[]): string {
  let out = '';
  for (const r of records) out += `${JSON.stringify(r)}\n`;
  return out;
}
