/** The store's public surface: import from here (or from the file naming the concept). */
export type { BlobStore } from './blob-store.js';
export type { CacheMountInfo, CacheMountInit, CacheMountUse } from './cache-mounts.js';
export type { Lock } from './file-lock.js';
export type { IngestExpectation, IngestWriter } from './ingest-writer.js';
export type { CommitLayerInfo } from './layer-dirs.js';
export type { CompressedLayer, LayerRecord } from './layer-record.js';
export { MemoryBlobStore } from './memory-blob-store.js';
export type { RefTarget } from './ref-target.js';
export { type DiskUsage, type MetaFileInfo, type StagedBlob, Store } from './store.js';
