/**
 * The figures each reliability file reports: faults injected, builds survived, bad inputs
 * tried, concurrent builds run, fsck runs and whether every one was clean.
 *
 * Each file prints its own line at the end (afterAll) and adds its figures to a JSON file in
 * a folder shared by one vitest run (keyed by the vitest main process, the workers' parent).
 * Whichever file finishes last sees every file's figures and also prints the totals, so a
 * full run of test/reliability ends with one summary line without any file waiting for
 * another.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export interface Figures {
  faultsInjected: number;
  buildsSurvived: number;
  badInputsTried: number;
  concurrentBuilds: number;
  fsckRuns: number;
  fsckClean: number;
}

/** Bad inputs tried, per attack class (a describe block of the hostile-input corpus, say). */
type Attacks = Record<string, number>;

const ZERO: Figures = {
  faultsInjected: 0,
  buildsSurvived: 0,
  badInputsTried: 0,
  concurrentBuilds: 0,
  fsckRuns: 0,
  fsckClean: 0,
};

const RELIABILITY_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

function formatAttacks(a: Attacks): string {
  const names = Object.keys(a).sort();
  return names.length === 0
    ? ''
    : `; attacks tried per class: ${names.map((n) => `${n} ${a[n]}`).join(', ')}`;
}

function addAttacks(into: Attacks, from: Attacks | undefined): void {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
}

function format(f: Figures, attacks: Attacks = {}): string {
  const lost =
    f.fsckRuns === f.fsckClean
      ? `nothing lost (fsck clean after each of ${f.fsckRuns})`
      : `fsck NOT clean ${f.fsckRuns - f.fsckClean} of ${f.fsckRuns} times`;
  return (
    `faults injected ${f.faultsInjected}, builds survived ${f.buildsSurvived}, bad inputs tried ${f.badInputsTried}, ` +
    `concurrent builds run ${f.concurrentBuilds}; ${lost}${formatAttacks(attacks)}`
  );
}

/**
 * Call at the top level of a test file. Returns the counters to bump; they are printed and
 * saved when the file ends. `fsckRan(clean)` is the one way to count fsck runs.
 */
export function useFigures(
  testFile: string,
): Figures & { fsckRan(clean: boolean): void; attack(cls: string): void } {
  const attacks: Attacks = {};
  const f = {
    ...ZERO,
    fsckRan(clean: boolean) {
      f.fsckRuns++;
      if (clean) f.fsckClean++;
    },
    /** One bad input tried, counted in badInputsTried and under its class. */
    attack(cls: string) {
      f.badInputsTried++;
      attacks[cls] = (attacks[cls] ?? 0) + 1;
    },
  };
  afterAll(() => {
    const name = basename(testFile).replace(/\.test\.ts$/, '');
    const { fsckRan: _, attack: __, ...mine } = f;
    console.log(`[reliability] ${name}: ${format(mine, attacks)}`);
    const dir = join(tmpdir(), `strata-reliability-${process.ppid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.json`), JSON.stringify({ ...mine, attacks }));
    const expected = readdirSync(RELIABILITY_DIR).filter((n) => n.endsWith('.test.ts')).length;
    const done = readdirSync(dir).filter((n) => n.endsWith('.json'));
    const total = { ...ZERO };
    const allAttacks: Attacks = {};
    for (const file of done) {
      const got = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Figures & { attacks?: Attacks };
      for (const k of Object.keys(total) as (keyof Figures)[]) total[k] += got[k] ?? 0;
      addAttacks(allAttacks, got.attacks);
    }
    const scope = done.length >= expected ? 'TOTAL' : `so far (${done.length} of ${expected} files)`;
    console.log(`[reliability] ${scope}: ${format(total, allAttacks)}`);
  });
  return f;
}
