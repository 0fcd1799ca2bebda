/** The smallest end-to-end proof and the benchmark's yardstick. */
export interface PingRecord {
  workflowId: string;
  message: string;
  recordedAt: string;
  databaseTime: string;
}

export interface PingResult extends PingRecord {
  pong: true;
}

export type PingWorkflow = (message: string) => Promise<PingResult>;
export type BaselineWorkflow = () => Promise<void>;
