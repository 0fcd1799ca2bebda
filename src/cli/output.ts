/** --json prints exactly one JSON object on stdout; everything else is for people. */
export function printResult(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : human() + '\n');
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 'cli_error',
  ) {
    super(message);
  }
}
