/**
 * Runs the strata CLI in-process with captured output, through the same main() the binary
 * uses (so exit codes and error rendering are the real ones).
 */
import { Readable, Writable } from 'node:stream';
import { main } from '../../cmd/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  }) as Writable & { text: () => string };
  w.text = () => Buffer.concat(chunks).toString();
  return w;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** What the command reads on stdin (`-f -`, `--password-stdin`); default: nothing. */
  stdin?: string | Buffer | NodeJS.ReadableStream;
}

export async function strata(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(args, {
    stdout,
    stderr,
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd ?? process.cwd(),
    stdin:
      opts.stdin === undefined || typeof opts.stdin === 'string' || Buffer.isBuffer(opts.stdin)
        ? Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)])
        : opts.stdin,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Like strata() but throws with the captured output when the exit code is not 0. */
export async function strataOk(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const r = await strata(args, opts);
  if (r.code !== 0)
    throw new Error(`strata ${args.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

/** Parses `--progress plain` output into one entry per step: its label and CACHED or not. */
export function stepOutcomes(plain: string): { name: string; cached: boolean; reason: string }[] {
  const names = new Map<string, string>();
  const cached = new Map<string, boolean>();
  const reasons = new Map<string, string>();
  for (const line of plain.split('\n')) {
    const m = /^#(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const [, id, rest] = m;
    if (!names.has(id) && rest.startsWith('[')) names.set(id, rest);
    if (rest === 'CACHED') cached.set(id, true);
    const r = /^CACHE (?:HIT|MISS): (.*)$/.exec(rest);
    if (r) reasons.set(id, r[1]);
  }
  return [...names].map(([id, name]) => ({
    name,
    cached: cached.get(id) ?? false,
    reason: reasons.get(id) ?? '',
  }));
}

/**
 * `strata build --root ROOT [...flags] --output type=local,dest=DEST CONTEXT`, throwing with
 * the output on failure: DEST then holds the built image's filesystem.
 */
export function buildToDir(
  root: string,
  ctx: string,
  dest: string,
  flags: string[] = [],
): Promise<CliResult> {
  return strataOk(['build', '--root', root, ...flags, '--output', `type=local,dest=${dest}`, ctx]);
}
