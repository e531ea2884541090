import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { RuntimeMissingError, SecurityError } from '../oci/errors.js';

/** A parsed runc version: 1.1.5, 1.0.0-rc93 (rc 93), 1.4.0-rc.3. */
export interface RuncVersion {
  major: number;
  minor: number;
  patch: number;
  /** Release-candidate number; undefined for a final release (which sorts after every rc). */
  rc?: number;
}

/** A runc vulnerability and the releases that fix it. */
interface KnownCve {
  id: string;
  why: string;
  /**
   * The first fixed release of each series ('major.minor') that got one. A version in a
   * listed series below its entry is refused; a version below every entry in a series that
   * never got a fix is refused too when `refuseUnfixedSeries`, else it only warns.
   */
  fixedIn: string[];
  refuseUnfixedSeries: boolean;
  /** Distribution builds (the `commit:` line of `runc --version`) known to carry the fix. */
  backports: { pattern: RegExp; minRevision: number }[];
}

/**
 * Known runc breakouts that a build can trigger (security.md 1.1 and the runc advisories).
 * CVE-2019-5736 was disclosed after 1.0.0-rc6 shipped: rc7 is the first release with the fix.
 */
const KNOWN_CVES: KnownCve[] = [
  {
    id: 'CVE-2019-5736',
    why: 'a container can overwrite the host runc binary through /proc/self/exe',
    fixedIn: ['1.0.0-rc7'],
    refuseUnfixedSeries: true,
    backports: [],
  },
  {
    id: 'CVE-2021-30465',
    why: 'a mount target swapped for a symlink mounts over host paths',
    fixedIn: ['1.0.0-rc95'],
    refuseUnfixedSeries: true,
    // Bullseye's rc93 carries the patch (Debian changelog 1.0.0~rc93+ds1-4; believed, not
    // verified against the changelog here), so every deb11u build of -5 passes.
    backports: [{ pattern: /^1\.0\.0~rc93\+ds1-5\+deb11u(\d+)$/, minRevision: 0 }],
  },
  {
    id: 'CVE-2024-21626',
    why: 'a leaked host fd lets WORKDIR /proc/self/fd/N reach the host filesystem (Leaky Vessels)',
    fixedIn: ['1.1.12'],
    refuseUnfixedSeries: true,
    // DSA-5615-1: bookworm 1.1.5+ds1-1+deb12u1 and bullseye 1.0.0~rc93+ds1-5+deb11u3.
    backports: [
      { pattern: /^1\.1\.5\+ds1-1\+deb12u(\d+)$/, minRevision: 1 },
      { pattern: /^1\.0\.0~rc93\+ds1-5\+deb11u(\d+)$/, minRevision: 3 },
    ],
  },
  {
    // Three procfs-redirect breakouts published together (runc 1.2.8 release notes).
    id: 'CVE-2025-31133/CVE-2025-52565/CVE-2025-52881',
    why: 'masked-path and /dev/console mounts can be redirected to write host procfs files',
    fixedIn: ['1.2.8', '1.3.3', '1.4.0-rc3'],
    // 1.0 and 1.1 never got a release with the fix and Debian ships 1.1: warn only.
    refuseUnfixedSeries: false,
    backports: [],
  },
];

/** Parses '1.1.5', '1.1.5+ds1', 'v1.0.0-rc93', '1.0.0~rc93+ds1', '1.4.0-rc.3'. */
export function parseRuncVersion(text: string): RuncVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-~]rc\.?(\d+))?/.exec(text.trim());
  if (!m) return undefined;
  const v: RuncVersion = { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
  if (m[4] !== undefined) v.rc = Number(m[4]);
  return v;
}

export function compareRuncVersions(a: RuncVersion, b: RuncVersion): number {
  for (const k of ['major', 'minor', 'patch'] as const) {
    if (a[k] !== b[k]) return a[k] - b[k];
  }
  if (a.rc === b.rc) return 0;
  // A final release sorts after every candidate of the same version.
  if (a.rc === undefined) return 1;
  if (b.rc === undefined) return -1;
  return a.rc - b.rc;
}

/** What the version gate decided for one `runc --version` output. */
export interface RuncAssessment {
  version: string;
  /** The distribution build string (Debian puts its package version on the commit line). */
  build?: string;
  /** True when no known runc CVE is left unfixed. */
  fixed: boolean;
  /** Unfixed CVEs strata cannot demand a fix for (no fixed release in the series). */
  warnings: string[];
  /** Unfixed CVEs that make strata refuse this runc. */
  refusals: string[];
}

/** The version gate as a pure function of `runc --version` output. */
export function assessRunc(versionOutput: string): RuncAssessment {
  const first = /runc version\s+(\S+)/.exec(versionOutput);
  const commit = /^commit:\s*(\S+)/m.exec(versionOutput)?.[1];
  const versionText = first?.[1] ?? '';
  const v = parseRuncVersion(versionText);
  if (!v) {
    return {
      version: versionText,
      fixed: false,
      warnings: [],
      refusals: [`cannot parse runc version from ${JSON.stringify(versionOutput.split('\n')[0] ?? '')}`],
    };
  }
  const out: RuncAssessment = { version: versionText, fixed: true, warnings: [], refusals: [] };
  if (commit && /deb\d+u\d+|ubuntu/.test(commit)) out.build = commit;
  for (const cve of KNOWN_CVES) {
    if (isFixed(v, cve) || hasBackport(commit, cve)) continue;
    const fixes = cve.fixedIn.join(', ');
    const series = cve.fixedIn.map((f) => parseRuncVersion(f) as RuncVersion);
    const seriesFixed = series.some((f) => f.major === v.major && f.minor === v.minor);
    const msg = `runc ${versionText} lacks the fix for ${cve.id} (${cve.why}); fixed in ${fixes}`;
    out.fixed = false;
    // A patch release of the same series fixes it: insist. Otherwise only a move to a newer
    // series would, which strata must not demand where distributions ship an older one.
    if (seriesFixed || cve.refuseUnfixedSeries) out.refusals.push(msg);
    else out.warnings.push(msg);
  }
  return out;
}

function isFixed(v: RuncVersion, cve: KnownCve): boolean {
  const fixes = cve.fixedIn.map((f) => parseRuncVersion(f) as RuncVersion);
  // The fix of v's own series decides; outside every listed series, v is fixed when it
  // is newer than the oldest fix (series released after the fix landed).
  const same = fixes.find((f) => f.major === v.major && f.minor === v.minor);
  if (same) return compareRuncVersions(v, same) >= 0;
  return fixes.some((f) => compareRuncVersions(v, f) > 0);
}

function hasBackport(commit: string | undefined, cve: KnownCve): boolean {
  if (!commit) return false;
  return cve.backports.some((b) => {
    const m = b.pattern.exec(commit);
    return m !== null && Number(m[1]) >= b.minRevision;
  });
}

/** Finds `runc` on PATH, the way a shell would. */
export function findRunc(): string | undefined {
  for (const dir of (
    process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  ).split(':')) {
    if (!dir) continue;
    const p = path.join(dir, 'runc');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here, try the next PATH entry
    }
  }
  return undefined;
}

/**
 * Locates runc and applies the version gate.
 * @returns path, version text, `fixed` (no known CVE unfixed) and warnings to show the user
 * @throws RuntimeMissingError when runc is not found or does not run
 * @throws SecurityError when the version lacks a fix strata insists on
 */
export async function checkRunc(
  opts: { path?: string } = {},
): Promise<{ path: string; version: string; fixed: boolean; warnings: string[] }> {
  const runc = opts.path ?? findRunc();
  if (!runc) throw new RuntimeMissingError('find runc: not on PATH (install runc >= 1.1.12)');
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(runc, ['--version'], { timeout: 10_000 }));
  } catch (err) {
    throw new RuntimeMissingError(`run ${runc} --version: ${(err as Error).message}`, { cause: err });
  }
  const a = assessRunc(stdout);
  if (a.refusals.length > 0) {
    throw new SecurityError(`check runc: refusing ${runc}: ${a.refusals.join('; ')}`);
  }
  return { path: runc, version: a.build ?? a.version, fixed: a.fixed, warnings: a.warnings };
}
