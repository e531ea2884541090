/**
 * The swap attack on every tree reader: a file the walk saw is replaced by a symlink to a
 * host file (or by another file) before it is opened. Written as issue 13's defect 4 saw
 * it: a RUN writing a cache mount while `--cache-to ...,mounts=true` tars it.
 */
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLayerTar } from '../../../core/diff/write-layer-tar.js';
import { copyWalkedSync, openWalkedSync, readWalkedSync } from '../../../core/fs/open-walked.js';
import { InvalidInputError } from '../../../core/oci/errors.js';

const SECRET = 'host-secret-0600-do-not-export';
let tmp: string;
let secret: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-open-walked-'));
  secret = path.join(tmp, 'shadow');
  writeFileSync(secret, SECRET);
  chmodSync(secret, 0o600);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('openWalkedSync', () => {
  it('opens the regular file the walk saw', () => {
    const p = path.join(tmp, 'ok');
    writeFileSync(p, 'x');
    const st = lstatSync(p);
    expect(() => copyWalkedSync(p, st, path.join(tmp, 'ok-copy'))).not.toThrow();
    expect(lstatSync(path.join(tmp, 'ok-copy')).size).toBe(1);
  });

  it('refuses a file swapped for a symlink after the lstat', () => {
    const p = path.join(tmp, 'swap-link');
    writeFileSync(p, 'x');
    const st = lstatSync(p);
    rmSync(p);
    symlinkSync(secret, p);
    expect(() => openWalkedSync(p, st)).toThrow(/became a symlink/);
    expect(() => copyWalkedSync(p, st, path.join(tmp, 'never'))).toThrow(InvalidInputError);
    expect(() => lstatSync(path.join(tmp, 'never'))).toThrow();
  });

  it('refuses another file moved into its place (a parent swapped, a hard link, a rename)', () => {
    const p = path.join(tmp, 'swap-file');
    writeFileSync(p, 'x');
    const st = lstatSync(p);
    const other = path.join(tmp, 'other');
    writeFileSync(other, SECRET);
    renameSync(other, p);
    expect(() => openWalkedSync(p, st)).toThrow(/was replaced/);
  });

  it('refuses a fifo without blocking on it', () => {
    const p = path.join(tmp, 'fifo-later');
    writeFileSync(p, 'x');
    const st = lstatSync(p);
    rmSync(p);
    mkdirSync(p);
    expect(() => openWalkedSync(p, st)).toThrow(/no longer a regular file|was replaced/);
  });
});

describe('readWalkedSync', () => {
  it('reads into a given buffer: a view of exactly the bytes read, at most the walked size', () => {
    const p = path.join(tmp, 'into');
    writeFileSync(p, 'hello world');
    const st = lstatSync(p);
    const into = Buffer.alloc(64, 0x2e);
    const got = readWalkedSync(p, st, st.size, 'read', into);
    expect(got.buffer).toBe(into.buffer);
    expect(got.toString()).toBe('hello world');
    // Walked at 5 bytes: nothing past them is read. A file that shrank gives fewer bytes.
    expect(readWalkedSync(p, st, 5, 'read', into).toString()).toBe('hello');
    writeFileSync(p, 'hi');
    expect(readWalkedSync(p, st, st.size, 'read', into).toString()).toBe('hi');
    // A buffer too small for the walked size is not used.
    const small = Buffer.alloc(1);
    writeFileSync(p, 'hello world');
    const own = readWalkedSync(p, st, st.size, 'read', small);
    expect(own.buffer).not.toBe(small.buffer);
    expect(own.toString()).toBe('hello world');
  });
});

describe('writeLayerTar under a concurrent symlink swap (cache-mount export)', () => {
  it('never puts a host file in the tar', async () => {
    const dir = path.join(tmp, 'cache-mount');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'pkg.tgz'), 'package bytes');
    // The attacker, on its own thread as a concurrent RUN would be: flips pkg.tgz between a
    // regular file and a symlink to the secret, as fast as the kernel allows.
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const attacker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const fs = require('node:fs');
       const { dir, work, secret, flag } = workerData;
       let n = 0;
       while (Atomics.load(flag, 0) === 0) {
         fs.writeFileSync(work + '/.real', 'package bytes');
         fs.renameSync(work + '/.real', dir + '/pkg.tgz');
         try { fs.unlinkSync(work + '/.swap'); } catch {}
         fs.symlinkSync(secret, work + '/.swap');
         fs.renameSync(work + '/.swap', dir + '/pkg.tgz');
         Atomics.store(flag, 1, ++n);
       }`,
      { eval: true, workerData: { dir, work: tmp, secret, flag } },
    );
    while (Atomics.load(flag, 1) === 0) await new Promise((r) => setTimeout(r, 1));
    let refused = 0;
    let clean = 0;
    let leaked = 0;
    for (let i = 0; i < 2000; i++) {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      try {
        await writeLayerTar(dir, out);
        if (Buffer.concat(chunks).includes(SECRET)) leaked++;
        else clean++;
      } catch (err) {
        if (!(err instanceof InvalidInputError)) throw err;
        refused++;
      }
    }
    Atomics.store(flag, 0, 1);
    await attacker.terminate();
    // Printed so a run shows the race was really run (both outcomes of the walk occur).
    console.log(
      `swap attack: ${Atomics.load(flag, 1)} swaps, ${clean} clean tars, ${refused} refused, ${leaked} leaked`,
    );
    expect(leaked).toBe(0);
    expect(refused + clean).toBe(2000);
  });
});
