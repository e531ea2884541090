/** What a name in refs/ points at. */
import type { Descriptor, Digest } from '../core/oci/index.js';

/** The image a tag names. The image ID is the config digest, as in Docker. */
export interface RefTarget {
  config: Digest;
  /** The manifest, once one has been written (a build may tag before exporting). */
  manifest?: Descriptor;
  /** ISO 8601 creation time of the image, for `strata images`. */
  created?: string;
}
