/** `--build-context NAME=VALUE` values, as BuildKit spells them. */
import { describe, expect, it } from 'vitest';
import { parseNamedContexts } from '../../../core/plan/named-contexts.js';

const D = `sha256:${'ab'.repeat(32)}`;
const one = (v: string) => parseNamedContexts([`n=${v}`], '/work').get('n');

describe('parseNamedContexts', () => {
  it('reads docker-image://, oci-layout:// (tag, digest, none) and directories', () => {
    expect(one('docker-image://busybox:1')).toEqual({ kind: 'image', ref: 'busybox:1' });
    expect(one('oci-layout://out/img')).toEqual({ kind: 'oci-layout', dir: '/work/out/img' });
    expect(one('oci-layout:///abs/img:v1.2')).toEqual({ kind: 'oci-layout', dir: '/abs/img', tag: 'v1.2' });
    expect(one(`oci-layout://img@${D}`)).toEqual({ kind: 'oci-layout', dir: '/work/img', digest: D });
    // A colon inside the path that is not followed by a tag stays part of the path.
    expect(one('oci-layout://a:b/img')).toEqual({ kind: 'oci-layout', dir: '/work/a:b/img' });
    expect(one('ctx')).toEqual({ kind: 'dir', path: '/work/ctx' });
  });

  it('refuses what it cannot use, with the reason', () => {
    expect(() => one('oci-layout://img@sha256:short')).toThrow('"sha256:short" is not a sha256 digest');
    expect(() => one('oci-layout://')).toThrow('oci-layout:// needs a directory');
    expect(() => one('git://host/repo')).toThrow(
      'git:// is not supported (docker-image://, oci-layout:// or a directory)',
    );
    expect(() => parseNamedContexts(['novalue'], '/')).toThrow('expected NAME=VALUE');
  });
});
