import type { Logger } from './logger';

/**
 * Runs the registered closers in reverse order on SIGINT/SIGTERM, once. A second signal
 * while shutting down forces the exit.
 */
export class Shutdown {
  private readonly closers: { name: string; close: () => Promise<void> }[] = [];
  private closing: Promise<void> | null = null;

  constructor(private readonly logger: Logger) {}

  add(name: string, close: () => Promise<void>): void {
    this.closers.push({ name, close });
  }

  onSignals(exit: (code: number) => void = (code) => process.exit(code)): void {
    const handle = (signal: NodeJS.Signals) => {
      if (this.closing) {
        this.logger.warn({ signal }, 'second signal: exiting now');
        exit(1);
        return;
      }
      this.logger.info({ signal }, 'shutting down');
      void this.run().then(() => exit(0));
    };
    process.on('SIGINT', handle);
    process.on('SIGTERM', handle);
  }

  run(): Promise<void> {
    this.closing ??= (async () => {
      for (const { name, close } of [...this.closers].reverse()) {
        try {
          await close();
          this.logger.debug({ component: name }, 'stopped');
        } catch (error) {
          this.logger.error({ err: error, component: name }, 'failed to stop cleanly');
        }
      }
    })();
    return this.closing;
  }
}
