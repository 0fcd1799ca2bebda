import http from 'node:http';
import type { AddressInfo } from 'node:net';
// The OTel exporter's own compiled OTLP protobuf schema: the receiver decodes what the exporter encodes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { opentelemetry } = require('@opentelemetry/otlp-transformer/build/src/generated/root') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoType } } } } };
};

interface ProtoType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: { longs: typeof String; bytes: typeof String; enums: typeof String }): ExportRequest;
}
interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: Attribute[] };
    scopeSpans?: { scope?: { name?: string }; spans?: WireSpan[] }[];
  }[];
}
interface Attribute {
  key: string;
  value: { stringValue?: string; intValue?: string; boolValue?: boolean };
}
interface WireSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  attributes?: Attribute[];
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: string;
  service: string | undefined;
  attributes: Record<string, string | boolean | undefined>;
}

const hex = (base64: string | undefined) => (base64 ? Buffer.from(base64, 'base64').toString('hex') : '');
const flatten = (attributes: Attribute[] = []) =>
  Object.fromEntries(attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.boolValue]));

/** A tracing backend's OTLP/HTTP endpoint on loopback (protobuf, as OTLPTraceExporter sends): it keeps every span it is sent. */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  const Request = opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.add(String(req.headers['content-type']));
      const body = Request.toObject(Request.decode(Buffer.concat(chunks)), { longs: String, bytes: String, enums: String });
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = flatten(resourceSpans.resource?.attributes)['service.name'];
        for (const scope of resourceSpans.scopeSpans ?? [])
          for (const span of scope.spans ?? [])
            spans.push({
              traceId: hex(span.traceId),
              spanId: hex(span.spanId),
              parentSpanId: hex(span.parentSpanId) || null,
              name: span.name,
              kind: span.kind,
              service: typeof service === 'string' ? service : undefined,
              attributes: flatten(span.attributes),
            });
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    /** What OTEL_EXPORTER_OTLP_ENDPOINT is set to (the exporter appends /v1/traces). */
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
