import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse, toGraph } from '../../../frontend/index.js';
import { formatLintWarning, lint } from '../../../frontend/lint/index.js';

const SAMPLES = new URL('../../../samples/node-app/', import.meta.url);
const sample = (name: string) => readFileSync(new URL(name, SAMPLES), 'utf8');

/** code@line for every warning, the compact form the table compares. */
function codes(text: string): string[] {
  return lint(parse(text, { file: 'Dockerfile' })).map((w) => `${w.code}@${w.range.start.line}`);
}

describe('the seed samples', () => {
  test('Dockerfile.bad: COPY . . before npm install is flagged on the COPY line, with the manifests fix', () => {
    const ws = lint(parse(sample('Dockerfile.bad'), { file: 'Dockerfile.bad' }));
    const broad = ws.filter((w) => w.code === 'BroadCopyBeforeInstall');
    expect(broad).toHaveLength(1);
    expect(broad[0].range.start.line).toBe(3);
    expect(broad[0].message).toBe(
      'COPY . . copies the whole build context before the npm install on line 4: any edit to any file misses the cache for that install and it runs again',
    );
    expect(broad[0].fix).toBe(
      'copy only the dependency manifests first: COPY package.json package-lock.json ./ then the install (line 4), then COPY . . after it',
    );
    expect(formatLintWarning('Dockerfile.bad', broad[0])).toMatch(
      /^Dockerfile\.bad:3: BroadCopyBeforeInstall: COPY \. \. copies .* \(fix: copy only the dependency manifests first: .*\)$/,
    );
    const mount = ws.find((w) => w.code === 'InstallWithoutCacheMount');
    expect(mount?.range.start.line).toBe(4);
    expect(mount?.fix).toBe('RUN --mount=type=cache,target=/root/.npm npm install');
    expect(ws.map((w) => w.code).sort()).toEqual(['BroadCopyBeforeInstall', 'InstallWithoutCacheMount']);
  });

  test('Dockerfile.good: no broad-copy advice (only the cache-mount one on npm ci)', () => {
    expect(codes(sample('Dockerfile.good'))).toEqual(['InstallWithoutCacheMount@4']);
  });

  test('Dockerfile.buildkit: nothing to say', () => {
    expect(codes(sample('Dockerfile.buildkit'))).toEqual([]);
  });
});

/** [name, Dockerfile, expected code@line list] */
const CASES: [string, string, string[]][] = [
  [
    'clean multi-stage',
    'FROM busybox AS build\nRUN echo hi\nFROM scratch\nCOPY --from=build /x /x\nCMD ["/x"]\n',
    [],
  ],
  ['shell-form CMD', 'FROM busybox\nCMD echo hi\n', ['JSONArgsRecommended@2']],
  ['shell-form ENTRYPOINT', 'FROM busybox\nENTRYPOINT /bin/app --flag\n', ['JSONArgsRecommended@2']],
  ['SHELL makes shell form deliberate', 'FROM busybox\nSHELL ["/bin/ash", "-c"]\nCMD echo hi\n', []],
  ['stage name casing', 'FROM busybox AS Build\nFROM scratch\n', ['StageNameCasing@1']],
  ['FROM/as casing', 'FROM busybox as build\n', ['FromAsCasing@1']],
  ['from/AS casing', 'from busybox AS build\n', ['FromAsCasing@1']],
  ['matching lower case', 'from busybox as build\nrun echo\n', []],
  [
    'duplicate stage',
    'FROM busybox AS a\nFROM busybox AS A\n',
    ['DuplicateStageName@2', 'StageNameCasing@2'],
  ],
  ['reserved stage name', 'FROM busybox AS scratch\n', ['ReservedStageName@1']],
  ['maintainer', 'FROM busybox\nMAINTAINER me <me@example.com>\n', ['MaintainerDeprecated@2']],
  ['instruction casing minority', 'FROM busybox\nRUN a\nrun b\nRUN c\n', ['ConsistentInstructionCasing@3']],
  ['instruction mixed casing', 'FROM busybox\nRun a\n', ['ConsistentInstructionCasing@2']],
  ['relative workdir', 'FROM busybox\nWORKDIR app\n', ['WorkdirRelativePath@2']],
  ['relative after absolute', 'FROM busybox\nWORKDIR /app\nWORKDIR sub\n', []],
  [
    'relative in stage on a stage with absolute workdir',
    'FROM busybox AS a\nWORKDIR /w\nFROM a\nWORKDIR sub\n',
    [],
  ],
  ['two CMD', 'FROM busybox\nCMD ["a"]\nCMD ["b"]\n', ['MultipleInstructionsDisallowed@2']],
  [
    'three HEALTHCHECK',
    'FROM busybox\nHEALTHCHECK NONE\nHEALTHCHECK NONE\nHEALTHCHECK NONE\n',
    ['MultipleInstructionsDisallowed@2', 'MultipleInstructionsDisallowed@3'],
  ],
  ['CMD in two stages is fine', 'FROM busybox\nCMD ["a"]\nFROM busybox\nCMD ["b"]\n', []],
  ['legacy ENV', 'FROM busybox\nENV A b c\n', ['LegacyKeyValueFormat@2']],
  ['undefined var on scratch', 'FROM scratch\nCOPY $SRC /x\n', ['UndefinedVar@2']],
  ['defined by ARG', 'FROM scratch\nARG SRC=a\nCOPY $SRC /x\n', []],
  ['defined by ENV through a stage', 'FROM scratch AS a\nENV D=/d\nFROM a\nWORKDIR ${D}\n', []],
  ['default given', 'FROM scratch\nWORKDIR ${D:-/d}\n', []],
  ['image base env unknown: no guess', 'FROM node:22\nWORKDIR $NODE_HOME\n', []],
  [
    'broad COPY before pip',
    'FROM python\nCOPY . /app\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r /app/requirements.txt\n',
    ['BroadCopyBeforeInstall@2'],
  ],
  [
    'narrow COPY before install',
    'FROM node\nCOPY package.json ./\nRUN --mount=type=cache,target=/root/.npm npm ci\nCOPY . .\n',
    [],
  ],
  [
    'COPY --from before install is not the context',
    'FROM node\nCOPY --from=x . .\nRUN --mount=type=cache,target=/root/.npm npm ci\n',
    [],
  ],
  [
    'install in another stage',
    'FROM node AS a\nCOPY . .\nFROM node\nRUN --mount=type=cache,target=/root/.npm npm ci\n',
    [],
  ],
  [
    'apt without cache mount',
    'FROM debian\nRUN apt-get update && apt-get install -y curl\n',
    ['InstallWithoutCacheMount@2'],
  ],
  ['apk --no-cache is deliberate', 'FROM alpine\nRUN apk add --no-cache curl\n', []],
  [
    'go mod download after COPY . .',
    'FROM golang\nCOPY . .\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\n',
    ['BroadCopyBeforeInstall@2'],
  ],
  ['echo npm is not an install', 'FROM node\nRUN echo npm-install\n', []],
  [
    'heredoc RUN with an install',
    'FROM node\nCOPY . .\nRUN <<EOF\nset -e\nyarn install\nEOF\n',
    ['BroadCopyBeforeInstall@2', 'InstallWithoutCacheMount@3'],
  ],
];

describe('rules table', () => {
  test.each(CASES)('%s', (_name, text, want) => {
    expect(codes(text)).toEqual(want);
  });
});

describe('details', () => {
  test('JSONArgsRecommended suggests an exec form; words with shell syntax go through /bin/sh -c', () => {
    const [a] = lint(parse('FROM busybox\nCMD node index.js\n', { file: 'D' }));
    expect(a.fix).toBe('CMD ["node", "index.js"]');
    expect(a.message).toBe(
      'JSON arguments recommended for CMD to prevent unintended behavior related to OS signals',
    );
    const [b] = lint(parse('FROM busybox\nENTRYPOINT echo $HOME && exec app\n', { file: 'D' }));
    expect(b.fix).toBe('ENTRYPOINT ["/bin/sh", "-c", "echo $HOME && exec app"]');
  });

  test('apt gets both apt cache dirs, locked', () => {
    const [w] = lint(parse('FROM debian\nRUN apt-get install -y curl\n', { file: 'D' }));
    expect(w.fix).toBe(
      'RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get install -y curl',
    );
  });

  test('# check=skip drops rules by name (case-insensitive); skip=all drops everything', () => {
    const text = 'FROM busybox as Build\nCMD echo hi\n';
    expect(codes(text)).toEqual(['FromAsCasing@1', 'StageNameCasing@1', 'JSONArgsRecommended@2']);
    expect(codes(`# check=skip=stagenamecasing,JSONArgsRecommended\n${text}`)).toEqual(['FromAsCasing@2']);
    expect(codes(`# check=skip=all\n${text}`)).toEqual([]);
  });

  test('# check=error=true raises the level; warnings stay warnings otherwise', () => {
    const text = 'FROM busybox\nCMD echo hi\n';
    expect(lint(parse(text, { file: 'D' }))[0].level).toBe('warning');
    expect(lint(parse(`# check=error=true\n${text}`, { file: 'D' }))[0].level).toBe('error');
    expect(lint(parse(`# check=skip=JSONArgsRecommended;error=true\n${text}`, { file: 'D' }))).toEqual([]);
  });

  test('an empty continuation line from the parser is reported as NoEmptyContinuation', () => {
    const ws = lint(parse('FROM busybox\nRUN echo a \\\n\n  b\n', { file: 'D' }));
    expect(ws.map((w) => w.code)).toEqual(['NoEmptyContinuation']);
  });

  test('with the graph, a FROM ${BASE} that expands to scratch is checked for undefined vars', () => {
    const text = 'ARG BASE=scratch\nFROM ${BASE}\nCOPY $NOPE /x\n';
    const parsed = parse(text, { file: 'D' });
    expect(lint(parsed).map((w) => w.code)).toEqual([]);
    const graph = toGraph(parsed, { file: 'D' });
    expect(lint(parsed, graph).map((w) => `${w.code}@${w.range.start.line}`)).toEqual(['UndefinedVar@3']);
  });
});

describe('advice that fits the Dockerfile it is about', () => {
  const one = (text: string, code: string) => {
    const ws = lint(parse(text, { file: 'Dockerfile' })).filter((w) => w.code === code);
    expect(ws).toHaveLength(1);
    return ws[0];
  };

  test('an npm ci under USER node is told to mount the cache in /home/node, writable by node', () => {
    const w = one(
      'FROM node:22\nWORKDIR /app\nCOPY package*.json ./\nUSER node\nRUN npm ci\n',
      'InstallWithoutCacheMount',
    );
    expect(w.fix).toBe('RUN --mount=type=cache,target=/home/node/.npm npm ci');
    expect(w.fix).not.toContain('/root/');
    expect(w.message).toContain('runs as USER node, whose cache is $HOME/.npm (/home/node/.npm');
    expect(w.message).toContain('uid=,gid= of node');
  });

  test('the USER of the stage a stage is built on counts; USER root and system caches stay as they are', () => {
    const inherited = one(
      'FROM node AS base\nUSER app:app\nFROM base\nRUN npm install\n',
      'InstallWithoutCacheMount',
    );
    expect(inherited.fix).toBe('RUN --mount=type=cache,target=/home/app/.npm npm install');
    const numeric = one('FROM node\nUSER 1001\nRUN pip install flask\n', 'InstallWithoutCacheMount');
    expect(numeric.fix).toBe('RUN --mount=type=cache,target=$HOME/.cache/pip pip install flask');
    expect(numeric.message).toContain('uid=1001');
    const root = one('FROM node\nUSER node\nUSER root\nRUN npm ci\n', 'InstallWithoutCacheMount');
    expect(root.fix).toBe('RUN --mount=type=cache,target=/root/.npm npm ci');
    const apt = one('FROM debian\nUSER app\nRUN apt-get install -y curl\n', 'InstallWithoutCacheMount');
    expect(apt.fix).toContain('target=/var/cache/apt,sharing=locked');
  });

  test('a CMD written as JSON with typographic quotes is named as such, with the straight-quoted fix', () => {
    const w = one('FROM node\nCMD [“node”, “index.js”]\n', 'JSONArgsRecommended');
    expect(w.message).toContain('typographic quotes');
    expect(w.fix).toBe('CMD ["node", "index.js"] (straight quotes)');
    expect(w.fix).not.toContain('/bin/sh');
    const single = one('FROM node\nENTRYPOINT [‘npm’, ‘start’]\n', 'JSONArgsRecommended');
    expect(single.fix).toBe('ENTRYPOINT ["npm", "start"] (straight quotes)');
    // Plain shell form keeps the ordinary advice.
    expect(one('FROM node\nCMD node index.js\n', 'JSONArgsRecommended').fix).toBe('CMD ["node", "index.js"]');
  });
});
