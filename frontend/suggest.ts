/**
 * "Did you mean": BuildKit's util/suggest (moby/buildkit util/suggest/error.go). The option
 * nearest to the word by edit distance wins if that distance is below 3; an exact match
 * means the error is not a typo, so nothing is suggested. Case-insensitive searches answer
 * in the word's own case when it is all lower or all upper case.
 */

/** The closest option, or undefined. */
export function suggest(word: string, options: readonly string[], caseSensitive = true): string | undefined {
  const w = caseSensitive ? word : word.toLowerCase();
  let best: string | undefined;
  let bestDist = 3;
  for (const option of options) {
    const o = caseSensitive ? option : option.toLowerCase();
    if (o === w) return undefined;
    const d = editDistance(w, o);
    if (d < bestDist) {
      bestDist = d;
      best = caseSensitive ? o : matchCase(o, word);
    }
  }
  return best;
}

/** `message`, plus ` (did you mean X?)` when an option is close to `word`. */
export function withSuggestion(
  message: string,
  word: string,
  options: readonly string[],
  caseSensitive = true,
): string {
  const hint = suggest(word, options, caseSensitive);
  return hint === undefined ? message : `${message} (did you mean ${hint}?)`;
}

function matchCase(lower: string, orig: string): string {
  if (orig === orig.toLowerCase()) return lower;
  if (orig === orig.toUpperCase()) return lower.toUpperCase();
  return lower;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
