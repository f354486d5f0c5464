#!/usr/bin/env node
// The `vmm-debug` command (package bin): the bundled CLI.
require('../dist/cli.js').runCli(process.argv.slice(2));
