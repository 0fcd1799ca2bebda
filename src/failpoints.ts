/**
 * Named points where a crash test makes the process die at once (SIGKILL, as a machine
 * failure would), to prove that what was committed before still reaches its end.
 * Set with SELLFLOW_FAILPOINTS=name[,name]; unset in every real deployment.
 */
export type Failpoint = 'after-intent-commit' | 'after-invoice-commit';

export function failpoint(config: { failpoints: readonly string[] }, name: Failpoint): void {
  if (config.failpoints.includes(name)) process.kill(process.pid, 'SIGKILL');
}
