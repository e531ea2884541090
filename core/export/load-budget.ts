/**
 * LoadBudget: how many bytes one `strata load` may write to disk, the decompressed archive
 * and every layer it stages together, so that a small archive cannot fill the disk (a 2 MB
 * gzip once wrote 2 GiB before anything was checked). The default grows with the archive:
 * DEFAULT_RATIO times its size on disk, at least DEFAULT_FLOOR. Real images compress 2-5:1,
 * gzip reaches about 1000:1 on zeros (OCI image-spec issue 1246); an image that really is
 * that compressible is loaded with `strata load --max-uncompressed SIZE`.
 */
import { InvalidInputError } from '../oci/errors.js';

export const DEFAULT_RATIO = 32;
export const DEFAULT_FLOOR = 64 * 2 ** 20;

export class LoadBudget {
  readonly cap: number;
  readonly #why: string;
  #used = 0;

  private constructor(cap: number, why: string) {
    this.cap = cap;
    this.#why = why;
  }

  /** The budget for loading an archive of `archiveBytes`; `maxUncompressed` overrides it. */
  static forArchive(archiveBytes: number, maxUncompressed?: number): LoadBudget {
    if (maxUncompressed !== undefined) return new LoadBudget(maxUncompressed, 'set by --max-uncompressed');
    const cap = Math.max(DEFAULT_FLOOR, DEFAULT_RATIO * archiveBytes);
    return new LoadBudget(
      cap,
      `${DEFAULT_RATIO} times the archive's ${archiveBytes} bytes, at least ${DEFAULT_FLOOR}`,
    );
  }

  /** Bytes that may still be written. */
  get left(): number {
    return this.cap - this.#used;
  }

  /** Counts `n` bytes about to be written; throws (nothing counted) when they do not fit. */
  take(n: number): void {
    if (n > this.left) throw new InvalidInputError(`load: ${this.exceeded()}`);
    this.#used += n;
  }

  /** The end of a message saying the cap was reached: what the cap is, how to raise it. */
  exceeded(): string {
    return (
      `the archive unpacks to more than ${this.cap} bytes, the most a load may write (${this.#why}); ` +
      'if the image really is that large, raise the cap with strata load --max-uncompressed SIZE'
    );
  }
}
