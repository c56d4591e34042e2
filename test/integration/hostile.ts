/** Socket helpers for tests that misbehave on purpose: raw CONNECTs, half-open sockets, counting fds. */
import { readdirSync } from 'node:fs';
import * as net from 'node:net';

/** Sends `CONNECT target` on a fresh socket and reads the proxy's answer head. */
export function rawConnect(
  port: number,
  target: string,
  extra = '',
): Promise<{ socket: net.Socket; status: number; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${extra}\r\n`),
    );
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.pause();
      const head = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve({ socket, status: Number(head.split(' ')[1]), head });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`closed before an answer to CONNECT ${target}`)));
  });
}

/** Sends `text` on a fresh socket and collects everything the proxy answers until it closes. */
export function sendRaw(port: number, text: string | Buffer, waitMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    const timer = setTimeout(() => s.destroy(), waitMs);
    s.on('data', (c: Buffer) => {
      out += c.toString('latin1');
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** Resolves true once `socket` closes, false if it is still open after `ms`. */
export function closesWithin(socket: net.Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.on('error', () => {});
    socket.resume();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Polls until `fn()` is at most `limit` or `ms` passed; returns the last value. */
export async function settlesTo(fn: () => number, limit: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let v = fn();
  while (v > limit && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    v = fn();
  }
  return v;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
