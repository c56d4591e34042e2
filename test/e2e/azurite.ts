/**
 * Azurite (npm `azurite`), the Azure Storage emulator, started for a test on a free port: one
 * service (Blob or Table), data in the test's folder, stopped with its process group.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, ROOT, stopGroup } from './support.js';

export interface Azurite {
  /** `http://127.0.0.1:PORT`: what `--upstream blob.core.windows.net=URL` names. */
  url: string;
  stop(): Promise<void>;
}

/** Starts Azurite's `service` and waits (up to 30 s) until it answers. */
export async function startAzurite(service: 'blob' | 'table', dir: string): Promise<Azurite> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    join(ROOT, `node_modules/.bin/azurite-${service}`),
    [
      `--${service}Host`,
      '127.0.0.1',
      `--${service}Port`,
      String(port),
      '--location',
      join(dir, 'data'),
      '--silent',
      '--skipApiVersionCheck',
      '--disableTelemetry',
    ],
    { stdio: 'ignore', detached: true },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await (await fetch(`${url}/devstoreaccount1/`)).arrayBuffer();
      break; // any answer: it listens
    } catch {
      if (Date.now() > deadline) {
        await stopGroup(child);
        assert.fail(`Azurite (${service}) did not answer on ${url} within 30 s`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { url, stop: () => stopGroup(child) };
}
