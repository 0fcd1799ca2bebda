import net from 'node:net';

/**
 * Resolves once something accepts connections on the loopback port. The wait is long: stripe-mock
 * reads Stripe's whole OpenAPI spec before it listens, which took over 10 s on a loaded CI machine.
 */
export async function waitForPort(port: number, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on ${port} within ${timeoutMs / 1000} s`);
}
