import { readFileSync } from 'node:fs';
import { idMode } from '../fs/id-mode.js';

/** What BuildKit-era package managers are happy with, and what the brief asks for. */
export const WANTED_NOFILE = 1048576;

const CAP_SYS_RESOURCE = 24n;

/**
 * RLIMIT_NOFILE for a step: 1048576 when strata may raise limits (CAP_SYS_RESOURCE),
 * otherwise strata's own hard limit, since runc fails the start with EPERM when asked for
 * more than the caller's hard limit without that capability (seen in sandboxes and CI).
 * In a user namespace the capability is there but counts for nothing: the kernel checks
 * CAP_SYS_RESOURCE against the initial namespace.
 */
export function nofileLimit(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const eff = /^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1];
    if (idMode().kind === 'root' && eff && (BigInt(`0x${eff}`) >> CAP_SYS_RESOURCE) & 1n)
      return WANTED_NOFILE;
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(limits)?.[1];
    if (hard === 'unlimited') return WANTED_NOFILE;
    const n = Number(hard);
    return Number.isFinite(n) && n > 0 ? Math.min(n, WANTED_NOFILE) : WANTED_NOFILE;
  } catch {
    return WANTED_NOFILE;
  }
}
