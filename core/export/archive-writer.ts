/**
 * Writes a deterministic tar of named entries (an OCI layout, a docker save archive): entries
 * sorted by name, parent directories added, every header with mtime 0, uid/gid 0 and no
 * owner names. Two exports of the same image are byte-identical.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import tar from 'tar-stream';
import type { Digest } from '../oci/digest.js';
import { DigestMismatchError, InternalError } from '../oci/errors.js';

/** One file of the archive: either in-memory `data`, or `size` bytes read from `open()`. */
export interface ArchiveEntry {
  name: string;
  mode?: number;
  data?: Uint8Array;
  size?: number;
  /** Opens the content; called once, when the entry is reached, so sources stream one at a time. */
  open?: () => Promise<Readable | AsyncIterable<Uint8Array>>;
  /** When set, the streamed bytes are hashed and the write fails at the end on a mismatch. */
  digest?: Digest;
}

const EPOCH = new Date(0);

/**
 * Writes `entries` as one tar to `out`. Resolves once every byte was handed to `out`
 * (the caller ends or closes `out`). Duplicate names are written once (blobs shared by two
 * images); a duplicate whose size differs is an internal error.
 */
export async function writeArchive(entries: readonly ArchiveEntry[], out: Writable): Promise<void> {
  const plan = planEntries(entries);
  const pack = tar.pack();
  const pump = (async () => {
    for await (const chunk of pack as AsyncIterable<Uint8Array>) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
  })();
  try {
    for (const e of plan) {
      if (e.kind === 'dir') {
        await addEntry(pack, { name: e.name, type: 'directory', mode: 0o755, mtime: EPOCH, uid: 0, gid: 0 });
        continue;
      }
      const header = { name: e.entry.name, type: 'file' as const, mode: e.entry.mode ?? 0o644, mtime: EPOCH };
      if (e.entry.data !== undefined) {
        checkDigest(e.entry, e.entry.data);
        await addEntry(pack, { ...header, size: e.entry.data.length, uid: 0, gid: 0 }, e.entry.data);
      } else {
        await streamEntry(pack, { ...header, size: e.entry.size!, uid: 0, gid: 0 }, e.entry);
      }
    }
    pack.finalize();
    await pump;
  } catch (err) {
    pack.destroy(err as Error);
    await pump.catch(() => {});
    throw err;
  }
}

type Planned = { kind: 'dir'; name: string } | { kind: 'file'; name: string; entry: ArchiveEntry };

function planEntries(entries: readonly ArchiveEntry[]): Planned[] {
  const byName = new Map<string, Planned>();
  for (const entry of entries) {
    const size = entry.data?.length ?? entry.size;
    if (size === undefined || (entry.data === undefined && entry.open === undefined)) {
      throw new InternalError(`write archive: entry ${entry.name} has neither data nor size and opener`);
    }
    const prev = byName.get(entry.name);
    if (prev !== undefined) {
      const prevSize = prev.kind === 'file' ? (prev.entry.data?.length ?? prev.entry.size) : -1;
      if (prevSize !== size)
        throw new InternalError(`write archive: two different entries named ${entry.name}`);
      continue;
    }
    byName.set(entry.name, { kind: 'file', name: entry.name, entry });
    const parts = entry.name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = `${parts.slice(0, i).join('/')}/`;
      if (!byName.has(dir)) byName.set(dir, { kind: 'dir', name: dir });
    }
  }
  // Byte order, not locale order, so the layout is the same everywhere; a directory name
  // ends in '/', which sorts it before its children.
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

type Header = Partial<tar.Header> & { name: string };

function addEntry(pack: tar.Pack, header: Header, data?: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    if (data === undefined) pack.entry(header, cb);
    else pack.entry(header, data, cb);
  });
}

async function streamEntry(pack: tar.Pack, header: Header, entry: ArchiveEntry): Promise<void> {
  let sink!: ReturnType<tar.Pack['entry']>;
  const done = new Promise<void>((resolve, reject) => {
    sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
  // On failure the caller sees the first error; destroying the sink also emits it as an
  // 'error' event and rejects `done`, which would otherwise go unhandled.
  done.catch(() => {});
  sink.on('error', () => {});
  const hash = entry.digest !== undefined ? createHash('sha256') : undefined;
  let written = 0;
  try {
    const source = await entry.open!();
    for await (const chunk of source as AsyncIterable<Uint8Array>) {
      hash?.update(chunk);
      written += chunk.length;
      // tar-stream only checks the size at the end; stop before an overlong body corrupts more.
      if (written > header.size!) throw sizeMismatch(entry.name, written, header.size!);
      if (!sink.write(chunk)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
    }
  } catch (err) {
    sink.destroy(err as Error);
    throw err;
  }
  if (written !== header.size) {
    const err = sizeMismatch(entry.name, written, header.size!);
    sink.destroy(err);
    throw err;
  }
  const got = hash !== undefined ? (`sha256:${hash.digest('hex')}` as Digest) : undefined;
  if (got !== undefined && got !== entry.digest) {
    const err = new DigestMismatchError(
      `write archive: ${entry.name} has digest ${got}, expected ${entry.digest}`,
    );
    sink.destroy(err);
    throw err;
  }
  sink.end(undefined);
  await done;
}

function checkDigest(entry: ArchiveEntry, data: Uint8Array): void {
  if (entry.digest === undefined) return;
  const got = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  if (got !== entry.digest) {
    throw new DigestMismatchError(`write archive: ${entry.name} has digest ${got}, expected ${entry.digest}`);
  }
}

function sizeMismatch(name: string, got: number, want: number): DigestMismatchError {
  return new DigestMismatchError(`write archive: ${name} has ${got} bytes or more, expected ${want}`);
}
