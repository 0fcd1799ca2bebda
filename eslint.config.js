// Lint rules that guard Temporal's guarantees and the house's floors: no floating promises
// anywhere, workflow code limited to deterministic imports, the domain kept pure.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const noWorkflowImports = {
  regex: '^(\\.\\./)+workflows(/|$)',
  message: 'Import the contract from src/temporal/contracts, not the workflow.',
};

module.exports = tseslint.config(
  { ignores: ['node_modules/', '.data/', '.tools/', 'dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Clients meet workflows through src/temporal/contracts; only the worker names the
    // workflows folder (by path, for the bundle).
    files: ['src/**/*.ts', 'activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [noWorkflowImports],
        },
      ],
    },
  },
  {
    // Routes and middleware hold no query: they call a named service or lookup under
    // src/<domain>/ (lists: a builder from the domain, paged by src/api/paged-search.ts, which
    // with the search translator is all of src/api that writes SQL).
    files: ['src/api/**/*.ts'],
    ignores: ['src/api/paged-search.ts', 'src/api/search.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.property.name=/^(selectFrom|selectNoFrom|insertInto|replaceInto|updateTable|deleteFrom|mergeInto)$/]',
          message: 'No queries under src/api: call a named service or lookup in src/<domain>/ (see docs/architecture.md).',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kysely',
              importNames: ['sql'],
              message: 'No SQL under src/api: the query belongs to a service or lookup in src/<domain>/.',
            },
          ],
          patterns: [noWorkflowImports],
        },
      ],
    },
  },
  {
    // The domain is pure business rules (workflows use it): no Node built-ins, no database, no
    // randomness, nothing from the rest of src; only calendar and address arithmetic libraries.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\./|luxon$|ipaddr\\.js$)',
              message:
                'src/domain is pure: it imports only other domain files, luxon and ipaddr.js (I/O and randomness belong outside it).',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: it may use the SDK, the
    // contracts it shares with clients, pure domain rules and other workflow files, and sees
    // activities only through their types (proxyActivities).
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/(workflow|common)$|\\./|\\.\\./src/domain/|\\.\\./src/temporal/contracts/|\\.\\./activities/)',
              message:
                'Workflows import only @temporalio/workflow, @temporalio/common, src/temporal/contracts, src/domain and other workflows.',
            },
            { group: ['../activities/*'], allowTypeImports: true, message: 'Workflows see activities through their types only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
