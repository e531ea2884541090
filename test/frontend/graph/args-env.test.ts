import { describe, expect, test } from 'vitest';
import { graph, graphError, ins, steps } from './helpers.js';

describe('ARG scoping', () => {
  test('global args are seen by FROM only, until a bare ARG imports them', () => {
    const g = graph('ARG V=3.19\nARG IMG=alpine:$V\nFROM $IMG\nLABEL before=$V\nARG V\nLABEL after=$V\n');
    expect(g.stages[0].base).toEqual({ kind: 'image', ref: 'alpine:3.19' });
    const s = steps(g);
    expect(ins(s[0], 'label').pairs).toEqual([['before', '']]);
    expect(s[0].args).toEqual([]);
    expect(ins(s[1], 'arg').args).toEqual([{ name: 'V', value: '3.19' }]);
    expect(ins(s[2], 'label').pairs).toEqual([['after', '3.19']]);
    expect(s[2].args).toEqual([['V', '3.19']]);
  });

  test('build-args override global and stage defaults; a stage default beats the global', () => {
    const text = 'ARG A=g\nARG B=g\nFROM scratch\nARG A\nARG B=stage\nARG C=stage\nLABEL v="$A $B $C"\n';
    expect(ins(steps(graph(text))[3], 'label').pairs).toEqual([['v', 'g stage stage']]);
    const over = graph(text, { buildArgs: { A: 'ba', B: 'bb', C: 'bc' } });
    expect(ins(steps(over)[3], 'label').pairs).toEqual([['v', 'ba bb bc']]);
    expect(steps(over)[3].args).toEqual([
      ['A', 'ba'],
      ['B', 'bb'],
      ['C', 'bc'],
    ]);
  });

  test('an ARG with no value anywhere stays unset and out of Step.args', () => {
    const s = steps(graph('FROM scratch\nARG NOPE\nENV X=${NOPE-unset}\n'));
    expect(ins(s[0], 'arg').args).toEqual([{ name: 'NOPE' }]);
    expect(ins(s[1], 'env').pairs).toEqual([['X', 'unset']]);
    expect(s[1].args).toEqual([]);
  });

  test('ARG defaults see earlier args of the same line', () => {
    expect(ins(steps(graph('FROM scratch\nARG a=1 b=${a}2\n'))[0], 'arg').args).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: '12' },
    ]);
  });

  test('predefined platform args come from the options and need a bare ARG in a stage', () => {
    const g = graph(
      'FROM --platform=$BUILDPLATFORM scratch AS b\nARG TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDARCH TARGETSTAGE\nLABEL x=$TARGETARCH\n',
    );
    expect(g.stages[0].platform).toBe('linux/amd64');
    expect(ins(steps(g)[0], 'arg').args).toEqual([
      { name: 'TARGETPLATFORM', value: 'linux/arm64/v8' },
      { name: 'TARGETOS', value: 'linux' },
      { name: 'TARGETARCH', value: 'arm64' },
      { name: 'TARGETVARIANT', value: 'v8' },
      { name: 'BUILDARCH', value: 'amd64' },
      { name: 'TARGETSTAGE', value: 'b' },
    ]);
    const over = graph('FROM scratch\nARG TARGETARCH\n', { buildArgs: { TARGETARCH: 'riscv64' } });
    expect(ins(steps(over)[0], 'arg').args).toEqual([{ name: 'TARGETARCH', value: 'riscv64' }]);
  });

  test('a stage FROM another stage inherits its args and env', () => {
    const g = graph('FROM scratch AS a\nARG X=1\nENV E=e\nFROM a\nLABEL l="$X $E"\n');
    const s = g.stages[1].steps;
    expect(ins(s[0], 'label').pairs).toEqual([['l', '1 e']]);
    expect(s[0].args).toEqual([['X', '1']]);
  });
});

describe('ENV and ARG precedence (formats.md 1.10)', () => {
  test('ENV after ARG wins, and Step.args reports the ENV value', () => {
    const s = steps(graph('FROM scratch\nARG X=a\nENV X=v\nRUN echo\nLABEL l=$X\n'));
    expect(s[2].args).toEqual([['X', 'v']]);
    expect(ins(s[3], 'label').pairs).toEqual([['l', 'v']]);
  });

  test('ARG after ENV (also base image ENV) wins for later expansion', () => {
    const baseImages = new Map([['img', { env: ['PATH=/bin', 'X=fromimage', 'HOME=/root'] }]]);
    const s = steps(graph('FROM img\nLABEL a=$X\nARG X=a\nLABEL b=$X\nENV Y=$HOME:$PATH\n', { baseImages }));
    expect(ins(s[0], 'label').pairs).toEqual([['a', 'fromimage']]);
    expect(ins(s[2], 'label').pairs).toEqual([['b', 'a']]);
    expect(s[2].args).toEqual([['X', 'a']]);
    expect(ins(s[3], 'env').pairs).toEqual([['Y', '/root:/bin']]);
  });

  test('one ENV line expands against the env from before the line', () => {
    const s = steps(graph('FROM scratch\nENV a=hi\nENV a=bye b=$a\n'));
    expect(ins(s[1], 'env').pairs).toEqual([
      ['a', 'bye'],
      ['b', 'hi'],
    ]);
  });

  test('scratch and unknown images get the default PATH', () => {
    expect(ins(steps(graph('FROM scratch\nENV P=$PATH\n'))[0], 'env').pairs).toEqual([
      ['P', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ]);
  });
});

describe('build-arg bookkeeping', () => {
  test('unused build args are reported, builtins and proxies are not', () => {
    const g = graph('ARG G\nFROM scratch\nARG S\n', {
      buildArgs: {
        G: '1',
        S: '2',
        EXTRA: '3',
        HTTP_PROXY: 'http://p',
        TARGETOS: 'linux',
        BUILDKIT_INLINE_CACHE: '1',
      },
    });
    expect(g.unusedBuildArgs).toEqual(['EXTRA']);
    expect(g.proxyEnv).toEqual([
      ['HTTP_PROXY', 'http://p'],
      ['http_proxy', 'http://p'],
    ]);
  });

  test('sets every proxy arg in both cases, as BuildKit does (the last spelling given wins)', () => {
    const g = graph('FROM scratch\n', { buildArgs: { http_proxy: 'a', NO_PROXY: 'b', no_proxy: 'c' } });
    expect(g.proxyEnv).toEqual([
      ['HTTP_PROXY', 'a'],
      ['http_proxy', 'a'],
      ['NO_PROXY', 'c'],
      ['no_proxy', 'c'],
    ]);
  });

  test('a bad build-arg name is an E_PARSE error', () => {
    expect(graphError('FROM scratch\n', { buildArgs: { 'A B': 'x' } }).message).toContain(
      'invalid build-arg name',
    );
  });
});
