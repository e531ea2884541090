/**
 * `COPY --chmod`: an octal mode (`755`, up to `07777`) or, since Dockerfile 1.14, a
 * symbolic one (`u=rwX,go=rX`, `+x`, `g=u`), applied per file like chmod(1) without a
 * umask: an empty "who" means all of u, g and o. `X` sets execute for directories and for
 * files that already have some execute bit.
 */
import { InvalidInputError } from '../oci/errors.js';

/** Maps a source mode (permission + special bits) to the mode the copy gets. */
export type ChmodFn = (mode: number, isDir: boolean) => number;

const CLASS_SHIFT = { u: 6, g: 3, o: 0 } as const;
type Who = keyof typeof CLASS_SHIFT;
const CLAUSE = /^([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)$/;

/** The mode of an octal --chmod (`0755`), or undefined for a symbolic one. */
export function octalChmod(spec: string): number | undefined {
  if (!/^[0-7]+$/.test(spec)) return undefined;
  const m = Number.parseInt(spec, 8);
  if (m > 0o7777) throw invalid(spec);
  return m;
}

/** @throws InvalidInputError for anything that is neither octal nor symbolic. */
export function parseChmod(spec: string): ChmodFn {
  const octal = octalChmod(spec);
  if (octal !== undefined) return () => octal;
  const clauses = spec.split(',').map((c) => {
    const m = CLAUSE.exec(c);
    if (!m) throw invalid(spec);
    const whoText = m[1].includes('a') || m[1] === '' ? 'ugo' : m[1];
    const who = [...new Set(whoText)] as Who[];
    const ops = [...m[2].matchAll(/([-+=])([ugo]|[rwxXst]*)/g)].map((o) => ({ op: o[1], perms: o[2] }));
    return { who, ops };
  });
  return (mode, isDir) => {
    let cur = mode & 0o7777;
    for (const { who, ops } of clauses) {
      for (const { op, perms } of ops) {
        const bits = bitsFor(who, perms, cur, mode, isDir);
        if (op === '+') cur |= bits;
        else if (op === '-') cur &= ~bits;
        else cur = (cur & ~clearMask(who)) | bits;
      }
    }
    return cur;
  };
}

function bitsFor(who: Who[], perms: string, cur: number, orig: number, isDir: boolean): number {
  let bits = 0;
  if (perms === 'u' || perms === 'g' || perms === 'o') {
    const src = (cur >> CLASS_SHIFT[perms]) & 0o7;
    for (const w of who) bits |= src << CLASS_SHIFT[w];
    return bits;
  }
  for (const p of perms) {
    for (const w of who) {
      const s = CLASS_SHIFT[w];
      if (p === 'r') bits |= 0o4 << s;
      else if (p === 'w') bits |= 0o2 << s;
      else if (p === 'x') bits |= 0o1 << s;
      else if (p === 'X') {
        if (isDir || (orig & 0o111) !== 0) bits |= 0o1 << s;
      } else if (p === 's') {
        if (w === 'u') bits |= 0o4000;
        if (w === 'g') bits |= 0o2000;
      } else if (p === 't') {
        if (w === 'o') bits |= 0o1000;
      }
    }
  }
  return bits;
}

/** What `=` resets for the given classes: their rwx, plus setuid/setgid/sticky that belong to them. */
function clearMask(who: Who[]): number {
  let m = 0;
  for (const w of who) {
    m |= 0o7 << CLASS_SHIFT[w];
    if (w === 'u') m |= 0o4000;
    if (w === 'g') m |= 0o2000;
    if (w === 'o') m |= 0o1000;
  }
  return m;
}

function invalid(spec: string): InvalidInputError {
  return new InvalidInputError(
    `parse chmod: invalid mode ${JSON.stringify(spec)}: want octal up to 07777 or symbolic like u=rwX,go=rX`,
  );
}
