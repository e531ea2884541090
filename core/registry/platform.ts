/** Platform selection lives in core/oci/platform.ts (the store and the planner need it too). */
export {
  formatPlatform,
  hostPlatformObject as hostPlatform,
  normalizePlatform,
  parsePlatform,
  platformRuns,
  selectPlatform,
} from '../oci/platform.js';
