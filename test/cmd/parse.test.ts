import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import type { Io } from '../../cmd/io.js';
import { reportError } from '../../cmd/main.js';
import { run } from '../../cmd/parse.js';
import { InvalidInputError } from '../../core/oci/errors.js';

function capture(cwd: string, env: NodeJS.ProcessEnv = {}): { io: Io; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        f(String(chunk));
        cb();
      },
    });
  return {
    io: { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env, cwd },
    out: () => out,
    err: () => err,
  };
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-parse-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const DOCKERFILE = `# syntax=docker/dockerfile:1.7
ARG NODE=20
FROM node:\${NODE}-alpine AS deps
WORKDIR /app
COPY package.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
FROM scratch AS final
ARG VERSION=dev
COPY --from=deps /app/node_modules /app/node_modules
LABEL version=$VERSION
CMD ["node", "server.js"]
`;

describe('strata parse', () => {
  test('tree output: stages, expanded steps, deps, source lines, syntax recorded', async () => {
    const dir = project({ Dockerfile: DOCKERFILE });
    const c = capture(dir, { VERSION: 'from-env' });
    expect(
      await run(['--build-arg', 'NODE=22', '--build-arg=VERSION', '--build-arg', 'UNUSED=1', '.'], c.io),
    ).toBe(0);
    const out = c.out();
    expect(out).toContain('syntax: docker/dockerfile:1.7 (recorded, not fetched)');
    expect(out).toContain('stage 0 "deps"  FROM image node:22-alpine');
    expect(out).toContain(
      '[3/3] RUN --mount=type=cache,target=/root/.npm,id=/root/.npm,sharing=shared,rw npm ci',
    );
    expect(out).toContain('line 6: RUN --mount=type=cache,target=/root/.npm npm ci');
    expect(out).toContain('stage 1 "final"  FROM scratch');
    expect(out).toContain('needs: stage 0 "deps"');
    expect(out).toContain('COPY --from=stage 0 "deps" /app/node_modules -> /app/node_modules');
    expect(out).toContain('LABEL version="from-env"');
    expect(out).toContain('CMD ["node","server.js"]');
    expect(out).toContain('build args not consumed by any ARG: UNUSED');
    expect(c.err()).toBe('');
  });

  test('json output is the BuildGraph; -f and --target select', async () => {
    const dir = project({ 'Dockerfile.dev': DOCKERFILE });
    const c = capture('/');
    expect(
      await run(['-f', join(dir, 'Dockerfile.dev'), '--target', 'deps', '--format', 'json', dir], c.io),
    ).toBe(0);
    const g = JSON.parse(c.out());
    expect(g.file).toBe(join(dir, 'Dockerfile.dev'));
    expect(g.target).toBe(0);
    expect(g.stages).toHaveLength(1);
    expect(g.stages[0].steps.map((s: { instruction: { kind: string } }) => s.instruction.kind)).toEqual([
      'workdir',
      'copy',
      'run',
    ]);
    expect(g.directives.syntax).toBe('docker/dockerfile:1.7');
  });

  test('Dockerfile errors are thrown and render as FILE:LINE:COL with the line and a caret', async () => {
    const dir = project({ Dockerfile: 'FROM alpine\nCOPY --chmod=999 a b\n' });
    const c = capture(dir);
    const err = await run([], c.io).catch((e) => e);
    expect(err.code).toBe('E_PARSE');
    expect(reportError(err, c.io)).toBe(1);
    expect(c.err()).toBe(
      "Dockerfile:2:1: invalid chmod parameter: '999'. it should be octal string and between 0 and 07777\nCOPY --chmod=999 a b\n^\n",
    );
  });

  test('an error report shows each cause once, and never one it already shows', () => {
    const c = capture('/');
    const root = Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
    const err = new InvalidInputError('read dockerfile: /x: no such file', { cause: root });
    expect(reportError(err, c.io)).toBe(2);
    expect(c.err()).toBe(
      'strata: read dockerfile: /x: no such file\n  caused by: ENOENT: no such file or directory\n',
    );
    const c2 = capture('/');
    const wrapped = new InvalidInputError("images: Unknown option '--bogus'", {
      cause: new Error("Unknown option '--bogus'"),
    });
    reportError(wrapped, c2.io);
    expect(c2.err()).toBe("strata: images: Unknown option '--bogus'\n");
  });

  test('usage errors: bad --build-arg, bad --format, missing file', async () => {
    const dir = project({ Dockerfile: 'FROM scratch\n' });
    const c = capture(dir);
    await expect(run(['--build-arg', '=x'], c.io)).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(run(['--format', 'yaml'], c.io)).rejects.toThrow('--format must be tree or json');
    await expect(run(['-f', 'missing'], c.io)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(run(['--target', 'nope'], c.io)).rejects.toThrow('target stage "nope" could not be found');
  });
});
