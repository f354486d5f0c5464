// The whole test suite: the command README.md and .ci/run call.
// Builds the guest fixtures from source, lints (src/core purity), type-checks, bundles, then runs
// mocha over unit, CLI and DAP tests. Ends with the line `N passed, N failed`.
import { spawnSync } from 'node:child_process';

function step(title, cmd, args) {
  console.log(`\n== ${title}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.log(`\n${title} failed (exit ${r.status}).`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const grep = process.argv.slice(2);
step('guest fixtures', 'node', ['scripts/buildGuests.mjs']);
step('lint', 'npx', ['eslint', 'src', 'adapter', 'test']);
step('type-check (core, without Node types)', 'npx', ['tsc', '-p', 'src/core/tsconfig.json']);
step('compile', 'npx', ['tsc', '-p', '.']);
step('bundle', 'node', ['scripts/build.mjs']);
console.log('\n== mocha');
const r = spawnSync('npx', ['mocha', '--reporter', './scripts/summaryReporter.cjs', '--timeout', '20000',
  'out/test/**/*.test.js', ...grep], { stdio: 'inherit' });
process.exit(r.status ?? 1);
