/**
 * The seccomp filter of a sandboxed RUN step.
 *
 * A build step runs as root with Docker's capabilities and no user namespace, so what the
 * capabilities leave open is the kernel's whole syscall surface. Docker's and BuildKit's
 * default profile is an allow-list of ~350 syscalls; this is the other way round, written
 * for a builder: everything is allowed except the syscalls that default profile withholds
 * from an unprivileged container and that a build never needs, each answered EPERM:
 *
 * - kernel keyrings (not namespaced: shared with the host): add_key, keyctl, request_key;
 * - new user namespaces (inside one a process regains every capability, the usual first
 *   step of a container escape): unshare and clone with CLONE_NEWUSER, setns; clone3 gets
 *   ENOSYS, as in Docker's profile, so libc falls back to clone, whose flags a filter can see;
 * - mounting and the new mount API, module loading, kexec, reboot, swap, clocks, accounting,
 *   quotas, raw I/O ports, the kernel log, BPF, perf events, userfaultfd, io_uring (blocked
 *   by Docker since 25: libuv, Go and others fall back to threads), open_by_handle_at (the
 *   "shocker" escape), and a few obsolete calls.
 *
 * Unknown names are skipped by runc (an older kernel or libseccomp lacks some), so the list
 * can name newer syscalls. `RUN --security=insecure` runs without it (see build-spec.ts).
 */
import type { Seccomp, SeccompSyscall } from './spec.js';

const EPERM = 1;
const ENOSYS = 38;

/** Denied outright (EPERM). */
export const DENIED_SYSCALLS = [
  'acct',
  'add_key',
  'bpf',
  'clock_adjtime',
  'clock_settime',
  'create_module',
  'delete_module',
  'finit_module',
  'fsconfig',
  'fsmount',
  'fsopen',
  'fspick',
  'get_kernel_syms',
  'init_module',
  'io_uring_enter',
  'io_uring_register',
  'io_uring_setup',
  'ioperm',
  'iopl',
  'kexec_file_load',
  'kexec_load',
  'keyctl',
  'lookup_dcookie',
  'mount',
  'mount_setattr',
  'move_mount',
  'name_to_handle_at',
  'nfsservctl',
  'open_by_handle_at',
  'open_tree',
  'perf_event_open',
  'pivot_root',
  'query_module',
  'quotactl',
  'quotactl_fd',
  'reboot',
  'request_key',
  'setns',
  'settimeofday',
  'stime',
  'swapoff',
  'swapon',
  '_sysctl',
  'syslog',
  'umount',
  'umount2',
  'uselib',
  'userfaultfd',
  'ustat',
  'vm86',
  'vm86old',
];

/** clone(2)/unshare(2) flag that makes a user namespace. */
export const CLONE_NEWUSER = 0x10000000;

/** The seccomp architectures of `arch` (Node's process.arch): native plus its compat ABIs. */
function architectures(arch: string): string[] | undefined {
  if (arch === 'x64') return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
  if (arch === 'arm64') return ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];
  return undefined; // runc then filters the native architecture only
}

/** The filter for a sandboxed step (see the module comment). */
export function sandboxSeccomp(arch: string = process.arch): Seccomp {
  // clone's flags are its first argument on x86 and arm (s390 swaps the first two).
  const newUser = { index: 0, value: CLONE_NEWUSER, valueTwo: CLONE_NEWUSER, op: 'SCMP_CMP_MASKED_EQ' };
  const syscalls: SeccompSyscall[] = [
    { names: [...DENIED_SYSCALLS], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
    { names: ['clone', 'unshare'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [newUser] },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
  ];
  const archs = architectures(arch);
  return { defaultAction: 'SCMP_ACT_ALLOW', ...(archs ? { architectures: archs } : {}), syscalls };
}
