#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx compiles on load, so there is no build step.
require('tsx/cjs');
require('../src/cli/index.ts');
