import { CliError } from './output';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`Expected a positive integer, got "${value}"`, 'invalid_argument');
  return n;
}
