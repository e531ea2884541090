/** core/diff: layers as tars. Change walker + writer, and the hardened inverse (applyLayer). */
export { type ApplyLayerOptions, type ApplyLayerResult, applyLayer } from './apply-layer.js';
export { type Change, changes } from './changes.js';
export { type EnsureBlobOptions, ensureCompressedBlob, exportLayerTar } from './ensure-compressed-blob.js';
export { normalizeUpperDir } from './normalize-upper-dir.js';
export { snapshotDiff } from './snapshot-diff.js';
export { type LayerTarResult, type WriteLayerTarOptions, writeLayerTar } from './write-layer-tar.js';
