/** dockerfile_copy_test.go: COPY destinations, wildcards, symlinks, ownership and modes. */
import type { SuiteCase } from '../suite-case.js';

const file = 'copy' as const;

/** The busybox base knows root, app and nobody; the Go tests lean on alpine's daemon user too. */
const ADD_DAEMON = 'RUN echo daemon:x:2:2::/:/bin/false >> /etc/passwd && echo daemon:x:2: >> /etc/group';

const WILDCARD_CACHE = `FROM busybox AS base
COPY foo* files/
RUN cat /dev/urandom | head -c 100 | sha256sum > unique
COPY bar files/
FROM scratch
COPY --from=base unique /
`;

export const copyCases: SuiteCase[] = [
  {
    go: 'testDockerfileCopyFromArgs',
    file,
    name: 'a variable in --from is refused with the workaround spelled out',
    dockerfile: 'FROM scratch\nCOPY --from=$FOO . .\n',
    expect: { error: /variable expansion is not supported for --from/ },
  },
  {
    go: 'testEmptyDestDir',
    file,
    name: 'a destination that expands to nothing means the working directory',
    dockerfile:
      'FROM busybox\nENV empty=""\nCOPY testfile $empty\nRUN [ "$(cat testfile)" == "contents0" ]\n',
    context: { testfile: 'contents0' },
    expect: {},
  },
  {
    go: 'testPreserveDestDirSlash',
    file,
    name: 'a trailing slash makes the destination a directory',
    dockerfile: 'FROM busybox\nCOPY testfile /sample/\nRUN [ "$(cat /sample/testfile)" == "contents0" ]\n',
    context: { testfile: 'contents0' },
    expect: { files: { 'sample/testfile': 'contents0' } },
  },
  {
    go: 'testCopyLinkDotDestDir',
    file,
    name: 'COPY --link to . lands in WORKDIR',
    dockerfile:
      'FROM busybox\nWORKDIR /var/www\nCOPY --link testfile .\nRUN [ "$(cat testfile)" == "contents0" ]\n',
    context: { testfile: 'contents0' },
    expect: { files: { 'var/www/testfile': 'contents0' } },
  },
  {
    go: 'testCopyLinkEmptyDestDir',
    file,
    name: 'COPY --link to an empty destination lands in WORKDIR',
    dockerfile:
      'FROM busybox\nWORKDIR /var/www\nENV empty=""\nCOPY --link testfile $empty\nRUN [ "$(cat testfile)" == "contents0" ]\n',
    context: { testfile: 'contents0' },
    expect: { files: { 'var/www/testfile': 'contents0' } },
  },
  {
    go: 'testCopyChownExistingDir',
    file,
    name: 'COPY --from of a directory creates the destination root-owned and keeps the contents owners',
    defect: 2,
    dockerfile: `FROM busybox AS source
RUN touch /file && chown 100:200 /file && mkdir -p /dir/subdir && touch /dir/subdir/nestedfile \\
 && chown 100:200 /dir && chmod 700 /dir && chown 101:201 /dir/subdir && chown 102:202 /dir/subdir/nestedfile
FROM busybox AS test_base
RUN mkdir -p /existingdir/existingsubdir && touch /existingdir/existingfile && chown 500:600 /existingdir \\
 && chown 501:601 /existingdir/existingsubdir && chown 501:601 /existingdir/existingfile
FROM test_base
COPY --from=source /file .
COPY --from=source /dir /dir
COPY --from=source /dir/. /existingdir
`,
    expect: {
      files: {
        file: { uid: 100, gid: 200 },
        dir: { uid: 0, gid: 0, mode: 0o755 },
        'dir/subdir': { uid: 101, gid: 201 },
        'dir/subdir/nestedfile': { uid: 102, gid: 202 },
        existingdir: { uid: 500, gid: 600 },
        'existingdir/existingsubdir': { uid: 501, gid: 601 },
        'existingdir/existingfile': { uid: 501, gid: 601 },
        'existingdir/subdir': { uid: 101, gid: 201 },
        'existingdir/subdir/nestedfile': { uid: 102, gid: 202 },
      },
    },
  },
  {
    go: 'testCopyChownExistingDir',
    file,
    name: 'COPY --from --chown gives the created destination and new entries the owner, not existing ones',
    dockerfile: `FROM busybox AS source
RUN touch /file && chown 100:200 /file && mkdir -p /dir/subdir && touch /dir/subdir/nestedfile \\
 && chown 100:200 /dir && chown 101:201 /dir/subdir && chown 102:202 /dir/subdir/nestedfile
FROM busybox AS test_base
RUN mkdir -p /existingdir/existingsubdir && touch /existingdir/existingfile && chown 500:600 /existingdir \\
 && chown 501:601 /existingdir/existingsubdir && chown 501:601 /existingdir/existingfile
FROM test_base
COPY --from=source --chown=300:400 /file .
COPY --from=source --chown=300:400 /dir /dir
COPY --from=source --chown=300:400 /dir/. /existingdir
`,
    expect: {
      files: {
        file: { uid: 300, gid: 400 },
        dir: { uid: 300, gid: 400 },
        'dir/subdir': { uid: 300, gid: 400 },
        'dir/subdir/nestedfile': { uid: 300, gid: 400 },
        existingdir: { uid: 500, gid: 600 },
        'existingdir/existingsubdir': { uid: 501, gid: 601 },
        'existingdir/existingfile': { uid: 501, gid: 601 },
        'existingdir/subdir': { uid: 300, gid: 400 },
        'existingdir/subdir/nestedfile': { uid: 300, gid: 400 },
      },
    },
  },
  {
    go: 'testCopyChownExistingDir',
    file,
    name: 'COPY . into a new directory from a 0700 context creates it 0755 root',
    defect: 2,
    dockerfile: 'FROM scratch\nCOPY . /ctx/\n',
    context: { '.': { dir: true, mode: 0o700, uid: 5, gid: 6 }, a: { content: 'a', uid: 7, gid: 8 } },
    expect: {
      files: { ctx: { type: 'dir', mode: 0o755, uid: 0, gid: 0 }, 'ctx/a': { content: 'a', uid: 0, gid: 0 } },
    },
  },
  {
    go: 'testCopyWildcardCache',
    file,
    name: 'a wildcard copies every match into the directory',
    dockerfile:
      'FROM busybox AS base\nCOPY foo* files/\nCOPY bar files/\nFROM scratch\nCOPY --from=base files /\n',
    context: { foo1: 'foo1-data', foo2: 'foo2-data', bar: 'bar-data' },
    expect: { files: { foo1: 'foo1-data', foo2: 'foo2-data', bar: 'bar-data' } },
  },
  {
    go: 'testCopyWildcardCache',
    file,
    name: 'changing a file a later COPY takes keeps the earlier wildcard COPY and RUN cached',
    dockerfile: WILDCARD_CACHE,
    context: { foo1: 'foo1-data-a', foo2: 'foo2-data', bar: 'bar-data' }, // its own keys: cases share a store
    expect: {},
    rebuild: { context: { bar: 'bar-data-mod' }, compare: { unique: true } },
  },
  {
    go: 'testCopyWildcardCache',
    file,
    name: 'changing a file the wildcard matched reruns what follows',
    dockerfile: WILDCARD_CACHE,
    context: { foo1: 'foo1-data', foo2: 'foo2-data', bar: 'bar-data' },
    expect: {},
    rebuild: { context: { foo2: 'foo2-data-mod' }, compare: { unique: false } },
  },
  {
    go: 'testEmptyWildcard',
    file,
    name: 'a wildcard that matches nothing beside a real source is not an error',
    dockerfile: 'FROM scratch\nCOPY foo nomatch* /\n',
    context: { foo: 'contents0' },
    expect: { files: { foo: 'contents0' } },
  },
  {
    go: 'testEmptyWildcard',
    file,
    name: 'a lone wildcard that matches nothing copies nothing (BuildKit allows empty wildcards)',
    dockerfile: 'FROM scratch\nCOPY foo /\nCOPY nomatch* /\n',
    context: { foo: 'contents0' },
    expect: { files: { foo: 'contents0' }, absent: ['nomatch'] },
  },
  {
    go: 'testCopyChownCreateDest',
    file,
    name: '--chown by name (and with variables) owns the created destination',
    dockerfile: `FROM busybox
ARG group
ENV owner user01
RUN echo user:x:1001:1001::/:/bin/sh >> /etc/passwd && echo user:x:1001: >> /etc/group
RUN echo user01:x:1002:1002::/:/bin/sh >> /etc/passwd && echo user01:x:1002: >> /etc/group
COPY --chown=user:user . /dest
COPY --chown=\${owner}:\${group} . /dest01
RUN [ "$(stat -c "%U %G" /dest)" == "user user" ]
RUN [ "$(stat -c "%U %G" /dest01)" == "user01 user" ]
`,
    flags: ['--build-arg', 'group=user'],
    expect: {},
  },
  {
    go: 'testCopyThroughSymlinkContext',
    file,
    name: 'a source path through a symlinked context directory is followed',
    dockerfile: 'FROM scratch\nCOPY link/foo .\n',
    context: { link: { symlink: 'sub' }, sub: { dir: true, mode: 0o700 }, 'sub/foo': 'contents' },
    expect: { files: { foo: 'contents' } },
  },
  {
    go: 'testCopyThroughSymlinkMultiStage',
    file,
    name: 'COPY --from follows absolute and relative symlinks in the source path',
    dockerfile: `FROM busybox AS build
RUN mkdir -p /out/sub && ln -s /out/sub /sub && ln -s out/sub /sub2 && echo -n "data" > /sub/foo
FROM scratch
COPY --from=build /sub/foo .
COPY --from=build /sub2/foo bar
`,
    expect: { files: { foo: 'data', bar: 'data' } },
  },
  {
    go: 'testCopySocket',
    file,
    name: 'a unix socket in the context becomes an empty regular file',
    defect: 5,
    dockerfile: 'FROM scratch\nCOPY . /\n',
    context: { 'socket.sock': { socket: true } },
    expect: { files: { 'socket.sock': { type: 'file', content: '' } } },
  },
  {
    go: 'testCopyFollowAllSymlinks',
    file,
    name: 'a source given through a symlink inside a directory is followed',
    dockerfile: 'FROM scratch\nCOPY foo /\nCOPY foo/sub bar\n',
    context: { bar: 'bar-contents', foo: { dir: true, mode: 0o700 }, 'foo/sub': { symlink: '../bar' } },
    expect: { files: { bar: 'bar-contents', sub: { type: 'symlink', link: '../bar' } } },
  },
  {
    go: 'testCopySymlinks',
    file,
    name: 'a named symlink source is followed, wildcard-matched links too',
    dockerfile: 'FROM scratch\nCOPY foo /\nCOPY sub/l* alllinks/\n',
    context: {
      bar: 'bar-contents',
      foo: { symlink: 'bar' },
      'sub/lfile': 'lfile-contents',
      'sub/l0': { symlink: 'subfile' },
      'sub/subfile': 'subfile-contents',
      'sub/l1': { symlink: 'second' },
      'sub/second': { symlink: 'baz' },
      'sub/baz': 'baz-contents',
    },
    expect: {
      files: {
        foo: 'bar-contents',
        'alllinks/l0': 'subfile-contents',
        'alllinks/lfile': 'lfile-contents',
        'alllinks/l1': 'baz-contents',
      },
    },
  },
  {
    go: 'testCopyChown',
    file,
    name: '--chown with a name, uid:group name, and variables',
    dockerfile: `FROM busybox AS base
${ADD_DAEMON}
ENV owner 1000
RUN mkdir -m 0777 /out
COPY --chown=daemon foo /
COPY --chown=1000:nogroup bar /baz
ARG group
COPY --chown=\${owner}:\${group} foo /foobis
RUN stat -c "%U %G" /foo  > /out/fooowner
RUN stat -c "%u %G" /baz/sub  > /out/subowner
RUN stat -c "%u %G" /foobis  > /out/foobisowner
FROM scratch
COPY --from=base /out /
`,
    context: { foo: 'foo-contents', bar: { dir: true, mode: 0o700 }, 'bar/sub': '' },
    flags: ['--build-arg', 'group=nogroup'],
    expect: {
      files: { fooowner: 'daemon daemon\n', subowner: '1000 nogroup\n', foobisowner: '1000 nogroup\n' },
    },
  },
  {
    go: 'testCopyChmod',
    file,
    name: '--chmod sets file modes, and the mode of parents it creates',
    defect: 11,
    dockerfile: `FROM busybox AS base
RUN mkdir -m 0777 /out
COPY --chmod=0644 foo /
COPY --chmod=777 bar /baz
COPY --chmod=0 foo /foobis
COPY --chmod=777 foo /parent/foo
COPY --chmod=770 foo /parent/sub/foo
ARG mode
COPY --chmod=\${mode} foo /footer
RUN stat -c "%04a" /foo  > /out/fooperm
RUN stat -c "%04a" /baz  > /out/barperm
RUN stat -c "%04a" /foobis  > /out/foobisperm
RUN stat -c "%04a" /parent  > /out/parentperm
RUN stat -c "%04a" /parent/sub  > /out/subparentperm
RUN stat -c "%04a" /footer  > /out/footerperm
FROM scratch
COPY --from=base /out /
`,
    context: { foo: { content: 'foo-contents', mode: 0o600 }, bar: { content: 'bar-contents', mode: 0o700 } },
    flags: ['--build-arg', 'mode=755'],
    expect: {
      files: {
        fooperm: '0644\n',
        barperm: '0777\n',
        foobisperm: '0000\n',
        parentperm: '0777\n',
        subparentperm: '0770\n',
        footerperm: '0755\n',
      },
    },
  },
  {
    go: 'testCopyInvalidChmod',
    file,
    name: 'a --chmod that is neither octal nor symbolic is refused',
    dockerfile: 'FROM scratch\nCOPY --chmod=64a foo /\n',
    context: { foo: 'foo-contents' },
    expect: { error: /invalid chmod parameter: '64a'/ },
  },
  {
    go: 'testCopyInvalidChmod',
    file,
    name: 'a --chmod above 07777 is refused',
    dockerfile: 'FROM scratch\nCOPY --chmod=10000 foo /\n',
    context: { foo: 'foo-contents' },
    expect: { error: /invalid chmod parameter: '10000'/ },
  },
  {
    go: 'testCopyOverrideFiles',
    file,
    name: 'copying the same files twice overwrites them',
    dockerfile:
      'FROM scratch AS base\nCOPY sub sub\nCOPY sub sub\nCOPY files/foo.go dest/foo.go\nCOPY files/foo.go dest/foo.go\nCOPY files dest\n',
    context: { 'sub/dir1/dir2/foo': 'foo-contents', 'files/foo.go': 'foo.go-contents' },
    expect: { files: { 'sub/dir1/dir2/foo': 'foo-contents', 'dest/foo.go': 'foo.go-contents' } },
  },
  {
    go: 'testCopyVarSubstitution',
    file,
    name: 'ENV variables expand in sources',
    dockerfile: 'FROM scratch AS base\nENV FOO bar\nCOPY $FOO baz\n',
    context: { bar: 'bar-contents' },
    expect: { files: { baz: 'bar-contents' } },
  },
  {
    go: 'testCopyWildcards',
    file,
    name: 'wildcards, directory contents, /. and trailing slashes',
    dockerfile: `FROM scratch AS base
COPY *.go /gofiles/
COPY f*.go foo2.go
COPY sub/* /subdest/
COPY sub/*/dir2/foo /subdest2/
COPY sub/*/dir2/foo /subdest3/bar
COPY . all/
COPY sub/dir1/ subdest4
COPY sub/dir1/. subdest5
COPY sub/dir1 subdest6
`,
    context: { 'foo.go': 'foo-contents', 'bar.go': 'bar-contents', 'sub/dir1/dir2/foo': 'foo-contents' },
    expect: {
      files: {
        'gofiles/foo.go': 'foo-contents',
        'gofiles/bar.go': 'bar-contents',
        'foo2.go': 'foo-contents',
        'subdest/dir2/foo': 'foo-contents',
        'subdest2/foo': 'foo-contents',
        'subdest3/bar': 'foo-contents',
        'all/foo.go': 'foo-contents',
        'subdest4/dir2/foo': 'foo-contents',
        'subdest5/dir2/foo': 'foo-contents',
        'subdest6/dir2/foo': 'foo-contents',
      },
    },
  },
  {
    go: 'testCopyRelative',
    file,
    name: 'relative destinations resolve against WORKDIR, .. included',
    dockerfile: `FROM busybox
WORKDIR /test1
WORKDIR test2
RUN sh -c "[ "$PWD" = '/test1/test2' ]"
COPY foo ./
RUN sh -c "[ $(cat /test1/test2/foo) = 'hello' ]"
ADD foo ./bar/baz
RUN sh -c "[ $(cat /test1/test2/bar/baz) = 'hello' ]"
COPY foo ./bar/baz2
RUN sh -c "[ $(cat /test1/test2/bar/baz2) = 'hello' ]"
WORKDIR ..
COPY foo ./
RUN sh -c "[ $(cat /test1/foo) = 'hello' ]"
COPY foo /test3/
RUN sh -c "[ $(cat /test3/foo) = 'hello' ]"
WORKDIR /test4
COPY . .
RUN sh -c "[ $(cat /test4/foo) = 'hello' ]"
WORKDIR /test5/test6
COPY foo ../
RUN sh -c "[ $(cat /test5/foo) = 'hello' ]"
`,
    context: { foo: 'hello' },
    expect: {},
  },
  {
    go: 'testCopyUnicodePath',
    file,
    name: 'non-ASCII, percent and plus characters in names are taken literally',
    dockerfile:
      'FROM scratch\nCOPY test-äöü.txt /\nCOPY test-%C3%A4%C3%B6%C3%BC.txt /\nCOPY test+aou.txt /\n',
    context: { 'test-äöü.txt': 'foo', 'test-%C3%A4%C3%B6%C3%BC.txt': 'bar', 'test+aou.txt': 'baz' },
    expect: { files: { 'test-äöü.txt': 'foo', 'test-%C3%A4%C3%B6%C3%BC.txt': 'bar', 'test+aou.txt': 'baz' } },
  },
  ...(
    [
      ['f1', 'file', 'go-w', false],
      ['f2', 'file', 'u=rw,g=r,o=r', false],
      ['f3', 'file', 'a+X', false],
      ['d1', 'dir', 'go-w', true],
      ['d2', 'dir', 'u+rw,g+r,o-x,o+w', true],
      ['d3', 'dir', 'a+X', true],
    ] as const
  ).map(
    ([dst, src, mode, isDir]): SuiteCase => ({
      go: 'testChmodNonOctal',
      file,
      name: `symbolic --chmod=${mode} on a ${isDir ? 'directory' : 'file'} matches chmod(1)`,
      dockerfile: `FROM busybox AS base
RUN mkdir -p /input/dirs/d && touch /input/file && chmod 666 /input/file && mkdir /input/dir && chmod 124 /input/dir \\
 && mkdir /expected && cp -a /input/${src} /expected/${dst} && chmod ${mode} /expected/${dst} && cp -a /input/${src} /input/dirs/d/${dst}
FROM scratch AS result
COPY --from=base --chmod=${mode} ${isDir ? `/input/dirs/d /` : `/input/${src} /${dst}`}
FROM base
COPY --from=result / /actual/
RUN [ "$(stat -c %A /actual/${dst})" = "$(stat -c %A /expected/${dst})" ]
`,
      expect: {},
    }),
  ),
  {
    go: 'testLocalCustomSessionID',
    file,
    name: 'a named context made of a local directory feeds COPY --from',
    dockerfile: 'FROM scratch\nCOPY out /out1\nCOPY --from=basedir /another /out2\n',
    context: { out: 'contents1' },
    scratch: { another: 'contents2' },
    flags: ['--build-context', 'basedir={tmp}'],
    expect: { files: { out1: 'contents1', out2: 'contents2' } },
  },
];
