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
/** Where a traced bundle takes its workflow interceptors from (its spans leave the sandbox through the `exporter` sink). */
const TRACING_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

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
export async function workflowBundle(logger?: Logger, options: { rebuild?: boolean; tracing?: boolean } = {}): Promise<BuiltBundle> {
  const digest = workflowSourceDigest();
  // A traced worker's bundle has OpenTelemetry's workflow interceptors; an untraced one has none of that code.
  const name = options.tracing ? 'workflow-bundle-traced' : 'workflow-bundle';
  const bundleFile = path.join(BUNDLE_DIR, `${name}.js`);
  const manifestFile = path.join(BUNDLE_DIR, `${name}.json`);
  if (!options.rebuild && fs.existsSync(bundleFile) && fs.existsSync(manifestFile)) {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { digest?: string };
    if (manifest.digest === digest) return { codePath: bundleFile, digest, built: false };
  }
  logger?.info({ file: bundleFile }, 'building the workflow bundle (workflow sources changed)');
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const quiet = {
    log: () => undefined,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (m: string) => logger?.error(m),
  };
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: options.tracing ? [TRACING_INTERCEPTORS] : [],
    logger: quiet,
  });
  fs.mkdirSync(BUNDLE_DIR, { recursive: true });
  // Written aside and renamed: two workers starting together never read half a bundle.
  const suffix = `.${process.pid}.tmp`;
  fs.writeFileSync(bundleFile + suffix, code);
  fs.renameSync(bundleFile + suffix, bundleFile);
  fs.writeFileSync(manifestFile + suffix, JSON.stringify({ digest, built_at: new Date().toISOString() }));
  fs.renameSync(manifestFile + suffix, manifestFile);
  return { codePath: bundleFile, digest, built: true };
}
