/**
 * Rough edges found building real projects' Dockerfiles: docker build's --network flag, lint
 * advice only when something runs and naming the Dockerfile as the user gave it, a notice for
 * `# syntax=`, and whole lines in the `last output:` of a failed RUN.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { buildToDir, stepOutcomes, strata, strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();

/** Interface names in a /proc/net/dev dump. */
function interfaces(dev: string): string[] {
  return dev
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0].trim())
    .filter((n) => n !== '')
    .sort();
}

describe('build rough edges', () => {
  let root: string;
  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    await importBusybox(root);
  });

  it('--network=none|host|default sets the network of RUN steps that name none; others are refused', async () => {
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nRUN cat /proc/net/dev > /net-default\nRUN --network=host cat /proc/net/dev > /net-host\n',
    );
    // veth pairs come and go as other containers start: compare the host's lasting ones.
    const host = interfaces(await readFile('/proc/net/dev', 'utf8')).filter(
      (n) => !/^(veth|cni|br-)/.test(n),
    );
    expect(host.length).toBeGreaterThan(1); // the host has more than lo, or the test proves nothing
    const hostLike = (dev: string) => expect(interfaces(dev)).toEqual(expect.arrayContaining(host));
    const none = await tmp();
    await buildToDir(root, ctx, none, ['--network=none']);
    expect(interfaces(await readFile(join(none, 'net-default'), 'utf8'))).toEqual(['lo']);
    // The RUN that names its network keeps it.
    hostLike(await readFile(join(none, 'net-host'), 'utf8'));
    for (const mode of ['host', 'default']) {
      const out = await tmp();
      await buildToDir(root, ctx, out, ['--network', mode]);
      hostLike(await readFile(join(out, 'net-default'), 'utf8'));
    }
    const bad = await strata(['build', '--root', root, '--network', 'mynet', ctx]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--network "mynet": want default, host or none');
  });

  it('lint advice prints when a step runs, not on a fully cached build, naming the Dockerfile as given', async () => {
    const base = await tmp();
    const ctx = join(base, 'proj');
    await mkdir(ctx);
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo built > /b\nCMD echo hi\n');
    const first = await strataOk(['build', '--root', root, '--progress', 'plain', 'proj'], { cwd: base });
    expect(first.stderr).toContain('proj/Dockerfile:3: JSONArgsRecommended');
    expect(first.stderr).not.toContain('../');
    const again = await strataOk(['build', '--root', root, '--progress', 'plain', 'proj'], { cwd: base });
    expect(stepOutcomes(again.stderr).every((s) => s.cached)).toBe(true);
    expect(again.stderr).not.toContain('JSONArgsRecommended');
    // -f as typed, from wherever the user stands.
    const sub = join(base, 'a', 'b');
    await mkdir(sub, { recursive: true });
    await writeFile(join(ctx, 'other.Dockerfile'), 'FROM busybox\nRUN echo other > /o\nCMD echo hi\n');
    const named = await strataOk(
      ['build', '--root', root, '--progress', 'plain', '-f', '../../proj/other.Dockerfile', '../../proj'],
      { cwd: sub },
    );
    expect(named.stderr).toContain('../../proj/other.Dockerfile:3: JSONArgsRecommended');
  });

  it('a # syntax= line gets one notice naming the frontend strata implements', async () => {
    const ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), '# syntax=docker/dockerfile:1.7\nFROM busybox\nLABEL a=b\n');
    const r = await strataOk(['build', '--root', root, '--progress', 'plain', ctx]);
    const notices = r.stderr.split('\n').filter((l) => l.includes('# syntax=docker/dockerfile:1.7'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('strata parses Dockerfiles itself, with the docker/dockerfile:1 syntax');
  });

  it('the last output of a failed RUN keeps lines whole though they were written in pieces', async () => {
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nRUN printf npm; sleep 0.2; printf " "; sleep 0.2; printf "ERR! code E404\\n"; ' +
        'printf npm >&2; sleep 0.2; printf " ERR! 404 Not Found\\n" >&2; exit 1\n',
    );
    const r = await strata(['build', '--root', root, '--progress', 'plain', ctx]);
    expect(r.code).toBe(5);
    const block = r.stderr.slice(r.stderr.indexOf('last output:'));
    expect(block.split('\n').slice(1, 3)).toEqual(['  npm ERR! code E404', '  npm ERR! 404 Not Found']);
  });
});
