import { describe, expect, it } from 'vitest';
import {
  applyStep,
  createdBy,
  inheritStageState,
  initStageState,
  runEnv,
} from '../../../core/plan/config-apply.js';
import type { Instruction, Step } from '../../../frontend/graph/types.js';

const step = (instruction: Instruction, args: [string, string][] = [], source = ''): Step => ({
  index: 0,
  range: { start: { line: 1, col: 1 }, end: { line: 1, col: 1 } },
  source,
  instruction,
  args,
});

describe('config replay', () => {
  it('defaults PATH and WorkingDir for scratch', () => {
    const s = initStageState(undefined, true);
    expect(s.config.WorkingDir).toBe('/');
    expect(s.config.Env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  });

  it('replaces an ENV key in place and keeps the order', () => {
    const s = initStageState({ Env: ['A=1', 'PATH=/bin', 'B=2'] }, false);
    applyStep(
      s,
      step({
        kind: 'env',
        pairs: [
          ['PATH', '/x'],
          ['C', '3'],
        ],
      }),
    );
    expect(s.config.Env).toEqual(['A=1', 'PATH=/x', 'B=2', 'C=3']);
  });

  it('ENTRYPOINT clears an inherited CMD but keeps one set in this stage', () => {
    const a = initStageState({ Cmd: ['base'] }, false);
    applyStep(a, step({ kind: 'entrypoint', command: { form: 'exec', args: ['/run'] } }));
    expect(a.config.Cmd).toBeNull();
    const b = initStageState({ Cmd: ['base'] }, false);
    applyStep(b, step({ kind: 'cmd', command: { form: 'exec', args: ['mine'] } }));
    applyStep(b, step({ kind: 'entrypoint', command: { form: 'shell', text: 'run me' } }));
    expect(b.config.Cmd).toEqual(['mine']);
    expect(b.config.Entrypoint).toEqual(['/bin/sh', '-c', 'run me']);
  });

  it('SHELL changes how later shell forms are wrapped', () => {
    const s = initStageState(undefined, true);
    applyStep(s, step({ kind: 'shell', shell: ['/bin/bash', '-ec'] }));
    applyStep(s, step({ kind: 'cmd', command: { form: 'shell', text: 'echo hi' } }));
    expect(s.config.Cmd).toEqual(['/bin/bash', '-ec', 'echo hi']);
  });

  it('an ARG after an ENV of the same name wins for RUN but not in the config (BuildKit precedence)', () => {
    const s = initStageState({ Env: ['X=fromenv'] }, false);
    applyStep(s, step({ kind: 'arg', args: [{ name: 'X', value: 'fromarg' }] }, [['X', 'fromarg']]));
    expect(runEnv(s)).toContain('X=fromarg');
    expect(s.config.Env).toContain('X=fromenv');
    applyStep(s, step({ kind: 'env', pairs: [['X', 'again']] }));
    expect(runEnv(s)).toContain('X=again');
  });

  it('writes RUN history with the in-scope args prefix', () => {
    const s = initStageState(undefined, true);
    const st = step(
      {
        kind: 'run',
        command: { form: 'shell', text: 'make' },
        mounts: [],
        network: 'default',
        security: 'sandbox',
        files: [],
      },
      [['V', '1']],
    );
    expect(createdBy(st, s)).toBe('RUN |1 V=1 /bin/sh -c make # buildkit');
  });

  it('a stage FROM a stage keeps its config but not its ONBUILD triggers (they ran)', () => {
    const base = initStageState(undefined, true);
    applyStep(base, step({ kind: 'onbuild', trigger: 'RUN echo hi' }));
    applyStep(base, step({ kind: 'env', pairs: [['A', '1']] }));
    base.cmdSet = true;
    expect(base.config.OnBuild).toEqual(['RUN echo hi']);
    const child = inheritStageState(base);
    expect(child.config.OnBuild).toBeUndefined();
    expect(child.config.Env).toContain('A=1');
    expect(child.cmdSet).toBe(false);
    // The base stage's own state is left as it was.
    expect(base.config.OnBuild).toEqual(['RUN echo hi']);
  });

  it('history records COPY/ADD as BuildKit commits them and EXPOSE as its port list', () => {
    const s = initStageState(undefined, true);
    const copy = step(
      {
        kind: 'copy',
        sources: ['foo2', 'bar'],
        heredocs: [],
        dest: '/foo3/',
        from: { kind: 'stage', index: 0 },
        link: true,
        parents: false,
        chown: '1:2',
        chmod: '0644',
        exclude: ['*.tmp'],
      },
      [],
      'COPY --from=base --link --chown=1:2 --chmod=0644 --exclude=*.tmp foo2  bar /foo3/',
    );
    expect(createdBy(copy, s)).toBe('COPY --chown=1:2 --chmod=0644 foo2 bar /foo3/ # buildkit');
    const expose = step(
      { kind: 'expose', ports: ['1234/udp', '2375/tcp', '5000/tcp'] },
      [],
      'EXPOSE 2375 5000 1234/udp',
    );
    expect(createdBy(expose, s)).toBe('EXPOSE [1234/udp 2375/tcp 5000/tcp]');
  });

  it('healthcheck NONE and exposed ports', () => {
    const s = initStageState(undefined, true);
    applyStep(s, step({ kind: 'expose', ports: ['80/tcp', '53/udp'] }));
    applyStep(
      s,
      step({
        kind: 'healthcheck',
        test: ['NONE'],
        interval: 0,
        timeout: 0,
        startPeriod: 0,
        startInterval: 0,
        retries: 0,
      }),
    );
    expect(s.config.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} });
    expect(s.config.Healthcheck).toEqual({ Test: ['NONE'] });
  });
});
