import { trace } from '@opentelemetry/api';
import { type RequestHandler, Router } from 'express';
import type { Db } from '../db/schema';
import { httpRequestDuration, httpRequests, renderMetrics, registry } from './metrics';
import { stateRegistry } from './state-gauges';

/** Times every request; the route label is the matched pattern (bounded), `unmatched` for 404s. */
export function httpMetrics(): RequestHandler {
  return (req, res, next) => {
    const end = httpRequestDuration.startTimer();
    res.on('finish', () => {
      const pattern = (req.route as { path?: unknown } | undefined)?.path;
      const labels = {
        method: req.method,
        route: typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched',
        status: String(res.statusCode),
      };
      httpRequests.inc(labels);
      end(labels);
      // The traced request's server span is named by its route too (the response's listeners run in its context).
      if (labels.route !== 'unmatched')
        trace.getActiveSpan()?.updateName(`${req.method} ${labels.route}`).setAttribute('http.route', labels.route);
    });
    next();
  };
}

/** GET /metrics: Prometheus text, the process's metrics and the database's state gauges. */
export function metricsRouter(db: Db): Router {
  const state = stateRegistry(db);
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const [ours, gauges] = await Promise.all([renderMetrics(), state.metrics()]);
    res.type(registry.contentType).send(`${ours}\n${gauges}`);
  });
  return router;
}
