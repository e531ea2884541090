/** Looking inside images: layers, merged trees, blame, diff and wasted space, from any source. */
export type { Blame, BlameTouch } from './blame.js';
export { blame, formatBlame } from './blame.js';
export type { CacheStory, ExploreLayer, ExploreModel } from './explore-model.js';
export { exploreImage, exploreModel, layerLabel } from './explore-model.js';
export { exploreJson, formatExplore, layerChanges } from './format-explore.js';
export type { DiffPath, ImageDiff } from './image-diff.js';
export { diffImages, formatDiff } from './image-diff.js';
export { ImageFiles, readImageFiles } from './image-files.js';
export type { ImageSource, SourceLayer } from './image-source.js';
export type { LayerEntry } from './layer-entry.js';
export { exploreSpec, openImageSource } from './open-source.js';
export { renderExploreHtml } from './render-explore-html.js';
export type { Offender, WastedSpace } from './wasted-space.js';
export { wastedSpace } from './wasted-space.js';
