/**
 * How long one attempt at a buyer e-mail may take, from Temporal's view down to the SMTP
 * socket. Each bound derives from the one above it, so an attempt always ends (and records
 * why) before Temporal gives up on it and starts the retry.
 */

/** Start-to-close of every activity that sends a buyer e-mail (delivery e-mail, notices, reminders). */
export const BUYER_EMAIL_ACTIVITY_TIMEOUT_MS = 30_000;

/** The whole SMTP conversation of one attempt is aborted (its socket destroyed) after this. */
export const SMTP_ATTEMPT_DEADLINE_MS = BUYER_EMAIL_ACTIVITY_TIMEOUT_MS / 2;

/** Connecting, the server's greeting, and any silence of the server (a stalled DATA reply): each at most this. */
export const SMTP_STEP_TIMEOUT_MS = SMTP_ATTEMPT_DEADLINE_MS / 3;

/**
 * How long the attempt that claimed an e-mail keeps it: past the SMTP deadline (its socket is
 * gone by then, so it can send nothing more), and no longer than the activity's timeout, so the
 * retry Temporal starts once a killed worker's attempt timed out finds the lease expired.
 */
export const BUYER_EMAIL_LEASE_MS = BUYER_EMAIL_ACTIVITY_TIMEOUT_MS;
