// A node:test reporter that prints, after the run, the slowest test files' top-level suites and
// tests with their wall times: what the e2e budgets (timeouts) are set from. scripts/test.mjs
// adds it next to the spec reporter.
import { relative } from 'node:path';

export default async function* slowest(source) {
  const started = Date.now();
  const tops = [];
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0) {
      tops.push({
        name: event.data.name,
        file: event.data.file ? relative(process.cwd(), event.data.file) : '',
        ms: event.data.details?.duration_ms ?? 0,
        failed: event.type === 'test:fail',
      });
    }
  }
  tops.sort((a, b) => b.ms - a.ms);
  yield `\nslowest (wall time of each top-level suite or test; ${((Date.now() - started) / 1000).toFixed(0)} s in all):\n`;
  for (const t of tops.slice(0, 12)) {
    yield `${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.failed ? 'FAILED ' : ''}${t.name}  ${t.file}\n`;
  }
}
