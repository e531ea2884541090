import { lstat, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshStore } from '../core/views/plan-fixture.js';
import { strata } from '../helpers/cli.js';

/** A two-stage build on scratch (no base image to import): the plan needs no execution. */
async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-graph-'));
  await writeFile(
    join(dir, 'Dockerfile'),
    'FROM scratch AS files\nCOPY a.txt /a.txt\nARG MSG=hi\nLABEL msg=$MSG\nFROM scratch\nCOPY --from=files /a.txt /b.txt\nCMD ["/b"]\n',
  );
  await writeFile(join(dir, 'a.txt'), 'a\n');
  return dir;
}

describe('strata graph', () => {
  it('DOT on stdout by default: clusters, every step a node, the cross-stage edge', async () => {
    const store = await freshStore();
    const ctx = await project();
    const r = await strata(['graph', '--root', store.root, ctx]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('digraph strata {\n')).toBe(true);
    expect(r.stdout).toContain('subgraph cluster_0 {');
    expect(r.stdout).toContain('subgraph cluster_1 {');
    expect(r.stdout).toMatch(
      / {4}s0_0 \[label="\[files 1\/1\] COPY a\.txt \/a\.txt\\nMISS", tooltip="line 2: no earlier build of this step"/,
    );
    expect(r.stdout).toContain('  s0_2 -> s1_0 [style=dashed');
  });

  it('-o x.html writes one HTML file; --build-arg reaches the plan', async () => {
    const store = await freshStore();
    const ctx = await project();
    const out = join(await mkdtemp(join(tmpdir(), 'strata-graph-out-')), 'plan.html');
    const r = await strata(['graph', '--root', store.root, '--build-arg', 'MSG=bye', '-o', out, ctx]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `wrote ${out}: 5 steps (0 hit, 1 miss, 0 cascade, 1 decided after the stage they read runs)\n`,
    );
    const html = await readFile(out, 'utf8');
    expect(html).toContain('"label":"[files label] LABEL msg=$MSG"');
    expect(html).toMatch(/<title>strata graph: \S*Dockerfile<\/title>/);
  });

  it('-o replaces a symlink planted at the output instead of writing through it', async () => {
    const store = await freshStore();
    const dir = await mkdtemp(join(tmpdir(), 'strata-graph-out-'));
    await writeFile(join(dir, 'victim'), 'precious\n');
    await symlink(join(dir, 'victim'), join(dir, 'plan.html'));
    const r = await strata(['graph', '--root', store.root, '-o', join(dir, 'plan.html'), await project()]);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(dir, 'victim'), 'utf8')).toBe('precious\n');
    expect((await lstat(join(dir, 'plan.html'))).isFile()).toBe(true);
  });

  it('rejects an unknown format', async () => {
    const store = await freshStore();
    const r = await strata(['graph', '--root', store.root, '--format', 'png', await project()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('graph: --format must be dot or html, not "png"');
  });
});
