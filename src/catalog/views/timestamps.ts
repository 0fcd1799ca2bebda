/** SellApp (Laravel) timestamps: ISO 8601 with microseconds, e.g. 2024-01-10T12:16:10.000000Z. */
export function laravelTime(date: Date | null): string | null {
  return date ? date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') : null;
}

/** The Sell API's timestamps: plain ISO 8601. */
export function isoTime(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}
