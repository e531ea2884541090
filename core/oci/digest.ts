/**
 * Digests, diffIDs and chainIDs. Three different hashes that must never be mixed up:
 * - diffID: sha256 of an uncompressed layer tar (what the image config lists);
 * - blob digest: sha256 of the bytes as stored/transferred (what manifests list);
 * - chainID: names a stack of layers; a parent change renames every child.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from './errors.js';

export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/** Parses and validates a digest string; only sha256 is accepted. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw new InvalidInputError(`parse digest: ${JSON.stringify(s)} is not a sha256 digest`);
  return s;
}

export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

export function sha256(data: string | Uint8Array): Digest {
  // join, not a template: one flat 71-character string. A template gives a cons string over
  // the hex (112 bytes instead of 88), and a build keeps one digest per file it copies.
  return ['sha256:', createHash('sha256').update(data).digest('hex')].join('') as Digest;
}

/** chainID(L1) = diffID(L1); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainId(parent: Digest | undefined, diffId: Digest): Digest {
  return parent === undefined ? diffId : sha256(`${parent} ${diffId}`);
}

/** The chainIDs of every prefix of a diffID list, in order. */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  let parent: Digest | undefined;
  for (const d of diffIds) {
    parent = chainId(parent, d);
    out.push(parent);
  }
  return out;
}

/**
 * Canonical JSON: object keys sorted, no whitespace, undefined members dropped. Used for
 * cache keys and anything else hashed, so key order in code can never change a digest.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}
