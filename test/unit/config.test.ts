import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

describe('config', () => {
  it('defaults to embedded infrastructure under .data', () => {
    const config = loadConfig({});
    expect(config.api.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.database.embeddedDir).toBe(path.resolve('.data', 'pglite'));
    expect(config.temporal.address).toBeUndefined();
    expect(config.temporal.devServer.dbFile).toBe(path.resolve('.data', 'temporal.sqlite'));
    expect(config.rateLimit).toEqual({ perMinute: 60, burst: 60, publicPerMinute: 600, publicBurst: 300 });
  });

  it('treats empty strings as unset and honours SELLFLOW_DATA_DIR', () => {
    const config = loadConfig({ DATABASE_URL: '  ', TEMPORAL_ADDRESS: '', SELLFLOW_DATA_DIR: '/tmp/sf' });
    expect(config.database.url).toBeUndefined();
    expect(config.temporal.address).toBeUndefined();
    expect(config.database.embeddedDir).toBe('/tmp/sf/pglite');
  });

  it('turns on TLS when a Temporal API key is given', () => {
    expect(loadConfig({ TEMPORAL_API_KEY: 'k' }).temporal.tls).toBe(true);
  });

  it('refuses invalid values with every problem named', () => {
    expect(() => loadConfig({ PORT: 'eighty', RATE_LIMIT_BURST: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty', RATE_LIMIT_BURST: '0' })).toThrow(/PORT[\s\S]*RATE_LIMIT_BURST/);
  });

  it('trusts X-Forwarded-For from loopback unless TRUST_PROXY says otherwise, in the forms Express accepts', () => {
    expect(loadConfig({}).api.trustProxy).toEqual(['loopback']);
    expect(loadConfig({ TRUST_PROXY: '2' }).api.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '0' }).api.trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: ' loopback, 10.0.0.0/8 ,fd00::/8, 192.168.1.1, 172.16.0.0/255.240.0.0' }).api.trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.168.1.1',
      '172.16.0.0/255.240.0.0',
    ]);
  });

  it('refuses a TRUST_PROXY Express would misread, naming the bad entries', () => {
    for (const bad of ['true', 'loopbak', '10.0.0.0/33', '10.0.0/8', '-1', '1.5', ', ,', 'fd00::/129'])
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY: expected a hop count/);
    expect(() => loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, proxy.internal' })).toThrow(/not "proxy.internal"$/m);
  });
});
