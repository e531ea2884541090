/** dockerfile_history_test.go and dockerfile_image_test.go: the image config and its history. */
import { expect } from 'vitest';
import type { SuiteCase } from '../suite-case.js';

const EXPORTED_HISTORY = `FROM busybox AS base
ENV foo=bar
COPY foo /foo2
FROM busybox
LABEL lbl=val
COPY --from=base foo2 foo3
WORKDIR /
RUN echo bar > foo4
RUN ["ls"]
EXPOSE 2375 5000 1234/udp
`;

export const historyCases: SuiteCase[] = [
  {
    go: 'testExportedHistory',
    file: 'history',
    name: "history is the target stage's: LABEL, COPY (flags as BuildKit records them), WORKDIR, RUN, EXPOSE",
    defect: 9,
    dockerfile: EXPORTED_HISTORY,
    context: { foo: 'contents0' },
    expect: {
      history: [
        { created_by: /lbl=val/, empty_layer: true },
        { created_by: 'COPY foo2 foo3 # buildkit', empty_layer: false },
        { created_by: /^WORKDIR \//, empty_layer: true },
        { created_by: /echo bar > foo4/, empty_layer: false },
        { created_by: /^RUN ls/, empty_layer: false },
        { created_by: 'EXPOSE [1234/udp 2375/tcp 5000/tcp]', empty_layer: true },
      ],
      check: ({ config }) => {
        // The base's one layer, the COPY and both RUNs: a RUN that changed nothing has a layer too.
        expect(config.rootfs.diff_ids.length).toBe(4);
        expect(config.rootfs.type).toBe('layers');
        for (const h of config.history ?? []) expect(h.created).toBeDefined();
      },
    },
  },
  {
    go: 'testExportedHistory',
    file: 'history',
    name: 'COPY --chown and --chmod are recorded in the history, --link and --exclude are not',
    defect: 9,
    dockerfile: 'FROM scratch\nCOPY --link --chown=1:2 --chmod=0644 --exclude=*.tmp foo /bar\n',
    context: { foo: 'x' },
    expect: {
      history: [{ created_by: 'COPY --chown=1:2 --chmod=0644 foo /bar # buildkit', empty_layer: false }],
    },
  },
  {
    go: 'testExportedHistoryFlattenArgs',
    file: 'history',
    name: 'ARG redeclared: history has each ARG, RUN lists the args it used with their last values',
    dockerfile: 'FROM busybox\nARG foo=bar\nARG bar=123\nARG foo=bar2\nRUN ls /etc/\n',
    expect: {
      history: [
        { created_by: 'ARG foo=bar' },
        { created_by: /ARG bar=123/ },
        { created_by: /ARG foo=bar2/ },
        { created_by: /^RUN \|2 foo=bar2 bar=123 .*ls \/etc\// },
      ],
    },
  },
  {
    go: 'testHistoryError',
    file: 'history',
    name: 'a COPY of a missing file fails the build, naming it',
    dockerfile: 'FROM scratch\nCOPY notexist /foo\n',
    expect: { error: /notexist/ },
  },
  {
    go: 'testHistoryFinalizeTrace',
    file: 'history',
    name: 'a successful build of a RUN writes a complete image (config, layers, history)',
    dockerfile: 'FROM busybox\nRUN echo foo > /foo\n',
    expect: {
      files: { foo: 'foo\n' },
      history: [{ created_by: /echo foo > \/foo/, empty_layer: false }],
    },
  },
  {
    go: 'testPullScratch',
    file: 'image',
    name: 'an image FROM scratch with only a LABEL, then a child adding a layer: labels merge',
    parents: { scratchlabel: 'FROM scratch\nLABEL foo=bar\n' },
    dockerfile: 'FROM {image:scratchlabel}\nLABEL bar=baz\nCOPY foo .\n',
    context: { foo: 'foo-contents' },
    expect: {
      config: { rootfs: { type: 'layers' }, config: { Labels: { foo: 'bar', bar: 'baz' } } },
      check: ({ config }) => expect(config.rootfs.diff_ids.length).toBe(1),
    },
  },
  {
    go: 'testDockerfileScratchConfig',
    file: 'image',
    name: 'FROM scratch: os, architecture, WorkingDir and PATH are set; one history entry, no layers',
    dockerfile: 'FROM scratch\nENV foo=bar\n',
    expect: {
      config: {
        os: 'linux',
        architecture: expect.stringMatching(/.+/),
        config: { WorkingDir: expect.stringMatching(/.+/), Env: expect.arrayContaining(['foo=bar']) },
        rootfs: { type: 'layers', diff_ids: [] },
      },
      history: [{ created_by: /ENV foo=bar/, empty_layer: true }],
      check: ({ config }) => {
        expect(config.history?.length).toBe(1);
        expect(config.config?.Env?.some((e) => e.startsWith('PATH='))).toBe(true);
      },
    },
  },
  {
    go: 'testOCILayoutMultiname',
    file: 'image',
    name: 'a COPY heredoc on scratch gives one layer with the file',
    dockerfile: 'FROM scratch\nCOPY <<EOF /foo\nhello\nEOF\n',
    flags: ['-t', 'i15-suite-multiname:tag1', '-t', 'i15-suite-multiname:tag2'],
    expect: { files: { foo: 'hello\n' } },
  },
  {
    go: 'testMultiNilRefsOCIExporter',
    file: 'image',
    name: 'a bare FROM scratch builds an empty image',
    dockerfile: 'FROM scratch',
    expect: { config: { rootfs: { type: 'layers', diff_ids: [] } } },
  },
  {
    go: 'testBaseImagePlatformMismatch',
    file: 'check',
    name: 'FROM scratch for another platform builds, labelled with that platform',
    dockerfile: 'FROM scratch\nCOPY foo /foo\n',
    context: { foo: 'test' },
    flags: ['--platform', 'linux/arm64'],
    expect: { config: { os: 'linux', architecture: 'arm64' }, files: { foo: 'test' } },
  },
  {
    go: 'testBaseImagePlatformMismatch',
    file: 'check',
    name: 'a base image that lacks the asked platform is refused, naming both platforms',
    defect: 16,
    dockerfile: 'FROM busybox\nENV foo=bar\n',
    flags: ['--platform', 'linux/arm64'],
    expect: { error: /for linux\/arm64: the store holds \S+ for linux\/amd64 only/ },
    difference:
      "BuildKit builds on with an InvalidBaseImagePlatform warning, using the amd64 image; strata refuses rather than build an image labelled arm64 whose files are amd64 (it runs foreign RUN steps under QEMU, but never takes another platform's image for the one asked)",
  },
];
