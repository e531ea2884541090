/**
 * dockerfile_mount_test.go: RUN --mount of the context, tmpfs, caches, stages; invalid
 * mounts. The suite shares one store across cases, so cache ids and targets carry a suffix
 * of their own where the Go test relies on a fresh daemon (same ids, same assertions).
 */
import type { SuiteCase } from '../suite-case.js';

const file = 'mount' as const;

const RW_CACHE = `from busybox AS build
copy cachebust /
run mkdir out && echo foo > out/foo
from busybox as second
RUN --mount=from=build,src=out,target=/out,rw touch /out/bar && cat /dev/urandom | head -c 100 | sha256sum > /unique
from scratch
COPY --from=second /unique /unique
`;

const DUPLICATE = `FROM busybox AS base
RUN --mount=source=.,target=/tmp/test \\
  --mount=source=b.txt,target=/tmp/b.txt \\
  cat /tmp/test/a.txt /tmp/b.txt > /combined.txt
FROM scratch
COPY --from=base /combined.txt /
`;

export const mountCases: SuiteCase[] = [
  {
    go: 'testMountContext',
    file,
    name: 'a bind mount without a source is the build context',
    dockerfile: 'FROM busybox\nRUN --mount=target=/context [ "$(cat /context/testfile)" == "contents0" ]\n',
    context: { testfile: 'contents0' },
    expect: {},
  },
  {
    go: 'testMountTmpfs',
    file,
    name: 'what a RUN writes in a tmpfs mount is gone afterwards',
    dockerfile:
      'FROM busybox\nRUN --mount=target=/mytmp,type=tmpfs touch /mytmp/foo\nRUN [ ! -f /mytmp/foo ]\n',
    expect: {},
  },
  {
    go: 'testMountInvalid',
    file,
    name: 'a misspelt --mount flag suggests mount',
    defect: 14,
    dockerfile: 'FROM scratch\nRUN --mont=target=/mytmp,type=tmpfs /bin/true\n',
    expect: { error: /unknown flag: --mont.*did you mean mount\?/ },
  },
  {
    go: 'testMountInvalid',
    file,
    name: 'a misspelt mount key suggests the key',
    defect: 14,
    dockerfile: 'FROM scratch\nRUN --mount=typ=tmpfs /bin/true\n',
    expect: { error: /unexpected key 'typ'.*did you mean type\?/ },
  },
  {
    go: 'testMountInvalid',
    file,
    name: 'a misspelt mount type suggests the type',
    defect: 14,
    dockerfile: 'FROM scratch\nRUN --mount=type=tmp /bin/true\n',
    expect: { error: /unsupported mount type "tmp".*did you mean tmpfs\?/ },
  },
  {
    go: 'testMountRWCache',
    file,
    name: 'an rw mount of a stage is keyed by its content: a changed context file upstream keeps it cached',
    dockerfile: RW_CACHE,
    context: { cachebust: '0' },
    expect: { files: { unique: /^[0-9a-f]{64}/ } },
    rebuild: { context: { cachebust: '1' }, compare: { unique: true } },
  },
  {
    go: 'testCacheMountUser',
    file,
    name: 'a cache mount with uid, gid and mode is made with them',
    dockerfile:
      'FROM busybox\nRUN --mount=type=cache,target=/mycache-user,uid=1001,gid=1002,mode=0751 [ "$(stat -c "%u %g %f" /mycache-user)" == "1001 1002 41e9" ]\n',
    expect: {},
  },
  {
    go: 'testCacheMountUser',
    file,
    name: 'the same cache id with another uid, gid or mode is another cache',
    defect: 7,
    dockerfile: `FROM busybox
RUN --mount=type=cache,id=i15-owned,target=/c touch /c/root-was-here
RUN --mount=type=cache,id=i15-owned,target=/c,uid=1001,gid=1002,mode=0751 [ "$(stat -c "%u %g %f" /c)" == "1001 1002 41e9" ] && [ ! -e /c/root-was-here ]
`,
    expect: {},
  },
  {
    go: 'testCacheMountDefaultID',
    file,
    name: 'a cache mount without an id is keyed by its target',
    dockerfile: `FROM busybox
RUN --mount=type=cache,target=/mycache-dflt touch /mycache-dflt/foo
RUN --mount=type=cache,target=/mycache-dflt2 [ ! -f /mycache-dflt2/foo ]
RUN --mount=type=cache,target=/mycache-dflt [ -f /mycache-dflt/foo ]
`,
    expect: {},
  },
  {
    go: 'testMountEnvVar',
    file,
    name: 'ENV expands in a mount target',
    dockerfile: `FROM busybox
ENV SOME_PATH=/mycache-env
RUN --mount=type=cache,target=/mycache-env touch /mycache-env/foo
RUN --mount=type=cache,target=$SOME_PATH [ -f $SOME_PATH/foo ]
`,
    expect: {},
  },
  {
    go: 'testMountArg',
    file,
    name: 'ARG expands in a mount type',
    dockerfile: `FROM busybox
ARG MNT_TYPE=cache
RUN --mount=type=$MNT_TYPE,target=/mycache-arg touch /mycache-arg/foo
RUN --mount=type=cache,target=/mycache-arg [ -f /mycache-arg/foo ]
`,
    expect: {},
  },
  {
    go: 'testMountEnvAcrossStages',
    file,
    name: "ENV of a parent stage expands in a child stage's mount id and type",
    dockerfile: `FROM busybox as stage1
ENV MNT_ID=mycache-stages
ENV MNT_TYPE2=cache
RUN --mount=type=cache,id=mycache-stages,target=/abcabc touch /abcabc/foo
RUN --mount=type=$MNT_TYPE2,id=$MNT_ID,target=/cbacba [ -f /cbacba/foo ]
FROM stage1
RUN --mount=type=$MNT_TYPE2,id=$MNT_ID,target=/whatever [ -f /whatever/foo ]
`,
    expect: {},
  },
  {
    go: 'testMountMetaArg',
    file,
    name: 'a global ARG imported into the stage expands in a mount target',
    dockerfile: `ARG META_PATH=/tmp/meta
FROM busybox
ARG META_PATH
RUN --mount=type=cache,id=mycache-meta,target=/tmp/meta touch /tmp/meta/foo
RUN --mount=type=cache,id=mycache-meta,target=$META_PATH [ -f /tmp/meta/foo ]
`,
    expect: {},
  },
  {
    go: 'testMountFromError',
    file,
    name: 'a variable in a mount from= is refused',
    dockerfile:
      'FROM busybox as test\nRUN touch /tmp/test\nFROM busybox\nENV ttt=test\nRUN --mount=from=$ttt,type=cache,target=/tmp ls\n',
    expect: { error: /'from' doesn't support variable expansion, define alias stage instead/ },
  },
  {
    go: 'testMountTmpfsSize',
    file,
    name: 'a tmpfs mount takes its size',
    dockerfile:
      'FROM busybox AS base\nRUN --mount=type=tmpfs,target=/dev/shm,size=128m mount | grep /dev/shm > /tmpfssize\nFROM scratch\nCOPY --from=base /tmpfssize /\n',
    expect: { files: { tmpfssize: /size=131072k/ } },
  },
  {
    go: 'testMountDuplicate',
    file,
    name: 'two bind mounts of the context (a directory and a file in it) see an updated file',
    dockerfile: DUPLICATE,
    context: { 'a.txt': 'foo\n', 'b.txt': 'bar\n' },
    expect: { files: { 'combined.txt': 'foo\nbar\n' } },
    rebuild: { context: { 'a.txt': 'updated\n' }, expect: { files: { 'combined.txt': 'updated\nbar\n' } } },
  },
  {
    go: 'testCacheMountParallel',
    file,
    name: 'nested cache mounts in two stages built side by side',
    dockerfile: `FROM busybox AS b1
RUN --mount=type=cache,target=/foo/bar --mount=type=cache,target=/foo/bar/baz echo 1
FROM busybox AS b2
RUN --mount=type=cache,target=/foo/bar --mount=type=cache,target=/foo/bar/baz echo 2
FROM scratch
COPY --from=b1 /etc/passwd p1
COPY --from=b2 /etc/passwd p2
`,
    flags: ['--no-cache'],
    expect: { files: { p1: /root/, p2: /root/ } },
  },
  {
    go: 'testCacheMountSourceEscape',
    file,
    name: 'a cache source= that a symlink in the cache points out of it is refused',
    dockerfile: `FROM busybox AS init
RUN --mount=type=cache,id=sourceescape-i15,target=/cache mkdir -p /cache/sel && echo benign > /cache/sel/benign.txt
FROM init AS link
RUN --mount=type=cache,id=sourceescape-i15,target=/cache rm -rf /cache/sel && ln -s /etc /cache/sel
FROM link AS victim
RUN --mount=type=cache,id=sourceescape-i15,source=sel,target=/victim cat /victim/hostname
FROM scratch
COPY --from=victim /etc/hostname /hostname
`,
    flags: ['--no-cache'],
    expect: { error: /./ },
  },
];
