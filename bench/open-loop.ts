/**
 * Arrivals at a fixed rate, each started on schedule whether or not earlier ones finished
 * (open loop): a slow system meets the same load, as a store's buyers would. Latency counts
 * from the scheduled arrival, not from when the request got out, so a stall is charged to
 * every arrival it delays (no coordinated omission).
 */
export async function openLoop(
  label: string,
  ratePerSecond: number,
  seconds: number,
  job: () => Promise<void>,
): Promise<{ offered_per_second: number; completed: number; failed: number; latencies: number[] }> {
  const count = Math.max(1, Math.round(ratePerSecond * seconds));
  const start = performance.now() + 50;
  const latencies: number[] = [];
  let failed = 0;
  let done = 0;
  const arrivals: Promise<void>[] = [];
  for (let i = 0; i < count; i += 1) {
    const scheduled = start + (i * 1000) / ratePerSecond;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    arrivals.push(
      job().then(
        () => {
          latencies.push(performance.now() - scheduled);
          done += 1;
          if (done % 10 === 0) process.stdout.write(`\r  ${label}: ${done}/${count}`);
        },
        () => {
          failed += 1;
        },
      ),
    );
  }
  await Promise.all(arrivals);
  process.stdout.write(`\r  ${label}: ${done}/${count}\n`);
  return { offered_per_second: ratePerSecond, completed: done, failed, latencies };
}
