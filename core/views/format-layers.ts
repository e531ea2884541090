/** The text of `strata layers`: one block per layer, bottom first, paths ready to `ls`. */

import type { StoredImage } from '../inspect/image-view.js';
import { humanSize } from '../inspect/image-view.js';
import type { LayerRow } from './layers-view.js';

export function formatLayers(img: StoredImage, rows: readonly LayerRow[]): string {
  const lines: string[] = [];
  const name = img.tags.length > 0 ? `${img.tags.join(', ')} ` : '';
  lines.push(`image ${name}${img.id}: ${rows.length} layer${rows.length === 1 ? '' : 's'}, bottom first`);
  for (const r of rows) {
    lines.push('');
    const origin = r.instructionSource === 'history' ? ' (from image history)' : '';
    lines.push(`layer ${r.index}: ${r.instruction ?? '<unknown instruction>'}${origin}`);
    lines.push(`  diffID   ${r.diffId}`);
    lines.push(`  blob     ${r.blobDigest ?? 'not compressed yet'}`);
    for (const c of r.compressed.slice(1)) lines.push(`           ${c.digest} (${c.mediaType})`);
    lines.push(`  chainID  ${r.chainId}`);
    if (!r.present) {
      lines.push('  NOT IN STORE: no layer record for this chainID');
      continue;
    }
    lines.push(`  size     ${humanSize(r.size ?? 0)} (${r.size} bytes uncompressed)`);
    lines.push(`  diff     ${r.diffPath}`);
    if (r.tarSplitPath) lines.push(`  split    ${r.tarSplitPath} (export gives back the loaded tar's bytes)`);
    if (r.lowerDiffPaths.length === 0) lines.push('  lower    (none: bottom layer)');
    else {
      lines.push(`  lower    ${r.lowerDiffPaths[0]}`);
      for (const p of r.lowerDiffPaths.slice(1)) lines.push(`           ${p}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
