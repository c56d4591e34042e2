/** The capture page (`--ui`) as the commands start it: one call, one printed line, one close. */
import { LeastprivError } from '../errors.js';
import type { Session } from '../index.js';
import { startUiServer, type UiServer } from './server.js';

export { renderReport } from './report.js';
export type { UiServer } from './server.js';

/** `--ui-port`: 0 (a free port) unless given; a port implies `--ui`. */
export function uiPort(values: { ui?: boolean | undefined; 'ui-port'?: string | undefined }): number | null {
  const value = values['ui-port'];
  if (value === undefined) return values.ui ? 0 : null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new LeastprivError('usage', `--ui-port '${value}' is not a port number (0-65535)`);
  return n;
}

/**
 * Starts the page for a capture on 127.0.0.1 and prints its URL (with the token) once on
 * stderr, whatever `--quiet` says: it is the only way in.
 */
export async function openUi(session: Session, port: number, onWrite: () => string): Promise<UiServer> {
  let ui: UiServer;
  try {
    ui = await startUiServer({ session, port, onWrite });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EADDRINUSE' ? ': the port is taken, choose another with --ui-port' : '';
    throw new LeastprivError('listen', `cannot serve the page on 127.0.0.1:${port}${hint} (${e.message})`);
  }
  process.stderr.write(`leastpriv: watch this capture at ${ui.url}\n`);
  return ui;
}
