/** A LayerEntry's attributes in the comparable form attribute-changes.ts takes. */
import type { FileAttrs } from '../cache/attribute-changes.js';
import type { LayerEntry } from './layer-entry.js';

export function attrsOf(e: LayerEntry): FileAttrs {
  return {
    type: e.kind,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    link: e.link,
    content: e.digest,
  };
}
