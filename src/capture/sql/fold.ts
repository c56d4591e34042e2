/**
 * Rows of the grouping query folded into distinct calls, the same way records read from files
 * are: the result is a `TrailRun` like the built-in reader's, so everything after it (policy,
 * calls log, per-principal files, summary) is shared.
 */
import { Aggregator, sortTuples } from '../cloudtrail/aggregate.js';
import type { TrailFilters } from '../cloudtrail/filters.js';
import type { TrailRun } from '../cloudtrail/pool.js';
import type { Skipped } from '../cloudtrail/process.js';
import { groupedEvents, type Row } from './rows.js';

export class RowFold {
  private readonly agg: Aggregator;
  /** Files the engine read, with how many records each holds (null: no `Records` array). */
  readonly files = new Map<string, number | null>();
  rows = 0;
  /** Rows that are not rows of the grouping query (a query or table of another shape). */
  badRows = 0;
  firstBadRow: string | null = null;

  constructor(filters: TrailFilters) {
    this.agg = new Aggregator(filters);
  }

  readonly add = (row: Row): void => {
    if (row.log_file !== undefined && row.log_file !== null) {
      const n = row.log_records;
      this.files.set(String(row.log_file), n === null || n === undefined ? null : Number(n));
      return;
    }
    this.rows++;
    const g = groupedEvents(row);
    if ('error' in g) {
      this.badRows++;
      this.firstBadRow ??= g.error;
      return;
    }
    this.agg.addGrouped(g.event, g.count, g.first, g.last);
  };

  /**
   * The distinct calls. `inputs` are the files the query was given, with their sizes: each one
   * the engine read nothing from, or found no records array in, is listed as skipped.
   */
  result(inputs: readonly { path: string; size: number }[] = []): TrailRun {
    const stats = this.agg.stats;
    const skipped: Skipped[] = [];
    for (const input of inputs) {
      stats.files++;
      stats.bytes += input.size;
      const records = this.files.get(input.path);
      if (records === undefined)
        skipped.push({ path: input.path, reason: 'corrupt gzip or empty: no JSON document could be read' });
      else if (records === null)
        skipped.push({
          path: input.path,
          reason:
            'JSON but not CloudTrail log records ({"Records": [...]}): the built-in reader (leave out --engine) reads the other shapes',
        });
    }
    stats.skippedFiles += skipped.length;
    skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { tuples: sortTuples(this.agg.result()), stats, skipped };
  }
}
