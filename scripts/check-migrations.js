// A committed migration never changes: a database that already ran it would never see the
// edit, so every change to the schema is a new migration. Each migrations/NNNN_*.ts must read
// as it did in the commit that added it (or, for the few accepted below, in the commit named).
// Needs the git history (CI clones the whole repository). Plain Node, no dependencies.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const PRETTIER_OVER_THE_TREE = '81040c052802cfbfaf0d36f290ee73dcc1f9637e';

/**
 * Migrations changed after their first commit, before this check existed; none is changed again.
 * Four got new columns in review fixes while still unreleased (0007 in 5d80aa5, 0013 in 5d2f03e,
 * 0014 in bd431dc and f0bf4e7, 0015 in 11c5ffb); those and five more were then only reformatted
 * by prettier (81040c0). Their accepted content is the one after that reformat.
 */
const ACCEPTED = {
  'migrations/0002_catalog.ts': PRETTIER_OVER_THE_TREE,
  'migrations/0003_orders.ts': PRETTIER_OVER_THE_TREE,
  'migrations/0005_webhooks.ts': PRETTIER_OVER_THE_TREE,
  'migrations/0007_subscriptions.ts': PRETTIER_OVER_THE_TREE,
  'migrations/0011_support.ts': PRETTIER_OVER_THE_TREE,
  'migrations/0012_charges.ts': PRETTIER_OVER_THE_TREE,
  'migrations/0013_affiliates.ts': PRETTIER_OVER_THE_TREE,
  'migrations/0014_crypto_payments.ts': PRETTIER_OVER_THE_TREE,
  'migrations/0015_community.ts': PRETTIER_OVER_THE_TREE,
};

const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

/** Committed migrations whose content (in the work tree) differs from their accepted content. */
function changedMigrations() {
  if (git('rev-parse', '--is-shallow-repository') === 'true')
    throw new Error('check-migrations needs the full git history (not a shallow clone)');
  const committed = git('ls-files', '--', 'migrations/[0-9]*.ts').split('\n').filter(Boolean);
  const changed = [];
  for (const file of committed) {
    const added = git('log', '--diff-filter=A', '--format=%H', '--', file).split('\n').filter(Boolean).pop();
    if (!added) throw new Error(`${file}: no commit adds it`);
    const baseline = ACCEPTED[file] ?? added;
    try {
      execFileSync('git', ['diff', '--quiet', baseline, '--', file], { cwd: root });
    } catch {
      changed.push({ file, baseline });
    }
  }
  return changed;
}

if (require.main === module) {
  const changed = changedMigrations();
  for (const { file, baseline } of changed)
    console.error(
      `${file} changed since ${baseline.slice(0, 7)}: write a new migration instead (git diff ${baseline.slice(0, 7)} -- ${file})`,
    );
  if (changed.length > 0) process.exit(1);
  console.log('check-migrations: every committed migration is as it was committed');
}

module.exports = { changedMigrations };
