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

export class GoToolUnavailableError extends Error {}

/** The `go` command: on PATH, or where Go's installers put it. */
export function goToolchain(searchPath: string): string | undefined {
  return onPath('go', searchPath) ?? ['/usr/local/go/bin/go', '/usr/lib/go/bin/go'].find(isExecutable);
}

export interface ResolveOptions {
  configuredPath?: string;
  searchPath: string;
  toolsBin?: string;
  /** Called with each line of build output, to show progress. */
  onProgress?: (line: string) => void;
}

/**
 * Finds a Go-built tool: the configured path, then `name` on PATH, then the cached
 * project-local build, and last builds it with `go install` into `.tools/bin`.
 */
export interface GoTool {
  name: string;
  module: string;
  configuredVariable: string;
  /** The file `go install` writes when it differs from `name` (the server's is a bare `server`). */
  binary?: string;
}

export async function resolveGoTool(tool: GoTool, options: ResolveOptions): Promise<{ path: string; source: string }> {
  if (options.configuredPath) {
    if (!isExecutable(options.configuredPath)) {
      throw new GoToolUnavailableError(`${tool.configuredVariable}=${options.configuredPath} is not an executable file`);
    }
    return { path: options.configuredPath, source: tool.configuredVariable };
  }
  const fromPath = onPath(tool.name, options.searchPath);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const toolsBin = options.toolsBin ?? PROJECT_TOOLS_BIN;
  const cached = path.join(toolsBin, tool.name);
  if (isExecutable(cached)) return { path: cached, source: 'cached build' };
  await goInstall(tool, toolsBin, options.searchPath, options.onProgress);
  return { path: cached, source: 'built now' };
}

/** The Temporal CLI: TEMPORAL_CLI_PATH, `temporal` on PATH, `.tools/bin/temporal`, or built now. */
export function resolveTemporalCli(options: ResolveOptions): Promise<{ path: string; source: string }> {
  return resolveGoTool({ name: 'temporal', module: TEMPORAL_CLI_MODULE, configuredVariable: 'TEMPORAL_CLI_PATH' }, options);
}

async function goInstall(tool: GoTool, toolsBin: string, searchPath: string, onProgress?: (line: string) => void): Promise<void> {
  const go = goToolchain(searchPath);
  if (!go) {
    throw new GoToolUnavailableError(
      `No ${tool.name} binary found and no Go toolchain to build one: install Go, put ${tool.name} on PATH${tool.name === 'temporal' ? ', set TEMPORAL_CLI_PATH, or set TEMPORAL_ADDRESS to use an existing cluster' : ''}`,
    );
  }
  fs.mkdirSync(toolsBin, { recursive: true });
  onProgress?.(`building ${tool.name}: go install ${tool.module} (first run only)`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', '-v', tool.module], {
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
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new GoToolUnavailableError(`go install exited with ${code}:\n${tail}`))));
  });
  if (tool.binary && tool.binary !== tool.name) fs.renameSync(path.join(toolsBin, tool.binary), path.join(toolsBin, tool.name));
  onProgress?.(`${tool.name} built in ${Math.round((Date.now() - started) / 1000)} s`);
}
