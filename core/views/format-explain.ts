/**
 * The text of `strata explain`: per stage, per step `HIT` or `MISS`, the reason exactly as
 * the planner wrote it, then the details (first `maxDetails`, then a count of the rest).
 */
import type { ExplainStep, ExplainView } from './explain-view.js';

export interface FormatExplainOptions {
  /** Detail lines shown per step before "... and N more". Default 10. */
  maxDetails?: number;
  /** Show each step's cache key and layer. Default false. */
  verbose?: boolean;
}

function stepLines(s: ExplainStep, o: Required<FormatExplainOptions>): string[] {
  const out = [`  ${s.hit ? 'HIT ' : 'MISS'} ${s.name}  (line ${s.line})`];
  if (s.hit) {
    out.push(`       ${s.reason}`);
    if (s.madeBy && !s.reason.includes(s.madeBy.buildId))
      out.push(`       record made by build ${s.madeBy.buildId} at ${s.madeBy.createdAt}`);
  } else {
    out.push(`       cache miss (${s.cause ?? 'unknown'}): ${s.reason}`);
    const shown = s.details.slice(0, o.maxDetails);
    for (const d of shown) out.push(`         - ${d}`);
    const more = s.details.length - shown.length;
    if (more > 0) out.push(`         - ... and ${more} more`);
  }
  if (o.verbose) {
    out.push(`       key ${s.key}`);
    if (s.chainId) out.push(`       layer ${s.chainId} (diffID ${s.diffId})`);
  }
  return out;
}

export function formatExplain(view: ExplainView, opts: FormatExplainOptions = {}): string {
  const o: Required<FormatExplainOptions> = {
    maxDetails: opts.maxDetails ?? 10,
    verbose: opts.verbose ?? false,
  };
  const lines: string[] = [];
  const what = view.dryRun ? 'dry run' : 'build';
  lines.push(`${what} ${view.buildId} of ${view.file}, started ${view.startedAt}`);
  if (view.imageId) {
    const tags = view.tags.length > 0 ? ` (${view.tags.join(', ')})` : '';
    lines.push(`image ${view.imageId}${tags}`);
  }
  for (const st of view.stages) {
    lines.push(`stage ${st.label} (from ${st.base})`);
    for (const s of view.steps) if (s.stageIndex === st.index) lines.push(...stepLines(s, o));
  }
  const { hits, misses, steps, byCause } = view.summary;
  const causes = Object.entries(byCause)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  lines.push(`${steps} steps: ${hits} hit, ${misses} missed${causes ? ` (${causes})` : ''}`);
  return `${lines.join('\n')}\n`;
}
