/** The machine a benchmark ran on, recorded beside its numbers. */
import os from 'node:os';
import { runCommand } from './strata-cli.mjs';

async function firstLine(cmd, args) {
  try {
    const r = await runCommand(cmd, args);
    return r.code === 0 ? (r.stdout || r.stderr).trim().split('\n')[0] : null;
  } catch {
    return null;
  }
}

export async function machineInfo() {
  const cpus = os.cpus();
  const df = await firstLine('sh', ['-c', "df -T /tmp | tail -1 | awk '{print $2}'"]);
  return {
    hostname: os.hostname(),
    nproc: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    tmpFilesystem: df,
    // The engine's version when it is already up; the client's otherwise (the benchmark
    // starts its own engine after this runs).
    docker:
      (await firstLine('/usr/bin/docker', ['version', '--format', '{{.Server.Version}}'])) ??
      (await firstLine('/usr/bin/docker', ['--version']))?.replace(/^Docker version ([^,\s]+).*$/, '$1'),
    buildah: await firstLine('buildah', ['--version']),
    runc: await firstLine('runc', ['--version']),
  };
}
