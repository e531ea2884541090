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

let loadedFrom: string | undefined;
let loaded: string[] | null | undefined;
let context: { from: string; ctx: SecureContext } | undefined;
let trusted: { from: string | undefined; fetch: Promise<typeof fetch> } | undefined;

/**
 * The CA list for a TLS connection (Node's roots plus the deferred file), or undefined when
 * Node's defaults already are the right trust. An unreadable file is ignored with a warning,
 * as Node does with NODE_EXTRA_CA_CERTS.
 */
export function extraCaList(): string[] | undefined {
  const deferredPath = deferredCaPath();
  if (deferredPath === undefined) return undefined;
  if (loaded === undefined || loadedFrom !== deferredPath) {
    loadedFrom = deferredPath;
    try {
      loaded = [...rootCertificates, readFileSync(deferredPath, 'utf8')];
    } catch (err) {
      process.emitWarning(
        `Ignoring extra certs from \`${deferredPath}\`, load failed: ${(err as Error).message}`,
      );
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/**
 * The TLS options for a connection with the trust above: `{}` when Node's defaults are
 * right, else one secure context made once. Passing the CA list itself would make Node parse
 * all ~140 certificates again for every new connection (30-130 ms each, measured here).
 */
export function tlsTrustOptions(): { secureContext?: SecureContext } {
  const ca = extraCaList();
  const from = deferredCaPath();
  if (ca === undefined || from === undefined) return {};
  if (context?.from !== from) context = { from, ctx: createSecureContext({ ca }) };
  return { secureContext: context.ctx };
}

/**
 * fetch with the trust above: the global fetch when Node's defaults are right, else undici's
 * fetch with an Agent that connects with the secure context above (Node's fetch is undici;
 * its built-in copy takes no TLS options, so the package is loaded here, only when needed).
 */
export function trustedFetch(): Promise<typeof fetch> {
  const from = deferredCaPath();
  if (trusted !== undefined && trusted.from === from) return trusted.fetch;
  const made = (async () => {
    const trust = tlsTrustOptions();
    if (trust.secureContext === undefined) return globalThis.fetch;
    const undici = await import('undici');
    const dispatcher = new undici.Agent({ connect: trust });
    return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
      undici.fetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
  })();
  trusted = { from, fetch: made };
  return made;
}

/** A fetch that resolves trustedFetch() on its first call (for code that wants a plain function). */
export const fetchWithTrust: typeof fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
  (await trustedFetch())(input, init)) as typeof fetch;
