/**
 * Cache keys that see results (issue 14), side by side with `DOCKER_BUILDKIT=1 docker build`
 * on the same context and the same edits: each scenario asserts that strata and BuildKit
 * print the same CACHED/ran pattern for every COPY/RUN step. Where docker 20.10 lacks the
 * feature (COPY --link, --build-context), the assertion is BuildKit's documented behaviour.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { stepOutcomes, strataOk } from '../helpers/cli.js';
import { docker, requireDocker, requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();

/** `[stage i/n] INSTRUCTION: CACHED|ran` for the steps that make layers, in order. */
function pattern(out: string): string[] {
  return stepOutcomes(out)
    .filter((s) => /\] (COPY|RUN|ADD|WORKDIR) /.test(s.name))
    .map((s) => `${s.name.replace(/\s+/g, ' ')}: ${s.cached ? 'CACHED' : 'ran'}`);
}

let root: string;
let tag = 0;

async function strataPattern(ctx: string, flags: string[] = []): Promise<{ steps: string[]; out: string }> {
  const r = await strataOk(['build', '--root', root, '--progress', 'plain', ...flags, ctx]);
  return { steps: pattern(r.stderr), out: r.stderr };
}

async function dockerPattern(ctx: string): Promise<string[]> {
  const r = await docker(['build', '--progress', 'plain', '-t', `strata-keys-test:${++tag}`, ctx], {
    env: { DOCKER_BUILDKIT: '1' },
  });
  return pattern(r.stderr);
}

/** Builds with both, after `edit`, and expects the same pattern; returns strata's. */
async function sideBySide(ctx: string, edit?: () => Promise<void>): Promise<string[]> {
  await edit?.();
  const ours = await strataPattern(ctx);
  const theirs = await dockerPattern(ctx);
  expect(ours.steps).toEqual(theirs);
  return ours.steps;
}

beforeAll(async () => {
  requireRoot();
  requireDocker();
  root = await tmp();
  await importBusybox(root);
  const base = join(await tmp(), 'busybox.tar');
  await strataOk(['save', '--root', root, 'busybox:latest', '-o', base]);
  await docker(['load', '-i', base]);
});

/**
 * Docker's build cache outlives a test run (it is the shared engine's), so every scenario
 * carries a nonce of its own in what it builds: neither builder can have seen it before.
 */
const nonce = () => `n${Math.random().toString(36).slice(2, 10)}`;
const RUN_NONCE = nonce();
/** a.txt with this run's nonce as its first line (docker may have seen the rest before). */
const writeA = (ctx: string, body: string) => writeFile(join(ctx, 'a.txt'), `${RUN_NONCE}\n${body}`);

const artifactRun = (n: string) =>
  `RUN mkdir /out && echo ${n} > /out/n && wc -l < /a.txt >> /out/n && echo built > /out/x.txt && echo more > /out/y.txt`;
const ARTIFACT = (n: string) => `FROM busybox AS build
COPY a.txt /a.txt
${artifactRun(n)}
FROM busybox
COPY --from=build /out/n /n
RUN cat /n > /m
`;

describe('COPY --from keys on the content it copies', () => {
  it('an edit that keeps the artifact: the build stage reruns, COPY --from and the RUN after it are CACHED', async () => {
    const ctx = await tmp();
    const n = nonce();
    await writeFile(join(ctx, 'Dockerfile'), ARTIFACT(n));
    await writeA(ctx, 'one\ntwo\n');
    await sideBySide(ctx);
    const steps = await sideBySide(ctx, () => writeA(ctx, 'uno\ndos\n'));
    expect(steps).toEqual([
      '[build 2/3] COPY a.txt /a.txt: ran',
      `[build 3/3] ${artifactRun(n)}: ran`,
      '[stage-1 2/3] COPY --from=build /out/n /n: CACHED',
      '[stage-1 3/3] RUN cat /n > /m: CACHED',
    ]);
    // The explanation names what was compared.
    const again = await strataPattern(ctx, ['--no-cache']);
    expect(again.steps.every((s) => s.endsWith('ran'))).toBe(true);
    await writeA(ctx, 'eins\nzwei\n');
    const explained = await strataPattern(ctx);
    expect(explained.out).toMatch(
      /CACHE HIT: .*stage build reran, but what this step reads from it is unchanged/,
    );
  });

  it('an edit that changes the artifact: COPY --from and what follows run', async () => {
    const ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), ARTIFACT(nonce()));
    await writeA(ctx, 'one\n');
    await sideBySide(ctx);
    const steps = await sideBySide(ctx, () => writeA(ctx, 'one\ntwo\nthree\n'));
    expect(steps.slice(2)).toEqual([
      '[stage-1 2/3] COPY --from=build /out/n /n: ran',
      '[stage-1 3/3] RUN cat /n > /m: ran',
    ]);
  });

  it('a wildcard COPY --from keys on exactly the files it matches', async () => {
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      `FROM busybox AS build
COPY a.txt /a.txt
RUN mkdir /out && echo ${nonce()} > /out/x.txt && cp /a.txt /out/a.log
FROM busybox
COPY --from=build /out/*.txt /dst/
RUN ls /dst > /listing
`,
    );
    await writeA(ctx, 'v1');
    await sideBySide(ctx);
    // a.log changes, but *.txt matches only x.txt, which does not.
    const steps = await sideBySide(ctx, () => writeA(ctx, 'v2'));
    expect(steps.slice(2).every((s) => s.endsWith('CACHED'))).toBe(true);
  });

  it('RUN --mount=type=bind,from=<stage> keys on the mounted content', async () => {
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      `FROM busybox AS build
COPY a.txt /a.txt
RUN mkdir /out && echo ${nonce()} > /out/size && wc -c < /a.txt >> /out/size
FROM busybox
RUN --mount=type=bind,from=build,source=/out,target=/in cat /in/size > /size
`,
    );
    await writeA(ctx, 'abc');
    await sideBySide(ctx);
    const same = await sideBySide(ctx, () => writeA(ctx, 'xyz'));
    expect(same.at(-1)).toMatch(/CACHED$/);
    const changed = await sideBySide(ctx, () => writeA(ctx, 'abcdef'));
    expect(changed.at(-1)).toMatch(/ran$/);
  });
});

describe('BuildKit features docker 20.10 lacks: asserted against BuildKit documented behaviour', () => {
  it('COPY --link after a changed step stays CACHED; the steps after it rerun; the image still runs', async () => {
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      `FROM busybox
COPY base.txt /base.txt
COPY --link app.txt /app/app.txt
RUN cat /base.txt /app/app.txt > /both
`,
    );
    await writeFile(join(ctx, 'base.txt'), 'base v1\n');
    await writeFile(join(ctx, 'app.txt'), 'app\n');
    const out1 = await tmp();
    await strataOk(['build', '--root', root, '--output', `type=local,dest=${out1}`, ctx]);
    await writeFile(join(ctx, 'base.txt'), 'base v2\n');
    const second = await strataPattern(ctx, ['-t', 'strata-link:2']);
    expect(second.steps).toEqual([
      '[2/4] COPY base.txt /base.txt: ran',
      '[3/4] COPY --link app.txt /app/app.txt: CACHED',
      '[4/4] RUN cat /base.txt /app/app.txt > /both: ran',
    ]);
    expect(second.out).toMatch(/--link: independent of the layers below/);
    // Same diffID under a new chainID: the layer is re-stacked, and the result is whole.
    const tarPath = join(await tmp(), 'link.tar');
    await strataOk(['save', '--root', root, 'strata-link:2', '-o', tarPath]);
    await docker(['load', '-i', tarPath]);
    const run = await docker(['run', '--rm', 'strata-link:2', 'cat', '/both']);
    expect(run.stdout).toBe('base v2\napp\n');
  });

  it('a named --build-context directory is keyed by its content', async () => {
    const ctx = await tmp();
    const lib = await tmp();
    await mkdir(join(lib, 'src'));
    await writeFile(join(lib, 'src/lib.txt'), 'lib v1');
    await writeFile(
      join(ctx, 'Dockerfile'),
      'FROM busybox\nCOPY --from=lib src/lib.txt /lib.txt\nRUN cat /lib.txt > /copy\n',
    );
    const flags = ['--build-context', `lib=${lib}`];
    await strataPattern(ctx, flags);
    const same = await strataPattern(ctx, flags);
    expect(same.steps.every((s) => s.endsWith('CACHED'))).toBe(true);
    await writeFile(join(lib, 'src/lib.txt'), 'lib v2');
    const changed = await strataPattern(ctx, flags);
    expect(changed.steps.map((s) => s.endsWith('ran'))).toEqual([true, true]);
  });
});

describe('SOURCE_DATE_EPOCH (BuildKit >= 0.11 behaviour; docker 20.10 predates it)', () => {
  it('a changed epoch keeps every step that does not read it; the same epoch gives the same image', async () => {
    const ctx = await tmp();
    await writeFile(
      join(ctx, 'Dockerfile'),
      `FROM busybox AS app
COPY a.txt /a.txt
RUN cp /a.txt /b.txt
FROM app AS stamped
ARG SOURCE_DATE_EPOCH
RUN echo "$SOURCE_DATE_EPOCH" > /stamp
`,
    );
    await writeA(ctx, 'a');
    const id = async (epoch: string) => {
      const r = await strataOk(['build', '--root', root, '--progress', 'plain', ctx], {
        env: { SOURCE_DATE_EPOCH: epoch },
      });
      return { steps: pattern(r.stderr), id: /writing image (sha256:[a-f0-9]{64})/.exec(r.stderr)?.[1] };
    };
    const first = await id('1700000000');
    const again = await id('1700000000');
    expect(again.id).toBe(first.id);
    expect(again.steps.every((s) => s.endsWith('CACHED'))).toBe(true);
    const moved = await id('1800000000');
    // COPY and the RUN that does not declare the ARG stay cached; the stage that reads it reruns.
    expect(moved.steps).toEqual([
      '[app 2/3] COPY a.txt /a.txt: CACHED',
      '[app 3/3] RUN cp /a.txt /b.txt: CACHED',
      '[stamped 1/1] RUN echo "$SOURCE_DATE_EPOCH" > /stamp: ran',
    ]);
    expect(moved.id).not.toBe(first.id);
    const out = await tmp();
    await strataOk(['build', '--root', root, '--output', `type=local,dest=${out}`, ctx], {
      env: { SOURCE_DATE_EPOCH: '1800000000' },
    });
    expect(readFileSync(join(out, 'stamp'), 'utf8')).toBe('1800000000\n');
  });
});
