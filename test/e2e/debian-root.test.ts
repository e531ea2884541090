/**
 * A real Debian root (debootstrap, via samples/base/make-node.sh, made once and cached):
 * imported into Docker, `docker save`d, loaded by strata, built FROM with a RUN that uses
 * Debian's own tools, exported, loaded back into Docker and run.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildToDir, strataOk } from '../helpers/cli.js';
import {
  buildAndLoad,
  docker,
  requireDocker,
  requireRoot,
  requireTool,
  useTempDirs,
} from './helpers/index.js';

const tmp = useTempDirs();

describe('FROM a docker-saved Debian root', () => {
  let rootfsTar: string;
  beforeAll(async () => {
    requireRoot();
    requireDocker();
    requireTool('debootstrap');
    rootfsTar = join(await tmp(), 'debian-rootfs.tar');
    // Debootstraps on first use (minutes, over http://deb.debian.org), then reuses its cache.
    execFileSync('bash', [join(process.cwd(), 'samples/base/make-node.sh'), '--tar-only', rootfsTar], {
      stdio: 'inherit',
      timeout: 1_200_000,
    });
  }, 1_300_000);

  it('loads, builds on it, and runs in Docker again', async () => {
    await docker(['import', rootfsTar, 'strata-e2e-debian:bookworm']);
    const saved = join(await tmp(), 'debian.tar');
    await docker(['save', '-o', saved, 'strata-e2e-debian:bookworm']);
    const root = await tmp();
    const loaded = await strataOk(['load', '--root', root, '-i', saved]);
    expect(loaded.stdout + loaded.stderr).toContain('strata-e2e-debian:bookworm');

    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM strata-e2e-debian:bookworm\nRUN . /etc/os-release && echo "$PRETTY_NAME" > /os.txt && dpkg-query -W -f=\'${Version}\' nodejs > /node-pkg.txt\nCMD ["sh", "-c", "cat /os.txt; node -e \'console.log(1+1)\'"]\n',
    );
    const out = join(await tmp(), 'built.tar');
    await buildAndLoad(root, ctx, 'strata-e2e-debian-app:1', out);
    const run = await docker(['run', '--rm', 'strata-e2e-debian-app:1']);
    expect(run.stdout).toContain('Debian GNU/Linux 12 (bookworm)');
    expect(run.stdout).toContain('2');
    await docker(['rmi', '-f', 'strata-e2e-debian-app:1', 'strata-e2e-debian:bookworm']);
  }, 600_000);

  it('RUN --mount=type=ssh talks to the agent given with --ssh, as a non-root user', async () => {
    const root = await tmp();
    await strataOk(['import', '--root', root, rootfsTar, 'strata-e2e-debian:bookworm']);
    // A stand-in agent: answers each request with what an agent's signature would carry.
    const agentPath = join(await tmp(), 'agent.sock');
    const agent = createServer((c) => c.on('data', (d) => c.end(`signed(${d})`)));
    await new Promise<void>((r) => agent.listen(agentPath, r));
    try {
      const ctx = await tmp();
      const client =
        "const c=require('net').connect(process.env.SSH_AUTH_SOCK,()=>c.write('hello'));" +
        "c.on('data',d=>{require('fs').writeFileSync('/tmp/reply',String(d))})";
      await writeFile(
        join(ctx, 'Dockerfile'),
        `FROM strata-e2e-debian:bookworm\nUSER 1000:1000\nRUN --mount=type=ssh,uid=1000 node -e "${client}" && cp /tmp/reply /tmp/kept\n`,
      );
      const out = join(await tmp(), 'fs');
      await buildToDir(root, ctx, out, ['--ssh', `default=${agentPath}`]);
      expect(await readFile(join(out, 'tmp/kept'), 'utf8')).toBe('signed(hello)');
    } finally {
      await new Promise<void>((r) => agent.close(() => r()));
    }
  }, 120_000);
});
