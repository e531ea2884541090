/** dockerfile_add_test.go: ADD of archives (local, through symlinks, chowned) and of URLs. */
import type { SuiteCase } from '../suite-case.js';

const file = 'add' as const;

const FOO_TAR = { tar: { foo: 'content0' } };
const FOO_TGZ = { tar: { foo: 'content0' }, gzip: true };

export const addCases: SuiteCase[] = [
  {
    go: 'testDockerfileAddArchive',
    file,
    name: 'ADD of a local tar unpacks it',
    dockerfile: 'FROM scratch\nADD t.tar /\n',
    context: { 't.tar': FOO_TAR },
    expect: { files: { foo: 'content0' }, absent: ['t.tar'] },
  },
  {
    go: 'testDockerfileAddArchive',
    file,
    name: 'ADD of a local gzip tar unpacks it',
    dockerfile: 'FROM scratch\nADD t.tar.gz /\n',
    context: { 't.tar.gz': FOO_TGZ },
    expect: { files: { foo: 'content0' } },
  },
  {
    go: 'testDockerfileAddArchive',
    file,
    name: 'ADD --unpack=false copies the archive as a file',
    dockerfile: 'FROM scratch\nADD --unpack=false t.tar.gz /\n',
    context: { 't.tar.gz': FOO_TGZ },
    expect: { files: { 't.tar.gz': { type: 'file' } }, absent: ['foo'] },
  },
  {
    go: 'testDockerfileAddArchive',
    file,
    name: 'COPY never unpacks',
    dockerfile: 'FROM scratch\nCOPY t.tar.gz /\n',
    context: { 't.tar.gz': FOO_TGZ },
    expect: { files: { 't.tar.gz': { type: 'file' } }, absent: ['foo'] },
  },
  {
    go: 'testDockerfileAddArchive',
    file,
    name: 'ADD of a URL does not unpack',
    dockerfile: 'FROM scratch\nADD {http}/t.tar.gz /\n',
    scratch: { 't.tar.gz': FOO_TGZ },
    expect: { files: { 't.tar.gz': { type: 'file' } }, absent: ['foo'] },
  },
  {
    go: 'testDockerfileAddArchive',
    file,
    name: 'ADD --unpack=true of a URL unpacks it',
    dockerfile: 'FROM scratch\nADD --unpack=true {http}/t.tar.gz /dest/\n',
    scratch: { 't.tar.gz': FOO_TGZ },
    expect: { files: { 'dest/foo': 'content0' } },
  },
  {
    go: 'testDockerfileAddArchive',
    file,
    name: 'ADD of a URL to a file name writes that name (moby/buildkit#386)',
    dockerfile: 'FROM scratch\nADD {http}/t.tar.gz /newname.tar.gz\n',
    scratch: { 't.tar.gz': FOO_TGZ },
    expect: { files: { 'newname.tar.gz': { type: 'file' } } },
  },
  {
    go: 'testDockerfileAddArchiveWithImpliedParentDir',
    file,
    name: 'an archive whose first member is a nested directory unpacks with its parents',
    dockerfile: 'FROM scratch\nADD t.tar.gz /\n',
    context: { 't.tar.gz': { tar: { 'etc/dnf/': '', 'etc/dnf/dnf.conf': 'content0' }, gzip: true } },
    expect: { files: { 'etc/dnf/dnf.conf': 'content0', etc: { type: 'dir' } } },
  },
  {
    go: 'testDockerfileAddArchiveThroughAbsoluteSymlink',
    file,
    name: 'an archive member under an absolute symlink in the image lands at the link target',
    defect: 4,
    dockerfile: 'FROM scratch\nADD rootfs.tar /\nADD payload.tar /\n',
    context: {
      'rootfs.tar': { tar: { 'run/': '', 'var/': '', 'var/run': { symlink: '/run' } } },
      'payload.tar': {
        tar: {
          'var/run/act/': '',
          'var/run/act/actions/': '',
          'var/run/act/actions/broad/': '',
          'var/run/act/actions/broad/.git/': '',
          'var/run/act/actions/broad/.git/HEAD': 'ref: refs/heads/main\n',
          'var/run/act/actions/broad/.git/HEAD.link': { hardlink: 'var/run/act/actions/broad/.git/HEAD' },
        },
      },
    },
    expect: {
      files: {
        'run/act/actions/broad/.git/HEAD': 'ref: refs/heads/main\n',
        'run/act/actions/broad/.git/HEAD.link': 'ref: refs/heads/main\n',
        'var/run': { type: 'symlink', link: '/run' },
      },
      check: async ({ dir }) => {
        const { stat } = await import('node:fs/promises');
        const a = await stat(`${dir}/run/act/actions/broad/.git/HEAD`);
        const b = await stat(`${dir}/run/act/actions/broad/.git/HEAD.link`);
        if (a.ino !== b.ino) throw new Error('HEAD.link is not a hard link of HEAD');
      },
    },
  },
  {
    go: 'testDockerfileAddArchiveThroughAbsoluteSymlink',
    file,
    name: 'COPY to a path under an absolute symlink in the image lands at the link target',
    defect: 4,
    dockerfile: 'FROM scratch\nADD rootfs.tar /\nCOPY foo /var/run/act/\n',
    context: { foo: 'x', 'rootfs.tar': { tar: { 'run/': '', 'var/': '', 'var/run': { symlink: '/run' } } } },
    expect: { files: { 'run/act/foo': 'x', 'var/run': { type: 'symlink', link: '/run' } } },
  },
  {
    go: 'testDockerfileAddChownArchive',
    file,
    name: 'ADD --chown owns the unpacked files and the created destination',
    dockerfile: 'FROM scratch\nADD --chown=100:200 t.tar /out/\n',
    context: { 't.tar': FOO_TAR },
    expect: {
      files: { 'out/foo': { content: 'content0', uid: 100, gid: 200 }, out: { uid: 100, gid: 200 } },
    },
  },
  {
    go: 'testDockerfileAddArchiveWildcard',
    file,
    name: 'ADD with a wildcard unpacks every matching archive into the destination',
    dockerfile: 'FROM scratch\nADD *.tar /dest\n',
    context: { 't.tar': FOO_TAR, 'b.tar': { tar: { bar: 'content1' } } },
    expect: { files: { 'dest/foo': 'content0', 'dest/bar': 'content1' } },
  },
  {
    go: 'testDockerfileAddChownExpand',
    file,
    name: 'ADD --chown expands ENV and ARG',
    dockerfile:
      'FROM busybox\nARG group\nENV owner 1000\nADD --chown=${owner}:${group} foo /\nRUN [ "$(stat -c "%u %G" /foo)" == "1000 nogroup" ]\n',
    context: { foo: 'foo-contents' },
    flags: ['--build-arg', 'group=nogroup'],
    expect: {},
  },
  {
    go: 'testAddURLChmod',
    file,
    name: 'ADD --chmod of a URL, octal and from an ARG',
    dockerfile: `FROM busybox AS build
ADD --chmod=644 {http}/foo /tmp/foo1
ADD --chmod=755 {http}/foo /tmp/foo2
ADD --chmod=0413 {http}/foo /tmp/foo3
ARG mode
ADD --chmod=\${mode} {http}/foo /tmp/foo4
RUN stat -c "%04a" /tmp/foo1 >> /dest && stat -c "%04a" /tmp/foo2 >> /dest && stat -c "%04a" /tmp/foo3 >> /dest && stat -c "%04a" /tmp/foo4 >> /dest
FROM scratch
COPY --from=build /dest /dest
`,
    scratch: { foo: 'content1' },
    flags: ['--build-arg', 'mode=400'],
    expect: { files: { dest: '0644\n0755\n0413\n0400\n' } },
  },
  {
    go: 'testAddInvalidChmod',
    file,
    name: 'ADD --chmod=64a is refused',
    dockerfile: 'FROM scratch\nADD --chmod=64a foo /\n',
    context: { foo: 'foo-contents' },
    expect: { error: /invalid chmod parameter: '64a'/ },
  },
  {
    go: 'testAddInvalidChmod',
    file,
    name: 'ADD --chmod=10000 is refused',
    dockerfile: 'FROM scratch\nADD --chmod=10000 foo /\n',
    context: { foo: 'foo-contents' },
    expect: { error: /invalid chmod parameter: '10000'/ },
  },
  {
    go: 'testAddChecksum',
    file,
    name: 'ADD --checksum with the right sha256 succeeds',
    dockerfile:
      'FROM scratch\nADD --checksum=sha256:d0b425e00e15a0d36b9b361f02bab63563aed6cb4665083905386c55d5b679fa {http}/foo /tmp/foo\n',
    scratch: { foo: 'content1' },
    expect: { files: { 'tmp/foo': 'content1' } },
  },
  {
    go: 'testAddChecksum',
    file,
    name: 'ADD --checksum from ENV variables',
    dockerfile:
      'FROM scratch\nENV DIGEST=sha256:d0b425e00e15a0d36b9b361f02bab63563aed6cb4665083905386c55d5b679fa\nENV LINK={http}/foo\nADD --checksum=${DIGEST} ${LINK} /tmp/foo\n',
    scratch: { foo: 'content1' },
    expect: { files: { 'tmp/foo': 'content1' } },
  },
  {
    go: 'testAddChecksum',
    file,
    name: 'ADD --checksum mismatch fails',
    dockerfile:
      'FROM scratch\nADD --checksum=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 {http}/foo /tmp/foo\n',
    scratch: { foo: 'content1' },
    expect: { error: /mismatch|checksum/i },
  },
  {
    go: 'testAddChecksum',
    file,
    name: 'ADD --checksum with md5 is an unsupported algorithm',
    dockerfile: 'FROM scratch\nADD --checksum=md5:7e55db001d319a94b0b713529a756623 {http}/foo /tmp/foo\n',
    scratch: { foo: 'content1' },
    expect: { error: /digest/ },
  },
  {
    go: 'testAddChecksum',
    file,
    name: 'ADD --checksum with an unknown algorithm is refused',
    dockerfile:
      'FROM scratch\nADD --checksum=unknown:d0b425e00e15a0d36b9b361f02bab63563aed6cb4665083905386c55d5b679fa {http}/foo /tmp/foo\n',
    scratch: { foo: 'content1' },
    expect: { error: /digest/ },
  },
  {
    go: 'testAddChecksum',
    file,
    name: 'ADD --checksum without an algorithm is refused',
    dockerfile:
      'FROM scratch\nADD --checksum=d0b425e00e15a0d36b9b361f02bab63563aed6cb4665083905386c55d5b679fa {http}/foo /tmp/foo\n',
    scratch: { foo: 'content1' },
    expect: { error: /invalid checksum digest format|checksum/i },
  },
  {
    go: 'testAddChecksum',
    file,
    name: 'ADD --checksum of a local file is refused',
    dockerfile:
      'FROM scratch\nADD --checksum=sha256:d0d0caad8ea5dc1ab26ae7b0a1f18a3f0b9d60e2e1fa3c1f9b1d4c5f2d4fd5a1 foo /tmp/foo\n',
    context: { foo: 'local file' },
    expect: { error: /checksum requires HTTP\(S\) or Git sources|checksum/ },
  },
  {
    go: 'testDockerfileADDFromURL',
    file,
    name: 'ADD of a URL into a directory names the file after the URL path',
    dockerfile: 'FROM scratch\nADD {http}/foo /dest/\n',
    scratch: { foo: 'content1' },
    expect: { files: { 'dest/foo': 'content1' } },
  },
  {
    go: 'testDockerfileADDFromURL',
    file,
    name: 'ADD of a URL with no file name writes __unnamed__ with the Last-Modified time',
    dockerfile: 'FROM scratch\nADD {http}/ /dest/\n',
    scratch: { index: 'content2' },
    expect: {
      files: { 'dest/__unnamed__': 'content2' },
      check: async ({ dir }) => {
        const { stat } = await import('node:fs/promises');
        const { SERVED_MTIME } = await import('../serve-scratch.js');
        const st = await stat(`${dir}/dest/__unnamed__`);
        if (st.mtime.getTime() !== SERVED_MTIME.getTime()) throw new Error(`mtime ${st.mtime.toISOString()}`);
      },
    },
  },
];
