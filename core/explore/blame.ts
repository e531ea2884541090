/**
 * blame: which layer last wrote a path (and so which Dockerfile line), and every layer that
 * touched it: wrote it, changed it, deleted it, or hid it under an opaque directory.
 */
import { attributeChanges } from '../cache/attribute-changes.js';
import { NotFoundError } from '../oci/errors.js';
import { attrsOf } from './entry-attrs.js';
import { clip, type ExploreModel } from './explore-model.js';
import { imagePath } from './layer-entry.js';

export interface BlameTouch {
  layer: number;
  status: 'added' | 'modified' | 'deleted' | 'opaque';
  /** For a modification: what changed (`mode 0644 -> 0755`). */
  changes?: string[];
  /** For a deletion from above: the whiteout or opaque directory that caused it. */
  via?: string;
  instruction?: string;
  line?: number;
}

export interface Blame {
  path: string;
  /** False when the final image no longer holds the path. */
  present: boolean;
  /** The last layer that wrote it (absent if no layer ever did). */
  lastWrite?: BlameTouch;
  touches: BlameTouch[];
}

export function blame(model: ExploreModel, rawPath: string): Blame {
  const path = imagePath(rawPath);
  const events = model.files.history.get(path);
  if (events === undefined) throw new NotFoundError(`blame: no layer of ${model.name} ever held /${path}`);
  const touches: BlameTouch[] = [];
  let prev: (typeof events)[number] | undefined;
  for (const ev of events) {
    const l = model.layers[ev.layer];
    const t: BlameTouch = { layer: ev.layer, status: ev.status };
    if (ev.status === 'modified' && prev?.entry && ev.entry)
      t.changes = attributeChanges(attrsOf(prev.entry), attrsOf(ev.entry)).map((c) => c.text);
    if (ev.via !== undefined) t.via = ev.via;
    if (l?.instruction !== undefined) t.instruction = l.instruction;
    if (l?.line !== undefined) t.line = l.line;
    touches.push(t);
    prev = ev;
  }
  const lastWrite = [...touches].reverse().find((t) => t.status === 'added' || t.status === 'modified');
  return { path: `/${path}`, present: model.files.live.has(path), lastWrite, touches };
}

export function formatBlame(b: Blame): string {
  const where = (t: BlameTouch) =>
    `layer ${t.layer + 1}${t.line !== undefined ? `, line ${t.line}` : ''}${t.instruction !== undefined ? `: ${clip(t.instruction, 60)}` : ''}`;
  const lines = [
    b.lastWrite
      ? `${b.path}: last written by ${where(b.lastWrite)}${b.present ? '' : ' (deleted since)'}`
      : `${b.path}: never written (only deleted)`,
  ];
  for (const t of b.touches) {
    // A modification with no attribute changed was written again as it was: still a copy.
    const note =
      t.changes !== undefined
        ? ` (${t.changes.join(', ') || 'rewritten, unchanged'})`
        : t.via !== undefined
          ? ` (via /${t.via})`
          : '';
    lines.push(`  ${t.status.padEnd(9)}${where(t)}${note}`);
  }
  return `${lines.join('\n')}\n`;
}
