/**
 * What each step contributes to its cache key: the expanded operation. RUN's op holds its
 * argv, env, cwd, user, network and mount shapes (never cache-mount contents, cache ids or
 * secret values, as BuildKit); COPY/ADD's op holds the destination and flags, while the
 * copied files' content goes in as an input checksum.
 */

import { posix } from 'node:path';
import type { RunMount, Step } from '../../frontend/graph/types.js';
import type { StageState } from './config-apply.js';
import { commandArgv, runEnv } from './config-apply.js';

export { isUrl } from '../cache/explain-miss.js';

/**
 * Joins a COPY destination onto WORKDIR the way Docker does, keeping a trailing slash. An
 * empty destination (`COPY f $empty`) is the working directory as a directory, as BuildKit's
 * dispatchCopy treats "" like "." (this matters under --link, where nothing below says so).
 */
export function resolveDest(dest: string, workdir: string | undefined): string {
  const trailing = dest === '' || dest.endsWith('/') || dest === '.' || dest.endsWith('/.');
  let p = posix.isAbsolute(dest) ? dest : posix.join(workdir || '/', dest);
  p = posix.normalize(p);
  if (trailing && !p.endsWith('/')) p += '/';
  return p;
}

function mountShape(m: RunMount): Record<string, unknown> {
  // A mount from another stage or image is keyed by the content it selects (an input
  // checksum, see planner resultInputsOf), not by which stage or image provides it.
  const from = m.from ? true : undefined;
  const base = { type: m.type, target: m.target, readonly: m.readonly };
  switch (m.type) {
    case 'cache':
      // id and sharing are left out as BuildKit does (PR #4585): they say where the
      // cache lives, not what the step computes.
      return { ...base, source: m.source, from, mode: m.mode, uid: m.uid, gid: m.gid };
    case 'bind':
      return { ...base, source: m.source, from };
    case 'tmpfs':
      return { ...base, size: m.size };
    case 'secret':
    case 'ssh':
      // The secret's value never enters the key; its id and where it appears do.
      return { ...base, id: m.id, env: m.env, mode: m.mode, uid: m.uid, gid: m.gid, required: m.required };
  }
}

export function stepOp(step: Step, state: StageState, platform: string): Record<string, unknown> {
  const ins = step.instruction;
  const c = state.config;
  switch (ins.kind) {
    case 'run':
      return {
        kind: 'run',
        argv: commandArgv(ins.command, c.Shell),
        env: runEnv(state),
        cwd: c.WorkingDir || '/',
        user: c.User || '',
        network: ins.network,
        security: ins.security,
        mounts: ins.mounts.map((m) => mountShape(m)),
        files: ins.files,
        platform,
      };
    case 'copy':
    case 'add':
      return {
        kind: ins.kind,
        // COPY --from: whether it reads another stage or image; what it reads is the
        // `content` input checksum (content-based, as BuildKit keys it).
        from: ins.from ? true : undefined,
        sources: ins.sources,
        heredocs: ins.heredocs,
        dest: resolveDest(ins.dest, c.WorkingDir),
        chown: ins.chown,
        chmod: ins.chmod,
        link: ins.link,
        parents: ins.parents,
        exclude: ins.exclude,
        checksum: ins.checksum,
        unpack: ins.unpack,
        keepGitDir: ins.keepGitDir,
      };
    case 'workdir':
      return { kind: 'workdir', path: ins.path, user: c.User || '' };
    default:
      return { ...ins };
  }
}
