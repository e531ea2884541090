/**
 * Prerequisite checks for e2e tests. They throw with a message that says what is missing and
 * how to get it; e2e tests never skip (CI must not go green by testing nothing).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export class MissingPrerequisiteError extends Error {}

/** Fails unless the test process runs as root (mounts, runc, chown, device nodes). */
export function requireRoot(): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new MissingPrerequisiteError('e2e prerequisite missing: this test must run as root');
  }
}

/**
 * Returns the absolute path of an executable (a name looked up on PATH, or an absolute path),
 * or throws naming the tool and pointing at scripts/setup.sh.
 */
export function requireTool(name: string): string {
  const candidates = isAbsolute(name)
    ? [name]
    : [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'].map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next directory
    }
  }
  throw new MissingPrerequisiteError(
    `e2e prerequisite missing: ${name} is not installed (run scripts/setup.sh as root)`,
  );
}

/** Fails unless the Docker engine answers through /usr/bin/docker. */
export function requireDocker(): void {
  const docker = requireTool('/usr/bin/docker');
  try {
    execFileSync(docker, ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe', timeout: 30_000 });
  } catch (err) {
    const detail = String((err as { stderr?: Buffer }).stderr ?? err).trim();
    throw new MissingPrerequisiteError(
      `e2e prerequisite missing: no Docker engine answers at /var/run/docker.sock ` +
        `(start one with scripts/dockerd.sh start): ${detail}`,
    );
  }
}
