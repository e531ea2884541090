/**
 * RegistryError: the registry said no, or spoke in a way strata will not accept (bad status,
 * auth refused, malformed answer). Content that fails verification is a DigestMismatchError
 * instead, so scripts can tell "the network/registry failed" from "the bytes were wrong".
 */
import { StrataError } from '../oci/errors.js';

export class RegistryError extends StrataError {
  /** HTTP status when the error came from a response. */
  readonly status: number | undefined;
  /** The first `errors[].code` of the registry's error body, when it sent one. */
  readonly registryCode: string | undefined;
  /** Worth another try: a network failure, 5xx or 429 (see RegistryClient.retrying). */
  readonly retryable: boolean;

  constructor(
    message: string,
    options: { cause?: unknown; status?: number; registryCode?: string; retryable?: boolean } = {},
  ) {
    super('E_REGISTRY', message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.registryCode = options.registryCode;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * Whether a failure may go away on its own: RegistryErrors say so themselves; other strata
 * errors (digest mismatch, not found) never do; anything else thrown while talking HTTP is a
 * broken connection (undici's `terminated`, `fetch failed`, socket errno codes).
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof RegistryError) return err.retryable;
  if (err instanceof StrataError) return false;
  const e = err as { name?: string; message?: string; code?: string } | null;
  if (e === null || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(e.code)) return true;
  return e.name === 'TypeError' && /terminated|fetch failed|other side closed|socket/i.test(e.message ?? '');
}
