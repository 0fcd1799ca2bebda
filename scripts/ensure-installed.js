// Makes `npm start` and `npm test` work on a fresh clone: installs dependencies when
// node_modules is missing or older than the lockfile. Plain Node, no dependencies.
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const marker = path.join(root, 'node_modules', '.package-lock.json');
const lockfile = path.join(root, 'package-lock.json');

function stale() {
  if (!fs.existsSync(marker)) return true;
  return fs.existsSync(lockfile) && fs.statSync(lockfile).mtimeMs > fs.statSync(marker).mtimeMs + 1000;
}

if (stale()) {
  console.error('Installing dependencies (npm install)…');
  execSync('npm install --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
