/**
 * `COPY <<EOF /dest` heredoc sources: each heredoc becomes a file named after it. The same
 * destination rules apply as for files from the context; files are 0644 (BuildKit's
 * Mkfile default for heredocs) before --chmod, owned by --chown or root, with mtime
 * SOURCE_DATE_EPOCH when given, else now.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileEntry } from '../fs/file-entry.js';
import { LayerStack } from '../fs/layer-stack.js';
import { parseChmod } from './chmod-spec.js';
import { type CopyOptions, type CopyResult, writeEntries } from './copy-into.js';
import { createdMtime, destinationTree, lowerDirMeta } from './created-dirs.js';
import { planDestination } from './dest-rules.js';

export interface HeredocFile {
  /** The heredoc's name (its delimiter word), which becomes the file name in a directory destination. */
  name: string;
  content: string;
}

export async function writeHeredocs(
  staging: string,
  files: HeredocFile[],
  dest: string,
  opts: Omit<CopyOptions, 'parents'>,
): Promise<CopyResult> {
  const lower = opts.lowerDirs ? new LayerStack(opts.lowerDirs) : undefined;
  const plan = planDestination({
    dest,
    workdir: opts.workdir,
    sourceArgs: files.length,
    matches: files.length,
    existsAsDir: (p) => lowerDirMeta(lower, p) !== undefined,
  });
  const now = BigInt(Math.round(createdMtime(opts.sourceDateEpoch) * 1e9));
  // The bytes go through temp files beside the staging dir, so the ordinary writer (with its
  // chown/chmod/mtime handling) does the rest.
  const tmp = await mkdtemp(path.join(path.dirname(path.resolve(staging)), '.heredoc-'));
  try {
    // BuildKit makes a heredoc's parents with Mkdir 0755 whatever the --chmod.
    const tree = destinationTree(staging, lower, {
      chown: opts.chown,
      sourceDateEpoch: opts.sourceDateEpoch,
    });
    for (const [i, f] of files.entries()) {
      const abs = path.join(tmp, String(i));
      const bytes = Buffer.from(f.content, 'utf8');
      await writeFile(abs, bytes);
      const e: FileEntry = {
        rel: '',
        abs,
        type: 'file',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: bytes.length,
        mtime: Number(now) / 1e9,
        // The temp file's own inode: the copier opens it as a walked file and checks it.
        statKey: `${(await stat(abs, { bigint: true })).ino}:${now}:${now}`,
      };
      tree.put(plan.isDir ? path.posix.join(plan.path, f.name) : plan.path, e);
    }
    return await writeEntries(tree, {
      chown: opts.chown,
      chmod: opts.chmod ? parseChmod(opts.chmod) : undefined,
      sde: opts.sourceDateEpoch,
      concurrency: 8,
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
