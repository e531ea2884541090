/**
 * Per-instruction argument parsers (BuildKit's dispatch table): each turns the text after
 * the keyword and flags into the node's argument list. Nothing is expanded here.
 */
import { DockerfileError } from '../errors.js';
import { EMPTY_LIST } from './empty-list.js';
import { goQuote } from './go-quote.js';
import { isAsciiSpace, WHITESPACE_RUN } from './is-space.js';
import { JsonFormError, parseJsonForm } from './json-form.js';
import { BOUNDS, parseWords, wordBounds } from './words.js';

/**
 * Arguments that came from a JSON array (exec form). Parsers return a plain list for every
 * other form: an `{ args, json }` object per line was garbage for the common case.
 */
export class JsonArgs {
  constructor(readonly args: string[]) {}
}

export type ParsedArgs = string[] | JsonArgs;

/** ONBUILD is not in this table: node-from-line parses its nested instruction itself. */
type LineParser = (rest: string, escapeChar: string) => ParsedArgs;

// No arguments: the shared frozen empty list.
const none = (): string[] => EMPTY_LIST;

function jsonOrNull(rest: string): string[] | undefined {
  try {
    return parseJsonForm(rest);
  } catch (err) {
    if (err instanceof JsonFormError) throw new DockerfileError(err.message, { cause: err });
    throw err;
  }
}

/** RUN, CMD, ENTRYPOINT, SHELL: exec array, or the whole rest as one string. */
export const parseMaybeJson: LineParser = (rest) => {
  if (rest === '') return none();
  const arr = jsonOrNull(rest);
  return arr ? new JsonArgs(arr) : [rest];
};

/** FROM, EXPOSE (and the shell form of ADD/COPY/VOLUME): split on blanks. */
export const parseWhitespaceList: LineParser = (rest) => (rest === '' ? none() : rest.split(WHITESPACE_RUN));

/** ADD, COPY, VOLUME: exec array, or the rest split on blanks. */
export const parseMaybeJsonToList: LineParser = (rest, escapeChar) => {
  const arr = jsonOrNull(rest);
  return arr ? new JsonArgs(arr) : parseWhitespaceList(rest, escapeChar);
};

/** MAINTAINER, USER, WORKDIR, STOPSIGNAL: the raw rest as one argument. */
export const parseString: LineParser = (rest) => (rest === '' ? none() : [rest]);

/** ARG: quote-aware words, each `name` or `name=value`. */
export const parseNameOrNameVal: LineParser = (rest, escapeChar) => parseWords(rest, escapeChar);

/**
 * ENV and LABEL: key, value, delimiter triples. A first word without `=` selects the
 * legacy `KEY value` form (value = the raw remainder, delimiter ""); otherwise every word
 * must be `k=v` (delimiter "=").
 */
function parseNameVal(keyword: string): LineParser {
  return (rest, escapeChar) => {
    // Keys and values are sliced straight out of `rest` from the word offsets: making each
    // word a string first (and an array of them) was most of what ENV/LABEL lines allocated.
    const count = wordBounds(rest, escapeChar, BOUNDS);
    if (count === 0) return none();
    const firstEq = rest.indexOf('=', BOUNDS[0]);
    if (firstEq < 0 || firstEq >= BOUNDS[1]) {
      const m = WHITESPACE_RUN.exec(rest);
      if (!m) throw new DockerfileError(`${keyword} must have two arguments`);
      return [rest.slice(0, m.index), rest.slice(m.index + m[0].length), ''];
    }
    // Sized up front: pushing grew a 17-slot store that the AST then kept for every line.
    const args: string[] = new Array(count * 3);
    for (let w = 0; w < count; w++) {
      const start = BOUNDS[2 * w];
      const end = BOUNDS[2 * w + 1];
      const eq = w === 0 ? firstEq : rest.indexOf('=', start);
      if (eq < 0 || eq >= end) {
        throw new DockerfileError(
          `Syntax error - can't find = in ${goQuote(rest.slice(start, end))}. Must be of the form: name=value`,
        );
      }
      args[3 * w] = rest.slice(start, eq);
      args[3 * w + 1] = rest.slice(eq + 1, end);
      args[3 * w + 2] = '=';
    }
    return args;
  };
}

/** HEALTHCHECK: the type word (`CMD`, `NONE`), then exec array or one string. */
export const parseHealthConfig: LineParser = (rest, escapeChar) => {
  let sep = 0;
  while (sep < rest.length && !isAsciiSpace(rest[sep])) sep++;
  if (sep === 0) return none();
  let next = sep;
  while (next < rest.length && isAsciiSpace(rest[next])) next++;
  const cmd = parseMaybeJson(rest.slice(next), escapeChar);
  const type = rest.slice(0, sep);
  return cmd instanceof JsonArgs ? new JsonArgs([type, ...cmd.args]) : [type, ...cmd];
};

/** Unknown keywords: arguments are dropped, leaving one empty argument. */
export const parseIgnore: LineParser = () => [''];

const DISPATCH: Record<string, LineParser> = {
  add: parseMaybeJsonToList,
  arg: parseNameOrNameVal,
  cmd: parseMaybeJson,
  copy: parseMaybeJsonToList,
  entrypoint: parseMaybeJson,
  env: parseNameVal('ENV'),
  expose: parseWhitespaceList,
  from: parseWhitespaceList,
  healthcheck: parseHealthConfig,
  label: parseNameVal('LABEL'),
  maintainer: parseString,
  run: parseMaybeJson,
  shell: parseMaybeJson,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJsonToList,
  workdir: parseString,
};

/** The parser for a lower-cased keyword; unknown keywords get parseIgnore. */
export function lineParserFor(keyword: string): LineParser {
  return Object.hasOwn(DISPATCH, keyword) ? DISPATCH[keyword] : parseIgnore;
}
