import { Client, Environment } from '@paypal/paypal-server-sdk';

/**
 * PayPal's official server SDK, built for one store's REST app. Live credentials talk to
 * PayPal's live environment, sandbox credentials to its sandbox; a test-mode invoice only ever
 * reaches the sandbox. PAYPAL_API_URL sends both to another origin (the local fake in tests):
 * the SDK knows only PayPal's two hosts, so every request it builds is re-aimed there.
 */
export type PaypalMode = 'live' | 'sandbox';

export interface PaypalCredentials {
  clientId: string;
  clientSecret: string;
  mode: PaypalMode;
}

/** The origin the SDK itself uses for a mode (what PAYPAL_API_URL stands in for). */
export const PAYPAL_ORIGINS: Record<PaypalMode, string> = {
  live: 'https://api-m.paypal.com',
  sandbox: 'https://api-m.sandbox.paypal.com',
};

/** A live invoice is paid through the live app, a test invoice through the sandbox app. */
export const paypalModeOf = (livemode: boolean): PaypalMode => (livemode ? 'live' : 'sandbox');

class RedirectedClient extends Client {
  constructor(
    config: ConstructorParameters<typeof Client>[0],
    private readonly origin: { from: string; to: string },
  ) {
    super(config);
  }

  override getRequestBuilderFactory(): ReturnType<Client['getRequestBuilderFactory']> {
    const build = super.getRequestBuilderFactory();
    return (method, path) => {
      const builder = build(method, path);
      // Read when the request is sent: the SDK asks for this factory inside its own constructor.
      builder.interceptRequest((request) => {
        const { from, to } = this.origin;
        return request.url.startsWith(from) ? { ...request, url: to + request.url.slice(from.length) } : request;
      });
      return builder;
    };
  }
}

export interface PaypalClientOptions {
  /** Another origin for PayPal's REST API (PAYPAL_API_URL); unset, PayPal's own for the mode. */
  apiUrl?: string;
  timeoutMs?: number;
}

export function paypalClient(credentials: PaypalCredentials, options: PaypalClientOptions = {}): Client {
  const config = {
    environment: credentials.mode === 'live' ? Environment.Production : Environment.Sandbox,
    timeout: options.timeoutMs ?? 20_000,
    clientCredentialsAuthCredentials: { oAuthClientId: credentials.clientId, oAuthClientSecret: credentials.clientSecret },
  };
  if (!options.apiUrl) return new Client(config);
  return new RedirectedClient(config, { from: PAYPAL_ORIGINS[credentials.mode], to: options.apiUrl.replace(/\/$/, '') });
}
