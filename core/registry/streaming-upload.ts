/**
 * StreamingUpload: uploads a blob whose digest is not known yet, while it is being made
 * (push of a layer that is compressed on the way). POST opens the upload session, then ONE
 * PATCH carries the whole body as it is produced (chunked transfer, no Content-Range: the
 * "stream" upload Docker itself uses; per-chunk PATCHes cost docker-registry ~70 ms each)
 * over node:http (stream-request.ts: fetch would hold the whole body in memory),
 * and `finish(digest)` sends the closing `PUT ?digest=`. The registry verifies the digest
 * against what it received, so nothing is published under a wrong name.
 *
 * Contract: `write` never throws; it waits only while `highWater` bytes are queued and not
 * yet taken by the socket, so the producer and the network overlap with bounded memory. A
 * failure anywhere (POST, the PATCH, the PUT) marks the upload failed: queued and later
 * bytes are dropped and `finish` resolves false, so the caller can upload the finished blob
 * the ordinary way (with its retries) instead. `finish` resolves true only when the
 * registry answered 201/204 to the PUT with a matching digest.
 */
import type { Digest } from '../oci/digest.js';
import { finish, nextLocation } from './blob-upload.js';
import { discardBody, responseError } from './http-body.js';
import type { RegistryClient } from './registry-client.js';
import { streamRequest } from './stream-request.js';

export class StreamingUpload {
  readonly #client: RegistryClient;
  readonly #repo: string;
  readonly #highWater: number;
  readonly #what: string;
  readonly #patched: Promise<URL>;
  #queue: Buffer[] = [];
  #queued = 0;
  #sent = 0;
  #ended = false;
  #failure: unknown;
  /** Wakes the body generator (data or end) or the producer (room or failure). */
  #wakeBody: (() => void) | undefined;
  #wakeWriter: (() => void) | undefined;

  /** Opens the session and starts the PATCH at once; `highWater` queued bytes (default 4 MiB). */
  constructor(client: RegistryClient, repo: string, highWater = 4 * 1024 * 1024) {
    this.#client = client;
    this.#repo = repo;
    this.#highWater = highWater;
    this.#what = `push blob ${client.domain}/${repo}`;
    this.#patched = this.#run();
    this.#patched.catch((err: unknown) => this.#fail(err));
  }

  /** Why the upload failed, if it did (for the caller's diagnostics). */
  get failure(): unknown {
    return this.#failure;
  }

  #fail(err: unknown): void {
    this.#failure ??= err;
    this.#queue = [];
    this.#queued = 0;
    this.#wake();
  }

  #wake(): void {
    const b = this.#wakeBody;
    const w = this.#wakeWriter;
    this.#wakeBody = this.#wakeWriter = undefined;
    b?.();
    w?.();
  }

  async #run(): Promise<URL> {
    const start = await this.#client.send({
      method: 'POST',
      url: `/v2/${this.#repo}/blobs/uploads/`,
      repo: this.#repo,
      actions: 'pull,push',
      headers: { 'content-length': '0' },
    });
    if (start.status !== 202) throw await responseError(start, this.#what);
    const url = await nextLocation(this.#client, start, this.#what);
    await discardBody(start);
    const auth = await this.#client.authorization(this.#repo, 'pull,push');
    const resp = await streamRequest(
      url,
      'PATCH',
      {
        'content-type': 'application/octet-stream',
        'transfer-encoding': 'chunked',
        ...(auth !== undefined ? { authorization: auth } : {}),
      },
      this.#body(),
    );
    if (resp.status !== 202) throw await responseError(resp, `${this.#what}: stream upload`);
    const next = await nextLocation(this.#client, resp, this.#what);
    await discardBody(resp);
    return next;
  }

  async *#body(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      const chunk = this.#queue.shift();
      if (chunk !== undefined) {
        this.#queued -= chunk.length;
        this.#sent += chunk.length;
        this.#wakeWriter?.();
        yield chunk;
      } else if (this.#ended) {
        return;
      } else {
        await new Promise<void>((r) => {
          this.#wakeBody = r;
        });
      }
    }
  }

  /** Queues `chunk` (not copied: it must not change afterwards). */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.#failure !== undefined || chunk.byteLength === 0) return;
    this.#queue.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#queued += chunk.byteLength;
    const b = this.#wakeBody;
    this.#wakeBody = undefined;
    b?.();
    while (this.#queued > this.#highWater && this.#failure === undefined) {
      await new Promise<void>((r) => {
        this.#wakeWriter = r;
      });
    }
  }

  /** Ends the body and sends the closing PUT; true when the registry now holds `digest`. */
  async finish(digest: Digest, size: number): Promise<boolean> {
    this.#ended = true;
    this.#wake();
    let location: URL;
    try {
      location = await this.#patched;
    } catch {
      return false;
    }
    if (this.#failure !== undefined) return false;
    if (this.#sent !== size) {
      this.#failure = new Error(`${this.#what}: sent ${this.#sent} bytes, the blob has ${size}`);
      return false;
    }
    try {
      await finish(this.#client, this.#repo, location, digest, `${this.#what}@${digest}`, undefined, 0);
      return true;
    } catch (err) {
      this.#failure = err;
      return false;
    }
  }

  /** Gives up: ends the body with an error and DELETEs the session (best effort). */
  async abort(): Promise<void> {
    this.#fail(new Error(`${this.#what}: aborted`));
    let location: URL;
    try {
      location = await this.#patched;
    } catch {
      return; // the PATCH failed: the registry has nothing complete under this session
    }
    try {
      const resp = await this.#client.send({
        method: 'DELETE',
        url: location,
        repo: this.#repo,
        actions: 'pull,push',
      });
      await discardBody(resp);
    } catch {
      // The registry expires abandoned sessions by itself; nothing else to do.
    }
  }
}
