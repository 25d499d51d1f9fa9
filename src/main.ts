#!/usr/bin/env node
import { runCli } from './cli/run-cli.js';

const code = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  uid: process.getuid?.() ?? 0,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
// Handles the daemon held (sockets, timers) are closed by now; exit explicitly so a stray one
// cannot keep a finished command alive.
process.exitCode = code;
if (process.argv[2] === 'serve') process.exit(code);
