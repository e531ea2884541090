/**
 * A mount for one RUN step, already resolved to host paths by the caller (cache dirs,
 * build-context binds, secrets). Targets are absolute paths inside the container.
 */
export type RunMount =
  | { type: 'bind'; source: string; target: string; readonly: boolean }
  /** size in bytes; unset means the kernel default (half of RAM). */
  | { type: 'tmpfs'; target: string; size?: number }
  /**
   * A single host file, always read-only: a secret (noexec, like BuildKit's secret tmpfs)
   * or a `RUN <<EOF` script, which must be executable to run its `#!` line.
   */
  | { type: 'file'; source: string; target: string; readonly: true; executable?: boolean };

/**
 * Network mode of a RUN step.
 * - 'none': a fresh network namespace that holds only `lo` (up).
 * - 'host': the host's network namespace.
 * - 'default': also the host's network namespace. A daemonless builder has no bridge,
 *   CNI or slirp to attach a private namespace to, so (like BuildKit's `auto` worker
 *   network without a CNI config, and Docker's `docker build --network=host`) the step
 *   shares the host's interfaces and gets the host's resolv.conf. The difference to 'host'
 *   is only who may ask for it: 'host' is an entitlement the frontend must gate.
 */
export type RunNetwork = 'default' | 'none' | 'host';
