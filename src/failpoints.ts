import type { Config } from './config';

/**
 * Named points where a crash test makes the process die at once (SIGKILL, as a machine
 * failure would), to prove that what was committed before still reaches its end.
 * Set with SELLFLOW_FAILPOINTS=name[,name]; unset in every real deployment.
 */
export type Failpoint = 'after-paid-commit';

export function failpoint(config: Pick<Config, 'failpoints'>, name: Failpoint): void {
  if (config.failpoints.includes(name)) process.kill(process.pid, 'SIGKILL');
}
