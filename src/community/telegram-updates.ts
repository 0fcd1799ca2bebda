import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../logger';
import { telegramAdapter } from './adapters';
import type { CommunityGrantWorkflows } from './grant-workflow-client';
import type { CommunityServices } from './spaces';
import { handleTelegramUpdate } from './telegram-connect';

/** Long-poll wait per getUpdates call, and the pause after a failed one. */
const POLL_SECONDS = 25;
const FAILURE_PAUSE_MS = 5_000;
const MAX_TRIES_PER_UPDATE = 5;

/**
 * Our official bot's updates by getUpdates long polling, for deployments without a public
 * webhook URL. The offset is kept in the database, so a restart neither skips nor replays
 * (handling is idempotent anyway). One poller per bot: Telegram answers a second with 409.
 */
export class TelegramUpdatePoller {
  private readonly abort = new AbortController();
  /** Failed handling per update: a poison update is skipped after a few tries, not retried forever. */
  private readonly failures = new Map<number, number>();
  private running: Promise<void> | null = null;

  constructor(
    private readonly services: CommunityServices,
    private readonly grants: CommunityGrantWorkflows,
    private readonly logger: Logger,
  ) {}

  /** The bot's numeric id (the token's public part) names its cursor row. */
  private botId(): string {
    return (this.services.config.telegram.botToken ?? '').split(':')[0] ?? 'bot';
  }

  /** Fetches and handles one batch; returns how many updates it handled. */
  async pollOnce(timeoutSeconds = POLL_SECONDS): Promise<number> {
    const bot = this.botId();
    const cursor = await this.services.db
      .selectFrom('telegram_update_cursor')
      .select('next_offset')
      .where('bot', '=', bot)
      .executeTakeFirst();
    const updates = await telegramAdapter(this.services.config).fetchUpdates(Number(cursor?.next_offset ?? 0), timeoutSeconds);
    for (const update of updates) {
      try {
        await handleTelegramUpdate(this.services, this.grants, update, this.logger);
        this.failures.delete(update.updateId);
      } catch (error) {
        const failures = (this.failures.get(update.updateId) ?? 0) + 1;
        this.failures.set(update.updateId, failures);
        if (failures < MAX_TRIES_PER_UPDATE) throw error;
        this.failures.delete(update.updateId);
        this.logger.error({ err: error, updateId: update.updateId, kind: update.kind }, 'telegram update skipped after repeated failures');
      }
      await this.services.db
        .insertInto('telegram_update_cursor')
        .values({ bot, next_offset: update.updateId + 1 })
        .onConflict((oc) => oc.column('bot').doUpdateSet({ next_offset: update.updateId + 1 }))
        .execute();
    }
    return updates.length;
  }

  start(): void {
    this.running ??= this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        await this.pollOnce();
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.logger.warn({ err: error }, 'telegram getUpdates failed');
        await delay(FAILURE_PAUSE_MS, undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    // An in-flight long poll is left to finish on its own; nothing waits on it.
    this.running = null;
  }
}
