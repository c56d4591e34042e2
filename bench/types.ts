/** A benchmark's target: the figure must be `>=` or `<=` the value. */
export interface Target {
  op: '>=' | '<=';
  value: number;
}

/**
 * One measured figure. Benchmarks return `{ name, value, unit }`; they may add a `target`
 * (else bench/run.ts looks the name up in its own table) and a one-line `note`.
 */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: Target;
  note?: string;
}
