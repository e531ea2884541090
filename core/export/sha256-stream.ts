/** An incremental sha256 that also counts bytes: for checking streamed content at its end. */
import { createHash } from 'node:crypto';
import type { Digest } from '../oci/digest.js';

export function sha256Stream(): { update(b: Uint8Array): void; result(): { digest: Digest; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  return {
    update(b) {
      hash.update(b);
      size += b.length;
    },
    result: () => ({ digest: `sha256:${hash.digest('hex')}`, size }),
  };
}
