/**
 * speaksTls: whether `host` (`name:port`) completes a TLS handshake, checked without loading
 * any trust store. An https probe of a plain-http registry (localhost, an insecure registry)
 * with full trust first builds a secure context from Node's ~140 root certificates, plus the
 * extra CA bundle when one is set: 30-140 ms measured here (most of a pull's start-up), only
 * to fail at the server's first byte. With an empty CA list and no verification the answer
 * costs a connect and one round trip. It decides nothing about trust: a server that does
 * speak TLS is then probed again with full verification (RegistryClient.origin).
 *
 * Resolves false on any failure (refused, reset, not TLS, timeout); never rejects.
 */
import { connect } from 'node:tls';

const TIMEOUT_MS = 10_000;

export function speaksTls(host: string): Promise<boolean> {
  const url = new URL(`https://${host}`);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise<boolean>((resolve) => {
    const socket = connect({
      host: hostname,
      port: Number(url.port || 443),
      ca: [], // no root certificates: nothing to parse
      rejectUnauthorized: false, // only the handshake is asked about, not trust
      ...(/^[\d.]+$|:/.test(hostname) ? {} : { servername: hostname }),
    });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(TIMEOUT_MS, () => done(false));
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
