/** What every subcommand gets injected, so tests can run commands in-process. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** `-f -`, `--password-stdin`: read only by commands told to (tests pass their own). */
  stdin?: NodeJS.ReadableStream;
}

/** A subcommand module exports `run`; the resolved value is the process exit code. */
export type CommandMain = (args: string[], io: Io) => Promise<number>;

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    // A getter: touching process.stdin opens it (and loads tty or net), which only the
    // commands that read it (`-f -`, `--password-stdin`) should pay for.
    get stdin() {
      return process.stdin;
    },
  };
}
