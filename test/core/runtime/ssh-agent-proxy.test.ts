/**
 * The relay behind RUN --mount=type=ssh: a socket of its own (mode and owner as asked) that
 * carries each connection to the agent and back, gone when closed.
 */
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../core/oci/errors.js';
import { checkAgentSocket, socketBase, startAgentProxy } from '../../../core/runtime/ssh-agent-proxy.js';

let dir: string;
let agent: Server;
let agentPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-agent-'));
  agentPath = join(dir, 'agent.sock');
  // A stand-in agent: answers each message with "signed:" and the message.
  agent = createServer((c) => c.on('data', (d) => c.write(`signed:${d}`)));
  await new Promise<void>((r) => agent.listen(agentPath, r));
});
afterAll(async () => {
  await new Promise<void>((r) => agent.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

function ask(path: string, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(path, () => c.write(message));
    c.once('data', (d) => {
      resolve(d.toString());
      c.destroy();
    });
    c.once('error', reject);
  });
}

describe('startAgentProxy', () => {
  it('relays connections to the agent through a socket with the mode and owner asked for', async () => {
    // Our own ids: this test needs no root (the e2e test gives the step another owner).
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const proxy = await startAgentProxy(agentPath, { mode: 0o640, uid, gid });
    try {
      const st = await lstat(proxy.path);
      expect(st.isSocket()).toBe(true);
      expect(st.mode & 0o777).toBe(0o640);
      expect([st.uid, st.gid]).toEqual([uid, gid]);
      expect(proxy.path.length).toBeLessThan(108);
      const answers = await Promise.all([ask(proxy.path, 'one'), ask(proxy.path, 'two')]);
      expect(answers).toEqual(['signed:one', 'signed:two']);
    } finally {
      await proxy.close();
    }
    expect(existsSync(dirname(proxy.path))).toBe(false);
  });

  it('a client of a dead agent is cut off, not hung', async () => {
    const proxy = await startAgentProxy(join(dir, 'no-agent.sock'), { mode: 0o600, uid: 0, gid: 0 });
    try {
      const closed = await new Promise<boolean>((resolve) => {
        const c = connect(proxy.path);
        c.on('close', () => resolve(true));
        c.on('error', () => {});
      });
      expect(closed).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});

describe('socketBase', () => {
  it('keeps the temp dir unless the socket path would not fit in sun_path (107 bytes)', () => {
    expect(socketBase('/tmp/strata-tests-abc123')).toBe('/tmp/strata-tests-abc123');
    const deep = `/home/someone/${'nested/'.repeat(12)}tmp`;
    expect(socketBase(deep)).toBe('/tmp');
  });
});

describe('checkAgentSocket', () => {
  it('accepts a socket; refuses a key file and a missing path, saying why', async () => {
    await checkAgentSocket('default', agentPath);
    const link = join(dir, 'agent-link');
    await symlink(agentPath, link);
    await checkAgentSocket('default', link);
    const key = join(dir, 'id_ed25519');
    await writeFile(key, '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    await expect(checkAgentSocket('default', key)).rejects.toThrow(/key files are not supported/);
    await expect(checkAgentSocket('git', join(dir, 'missing'))).rejects.toThrow(
      `--ssh git=${join(dir, 'missing')}: ENOENT`,
    );
    await expect(checkAgentSocket('git', key)).rejects.toBeInstanceOf(InvalidInputError);
  });
});
