#!/usr/bin/env node
// The `llm-router` command (package.json "bin"): runs the TypeScript client through tsx, as the other tools do.
require('tsx/cjs');
require('./main.ts');
