import { describe, expect, it } from 'vitest';
import {
  ALL_CAPABILITIES,
  buildSpec,
  DEFAULT_CAPABILITIES,
  heldCapabilities,
  type SpecInput,
} from '../../../core/runtime/build-spec.js';
import { CLONE_NEWUSER, sandboxSeccomp } from '../../../core/runtime/seccomp.js';

const input = (over: Partial<SpecInput> = {}): SpecInput => ({
  rootfs: '/state/rootfs',
  args: ['/bin/sh', '-c', 'echo hi'],
  env: ['FOO=bar'],
  cwd: '/app',
  user: { uid: 1000, gid: 1000, additionalGids: [50] },
  hostname: 'strata',
  network: 'none',
  mounts: [],
  resolvConf: '/state/resolv.conf',
  hosts: '/state/hosts',
  cgroupNamespace: false,
  ...over,
});

describe('buildSpec', () => {
  it('fills process, root and hostname from the input', () => {
    const s = buildSpec(input());
    expect(s.ociVersion).toBe('1.0.2');
    expect(s.root).toEqual({ path: '/state/rootfs', readonly: false });
    expect(s.hostname).toBe('strata');
    expect(s.process.terminal).toBe(false);
    expect(s.process.args).toEqual(['/bin/sh', '-c', 'echo hi']);
    expect(s.process.cwd).toBe('/app');
    expect(s.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [50] });
    expect(s.process.noNewPrivileges).toBe(false);
    expect(s.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }]);
  });

  it('adds the default PATH only when env has none', () => {
    expect(buildSpec(input()).process.env).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'FOO=bar',
    ]);
    expect(buildSpec(input({ env: ['PATH=/x'] })).process.env).toEqual(['PATH=/x']);
  });

  it("grants Docker's 14 default capabilities, none inheritable or ambient", () => {
    const caps = buildSpec(input()).process.capabilities;
    expect(DEFAULT_CAPABILITIES).toHaveLength(14);
    expect(caps).toEqual({
      bounding: DEFAULT_CAPABILITIES,
      effective: DEFAULT_CAPABILITIES,
      permitted: DEFAULT_CAPABILITIES,
    });
    expect(DEFAULT_CAPABILITIES).not.toContain('CAP_SYS_ADMIN');
  });

  it('creates a network namespace for none and shares the host one otherwise', () => {
    const types = (n: SpecInput['network']) =>
      buildSpec(input({ network: n })).linux?.namespaces?.map((x) => x.type);
    expect(types('none')).toEqual(['pid', 'ipc', 'uts', 'mount', 'network']);
    expect(types('default')).toEqual(['pid', 'ipc', 'uts', 'mount']);
    expect(types('host')).toEqual(['pid', 'ipc', 'uts', 'mount']);
    expect(buildSpec(input({ cgroupNamespace: true })).linux?.namespaces?.at(-1)).toEqual({ type: 'cgroup' });
  });

  it("mounts Docker's defaults, then resolv.conf and hosts, then the step's mounts", () => {
    const s = buildSpec(
      input({
        mounts: [
          { type: 'bind', source: '/cache/x', target: '/root/.cache', readonly: false },
          { type: 'bind', source: '/ctx', target: '/src', readonly: true },
          { type: 'tmpfs', target: '/tmp', size: 1024 },
          { type: 'file', source: '/secrets/a', target: '/run/secrets/a', readonly: true },
        ],
      }),
    );
    expect(s.mounts?.map((m) => m.destination)).toEqual([
      '/proc',
      '/dev',
      '/dev/pts',
      '/sys',
      '/sys/fs/cgroup',
      '/dev/mqueue',
      '/dev/shm',
      '/etc/resolv.conf',
      '/etc/hosts',
      '/root/.cache',
      '/src',
      '/tmp',
      '/run/secrets/a',
    ]);
    expect(s.mounts?.[3]).toEqual({
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', 'ro'],
    });
    expect(s.mounts?.[7]).toEqual({
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: '/state/resolv.conf',
      options: ['rbind', 'ro'],
    });
    expect(s.mounts?.[9]?.options).toEqual(['rbind', 'rw']);
    expect(s.mounts?.[10]?.options).toEqual(['rbind', 'ro']);
    expect(s.mounts?.[11]).toEqual({
      destination: '/tmp',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'size=1024'],
    });
    expect(s.mounts?.[12]?.options).toEqual(['rbind', 'ro', 'nosuid', 'nodev', 'noexec']);
    expect(s.mounts?.some((m) => m.destination === '/run')).toBe(false);
  });

  it("masks and write-protects Docker's paths and restricts devices", () => {
    const l = buildSpec(input()).linux;
    expect(l?.maskedPaths).toContain('/proc/kcore');
    expect(l?.maskedPaths).toContain('/sys/firmware');
    expect(l?.maskedPaths).toHaveLength(12);
    expect(l?.readonlyPaths).toEqual([
      '/proc/bus',
      '/proc/fs',
      '/proc/irq',
      '/proc/sys',
      '/proc/sysrq-trigger',
    ]);
    expect(l?.resources?.devices?.[0]).toEqual({ allow: false, access: 'rwm' });
    expect(l?.resources?.devices?.at(-1)).toEqual({
      allow: false,
      type: 'c',
      major: 10,
      minor: 229,
      access: 'rwm',
    });
  });

  it('filters syscalls in a sandboxed step: keyrings, new user namespaces, mounts, io_uring, ...', () => {
    const seccomp = buildSpec(input()).linux?.seccomp;
    expect(seccomp?.defaultAction).toBe('SCMP_ACT_ALLOW');
    const rule = (name: string) => seccomp?.syscalls?.filter((r) => r.names.includes(name)) ?? [];
    for (const name of [
      'keyctl',
      'add_key',
      'mount',
      'setns',
      'bpf',
      'io_uring_setup',
      'open_by_handle_at',
    ]) {
      expect(rule(name)).toEqual([expect.objectContaining({ action: 'SCMP_ACT_ERRNO', errnoRet: 1 })]);
      expect(rule(name)[0].args).toBeUndefined();
    }
    // clone and unshare only with CLONE_NEWUSER; clone3 (flags out of the filter's sight) ENOSYS.
    const newUser = { index: 0, value: CLONE_NEWUSER, valueTwo: CLONE_NEWUSER, op: 'SCMP_CMP_MASKED_EQ' };
    expect(rule('clone')).toEqual([
      { names: ['clone', 'unshare'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [newUser] },
    ]);
    expect(rule('clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
    // What builds use stays allowed.
    for (const name of ['read', 'execve', 'ptrace', 'chroot', 'mknod']) expect(rule(name)).toEqual([]);
    expect(sandboxSeccomp('x64').architectures).toEqual([
      'SCMP_ARCH_X86_64',
      'SCMP_ARCH_X86',
      'SCMP_ARCH_X32',
    ]);
    expect(sandboxSeccomp('arm64').architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(sandboxSeccomp('riscv64').architectures).toBeUndefined();
  });

  it('lifts the sandbox for --security=insecure: every capability, no filter, no masks, /sys writable', () => {
    const spec = buildSpec(input({ security: 'insecure' }));
    expect(spec.process.capabilities?.bounding).toEqual(ALL_CAPABILITIES);
    expect(spec.process.capabilities?.bounding).toContain('CAP_SYS_ADMIN');
    expect(spec.linux?.seccomp).toBeUndefined();
    expect(spec.linux?.maskedPaths).toBeUndefined();
    expect(spec.linux?.readonlyPaths).toBeUndefined();
    expect(spec.mounts?.find((m) => m.destination === '/sys')?.options).toEqual([
      'nosuid',
      'noexec',
      'nodev',
    ]);
    // runc cannot grant what strata lacks: the caller passes the capabilities it holds.
    const held = heldCapabilities(0x1fffeffffffn); // CAP_SYS_RESOURCE (24) missing, as on this CI
    expect(held).toHaveLength(ALL_CAPABILITIES.length - 1);
    expect(held).not.toContain('CAP_SYS_RESOURCE');
    expect(heldCapabilities(1n | (1n << 21n))).toEqual(['CAP_CHOWN', 'CAP_SYS_ADMIN']);
    expect(
      buildSpec(input({ security: 'insecure', insecureCapabilities: held })).process.capabilities?.bounding,
    ).toEqual(held);
    // The sandbox default is what 'sandbox' gives.
    expect(buildSpec(input({ security: 'sandbox' }))).toEqual(buildSpec(input()));
    expect(buildSpec(input()).mounts?.find((m) => m.destination === '/sys')?.options).toContain('ro');
  });

  it('is pure: equal input, equal output, input untouched', () => {
    const i = input();
    const copy = structuredClone(i);
    expect(buildSpec(i)).toEqual(buildSpec(i));
    buildSpec(i).process.env?.push('X=1');
    expect(i).toEqual(copy);
    expect(buildSpec(input({ nofile: 20000, cgroupsPath: '/strata/x' })).process.rlimits?.[0]?.hard).toBe(
      20000,
    );
    expect(buildSpec(input({ cgroupsPath: '/strata/x' })).linux?.cgroupsPath).toBe('/strata/x');
  });
});

describe('buildSpec in a user namespace (rootless)', () => {
  it("binds the host's /sys read-only instead of a new sysfs the kernel would refuse", () => {
    const sys = (s: ReturnType<typeof buildSpec>) => s.mounts?.find((m) => m.destination === '/sys');
    expect(sys(buildSpec(input()))?.type).toBe('sysfs');
    const m = sys(buildSpec(input({ rootless: { ttyGroupMapped: true } })));
    expect(m).toEqual({
      destination: '/sys',
      type: 'bind',
      source: '/sys',
      options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
    });
  });

  it('gives devpts gid=5 only when gid 5 can own files in the namespace', () => {
    const pts = (s: ReturnType<typeof buildSpec>) =>
      s.mounts?.find((m) => m.destination === '/dev/pts')?.options ?? [];
    expect(pts(buildSpec(input({ rootless: { ttyGroupMapped: true } })))).toContain('gid=5');
    expect(pts(buildSpec(input({ rootless: { ttyGroupMapped: false } })))).not.toContain('gid=5');
    expect(pts(buildSpec(input({ rootless: { ttyGroupMapped: false } })))).toContain('newinstance');
  });
});
