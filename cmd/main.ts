#!/usr/bin/env node
/**
 * The strata CLI entry. It only dispatches: each subcommand lives in its own file and is
 * imported lazily, so `strata --version` pays for nothing it does not use. This file holds
 * the single top-level catch that maps error classes to exit codes.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enableTimings, mark } from '../core/progress/timings.js';
import { adoptDeferredCa } from '../core/registry/deferred-ca.js';
import type { CommandMain, Io } from './io.js';
import { processIo } from './io.js';

export const VERSION = '0.1.0';

/**
 * Subcommand name -> a loader of its module (exporting `run`). Each loader is a static
 * `import()` so the bundler can split every command into its own chunk, loaded on use.
 */
type Loader = () => Promise<{ run: CommandMain }>;
const COMMANDS: Record<string, { load: Loader; summary: string }> = {
  parse: { load: () => import('./parse.js'), summary: 'print the build graph of a Dockerfile' },
  build: { load: () => import('./build.js'), summary: 'build an image from a Dockerfile' },
  explain: {
    load: () => import('./explain.js'),
    summary: 'show why each step of a build hit or missed the cache',
  },
  layers: {
    load: () => import('./layers.js'),
    summary: 'show the layers of an image as the store keeps them',
  },
  graph: { load: () => import('./graph.js'), summary: 'draw a build plan (dot or self-contained html)' },
  explore: {
    load: () => import('./explore.js'),
    summary: 'look inside an image layer by layer: files, changes, wasted space (html or text)',
  },
  diff: { load: () => import('./diff.js'), summary: 'compare two images: shared layers, changed files' },
  blame: { load: () => import('./blame.js'), summary: 'show which layer and Dockerfile line wrote a path' },
  lint: { load: () => import('./lint.js'), summary: 'advice about a Dockerfile, with the line and the fix' },
  images: { load: () => import('./images.js'), summary: 'list images in the store' },
  inspect: { load: () => import('./inspect.js'), summary: 'show an image as Docker-shaped JSON' },
  history: { load: () => import('./history.js'), summary: 'show the history of an image' },
  tag: { load: () => import('./tag.js'), summary: 'add a name to an image' },
  rmi: { load: () => import('./rmi.js'), summary: 'remove image names' },
  save: { load: () => import('./save.js'), summary: 'write an image to a docker/OCI archive' },
  load: { load: () => import('./load.js'), summary: 'load a docker save or OCI archive into the store' },
  import: { load: () => import('./import.js'), summary: 'make a one-layer image from a root filesystem tar' },
  du: { load: () => import('./du.js'), summary: 'show disk usage of the store' },
  prune: {
    load: () => import('./prune.js'),
    summary: 'remove unused cache records, layers, cache mounts, quarantined entries and old build reports',
  },
  fsck: {
    load: () => import('./fsck.js'),
    summary: 'verify the store (re-hash blobs and layers) and repair it',
  },
  root: { load: () => import('./root.js'), summary: 'print the store directory' },
  pull: { load: () => import('./pull.js'), summary: 'pull an image from a registry into the store' },
  push: { load: () => import('./push.js'), summary: 'push an image from the store to a registry' },
  login: {
    load: () => import('./login.js'),
    summary: 'store credentials for a registry (through a Docker credential helper when one is set)',
  },
  logout: { load: () => import('./logout.js'), summary: 'remove the credentials stored for a registry' },
  imagetools: {
    load: () => import('./imagetools.js'),
    summary: 'merge pushed images into one multi-platform index (imagetools create)',
  },
};

/** The flags of each command, for `strata <command> --help` (every command takes --root DIR). */
const SYNOPSIS: Record<string, string> = {
  parse: '[-f FILE] [--target T] [--build-arg K[=V]]... [--platform P] [--format tree|json] [CONTEXT]',
  build:
    '[-f FILE] [-t NAME:TAG]... [--target T] [--build-arg K[=V]]... [--no-cache] [--early-cutoff] [--pull]\n' +
    '       [--progress auto|plain|tty|quiet|rawjson] [-q] [--output type=docker|oci,dest=FILE[,rewrite-timestamp=true]|type=oci-dir,dest=DIR|type=local,dest=DIR]\n' +
    '       [--secret id=ID,src=FILE|env=VAR]... [--ssh ID[=SOCKET]]... [--allow security.insecure] [--isolation runc|chroot]\n' +
    '       [--build-context NAME=docker-image://REF|oci-layout://DIR[:TAG|@DIGEST]|DIR]...\n' +
    '       [--cache-from SPEC]... [--cache-to SPEC]... [--push] [--insecure-registry HOST]...\n' +
    '       [--platform P[,P]...] [--network default|host|none] [--dry-run] [--explain] [--iidfile FILE] [--metadata-file FILE] CONTEXT\n' +
    '       (-f - reads the Dockerfile from stdin; -q prints only the image ID on stdout)',
  explain: '[IMAGE] [--json] [--max-details N] [-v]',
  layers: 'IMAGE [--json] [--platform P]',
  graph: '[-f FILE] [--target T] [--build-arg K[=V]]... [--format dot|html] [-o OUT] [CONTEXT]',
  explore:
    '[-o OUT.html] [--open] [--text] [--json] [--platform P] IMAGE|FILE.tar|docker-archive:FILE|oci-layout:DIR',
  diff: '[--json] IMAGE1 IMAGE2',
  blame: '[--json] IMAGE PATH',
  lint: '[-f FILE] [--target T] [--build-arg K[=V]]... [--json] [CONTEXT]',
  images: '[-q] [--no-trunc]',
  inspect: '[--format TEMPLATE] [--platform P] IMAGE...',
  history: '[--no-trunc] [-q] [--format json] [--platform P] IMAGE',
  tag: 'SOURCE_IMAGE TARGET_IMAGE[:TAG]',
  rmi: 'IMAGE...',
  save: 'IMAGE [-o FILE|-] [--format docker|oci] [--compression gzip|none] [--platform P]',
  load: '-i FILE [-q]',
  import: '[--platform OS/ARCH] ROOTFS.tar NAME[:TAG]',
  du: '[-v]',
  prune:
    '[--all] [--filter type=exec.cachemount|type=quarantine]\n' +
    '       | [--keep-storage SIZE] [--filter until=DURATION] [--dry-run]   (LRU first; policy: <root>/config.json {"gc": {...}, "history": {"maxEntries": 50}})',
  fsck: '[--repair] [--json]',
  root: '',
  imagetools: 'create -t TARGET [--dry-run] [--insecure-registry HOST]... SOURCE...',
  pull: '[--platform P] [--insecure-registry HOST]... REF',
  push: '[--insecure-registry HOST]... [--platform P] IMAGE [DEST_REF]',
  login: '[-u USER] [-p PASS | --password-stdin] REGISTRY',
  logout: '[REGISTRY]',
};

/** Exit codes by error code, with what each means; anything unknown is an internal error. */
const EXIT_CODE_TABLE: [code: string, exit: number, meaning: string][] = [
  ['E_PARSE', 1, 'the Dockerfile does not parse'],
  ['E_INVALID', 2, 'bad flags or input (usage errors too)'],
  ['E_NOT_FOUND', 3, 'a file, image or context that is not there'],
  ['E_DIGEST_MISMATCH', 4, 'content that is not what its digest says'],
  ['E_RUN_FAILED', 5, 'a RUN step exited non-zero'],
  ['E_RUNTIME_MISSING', 6, 'runc or another tool RUN needs is missing'],
  ['E_SECURITY', 7, 'refused for safety (a path out of the context, a hostile archive)'],
  ['E_NO_SPACE', 8, 'the disk is full'],
  ['E_REGISTRY', 9, 'a registry or credential helper failed or refused'],
  ['E_INTERNAL', 70, 'a bug in strata (please report it)'],
];
const EXIT_CODES: Record<string, number> = Object.fromEntries(EXIT_CODE_TABLE.map(([c, n]) => [c, n]));

/** The exit code list `strata build --help` ends with (the README has the same table). */
function exitCodeHelp(): string {
  const lines = ['exit codes: 0 success'];
  for (const [, n, meaning] of EXIT_CODE_TABLE) lines.push(`  ${String(n).padStart(2)} ${meaning}`);
  return `${lines.join('\n')}\n`;
}

function usage(): string {
  const lines = ['usage: strata <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)} ${c.summary}`);
  lines.push(
    '',
    'global flags, before the command: --root DIR (or STRATA_ROOT) selects the store; --version; --help',
    '(a command that uses the store also takes --root DIR after its name)',
  );
  return `${lines.join('\n')}\n`;
}

interface GlobalFlags {
  root?: string;
  help: boolean;
  version: boolean;
  /** The command and its own arguments. */
  rest: string[];
}

/**
 * Reads the global flags that come before the command, as docker reads its own (`strata
 * --root DIR images`): `--root DIR` / `--root=DIR`, `--help` / `-h`, `--version` / `-v`.
 * The first word that is not one of them is the command. Returns an error text for an
 * unknown flag or a `--root` without its value.
 */
function readGlobalFlags(argv: string[]): GlobalFlags | { error: string } {
  const flags: GlobalFlags = { help: false, version: false, rest: [] };
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') flags.help = true;
    else if (a === '--version' || a === '-v') flags.version = true;
    else if (a.startsWith('--root=')) flags.root = a.slice('--root='.length);
    else if (a === '--root') {
      if (i + 1 >= argv.length) return { error: 'flag needs an argument: --root' };
      flags.root = argv[++i];
    } else return { error: `unknown flag: ${a}` };
    if (flags.root === '') return { error: 'flag needs an argument: --root' };
  }
  flags.rest = argv.slice(i);
  return flags;
}

/**
 * Loads the modules of `names` ahead of use: the startup snapshot (cmd/snapshot-main.ts)
 * calls it while it is built, so a command starting from the snapshot finds them evaluated.
 */
export async function preloadCommands(names: readonly string[]): Promise<void> {
  for (const n of names) await COMMANDS[n]?.load();
}

/**
 * Runs one CLI invocation; never throws. `entryPath` (dist/cmd/main.js, given only when this
 * runs as the process's entry, from the bundle or the snapshot) lets a non-root user's command
 * run again inside a user namespace (rootless-exec.ts).
 */
export async function main(argv: string[], io: Io, entryPath?: string): Promise<number> {
  // STRATA_TIMINGS=1: one line on stderr at exit saying where the time went (timings.ts).
  if (io.env.STRATA_TIMINGS === '1') enableTimings(io.stderr);
  const flags = readGlobalFlags(argv);
  if ('error' in flags) {
    io.stderr.write(`strata: ${flags.error}\n\n${usage()}`);
    return 2;
  }
  const [name, ...rest] = flags.rest;
  if (flags.help || name === 'help') {
    io.stdout.write(usage());
    return 0;
  }
  if (flags.version || name === 'version') {
    io.stdout.write(`strata ${VERSION}\n`);
    return 0;
  }
  if (name === undefined) {
    io.stdout.write(usage());
    return 2;
  }
  // A global --root is STRATA_ROOT for this one command: a --root after the command still
  // wins, and commands without a store (parse, lint, login) ignore it, as docker does.
  if (flags.root !== undefined) io = { ...io, env: { ...io.env, STRATA_ROOT: resolve(io.cwd, flags.root) } };
  const entry = COMMANDS[name];
  if (entry === undefined) {
    io.stderr.write(`strata: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const dashdash = rest.indexOf('--');
  const own = dashdash === -1 ? rest : rest.slice(0, dashdash);
  if (own.includes('--help') || own.includes('-h')) {
    io.stdout.write(
      `usage: strata ${name} ${SYNOPSIS[name] ?? '[options]'}\n\n${entry.summary}; --root DIR selects the store.\n` +
        (name === 'build' ? `\n${exitCodeHelp()}` : ''),
    );
    return 0;
  }
  if (entryPath !== undefined && typeof process.getuid === 'function' && process.getuid() !== 0) {
    const rootless = await import('./rootless-exec.js');
    if (rootless.wantsUserNamespace(name, io.env)) return rootless.runInUserNamespace(entryPath, argv, io);
  }
  try {
    mark('load');
    const mod = await entry.load();
    mark('run');
    return await mod.run(rest, io);
  } catch (err) {
    return reportError(err, io);
  }
}

/** Maps an error to its message and exit code; stack traces only for internal errors. */
export function reportError(err: unknown, io: Io): number {
  const e = err as {
    code?: string;
    message?: string;
    render?: () => string;
    stack?: string;
    cause?: unknown;
  };
  const code = typeof e?.code === 'string' && e.code in EXIT_CODES ? e.code : 'E_INTERNAL';
  if (code === 'E_INTERNAL') {
    io.stderr.write(`strata: internal error, please report: ${e?.stack ?? String(err)}\n`);
  } else if (typeof e.render === 'function') {
    io.stderr.write(`${e.render()}\n`);
  } else {
    let msg = `strata: ${e.message}`;
    // Show the chain of causes: they usually name the file or system call that failed. A
    // cause whose text is already shown (a wrapped parse error, say) is not repeated.
    let c = e.cause as { message?: string; cause?: unknown } | undefined;
    while (c && typeof c.message === 'string') {
      if (!msg.includes(c.message)) msg += `\n  caused by: ${c.message}`;
      c = c.cause as typeof c;
    }
    io.stderr.write(`${msg}\n`);
  }
  return EXIT_CODES[code];
}

// Run only when executed (directly or through the npm bin symlink), not when imported by tests.
function isEntry(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (isEntry()) {
  void (async () => {
    // Inside the user namespace a parent strata made: tell it so before anything can fail.
    if (process.env.STRATA_USERNS_READY_FD) (await import('./rootless-exec.js')).reportReady(process.env);
    adoptDeferredCa(process.env);
    process.exitCode = await main(process.argv.slice(2), processIo(), fileURLToPath(import.meta.url));
  })();
}
