/**
 * Abandoned-checkout reminders, without I/O: the store's settings as the official marketing
 * settings carry them, the seed's rules for a schedule, which checkouts are reminded, and which
 * reminder offers the coupon.
 */
export const MAX_REMINDERS = 3;
export const MAX_REMINDER_HOURS = 72;

export type IncentiveMode = 'none' | 'existing_coupon';

export interface AbandonedCartSettings {
  enabled: boolean;
  /** The order amount range, in cents of the store's currency (see remindsCheckout). */
  min_total_cents: number | null;
  max_total_cents: number | null;
  /** Hours after checkout started, whole, increasing, at most 72; empty slots dropped. */
  reminders: { after_hours: number }[];
  incentive_mode: IncentiveMode | null;
  coupon_id: number | null;
  /** Which reminder (1-based) carries the coupon. */
  send_incentive_on_step: number | null;
}

export const ABANDONED_CART_OFF: AbandonedCartSettings = {
  enabled: false,
  min_total_cents: null,
  max_total_cents: null,
  reminders: [],
  incentive_mode: null,
  coupon_id: null,
  send_incentive_on_step: null,
};

/** What a seller sends: reminder slots may be empty (null), as the dashboard's three fields are. */
export type AbandonedCartDraft = Omit<AbandonedCartSettings, 'reminders'> & { reminders: { after_hours: number | null }[] };

export type SettingsProblems = Record<string, string[]>;

/**
 * The seed's rules: up to three reminders, each a whole number of hours (1–72) after checkout
 * started, without gaps (#2 needs #1, #3 needs #2) and each later than the one before; the
 * amount range the right way round; a coupon incentive names its coupon and one of the
 * reminders. Returns the settings to keep (trailing empty slots dropped) or the problems by field.
 */
export function checkAbandonedCart(draft: AbandonedCartDraft): { settings: AbandonedCartSettings } | { problems: SettingsProblems } {
  const problems: SettingsProblems = {};
  const add = (field: string, message: string) => (problems[field] ??= []).push(message);
  if (draft.reminders.length > MAX_REMINDERS) add('abandoned_cart.reminders', `at most ${MAX_REMINDERS} reminder e-mails`);
  let last = draft.reminders.length;
  while (last > 0 && draft.reminders[last - 1]!.after_hours === null) last -= 1;
  const hours: number[] = [];
  draft.reminders.slice(0, last).forEach(({ after_hours: h }, i) => {
    const field = `abandoned_cart.reminders.${i}.after_hours`;
    if (h === null) return add(field, `Email #${i + 2} needs Email #${i + 1}: the schedule cannot have gaps`);
    if (!Number.isInteger(h) || h < 1 || h > MAX_REMINDER_HOURS)
      return add(field, `a whole number of hours from 1 to ${MAX_REMINDER_HOURS} after checkout starts`);
    const previous = hours.at(-1);
    if (previous !== undefined && h <= previous) add(field, `must be later than Email #${i} (${previous} h)`);
    hours.push(h);
  });
  for (const field of ['min_total_cents', 'max_total_cents'] as const) {
    const value = draft[field];
    if (value !== null && (!Number.isInteger(value) || value < 0))
      add(`abandoned_cart.${field}`, "a whole number of cents of the store's currency, 0 or more");
  }
  if (draft.min_total_cents !== null && draft.max_total_cents !== null && draft.min_total_cents > draft.max_total_cents)
    add('abandoned_cart.max_total_cents', 'must not be below the minimum order amount');
  if (draft.enabled && last === 0) add('abandoned_cart.reminders', 'turning reminders on needs at least one reminder e-mail');
  const withCoupon = draft.incentive_mode === 'existing_coupon';
  if (withCoupon) {
    if (draft.coupon_id === null) add('abandoned_cart.coupon_id', 'choose the coupon the reminder offers');
    const step = draft.send_incentive_on_step;
    if (step === null || !Number.isInteger(step) || step < 1 || step > Math.max(last, 1))
      add('abandoned_cart.send_incentive_on_step', `the reminder e-mail (1 to ${Math.max(last, 1)}) that offers the coupon`);
  }
  if (Object.keys(problems).length > 0) return { problems };
  return {
    settings: {
      enabled: draft.enabled,
      min_total_cents: draft.min_total_cents,
      max_total_cents: draft.max_total_cents,
      reminders: hours.map((after_hours) => ({ after_hours })),
      incentive_mode: draft.incentive_mode,
      // Without an incentive the coupon and its step mean nothing: kept empty.
      coupon_id: withCoupon ? draft.coupon_id : null,
      send_incentive_on_step: withCoupon ? draft.send_incentive_on_step : null,
    },
  };
}

/**
 * Whether a new unpaid checkout is reminded: the store turned reminders on, the buyer left an
 * address, the total is in range. The range is in the store's currency; Sellflow converts no
 * currencies, so a checkout in another currency cannot be placed in it and is not reminded
 * while the store has a range (without one, every currency is).
 */
export function remindsCheckout(
  settings: AbandonedCartSettings | null,
  invoice: { totalCents: number; currency: string; customerEmail: string | null },
  storeCurrency: string,
): boolean {
  if (!settings?.enabled || settings.reminders.length === 0 || !invoice.customerEmail) return false;
  if (settings.min_total_cents === null && settings.max_total_cents === null) return true;
  if (invoice.currency.toUpperCase() !== storeCurrency.toUpperCase()) return false;
  if (settings.min_total_cents !== null && invoice.totalCents < settings.min_total_cents) return false;
  if (settings.max_total_cents !== null && invoice.totalCents > settings.max_total_cents) return false;
  return true;
}

/** The coupon reminder `number` offers: only the chosen one, only when the order has none of its own. */
export function incentiveCouponId(settings: AbandonedCartSettings, number: number, orderHasCoupon: boolean): number | null {
  if (settings.incentive_mode !== 'existing_coupon' || settings.send_incentive_on_step !== number || orderHasCoupon) return null;
  return settings.coupon_id;
}
