/** Helpers for diff tests: temp dirs, hand-made (possibly hostile) tars, tar read-back. */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { encodeHeader, padding, type TarHeader } from '../../../core/diff/tar-header.js';

export function tempDir(prefix = 'strata-diff-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function cleanup(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

export interface RawEntry extends Partial<TarHeader> {
  name: string;
  body?: Buffer | string;
}

/** A tar built block by block from our header codec: any name, any type, any lie. */
export function rawTar(entries: RawEntry[], opts: { trailer?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    const h: TarHeader = {
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: 1_000_000,
      size: body.length,
      ...e,
    };
    parts.push(encodeHeader(h), body, Buffer.alloc(padding(body.length)));
  }
  if (opts.trailer !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function streamOf(buf: Buffer, chunk = 7919): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) chunks.push(buf.subarray(i, i + chunk));
  return Readable.from(chunks);
}

export interface ReadBack {
  header: Header;
  body: Buffer;
}

/** Reads a tar back with tar-stream: an independent parser checks our writer. */
export async function readBack(tar: Buffer): Promise<ReadBack[]> {
  const out: ReadBack[] = [];
  const ex = extract();
  Readable.from([tar]).pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.push({ header: { ...entry.header }, body: Buffer.concat(chunks) });
  }
  return out;
}

/** A listing of a tree (type, mode, size, link target, content) to compare trees by value. */
export function snapshotTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(root, r);
      const st = lstatSync(p);
      const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
      let extra = '';
      if (st.isSymbolicLink()) extra = readlinkSync(p);
      if (st.isFile()) extra = readFileSync(p).toString('base64').slice(0, 64);
      out.push(`${kind} ${r} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.size} ${extra}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}
