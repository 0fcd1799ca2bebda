import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';

/**
 * What a process hands Temporal when it traces: client interceptors put the caller's trace into a
 * started workflow's headers, activity interceptors continue it, and the sink takes the spans the
 * workflow sandbox makes (it has no exporter of its own) to this process's processor.
 */
export interface Tracing {
  workflowClientInterceptors: WorkflowClientInterceptor[];
  activityInterceptors: ActivityInterceptorsFactory[];
  sinks: InjectedSinks<Record<string, never>>;
  /** Sends what is still buffered, then stops; spans of a stopping process are not lost. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  /** Where spans go; by default OTLP over HTTP/protobuf to OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces). */
  exporter?: SpanExporter;
  /** Tests pass a SimpleSpanProcessor to see every span at once; a batching one by default. */
  processor?: (exporter: SpanExporter) => SpanProcessor;
}

/**
 * Starts OpenTelemetry tracing for this process: incoming and outgoing node:http requests (the
 * API's server spans, the SDKs' calls) and undici's (guardedFetch: webhooks, dynamic deliveries),
 * W3C trace context propagated, AsyncLocalStorage context. Call it before the API's modules load.
 * The OTel SDK reads its usual OTEL_* variables (headers, timeouts, resource attributes) itself.
 */
export function startTracing(options: TracingOptions): Tracing {
  const resource = Resource.default().merge(new Resource({ 'service.name': process.env.OTEL_SERVICE_NAME ?? options.serviceName }));
  const exporter = options.exporter ?? new OTLPTraceExporter();
  const processor = options.processor?.(exporter) ?? new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Probes and scrapes would be most of the spans and none of the interest.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(health|metrics)(\/|$|\?)/.test(req.url ?? '') }),
      new UndiciInstrumentation(),
    ],
  });
  return {
    workflowClientInterceptors: [new OpenTelemetryWorkflowClientInterceptor()],
    activityInterceptors: [
      (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
    ],
    sinks: { exporter: makeWorkflowExporter(processor, resource) } as unknown as InjectedSinks<Record<string, never>>,
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}
