/** The host as an OCI platform string (`linux/amd64`): what a build targets by default. */
export function hostPlatform(): string {
  const arch: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm/v7',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  return `linux/${arch[process.arch] ?? process.arch}`;
}
