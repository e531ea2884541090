/**
 * The predefined platform ARGs (TARGETPLATFORM, BUILDOS, ...) and TARGETSTAGE, computed from
 * the options; frontend/ cannot look at the host, so the caller passes the platforms.
 * Build-args of the same names override them (formats.md 1.9).
 */
import { DockerfileError } from '../errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Used only when the caller gives neither platform; core passes the host's. */
export const FALLBACK_PLATFORM = 'linux/amd64';

/** `os/arch[/variant]`, lower-cased. @throws DockerfileError on any other shape. */
export function parsePlatform(text: string): Platform {
  const parts = text.toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '' || !/^[a-z0-9._-]+$/.test(p))) {
    throw new DockerfileError(`failed to parse platform ${text}: expected os/arch[/variant]`);
  }
  const p: Platform = { os: parts[0], architecture: parts[1] };
  if (parts[2] !== undefined) p.variant = parts[2];
  return p;
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

export const PLATFORM_ARG_NAMES: readonly string[] = [
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDOSVERSION',
  'BUILDARCH',
  'BUILDVARIANT',
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETOSVERSION',
  'TARGETARCH',
  'TARGETVARIANT',
  'TARGETSTAGE',
];

/** The predefined args in BuildKit's order, build-arg overrides applied. */
export function platformArgs(
  opts: { targetPlatform?: string; buildPlatform?: string; buildArgs?: Record<string, string> },
  targetStage: string,
): [string, string][] {
  const build = parsePlatform(opts.buildPlatform ?? opts.targetPlatform ?? FALLBACK_PLATFORM);
  const target = parsePlatform(opts.targetPlatform ?? opts.buildPlatform ?? FALLBACK_PLATFORM);
  const values: [string, string][] = [
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDOSVERSION', ''],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETOSVERSION', ''],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
    ['TARGETSTAGE', targetStage],
  ];
  const overrides = opts.buildArgs ?? {};
  return values.map(([k, v]) => [k, Object.hasOwn(overrides, k) ? overrides[k] : v]);
}
