/**
 * Turns a free-form name (an image reference, a lock name, a meta file name) into one safe
 * path component. Reversible, readable for common names (`alpine%3A3.19`), and never `.`,
 * `..`, empty, or a hidden name that could collide with the store's own `.tmp-` entries.
 */
import { InvalidInputError } from '../core/oci/index.js';

/** Longest encoded component; leaves room under the usual 255-byte limit for a suffix. */
const MAX_ENCODED = 200;

export function encodeName(name: string, what: string): string {
  if (name.length === 0) throw new InvalidInputError(`encode ${what}: empty name`);
  if (name.includes('\0')) throw new InvalidInputError(`encode ${what}: name contains NUL`);
  // encodeURIComponent escapes '/', '%', ':' and control characters but not '.', so a
  // leading dot is escaped by hand: that rules out '.', '..' and hidden names in one go.
  let enc = encodeURIComponent(name);
  if (enc.startsWith('.')) enc = `%2E${enc.slice(1)}`;
  if (enc.length > MAX_ENCODED)
    throw new InvalidInputError(`encode ${what}: name too long: ${name.slice(0, 40)}...`);
  return enc;
}

/** The inverse of encodeName, or undefined for names it never produces. */
export function decodeName(component: string): string | undefined {
  if (component.startsWith('.')) return undefined;
  try {
    return decodeURIComponent(component);
  } catch {
    return undefined;
  }
}
