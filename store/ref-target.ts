/** What a name in refs/ points at. */
import type { Descriptor, Digest } from '../core/oci/index.js';

/** The image a tag names. The image ID is the config digest, as in Docker. */
export interface RefTarget {
  config: Digest;
  /** The manifest, once one has been written (a build may tag before exporting). */
  manifest?: Descriptor;
  /** ISO 8601 creation time of the image, for `strata images`. */
  created?: string;
  /**
   * A multi-platform name (a build of several platforms, or platforms added one at a time by
   * pull and import): the image of each platform (`linux/arm64` -> config digest). `config`
   * is one of them, the one a reader that knows nothing of platforms sees.
   */
  platforms?: Record<string, Digest>;
}
