/**
 * strata's own cache advice, the two mistakes that make a rebuild slow:
 * - BroadCopyBeforeInstall: `COPY . .` (the whole context) before a package install in the
 *   same stage, so editing any source file reruns the install (the seed's Dockerfile.bad).
 * - InstallWithoutCacheMount: a package install with no `--mount=type=cache`, so every miss
 *   downloads every package again.
 */
import type { Node } from '../parser/ast.js';
import type { LintLayout } from './lint-stages.js';
import { keywordAsWritten } from './lint-stages.js';
import type { Finding } from './lint-warning.js';
import type { PackageManager } from './package-installs.js';
import { cacheMountTargets, findInstalls } from './package-installs.js';

/** Sources that name the whole context (or everything at its top). */
const BROAD = new Set(['.', './', '*', './*', '/', '/*', '.*']);

/** The text a RUN executes: shell or exec form, plus heredoc bodies (`RUN <<EOF`). */
export function runText(n: Node): string {
  return [n.args.join(' '), ...n.heredocs.map((h) => h.content)].join('\n');
}

function copyParts(n: Node): { sources: string[]; dest: string } | undefined {
  if (n.keyword !== 'copy' && n.keyword !== 'add') return undefined;
  if (n.flags.some((f) => /^--from=/i.test(f))) return undefined;
  if (n.args.length < 2) return undefined;
  return { sources: n.args.slice(0, -1), dest: n.args[n.args.length - 1] };
}

function manifestDest(dest: string): string {
  if (dest === '.' || dest === './') return './';
  return dest.endsWith('/') ? dest : `${dest}/`;
}

/**
 * Who a RUN runs as, from the USER lines above it in its stage (and in the stage it is built
 * on); undefined when nothing says (root, unless the base image set a user).
 */
function stageUsers(layout: LintLayout): Map<Node, string> {
  const at = new Map<Node, string>();
  const last = new Map<string, string | undefined>();
  layout.stages.forEach((stage, i) => {
    let user = last.get(stage.base.toLowerCase());
    for (const n of stage.nodes) {
      if (n.keyword === 'user' && n.args[0] !== undefined) user = n.args[0].split(':')[0];
      if (user !== undefined) at.set(n, user);
    }
    last.set(String(i), user);
    if (stage.name) last.set(stage.name.toLowerCase(), user);
  });
  return at;
}

/**
 * A cache directory as the user a RUN runs as sees it: a package manager keeps its cache in
 * $HOME, which is /root only for root. For a named user the conventional /home/<name> (the
 * official images' `node`, `python` users live there); for a numeric one, only $HOME is known.
 * Mounts are root-owned unless uid=/gid= say otherwise, so those are named too.
 */
function cacheTargetFor(target: string, user: string | undefined): { target: string; note?: string } {
  if (user === undefined || user === 'root' || user === '0' || !target.startsWith('/root/'))
    return { target };
  const rest = target.slice('/root'.length);
  if (/^\d+$/.test(user))
    return {
      target: `$HOME${rest}`,
      note: `the step runs as uid ${user}: put the cache at $HOME${rest} of that user (write its home in place of $HOME) and add uid=${user} so it can write there`,
    };
  if (!/^[A-Za-z_][\w.-]*$/.test(user))
    return {
      target: `$HOME${rest}`,
      note: `the step runs as USER ${user}: put the cache at $HOME${rest} of that user (write its home in place of $HOME) and add its uid=,gid= so it can write there`,
    };
  return {
    target: `/home/${user}${rest}`,
    note: `the step runs as USER ${user}, whose cache is $HOME${rest} (/home/${user}${rest} when its home is /home/${user}); add uid=,gid= of ${user} (1000 in the official node image) so it can write there`,
  };
}

export function cacheRules(layout: LintLayout): Finding[] {
  const out: Finding[] = [];
  const users = stageUsers(layout);
  for (const stage of layout.stages) {
    const nodes = stage.nodes;
    nodes.forEach((n, i) => {
      const copy = copyParts(n);
      if (!copy?.sources.some((s) => BROAD.has(s))) return;
      for (const later of nodes.slice(i + 1)) {
        if (later.keyword !== 'run') continue;
        const found = findInstalls(runText(later));
        if (found.length === 0) continue;
        out.push(broadCopyFinding(n, copy.dest, later, found));
        return; // one warning per COPY: the first install it slows down
      }
    });
    for (const n of nodes) {
      if (n.keyword !== 'run') continue;
      const text = runText(n);
      const found = findInstalls(text).filter((m) => !(m.name === 'apk' && /--no-cache\b/.test(text)));
      if (found.length === 0 || cacheMountTargets(n.flags).length > 0) continue;
      const targets = found.flatMap((m) => m.cacheTargets).map((t) => cacheTargetFor(t, users.get(n)));
      const mounts = targets.map(
        ({ target: t }) => `--mount=type=cache,target=${t}${t.startsWith('/var/') ? ',sharing=locked' : ''}`,
      );
      const names = found.map((m) => m.name).join(', ');
      const notes = [...new Set(targets.flatMap((t) => (t.note ? [t.note] : [])))];
      out.push({
        code: 'InstallWithoutCacheMount',
        message: `${names} install without a cache mount: each time this step misses, every package is downloaded again${notes.map((x) => `; ${x}`).join('')}`,
        fix: `${keywordAsWritten(n)} ${mounts.join(' ')} ${n.original.replace(/^\s*\S+\s+/, '')}`,
        range: n.range,
      });
    }
  }
  return out;
}

function broadCopyFinding(copy: Node, dest: string, run: Node, found: PackageManager[]): Finding {
  const copyText = copy.original.trim();
  const line = run.range.start.line;
  const manifests = [...new Set(found.flatMap((m) => m.manifests))];
  const names = found.map((m) => m.name).join(', ');
  const fix =
    manifests.length > 0
      ? `copy only the dependency manifests first: ${keywordAsWritten(copy)} ${manifests.join(' ')} ${manifestDest(dest)} ` +
        `then the install (line ${line}), then ${copyText} after it`
      : `move the install (line ${line}) above ${copyText}: it needs nothing from the context`;
  return {
    code: 'BroadCopyBeforeInstall',
    message:
      `${copyText} copies the whole build context before the ${names} install on line ${line}: ` +
      'any edit to any file misses the cache for that install and it runs again',
    fix,
    range: copy.range,
  };
}
