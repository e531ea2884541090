/** BuildKit's util/suggest behaviour: distance below 3, exact matches suggest nothing, case kept. */
import { describe, expect, it } from 'vitest';
import { suggest, withSuggestion } from '../../frontend/suggest.js';

describe('suggest', () => {
  it.each([
    ['mont', ['mount', 'network', 'security'], 'mount'],
    ['typ', ['type', 'target', 'id'], 'type'],
    ['tmp', ['bind', 'cache', 'tmpfs', 'secret', 'ssh'], 'tmpfs'],
    ['bulid', ['build'], 'build'],
    ['xyzzy', ['build'], undefined],
    ['mount', ['mount', 'mounts'], undefined],
  ])('%s among %j -> %s', (word, options, want) => {
    expect(suggest(word, options)).toBe(want);
  });

  it('answers in the case of the word when searching case-insensitively', () => {
    expect(suggest('FNTRYPOINT', ['entrypoint', 'env'], false)).toBe('ENTRYPOINT');
    expect(suggest('fntrypoint', ['entrypoint'], false)).toBe('entrypoint');
  });

  it('wraps a message only when there is a suggestion', () => {
    expect(withSuggestion('unknown flag: --mont', 'mont', ['mount'])).toBe(
      'unknown flag: --mont (did you mean mount?)',
    );
    expect(withSuggestion('unknown flag: --zzz', 'zzz', ['mount'])).toBe('unknown flag: --zzz');
  });
});
