/**
 * The UDP listener for SDK client-side monitoring. Each datagram is parsed and checked field by
 * field on arrival; a malformed one is counted (with the first reasons) and ignored, never fatal.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { type CsmCall, type CsmUnresolved, parseDatagram } from './event.js';

export interface CsmStats {
  datagrams: number;
  calls: number;
  attempts: number;
  malformed: number;
  /** Why the first few malformed datagrams were ignored. */
  malformedExamples: string[];
}

export interface CsmListener {
  host: string;
  port: number;
  stats: CsmStats;
  close(): Promise<void>;
}

export interface CsmListenOptions {
  host: string;
  port: number;
  onCall: (event: CsmCall | CsmUnresolved) => void;
}

export function startCsmListener(options: CsmListenOptions): Promise<CsmListener> {
  const stats: CsmStats = { datagrams: 0, calls: 0, attempts: 0, malformed: 0, malformedExamples: [] };
  const socket: Socket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4' });
  const malformed = (why: string) => {
    stats.malformed++;
    if (stats.malformedExamples.length < 3) stats.malformedExamples.push(why);
  };
  socket.on('message', (msg) => {
    stats.datagrams++;
    let events: ReturnType<typeof parseDatagram>;
    try {
      events = parseDatagram(msg);
    } catch (err) {
      // A bug in parsing: one datagram is lost, the listener and every call so far are not.
      malformed(`could not be read (${(err as Error).message})`);
      return;
    }
    for (const e of events) {
      if (e.kind === 'attempt') stats.attempts++;
      else if (e.kind === 'malformed') malformed(e.why);
      else {
        try {
          options.onCall(e);
          stats.calls++;
        } catch (err) {
          malformed(`${e.operation} could not be recorded (${(err as Error).message})`);
        }
      }
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.host, () => {
      socket.off('error', reject);
      socket.on('error', () => {
        // A receive error on UDP loses one datagram at most: the listener keeps going.
      });
      try {
        // Bursts of calls arrive faster than one event-loop turn; a bigger buffer drops none.
        socket.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // the system caps the size: its own default stays
      }
      const address = socket.address();
      resolve({
        host: address.address,
        port: address.port,
        stats,
        close: () => new Promise((r) => socket.close(() => r())),
      });
    });
  });
}
