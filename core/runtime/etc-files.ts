import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes the resolv.conf and hosts a step sees (bind-mounted read-only over /etc): the
 * host's resolver configuration, so names resolve as on the host (the step shares the
 * host's network namespace by default), and a hosts file naming localhost and the
 * sandbox hostname, like BuildKit's.
 * @returns the host paths of both files
 */
export async function writeEtcFiles(
  dir: string,
  hostname: string,
): Promise<{ resolvConf: string; hosts: string }> {
  let resolv: string;
  try {
    resolv = await readFile('/etc/resolv.conf', 'utf8');
  } catch {
    resolv = '# no /etc/resolv.conf on the host\n';
  }
  const resolvConf = path.join(dir, 'resolv.conf');
  const hosts = path.join(dir, 'hosts');
  await writeFile(resolvConf, resolv, { mode: 0o644 });
  await writeFile(hosts, `127.0.0.1\tlocalhost ${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`, {
    mode: 0o644,
  });
  return { resolvConf, hosts };
}
