/**
 * Runs one suite case: writes its context into a fresh dir, builds it in-process with the
 * CLI into the shared store, and checks what the case expects. Throws (with the build
 * output) on the first mismatch.
 */
import { execFileSync } from 'node:child_process';
import { chmod, lchown, link, lstat, mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { parseDigest } from '../../../core/oci/digest.js';
import type { ImageConfig } from '../../../core/oci/types.js';
import { Store } from '../../../store/store.js';
import { strata, strataOk } from '../../helpers/cli.js';
import type { CaseResult, ContextEntry, Expectation, FileCheck, SuiteCase, TarEntry } from './suite-case.js';

export interface CaseDirs {
  ctx: string;
  tmp: string;
  out: string;
  /** Base URL under which the case's scratch files are served. */
  http: string;
  /** Unique per case: names the images its `parents` build. */
  id: string;
}

export async function runCase(c: SuiteCase, root: string, dirs: CaseDirs): Promise<void> {
  const tag = (name: string) => `i15-suite-${dirs.id}-${name.toLowerCase()}:latest`;
  const fill = (s: string) =>
    s
      .replaceAll('{ctx}', dirs.ctx)
      .replaceAll('{tmp}', dirs.tmp)
      .replaceAll('{http}', dirs.http)
      .replace(/\{image:([a-z0-9]+)\}/g, (_, name: string) => tag(name));
  for (const [name, text] of Object.entries(c.parents ?? {})) {
    const df = join(dirs.tmp, `Dockerfile.${name}`);
    await writeFile(df, fill(text));
    await strataOk(['build', '--root', root, '-q', '-t', tag(name), '-f', df, dirs.tmp]);
  }
  await writeEntries(dirs.ctx, [
    [c.dockerfileName ?? 'Dockerfile', fill(c.dockerfile)],
    ...Object.entries(c.context ?? {}),
  ]);
  await writeEntries(dirs.tmp, Object.entries(c.scratch ?? {}));
  const first = await buildOnce(c, c.expect, c.flags ?? [], root, dirs.out, dirs, fill);
  if (!c.rebuild || !first) return;
  await writeEntries(dirs.ctx, Object.entries(c.rebuild.context ?? {}));
  const out2 = `${dirs.out}-2`;
  const second = await buildOnce(
    c,
    c.rebuild.expect ?? {},
    c.rebuild.flags ?? c.flags ?? [],
    root,
    out2,
    dirs,
    fill,
  );
  if (!second) return;
  if (c.rebuild.sameImage)
    expect(second.id, `the rebuild should give the same image${second.output}`).toBe(first.id);
  for (const [p, same] of Object.entries(c.rebuild.compare ?? {})) {
    const a = await readFile(join(dirs.out, p), 'utf8');
    const b = await readFile(join(out2, p), 'utf8');
    const context = `\n--- second build output ---\n${second.output}`;
    if (same) expect(b, `${p} should be unchanged (the step was cached)${context}`).toBe(a);
    else expect(b, `${p} should differ (the step ran again)${context}`).not.toBe(a);
  }
}

/** One build and its checks; the result, or undefined when the build was expected to fail. */
async function buildOnce(
  c: SuiteCase,
  want: Expectation,
  flags: readonly string[],
  root: string,
  out: string,
  dirs: CaseDirs,
  fill: (s: string) => string,
): Promise<CaseResult | undefined> {
  const wantFiles =
    want.files !== undefined || want.absent !== undefined || want.check !== undefined || c.rebuild?.compare;
  const args = [
    'build',
    '--root',
    root,
    '--progress',
    'plain',
    ...(c.noFileFlag ? [] : ['-f', join(dirs.ctx, c.dockerfileName ?? 'Dockerfile')]),
    ...flags.map(fill),
    ...(wantFiles ? ['--output', `type=local,dest=${out}`] : []),
    dirs.ctx,
  ];
  const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, fill(v)]));
  const r = await strata(args, { env, cwd: dirs.ctx });
  const output = `${r.stdout}${r.stderr}`;
  const context = `\n--- build output ---\n${output}`;
  if (want.error) {
    expect(r.code, `the build should fail${context}`).not.toBe(0);
    expect(output).toMatch(want.error);
    return undefined;
  }
  expect(r.code, `the build failed${context}`).toBe(0);
  const id = /writing image (sha256:[0-9a-f]{64})/.exec(r.stderr)?.[1];
  expect(id, `no image id${context}`).toBeDefined();
  const store = await Store.open(root);
  const config = JSON.parse((await store.readBlob(parseDigest(id as string))).toString()) as ImageConfig;
  const result: CaseResult = { id: id as string, dir: out, config, output };
  try {
    await checkResult(want, result);
  } catch (err) {
    (err as Error).message += context;
    throw err;
  }
  return result;
}

async function checkResult(e: Expectation, r: CaseResult): Promise<void> {
  for (const [p, want] of Object.entries(e.files ?? {})) await checkFile(r.dir, p, want);
  for (const p of e.absent ?? []) {
    await expect(lstat(join(r.dir, p)), `${p} should not exist`).rejects.toThrow();
  }
  if (e.config) expect(r.config).toMatchObject(e.config);
  if (e.history) {
    // The base's own entries come first; the case's steps are the last ones.
    const hist = r.config.history ?? [];
    const mine = hist.slice(hist.length - e.history.length);
    expect(mine.length).toBe(e.history.length);
    for (const [i, h] of e.history.entries()) {
      if (h.created_by instanceof RegExp) expect(mine[i].created_by).toMatch(h.created_by);
      else if (h.created_by !== undefined) expect(mine[i].created_by).toBe(h.created_by);
      if (h.empty_layer !== undefined) expect(mine[i].empty_layer ?? false).toBe(h.empty_layer);
      if (h.comment !== undefined) expect(mine[i].comment).toBe(h.comment);
    }
  }
  if (e.output) expect(r.output).toMatch(e.output);
  await e.check?.(r);
}

async function checkFile(root: string, p: string, want: FileCheck): Promise<void> {
  const host = join(root, p);
  const st = await lstat(host).catch(() => undefined);
  expect(st, `${p} should exist`).toBeDefined();
  if (!st) return;
  const spec = typeof want === 'string' || want instanceof RegExp ? { content: want } : want;
  if (spec.type) {
    const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    expect(type, `${p} type`).toBe(spec.type);
  }
  if (spec.link !== undefined) expect(await readlink(host), `${p} link`).toBe(spec.link);
  if (spec.mode !== undefined)
    expect((st.mode & 0o7777).toString(8), `${p} mode`).toBe(spec.mode.toString(8));
  if (spec.uid !== undefined) expect(st.uid, `${p} uid`).toBe(spec.uid);
  if (spec.gid !== undefined) expect(st.gid, `${p} gid`).toBe(spec.gid);
  if (spec.content !== undefined) {
    const text = (await readFile(host)).toString();
    if (spec.content instanceof RegExp) expect(text, `${p} content`).toMatch(spec.content);
    else expect(text, `${p} content`).toBe(spec.content);
  }
}

async function writeEntries(dir: string, entries: [string, ContextEntry][]): Promise<void> {
  for (const [rel, e] of entries) {
    const host = join(dir, rel);
    await mkdir(dirname(host), { recursive: true });
    if (typeof e === 'string') await writeFile(host, e);
    else if ('content' in e) {
      await writeFile(host, e.content);
      await setMeta(host, e);
    } else if ('dir' in e) {
      await mkdir(host, { recursive: true });
      await setMeta(host, e);
    } else if ('symlink' in e) await symlink(e.symlink, host);
    else if ('socket' in e) await bindSocket(host);
    else await writeTar(host, e.tar, e.gzip ?? false);
  }
}

async function setMeta(host: string, e: { mode?: number; uid?: number; gid?: number }): Promise<void> {
  if (e.mode !== undefined) await chmod(host, e.mode);
  if (e.uid !== undefined || e.gid !== undefined) await lchown(host, e.uid ?? 0, e.gid ?? 0);
}

/** A unix socket file left in the context (the listener is closed; the inode stays). */
async function bindSocket(host: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((res, rej) => server.listen(host, res).once('error', rej));
  // Closing unlinks a Node-made socket path; a copy of the inode is not possible, so keep
  // the server open until the process ends (unref'd: it holds nothing up).
  server.unref();
}

async function writeTar(host: string, files: Record<string, TarEntry>, gzip: boolean): Promise<void> {
  const src = `${host}.src`;
  await mkdir(src, { recursive: true });
  for (const [rel, e] of Object.entries(files)) {
    const p = join(src, rel);
    await mkdir(dirname(p), { recursive: true });
    if (typeof e !== 'string') {
      if ('symlink' in e) await symlink(e.symlink, p);
      else await link(join(src, e.hardlink), p);
    } else if (rel.endsWith('/')) await mkdir(p, { recursive: true });
    else await writeFile(p, e);
  }
  // Members in the order given (parents before children), root-owned, no directory recursion.
  execFileSync('tar', [
    gzip ? '-czf' : '-cf',
    host,
    '--owner=0',
    '--group=0',
    '--no-recursion',
    '-C',
    src,
    ...Object.keys(files),
  ]);
  execFileSync('rm', ['-rf', src]);
}
