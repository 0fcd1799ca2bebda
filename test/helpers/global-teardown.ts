import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__SELLFLOW_TEST_DEV_SERVER__?.stop();
  if (globalThis.__SELLFLOW_TEST_DIR__) fs.rmSync(globalThis.__SELLFLOW_TEST_DIR__, { recursive: true, force: true });
}
