import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics (prom-client). One registry per process: the API serves
 * it on GET /metrics, a worker on METRICS_PORT, each with the Temporal SDK's own worker
 * metrics appended when the process runs a worker.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'sellflow_' });

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20];

export const httpRequests = new Counter({
  name: 'sellflow_http_requests_total',
  help: 'API requests answered, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpRequestDuration = new Histogram({
  name: 'sellflow_http_request_duration_seconds',
  help: 'API request latency until the answer is sent, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: SECONDS,
  registers: [registry],
});

export type WebhookOutcome = 'succeeded' | 'http_4xx' | 'http_5xx' | 'http_other' | 'no_answer' | 'refused';

const webhookAttempts = new Counter({
  name: 'sellflow_webhook_delivery_attempts_total',
  help: 'Attempts to deliver an event to a webhook endpoint, by outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const webhookDuration = new Histogram({
  name: 'sellflow_webhook_delivery_duration_seconds',
  help: 'How long one webhook delivery attempt took, by outcome',
  labelNames: ['outcome'] as const,
  buckets: SECONDS,
  registers: [registry],
});

/** One attempt of a store's webhook endpoint: its HTTP status, or why there was none. */
export function recordWebhookAttempt(status: number | null, refused: boolean, seconds: number): void {
  const outcome: WebhookOutcome = refused
    ? 'refused'
    : status === null
      ? 'no_answer'
      : status >= 200 && status < 300
        ? 'succeeded'
        : status >= 400 && status < 500
          ? 'http_4xx'
          : status >= 500
            ? 'http_5xx'
            : 'http_other';
  webhookAttempts.inc({ outcome });
  webhookDuration.observe({ outcome }, seconds);
}

const gatewayCalls = new Counter({
  name: 'sellflow_gateway_calls_total',
  help: 'Calls to payment providers and chain APIs, by gateway and outcome (2xx, 4xx, 5xx, error: no answer)',
  labelNames: ['gateway', 'outcome'] as const,
  registers: [registry],
});

const gatewayDuration = new Histogram({
  name: 'sellflow_gateway_call_duration_seconds',
  help: 'Latency of calls to payment providers and chain APIs, by gateway',
  labelNames: ['gateway'] as const,
  buckets: SECONDS,
  registers: [registry],
});

/** A provider's answer (its HTTP status) or none (null: timeout, refused connection). */
export function recordGatewayCall(gateway: string, status: number | null, seconds: number): void {
  const outcome = status === null ? 'error' : `${Math.floor(status / 100)}xx`;
  gatewayCalls.inc({ gateway, outcome });
  gatewayDuration.observe({ gateway }, seconds);
}

export const activityAttempts = new Counter({
  name: 'sellflow_activity_attempts_total',
  help: 'Activity attempts run by this worker, by activity type and outcome (completed, failed, cancelled)',
  labelNames: ['activity_type', 'outcome'] as const,
  registers: [registry],
});

export const activityFailures = new Counter({
  name: 'sellflow_activity_failures_total',
  help: 'Failed activity attempts, by activity type and error type (ApplicationFailure type or error name)',
  labelNames: ['activity_type', 'error_type'] as const,
  registers: [registry],
});

let temporalSdkMetricsUrl: string | null = null;

/** Where the Temporal SDK serves its worker metrics (Runtime telemetry), to append to ours. */
export function appendTemporalSdkMetrics(url: string): void {
  temporalSdkMetricsUrl = url;
}

/** Our metrics, then the Temporal SDK's (they are prefixed temporal_, ours sellflow_). */
export async function renderMetrics(): Promise<string> {
  const ours = await registry.metrics();
  if (!temporalSdkMetricsUrl) return ours;
  try {
    const response = await fetch(temporalSdkMetricsUrl, { signal: AbortSignal.timeout(2_000) });
    return `${ours}\n${await response.text()}`;
  } catch {
    // The SDK's exporter is ours and local: missing, our own metrics still matter.
    return ours;
  }
}
