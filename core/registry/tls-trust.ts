/**
 * Extra CA certificates that strata adds to its own TLS connections, when the launcher took
 * them over from Node.
 *
 * Node 20 reads and parses the whole NODE_EXTRA_CA_CERTS bundle at start-up, before any of
 * strata runs: ~60 ms for a distribution's 140-certificate bundle (measured here: `node -e 0`
 * 40 ms without it, 100 ms with it), more than Node's own start, and paid by every command
 * though only registry traffic and `ADD <url>` use TLS. So the launcher (cmd/strata.sh)
 * moves the path to STRATA_EXTRA_CA_CERTS, cmd/main.ts hands it to adoptDeferredCa()
 * (deferred-ca.ts), and the certificates are read when the first TLS connection is made:
 * trust is what NODE_EXTRA_CA_CERTS would have given (Node's bundled roots plus the file's).
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { deferredCaPath } from './deferred-ca.js';

/** The secure context for the deferred file, made once per file (undefined: unreadable). */
let made: { from: string; ctx: SecureContext | undefined } | undefined;
let trusted: { from: string | undefined; fetch: Promise<typeof fetch> } | undefined;

/**
 * The TLS options for a connection: `{}` when Node's defaults are the right trust, else one
 * secure context with Node's roots plus the deferred file's certificates. It is made once:
 * passing the CA list itself would make Node parse all ~140 certificates again for every new
 * connection (30-130 ms each, measured here). An unreadable file is ignored with a warning,
 * as Node does with NODE_EXTRA_CA_CERTS.
 */
export function tlsTrustOptions(): { secureContext?: SecureContext } {
  const from = deferredCaPath();
  if (from === undefined) return {};
  if (made?.from !== from) {
    let ctx: SecureContext | undefined;
    try {
      ctx = createSecureContext({ ca: [...rootCertificates, readFileSync(from, 'utf8')] });
    } catch (err) {
      process.emitWarning(`Ignoring extra certs from \`${from}\`, load failed: ${(err as Error).message}`);
    }
    made = { from, ctx };
  }
  return made.ctx ? { secureContext: made.ctx } : {};
}

/**
 * fetch with the trust above: the global fetch when Node's defaults are right, else undici's
 * fetch with an Agent that connects with the secure context above (Node's fetch is undici;
 * its built-in copy takes no TLS options, so the package is loaded here, only when needed).
 */
function trustedFetch(): Promise<typeof fetch> {
  const from = deferredCaPath();
  if (trusted !== undefined && trusted.from === from) return trusted.fetch;
  const fetchFor = (async () => {
    const trust = tlsTrustOptions();
    if (trust.secureContext === undefined) return globalThis.fetch;
    const undici = await import('undici');
    const dispatcher = new undici.Agent({ connect: trust });
    return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
      undici.fetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
  })();
  trusted = { from, fetch: fetchFor };
  return fetchFor;
}

/** A fetch that resolves trustedFetch() on its first call (for code that wants a plain function). */
export const fetchWithTrust: typeof fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
  (await trustedFetch())(input, init)) as typeof fetch;
