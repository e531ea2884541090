/**
 * The upstream conformance corpus: BuildKit's parser and shell-lexer test data and
 * moby/patternmatcher's tables (its README gives the upstream commits and how each file was
 * derived). The repository does not carry it; CI keeps it beside the clone, at
 * `../shared/conformance`, and `STRATA_CONFORMANCE_DIR` points elsewhere.
 *
 * Tests that read it are declared with `describeConformance` / `itConformance`. Without the
 * corpus they are skipped, so `npm test` passes in a plain clone, and test/global-setup.ts
 * says once which files were skipped and why; under `CI=true` its absence fails them, so CI
 * never goes green by testing nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const CONFORMANCE_DIR =
  process.env.STRATA_CONFORMANCE_DIR ||
  fileURLToPath(new URL('../../../shared/conformance/', import.meta.url));

/** True when the corpus is there to read. */
export const conformancePresent = existsSync(CONFORMANCE_DIR);

/** True when the run is CI's (`CI` set to anything but `false`/`0`, as CI services set it). */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env.CI && env.CI !== 'false' && env.CI !== '0';
}

/** What to say when the corpus is absent: where it was looked for and how to provide it. */
export const CONFORMANCE_ABSENT =
  `conformance corpus absent: ${CONFORMANCE_DIR} does not exist. It is upstream test data ` +
  '(BuildKit parser and lexer testfiles, moby/patternmatcher tables) that CI keeps beside the ' +
  'clone at ../shared/conformance; copy it there or set STRATA_CONFORMANCE_DIR to a copy';

const NEEDS = 'needs the conformance corpus';

/** `describe` for a block that reads the corpus (at collection time or in its tests). */
export function describeConformance(name: string, fn: () => void): void {
  if (conformancePresent) describe(name, fn);
  else if (isCI())
    describe(name, () => {
      it(NEEDS, () => {
        throw new Error(`${CONFORMANCE_ABSENT} (CI=true: a missing corpus is a failure, not a skip)`);
      });
    });
  else describe.skip(name, () => it(`${NEEDS} (absent: ${CONFORMANCE_DIR})`, () => {}));
}

/** `it` for one test that reads the corpus inside a block that otherwise does not. */
export function itConformance(name: string, fn: () => void | Promise<void>): void {
  if (conformancePresent) it(name, fn);
  else if (isCI())
    it(name, () => {
      throw new Error(`${CONFORMANCE_ABSENT} (CI=true: a missing corpus is a failure, not a skip)`);
    });
  else it.skip(`${name} (${NEEDS})`, () => {});
}

export function conformancePath(...parts: string[]): string {
  return join(CONFORMANCE_DIR, ...parts);
}

export function readConformanceJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(conformancePath(...parts), 'utf8')) as T;
}

/** The entries of a corpus folder, sorted. */
export function listConformance(...parts: string[]): string[] {
  return readdirSync(conformancePath(...parts)).sort();
}

/**
 * The test files (relative to the repo) that declare corpus-backed tests, found by reading
 * test/ so the list never goes stale. global-setup prints it when the corpus is absent.
 */
export function conformanceTestFiles(repo: string): string[] {
  const found: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(repo, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (
        e.name.endsWith('.test.ts') &&
        /\b(describe|it)Conformance\(/.test(readFileSync(join(repo, r), 'utf8'))
      )
        found.push(r);
    }
  };
  walk('test');
  return found.sort();
}
