/**
 * The benchmark's origin: a local HTTPS server, run as its own process by bench/proxy.ts so the
 * direct and proxied runs use the same server. Usage: `node dist/bench/origin.js CERT KEY`.
 * Prints its port on stdout; exits when stdin closes (its parent ended) or after 30 minutes.
 *
 *   GET  any path -> 200 with a 1 KiB body
 *   PUT  any path -> the body is counted and discarded; 200 with `x-received: BYTES`
 */
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile) {
  process.stderr.write('usage: node dist/bench/origin.js CERT KEY\n');
  process.exit(2);
}

const BODY_SIZE = 1024;
const body = Buffer.alloc(BODY_SIZE, 'x');

const server = https.createServer(
  {
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    ALPNProtocols: ['http/1.1'],
    keepAliveTimeout: 120_000,
    requestTimeout: 0,
  },
  (req, res) => {
    if (req.method === 'PUT' || req.method === 'POST') {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-length': '0', 'x-received': String(received) });
        res.end();
      });
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(BODY_SIZE),
      etag: '"bench"',
    });
    res.end(body);
  },
);
server.on('clientError', (_err, socket) => socket.destroy());

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});

const stop = () => process.exit(0);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
setTimeout(stop, 30 * 60_000).unref();
