/**
 * The part of the OCI runtime-spec `config.json` (v1.0.x, Linux) that strata writes for a
 * RUN step. Written from the runtime-spec's config.md / config-linux.md; field names and
 * optionality follow the spec, members strata never sets are left out.
 */

export interface Spec {
  /** SemVer of the runtime-spec the bundle follows. */
  ociVersion: string;
  process: Process;
  root: Root;
  hostname?: string;
  /** Mounted in order, after the root; later entries may sit under earlier ones. */
  mounts?: Mount[];
  linux?: Linux;
  annotations?: Record<string, string>;
}

export interface Root {
  /** Absolute, or relative to the bundle. */
  path: string;
  readonly?: boolean;
}

export interface Process {
  terminal?: boolean;
  user: User;
  args: string[];
  /** 'K=V' entries. */
  env?: string[];
  /** Absolute path inside the container. */
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
}

export interface User {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface Rlimit {
  /** e.g. 'RLIMIT_NOFILE'. */
  type: string;
  soft: number;
  hard: number;
}

export interface Mount {
  /** Absolute path inside the container. */
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface Namespace {
  type: NamespaceType;
  /** Join this existing namespace instead of creating one. */
  path?: string;
}

export interface DeviceCgroup {
  allow: boolean;
  /** 'a' (all), 'c' or 'b'. */
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  /** Some of 'rwm'. */
  access?: string;
}

export interface Resources {
  devices?: DeviceCgroup[];
}

/** A seccomp argument test: (arg & value) == valueTwo for SCMP_CMP_MASKED_EQ. */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface SeccompSyscall {
  names: string[];
  action: string;
  /** The errno an SCMP_ACT_ERRNO rule returns (runc's default: EPERM). */
  errnoRet?: number;
  /** All must hold for the rule to apply. */
  args?: SeccompArg[];
}

export interface Seccomp {
  defaultAction: string;
  architectures?: string[];
  syscalls?: SeccompSyscall[];
}

export interface Linux {
  seccomp?: Seccomp;
  namespaces?: Namespace[];
  resources?: Resources;
  cgroupsPath?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  rootfsPropagation?: string;
  sysctl?: Record<string, string>;
}
