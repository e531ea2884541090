/**
 * dockerfile_onbuild_test.go: ONBUILD triggers run once, in the first child, and may bring
 * new dependencies. The Go tests push base images to a registry; here they are built into
 * the shared store first (`parents`).
 */
import type { CaseResult, SuiteCase } from '../suite-case.js';

const file = 'onbuild' as const;

/** Stands in for the alpine image the Go tests copy /etc/alpine-release from. */
const ALPINE = 'FROM busybox\nRUN echo 3.20.0 > /etc/alpine-release\n';

/** The triggers ran in this image's build: none may be passed on to its children. */
function noOnBuildLeft({ config }: CaseResult): void {
  const left = config.config?.OnBuild;
  if (left && left.length > 0) throw new Error(`OnBuild kept: ${JSON.stringify(left)}`);
}

export const onbuildCases: SuiteCase[] = [
  {
    go: 'testOnBuildCleared',
    file,
    name: 'a child of an ONBUILD image runs the triggers and does not pass them on',
    parents: {
      base: 'FROM busybox\nONBUILD RUN mkdir -p /out && echo -n 11 >> /out/foo\n',
      child: 'FROM {image:base}\n',
    },
    dockerfile: 'FROM {image:child} AS base\nFROM scratch\nCOPY --from=base /out /\n',
    expect: { files: { foo: '11' } },
  },
  {
    go: 'testOnBuildCleared',
    file,
    name: "the child's config has no OnBuild left",
    parents: { base: 'FROM busybox\nONBUILD RUN mkdir -p /out && echo -n 11 >> /out/foo\n' },
    dockerfile: 'FROM {image:base}\n',
    expect: {
      check: noOnBuildLeft,
    },
  },
  {
    go: 'testOnBuildWithChildStage',
    file,
    name: 'triggers do not run again in a stage built FROM the stage that ran them',
    parents: { base: 'FROM busybox\nONBUILD RUN mkdir -p /out && echo -n yes >> /out/didrun\n' },
    dockerfile: `FROM {image:base} AS base
RUN [ -f /out/didrun ] && touch /step1
RUN rm /out/didrun
RUN [ ! -f /out/didrun ] && touch /step2
FROM base AS child
RUN [ ! -f /out/didrun ] && touch /step3
FROM scratch
COPY --from=child /step* /
`,
    expect: { files: { step1: '', step2: '', step3: '' } },
  },
  {
    go: 'testOnBuildNamedContext',
    file,
    name: 'an ONBUILD COPY --from names a stage of the child Dockerfile',
    parents: { base: 'FROM busybox\nONBUILD COPY --from=otherstage /testfile /out/foo\n' },
    dockerfile: `FROM busybox AS otherstage
RUN echo -n "hello" > /testfile
FROM {image:base} AS inputstage
FROM scratch
COPY --from=inputstage /out/foo /bar
`,
    expect: { files: { bar: 'hello' } },
  },
  {
    go: 'testOnBuildInheritedStageRun',
    file,
    name: "a stage's own ONBUILD runs in a stage built FROM it",
    dockerfile: `FROM busybox AS base
ONBUILD RUN mkdir -p /out && echo -n 11 >> /out/foo
FROM base AS mid
RUN cp /out/foo /out/bar
FROM scratch
COPY --from=mid /out/bar /
`,
    expect: { files: { bar: '11' } },
  },
  {
    go: 'testOnBuildInheritedStageRun',
    file,
    name: 'a stage built FROM a stage with ONBUILD runs the triggers and keeps none in its config',
    defect: 15,
    dockerfile: `FROM busybox AS base
ONBUILD RUN mkdir -p /out && echo -n 11 >> /out/foo
FROM base
RUN cp /out/foo /out/bar
`,
    expect: {
      files: { 'out/bar': '11' },
      // BuildKit's dispatchState.init: "onbuild triggers to not carry over from base stage".
      check: noOnBuildLeft,
    },
  },
  {
    go: 'testOnBuildInheritedStageWithFrom',
    file,
    name: "a stage's ONBUILD COPY --from another stage runs in a stage built FROM it",
    dockerfile: `FROM busybox AS src
RUN mkdir -p /in && echo -n 12 > /in/file
FROM busybox AS base
ONBUILD COPY --from=src /in/file /out/foo
FROM base AS mid
RUN cp /out/foo /out/bar
FROM scratch
COPY --from=mid /out/bar /
`,
    expect: { files: { bar: '12' } },
  },
  {
    go: 'testOnBuildNewDeps',
    file,
    name: 'an ONBUILD COPY --from an image the child never names pulls that image in',
    parents: {
      alpine: ALPINE,
      base: 'FROM busybox\nONBUILD COPY --from={image:alpine} /etc/alpine-release /out/alpine-release2\n',
    },
    dockerfile:
      'FROM {image:base} AS base\nRUN cat /out/alpine-release2 > /out/alpine-release3\nFROM scratch\nCOPY --from=base /out /\n',
    expect: { files: { 'alpine-release3': '3.20.0\n' } },
  },
  {
    go: 'testOnBuildNewDeps',
    file,
    name: 'an ONBUILD RUN --mount from= a stage of the child, over another ONBUILD image',
    parents: {
      alpine: ALPINE,
      base: 'FROM busybox\nONBUILD COPY --from={image:alpine} /etc/alpine-release /out/alpine-release2\n',
      base2:
        'FROM busybox\nONBUILD RUN --mount=type=bind,target=/in,from=inputstage mkdir /out && cat /in/foo > /out/bar && cat /in/out/alpine-release2 > /out/bar2\n',
    },
    dockerfile: `FROM {image:base} AS inputstage
RUN cat /out/alpine-release2 > /out/alpine-release4
RUN echo -n foo > /foo
FROM {image:base2} AS base
RUN echo -n bar3 > /out/bar3
FROM scratch
COPY --from=base /out /
`,
    expect: { files: { bar: 'foo', bar2: '3.20.0\n', bar3: 'bar3' } },
  },
  {
    go: 'testOnBuildWithCacheMount',
    file,
    name: 'an ONBUILD RUN with a cache mount fills the cache the child then sees',
    parents: {
      base: 'FROM busybox\nONBUILD RUN --mount=type=cache,target=/cache-onbuild echo -n 42 >> /cache-onbuild/foo && echo -n 11 >> /bar\n',
    },
    dockerfile:
      'FROM {image:base}\nRUN --mount=type=cache,target=/cache-onbuild [ "$(cat /cache-onbuild/foo)" = "42" ] && [ "$(cat /bar)" = "11" ]\n',
    expect: {},
  },
];
