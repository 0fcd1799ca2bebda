import fs from 'node:fs';
import { Client, Connection, type ConnectionOptions, type WorkflowClientInterceptor } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';

/** TLS and API-key settings shared by the client and the worker connections. */
function securityOptions(config: Config): Pick<ConnectionOptions, 'tls' | 'apiKey'> {
  const t = config.temporal;
  const tls = t.tls
    ? {
        ...(t.tlsCertPath && t.tlsKeyPath
          ? { clientCertPair: { crt: fs.readFileSync(t.tlsCertPath), key: fs.readFileSync(t.tlsKeyPath) } }
          : {}),
      }
    : undefined;
  return { tls, ...(t.apiKey ? { apiKey: t.apiKey } : {}) };
}

export interface TemporalClient {
  client: Client;
  connection: Connection;
  /** For health checks: no retry interceptor, so a down server answers fast. */
  probe: Connection;
  address: string;
  namespace: string;
  /** Resolves when the frontend answers a health check within the deadline. */
  health(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects lazily: an API process starts even while Temporal is down, and /health says so
 * instead of the process crashing.
 */
export async function connectClient(
  config: Config,
  address: string,
  options: { workflowInterceptors?: WorkflowClientInterceptor[] } = {},
): Promise<TemporalClient> {
  const connection = Connection.lazy({ address, ...securityOptions(config) });
  // Health probes report what they see: no retry interceptor, so a down server answers fast.
  const probe = Connection.lazy({ address, ...securityOptions(config), interceptors: [] });
  // With tracing on, a workflow started by a request carries the request's trace.
  const interceptors = options.workflowInterceptors ? { interceptors: { workflow: options.workflowInterceptors } } : {};
  const client = new Client({ connection, namespace: config.temporal.namespace, ...interceptors });
  return {
    client,
    connection,
    probe,
    address,
    namespace: config.temporal.namespace,
    async health(timeoutMs = 2_000) {
      await probe.withDeadline(Date.now() + timeoutMs, () =>
        probe.workflowService.describeNamespace({ namespace: config.temporal.namespace }),
      );
    },
    async close() {
      await Promise.all([connection.close(), probe.close()]);
    },
  };
}

export function connectWorker(config: Config, address: string): Promise<NativeConnection> {
  return NativeConnection.connect({ address, ...securityOptions(config) } as Parameters<typeof NativeConnection.connect>[0]);
}

/** Where to find Temporal when this process does not start a dev server itself. */
export function externalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.devServer.port}`;
}
