/**
 * `npm run bench`: runs every benchmark, prints a table and writes bench/results/latest.json
 * and latest.md (machine, date, each figure with its target and pass/fail).
 *
 *   node dist/bench/run.js [--only NAME]... [--profile]
 *
 * NAME is a benchmark (`proxy`, `resolve`, `policy`, `trail`, `scan`) or a part of one (`proxy.throughput`,
 * `proxy.latency`, `proxy.upload`, `proxy.ready`, `proxy.hostile`). `--profile` runs the throughput proxy under
 * `node --cpu-prof` (profiles in bench/results/profile/) and prints where its time went.
 * A partial run replaces the figures it measured and keeps the others (of the benchmarks
 * it did not run, and of the parts it did not run), each with the date it was measured.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchProxy, PROXY_PARTS, type ProxyPart } from './proxy.js';
import type { Figure, Target } from './types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = join(ROOT, 'bench/results');
const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Targets of the figures that do not carry their own. */
const TARGETS: Record<string, Target> = {
  'proxy.get1k_c32.ratio': { op: '>=', value: 0.75 },
  'proxy.latency_c1.added_p50': { op: '<=', value: 0.5 },
  'proxy.upload_1gib.rss_growth': { op: '<=', value: 64 },
  'proxy.ready': { op: '<=', value: 300 },
};

interface Bench {
  name: string;
  parts: readonly string[];
  run(parts: string[], profileDir: string | undefined): Promise<Figure[]>;
}

/** A benchmark in another bench file, loaded only if that file exists. */
function external(name: string, file: string, fn: string): Bench {
  return {
    name,
    parts: [],
    async run() {
      const mod = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as Record<string, unknown>;
      const bench = mod[fn];
      if (typeof bench !== 'function') throw new Error(`bench/${file} does not export ${fn}()`);
      return (await (bench as () => Promise<Figure[]>)()) ?? [];
    },
  };
}

const BENCHES: Bench[] = [
  {
    name: 'proxy',
    parts: PROXY_PARTS,
    run: (parts, profileDir) =>
      benchProxy({ parts: parts as ProxyPart[], ...(profileDir ? { profileDir } : {}) }),
  },
  external('resolve', 'resolve.js', 'benchResolve'),
  external('policy', 'policy.js', 'benchPolicy'),
  external('trail', 'trail.js', 'benchTrail'),
  external('scan', 'scan.js', 'benchScan'),
];

function available(b: Bench): boolean {
  if (b.name === 'proxy') return true;
  return existsSync(join(BENCH_DIR, `${b.name}.js`));
}

interface Row extends Figure {
  target: Target | undefined;
  pass: boolean | null;
  bench?: string;
}

function judge(f: Figure): Row {
  const target = f.target ?? TARGETS[f.name];
  let pass: boolean | null = null;
  if (target && Number.isFinite(f.value))
    pass = target.op === '>=' ? f.value >= target.value : f.value <= target.value;
  else if (target) pass = false;
  return { ...f, target, pass };
}

const targetText = (t: Target | undefined) => (t ? `${t.op} ${t.value}` : '');
const passText = (p: boolean | null) => (p === null ? '' : p ? 'pass' : 'FAIL');

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

function table(rows: Row[]): string {
  const cells = rows.map((r) => [r.name, String(r.value), r.unit, targetText(r.target), passText(r.pass)]);
  const head = ['figure', 'value', 'unit', 'target', 'result'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) =>
    c.map((s, i) => (i === 1 ? s.padStart(widths[i] as number) : s.padEnd(widths[i] as number))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** A figure as latest.json stores it, with the benchmark that measured it and when. */
interface Saved {
  name: string;
  value: number;
  unit: string;
  target: string | null;
  pass: boolean | null;
  note?: string;
  bench?: string;
  date?: string;
}

/**
 * Figures of an earlier run that this one does not measure again: those of benchmarks it did
 * not run in whole, unless measured now.
 */
function kept(ran: ReadonlySet<string>, measured: ReadonlySet<string>): Saved[] {
  const file = join(RESULTS, 'latest.json');
  if (!existsSync(file)) return [];
  try {
    const old = JSON.parse(readFileSync(file, 'utf8')) as { date?: string; figures?: Saved[] };
    return (old.figures ?? [])
      .filter((f) => !measured.has(f.name) && !(f.bench && ran.has(f.bench)))
      .map((f) => ({ ...f, date: f.date ?? old.date ?? 'unknown' }));
  } catch {
    return [];
  }
}

function markdown(
  info: ReturnType<typeof machine>,
  date: string,
  only: string[],
  figures: Saved[],
  errors: { bench: string; message: string }[],
): string {
  const partial = figures.some((f) => f.date !== date);
  const md = [
    '# leastpriv benchmark results',
    '',
    `- date: ${date}`,
    `- machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.os}`,
    `- node: ${info.node}`,
    `- command: \`npm run bench${only.map((o) => ` -- --only ${o}`).join('')}\`${only.length ? ' (partial run)' : ''}`,
    ...(partial ? ['- figures from earlier runs are kept, with the date they were measured'] : []),
    '',
    '| figure | value | unit | target | result | note |',
    '|---|---:|---|---|---|---|',
    ...figures.map((f) => {
      const when = f.date !== date ? ` (measured ${f.date?.slice(0, 16).replace('T', ' ')})` : '';
      return `| ${f.name} | ${f.value} | ${f.unit} | ${f.target ?? ''} | ${passText(f.pass)} | ${f.note ?? ''}${when} |`;
    }),
  ];
  if (errors.length > 0) md.push('', '## Errors', '', ...errors.map((e) => `- ${e.bench}: ${e.message}`));
  return `${md.join('\n')}\n`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: node dist/bench/run.js [--only NAME]... [--profile]\n' +
        `NAME: ${BENCHES.flatMap((b) => [b.name, ...b.parts.map((p) => `${b.name}.${p}`)]).join(', ')}\n`,
    );
    return 0;
  }
  const only = values.only ?? [];
  const plan: { bench: Bench; parts: string[] }[] = [];
  for (const bench of BENCHES) {
    const parts = new Set<string>();
    let whole = only.length === 0;
    for (const o of only) {
      if (o === bench.name) whole = true;
      else if (o.startsWith(`${bench.name}.`) && bench.parts.includes(o.slice(bench.name.length + 1)))
        parts.add(o.slice(bench.name.length + 1));
    }
    if (whole) plan.push({ bench, parts: [...bench.parts] });
    else if (parts.size > 0) plan.push({ bench, parts: [...parts] });
  }
  const unknown = only.filter(
    (o) => !BENCHES.some((b) => o === b.name || b.parts.some((p) => o === `${b.name}.${p}`)),
  );
  if (unknown.length > 0 || (only.length > 0 && plan.length === 0)) {
    process.stderr.write(`bench: unknown --only ${unknown.join(', ')}; see --help\n`);
    return 2;
  }

  const profileDir = values.profile ? join(RESULTS, 'profile') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const date = new Date().toISOString();
  const info = machine();
  process.stderr.write(`bench: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, node ${info.node}\n`);
  const figures: (Figure & { bench: string })[] = [];
  const errors: { bench: string; message: string }[] = [];
  for (const { bench, parts } of plan) {
    if (!available(bench)) {
      process.stderr.write(`bench: ${bench.name}: bench/${bench.name}.ts is not written yet, skipped\n`);
      continue;
    }
    const t0 = Date.now();
    try {
      figures.push(...(await bench.run(parts, profileDir)).map((f) => ({ ...f, bench: bench.name })));
      process.stderr.write(`bench: ${bench.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      const message = (err as Error).stack ?? String(err);
      errors.push({ bench: bench.name, message: (err as Error).message ?? String(err) });
      process.stderr.write(`bench: ${bench.name} failed: ${message}\n`);
    }
  }

  const rows = figures.map(judge);
  process.stdout.write(`\n${table(rows)}\n`);
  mkdirSync(RESULTS, { recursive: true });
  const now: Saved[] = rows.map((r) => ({
    name: r.name,
    value: r.value,
    unit: r.unit,
    target: r.target ? targetText(r.target) : null,
    pass: r.pass,
    ...(r.note ? { note: r.note } : {}),
    bench: r.bench,
    date,
  }));
  const ran = new Set(plan.filter((p) => p.parts.length === p.bench.parts.length).map((p) => p.bench.name));
  const saved = [...now, ...(only.length > 0 ? kept(ran, new Set(now.map((f) => f.name))) : [])];
  const order = new Map(BENCHES.map((b, i) => [b.name, i]));
  saved.sort((a, b) => (order.get(a.bench ?? '') ?? 99) - (order.get(b.bench ?? '') ?? 99));
  const json = { date, machine: info, only: only.length > 0 ? only : null, figures: saved, errors };
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'latest.md'), markdown(info, date, only, saved, errors));
  process.stderr.write(`bench: wrote bench/results/latest.json and latest.md\n`);
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
