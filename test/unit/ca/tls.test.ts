import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { loadOrCreateCa } from '../../../src/capture/proxy/ca.js';
import { LeafIssuer } from '../../../src/capture/proxy/x509.js';
import { requireTool, run, tempHome } from './support.js';

const HOSTS = ['s3.us-east-1.amazonaws.com', 'my.dotted.bucket.s3.eu-west-1.amazonaws.com'];

const PYTHON_CLIENT = `
import socket, ssl, sys
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
context = ssl.create_default_context(cafile=cafile or None)
context.verify_flags |= ssl.VERIFY_X509_STRICT
with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
    with context.wrap_socket(raw, server_hostname=host) as tls:
        print(tls.version(), dict(x[0] for x in tls.getpeercert()["subject"]).get("commonName"))
`;

const ca = loadOrCreateCa(tempHome());
const issuer = new LeafIssuer(ca.certPem, ca.keyPem);
const server = createServer(
  {
    SNICallback: (servername, cb) => {
      try {
        cb(null, issuer.secureContextFor(servername));
      } catch (err) {
        cb(err as Error);
      }
    },
  },
  (_req, res) => res.end('ok'),
);
let port = 0;

function nodeHandshake(host: string, withCa: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: host,
      ...(withCa ? { ca: ca.certPem } : {}),
    });
    socket.once('secureConnect', () => {
      const authorized = socket.authorized;
      const commonName = socket.getPeerCertificate().subject?.CN;
      socket.end();
      if (authorized) resolve(String(commonName));
      else reject(socket.authorizationError);
    });
    socket.once('error', reject);
  });
}

describe('a real TLS handshake with leaf certificates', () => {
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.close();
  });

  for (const host of HOSTS) {
    it(`succeeds from node with only our CA trusted, for ${host}`, async () => {
      assert.equal(await nodeHandshake(host, true), host);
    });

    it(`succeeds from curl --cacert for ${host}`, async () => {
      requireTool('curl');
      const args = [
        '-sS',
        '--max-time',
        '10',
        '--resolve',
        `${host}:${port}:127.0.0.1`,
        `https://${host}:${port}/`,
      ];
      const ok = await run('curl', ['--cacert', ca.certPath, ...args]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'ok');
      const rejected = await run('curl', args);
      assert.equal(rejected.code, 60, `curl without our CA: ${rejected.code} ${rejected.stderr}`);
    });

    it(`succeeds from Python ssl with VERIFY_X509_STRICT for ${host}`, async () => {
      requireTool('python3');
      const ok = await run('python3', ['-c', PYTHON_CLIENT, host, String(port), ca.certPath]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`^TLSv1\\.3 ${host.replaceAll('.', '\\.')}\\n$`));
      const rejected = await run('python3', ['-c', PYTHON_CLIENT, host, String(port), '']);
      assert.notEqual(rejected.code, 0);
      assert.match(rejected.stderr, /CERTIFICATE_VERIFY_FAILED/);
    });
  }

  it('fails from node without our CA', async () => {
    await assert.rejects(nodeHandshake(HOSTS[0] ?? '', false), (err: NodeJS.ErrnoException) => {
      assert.match(String(err.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
      return true;
    });
  });

  it('fails when the client asks for a host we do not intercept', async () => {
    await assert.rejects(nodeHandshake('example.com', true));
  });
});
