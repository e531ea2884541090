/**
 * Exec (JSON array) form detection with BuildKit's fallback rules: anything that does not
 * decode as a JSON array falls back to shell form silently, but a valid array holding a
 * non-string is a hard error.
 */
import { trimLeftSpace } from './is-space.js';

export const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

/** A valid JSON array with a non-string element. */
export class JsonFormError extends Error {
  constructor() {
    super(NOT_STRING_ARRAY);
  }
}

/**
 * The array's strings when `rest` is exec form, `undefined` when it is not JSON (use the
 * shell form). Throws JsonFormError for an array with a non-string element.
 */
export function parseJsonForm(rest: string): string[] | undefined {
  const text = trimLeftSpace(rest);
  if (!text.startsWith('[')) return undefined;
  let overflow = false;
  let value: unknown;
  try {
    // Go's decoder fails on numbers beyond float64 (and then BuildKit falls back to shell
    // form) where JSON.parse gives Infinity; the reviver spots them.
    value = JSON.parse(text, (_key, v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) overflow = true;
      return v;
    });
  } catch {
    return undefined;
  }
  if (overflow || !Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (const el of value) {
    if (typeof el !== 'string') throw new JsonFormError();
    out.push(wellFormed(el));
  }
  return out;
}

/** Go decodes a lone surrogate escape (`"\ud800"`) to U+FFFD. */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
