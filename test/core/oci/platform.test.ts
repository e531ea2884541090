/** Platform spelling: one canonical form for keys, labels and tags. */
import { describe, expect, it } from 'vitest';
import {
  canonicalPlatform,
  configPlatform,
  formatCanonical,
  parsePlatformList,
} from '../../../core/oci/platform.js';

describe('platforms', () => {
  it('spells a platform one way', () => {
    expect(canonicalPlatform('linux/arm64/v8')).toBe('linux/arm64');
    expect(canonicalPlatform('aarch64')).toBe('linux/arm64');
    expect(canonicalPlatform('linux/x86_64')).toBe('linux/amd64');
    expect(canonicalPlatform('linux/arm')).toBe('linux/arm/v7');
    expect(formatCanonical(configPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' }))).toBe(
      'linux/arm64',
    );
  });

  it('parses --platform lists and refuses one platform twice', () => {
    expect(parsePlatformList('linux/amd64,linux/arm64')).toEqual(['linux/amd64', 'linux/arm64']);
    expect(() => parsePlatformList('linux/arm64,linux/arm64/v8')).toThrow(/linux\/arm64 is given twice/);
    expect(() => parsePlatformList('linux/amd64,')).toThrow(/expected os\/arch/);
  });
});
