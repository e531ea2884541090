/**
 * The extra-CA file the `strata` launcher took over from NODE_EXTRA_CA_CERTS (why:
 * core/registry/tls-trust.ts). Kept apart from tls-trust so that the CLI entry can adopt it
 * without loading node:tls (8 ms) for commands that never open a TLS connection.
 */
let deferredPath: string | undefined;

/**
 * Takes over `env.STRATA_EXTRA_CA_CERTS` (set by the launcher) and puts it back as
 * NODE_EXTRA_CA_CERTS, so the processes strata starts see the environment the user set.
 * Does nothing when Node loaded NODE_EXTRA_CA_CERTS itself.
 */
export function adoptDeferredCa(env: NodeJS.ProcessEnv): void {
  const file = env.STRATA_EXTRA_CA_CERTS;
  delete env.STRATA_EXTRA_CA_CERTS;
  if (!file || env.NODE_EXTRA_CA_CERTS) return;
  deferredPath = file;
  env.NODE_EXTRA_CA_CERTS = file;
}

/** The adopted file, if any. */
export function deferredCaPath(): string | undefined {
  return deferredPath;
}
