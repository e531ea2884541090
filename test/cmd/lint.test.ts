import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { strata } from '../helpers/cli.js';

const NODE_APP = fileURLToPath(new URL('../../samples/node-app/', import.meta.url));

describe('strata lint', () => {
  it('prints FILE:LINE: CODE: message (fix: ...) for the seed bad Dockerfile, exit 0', async () => {
    const r = await strata(['lint', '-f', 'Dockerfile.bad', '.'], { cwd: NODE_APP });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^Dockerfile\.bad:3: BroadCopyBeforeInstall: COPY \. \. copies the whole build context .* \(fix: copy only the dependency manifests first: COPY package\.json package-lock\.json \.\/ .*\)$/,
    );
    expect(lines[1]).toBe(
      'Dockerfile.bad:4: InstallWithoutCacheMount: npm install without a cache mount: each time this step misses, every package is downloaded again (fix: RUN --mount=type=cache,target=/root/.npm npm install)',
    );
    expect(r.stderr).toBe('Dockerfile.bad: 2 warnings\n');
  });

  it('check=error=true makes it exit 1; --json gives the warnings as data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-lint-'));
    await writeFile(join(dir, 'Dockerfile'), '# check=error=true\nFROM busybox\nCMD echo hi\n');
    const r = await strata(['lint', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${join(dir, 'Dockerfile')}:3: JSONArgsRecommended: `);
    const j = await strata(['lint', '--json', dir]);
    expect(JSON.parse(j.stdout)).toEqual([
      {
        code: 'JSONArgsRecommended',
        message: 'JSON arguments recommended for CMD to prevent unintended behavior related to OS signals',
        fix: 'CMD ["echo", "hi"]',
        range: { start: { line: 3, col: 1 }, end: { line: 3, col: 11 } },
        level: 'error',
      },
    ]);
  });
});
