/**
 * dockerfile_multistage_test.go, dockerfile_dockerignore_test.go and dockerfile_cmd_test.go:
 * stages and their names, ignore files, CMD/ENTRYPOINT/SHELL and invalid instructions.
 */
import type { SuiteCase } from '../suite-case.js';

const OUT_OF_ORDER = (src: string) => `FROM busybox AS target
COPY --from=build ${src} /out
FROM busybox AS build
COPY /Dockerfile /d2
FROM target
`;

const IGNORED = { foo: 'foo-contents', bar: 'bar-contents', baz: 'baz-contents', bay: 'bay-contents' };

export const stagesCases: SuiteCase[] = [
  {
    go: 'testMultiStageImplicitFrom',
    file: 'multistage',
    name: 'COPY --from an image name that is no stage uses the image',
    dockerfile: 'FROM scratch\nCOPY --from=busybox /etc/passwd test\n',
    expect: { files: { test: /root/ } },
  },
  {
    go: 'testMultiStageImplicitFrom',
    file: 'multistage',
    name: 'a stage named like an image masks the image in COPY --from',
    dockerfile:
      'FROM busybox AS golang\nRUN mkdir -p /usr/bin && echo -n foo > /usr/bin/go\nFROM scratch\nCOPY --from=golang /usr/bin/go go\n',
    expect: { files: { go: 'foo' } },
  },
  {
    go: 'testMultiStageCaseInsensitive',
    file: 'multistage',
    name: 'stage names compare case-insensitively, in --from and --target',
    dockerfile:
      'FROM scratch AS STAge0\nCOPY foo bar\nFROM scratch AS staGE1\nCOPY --from=staGE0 bar baz\nFROM scratch\nCOPY --from=stage1 baz bax\n',
    context: { foo: 'foo-contents' },
    flags: ['--target', 'Stage1'],
    expect: { files: { baz: 'foo-contents' }, absent: ['bax'] },
  },
  ...['/', '/d2'].map(
    (src): SuiteCase => ({
      go: 'testOutOfOrderStage',
      file: 'multistage',
      name: `COPY --from a stage defined later (source ${src}) is refused`,
      dockerfile: OUT_OF_ORDER(src),
      expect: { error: /cannot copy from stage.*needs to be defined before current stage/ },
    }),
  ),
  {
    go: 'testEmptyStages',
    file: 'multistage',
    name: 'a Dockerfile with only a global ARG has no stage to build',
    dockerfile: 'ARG foo=bar',
    expect: { error: /dockerfile contains no stages to build/ },
  },
  {
    go: 'testDockerignore',
    file: 'dockerignore',
    name: '.dockerignore patterns, an exception, and ignoring itself and the Dockerfile',
    dockerfile: 'FROM scratch\nCOPY . .\n',
    context: { ...IGNORED, '.dockerignore': '\nba*\nDockerfile\n!bay\n.dockerignore\n' },
    expect: {
      files: { foo: 'foo-contents', bay: 'bay-contents' },
      absent: ['.dockerignore', 'Dockerfile', 'bar', 'baz'],
    },
  },
  {
    go: 'testDockerignoreInvalid',
    file: 'dockerignore',
    name: 'a lone ! in .dockerignore is an error, not a hang',
    dockerfile: 'FROM scratch\nCOPY . .\n',
    context: { '.dockerignore': '!\n' },
    expect: { error: /./ },
  },
  {
    go: 'testDockerignoreOverride',
    file: 'dockerignore',
    name: 'Dockerfile.dockerignore beside the Dockerfile overrides .dockerignore',
    dockerfile: 'FROM busybox\nCOPY . .\nRUN [ -f foo ] && [ ! -f bar ]\n',
    context: {
      'Dockerfile.dockerignore': '\nbar\n',
      foo: 'contents0',
      bar: 'contents0',
      '.dockerignore': 'foo\n',
    },
    expect: {},
  },
  {
    go: 'testDockerignoreOverride',
    file: 'dockerignore',
    name: 'with -f Dockerfile2, Dockerfile2.dockerignore applies',
    dockerfileName: 'Dockerfile2',
    dockerfile: 'FROM busybox\nCOPY . .\nRUN [ ! -f foo ] && [ -f bar ]\n',
    context: {
      'Dockerfile.dockerignore': '\nbar\n',
      'Dockerfile2.dockerignore': '\nfoo\n',
      foo: 'contents0',
      bar: 'contents0',
    },
    expect: {},
  },
  {
    go: 'testCmdShell',
    file: 'cmd',
    name: 'a CMD of the base image is kept',
    parents: { cmdbase: 'FROM scratch\nCMD ["test"]\n' },
    dockerfile: 'FROM {image:cmdbase}\nENV x=y\n',
    expect: { config: { config: { Cmd: ['test'] } } },
  },
  {
    go: 'testCmdShell',
    file: 'cmd',
    name: "a shell-form ENTRYPOINT uses SHELL and resets the base image's CMD",
    parents: { cmdbase: 'FROM scratch\nCMD ["test"]\n' },
    dockerfile: 'FROM {image:cmdbase}\nSHELL ["ls"]\nENTRYPOINT my entrypoint\n',
    expect: {
      check: ({ config }) => {
        const c = config.config ?? {};
        if (c.Cmd !== null && c.Cmd !== undefined) throw new Error(`Cmd kept: ${JSON.stringify(c.Cmd)}`);
        if (JSON.stringify(c.Entrypoint) !== '["ls","my entrypoint"]')
          throw new Error(`Entrypoint ${JSON.stringify(c.Entrypoint)}`);
      },
    },
  },
  {
    go: 'testDefaultShellAndPath',
    file: 'cmd',
    name: 'a shell-form ENTRYPOINT on scratch is /bin/sh -c, with the default PATH',
    dockerfile: 'FROM scratch\nENTRYPOINT foo bar\nCOPY Dockerfile .\n',
    expect: {
      config: {
        config: {
          Entrypoint: ['/bin/sh', '-c', 'foo bar'],
          Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        },
      },
      check: ({ config }) => {
        if (config.rootfs.diff_ids.length !== 1) throw new Error('want one layer');
      },
    },
  },
  {
    go: 'testDefaultPathEnvOnWindows',
    file: 'cmd',
    name: '(the Windows PATH test, on Linux) RUN sees the default PATH',
    dockerfile: 'FROM busybox\nRUN echo "$PATH" > /env_path.txt\n',
    expect: { files: { 'env_path.txt': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' } },
  },
  {
    go: 'testIgnoreEntrypoint',
    file: 'cmd',
    name: "RUN does not go through the image's ENTRYPOINT",
    dockerfile: 'FROM busybox\nENTRYPOINT ["/nosuchcmd"]\nRUN ["ls"]\n',
    expect: {},
  },
  {
    go: 'testInvalidJSONCommands',
    file: 'cmd',
    name: 'RUN with text after a JSON array is a shell command, and fails running it',
    dockerfile: 'FROM busybox\nRUN ["echo", "hello"]this is invalid\n',
    expect: { error: /this is invalid/ },
  },
  {
    go: 'testInvalidJSONCommands',
    file: 'cmd',
    name: 'ENTRYPOINT []random string is the shell form',
    dockerfile: 'FROM busybox\nENTRYPOINT []random string\n',
    expect: { config: { config: { Entrypoint: ['/bin/sh', '-c', '[]random string'] } } },
  },
  {
    go: 'testDockerfileInvalidCommand',
    file: 'cmd',
    name: 'a RUN whose command is missing fails, showing the command line',
    dockerfile: 'FROM busybox\nRUN invalidcmd\n',
    expect: { error: /\/bin\/sh -c invalidcmd/ },
  },
  {
    go: 'testDockerfileInvalidInstruction',
    file: 'cmd',
    name: 'an unknown instruction is refused with a suggestion',
    defect: 14,
    dockerfile: 'FROM scratch\nFNTRYPOINT ["/bin/sh", "-c", "echo invalidinstruction"]\n',
    expect: { error: /unknown instruction: FNTRYPOINT.*did you mean ENTRYPOINT\?/ },
  },
];
