/**
 * An error found while typing or converting one instruction, before it has a location.
 * The caller that knows the node turns it into a located `DockerfileError`
 * (see `withLocation` in ../errors.ts). Messages follow BuildKit's wording so users can search for them.
 */
export class InstructionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InstructionError';
  }
}

export function errAtLeastOneArgument(command: string): InstructionError {
  return new InstructionError(`${command} requires at least one argument`);
}

export function errExactlyOneArgument(command: string): InstructionError {
  return new InstructionError(`${command} requires exactly one argument`);
}

export function errNoDestinationArgument(command: string): InstructionError {
  return new InstructionError(
    `${command} requires at least two arguments, but only one was provided. Destination could not be determined`,
  );
}

export function errBadHeredoc(command: string, option: string): InstructionError {
  return new InstructionError(`${command} cannot accept a heredoc as ${option}`);
}

export function errBlankCommandNames(command: string): InstructionError {
  return new InstructionError(`${command} names can not be blank`);
}

export function errNotJSON(command: string): InstructionError {
  return new InstructionError(`${command} requires the arguments to be in JSON form`);
}
