/**
 * `RUN --mount=type=ssh`: the step reaches the user's SSH agent through a socket of its own.
 *
 * As BuildKit does, the host's agent socket is not mounted into the step: strata listens on
 * a new socket in a private directory, with the mode and owner the mount asks for
 * (default 0600, root), and relays every connection to the agent. So the step sees neither
 * the host path nor the host socket's permissions, and the socket is gone when the step is.
 * Private keys never enter the step: only the agent protocol does (the agent signs).
 */
import { chmod, chown, mkdtemp, rm, stat } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../oci/errors.js';

export interface AgentProxy {
  /** Host path of the socket to mount into the step. */
  path: string;
  close(): Promise<void>;
}

/**
 * Where relay sockets go: the temp dir, unless its path is so long that the socket's would
 * pass the 107 bytes of sun_path (libuv then cuts the name short, silently), then /tmp.
 */
export function socketBase(base: string = tmpdir()): string {
  return Buffer.byteLength(join(base, 'strata-ssh-XXXXXX', 'agent.sock')) <= 107 ? base : '/tmp';
}

/** Checks that `socket` is a unix socket (a key file or a missing path is a clear error). */
export async function checkAgentSocket(id: string, socket: string): Promise<void> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    // Followed: agents are often reached through a symlink (gpg-agent, password managers).
    st = await stat(socket);
  } catch (err) {
    throw new InvalidInputError(
      `--ssh ${id}=${socket}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      {
        cause: err,
      },
    );
  }
  if (!st.isSocket()) {
    throw new InvalidInputError(
      `--ssh ${id}=${socket}: not an agent socket (key files are not supported: load the key into ssh-agent and pass $SSH_AUTH_SOCK)`,
    );
  }
}

/**
 * Listens on a new socket (mode, uid, gid) and relays each connection to the agent at
 * `agent`. The socket lives in a private directory of its own under the temp dir, not in
 * the store: a unix socket path has a 108-byte limit that a deep store root could exceed.
 */
export async function startAgentProxy(
  agent: string,
  owner: { mode: number; uid: number; gid: number },
): Promise<AgentProxy> {
  const dir = await mkdtemp(join(socketBase(), 'strata-ssh-'));
  const path = join(dir, 'agent.sock');
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(agent);
    open.add(client).add(upstream);
    const done = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const close = async (): Promise<void> => {
    for (const s of open) s.destroy();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await chmod(path, owner.mode);
    await chown(path, owner.uid, owner.gid);
  } catch (err) {
    await close();
    throw err;
  }
  return { path, close };
}
