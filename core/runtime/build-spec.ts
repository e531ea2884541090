import type { RunMount, RunNetwork } from './run-mount.js';
import { sandboxSeccomp } from './seccomp.js';
import type { Mount, Namespace, Spec, User } from './spec.js';

/** Everything `buildSpec` needs; all paths on the host side are absolute. */
export interface SpecInput {
  /** Host path of the mounted root filesystem (becomes `root.path`). */
  rootfs: string;
  args: string[];
  env: string[];
  /** Absolute, already checked with `assertSafeCwd`. */
  cwd: string;
  user: User;
  hostname: string;
  network: RunNetwork;
  mounts: RunMount[];
  /** Generated files bind-mounted read-only over /etc/resolv.conf and /etc/hosts. */
  resolvConf: string;
  hosts: string;
  /** Add a cgroup namespace (do so on a cgroup v2 host, as Docker does). */
  cgroupNamespace: boolean;
  /** runc cgroup path; unset lets runc pick one. */
  cgroupsPath?: string;
  /** RLIMIT_NOFILE soft and hard; default 1048576. */
  nofile?: number;
  /**
   * `RUN --security`: 'sandbox' (the default) adds the seccomp filter of seccomp.ts;
   * 'insecure' grants every capability, drops seccomp and the masked and read-only paths and
   * mounts /sys writable, as BuildKit's insecure mode does (the caller checks the entitlement).
   */
  security?: 'sandbox' | 'insecure';
  /**
   * What an insecure step is granted; default every capability. runc cannot grant one its
   * own process lacks, so callers pass what they hold (heldCapabilities).
   */
  insecureCapabilities?: readonly string[];
  /**
   * Set when strata runs as the root of a user namespace (rootless.ts): the kernel refuses a
   * new sysfs there unless the step has its own network namespace, so /sys is the host's,
   * bound read-only (what `runc spec --rootless` does); devpts gets gid=5 only when gid 5 can
   * own files here (a single-id mapping has only gid 0).
   */
  rootless?: { ttyGroupMapped: boolean };
}

/** PATH a step gets when its env has none (BuildKit's and Docker's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Every capability Linux defines (capability.h, up to 5.9); runc skips any its kernel lacks. */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** The capabilities in a capability mask (CapBnd of /proc/<pid>/status): bit n is capability n. */
export function heldCapabilities(mask: bigint): string[] {
  return ALL_CAPABILITIES.filter((_, bit) => ((mask >> BigInt(bit)) & 1n) === 1n);
}

/** Docker's default capability set (moby oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Docker's default mounts, in order; they are the first entries of every spec. */
export const DEFAULT_MOUNTS: readonly Mount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  {
    destination: '/dev',
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
  },
  {
    destination: '/dev/pts',
    type: 'devpts',
    source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
  },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  {
    destination: '/sys/fs/cgroup',
    type: 'cgroup',
    source: 'cgroup',
    options: ['ro', 'nosuid', 'noexec', 'nodev'],
  },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  {
    destination: '/dev/shm',
    type: 'tmpfs',
    source: 'shm',
    options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
  },
];

/** The mount entry for one RUN --mount (or secret file). */
export function specMount(m: RunMount): Mount {
  switch (m.type) {
    case 'bind':
      return {
        destination: m.target,
        type: 'bind',
        source: m.source,
        options: ['rbind', m.readonly ? 'ro' : 'rw'],
      };
    case 'file':
      // No devices, no setuid; secrets no exec either, like BuildKit's secret tmpfs.
      return {
        destination: m.target,
        type: 'bind',
        source: m.source,
        options: ['rbind', 'ro', 'nosuid', 'nodev', ...(m.executable ? [] : ['noexec'])],
      };
    case 'tmpfs': {
      const options = ['nosuid', 'nodev'];
      if (m.size !== undefined) options.push(`size=${m.size}`);
      return { destination: m.target, type: 'tmpfs', source: 'tmpfs', options };
    }
  }
}

/**
 * The runtime-spec config for one RUN step, close to what BuildKit's runc executor gives a
 * build step: Docker's capabilities, default mounts, masked and read-only paths, device
 * rules and a seccomp filter (seccomp.ts); noNewPrivileges false so setuid tools work;
 * RLIMIT_NOFILE raised for package
 * managers. Pure: same input, same object.
 */
export function buildSpec(input: SpecInput): Spec {
  const env = [...input.env];
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(`PATH=${DEFAULT_PATH}`);
  const namespaces: Namespace[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  // 'none' gets its own namespace (runc brings up lo in it); 'host' and 'default' share
  // the host's, see RunNetwork.
  if (input.network === 'none') namespaces.push({ type: 'network' });
  if (input.cgroupNamespace) namespaces.push({ type: 'cgroup' });
  const insecure = input.security === 'insecure';
  const rootless = input.rootless;
  const mounts: Mount[] = DEFAULT_MOUNTS.map((m) => {
    const options = (m.options ?? []).filter(
      (o) =>
        // Insecure mode: a writable /sys, as BuildKit gives it.
        !(insecure && m.destination === '/sys' && o === 'ro') &&
        !(rootless && !rootless.ttyGroupMapped && o === 'gid=5'),
    );
    if (rootless && m.type === 'sysfs')
      return { destination: m.destination, type: 'bind', source: '/sys', options: ['rbind', ...options] };
    return { ...m, options };
  });
  mounts.push(
    { destination: '/etc/resolv.conf', type: 'bind', source: input.resolvConf, options: ['rbind', 'ro'] },
    { destination: '/etc/hosts', type: 'bind', source: input.hosts, options: ['rbind', 'ro'] },
  );
  for (const m of input.mounts) mounts.push(specMount(m));
  const caps = insecure ? [...(input.insecureCapabilities ?? ALL_CAPABILITIES)] : [...DEFAULT_CAPABILITIES];
  const spec: Spec = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: {
        uid: input.user.uid,
        gid: input.user.gid,
        ...(input.user.additionalGids?.length ? { additionalGids: [...input.user.additionalGids] } : {}),
      },
      args: [...input.args],
      env,
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: input.nofile ?? 1048576, hard: input.nofile ?? 1048576 }],
      noNewPrivileges: false,
    },
    root: { path: input.rootfs, readonly: false },
    hostname: input.hostname,
    mounts,
    linux: {
      namespaces,
      resources: {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
          { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
        ],
      },
      ...(insecure
        ? {}
        : { seccomp: sandboxSeccomp(), maskedPaths: [...MASKED_PATHS], readonlyPaths: [...READONLY_PATHS] }),
      // Mounts made inside the step never propagate back to the host.
      rootfsPropagation: 'rprivate',
    },
  };
  if (input.cgroupsPath !== undefined && spec.linux) spec.linux.cgroupsPath = input.cgroupsPath;
  return spec;
}
