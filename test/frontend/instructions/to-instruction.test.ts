import { describe, expect, test } from 'vitest';
import { DockerfileError } from '../../../frontend/errors.js';
import { type ParsedInstruction, toInstruction } from '../../../frontend/instructions/index.js';
import { parse } from '../../../frontend/parser/index.js';

/** Types the last instruction of `text` (earlier lines give context such as FROM). */
function typed(text: string): ParsedInstruction {
  const parsed = parse(text, { file: 'Dockerfile' });
  const node = parsed.nodes[parsed.nodes.length - 1];
  return toInstruction(node, { file: 'Dockerfile', lines: parsed.lines });
}

function error(text: string): DockerfileError {
  try {
    typed(text);
  } catch (err) {
    expect(err).toBeInstanceOf(DockerfileError);
    return err as DockerfileError;
  }
  throw new Error(`expected an error for ${JSON.stringify(text)}`);
}

describe('conversion table', () => {
  const cases: [string, ParsedInstruction][] = [
    ['FROM alpine', { kind: 'from', image: 'alpine' }],
    [
      'FROM --platform=$BUILDPLATFORM golang AS Build',
      { kind: 'from', image: 'golang', stageName: 'build', platform: '$BUILDPLATFORM' },
    ],
    ['FROM a as b', { kind: 'from', image: 'a', stageName: 'b' }],
    [
      'ENV A=1 B="two words"',
      {
        kind: 'env',
        pairs: [
          ['A', '1'],
          ['B', '"two words"'],
        ],
      },
    ],
    ['ENV LEGACY value with spaces', { kind: 'env', pairs: [['LEGACY', 'value with spaces']] }],
    ['LABEL a=b', { kind: 'label', pairs: [['a', 'b']] }],
    [
      'ARG A B=2 C=',
      { kind: 'arg', args: [{ name: 'A' }, { name: 'B', value: '2' }, { name: 'C', value: '' }] },
    ],
    ['MAINTAINER Jane "J" Doe', { kind: 'maintainer', name: 'Jane "J" Doe' }],
    ['EXPOSE 8080 80/udp 443', { kind: 'expose', ports: ['443', '80/udp', '8080'] }],
    ['USER app:app', { kind: 'user', user: 'app:app' }],
    ['WORKDIR my dir', { kind: 'workdir', path: 'my dir' }],
    ['STOPSIGNAL SIGKILL', { kind: 'stopsignal', signal: 'SIGKILL' }],
    ['CMD echo $HOME', { kind: 'cmd', command: { form: 'shell', text: 'echo $HOME' } }],
    [
      'ENTRYPOINT ["/bin/app", "-v"]',
      { kind: 'entrypoint', command: { form: 'exec', args: ['/bin/app', '-v'] } },
    ],
    ['CMD []', { kind: 'cmd', command: { form: 'exec', args: [] } }],
    ['VOLUME /a /b', { kind: 'volume', paths: ['/a', '/b'] }],
    ['VOLUME ["/data"]', { kind: 'volume', paths: ['/data'] }],
    ['SHELL ["/bin/bash", "-c"]', { kind: 'shell', shell: ['/bin/bash', '-c'] }],
    ['ONBUILD RUN echo hi', { kind: 'onbuild', trigger: 'RUN echo hi' }],
    [
      'HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --retries=3 CMD curl -f http://x/',
      {
        kind: 'healthcheck',
        test: ['CMD-SHELL', 'curl -f http://x/'],
        interval: 90e9,
        timeout: 500e6,
        startPeriod: 2e9,
        startInterval: 0,
        retries: 3,
      },
    ],
    [
      'HEALTHCHECK CMD ["true"]',
      {
        kind: 'healthcheck',
        test: ['CMD', 'true'],
        interval: 0,
        timeout: 0,
        startPeriod: 0,
        startInterval: 0,
        retries: 0,
      },
    ],
    [
      'HEALTHCHECK NONE',
      {
        kind: 'healthcheck',
        test: ['NONE'],
        interval: 0,
        timeout: 0,
        startPeriod: 0,
        startInterval: 0,
        retries: 0,
      },
    ],
    [
      'COPY --from=build --chown=1:2 --chmod=755 --link --exclude=*.md --exclude=x a b /dst/',
      {
        kind: 'copy',
        sources: ['a', 'b'],
        heredocs: [],
        dest: '/dst/',
        from: 'build',
        chown: '1:2',
        chmod: '755',
        link: true,
        parents: false,
        exclude: ['*.md', 'x'],
      },
    ],
    [
      'ADD --keep-git-dir=false --unpack --checksum=sha256:abc https://x/y.tgz /y',
      {
        kind: 'add',
        sources: ['https://x/y.tgz'],
        heredocs: [],
        dest: '/y',
        checksum: 'sha256:abc',
        keepGitDir: false,
        unpack: true,
        link: false,
        parents: false,
        exclude: [],
      },
    ],
    [
      'COPY ["a b", "/c d"]',
      {
        kind: 'copy',
        sources: ['a b'],
        heredocs: [],
        dest: '/c d',
        link: false,
        parents: false,
        exclude: [],
      },
    ],
  ];
  test.each(cases)('%s', (text, expected) => {
    expect(typed(text)).toEqual(expected);
  });
});

describe('RUN', () => {
  test('flags and mounts', () => {
    const r = typed(
      'RUN --network=none --security=insecure --mount=type=cache,target=/c --mount=from=build,target=/b make',
    );
    expect(r).toEqual({
      kind: 'run',
      command: { form: 'shell', text: 'make' },
      mounts: [{ csv: 'type=cache,target=/c' }, { csv: 'from=build,target=/b', from: 'build' }],
      network: 'none',
      security: 'insecure',
      devices: [],
      files: [],
    });
  });

  test('a lone heredoc is the script', () => {
    const r = typed('RUN <<EOF\necho a\necho $B\nEOF\n');
    expect(r).toMatchObject({ command: { form: 'shell', text: 'echo a\necho $B\n' }, files: [] });
  });

  test('a #! heredoc becomes a file run from /dev/pipes', () => {
    const r = typed('RUN <<-SCRIPT\n\t#!/usr/bin/env python3\n\tprint(1)\nSCRIPT\n');
    expect(r).toMatchObject({
      command: { form: 'shell', text: '/dev/pipes/SCRIPT' },
      files: [{ name: 'SCRIPT', content: '#!/usr/bin/env python3\nprint(1)\n' }],
    });
  });

  test('other heredoc uses are handed to the shell whole', () => {
    const r = typed('RUN python3 <<EOF\nprint(1)\nEOF\n');
    expect(r).toMatchObject({ command: { form: 'shell', text: 'python3 <<EOF\nprint(1)\nEOF' }, files: [] });
  });
});

describe('COPY heredocs', () => {
  test('unquoted bodies are marked for expansion, <<- is chomped', () => {
    const r = typed("COPY <<A <<-'B' /dst/\nhello $X\nA\n\tquoted $Y\nB\n");
    expect(r).toMatchObject({
      sources: [],
      heredocs: [
        { name: 'A', content: 'hello $X\n', expand: true },
        { name: 'B', content: 'quoted $Y\n', expand: false },
      ],
      dest: '/dst/',
    });
  });
});

describe('errors', () => {
  const cases: [string, string][] = [
    ['COPY --foo a b', 'unknown flag: --foo'],
    [
      'COPY --chmod=999 a b',
      "invalid chmod parameter: '999'. it should be octal string and between 0 and 07777",
    ],
    ['COPY --chmod=10000 a b', "invalid chmod parameter: '10000'"],
    ['COPY --link=maybe a b', 'expecting boolean value for flag --link, not: maybe'],
    ['COPY --from a b', 'missing a value on flag: --from'],
    ['COPY --from=a --from=b a b', 'duplicate flag specified: --from'],
    ['COPY onlyone', 'COPY requires at least two arguments'],
    ['COPY a <<EOF\nx\nEOF\n', 'COPY cannot accept a heredoc as a destination'],
    ['ADD --from=x a b', 'unknown flag: --from'],
    ['RUN --mount=type=bogus true', 'unsupported mount type "bogus"'],
    ['RUN --mount=type=bind,mode=0700,target=/x true', 'mode not allowed for "bind" type mounts'],
    ['RUN --mount=type=cache,sharing=maybe,target=/x true', 'unsupported sharing value "maybe"'],
    ['RUN --mount=type=secret true', 'invalid secret mount. one of source, target required'],
    ['RUN --mount=target true', "invalid field 'target' must be a key=value pair"],
    ['RUN --mount=from=a$B,target=/x true', "'from' doesn't support variable expansion"],
    ['RUN --network=bridge true', 'invalid network mode "bridge"'],
    ['RUN --security=yes true', 'security "yes" is not valid'],
    ['RUN --foo true', 'unknown flag: --foo'],
    ['FROM', 'FROM requires either one or three arguments'],
    ['FROM a b', 'FROM requires either one or three arguments'],
    ['FROM a AS 1x', 'invalid name for build stage: "1x"'],
    ['FROM --platfrom=x a', 'unknown flag: --platfrom (did you mean platform?)'],
    ['ENV --x=1 A=b', 'unknown flag: --x'],
    ['ARG =x', 'ARG names can not be blank'],
    ['HEALTHCHECK --interval=1 CMD true', 'time: missing unit in duration "1"'],
    ['HEALTHCHECK --interval=10us CMD true', 'Interval "interval" cannot be less than 1ms'],
    ['HEALTHCHECK --retries=-1 CMD true', '--retries cannot be negative (-1)'],
    ['HEALTHCHECK --interval=5x CMD true', 'time: unknown unit "x" in duration "5x"'],
    ['HEALTHCHECK CMD', 'Missing command after HEALTHCHECK CMD'],
    ['HEALTHCHECK BOGUS x', 'Unknown type "BOGUS" in HEALTHCHECK (try CMD)'],
    ['HEALTHCHECK NONE x', 'HEALTHCHECK NONE takes no arguments'],
    ['SHELL /bin/sh -c', 'SHELL requires the arguments to be in JSON form'],
    ['ONBUILD ONBUILD RUN x', "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"],
    ['ONBUILD FROM x', "FROM isn't allowed as an ONBUILD trigger"],
    ['FOO bar', 'unknown instruction: FOO'],
    // BuildKit answers in the case the keyword was written in (testDockerfileInvalidInstruction).
    ['FNTRYPOINT ["x"]', 'unknown instruction: FNTRYPOINT (did you mean ENTRYPOINT?)'],
    ['fntrypoint ["x"]', 'unknown instruction: FNTRYPOINT (did you mean entrypoint?)'],
  ];
  test.each(cases)('%s', (text, message) => {
    const err = error(text);
    expect(err.message).toContain(message);
    expect(err.range?.start.line).toBe(1);
  });

  test('the error is located at the node and renders FILE:LINE:COL with a caret', () => {
    const text = 'FROM alpine\n\n  COPY --zzzz a b\n';
    const parsed = parse(text, { file: 'sub/Dockerfile' });
    let err: DockerfileError | undefined;
    try {
      toInstruction(parsed.nodes[1], { file: 'sub/Dockerfile', lines: parsed.lines });
    } catch (e) {
      err = e as DockerfileError;
    }
    expect(err?.code).toBe('E_PARSE');
    const [head, line, caret] = err!.render().split('\n');
    expect(head).toBe(`sub/Dockerfile:3:${parsed.nodes[1].range.start.col}: unknown flag: --zzzz`);
    expect(line).toBe('  COPY --zzzz a b');
    expect(caret.indexOf('^') + 1).toBe(parsed.nodes[1].range.start.col);
  });
});
