/**
 * StreamingUpload: uploads a blob whose digest is not known yet, while it is being made
 * (push of a layer that is compressed on the way). POST opens the upload session, bytes go
 * out as PATCH chunks in order, and `finish(digest)` sends the closing `PUT ?digest=`; the
 * registry verifies the digest against what it received, so nothing is published under a
 * wrong name.
 *
 * Contract: `write` never throws and never blocks for longer than the previous PATCH takes
 * (one chunk is in flight while the next fills, so the producer and the network overlap and
 * memory stays at two chunks). A failure anywhere (POST, a PATCH, the PUT) marks the upload
 * failed: later writes are dropped and `finish` resolves false, so the caller can upload the
 * finished blob the ordinary way (with its retries) instead. `finish` resolves true only
 * when the registry answered 201/204 to the PUT with a matching digest.
 */
import type { Digest } from '../oci/digest.js';
import { finish, nextLocation } from './blob-upload.js';
import { discardBody, responseError } from './http-body.js';
import type { RegistryClient } from './registry-client.js';

export class StreamingUpload {
  readonly #client: RegistryClient;
  readonly #repo: string;
  readonly #chunkSize: number;
  readonly #what: string;
  #location: Promise<URL>;
  #inFlight: Promise<void> = Promise.resolve();
  #pending: Buffer[] = [];
  #pendingLen = 0;
  #sent = 0;
  #failure: unknown;

  /** Opens the session at once (POST); `chunkSize` bytes per PATCH (default 2 MiB). */
  constructor(client: RegistryClient, repo: string, chunkSize = 2 * 1024 * 1024) {
    this.#client = client;
    this.#repo = repo;
    this.#chunkSize = chunkSize;
    this.#what = `push blob ${client.domain}/${repo}`;
    this.#location = this.#open();
    this.#location.catch((err: unknown) => {
      this.#failure ??= err;
    });
  }

  /** Why the upload failed, if it did (for the caller's diagnostics). */
  get failure(): unknown {
    return this.#failure;
  }

  async #open(): Promise<URL> {
    const resp = await this.#client.send({
      method: 'POST',
      url: `/v2/${this.#repo}/blobs/uploads/`,
      repo: this.#repo,
      actions: 'pull,push',
      headers: { 'content-length': '0' },
    });
    if (resp.status !== 202) throw await responseError(resp, this.#what);
    const loc = await nextLocation(this.#client, resp, this.#what);
    await discardBody(resp);
    return loc;
  }

  /** Queues `chunk` (copied only when a PATCH is cut); waits while a full chunk is still in flight. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) return;
    this.#pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#pendingLen += chunk.byteLength;
    if (this.#pendingLen >= this.#chunkSize) await this.#cut();
  }

  async #cut(): Promise<void> {
    await this.#inFlight;
    if (this.#failure !== undefined || this.#pendingLen === 0) return;
    const body = Buffer.concat(this.#pending, this.#pendingLen);
    this.#pending = [];
    this.#pendingLen = 0;
    this.#inFlight = this.#patch(body).catch((err: unknown) => {
      this.#failure ??= err;
    });
  }

  async #patch(body: Buffer): Promise<void> {
    const url = await this.#location;
    const start = this.#sent;
    const resp = await this.#client.send({
      method: 'PATCH',
      url,
      repo: this.#repo,
      actions: 'pull,push',
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `${start}-${start + body.length - 1}`,
        'content-length': String(body.length),
      },
      body: () => body,
    });
    if (resp.status !== 202) throw await responseError(resp, `${this.#what}: chunk at ${start}`);
    this.#location = Promise.resolve(await nextLocation(this.#client, resp, this.#what));
    await discardBody(resp);
    this.#sent += body.length;
  }

  /** Sends what is left and the closing PUT; true when the registry now holds `digest`. */
  async finish(digest: Digest, size: number): Promise<boolean> {
    await this.#cut();
    await this.#inFlight;
    if (this.#failure !== undefined) return false;
    if (this.#sent !== size) {
      this.#failure = new Error(`${this.#what}: sent ${this.#sent} bytes, the blob has ${size}`);
      return false;
    }
    try {
      await finish(
        this.#client,
        this.#repo,
        await this.#location,
        digest,
        `${this.#what}@${digest}`,
        undefined,
        0,
      );
      return true;
    } catch (err) {
      this.#failure = err;
      return false;
    }
  }

  /** Gives up: best-effort DELETE of the session so the registry can drop the partial upload. */
  async abort(): Promise<void> {
    this.#failure ??= new Error('aborted');
    await this.#inFlight;
    try {
      const resp = await this.#client.send({
        method: 'DELETE',
        url: await this.#location,
        repo: this.#repo,
        actions: 'pull,push',
      });
      await discardBody(resp);
    } catch {
      // The registry expires abandoned sessions by itself; nothing else to do.
    }
  }
}
