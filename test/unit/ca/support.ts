/** Shared helpers for the CA tests: temp homes and the external verifiers (openssl, curl, python3). */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL_HINTS: Record<string, string> = {
  openssl: 'install OpenSSL 3 (Debian/Ubuntu: apt-get install openssl)',
  curl: 'install curl built with OpenSSL (Debian/Ubuntu: apt-get install curl)',
  python3: 'install Python 3 with its ssl module (Debian/Ubuntu: apt-get install python3)',
};

/** Fails (never skips) when `tool` is not installed, saying what to install. */
export function requireTool(tool: 'openssl' | 'curl' | 'python3'): void {
  const probe = spawnSync(tool, [tool === 'openssl' ? 'version' : '--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    assert.fail(`this test needs \`${tool}\` on PATH: ${INSTALL_HINTS[tool]}`);
  }
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool without blocking the event loop (TLS servers in this process keep answering). */
export function run(tool: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(tool, args, { encoding: 'utf8', env, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const homes: string[] = [];
process.once('exit', () => {
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

/** A fresh LEASTPRIV_HOME under the OS temp folder (never the real home), removed on exit. */
export function tempHome(): string {
  const home = fs.mkdtempSync(join(tmpdir(), 'leastpriv-ca-test-'));
  homes.push(home);
  return home;
}

/** Writes `text` to a new file under `dir` and returns its path. */
export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  fs.writeFileSync(path, text);
  return path;
}
