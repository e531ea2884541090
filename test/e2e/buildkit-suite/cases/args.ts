/** dockerfile_args_test.go: global and stage ARGs, defaults, expansion errors, builtin args. */
import type { SuiteCase } from '../suite-case.js';

const file = 'args' as const;

const BUILTIN = `FROM busybox AS build
ARG FOO
ARG BAR
ARG BAZ=bazcontent
RUN echo -n $HTTP_PROXY::$NO_PROXY::$FOO::$BAR::$BAZ > /out
FROM scratch
COPY --from=build /out /
`;

const TARGETSTAGE = `FROM busybox AS base
WORKDIR /out
RUN echo -n "value:$TARGETSTAGE" > /out/first
ARG TARGETSTAGE
RUN echo -n "value:$TARGETSTAGE" > /out/second
FROM scratch AS foo
COPY --from=base /out/ /
FROM scratch
COPY --from=base /out/ /
`;

const DEFAULT_ENV = `ARG image=idlebox
FROM busy\${image#idle} AS build
ARG my_arg
ENV my_arg "my_arg=\${my_arg:-def_val}"
ENV my_trimmed_arg "\${my_arg%%e*}"
COPY myscript.sh myscript.sh
RUN ./myscript.sh $my_arg $my_trimmed_arg
FROM scratch
COPY --from=build /out /out
`;

const SCRIPT = { 'myscript.sh': { content: '#!/usr/bin/env sh\necho -n $my_arg $* > /out\n', mode: 0o700 } };

export const argsCases: SuiteCase[] = [
  {
    go: 'testGlobalArg',
    file,
    name: 'a global ARG in FROM takes the --build-arg value',
    dockerfile: 'ARG tag=nosuchtag\nFROM busybox:${tag}\n',
    flags: ['--build-arg', 'tag=latest'],
    expect: {},
  },
  {
    go: 'testGlobalArgErrors',
    file,
    name: '${FOO:?message} in a global ARG fails with the message when FOO is unset',
    dockerfile: 'ARG FOO=${FOO:?"custom error"}\nFROM busybox\n',
    expect: { error: /FOO: custom error/ },
  },
  {
    go: 'testGlobalArgErrors',
    file,
    name: '${FOO:?message} in a global ARG passes when FOO is given',
    dockerfile: 'ARG FOO=${FOO:?"custom error"}\nFROM busybox\n',
    flags: ['--build-arg', 'FOO=bar'],
    expect: {},
  },
  {
    go: 'testArgDefaultExpansion',
    file,
    name: "a stage ARG's default that requires an unset ARG fails",
    dockerfile: 'FROM scratch\nARG FOO\nARG BAR=${FOO:?"foo missing"}\n',
    expect: { error: /FOO: foo missing/ },
  },
  {
    go: 'testArgDefaultExpansion',
    file,
    name: "a stage ARG's default is not expanded when the ARG it needs is given",
    dockerfile: 'FROM scratch\nARG FOO\nARG BAR=${FOO:?"foo missing"}\n',
    flags: ['--build-arg', 'FOO=123'],
    expect: {},
  },
  {
    go: 'testArgDefaultExpansion',
    file,
    name: "a stage ARG's default is not expanded when the ARG itself is given",
    dockerfile: 'FROM scratch\nARG FOO\nARG BAR=${FOO:?"foo missing"}\n',
    flags: ['--build-arg', 'BAR=123'],
    expect: {},
  },
  {
    go: 'testMultiArgs',
    file,
    name: 'several ARGs on one line, global ones referring to each other and used in FROM',
    dockerfile: `ARG a1="foo bar" a2=box
ARG a3="$a2-foo"
FROM busy$a2 AS build
ARG a3 a4="123 456" a1
RUN echo -n "$a1:$a3:$a4" > /out
FROM scratch
COPY --from=build /out .
`,
    expect: { files: { out: 'foo bar:box-foo:123 456' } },
  },
  {
    go: 'testQuotedMetaArgs',
    file,
    name: 'quoted global ARG defaults expand other global ARGs',
    dockerfile: `ARG a1="box"
ARG a2="$a1-foo"
FROM busy$a1 AS build
ARG a2
ARG a3="bar-$a2"
RUN echo -n $a3 > /out
FROM scratch
COPY --from=build /out .
`,
    expect: { files: { out: 'bar-box-foo' } },
  },
  {
    go: 'testTargetStageNameArg',
    file,
    name: 'TARGETSTAGE is the --target name, once declared',
    dockerfile: TARGETSTAGE,
    flags: ['--target', 'foo'],
    expect: { files: { first: 'value:', second: 'value:foo' } },
  },
  {
    go: 'testTargetStageNameArg',
    file,
    name: 'TARGETSTAGE is "default" for an unnamed last stage',
    dockerfile: TARGETSTAGE,
    expect: { files: { first: 'value:', second: 'value:default' } },
  },
  {
    go: 'testTargetStageNameArg',
    file,
    name: 'TARGETSTAGE is the name of a named last stage built without --target',
    dockerfile: `${TARGETSTAGE}FROM scratch AS final\nCOPY --from=base /out/ /\n`,
    expect: { files: { first: 'value:', second: 'value:final' } },
  },
  {
    go: 'testBuiltinArgs',
    file,
    name: 'proxy build args reach RUN without an ARG line, in either case',
    defect: 8,
    dockerfile: BUILTIN,
    flags: [
      '--build-arg',
      'FOO=foocontents',
      '--build-arg',
      'http_proxy=hpvalue',
      '--build-arg',
      'NO_PROXY=npvalue',
    ],
    expect: { files: { out: 'hpvalue::npvalue::foocontents::::bazcontent' } },
    // Only a proxy changed: not a cache input, so the old result stands.
    rebuild: {
      flags: ['--build-arg', 'FOO=foocontents', '--build-arg', 'http_proxy=hpvalue2'],
      expect: { files: { out: 'hpvalue::npvalue::foocontents::::bazcontent' } },
    },
  },
  {
    go: 'testBuiltinArgs',
    file,
    name: 'a proxy arg given in lower case is also set in lower case',
    defect: 8,
    dockerfile:
      'FROM busybox\nRUN [ "$http_proxy" = hp ] && [ "$HTTP_PROXY" = hp ] && [ "$no_proxy" = np ] && [ "$NO_PROXY" = np ]\n',
    flags: ['--build-arg', 'http_proxy=hp', '--build-arg', 'NO_PROXY=np'],
    expect: {},
  },
  {
    go: 'testBuiltinArgs',
    file,
    name: 'proxy build args are not part of the image config',
    dockerfile: BUILTIN,
    flags: ['--build-arg', 'FOO=foocontents2', '--build-arg', 'http_proxy=hpvalue2'],
    expect: {
      files: { out: 'hpvalue2::::foocontents2::::bazcontent' },
      check: ({ config }) => {
        const env = (config.config?.Env ?? []).join(' ');
        if (/proxy/i.test(env)) throw new Error(`proxy in the image env: ${env}`);
      },
    },
  },
  ...(
    [
      ['nothing given', [], 'my_arg=def_val my_arg=def_val my_arg=d'],
      ['an empty value', ['--build-arg', 'my_arg='], 'my_arg=def_val my_arg=def_val my_arg=d'],
      ['an override', ['--build-arg', 'my_arg=override'], 'my_arg=override my_arg=override my_arg=ov'],
    ] as const
  ).map(
    ([what, flags, out]): SuiteCase => ({
      go: 'testDefaultEnvWithArgs',
      file,
      name: `ENV built from an ARG with \${:-} and \${%%} defaults, ${what}`,
      dockerfile: DEFAULT_ENV,
      context: SCRIPT,
      flags: [...flags],
      expect: { files: { out } },
    }),
  ),
  {
    go: 'testEmptyStringArgInEnv',
    file,
    name: 'an ARG with an empty default is in the RUN env, an ARG with none is not',
    dockerfile:
      'FROM busybox AS build\nARG FOO\nARG BAR=\nRUN env > env.txt\nFROM scratch\nCOPY --from=build env.txt .\n',
    expect: {
      check: async ({ dir }) => {
        const { readFile } = await import('node:fs/promises');
        const env = await readFile(`${dir}/env.txt`, 'utf8');
        if (!/^BAR=$/m.test(env) || /^FOO=/m.test(env)) throw new Error(`env:\n${env}`);
      },
    },
  },
  {
    go: 'testEnvEmptyFormatting',
    file,
    name: 'a % in a legacy ENV value is kept as written',
    dockerfile: 'FROM busybox AS build\nENV myenv foo%sbar\nRUN [ "$myenv" = \'foo%sbar\' ]\n',
    expect: {},
  },
];
