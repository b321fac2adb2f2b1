/**
 * The one error type configuration loading throws. Its message always reads
 * `<file>:<line>: <reason>` so an operator can jump straight to the offending line.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /**
   * @param fileName file name as given to the parser (not resolved)
   * @param line 1-based line of the offending parameter or stanza
   * @param reason what is wrong, naming the parameter
   */
  constructor(
    readonly fileName: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${fileName}:${line}: ${reason}`);
  }
}
