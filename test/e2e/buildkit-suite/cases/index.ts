/** Every case of the suite, by upstream test file. */
import type { SuiteCase } from '../suite-case.js';
import { addCases } from './add.js';
import { argsCases } from './args.js';
import { copyCases } from './copy.js';
import { coreCases } from './core.js';
import { heredocCases } from './heredoc.js';
import { historyCases } from './history.js';
import { mountCases } from './mount.js';
import { onbuildCases } from './onbuild.js';
import { secretsCases } from './secrets.js';
import { stagesCases } from './stages.js';
import { workdirCases } from './workdir.js';

export const ALL_CASES: SuiteCase[] = [
  addCases,
  argsCases,
  copyCases,
  coreCases,
  heredocCases,
  historyCases,
  mountCases,
  onbuildCases,
  secretsCases,
  stagesCases,
  workdirCases,
].flat();
