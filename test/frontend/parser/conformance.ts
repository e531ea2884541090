/** Reading the BuildKit parser part of the conformance corpus (see test/helpers/conformance.ts). */
import { readFileSync } from 'node:fs';
import { conformancePath, listConformance, readConformanceJson } from '../../helpers/conformance.js';

const PARSER = 'dockerfile-parser';

export function readCase(...parts: string[]): string {
  return readFileSync(conformancePath(PARSER, ...parts), 'utf8');
}

export function readJson<T>(name: string): T {
  return readConformanceJson<T>(PARSER, name);
}

export function listCases(folder: string): string[] {
  return listConformance(PARSER, folder);
}
