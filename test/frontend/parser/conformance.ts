/** Locating and reading the shared conformance corpus (../shared beside the repo). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PARSER_DIR = fileURLToPath(
  new URL('../../../../shared/conformance/dockerfile-parser/', import.meta.url),
);

export function requireCorpus(): void {
  if (!existsSync(PARSER_DIR)) {
    throw new Error(`conformance corpus missing: expected ${PARSER_DIR} (shared/ beside the repo)`);
  }
}

export function readCase(...parts: string[]): string {
  return readFileSync(PARSER_DIR + parts.join('/'), 'utf8');
}

export function readJson<T>(name: string): T {
  return JSON.parse(readCase(name)) as T;
}

export function listCases(folder: string): string[] {
  return readdirSync(PARSER_DIR + folder).sort();
}
