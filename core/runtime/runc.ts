import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface RuncContainer {
  id: string;
  pid: number;
  status: string;
  bundle: string;
}

/** `runc --root R list`; an absent root lists nothing. */
export async function runcList(runc: string, root: string): Promise<RuncContainer[]> {
  const { stdout } = await exec(runc, ['--root', root, 'list', '--format', 'json']);
  const parsed = JSON.parse(stdout.trim() || 'null') as RuncContainer[] | null;
  return parsed ?? [];
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
