import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface RuncContainer {
  id: string;
  pid: number;
  status: string;
  bundle: string;
}

/**
 * `runc --root R list`; an absent root lists nothing. runc reads every container's state
 * without a lock, so a container another build is creating or deleting at that moment can
 * fail the whole listing: it is tried again (5 times, 100 ms apart) before that is an error.
 */
export async function runcList(runc: string, root: string): Promise<RuncContainer[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { stdout } = await exec(runc, ['--root', root, 'list', '--format', 'json']);
      const parsed = JSON.parse(stdout.trim() || 'null') as RuncContainer[] | null;
      return parsed ?? [];
    } catch (err) {
      if (attempt >= 5) throw err;
      await sleep(100);
    }
  }
}

/** `runc ps ID`: the host pids of the container's processes; none when runc cannot tell. */
export async function runcPs(runc: string, root: string, id: string): Promise<number[]> {
  try {
    const { stdout } = await exec(runc, ['--root', root, 'ps', '--format', 'json', id]);
    const pids = JSON.parse(stdout.trim() || 'null') as unknown;
    return Array.isArray(pids) ? pids.filter((p): p is number => Number.isSafeInteger(p)) : [];
  } catch {
    return [];
  }
}

/** `runc kill ID KILL`; false when runc refused (not created yet, already gone). */
export async function runcKill(runc: string, root: string, id: string): Promise<boolean> {
  try {
    await exec(runc, ['--root', root, 'kill', id, 'KILL']);
    return true;
  } catch {
    return false;
  }
}

/** `runc delete -f ID`: kills what is left and removes the state; an unknown id is fine. */
export async function runcDelete(runc: string, root: string, id: string): Promise<boolean> {
  try {
    await exec(runc, ['--root', root, 'delete', '-f', id]);
    return true;
  } catch (err) {
    const msg = String((err as { stderr?: string }).stderr ?? '');
    if (/does not exist|not exist|not found/i.test(msg)) return false;
    throw err;
  }
}
