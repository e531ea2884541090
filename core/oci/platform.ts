/**
 * Platforms (formats.md 5.4): the host's, `linux/arm64/v8` parsing, architecture aliases, and
 * choosing one manifest from an index: an exact variant first, else the best lower variant
 * the target can still run; `unknown/unknown` (attestation) entries are never chosen.
 */
import { InvalidInputError } from './errors.js';
import type { Descriptor, ImageConfig, Platform } from './types.js';

/** The host as an OCI platform string (`linux/amd64`): what a build targets by default. */
export function hostPlatform(): string {
  const arch: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm/v7',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  return `linux/${arch[process.arch] ?? process.arch}`;
}

const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  x64: { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  ia32: { architecture: '386' },
  i386: { architecture: '386' },
};

/** Fills aliases and default variants so two platforms compare field by field. */
export function normalizePlatform(p: Platform): Platform {
  const alias = ARCH_ALIASES[p.architecture.toLowerCase()];
  const architecture = alias?.architecture ?? p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() || alias?.variant;
  if (architecture === 'arm64' && (variant === undefined || variant === '8')) variant = 'v8';
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  const out: Platform = { os: p.os.toLowerCase(), architecture };
  if (variant !== undefined) out.variant = variant;
  if (p['os.version'] !== undefined) out['os.version'] = p['os.version'];
  return out;
}

/** `linux/amd64`, `linux/arm/v7`, `arm64` (os defaults to linux). */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().split('/');
  if (parts.some((x) => x === '') || parts.length > 3) {
    throw new InvalidInputError(`parse platform ${JSON.stringify(s)}: expected os/arch[/variant]`);
  }
  const [os, architecture, variant] = parts.length === 1 ? ['linux', parts[0]] : parts;
  return normalizePlatform({ os, architecture, ...(variant !== undefined ? { variant } : {}) });
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** The platform this process runs on, as an object. */
export function hostPlatformObject(): Platform {
  return parsePlatform(hostPlatform());
}

/** Higher rank = newer variant; the target can run any variant up to its own rank. */
function variantRank(arch: string, v: string | undefined): number {
  if (arch === 'amd64') return v === undefined ? 1 : Number(v.replace(/^v/, '')) || 0;
  if (arch === 'arm' || arch === 'arm64') return Number((v ?? '').replace(/^v/, '')) || 0;
  return v === undefined ? 0 : -1;
}

/** Whether an image built for `have` runs on `want` (both normalised). */
export function platformRuns(want: Platform, have: Platform): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  if (w.os === 'windows' && w['os.version'] && h['os.version'] && w['os.version'] !== h['os.version'])
    return false;
  if (w.variant === h.variant) return true;
  const hr = variantRank(h.architecture, h.variant);
  return hr >= 0 && hr <= variantRank(w.architecture, w.variant);
}

/** The best entry of `manifests` for `want`, or undefined when none can run there. */
export function selectPlatform(manifests: readonly Descriptor[], want: Platform): Descriptor | undefined {
  const w = normalizePlatform(want);
  let best: { d: Descriptor; rank: number } | undefined;
  for (const d of manifests) {
    if (d.platform === undefined) continue;
    if (d.platform.os === 'unknown' || d.platform.architecture === 'unknown') continue;
    if (!platformRuns(w, d.platform)) continue;
    const h = normalizePlatform(d.platform);
    // Exact variant wins; otherwise the newest compatible one. Ties keep index order.
    const rank = h.variant === w.variant ? 1000 : variantRank(h.architecture, h.variant);
    if (best === undefined || rank > best.rank) best = { d, rank };
  }
  return best?.d;
}

/** The platform an image config says it is for (`linux/arm64/v8`), normalised. */
export function configPlatform(c: Pick<ImageConfig, 'os' | 'architecture' | 'variant'>): Platform {
  return normalizePlatform({
    os: c.os || 'linux',
    architecture: c.architecture || 'amd64',
    ...(c.variant ? { variant: c.variant } : {}),
  });
}

/**
 * `--platform a,b`: each entry parsed and normalised, duplicates refused (two builds of one
 * platform would race for one tag), order kept (the first is what a plain tag resolves to).
 */
export function parsePlatformList(s: string): string[] {
  const out: string[] = [];
  for (const part of s.split(',')) {
    const p = canonicalPlatform(part);
    if (out.includes(p)) throw new InvalidInputError(`--platform ${s}: ${p} is given twice`);
    out.push(p);
  }
  return out;
}

/**
 * The one spelling of a platform strata keys, labels and tags by: parsed, aliases resolved,
 * and a default variant left out as BuildKit prints it (`linux/arm64`, not `linux/arm64/v8`;
 * `linux/arm/v7` keeps its variant).
 */
export function canonicalPlatform(s: string): string {
  return formatCanonical(parsePlatform(s));
}

/** canonicalPlatform of a Platform object (normalised first). */
export function formatCanonical(platform: Platform): string {
  const p = normalizePlatform(platform);
  if (p.architecture === 'arm64' && p.variant === 'v8') delete p.variant;
  return formatPlatform(p);
}
