/** How pasted or uploaded serial stock is split (SellApp's parsingMode). */
export const PARSING_MODES = ['COMMA', 'NEW_LINE', 'SPACE', 'CUSTOM'] as const;
export type ParsingMode = (typeof PARSING_MODES)[number];

export class SerialParsingError extends Error {}

export interface ParsedSerials {
  serials: string[];
  /** Values dropped because they repeated one already in the input or in stock. */
  duplicatesRemoved: number;
}

function split(text: string, mode: ParsingMode, delimiter?: string): string[] {
  switch (mode) {
    case 'COMMA':
      return text.split(',');
    case 'NEW_LINE':
      return text.split(/\r\n|\r|\n/);
    case 'SPACE':
      return text.split(/\s+/);
    case 'CUSTOM':
      if (!delimiter) throw new SerialParsingError('parsingMode CUSTOM needs a delimiter');
      return text.split(delimiter);
  }
}

/**
 * Splits stock into one value per serial: each piece trimmed, empty pieces dropped. Input
 * may be one pasted text or a list whose items are split too. With `removeDuplicates`,
 * repeats inside the input and values already in `existing` stock are dropped.
 */
export function parseSerials(
  input: string | readonly string[],
  options: { mode: ParsingMode; delimiter?: string; removeDuplicates: boolean; existing?: ReadonlySet<string> },
): ParsedSerials {
  const pieces = (typeof input === 'string' ? [input] : input).flatMap((text) => split(text, options.mode, options.delimiter));
  const values = pieces.map((piece) => piece.trim()).filter((piece) => piece.length > 0);
  if (!options.removeDuplicates) return { serials: values, duplicatesRemoved: 0 };
  const seen = new Set(options.existing ?? []);
  const serials: string[] = [];
  for (const value of values) {
    if (seen.has(value)) continue;
    seen.add(value);
    serials.push(value);
  }
  return { serials, duplicatesRemoved: values.length - serials.length };
}
