import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** v1.5.1 is the newest tag `go install` accepts (later ones carry a `replace` directive). */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const PROJECT_TOOLS_BIN = path.join(PROJECT_ROOT, '.tools', 'bin');

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, searchPath: string): string | undefined {
  return searchPath
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, name))
    .find(isExecutable);
}

export class TemporalCliUnavailableError extends Error {}

export interface ResolveOptions {
  configuredPath?: string;
  searchPath: string;
  toolsBin?: string;
  /** Called with each line of build output, to show progress. */
  onProgress?: (line: string) => void;
}

/**
 * Finds the Temporal CLI: TEMPORAL_CLI_PATH, then `temporal` on PATH, then the cached
 * project-local build, and last builds it with `go install` into `.tools/bin`.
 */
export async function resolveTemporalCli(options: ResolveOptions): Promise<{ path: string; source: string }> {
  if (options.configuredPath) {
    if (!isExecutable(options.configuredPath)) {
      throw new TemporalCliUnavailableError(`TEMPORAL_CLI_PATH=${options.configuredPath} is not an executable file`);
    }
    return { path: options.configuredPath, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal', options.searchPath);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const toolsBin = options.toolsBin ?? PROJECT_TOOLS_BIN;
  const cached = path.join(toolsBin, 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cached build' };
  await buildTemporalCli(toolsBin, options.searchPath, options.onProgress);
  return { path: cached, source: 'built now' };
}

async function buildTemporalCli(toolsBin: string, searchPath: string, onProgress?: (line: string) => void): Promise<void> {
  const go = onPath('go', searchPath) ?? ['/usr/local/go/bin/go', '/usr/lib/go/bin/go'].find(isExecutable);
  if (!go) {
    throw new TemporalCliUnavailableError(
      'No Temporal CLI found and no Go toolchain to build one: set TEMPORAL_CLI_PATH, put `temporal` on PATH, install Go, or set TEMPORAL_ADDRESS to use an existing cluster',
    );
  }
  fs.mkdirSync(toolsBin, { recursive: true });
  onProgress?.(`building the Temporal CLI: go install ${TEMPORAL_CLI_MODULE} (first run only, a few minutes)`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', '-v', TEMPORAL_CLI_MODULE], {
      env: { ...process.env, GOBIN: toolsBin, GOTOOLCHAIN: 'auto', GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let packages = 0;
    let tail = '';
    const onOutput = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4_000);
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        packages += 1;
        if (packages % 100 === 0) onProgress?.(`  … ${packages} packages compiled (${Math.round((Date.now() - started) / 1000)} s)`);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new TemporalCliUnavailableError(`go install exited with ${code}:\n${tail}`)),
    );
  });
  onProgress?.(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s`);
}
