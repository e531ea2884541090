import { describe, expect, test } from 'vitest';
import {
  csvFields,
  parseExposedPorts,
  parseGoDuration,
  parseMount,
  validateChmod,
  validateSignal,
} from '../../../frontend/instructions/index.js';

describe('parseMount', () => {
  const id = (w: string) => w;
  test.each([
    ['target=/src', { type: 'bind', target: '/src', readonly: true, required: false }],
    [
      'type=bind,source=x,target=/src,rw',
      { type: 'bind', source: 'x', target: '/src', readonly: false, required: false },
    ],
    [
      'type=cache,target=/c,id=go,sharing=LOCKED,mode=0700,uid=1,gid=2',
      {
        type: 'cache',
        target: '/c',
        id: 'go',
        sharing: 'locked',
        mode: 0o700,
        uid: 1,
        gid: 2,
        readonly: false,
        required: false,
      },
    ],
    ['TYPE=Cache,Target=/c,RO', { type: 'cache', target: '/c', readonly: true, required: false }],
    [
      'type=tmpfs,target=/t,size=64m',
      { type: 'tmpfs', target: '/t', size: 64 * 2 ** 20, readonly: false, required: false },
    ],
    [
      'type=secret,id=tok,env=TOKEN,required',
      { type: 'secret', id: 'tok', env: 'TOKEN', readonly: true, required: true },
    ],
    ['type=ssh,required=false', { type: 'ssh', readonly: true, required: false }],
    ['"type=bind","target=/a,b"', { type: 'bind', target: '/a,b', readonly: true, required: false }],
  ])('%s', (csv, expected) => {
    expect(parseMount(csv, id)).toEqual(expected);
  });

  test('values are expanded with the given function before they are checked', () => {
    const m = parseMount('type=$T,target=$D', (w) => ({ $T: 'cache', $D: '/x' })[w] ?? w);
    expect(m).toMatchObject({ type: 'cache', target: '/x', readonly: false });
  });

  test('without an expander, $ values are left for later and not checked', () => {
    expect(() => parseMount('type=$T,mode=0755,target=/x', null)).not.toThrow();
    expect(() => parseMount('type=$T,mode=0755,target=/x', (w) => (w === '$T' ? 'bind' : w))).toThrow(
      'mode not allowed for "bind"',
    );
  });

  test.each([
    ['required,type=secret,id=x', "unexpected key 'required' for mount type 'bind'"],
    ['type=bind,size=1m', "unexpected key 'size' for mount type 'bind'"],
    ['type=secret,id=a,source=b', "both source and id can't be set"],
    ['type=secret,from=x,id=a', 'secret mount should not have a from'],
    ['type=bind,sharing=shared', 'invalid cache sharing set for bind mount'],
    ['type=cache,mode=9', 'invalid value 9 for mode'],
    ['type=cache,uid=-1', 'invalid value -1 for uid'],
    ['ro=maybe', 'invalid value for ro: maybe'],
    ['bogus=1', "unexpected key 'bogus' in 'bogus=1'"],
    ['target="/x', 'failed to parse csv mounts'],
  ])('%s fails', (csv, message) => {
    expect(() => parseMount(csv, (w) => w)).toThrow(message);
  });
});

test('csvFields follows Go encoding/csv quoting', () => {
  expect(csvFields('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
  expect(() => csvFields('a"b')).toThrow('bare "');
});

test.each([
  ['0', 0],
  ['1h30m', 5400e9],
  ['1.5s', 1.5e9],
  ['250ms', 250e6],
  ['3us', 3000],
  ['-2m', -120e9],
  ['1h1m1s1ms1us1ns', 3661001001001],
])('Go duration %s', (text, ns) => {
  expect(parseGoDuration(text)).toBe(ns);
});

test.each(['', '1', 'h', '1.s5', '5d'])('bad Go duration %j', (text) => {
  expect(() => parseGoDuration(text)).toThrow('time:');
});

test('EXPOSE specs: ranges expanded, proto lower-cased, default tcp, host parts dropped', () => {
  expect(parseExposedPorts(['80', '53/UDP', '8000-8002/sctp', '127.0.0.1:8080:80', '9000:90/tcp'])).toEqual([
    '80/tcp',
    '53/udp',
    '8000/sctp',
    '8001/sctp',
    '8002/sctp',
    '80/tcp',
    '90/tcp',
  ]);
  for (const bad of ['', '/tcp', '80/http', '70000', '90-80', 'x', 'a.b.c:1:2']) {
    expect(() => parseExposedPorts([bad]), bad).toThrow();
  }
});

test('STOPSIGNAL values', () => {
  for (const ok of ['SIGTERM', 'term', 'KILL', '9', 'SIGRTMIN+3', 'sigusr1'])
    expect(() => validateSignal(ok)).not.toThrow();
  for (const bad of ['0', 'SIGFOO', 'TERMX', ''])
    expect(() => validateSignal(bad)).toThrow(`invalid signal: ${bad}`);
});

test('chmod values', () => {
  for (const ok of ['755', '0644', '07777', 'u=rwX,go=rX', '+x', 'a-w'])
    expect(() => validateChmod(ok)).not.toThrow();
  for (const bad of ['999', '10000', '8', 'rwx', 'u=q'])
    expect(() => validateChmod(bad)).toThrow('invalid chmod parameter');
});
