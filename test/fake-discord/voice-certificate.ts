import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

const SERVER_EXTENSIONS =
  'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n';

/**
 * A certificate authority and a loopback server certificate made at test time with `openssl`, for the fake voice
 * gateway's wss:// (Discord's voice gateway is TLS only and @discordjs/voice always dials `wss://ENDPOINT?v=8`).
 */
export interface TestCertificate extends AsyncDisposable {
  /** The CA certificate (PEM) the client must trust. */
  readonly caPem: string;
  /** Its file, for `NODE_EXTRA_CA_CERTS` when the bot runs as a child process. */
  readonly caPath: string;
  /** The server certificate, for 127.0.0.1 (IP subject alternative name), signed by the CA. */
  readonly certPem: string;
  readonly keyPem: string;
  /** Removes the temporary folder. */
  remove(): Promise<void>;
}

/** Makes a throw-away CA and a server certificate for 127.0.0.1 and localhost in a temporary folder. */
export async function createTestCertificate(): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'motif-voice-tls-'));
  const path = (name: string): string => join(dir, name);
  try {
    const subject = (cn: string): string[] => ['-subj', `/CN=${cn}`];
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-keyout', path('ca.key'), '-out', path('ca.pem'), ...subject('Motif test voice CA'),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]); // prettier-ignore
    await run('openssl', [
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path('server.key'), '-out', path('server.csr'), ...subject('127.0.0.1'),
    ]); // prettier-ignore
    await writeFile(path('server.ext'), SERVER_EXTENSIONS);
    await run('openssl', [
      'x509', '-req', '-in', path('server.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'),
      '-CAcreateserial', '-days', '2', '-out', path('server.pem'), '-extfile', path('server.ext'),
    ]); // prettier-ignore
    const [caPem, certPem, keyPem] = await Promise.all(
      ['ca.pem', 'server.pem', 'server.key'].map((name) => readFile(path(name), 'utf8')),
    );
    if (caPem === undefined || certPem === undefined || keyPem === undefined) throw new Error('openssl wrote nothing');
    const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
    return { caPem, caPath: path('ca.pem'), certPem, keyPem, remove, [Symbol.asyncDispose]: remove };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`could not make a test certificate with openssl: ${String(error)}`, { cause: error });
  }
}

/**
 * Makes this process's TLS clients trust `caPem` besides the usual roots, and returns the undo.
 *
 * @discordjs/voice opens its socket with `new WebSocket(url)` from `ws`, which calls `tls.connect` without a `ca`
 * option, so the process default store decides. `tls.setDefaultCACertificates` (Node ≥ 22.19 / 24.5) changes that
 * store for connections made afterwards, inside the test process, without touching the library. A bot started as a
 * child process gets `NODE_EXTRA_CA_CERTS=<caPath>` instead (read once at start-up).
 */
export function trustTestCertificate(caPem: string): () => void {
  if (typeof tls.setDefaultCACertificates !== 'function') {
    throw new Error('trusting a test CA in-process needs Node 22.19 or 24.5 (tls.setDefaultCACertificates)');
  }
  const before = tls.getCACertificates('default');
  tls.setDefaultCACertificates([...before, caPem]);
  return () => {
    tls.setDefaultCACertificates(before);
  };
}
