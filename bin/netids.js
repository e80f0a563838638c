#!/usr/bin/env node
// The `netids` command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import '../dist/cli/main.js';
