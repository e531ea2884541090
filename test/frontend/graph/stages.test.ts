import { describe, expect, test } from 'vitest';
import { baseImageRefs } from '../../../frontend/graph/index.js';
import { parse } from '../../../frontend/parser/index.js';
import { graph, graphError, ins, steps } from './helpers.js';

const multi = `FROM alpine AS base
RUN echo base
FROM base AS Build
COPY --from=tools /t /t
FROM scratch AS unused
FROM busybox AS tools
FROM scratch AS final
COPY --from=build /out /out
COPY --from=0 /etc/os-release /
COPY --from=nginx:1 /etc/nginx /nginx
`;

describe('stage selection', () => {
  test('default target: last stage; only needed stages, in file order, target last', () => {
    const g = graph(multi.replace('COPY --from=tools /t /t\n', ''));
    expect(g.stages.map((s) => s.name)).toEqual(['base', 'build', 'final']);
    expect(g.target).toBe(4);
    expect(g.stages[1].base).toEqual({ kind: 'stage', index: 0 });
    const c = g.stages[2].steps.map((s) => ins(s, 'copy').from);
    expect(c).toEqual([
      { kind: 'stage', index: 1 },
      { kind: 'stage', index: 0 },
      { kind: 'image', ref: 'nginx:1' },
    ]);
    expect(g.stages[2].deps).toEqual([0, 1]);
  });

  test('--target picks a stage case-insensitively and drops what it does not need', () => {
    const g = graph(multi.replace('COPY --from=tools /t /t\n', ''), { target: 'BUILD' });
    expect(g.stages.map((s) => s.index)).toEqual([0, 1]);
    expect(g.target).toBe(1);
  });

  test('unknown target lists the stage names', () => {
    const err = graphError(multi, { target: 'nope' });
    expect(err.message).toBe(
      'target stage "nope" could not be found (stages: base, build, unused, tools, final)',
    );
  });

  test('copying from a later stage is an error at the COPY', () => {
    const err = graphError(multi);
    expect(err.message).toBe(
      'cannot copy from stage "tools", it needs to be defined before current stage "build"',
    );
    expect(err.range?.start.line).toBe(4);
  });

  test('numeric --from out of range, and cycles, are located errors', () => {
    expect(graphError('FROM scratch\nCOPY --from=3 a b\n').message).toBe('invalid stage index 3');
    const cyc = graphError('FROM scratch AS a\nCOPY --from=b x y\nFROM scratch AS b\nCOPY --from=a x y\n');
    expect(cyc.message).toBe('circular dependency detected on stage: a');
    expect(cyc.range?.start.line).toBe(2);
    expect(graphError('FROM scratch AS a\nCOPY --from=a x y\n').message).toBe(
      'circular dependency detected on stage: a',
    );
  });

  test('RUN --mount from= names a stage (by name only) or an image', () => {
    const g = graph(
      'FROM scratch AS src\nFROM scratch\nRUN --mount=from=SRC,target=/s --mount=from=golang:1,target=/g true\n',
    );
    expect(ins(steps(g)[0], 'run').mounts.map((m) => m.from)).toEqual([
      { kind: 'stage', index: 0 },
      { kind: 'image', ref: 'golang:1' },
    ]);
    expect(g.stages[1].deps).toEqual([0]);
    const later = graphError(
      'FROM scratch AS first\nRUN --mount=from=later,target=/x true\nFROM scratch AS later\n',
      {
        target: 'first',
      },
    );
    expect(later.message).toBe(
      'cannot mount from stage "later", stage needs to be defined before current command',
    );
    expect(later.range?.start.line).toBe(2);
  });

  test('instructions before FROM other than ARG are rejected', () => {
    const err = graphError('RUN true\nFROM scratch\n');
    expect(err.message).toBe('no build stage in current context');
    expect(err.range?.start.line).toBe(1);
  });
});

describe('ONBUILD', () => {
  test("a base stage's ONBUILD lines run first in the child, located at the child's FROM", () => {
    const g = graph(
      'FROM scratch AS helper\nFROM scratch AS base\nONBUILD ENV T=1\nONBUILD COPY --from=helper a b\nFROM base\nRUN true\n',
    );
    const child = g.stages[g.stages.length - 1];
    expect(child.steps.map((s) => [s.instruction.kind, s.fromOnBuild ?? false, s.range.start.line])).toEqual([
      ['env', true, 5],
      ['copy', true, 5],
      ['run', false, 6],
    ]);
    expect(child.deps).toEqual([0, 1]);
    // The base itself does not run its own triggers, and they are not inherited further.
    expect(g.stages.find((s) => s.name === 'base')?.steps.map((s) => s.instruction.kind)).toEqual([
      'onbuild',
      'onbuild',
    ]);
  });

  test('triggers from the base image config come from the options and may need new stages', () => {
    const baseImages = new Map([
      ['app:onbuild', { env: ['X=1'], onBuild: ['COPY --from=assets /a /a', 'RUN echo $X'] }],
    ]);
    const g = graph('FROM scratch AS assets\nFROM app:onbuild\nLABEL x=$X\n', { baseImages });
    expect(g.stages.map((s) => s.index)).toEqual([0, 1]);
    expect(g.stages[1].steps.map((s) => s.fromOnBuild ?? false)).toEqual([true, true, false]);
    expect(ins(g.stages[1].steps[2], 'label').pairs).toEqual([['x', '1']]);
    expect(g.stages[1].deps).toEqual([0]);
  });

  test('a bad trigger is reported at the FROM line', () => {
    const baseImages = new Map([['img', { env: [], onBuild: ['COPY --bogus a b'] }]]);
    const err = graphError('FROM scratch\n\nFROM img\n', { baseImages });
    expect(err.message).toContain('unknown flag: --bogus');
    expect(err.range?.start.line).toBe(3);
  });
});

describe('baseImageRefs', () => {
  test('expanded FROM refs and COPY/mount image refs of the needed stages, once each', () => {
    const text =
      'ARG V=1\nFROM alpine:$V AS a\nFROM scratch AS b\nFROM a\nCOPY --from=nginx /x /x\nRUN --mount=from=alpine:1,target=/m --mount=from=b,target=/n true\nFROM debian AS unused\n';
    const parsed = parse(text, { file: 'Dockerfile' });
    expect(baseImageRefs(parsed, { file: 'Dockerfile', target: 'a' })).toEqual(['alpine:1']);
    const all = baseImageRefs(parsed, { file: 'Dockerfile', buildArgs: { V: '2' } });
    expect(all).toEqual(['debian']);
    const third = baseImageRefs(parse(text.replace('FROM debian AS unused\n', ''), { file: 'Dockerfile' }), {
      file: 'Dockerfile',
    });
    expect(third).toEqual(['alpine:1', 'nginx']);
  });
});
