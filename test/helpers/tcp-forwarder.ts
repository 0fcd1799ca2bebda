import net from 'node:net';

/**
 * A loopback port that can be opened and shut like a dependency going down and coming back:
 * while open it forwards every connection to `target`; shut, connections are refused and
 * the ones in flight are cut.
 */
export interface TcpForwarder {
  port: number;
  open(): Promise<void>;
  shut(): Promise<void>;
}

export async function tcpForwarder(port: number, target: { host: string; port: number }): Promise<TcpForwarder> {
  let server: net.Server | null = null;
  const sockets = new Set<net.Socket>();
  return {
    port,
    async open() {
      if (server) return;
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async shut() {
      const closing = server;
      server = null;
      for (const socket of sockets) socket.destroy();
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
}
