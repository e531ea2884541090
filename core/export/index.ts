/** Images out of the store (archives, OCI dirs, root filesystems) and back in. */
export { type ArchiveEntry, writeArchive } from './archive-writer.js';
export { type BuiltManifest, buildManifest } from './build-manifest.js';
export { type ExportArchiveOptions, exportArchive } from './export-archive.js';
export { type ExportOciDirOptions, exportOciDir } from './export-oci-dir.js';
export { exportRootfs } from './export-rootfs.js';
export { importLayers, type LayerSource } from './import-layers.js';
export { type ImportRootfsOptions, importRootfs } from './import-rootfs.js';
export { type LayerBlob, type LayerCompression, resolveLayerBlobs } from './layer-blob.js';
export { type LoadedImage, loadArchive } from './load-archive.js';
export { type OutputTarget, writeArchiveFile, writeOutput } from './write-output.js';
