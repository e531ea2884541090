/** dockerfile_core_test.go: the Dockerfile's location, symlinks, EXPOSE, LABEL, USER, hostname, step names. */
import { expect } from 'vitest';
import type { SuiteCase } from '../suite-case.js';

const file = 'core' as const;

/** BuildKit's busybox image has a wheel group holding root, and a daemon user (uid 1). */
const WHEEL_AND_DAEMON =
  "RUN echo 'wheel:x:10:root' >> /etc/group && echo 'daemon:x:1:1::/:/bin/false' >> /etc/passwd && echo 'daemon:x:1:' >> /etc/group";

const ID = '"$(id -u):$(id -g)/$(id -un):$(id -gn)/$(id -G):$(id -Gn)"';

export const coreCases: SuiteCase[] = [
  {
    go: 'testDockerfileDirs',
    file,
    name: 'COPY to a file and to / then RUN compares them',
    dockerfile:
      'FROM busybox\nCOPY foo /foo2\nCOPY foo /\nRUN echo -n bar > foo3\nRUN test -f foo\nRUN cmp -s foo foo2\nRUN cmp -s foo foo3\n',
    context: { foo: 'bar' },
    expect: { files: { foo3: 'bar', foo2: 'bar' } },
  },
  {
    go: 'testDockerfileDirs',
    file,
    name: 'the Dockerfile may live outside the context (-f elsewhere)',
    dockerfile: 'FROM busybox\nCOPY foo /foo2\nRUN cmp -s /foo2 - <<EOF\nbar\nEOF\n',
    dockerfileName: 'sub/Dockerfile.other',
    context: { foo: 'bar\n' },
    expect: { files: { foo2: 'bar\n' } },
  },
  {
    go: 'testSymlinkedDockerfile',
    file,
    name: 'a Dockerfile that is a symlink to another file in the context is read',
    dockerfile: 'FROM scratch\nENV foo bar\n',
    dockerfileName: 'Dockerfile.web',
    noFileFlag: true,
    context: { Dockerfile: { symlink: 'Dockerfile.web' } },
    expect: { config: { config: { Env: expect.arrayContaining(['foo=bar']) } } },
  },
  {
    go: 'testSymlinkDestination',
    file,
    name: 'COPY into a path whose first part is a dangling relative symlink writes at its target',
    defect: 4,
    dockerfile: 'FROM scratch\nADD t.tar /\nCOPY foo /symlink/\n',
    context: { foo: 'content0', 't.tar': { tar: { symlink: { symlink: '../tmp/symlink-target' } } } },
    expect: { files: { 'tmp/symlink-target/foo': 'content0', symlink: { type: 'symlink' } } },
  },
  {
    go: 'testContextChangeDirToFile',
    file,
    name: 'a context path that is a directory is copied as its contents',
    dockerfile: 'FROM scratch\nCOPY foo /\n',
    context: { 'foo/bar': 'contents' },
    expect: { files: { bar: 'contents' } },
  },
  {
    go: 'testContextChangeDirToFile',
    file,
    name: 'the same path as a file is copied as the file',
    dockerfile: 'FROM scratch\nCOPY foo /\n',
    context: { foo: 'contents2' },
    expect: { files: { foo: 'contents2' } },
  },
  {
    go: 'testNoSnapshotLeak',
    file,
    name: 'building the same COPY twice leaves the store as it was (the second is a hit)',
    dockerfile: 'FROM scratch\nCOPY foo /\nLABEL leak=check\n',
    context: { foo: 'contents' },
    expect: { files: { foo: 'contents' } },
  },
  {
    go: 'testExposeExpansion',
    file,
    name: 'EXPOSE expands a quoted ARG into several ports, default protocol tcp',
    dockerfile: 'FROM scratch\nARG PORTS="3000 4000/udp"\nEXPOSE $PORTS\nEXPOSE 5000\n',
    expect: {
      check: ({ config }) => {
        const ports = Object.keys(config.config?.ExposedPorts ?? {}).sort();
        if (ports.join(' ') !== '3000/tcp 4000/udp 5000/tcp') throw new Error(`ports ${ports.join(' ')}`);
      },
    },
  },
  {
    go: 'testDockerfileLowercase',
    file,
    name: 'a lowercase dockerfile is used when Dockerfile is absent',
    defect: 12,
    dockerfile: 'FROM scratch\nENV found=lowercase\n',
    dockerfileName: 'dockerfile',
    noFileFlag: true,
    expect: { config: { config: { Env: expect.arrayContaining(['found=lowercase']) } } },
  },
  {
    go: 'testLabels',
    file,
    name: '--label adds to the labels the Dockerfile sets',
    defect: 13,
    dockerfile: 'FROM scratch\nLABEL foo=bar\n',
    flags: ['--label', 'bar=baz'],
    expect: { config: { config: { Labels: { foo: 'bar', bar: 'baz' } } } },
  },
  {
    go: 'testUser',
    file,
    name: 'USER by name, uid, name:group, uid:gid and unknown ids; supplementary groups from /etc/group',
    dockerfile: `FROM busybox AS base
${WHEEL_AND_DAEMON}
RUN mkdir -m 0777 /out
RUN id -un > /out/rootuser
RUN [ "$(id -u):$(id -g)/$(id -un):$(id -gn)" = '0:0/root:root' ]
USER root
RUN [ "$(id -G):$(id -Gn)" = '0 10:root wheel' ]
RUN echo 'dockerio:x:1001:1001::/bin:/bin/false' >> /etc/passwd && echo 'dockerio:x:1001:' >> /etc/group
USER dockerio
RUN [ ${ID} = '1001:1001/dockerio:dockerio/1001:dockerio' ]
USER root
RUN [ ${ID} = '0:0/root:root/0 10:root wheel' ] && echo 'supplementary:x:1002:dockerio' >> /etc/group
USER dockerio
RUN [ ${ID} = '1001:1001/dockerio:dockerio/1001 1002:dockerio supplementary' ]
USER 1001
RUN [ ${ID} = '1001:1001/dockerio:dockerio/1001 1002:dockerio supplementary' ]
USER dockerio:dockerio
RUN [ ${ID} = '1001:1001/dockerio:dockerio/1001:dockerio' ]
USER 1001:dockerio
RUN [ ${ID} = '1001:1001/dockerio:dockerio/1001:dockerio' ]
USER dockerio:1001
RUN [ ${ID} = '1001:1001/dockerio:dockerio/1001:dockerio' ]
USER 1001:1001
RUN [ ${ID} = '1001:1001/dockerio:dockerio/1001:dockerio' ]
USER dockerio:supplementary
RUN [ ${ID} = '1001:1002/dockerio:supplementary/1002:supplementary' ]
USER dockerio:1002
RUN [ ${ID} = '1001:1002/dockerio:supplementary/1002:supplementary' ]
USER 1001:supplementary
RUN [ ${ID} = '1001:1002/dockerio:supplementary/1002:supplementary' ]
USER 1001:1002
RUN [ ${ID} = '1001:1002/dockerio:supplementary/1002:supplementary' ]
USER 1042:1043
RUN [ ${ID} = '1042:1043/1042:1043/1043:1043' ]
USER daemon
RUN id -un > /out/daemonuser
FROM scratch
COPY --from=base /out /
USER nobody
`,
    expect: { files: { rootuser: 'root\n', daemonuser: 'daemon\n' }, config: { config: { User: 'nobody' } } },
  },
  {
    go: 'testUserAdditionalGids',
    file,
    name: 'the primary group is among the supplementary groups (CVE-2023-25173)',
    defect: 10,
    dockerfile: `FROM busybox
${WHEEL_AND_DAEMON}
SHELL ["/bin/sh", "-euxc"]
RUN [ "$(id)" = "uid=0(root) gid=0(root) groups=0(root),10(wheel)" ]
USER 1234
RUN [ "$(id)" = "uid=1234 gid=0(root) groups=0(root)" ]
USER 1234:1234
RUN [ "$(id)" = "uid=1234 gid=1234 groups=1234" ]
USER daemon
RUN [ "$(id)" = "uid=1(daemon) gid=1(daemon) groups=1(daemon)" ]
`,
    expect: {},
  },
  {
    go: 'testDockerfileCheckHostname',
    file,
    name: 'BUILDKIT_SANDBOX_HOSTNAME names the RUN container in /etc/hosts, $HOSTNAME and hostname',
    dockerfile:
      'FROM busybox\nRUN cat /etc/hosts | grep foo\nRUN echo $HOSTNAME | grep foo\nRUN echo $(hostname) | grep foo\n',
    flags: ['--build-arg', 'BUILDKIT_SANDBOX_HOSTNAME=foo'],
    expect: {},
  },
  {
    go: 'testStepNames',
    file,
    name: 'steps are named [stage n/m] INSTRUCTION as written',
    dockerfile:
      'FROM busybox AS base\nWORKDIR /out\nRUN echo "base" > base\nFROM scratch\nCOPY --from=base --chmod=0644 /out /out\n',
    expect: {
      check: ({ output }) => {
        for (const s of [
          '[base 3/3] RUN echo "base" > base',
          '[stage-1 1/1] COPY --from=base --chmod=0644 /out /out',
        ])
          if (!output.includes(s)) throw new Error(`no step named ${s}`);
      },
    },
  },
  {
    go: 'testTargetMistype',
    file,
    name: 'a mistyped --target is refused with a suggestion',
    dockerfile: 'FROM scratch AS build\nCOPY Dockerfile /out\nFROM scratch\nCOPY --from=build /out /\n',
    flags: ['--target', 'bulid'],
    expect: { error: /target stage "bulid" could not be found \(did you mean build\?\)/ },
  },
];
