/**
 * The plan as text: one line per step with HIT or MISS and the reason, details indented.
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
      const mark = d.hit ? 'HIT ' : 'MISS';
      lines.push(`  ${mark} ${p.name}`);
      lines.push(`       ${d.hit ? d.reason : `cache miss: ${d.reason}`}`);
      if (!d.hit) for (const det of d.details.slice(0, 20)) lines.push(`         - ${det}`);
      if (!d.hit && d.details.length > 20) lines.push(`         - ... ${d.details.length - 20} more`);
      lines.push(`       key ${p.key}`);
    }
  }
  const all = plan.stages.flatMap((s) => s.steps);
  const hits = all.filter((p) => p.decision.hit).length;
  lines.push(`${hits} of ${all.length} steps ${opts.dryRun ? 'would hit' : 'hit'} the cache`);
  return `${lines.join('\n')}\n`;
}
