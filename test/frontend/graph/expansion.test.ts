import { describe, expect, test } from 'vitest';
import { graph, graphError, ins, steps } from './helpers.js';

const pre = 'FROM scratch\nENV A=x B="b c" P=80\n';

describe('what is expanded', () => {
  test('RUN, CMD, ENTRYPOINT, HEALTHCHECK, SHELL and ONBUILD keep $ as written', () => {
    const s = steps(
      graph(
        `${pre}RUN echo $A\nCMD ["$A"]\nENTRYPOINT echo $A\nHEALTHCHECK CMD test $A\nSHELL ["$A"]\nONBUILD RUN $A\n`,
      ),
    );
    expect(ins(s[1], 'run').command).toEqual({ form: 'shell', text: 'echo $A' });
    expect(ins(s[2], 'cmd').command).toEqual({ form: 'exec', args: ['$A'] });
    expect(ins(s[3], 'entrypoint').command).toEqual({ form: 'shell', text: 'echo $A' });
    expect(ins(s[4], 'healthcheck').test).toEqual(['CMD-SHELL', 'test $A']);
    expect(ins(s[5], 'shell').shell).toEqual(['$A']);
    expect(ins(s[6], 'onbuild').trigger).toBe('RUN $A');
  });

  test('COPY/ADD sources, dest, chown, chmod; never --from', () => {
    const s = steps(
      graph(`${pre}ARG M=755\nCOPY --chown=$A:$A --chmod=$M $A/"$B" /dst/$A/\nADD --chown=\${A}1 s /d\n`),
    );
    const c = ins(s[2], 'copy');
    expect(c).toMatchObject({ sources: ['x/b c'], dest: '/dst/x/', chown: 'x:x', chmod: '755' });
    expect(ins(s[3], 'add').chown).toBe('x1');
    expect(graphError(`${pre}COPY --from=$A a b\n`).message).toContain(
      'variable expansion is not supported for --from',
    );
  });

  test('COPY heredocs: unquoted bodies expanded with quotes kept, quoted bodies raw', () => {
    const s = steps(graph(`${pre}COPY <<one <<"two" /d/\nv=$A "$B" \\$A\none\nv=$A\ntwo\n`));
    expect(ins(s[1], 'copy').heredocs).toEqual([
      { name: 'one', content: 'v=x "b c" $A\n' },
      { name: 'two', content: 'v=$A\n' },
    ]);
  });

  test('ENV/LABEL keys and values, USER, VOLUME, STOPSIGNAL, EXPOSE with word splitting', () => {
    const s = steps(
      graph(
        `${pre}ENV K_$A=$A\nLABEL "l $A"="$B"\nUSER $A:$A\nVOLUME /v/$A ["/w/$A"]\nSTOPSIGNAL SIG$A\n`
          .replace('SIG$A', '$S')
          .replace('FROM scratch\n', 'FROM scratch\nENV S=TERM\n'),
      ),
    );
    expect(ins(s[2], 'env').pairs).toEqual([['K_x', 'x']]);
    expect(ins(s[3], 'label').pairs).toEqual([['l x', 'b c']]);
    expect(ins(s[4], 'user').user).toBe('x:x');
    expect(ins(s[6], 'stopsignal').signal).toBe('TERM');
    const e = steps(graph(`${pre}ENV PS="81 82"\nEXPOSE $P $PS 90-91/UDP\n`));
    expect(ins(e[2], 'expose').ports).toEqual(['80/tcp', '81/tcp', '82/tcp', '90/udp', '91/udp']);
  });

  test('WORKDIR joins relative paths onto the current one and cleans', () => {
    const baseImages = new Map([['img', { env: [], workingDir: '/srv' }]]);
    const s = steps(
      graph('FROM img\nWORKDIR app\nWORKDIR ../x/./y/\nENV D=/abs\nWORKDIR $D//z/..\n', { baseImages }),
    );
    expect(ins(s[0], 'workdir').path).toBe('/srv/app');
    expect(ins(s[1], 'workdir').path).toBe('/srv/x/y');
    expect(ins(s[3], 'workdir').path).toBe('/abs');
  });

  test('RUN --mount values are expanded, targets made absolute, defaults filled', () => {
    const s = steps(
      graph(
        'FROM scratch AS base\nFROM scratch\nWORKDIR /w\nARG C=/root/.cache\nRUN --mount=type=cache,target=$C --mount=type=bind,from=base,source=/s,target=rel --mount=type=secret,target=/run/tok --mount=type=secret,id=npm,env=NPM --mount=type=ssh --mount=type=tmpfs,target=/t,size=1k make\n',
      ),
    );
    expect(ins(s[2], 'run').mounts).toEqual([
      { type: 'cache', target: '/root/.cache', id: '/root/.cache', sharing: 'shared', readonly: false },
      { type: 'bind', from: { kind: 'stage', index: 0 }, source: '/s', target: '/w/rel', readonly: true },
      { type: 'secret', id: 'tok', target: '/run/tok', required: false, readonly: true },
      { type: 'secret', id: 'npm', env: 'NPM', required: false, readonly: true },
      { type: 'ssh', id: 'default', required: false, readonly: true },
      { type: 'tmpfs', target: '/t', size: 1024, readonly: false },
    ]);
  });
});

describe('located expansion errors', () => {
  test('${X:?msg} fails at the instruction with FILE:LINE:COL and a caret', () => {
    const err = graphError('FROM scratch\n\nCOPY ${SRC:?required} /dst\n', { file: 'build/Dockerfile' });
    expect(err.code).toBe('E_PARSE');
    expect(err.message).toContain('SRC: required');
    expect(err.render().split('\n')).toEqual([
      `build/Dockerfile:3:1: ${err.message}`,
      'COPY ${SRC:?required} /dst',
      '^',
    ]);
  });

  test('global ARG default failures point at the ARG', () => {
    expect(graphError('ARG X=${Y:?no}\nFROM scratch\n').range?.start.line).toBe(1);
  });

  test('invalid values after expansion', () => {
    expect(graphError('FROM scratch\nENV S=NOPE\nSTOPSIGNAL $S\n').message).toBe('invalid signal: NOPE');
    expect(graphError('FROM scratch\nENV M=888\nCOPY --chmod=$M a b\n').message).toContain(
      "invalid chmod parameter: '888'",
    );
    expect(graphError('FROM scratch\nENV T=bogus\nRUN --mount=type=$T true\n').message).toContain(
      'unsupported mount type',
    );
    expect(graphError('FROM scratch\nRUN --mount=type=cache true\n').message).toContain(
      'invalid mount target "/"',
    );
    expect(graphError('FROM scratch\nEXPOSE 80/http\n').range?.start.line).toBe(2);
    expect(graphError('ARG E\nFROM $E\n').message).toContain('base name ($E) should not be blank');
    expect(graphError('FROM scratch\nADD --checksum=sha256:00 a /b\n').message).toBe(
      'checksum requires HTTP(S) or Git sources',
    );
  });
});
