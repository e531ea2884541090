/**
 * The plan as text: one line per step with HIT, MISS or WAIT (a key that reads another
 * stage's result, decided when that stage has run) and the reason, details indented.
 * `strata build --dry-run` prints it instead of building; `--explain` after building.
 */
import type { Plan } from './types.js';

export function formatPlan(plan: Plan, opts: { dryRun: boolean }): string {
  const lines: string[] = [];
  lines.push(
    opts.dryRun
      ? `plan for ${plan.graph.file} (nothing was run):`
      : `cache decisions for ${plan.graph.file}:`,
  );
  for (const ps of plan.stages) {
    lines.push(`stage ${ps.label} (from ${ps.baseDescription})`);
    for (const p of ps.steps) {
      const d = p.decision;
      const pending = !d.hit && d.cause === 'pending';
      const mark = d.hit ? 'HIT ' : pending ? 'WAIT' : 'MISS';
      lines.push(`  ${mark} ${p.name}`);
      lines.push(`       ${d.hit || pending ? d.reason : `cache miss: ${d.reason}`}`);
      if (!d.hit) for (const det of d.details.slice(0, 20)) lines.push(`         - ${det}`);
      if (!d.hit && d.details.length > 20) lines.push(`         - ... ${d.details.length - 20} more`);
      lines.push(
        `       key ${p.key ?? '(pending: exact once the stages it reads have run; if they all hit, so can this)'}`,
      );
    }
  }
  const all = plan.stages.flatMap((s) => s.steps);
  const hits = all.filter((p) => p.decision.hit).length;
  const waiting = all.filter((p) => !p.decision.hit && p.decision.cause === 'pending').length;
  const wait = waiting > 0 ? `; ${waiting} decided once the stages they read have run` : '';
  lines.push(`${hits} of ${all.length} steps ${opts.dryRun ? 'would hit' : 'hit'} the cache${wait}`);
  return `${lines.join('\n')}\n`;
}
