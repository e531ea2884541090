/**
 * Credentials as Docker users keep them: a `credsStore` / `credHelpers` credential helper
 * (a `docker-credential-test` program of this test's own, speaking Docker's get/store/erase
 * protocol over stdin/stdout), identity tokens (OAuth2 refresh tokens), `strata login`
 * storing through the helper and `strata logout` erasing. A helper that fails or hangs is a
 * clear, bounded error.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBusybox } from '../helpers/busybox-base.js';
import { strata, strataOk } from '../helpers/cli.js';
import { requireRoot, useTempDirs } from './helpers/index.js';
import { type RunningRegistry, startRegistry, useTokenRegistry } from './helpers/registry.js';

const tmp = useTempDirs();

/** The helper: credentials in db.json beside it, every call in calls.log; modes fail and hang. */
const HELPER = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.TEST_HELPER_DIR;
const db = path.join(dir, 'db.json');
const action = process.argv[2];
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  fs.appendFileSync(path.join(dir, 'calls.log'), action + ' ' + (action === 'store' ? JSON.parse(input).ServerURL : input.trim()) + '\\n');
  const mode = process.env.TEST_HELPER_MODE || 'ok';
  if (mode === 'fail') { process.stdout.write('keychain is locked\\n'); process.exit(1); }
  if (mode === 'hang') {
    const child = require('node:child_process').spawn('sleep', ['600'], { stdio: 'inherit' });
    fs.writeFileSync(path.join(dir, 'hang.pids'), process.pid + ' ' + child.pid);
    setInterval(() => {}, 1000);
    return;
  }
  const data = fs.existsSync(db) ? JSON.parse(fs.readFileSync(db, 'utf8')) : {};
  if (action === 'store') { const c = JSON.parse(input); data[c.ServerURL] = c; fs.writeFileSync(db, JSON.stringify(data)); return; }
  const url = input.trim();
  if (action === 'get') {
    if (!data[url]) { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); }
    process.stdout.write(JSON.stringify(data[url]));
    return;
  }
  if (action === 'erase') { delete data[url]; fs.writeFileSync(db, JSON.stringify(data)); return; }
  process.exit(2);
});
`;

interface HelperSetup {
  env: NodeJS.ProcessEnv;
  dir: string;
  configPath: string;
  calls: () => Promise<string[]>;
  db: () => Promise<Record<string, { ServerURL: string; Username: string; Secret: string }>>;
}

/** A DOCKER_CONFIG with `config` and the helper on PATH. */
async function withHelper(config: object): Promise<HelperSetup> {
  const dir = await tmp('strata-credhelper-');
  await mkdir(join(dir, 'bin'));
  const bin = join(dir, 'bin', 'docker-credential-test');
  await writeFile(bin, HELPER);
  await chmod(bin, 0o755);
  const configDir = join(dir, 'docker');
  await mkdir(configDir);
  const configPath = join(configDir, 'config.json');
  await writeFile(configPath, JSON.stringify(config));
  return {
    env: { DOCKER_CONFIG: configDir, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, TEST_HELPER_DIR: dir },
    dir,
    configPath,
    calls: async () =>
      (await readFile(join(dir, 'calls.log'), 'utf8').catch(() => '')).split('\n').filter((l) => l !== ''),
    db: async () => JSON.parse(await readFile(join(dir, 'db.json'), 'utf8').catch(() => '{}')),
  };
}

let root: string;
beforeAll(async () => {
  requireRoot();
  root = await tmp();
  await importBusybox(root);
});

const push = (h: HelperSetup, ref: string, env: NodeJS.ProcessEnv = {}) =>
  strata(['push', '--root', root, 'busybox:latest', ref], { env: { ...h.env, ...env } });

describe('credsStore and credHelpers with a basic-auth registry', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: { type: 'htpasswd', users: { alice: 's3cret' } } });
  });
  afterAll(async () => registry?.stop());

  it('login stores through the helper, push reads it back, logout erases it', async () => {
    const h = await withHelper({ credsStore: 'test' });
    const host = registry.host;
    const login = await strataOk(['login', '-u', 'alice', '--password-stdin', host], {
      env: h.env,
      stdin: 's3cret\n',
    });
    expect(login.stdout).toBe('Login Succeeded (credentials stored by docker-credential-test)\n');
    expect(await h.db()).toEqual({ [host]: { ServerURL: host, Username: 'alice', Secret: 's3cret' } });
    // The file names the registry (as docker leaves it) and holds no secret.
    const config = JSON.parse(await readFile(h.configPath, 'utf8'));
    expect(config).toEqual({ credsStore: 'test', auths: { [host]: {} } });

    const pushed = await push(h, `${host}/helper/busybox:1`);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(await h.calls()).toEqual([`store ${host}`, `get ${host}`]);

    const out = await strataOk(['logout', host], { env: h.env });
    expect(out.stdout).toBe(`Removing login credentials for ${host} (from docker-credential-test)\n`);
    expect(await h.db()).toEqual({});
    expect(JSON.parse(await readFile(h.configPath, 'utf8'))).toEqual({ credsStore: 'test', auths: {} });
    const denied = await push(h, `${host}/helper/busybox:2`);
    expect(denied.code).toBe(9);
    expect(denied.stderr).toContain('run strata login');
    expect((await strataOk(['logout', host], { env: h.env })).stdout).toBe(`Not logged in to ${host}\n`);
  });

  it('a CI build: build --push with helper-held credentials, --metadata-file naming what the registry holds', async () => {
    const h = await withHelper({ credsStore: 'test' });
    const host = registry.host;
    await writeFile(
      join(h.dir, 'db.json'),
      JSON.stringify({ [host]: { ServerURL: host, Username: 'alice', Secret: 's3cret' } }),
    );
    const ctx = await tmp();
    await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nLABEL ci=yes\n');
    const out = await tmp();
    const meta = join(out, 'meta.json');
    const r = await strataOk(
      [
        'build',
        '--root',
        root,
        '--progress',
        'plain',
        '--push',
        '-t',
        `${host}/ci/app:7`,
        '--metadata-file',
        meta,
        '--iidfile',
        join(out, 'iid'),
        ctx,
      ],
      { env: h.env },
    );
    const m = JSON.parse(await readFile(meta, 'utf8'));
    expect(m['containerimage.config.digest']).toBe(await readFile(join(out, 'iid'), 'utf8'));
    // The push is a vertex of the build, with a byte line per blob, as BuildKit prints them.
    const pushId = new RegExp(
      `^#(\\d+) pushing docker.io/${host}/ci/app:7$|^#(\\d+) pushing ${host}/ci/app:7$`,
      'm',
    ).exec(r.stderr);
    expect(pushId, r.stderr).not.toBeNull();
    const n = pushId?.[1] ?? pushId?.[2];
    expect(r.stderr).toMatch(
      new RegExp(`^#${n} sha256:[0-9a-f]{64} \\d+(\\.\\d+)?[kM]?B / \\d+(\\.\\d+)?[kM]?B done$`, 'm'),
    );
    expect(r.stderr).toMatch(new RegExp(`^#${n} DONE \\d+\\.\\ds$`, 'm'));
    expect(m['image.name']).toBe(`${host}/ci/app:7`);
    const head = await fetch(`http://${host}/v2/ci/app/manifests/7`, {
      method: 'HEAD',
      headers: {
        authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}`,
        accept: m['containerimage.descriptor'].mediaType,
      },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(m['containerimage.digest']);
    expect(Number(head.headers.get('content-length'))).toBe(m['containerimage.descriptor'].size);

    // A fresh store builds FROM what was pushed: the pull is vertex #1, with its layers' bytes.
    const fresh = await tmp();
    const from = await tmp();
    await writeFile(join(from, 'Dockerfile'), `FROM ${host}/ci/app:7\nLABEL from=registry\n`);
    const pulled = await strataOk(['build', '--root', fresh, '--progress', 'plain', from], { env: h.env });
    expect(pulled.stderr).toMatch(new RegExp(`^#1 pulling ${host}/ci/app:7$`, 'm'));
    expect(pulled.stderr).toMatch(/^#1 sha256:[0-9a-f]{64} \d+(\.\d+)?[kM]?B \/ \d+(\.\d+)?[kM]?B done$/m);
    expect(pulled.stderr).toMatch(/^#1 DONE \d+\.\ds$/m);
    expect(pulled.stderr).toMatch(/^#2 .*LABEL from=registry$/m); // the steps are numbered after the pull
  });

  it('a credHelpers entry for the registry wins over credsStore; a missing helper is named', async () => {
    const h = await withHelper({ credsStore: 'absent', credHelpers: { [registry.host]: 'test' } });
    await writeFile(
      join(h.dir, 'db.json'),
      JSON.stringify({ [registry.host]: { ServerURL: registry.host, Username: 'alice', Secret: 's3cret' } }),
    );
    const ok = await push(h, `${registry.host}/helper/busybox:3`);
    expect(ok.code, ok.stderr).toBe(0);
    const other = await strata(['pull', '--root', root, '127.0.0.1:9/x:1'], { env: h.env });
    expect(other.code).toBe(9);
    expect(other.stderr).toContain(
      'credential helper docker-credential-absent (credsStore) get: docker-credential-absent is not installed (not found on PATH)',
    );
  });

  it('a helper that fails is a clear error naming it, its action and what it said', async () => {
    const h = await withHelper({ credsStore: 'test' });
    const r = await push(h, `${registry.host}/helper/busybox:4`, { TEST_HELPER_MODE: 'fail' });
    expect(r.code).toBe(9);
    expect(r.stderr).toContain(
      `credential helper docker-credential-test (credsStore) get for ${registry.host} failed (exit 1): keychain is locked`,
    );
  });

  it('a helper that hangs is stopped after the timeout, with everything it started', async () => {
    const h = await withHelper({ credsStore: 'test' });
    const r = await push(h, `${registry.host}/helper/busybox:5`, {
      TEST_HELPER_MODE: 'hang',
      STRATA_CREDENTIAL_HELPER_TIMEOUT: '1',
    });
    expect(r.code).toBe(9);
    expect(r.stderr).toContain(
      'credential helper docker-credential-test (credsStore) get: no answer within 1s',
    );
    expect(r.stderr).toContain('STRATA_CREDENTIAL_HELPER_TIMEOUT');
    const pids = (await readFile(join(h.dir, 'hang.pids'), 'utf8')).split(' ').map(Number);
    expect(pids).toHaveLength(2);
    for (const pid of pids) {
      // Killed processes may take a moment to be reaped by their parent (or init).
      for (let i = 0; i < 50 && alive(pid); i++) await new Promise((res) => setTimeout(res, 20));
      expect(alive(pid), `pid ${pid}`).toBe(false);
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie answers kill(0) but is dead: its /proc state says Z.
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('identity tokens with a token-auth registry', () => {
  const live = useTokenRegistry({ bob: 'hunter2' }, { 'rt-bob-1': 'bob' });

  it('a helper answering Username <token> gives an identity token, used as an OAuth2 refresh token', async () => {
    const h = await withHelper({ credsStore: 'test' });
    const host = live.registry.host;
    await writeFile(
      join(h.dir, 'db.json'),
      JSON.stringify({ [host]: { ServerURL: host, Username: '<token>', Secret: 'rt-bob-1' } }),
    );
    const before = live.tokens.requests.length;
    const r = await push(h, `${host}/idtoken/busybox:1`);
    expect(r.code, r.stderr).toBe(0);
    const seen = live.tokens.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((q) => q.grant === 'refresh_token' && q.user === 'bob')).toBe(true);
    expect(seen.some((q) => q.scopes.some((s) => s.startsWith('repository:idtoken/busybox:')))).toBe(true);
  });

  it('auths.<host>.identitytoken in the file works too; a token the server refuses says so', async () => {
    const host = live.registry.host;
    const h = await withHelper({ auths: { [host]: { identitytoken: 'rt-bob-1' } } });
    const ok = await push(h, `${host}/idtoken/busybox:2`);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await withHelper({ auths: { [host]: { identitytoken: 'rt-revoked' } } });
    const r = await push(bad, `${host}/idtoken/busybox:3`);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('the token server refused the identity token');
  });
});
