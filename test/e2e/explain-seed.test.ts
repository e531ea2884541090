/**
 * The seed scenario through the real build, then the views: `strata explain` names why each
 * step missed (an edited index.js behind `COPY . .`, the install as its cascade; an edited
 * package.json behind the manifests COPY), `strata layers` shows real diff dirs, and
 * `strata graph` draws the next build's plan. Needs root (RUN goes through runc).
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';

const tmp = useTempDirs();

// The seed's Dockerfile.bad and .good on busybox; `cp` stands in for npm install.
const BAD =
  'FROM busybox\nWORKDIR /app\nCOPY . .\nRUN cp package.json /installed.json\nCMD ["cat", "/installed.json"]\n';
const GOOD =
  'FROM busybox\nWORKDIR /app\nCOPY package.json ./\nRUN cp package.json /installed.json\nCOPY . .\nCMD ["cat", "/installed.json"]\n';

interface Step {
  name: string;
  hit: boolean;
  cause?: string;
  reason: string;
  details: string[];
}

describe('strata explain, layers and graph on the seed scenario', () => {
  let root: string;
  let ctx: string;
  const build = (file: string) =>
    strataOk([
      'build',
      '--root',
      root,
      '--progress',
      'plain',
      '-f',
      join(ctx, file),
      '-t',
      `app:${file}`,
      ctx,
    ]);
  const explain = async (image: string): Promise<Step[]> =>
    JSON.parse((await strataOk(['explain', '--root', root, '--json', image])).stdout).steps;

  beforeAll(async () => {
    requireRoot();
    root = await tmp();
    ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile.bad'), BAD);
    await writeFile(join(ctx, 'Dockerfile.good'), GOOD);
    await writeFile(join(ctx, 'package.json'), '{"name":"app","version":"1.0.0"}\n');
    await writeFile(join(ctx, 'index.js'), 'console.log("hi");\n');
    await writeFile(join(ctx, '.dockerignore'), 'Dockerfile.*\n');
    await importBusybox(root);
  });

  it('bad Dockerfile: a comment in index.js misses COPY . . naming index.js, and the install as its cascade', async () => {
    await build('Dockerfile.bad');
    await writeFile(join(ctx, 'index.js'), '// a comment\nconsole.log("hi");\n');
    await build('Dockerfile.bad');
    const steps = await explain('app:Dockerfile.bad');
    expect(steps.map((s) => [s.name, s.hit, s.cause ?? null])).toEqual([
      ['[2/4] WORKDIR /app', true, null],
      ['[3/4] COPY . .', false, 'sources'],
      ['[4/4] RUN cp package.json /installed.json', false, 'parent'],
      ['[cmd] CMD ["cat", "/installed.json"]', false, 'parent'],
    ]);
    expect(steps[1].reason).toBe('COPY/ADD sources changed: changed index.js');
    expect(steps[1].details).toHaveLength(1);
    expect(steps[1].details[0]).toMatch(/^changed index\.js \([0-9a-f]{12} -> [0-9a-f]{12}\)$/);
    expect(steps[2].reason).toBe('the parent changed: cascade from [3/4] COPY . ., which missed');
    const text = (await strataOk(['explain', '--root', root, 'app:Dockerfile.bad'])).stdout;
    expect(text).toContain(
      '  MISS [3/4] COPY . .  (line 3)\n       cache miss (sources): COPY/ADD sources changed: changed index.js\n',
    );
    expect(text).toContain('  HIT  [2/4] WORKDIR /app  (line 2)\n       cache hit: made by build ');
  });

  it('good Dockerfile: a package.json change misses the manifests COPY naming package.json', async () => {
    await build('Dockerfile.good');
    await writeFile(join(ctx, 'package.json'), '{"name":"app","version":"1.0.1"}\n');
    await build('Dockerfile.good');
    const steps = await explain('app:Dockerfile.good');
    expect(steps[1].name).toBe('[3/5] COPY package.json ./');
    expect(steps[1].cause).toBe('sources');
    expect(steps[1].reason).toBe('COPY/ADD sources changed: changed package.json');
    expect(steps[2].cause).toBe('parent');
  });

  it('a changed build arg is named with its old and new value', async () => {
    await writeFile(
      join(ctx, 'Dockerfile.arg'),
      'FROM busybox\nARG NODE_ENV=development\nRUN echo "$NODE_ENV" > /env.txt\n',
    );
    const args = ['build', '--root', root, '-q', '-f', join(ctx, 'Dockerfile.arg'), '-t', 'app:arg'];
    await strataOk([...args, ctx]);
    await strataOk([...args, '--build-arg', 'NODE_ENV=production', ctx]);
    const steps = await explain('app:arg');
    expect(steps[0].hit).toBe(false);
    expect(steps[0].reason).toBe('a build arg changed: NODE_ENV changed "development" -> "production"');
    expect(steps[1].reason).toContain('cascade from');
  });

  it('a moved Dockerfile still gets reasons, from the last record of the same instruction', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'note.txt'), 'one\n');
    const df = 'FROM busybox\nCOPY note.txt /note.txt\n';
    await writeFile(join(dir, 'Dockerfile'), df);
    await strataOk(['build', '--root', root, '-q', dir]);
    await writeFile(join(dir, 'Dockerfile.moved'), df);
    await writeFile(join(dir, 'note.txt'), 'two\n');
    await strataOk([
      'build',
      '--root',
      root,
      '-q',
      '-f',
      join(dir, 'Dockerfile.moved'),
      '-t',
      'app:moved',
      dir,
    ]);
    const steps = await explain('app:moved');
    expect(steps[0].hit).toBe(false);
    expect(steps[0].reason).toBe('COPY/ADD sources changed: changed note.txt');
  });

  it('strata layers: every layer named, with a diff dir holding what its step wrote', async () => {
    const out = JSON.parse(
      (await strataOk(['layers', '--root', root, '--json', 'app:Dockerfile.good'])).stdout,
    );
    const layers = out.layers as {
      instruction?: string;
      instructionSource?: string;
      diffPath: string;
      lower: string[];
    }[];
    const copy = layers.find((l) => l.instruction === 'COPY package.json ./');
    expect(copy?.instructionSource).toBe('build');
    expect(await readdir(join(copy?.diffPath ?? '', 'app'))).toEqual(['package.json']);
    expect(layers[0].lower).toEqual([]);
    expect(layers.at(-1)?.lower).toHaveLength(layers.length - 1);
  });

  it('strata graph: the next build drawn before it runs, the edited file as a miss', async () => {
    await writeFile(join(ctx, 'index.js'), '// edited again\nconsole.log("hi");\n');
    const dot = (await strataOk(['graph', '--root', root, '-f', join(ctx, 'Dockerfile.bad'), ctx])).stdout;
    expect(dot).toMatch(
      /s0_1 \[label="\[3\/4\] COPY \. \.\\nMISS", tooltip="line 3: COPY\/ADD sources changed: changed index\.js/,
    );
    expect(dot).toMatch(/s0_0 \[label="\[2\/4\] WORKDIR \/app\\nHIT\\n\d/);
    expect(dot).toMatch(/s0_2 \[label="[^"]*\\nCASCADE"/);
  });
});
