import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';

const ROOT = path.resolve(__dirname, '../..');
/**
 * What the bundle is made of: the workflows, what lint lets them import (the contracts they share
 * with clients, the pure domain code), and the SDK's version.
 */
const SOURCES = ['workflows', 'src/temporal/contracts', 'src/domain'];
const LOCKFILE = path.join(ROOT, 'package-lock.json');
export const BUNDLE_DIR = path.join(ROOT, 'dist');
const BUNDLE_FILE = path.join(BUNDLE_DIR, 'workflow-bundle.js');
const MANIFEST_FILE = path.join(BUNDLE_DIR, 'workflow-bundle.json');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : /\.(ts|js)$/.test(entry.name) ? [full] : [];
  });
}

/** A digest of every source the bundle is built from: a bundle whose digest differs is stale. */
export function workflowSourceDigest(): string {
  const hash = createHash('sha256');
  const files = SOURCES.flatMap((dir) => filesUnder(path.join(ROOT, dir))).sort();
  for (const file of [...files, LOCKFILE]) {
    hash.update(path.relative(ROOT, file));
    hash.update('\0');
    hash.update(fs.readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

export interface BuiltBundle {
  codePath: string;
  digest: string;
  /** False when an up-to-date bundle was already there. */
  built: boolean;
}

/**
 * The workflow bundle, built once (`sellflow build`, or the first worker start after a
 * change) and loaded by every later start: a restarted worker polls in seconds instead of
 * re-running webpack. The digest check means a stale bundle is never loaded.
 */
export async function workflowBundle(logger?: Logger, options: { rebuild?: boolean } = {}): Promise<BuiltBundle> {
  const digest = workflowSourceDigest();
  if (!options.rebuild && fs.existsSync(BUNDLE_FILE) && fs.existsSync(MANIFEST_FILE)) {
    const manifest = JSON.parse(fs.readFileSync(MANIFEST_FILE, 'utf8')) as { digest?: string };
    if (manifest.digest === digest) return { codePath: BUNDLE_FILE, digest, built: false };
  }
  logger?.info({ file: BUNDLE_FILE }, 'building the workflow bundle (workflow sources changed)');
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const quiet = {
    log: () => undefined,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (m: string) => logger?.error(m),
  };
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quiet });
  fs.mkdirSync(BUNDLE_DIR, { recursive: true });
  // Written aside and renamed: two workers starting together never read half a bundle.
  const suffix = `.${process.pid}.tmp`;
  fs.writeFileSync(BUNDLE_FILE + suffix, code);
  fs.renameSync(BUNDLE_FILE + suffix, BUNDLE_FILE);
  fs.writeFileSync(MANIFEST_FILE + suffix, JSON.stringify({ digest, built_at: new Date().toISOString() }));
  fs.renameSync(MANIFEST_FILE + suffix, MANIFEST_FILE);
  return { codePath: BUNDLE_FILE, digest, built: true };
}
