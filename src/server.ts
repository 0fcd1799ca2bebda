import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './api/app';
import { answerClientErrors } from './api/client-error';
import type { ApiDependencies } from './api/context';

export interface RunningApi {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

export async function startApi(deps: ApiDependencies, port = deps.config.api.port, host = deps.config.api.host): Promise<RunningApi> {
  const server = http.createServer(createApp(deps));
  answerClientErrors(server, deps.config.api.publicBaseUrl);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
