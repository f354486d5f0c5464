#!/usr/bin/env node
// The @vscode/test-electron suite (e2e/electron/): extension-host API tests in a downloaded VS Code
// desktop build. Where VS Code cannot be downloaded (as on this project's machines: only the npm and
// Debian registries are reachable) or there is no display, it prints
//   test-electron: not run: <reason>
// and exits 0: it is reported as not run, never counted as passed. Where it runs, its result is mocha's
// ("extension host: N failed") and the exit code says pass or fail.
// Environment: VMM_E2E_TOOLS (default e2e/.tools), VMM_E2E_CACHE (download cache, default
// /var/cache/vmm-debug-e2e), VMM_E2E_VSCODE_VERSION (default 1.100.3).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = resolve(process.env.VMM_E2E_TOOLS ?? join(ROOT, 'e2e', '.tools'));
const CACHE = process.env.VMM_E2E_CACHE ?? '/var/cache/vmm-debug-e2e';
const VERSION = process.env.VMM_E2E_VSCODE_VERSION ?? '1.100.3';

// The outcome also goes to a file that scripts/e2e.mjs (run next by `npm run test:e2e`) reads and
// deletes, so the suite's summary line counts this suite as not run, with the reason.
const STATUS = join(ROOT, 'artifacts', 'e2e-electron.json');
function record(status, reason) {
  try { mkdirSync(dirname(STATUS), { recursive: true }); writeFileSync(STATUS, JSON.stringify({ status, reason }) + '\n'); } catch { /* the console line says it */ }
}
function notRun(reason) {
  console.log(`test-electron: not run: ${reason}`);
  record('not run', reason);
  process.exit(0);
}

if (!existsSync(join(TOOLS, 'node_modules', '@vscode', 'test-electron'))) notRun(`@vscode/test-electron is not installed in ${TOOLS} (scripts/e2e-setup.sh installs it)`);
if (!existsSync(join(ROOT, 'dist', 'extension.js'))) notRun('dist/extension.js is missing (npm run build)');
const require = createRequire(join(TOOLS, 'package.json'));
const { downloadAndUnzipVSCode, runTests, SilentReporter } = require('@vscode/test-electron');

let vscodeExecutable;
try {
  mkdirSync(join(CACHE, 'vscode-test'), { recursive: true });
  const timeout = 30_000;
  vscodeExecutable = await Promise.race([
    downloadAndUnzipVSCode({ version: VERSION, cachePath: join(CACHE, 'vscode-test'), timeout, reporter: new SilentReporter() }),
    new Promise((_, rej) => setTimeout(() => rej(new Error(`no answer within ${timeout / 1000}s`)), timeout + 5_000).unref()),
  ]);
} catch (e) {
  notRun(`cannot download VS Code ${VERSION} (${String(e?.message ?? e).split('\n')[0]})`);
}

// Electron needs a display: an X server, or xvfb-run to make one.
const needXvfb = !process.env.DISPLAY;
if (needXvfb && spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).error) notRun('no X display and no xvfb-run (apt-get install xvfb)');

if (needXvfb && !process.env.VMM_E2E_UNDER_XVFB) {
  // runTests spawns VS Code itself: run this script again under xvfb-run (the download is cached).
  const r = spawnSync('xvfb-run', ['-a', process.execPath, fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, VMM_E2E_UNDER_XVFB: '1' } });
  process.exit(r.status ?? 1);
}

const work = mkdtempSync(join(tmpdir(), 'vmm-electron-'));
try {
  const args = ['--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes',
    `--user-data-dir=${join(work, 'user-data')}`, `--extensions-dir=${join(work, 'extensions')}`, ROOT];
  await runTests({
    vscodeExecutablePath: vscodeExecutable,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: join(ROOT, 'e2e', 'electron', 'index.cjs'),
    launchArgs: args,
  });
  console.log('test-electron: extension-host tests passed');
  record('passed', '');
} catch (e) {
  console.log(`test-electron: failed: ${String(e?.message ?? e).split('\n')[0]}`);
  record('failed', String(e?.message ?? e).split('\n')[0]);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
