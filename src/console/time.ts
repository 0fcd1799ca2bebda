import { Duration } from 'luxon';

/** "3 h 4 min" since a moment: the age the needs-attention list shows. */
export function ago(since: Date, now = new Date()): string {
  const ms = Math.max(0, now.getTime() - since.getTime());
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s`;
  const units = ms >= 86_400_000 ? (['days', 'hours'] as const) : (['hours', 'minutes'] as const);
  const parts = Duration.fromMillis(ms)
    .shiftTo(...units)
    .toObject();
  return units
    .map((u) => [Math.floor(parts[u] ?? 0), { days: 'd', hours: 'h', minutes: 'min' }[u]] as const)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(' ');
}
