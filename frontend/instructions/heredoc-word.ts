/**
 * Recognising a heredoc word (`<<EOF`, `<<-'EOF'`, `3<<X`) among instruction arguments, as
 * BuildKit's `MustParseHeredoc`: the word must match `^(\d*)<<(-?)\s*([^<]*)$` and the rest
 * must be a single shell word. Returns the delimiter name with quotes removed.
 */
const RE_HEREDOC = /^(\d*)<<(-?)\s*([^<]*)$/;

export interface HeredocWord {
  name: string;
  fileDescriptor: number;
  chomp: boolean;
  /** False when any part of the delimiter was quoted. */
  expand: boolean;
}

export function parseHeredocWord(word: string): HeredocWord | undefined {
  const m = RE_HEREDOC.exec(word);
  if (!m || m[3] === '') return undefined;
  const rest = m[3];
  let name = '';
  let quoted = false;
  let quote: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < rest.length && '"\\$'.includes(rest[i + 1]))
        name += rest[++i];
      else name += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      quoted = true;
    } else if (c === '\\') {
      if (i + 1 < rest.length) name += rest[++i];
    } else if (/\s/.test(c)) {
      // More than one word: not a heredoc word (RUN <<EOF python3 is a "complex" heredoc).
      if (rest.slice(i).trim() !== '') return undefined;
      break;
    } else {
      name += c;
    }
  }
  if (quote !== undefined) return undefined;
  return { name, fileDescriptor: m[1] === '' ? 0 : Number(m[1]), chomp: m[2] === '-', expand: !quoted };
}

/** `<<-` content: leading tabs removed from every line (BuildKit ChompHeredocContent). */
export function chompHeredocContent(content: string): string {
  return content.replace(/^\t+/gm, '');
}
