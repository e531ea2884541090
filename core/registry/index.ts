/** Registries: the distribution client, pull and push. */
export { type BlobSink, type FetchBlobOptions, fetchBlob } from './blob-download.js';
export { type UploadBlobOptions, type UploadResult, uploadBlob } from './blob-upload.js';
export {
  type CacheExportOptions,
  type CacheTransferResult,
  exportCache,
  openCacheLocation,
} from './cache-export.js';
export { type CacheImportOptions, importCache } from './cache-import.js';
export {
  CACHE_ARTIFACT_TYPE,
  CACHE_CONFIG_TYPE,
  type CacheConfig,
  type CacheLayerEntry,
} from './cache-manifest.js';
export { type CacheLocation, type CacheSpec, parseCacheSpec } from './cache-spec.js';
export {
  type Credentials,
  credentialKey,
  DOCKER_HUB_KEY,
  dockerConfigPath,
  readCredentials,
  writeCredentials,
} from './credentials.js';
export { type ManifestDocument, parseManifestDocument } from './manifest-document.js';
export {
  formatPlatform,
  hostPlatform,
  normalizePlatform,
  parsePlatform,
  platformRuns,
  selectPlatform,
} from './platform.js';
export { type PullOptions, type PullProgress, type PullResult, pullImage } from './pull-image.js';
export { type PushOptions, type PushProgress, type PushResult, pushImage } from './push-image.js';
export {
  apiHost,
  MANIFEST_ACCEPT,
  RegistryClient,
  type RegistryClientOptions,
  type RegistryRequest,
} from './registry-client.js';
export { isRetryable, RegistryError } from './registry-error.js';
export { type Challenge, parseWwwAuthenticate } from './www-authenticate.js';
