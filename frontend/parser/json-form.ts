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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (const el of value) {
    if (typeof el === 'string') {
      out.push(el.length > 0 && hasSurrogate(el) ? wellFormed(el) : el);
      continue;
    }
    // Go's decoder fails on numbers beyond float64, and BuildKit then falls back to
    // shell form; JSON.parse gives Infinity instead, so look for one before rejecting.
    if (hasInfinity(value)) return undefined;
    throw new JsonFormError();
  }
  return out;
}

function hasInfinity(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (Array.isArray(v)) return v.some(hasInfinity);
  if (v !== null && typeof v === 'object') return Object.values(v).some(hasInfinity);
  return false;
}

function hasSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/** Go decodes a lone surrogate escape (`"\ud800"`) to U+FFFD. */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
