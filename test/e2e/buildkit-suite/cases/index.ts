/** Every case of the suite, file by file in the order of moby/buildkit's test files. */
import type { SuiteCase } from '../suite-case.js';
import { addCases } from './add.js';
import { copyCases } from './copy.js';
import { coreCases } from './core.js';
import { heredocCases } from './heredoc.js';
import { secretsCases } from './secrets.js';
import { workdirCases } from './workdir.js';

export const ALL_CASES: SuiteCase[] = [
  ...addCases,
  ...copyCases,
  ...coreCases,
  ...workdirCases,
  ...heredocCases,
  ...secretsCases,
];
