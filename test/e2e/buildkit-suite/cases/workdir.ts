/** dockerfile_workdir_test.go: WORKDIR creates its directory, as the stage's USER. */
import type { SuiteCase } from '../suite-case.js';

const file = 'workdir' as const;

const ADD_USER = 'RUN echo user:x:1001:1001::/:/bin/sh >> /etc/passwd && echo user:x:1001: >> /etc/group';

export const workdirCases: SuiteCase[] = [
  {
    go: 'testWorkdirCreatesDir',
    file,
    name: 'WORKDIR on scratch creates the directory, even when a later WORKDIR leaves it',
    dockerfile: 'FROM scratch\nWORKDIR /foo\nWORKDIR /\n',
    expect: {
      files: { foo: { type: 'dir', mode: 0o755, uid: 0, gid: 0 } },
      config: { config: { WorkingDir: '/' } },
    },
  },
  {
    go: 'testWorkdirSourceDateEpochReproducible',
    file,
    name: 'with SOURCE_DATE_EPOCH, building again from nothing gives the same image',
    dockerfile: 'FROM busybox\nWORKDIR /mydir\n',
    env: { SOURCE_DATE_EPOCH: '1673364896' },
    expect: { config: { created: '2023-01-10T15:34:56Z' } },
    // The Go test prunes all cache, waits and rebuilds: --no-cache runs every step again.
    rebuild: { flags: ['--no-cache'], sameImage: true },
  },
  {
    go: 'testWorkdirUser',
    file,
    name: 'WORKDIR under a non-root USER gives the new directory to that user',
    defect: 3,
    dockerfile: `FROM busybox\n${ADD_USER}\nUSER user\nWORKDIR /mydir\nRUN [ "$(stat -c "%U %G" /mydir)" == "user user" ]\n`,
    expect: { files: { mydir: { uid: 1001, gid: 1001, mode: 0o755 } } },
  },
  {
    go: 'testWorkdirUser',
    file,
    name: 'WORKDIR under a numeric USER creates every missing parent as that user',
    defect: 3,
    dockerfile: 'FROM busybox\nUSER 1234:5678\nWORKDIR /a/b\n',
    expect: { files: { a: { uid: 1234, gid: 5678 }, 'a/b': { uid: 1234, gid: 5678 } } },
  },
  {
    go: 'testWorkdirUser',
    file,
    name: 'WORKDIR below an existing directory leaves that directory as it was',
    dockerfile: 'FROM busybox\nUSER 1234\nWORKDIR /tmp/x\n',
    expect: { files: { tmp: { mode: 0o1777, uid: 0 }, 'tmp/x': { uid: 1234, gid: 1234 } } },
  },
  {
    go: 'testWorkdirCopyIgnoreRelative',
    file,
    name: "COPY --from takes a relative source from the other stage's root, not its WORKDIR",
    dockerfile:
      'FROM scratch AS base\nWORKDIR /foo\nCOPY Dockerfile /\nFROM scratch\nCOPY --from=base Dockerfile .\n',
    expect: { files: { Dockerfile: /COPY --from=base/ } },
  },
  {
    go: 'testWorkdirExists',
    file,
    name: 'WORKDIR on an existing directory keeps its owner, and still commits a layer',
    dockerfile: `FROM busybox\n${ADD_USER}\nRUN mkdir /mydir && chown user:user /mydir\nWORKDIR /mydir\nRUN [ "$(stat -c "%U %G" /mydir)" == "user user" ]\n`,
    // dispatchWorkdir makes a Mkdir (hence a layer) for every path but `/`; docker 20.10 too
    // (test/e2e/buildkit-suite-docker.test.ts counts the layers against it).
    expect: {
      history: [
        { created_by: /^WORKDIR \/mydir/, empty_layer: false },
        { created_by: /^RUN /, empty_layer: false },
      ],
    },
  },
];
