import { describe, expect, it } from 'vitest';
import { assessRunc, compareRuncVersions, parseRuncVersion } from '../../../core/runtime/runc-version.js';

const out = (version: string, commit?: string) =>
  `runc version ${version}\n${commit ? `commit: ${commit}\n` : ''}spec: 1.0.2-dev\ngo: go1.19.8\n`;

const T21626 = 'CVE-2024-21626';
const T2025 = 'CVE-2025-31133';

// [label, output, refused CVE ids (substring), warned CVE ids]
const table: [string, string, string[], string[]][] = [
  ['Debian bookworm deb12u1 (backport)', out('1.1.5+ds1', '1.1.5+ds1-1+deb12u1'), [], [T2025]],
  ['Debian bookworm deb12u3', out('1.1.5+ds1', '1.1.5+ds1-1+deb12u3'), [], [T2025]],
  ['Debian bookworm before the DSA', out('1.1.5+ds1', '1.1.5+ds1-1'), [T21626], [T2025]],
  ['upstream 1.1.5 without distro build', out('1.1.5', 'v1.1.5-0-gf19387a6'), [T21626], [T2025]],
  ['Debian bullseye deb11u3', out('1.0.0~rc93+ds1', '1.0.0~rc93+ds1-5+deb11u3'), [], [T2025]],
  ['Debian bullseye deb11u2', out('1.0.0~rc93+ds1', '1.0.0~rc93+ds1-5+deb11u2'), [T21626], [T2025]],
  ['1.1.11', out('1.1.11', 'v1.1.11-0-g4bccb38c'), [T21626], [T2025]],
  ['1.1.12', out('1.1.12', 'v1.1.12-0-g51d5e946'), [], [T2025]],
  ['1.1.15', out('1.1.15'), [], [T2025]],
  ['1.2.0-rc.1', out('1.2.0-rc.1'), [T2025], []],
  ['1.2.7', out('1.2.7'), [T2025], []],
  ['1.2.8', out('1.2.8'), [], []],
  ['1.3.2', out('1.3.2'), [T2025], []],
  ['1.3.3', out('1.3.3'), [], []],
  ['1.4.0-rc.2', out('1.4.0-rc.2'), [T2025], []],
  ['1.4.0-rc.3', out('1.4.0-rc.3'), [], []],
  ['1.4.0', out('1.4.0'), [], []],
  ['2.0.1', out('2.0.1'), [], []],
  ['1.0.0-rc6 (CVE-2019-5736)', out('1.0.0-rc6'), ['CVE-2019-5736', 'CVE-2021-30465', T21626], [T2025]],
  ['1.0.0-rc93 upstream', out('1.0.0-rc93'), ['CVE-2021-30465', T21626], [T2025]],
  ['1.0.0-rc95', out('1.0.0-rc95'), [T21626], [T2025]],
  ['Ubuntu 1.1.12 build', out('1.1.12-0ubuntu2~22.04.1', '1.1.12-0ubuntu2~22.04.1'), [], [T2025]],
];

describe('assessRunc version gate', () => {
  it.each(table)('%s', (_label, text, refused, warned) => {
    const a = assessRunc(text);
    for (const id of refused) expect(a.refusals.join('\n')).toContain(id);
    for (const id of warned) expect(a.warnings.join('\n')).toContain(id);
    expect(a.refusals).toHaveLength(refused.length);
    expect(a.warnings).toHaveLength(warned.length);
    expect(a.fixed).toBe(refused.length === 0 && warned.length === 0);
  });

  it('never refuses the runc Debian bookworm ships, and names the build', () => {
    const a = assessRunc(out('1.1.5+ds1', '1.1.5+ds1-1+deb12u1'));
    expect(a.refusals).toEqual([]);
    expect(a.build).toBe('1.1.5+ds1-1+deb12u1');
    expect(a.warnings[0]).toMatch(/fixed in 1\.2\.8, 1\.3\.3/);
  });

  it('refuses output it cannot parse', () => {
    expect(assessRunc('crun version 1.8').refusals).toHaveLength(1);
  });
});

describe('parseRuncVersion', () => {
  it('reads release candidates in their spellings', () => {
    expect(parseRuncVersion('1.0.0-rc93')).toEqual({ major: 1, minor: 0, patch: 0, rc: 93 });
    expect(parseRuncVersion('1.0.0~rc93+ds1')).toEqual({ major: 1, minor: 0, patch: 0, rc: 93 });
    expect(parseRuncVersion('v1.4.0-rc.3')).toEqual({ major: 1, minor: 4, patch: 0, rc: 3 });
    expect(parseRuncVersion('1.1.5+ds1')).toEqual({ major: 1, minor: 1, patch: 5 });
    expect(parseRuncVersion('next')).toBeUndefined();
  });

  it('sorts a final release after its candidates', () => {
    const v = (s: string) => parseRuncVersion(s) as NonNullable<ReturnType<typeof parseRuncVersion>>;
    expect(compareRuncVersions(v('1.0.0'), v('1.0.0-rc95'))).toBeGreaterThan(0);
    expect(compareRuncVersions(v('1.0.0-rc7'), v('1.0.0-rc95'))).toBeLessThan(0);
    expect(compareRuncVersions(v('1.1.12'), v('1.1.12'))).toBe(0);
  });
});
