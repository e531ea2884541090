/**
 * The state one fsck run shares between its checkers: the store, whether to repair, the
 * quarantine, and the list of problems found so far.
 */
import { relative } from 'node:path';
import type { Store } from '../../store/store.js';
import type { FsckProblem, ProblemKind, RepairAction } from './fsck-report.js';
import { Quarantine } from './quarantine.js';

export class FsckContext {
  readonly store: Store;
  readonly repair: boolean;
  readonly quarantine: Quarantine;
  readonly problems: FsckProblem[] = [];

  constructor(store: Store, repair: boolean) {
    this.store = store;
    this.repair = repair;
    this.quarantine = new Quarantine(store.root);
  }

  /** Store-relative form of an absolute path inside the store. */
  rel(path: string): string {
    return relative(this.store.root, path);
  }

  /** Records a problem; returns it so the caller can attach what repair did. */
  report(kind: ProblemKind, absPath: string, detail: string): FsckProblem {
    const p: FsckProblem = { kind, path: this.rel(absPath), detail };
    this.problems.push(p);
    return p;
  }

  /** With --repair: moves `absPath` to quarantine/<category>/ and notes it on `p`. */
  async quarantineFor(p: FsckProblem, absPath: string, category: string): Promise<void> {
    if (!this.repair) return;
    const to = await this.quarantine.move(absPath, category);
    p.repaired = to === undefined ? { action: 'removed' } : { action: 'quarantined', to };
  }

  /** With --repair: runs `fix` and notes `action` on `p`. */
  async repairWith(p: FsckProblem, action: RepairAction, fix: () => Promise<unknown>): Promise<void> {
    if (!this.repair) return;
    await fix();
    p.repaired = { action };
  }
}
