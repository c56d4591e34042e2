/**
 * `leastpriv scan` over a generated repository of 1,000,000 lines: JavaScript, TypeScript,
 * Python and Go files of application code, a third of them with AWS SDK calls of the shapes
 * the scanner reads (v3 commands, aggregated clients, lib-storage, paginators and waiters;
 * boto3 clients, resources, paginators and transfers; Go SDK v2 clients, paginators, waiters
 * and the transfer manager), the rest plain code (handlers, models, helpers, tests) as in a
 * real service. Generated once under the temporary directory (deterministic), then scanned by
 * the CLI in a child process: wall time, files and lines per second, peak RSS.
 *
 *   node dist/bench/run.js --only scan          (LEASTPRIV_BENCH_SCAN_LINES=N for another size)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure } from './types.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const LINES = Number(process.env.LEASTPRIV_BENCH_SCAN_LINES ?? 1_000_000);
/** Bumped when the generator changes, so an old corpus is not reused. */
const VERSION = 1;
const USAGE_HOOK = `data:text/javascript,process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('USAGE '+u.maxRSS+' '+(u.userCPUTime+u.systemCPUTime)+'\\n')})`;
const RUNS = 3;

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Lang = 'js' | 'ts' | 'py' | 'go';

/** Plain code: what most of a repository is. */
function plain(lang: Lang, i: number, n: number): string[] {
  const out: string[] = [];
  for (let k = 0; out.length < n; k++) {
    const f = `handle${i}x${k}`;
    if (lang === 'py') {
      out.push(
        `def ${f}(event, context=None):`,
        `    """Validates the order in the event and returns a summary."""`,
        `    items = [x for x in event.get("items", []) if x.get("qty", 0) > 0]`,
        `    total = sum(x["qty"] * x.get("price", 0) for x in items)`,
        `    if total > ${k * 10 + 100}:`,
        `        return {"status": "review", "total": total, "id": event.get("id")}`,
        `    return {"status": "ok", "total": total, "count": len(items)}`,
        '',
      );
    } else if (lang === 'go') {
      out.push(
        `func ${f}(items []Item) (int, error) {`,
        '\ttotal := 0',
        '\tfor _, it := range items {',
        '\t\tif it.Qty <= 0 {',
        `\t\t\treturn 0, fmt.Errorf("item %s: bad quantity %d", it.ID, it.Qty)`,
        '\t\t}',
        '\t\ttotal += it.Qty * it.Price',
        '\t}',
        `\treturn total + ${k}, nil`,
        '}',
        '',
      );
    } else {
      const t = lang === 'ts' ? ': Order' : '';
      const r = lang === 'ts' ? ': Summary' : '';
      out.push(
        `export function ${f}(order${t})${r} {`,
        '  const items = (order.items ?? []).filter((x) => x.qty > 0);',
        '  const total = items.reduce((sum, x) => sum + x.qty * (x.price ?? 0), 0);',
        `  if (total > ${k * 10 + 100}) {`,
        "    return { status: 'review', total, id: order.id };",
        '  }',
        `  return { status: 'ok', total, count: items.length, tag: \`batch-\${order.id}-${k}\` };`,
        '}',
        '',
      );
    }
  }
  return out.slice(0, n);
}

const S3_OPS_JS = ['GetObject', 'PutObject', 'DeleteObject', 'HeadObject'];

/** A file with SDK calls: imports, clients, then functions each making a few calls. */
function sdkFile(lang: Lang, i: number, n: number, rnd: () => number): string[] {
  const bucket = `app-bucket-${i % 37}`;
  const table = `app-table-${i % 23}`;
  const out: string[] = [];
  if (lang === 'py') {
    out.push(
      'import os',
      '',
      'import boto3',
      '',
      `BUCKET = os.environ.get("BUCKET", "${bucket}")`,
      `TABLE = "${table}"`,
      's3 = boto3.client("s3", region_name="us-east-1")',
      'sqs = boto3.client("sqs")',
      'table = boto3.resource("dynamodb").Table(TABLE)',
      '',
    );
    for (let k = 0; out.length < n; k++) {
      const op = Math.floor(rnd() * 5);
      out.push(`def job${i}x${k}(key, body):`);
      if (op === 0) out.push(`    s3.put_object(Bucket=BUCKET, Key=f"in/{key}.json", Body=body)`);
      else if (op === 1)
        out.push(`    return s3.get_object(Bucket=BUCKET, Key="cfg/${k}.json")["Body"].read()`);
      else if (op === 2) out.push('    table.put_item(Item={"pk": key, "body": body})');
      else if (op === 3)
        out.push(
          '    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="in/"):',
          '        print(len(page.get("Contents", [])))',
        );
      else out.push(`    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=body)`);
      out.push('    return None', '');
    }
  } else if (lang === 'go') {
    out.push(
      'package jobs',
      '',
      'import (',
      '\t"context"',
      '\t"os"',
      '',
      '\t"github.com/aws/aws-sdk-go-v2/aws"',
      '\t"github.com/aws/aws-sdk-go-v2/config"',
      '\t"github.com/aws/aws-sdk-go-v2/feature/s3/manager"',
      '\t"github.com/aws/aws-sdk-go-v2/service/dynamodb"',
      '\t"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"',
      '\t"github.com/aws/aws-sdk-go-v2/service/s3"',
      ')',
      '',
      `const bucket = "${bucket}"`,
      `const table = "${table}"`,
      '',
    );
    for (let k = 0; out.length < n; k++) {
      const op = Math.floor(rnd() * 4);
      out.push(
        `func job${i}x${k}(ctx context.Context, key string) error {`,
        '\tcfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(os.Getenv("AWS_REGION")))',
        '\tif err != nil {',
        '\t\treturn err',
        '\t}',
      );
      if (op === 0)
        out.push(
          '\tclient := s3.NewFromConfig(cfg)',
          '\t_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("out/" + key)})',
        );
      else if (op === 1)
        out.push(
          '\tdb := dynamodb.NewFromConfig(cfg)',
          '\t_, err = db.GetItem(ctx, &dynamodb.GetItemInput{',
          '\t\tTableName: aws.String(table),',
          '\t\tKey:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: key}},',
          '\t})',
        );
      else if (op === 2)
        out.push(
          '\tp := s3.NewListObjectsV2Paginator(s3.NewFromConfig(cfg), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})',
          '\tfor p.HasMorePages() {',
          '\t\tif _, err = p.NextPage(ctx); err != nil {',
          '\t\t\treturn err',
          '\t\t}',
          '\t}',
        );
      else
        out.push(
          '\tup := manager.NewUploader(s3.NewFromConfig(cfg))',
          '\t_, err = up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big/" + key)})',
        );
      out.push('\treturn err', '}', '');
    }
  } else {
    out.push(
      "import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';",
      `import { ${S3_OPS_JS.map((o) => `${o}Command`).join(', ')}, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';`,
      "import { SQS } from '@aws-sdk/client-sqs';",
      '',
      `const BUCKET = process.env.BUCKET ?? '${bucket}';`,
      `const TABLE = '${table}';`,
      "const s3 = new S3Client({ region: 'us-east-1' });",
      'const ddb = new DynamoDBClient({});',
      'const sqs = new SQS({});',
      '',
    );
    const arg = lang === 'ts' ? 'id: string, body: string' : 'id, body';
    for (let k = 0; out.length < n; k++) {
      const op = Math.floor(rnd() * 5);
      out.push(`export async function job${i}x${k}(${arg}) {`);
      if (op === 0)
        out.push(
          `  await s3.send(new ${S3_OPS_JS[k % 4]}Command({ Bucket: BUCKET, Key: \`in/\${id}.json\`, Body: body }));`,
        );
      else if (op === 1)
        out.push('  await ddb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: id } } }));');
      else if (op === 2)
        out.push('  return ddb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: id } } }));');
      else if (op === 3)
        out.push(
          "  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: BUCKET, Prefix: 'in/' })) {",
          '    console.log(page.KeyCount);',
          '  }',
        );
      else out.push('  await sqs.sendMessage({ QueueUrl: process.env.QUEUE_URL, MessageBody: body });');
      out.push('}', '');
    }
  }
  return out.slice(0, n);
}

const EXT: Record<Lang, string> = { js: '.mjs', ts: '.ts', py: '.py', go: '.go' };
/** The share of each language in the lines. */
const MIX: [Lang, number][] = [
  ['ts', 0.35],
  ['js', 0.15],
  ['py', 0.3],
  ['go', 0.2],
];

/** Generates the repository once; returns its folder and its counts. */
export function scanCorpus(
  lines = LINES,
  sdkShare = 1 / 3,
): { dir: string; files: number; lines: number; sdkFiles: number } {
  const share = sdkShare === 1 / 3 ? '' : `-sdk${Math.round(sdkShare * 100)}`;
  const dir = join(tmpdir(), `leastpriv-bench-scan-${lines}${share}-v${VERSION}`);
  const stamp = join(dir, 'corpus.json');
  if (existsSync(stamp)) return { dir, ...JSON.parse(readFileSync(stamp, 'utf8')) };
  rmSync(dir, { recursive: true, force: true });
  const rnd = random(42);
  let total = 0;
  let files = 0;
  let sdkFiles = 0;
  for (const [lang, share] of MIX) {
    let budget = Math.round(lines * share);
    for (let i = 0; budget > 0; i++) {
      const n = Math.min(budget, 60 + Math.floor(rnd() * 340));
      const sdk = rnd() < sdkShare;
      const header =
        lang === 'go'
          ? ['package jobs', '', 'import "fmt"', '', 'type Item struct{ ID string; Qty, Price int }', '']
          : [];
      const body = sdk ? sdkFile(lang, i, n, rnd) : [...header, ...plain(lang, i, n - header.length)];
      const folder = join(
        dir,
        `service-${i % 50}`,
        lang === 'py' ? 'app' : lang === 'go' ? 'internal' : 'src',
      );
      mkdirSync(folder, { recursive: true });
      writeFileSync(
        join(folder, `${sdk ? 'jobs' : 'logic'}_${lang}_${i}${EXT[lang]}`),
        `${body.join('\n')}\n`,
      );
      budget -= body.length;
      total += body.length;
      files++;
      if (sdk) sdkFiles++;
    }
  }
  writeFileSync(stamp, JSON.stringify({ files, lines: total, sdkFiles }));
  return { dir, files, lines: total, sdkFiles };
}

interface Run {
  seconds: number;
  maxRssMiB: number;
  cpuSeconds: number;
  callSites: number;
  files: number;
}

function scan(dir: string): Run {
  // the policy is written (and split into documents) as a user would get it, then removed
  const out = mkdtempSync(join(tmpdir(), 'leastpriv-bench-scan-out-'));
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      USAGE_HOOK,
      CLI,
      'scan',
      dir,
      '--account-id',
      '123456789012',
      '-o',
      join(out, 'policy.json'),
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`leastpriv scan failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /leastpriv scan: ([\d,]+) files?, ([\d,]+) call sites?/.exec(r.stderr);
  const usage = /USAGE (\d+) (\d+)/.exec(r.stderr);
  if (!m || !usage) throw new Error(`unexpected output: ${r.stderr.slice(0, 2000)}`);
  return {
    seconds,
    maxRssMiB: Math.round(Number(usage[1]) / 1024),
    cpuSeconds: Number(usage[2]) / 1e6,
    files: Number(m[1]?.replace(/,/g, '')),
    callSites: Number(m[2]?.replace(/,/g, '')),
  };
}

export async function benchScan(): Promise<Figure[]> {
  const corpus = scanCorpus();
  const runs = Array.from({ length: RUNS }, () => scan(corpus.dir)).sort((a, b) => a.seconds - b.seconds);
  const run = runs[Math.floor(runs.length / 2)] as Run;
  const peak = Math.max(...runs.map((r) => r.maxRssMiB));
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const what = `${fmt(corpus.lines)} lines in ${fmt(corpus.files)} files (${MIX.map(([l, s]) => `${l} ${s * 100}%`).join(', ')} of the lines; ${fmt(corpus.sdkFiles)} files with SDK calls), <tmp>/leastpriv-bench-scan-*`;
  // every file with SDK calls: no file is skipped unparsed, every call site is authorized
  const dense = scanCorpus(LINES, 1);
  const worst = scan(dense.dir);
  return [
    {
      name: 'scan.wall_1m_lines',
      value: Math.round(run.seconds * 100) / 100,
      unit: 's',
      target: { op: '<=', value: 20 },
      note: `the CLI in a child process, start to exit, median of ${RUNS} (${runs.map((r) => r.seconds.toFixed(2)).join(', ')} s); ${fmt(run.callSites)} call sites; CPU ${run.cpuSeconds.toFixed(1)} s; ${what}`,
    },
    { name: 'scan.lines_per_s', value: Math.round(corpus.lines / run.seconds), unit: 'lines/s' },
    { name: 'scan.files_per_s', value: Math.round(run.files / run.seconds), unit: 'files/s' },
    {
      name: 'scan.peak_rss',
      value: peak,
      unit: 'MiB',
      target: { op: '<=', value: 1024 },
      note: `max RSS of the scan process, highest of the ${RUNS} runs`,
    },
    {
      name: 'scan.wall_1m_lines_all_sdk',
      value: Math.round(worst.seconds * 100) / 100,
      unit: 's',
      note: `worst case, one run: every file has SDK calls (${fmt(dense.lines)} lines, ${fmt(dense.files)} files, ${fmt(worst.callSites)} call sites); ${fmt(dense.lines / worst.seconds)} lines/s; CPU ${worst.cpuSeconds.toFixed(1)} s`,
    },
    {
      name: 'scan.peak_rss_all_sdk',
      value: worst.maxRssMiB,
      unit: 'MiB',
      note: 'the same run: memory follows the call sites (each is kept for the calls log and --explain)',
    },
  ];
}
