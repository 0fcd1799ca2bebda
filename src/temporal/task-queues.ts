/** One queue for now: orders, deliveries and the rest share workers until load says otherwise. */
export function mainTaskQueue(prefix: string): string {
  return `${prefix}-main`;
}
