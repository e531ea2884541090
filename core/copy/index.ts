export { type AddOptions, addInto } from './add-into.js';
export { type AddUrlOptions, type AddUrlResult, addUrl, urlFileName } from './add-url.js';
export {
  type Compression,
  compressionOf,
  detectArchive,
  isTarHeader,
  openDecompressed,
} from './archive-detect.js';
export { type ChmodFn, parseChmod } from './chmod-spec.js';
export { type CopyOptions, type CopyResult, copyInto, type Owner } from './copy-into.js';
export { type DestinationInput, type DestinationPlan, planDestination } from './dest-rules.js';
export { LayerSource, type LayerSourceOptions } from './layer-source.js';
export { resolveOwner } from './resolve-owner.js';
export { type HeredocFile, writeHeredocs } from './write-heredocs.js';
