/**
 * Authenticator: the Authorization header for one registry host (formats.md 5.2). It learns
 * the host's challenge from a 401, then answers every later request proactively:
 *   - Basic: the stored credentials;
 *   - Bearer: a token from the challenge's realm for the request's scopes, fetched with the
 *     credentials when there are any (anonymous otherwise), cached per scope set until
 *     shortly before `expires_in` runs out. With an identity token (an OAuth2 refresh token
 *     from a credential helper or `auths.<host>.identitytoken`) the token is asked for the
 *     OAuth2 way instead: a POST of `grant_type=refresh_token` to the realm, as Docker does
 *     (distribution's registry/client/auth/session.go).
 * header() reports whether it just fetched the token (`fresh`): the client gives up when a
 * fresh token or the credentials themselves are refused, which is what stops an auth loop.
 */

import type { Credentials } from './credentials.js';
import { readBodyLimited, responseError } from './http-body.js';
import { RegistryError } from './registry-error.js';
import type { Challenge } from './www-authenticate.js';

export interface AuthHeader {
  value: string;
  /** True when the token was fetched for this call, or for Basic (nothing newer to try). */
  fresh: boolean;
}

export interface AuthenticatorOptions {
  host: string;
  credentials?: Credentials;
  fetch: typeof fetch;
  /** Whether plain http is acceptable for a URL's host (token realms may be local). */
  allowHttp: (host: string) => boolean;
}

const MAX_TOKEN_RESPONSE = 1024 * 1024;

export class Authenticator {
  readonly #opts: AuthenticatorOptions;
  #challenge: Challenge | undefined;
  readonly #tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(opts: AuthenticatorOptions) {
    this.#opts = opts;
  }

  /** Remembers the host's challenge (from a 401) and forgets tokens for `scopes`. */
  learn(challenge: Challenge, scopes: readonly string[]): void {
    this.#challenge = challenge;
    this.#tokens.delete(scopeKey(scopes));
  }

  get scheme(): string | undefined {
    return this.#challenge?.scheme;
  }

  /** The header to send for `scopes`, or undefined when no challenge has been seen yet. */
  async header(scopes: readonly string[]): Promise<AuthHeader | undefined> {
    const ch = this.#challenge;
    if (ch === undefined) return undefined;
    const creds = this.#opts.credentials;
    if (ch.scheme === 'basic') {
      if (creds === undefined || creds.identityToken !== undefined) {
        throw new RegistryError(
          `authenticate to ${this.#opts.host}: the registry wants a user and password${creds ? ' (an identity token is for token servers)' : ''}; run strata login ${this.#opts.host}`,
        );
      }
      return { value: basicAuth(creds), fresh: true };
    }
    if (ch.scheme !== 'bearer') {
      throw new RegistryError(
        `authenticate to ${this.#opts.host}: unsupported auth scheme ${JSON.stringify(ch.scheme)}`,
      );
    }
    const key = scopeKey(scopes);
    const cached = this.#tokens.get(key);
    if (cached !== undefined && cached.expiresAt > Date.now())
      return { value: `Bearer ${cached.token}`, fresh: false };
    const { token, expiresIn } = await this.#fetchToken(ch, scopes);
    // Renew 10 s early so a token does not expire between header() and the request.
    this.#tokens.set(key, { token, expiresAt: Date.now() + Math.max(0, expiresIn - 10) * 1000 });
    return { value: `Bearer ${token}`, fresh: true };
  }

  async #fetchToken(ch: Challenge, scopes: readonly string[]): Promise<{ token: string; expiresIn: number }> {
    const host = this.#opts.host;
    const realm = ch.params.realm;
    if (realm === undefined)
      throw new RegistryError(`authenticate to ${host}: bearer challenge has no realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch (err) {
      throw new RegistryError(`authenticate to ${host}: bad token realm ${JSON.stringify(realm)}`, {
        cause: err,
      });
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.#opts.allowHttp(url.host))) {
      throw new RegistryError(`authenticate to ${host}: refusing token realm ${realm} (not https)`);
    }
    const all = new Set(scopes);
    if (ch.params.scope) for (const s of ch.params.scope.split(' ')) if (s) all.add(s);
    const headers: Record<string, string> = { accept: 'application/json' };
    const creds = this.#opts.credentials;
    const init: RequestInit = { headers, redirect: 'follow' };
    if (creds?.identityToken !== undefined) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: creds.identityToken,
        client_id: 'strata',
        ...(ch.params.service !== undefined ? { service: ch.params.service } : {}),
      });
      if (all.size > 0) form.set('scope', [...all].sort().join(' '));
      headers['content-type'] = 'application/x-www-form-urlencoded';
      init.method = 'POST';
      init.body = form.toString();
    } else {
      if (ch.params.service !== undefined) url.searchParams.set('service', ch.params.service);
      for (const s of [...all].sort()) url.searchParams.append('scope', s);
      if (creds !== undefined) headers.authorization = basicAuth(creds);
    }
    let resp: Response;
    try {
      resp = await this.#opts.fetch(url, init);
    } catch (err) {
      throw new RegistryError(`authenticate to ${host}: token request to ${url.origin} failed`, {
        cause: err,
      });
    }
    if (resp.status === 401 || resp.status === 403) {
      const e = await responseError(resp, `authenticate to ${host}`);
      throw new RegistryError(
        creds === undefined
          ? `${e.message} (anonymous access refused; run strata login ${host})`
          : `${e.message} (the token server refused ${creds.identityToken !== undefined ? 'the identity token' : `the credentials for ${creds.username}`})`,
        { status: resp.status },
      );
    }
    if (!resp.ok) throw await responseError(resp, `authenticate to ${host}: token request`);
    const body = await readBodyLimited(
      resp,
      MAX_TOKEN_RESPONSE,
      () =>
        new RegistryError(`authenticate to ${host}: token response larger than ${MAX_TOKEN_RESPONSE} bytes`),
    );
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new RegistryError(`authenticate to ${host}: token response is not json`, { cause: err });
    }
    const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryError(`authenticate to ${host}: token response has no token`);
    }
    const expiresIn = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60;
    return { token, expiresIn };
  }
}

function basicAuth(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}
