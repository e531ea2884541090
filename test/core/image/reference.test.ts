import { describe, expect, it } from 'vitest';
import { familiarRef, normalizeRef, parseRef } from '../../../core/image/reference.js';
import { InvalidInputError } from '../../../core/oci/errors.js';

describe('normalizeRef', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['user/app', 'docker.io/user/app:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox:x', 'docker.io/library/busybox:x'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
    ['quay.io/org/img:v1.0', 'quay.io/org/img:v1.0'],
    ['Registry/app', 'Registry/app:latest'],
    ['a/b/c', 'docker.io/a/b/c:latest'],
    [`busybox@sha256:${'a'.repeat(64)}`, `docker.io/library/busybox@sha256:${'a'.repeat(64)}`],
    [`busybox:1@sha256:${'b'.repeat(64)}`, `docker.io/library/busybox:1@sha256:${'b'.repeat(64)}`],
  ])('%s -> %s', (input, want) => {
    expect(normalizeRef(input)).toBe(want);
  });

  it.each([
    '',
    'Busybox',
    'a:b:c',
    'busybox:',
    'busybox:-x',
    '-a/b',
    'a//b',
    'a'.repeat(64),
    'busybox@sha256:xyz',
  ])('rejects %j', (input) => {
    expect(() => normalizeRef(input)).toThrow(InvalidInputError);
  });

  it('gives the familiar form used by RepoTags', () => {
    expect(familiarRef('docker.io/library/busybox:latest')).toBe('busybox:latest');
    expect(familiarRef('docker.io/user/app:1')).toBe('user/app:1');
    expect(familiarRef('localhost:5000/x:y')).toBe('localhost:5000/x:y');
    expect(parseRef('busybox')).toEqual({ domain: 'docker.io', path: 'library/busybox', tag: 'latest' });
  });
});
