#!/usr/bin/env node
// End-to-end suite in a real VS Code (npm run test:e2e; scripts/e2e-setup.sh installs the tools first).
//
// VS Code's desktop build cannot be downloaded here, so the suite uses code-server 4.100.3 (VS Code
// 1.100.3's workbench served to a browser) driven by Debian's chromium through playwright-core:
//   1. packages the extension (npm run package → vmm-debug.vsix) and installs it into a code-server
//      with a throwaway user-data and extensions directory (HOME, XDG_* and TMPDIR isolated too);
//   2. opens a generated workspace with the OS fixture: build/guests/teachos.img (docs/teachos.md) as the
//      disk image booted from its boot sector, teachos.elf as `symbols` (kernel C source), two vCPUs;
//      presses F5, waits for the stop on entry (boot sector, no source: focuses vcpu0's frame as a user
//      would), expands the VMCS scope in Variables;
//   3. adds a function breakpoint on seg_init from the Breakpoints view and continues: the kernel's C
//      source shows, paging is on; checks "VM exit: I/O instruction" in Breakpoints, continues, and
//      waits for the exception widget naming IO_INSTRUCTION and the VM-exit information fields;
//   4. steps back twice (out of the exit, then back in time) and checks that Call Stack, the exception
//      widget and the status bar's instruction count follow;
//   5. opens the Disassembly view, the exit timeline and the address-translation view (eip, walked
//      through the guest's page directory and page table, then EPT), then stops the session.
// Each step takes a screenshot into artifacts/e2e/; the DAP traffic (VMM_DEBUG_DAP_LOG, written by
// src/extension/trackerFactory.ts) is checked for what crossed the wire. Every wait has a time limit
// and fails naming what did not appear; a failed step also writes failed-N.txt (tabs, quick input,
// notifications, Call Stack, Variables, unanswered DAP requests) and failed-N.html (the DOM).
// Last line: "e2e: N passed, N failed".
//
// Options (environment): VMM_E2E_TOOLS (default e2e/.tools), VMM_E2E_KEEP=1 keeps the run directory,
// VMM_E2E_NO_PACKAGE=1 reuses an existing vmm-debug.vsix, VMM_E2E_HEADED=1 shows the browser,
// VMM_E2E_UPDATE_MEDIA=1 copies the chosen screenshots to media/screenshots/ (done in CI too when
// they are missing).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = resolve(process.env.VMM_E2E_TOOLS ?? join(ROOT, 'e2e', '.tools'));
const ART = join(ROOT, 'artifacts', 'e2e');
const MEDIA = join(ROOT, 'media', 'screenshots');
const VSIX = join(ROOT, 'vmm-debug.vsix');
const GUEST = { img: join(ROOT, 'build', 'guests', 'teachos.img'), elf: join(ROOT, 'build', 'guests', 'teachos.elf') };
const SMP = 2; // teachos on two vCPUs: Call Stack shows a thread per vCPU
const KERNEL_FUNCTION = 'seg_init'; // teachos/kernel/seg.c: kmain calls it right after paging_enable()
const TRANSLATE = 'eip'; // the address the translation view is asked for: in the kernel, paging on
const CHROMIUM = process.env.VMM_E2E_CHROMIUM ?? '/usr/bin/chromium';
const SUITE_LIMIT_MS = 8 * 60_000; // the whole suite, after setup
const t0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;
const log = (msg) => console.log(`[e2e ${secs(Date.now() - t0).padStart(6)}] ${msg}`);

// ---- the run's throwaway world ---------------------------------------------------------------------
const RUN = mkdtempSync(join(tmpdir(), 'vmm-e2e-'));
const dirs = {
  home: join(RUN, 'home'), tmp: join(RUN, 'tmp'), data: join(RUN, 'user-data'), ext: join(RUN, 'extensions'),
  ws: join(RUN, 'workspace'), chrome: join(RUN, 'chromium'),
};
for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
const DAP_LOG = join(RUN, 'dap.jsonl');
const SERVER_LOG = join(RUN, 'code-server.log');

/** Environment of code-server and the extension host: isolated, and without the caller's editor. */
function isolatedEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VSCODE_|ELECTRON_|CODE_SERVER|PASSWORD|HASHED_PASSWORD|GITHUB_TOKEN)/.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env, HOME: dirs.home, TMPDIR: dirs.tmp, XDG_CONFIG_HOME: join(dirs.home, '.config'),
    XDG_DATA_HOME: join(dirs.home, '.local/share'), XDG_CACHE_HOME: join(dirs.home, '.cache'),
    XDG_RUNTIME_DIR: join(dirs.tmp, 'xdg-runtime'), ...extra,
  };
}

// ---- results ---------------------------------------------------------------------------------------
const results = []; // { name, status: 'passed'|'failed'|'skipped', ms, detail }
let failedHard = false;
const children = [];
let browser;

async function step(name, fn, { optional = false } = {}) {
  if (failedHard) { results.push({ name, status: 'skipped', ms: 0, detail: 'an earlier step failed' }); return; }
  const s = Date.now();
  log(`step: ${name}`);
  try {
    const detail = await fn();
    if (detail && typeof detail === 'object' && detail.skip) {
      results.push({ name, status: 'skipped', ms: Date.now() - s, detail: detail.skip });
      log(`  skipped: ${detail.skip}`);
    } else {
      results.push({ name, status: 'passed', ms: Date.now() - s, detail: typeof detail === 'string' ? detail : '' });
      log(`  ok (${secs(Date.now() - s)})${typeof detail === 'string' && detail ? ': ' + detail : ''}`);
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    results.push({ name, status: 'failed', ms: Date.now() - s, detail: msg });
    log(`  FAILED: ${e instanceof Error ? e.message : String(e)}`);
    await shot(`failed-${results.length}`).catch(() => {});
    await diagnose(`failed-${results.length}`).catch(() => {});
    if (!optional) failedHard = true;
  }
}

/** Waits until `probe()` returns a truthy value; fails naming `what` after `ms`. */
async function until(what, probe, ms = 30_000, every = 200) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try { const v = await probe(); if (v) return v; } catch (e) { if (e?.fatal) throw e; last = e; }
    if (Date.now() > end) {
      throw new Error(`timed out after ${secs(ms)} waiting for ${what}${last ? ` (last error: ${String(last.message ?? last).split('\n')[0]})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

/** A locator that must become visible within `ms`; the error names `what`. */
async function visible(locator, what, ms = 20_000) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: ms });
    return locator.first();
  } catch {
    throw new Error(`timed out after ${secs(ms)} waiting for ${what} to appear`);
  }
}

let page;
const consoleLines = [];
let shotNo = 0;
const shots = [];
async function shot(name) {
  if (!page) return undefined;
  const file = join(ART, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, timeout: 15_000 });
  shots.push(file);
  return file;
}

/**
 * What the workbench showed when a step failed, as text beside the screenshot: editor tabs, the quick
 * input (title, prompt, value), notifications, the Call Stack and Variables rows, the DAP requests
 * still unanswered, and the page's DOM. A CI failure is then readable without rerunning it.
 */
async function diagnose(name) {
  if (!page) return;
  const texts = (sel) => page.locator(sel).evaluateAll((els) => els.map((e) => e.innerText.replace(/\s+/g, ' ').trim()).filter(Boolean));
  const quick = page.locator('.quick-input-widget');
  const q = (await quick.count()) && (await quick.first().isVisible())
    ? { title: await texts('.quick-input-widget .quick-input-title'), message: await texts('.quick-input-widget .quick-input-message'),
      value: await page.locator('.quick-input-widget input').first().inputValue().catch(() => '?') }
    : 'hidden';
  const msgs = dapMessages();
  const answered = new Set(msgs.filter((m) => m.dir === 'fromAdapter' && m.msg.type === 'response').map((m) => m.msg.request_seq));
  const pending = msgs.filter((m) => m.dir === 'toAdapter' && m.msg.type === 'request' && !answered.has(m.msg.seq)).map((m) => `${m.msg.seq} ${m.msg.command}`);
  const lines = [
    `tabs: ${JSON.stringify(await texts('.tabs-container .tab'))}`,
    `quick input: ${JSON.stringify(q)}`,
    `notifications: ${JSON.stringify(await texts('.notifications-toasts .notification-list-item-message, .notifications-center .notification-list-item-message'))}`,
    `call stack: ${JSON.stringify(await texts('.debug-call-stack .monaco-list-row'))}`,
    `variables: ${JSON.stringify((await texts('.debug-variables .monaco-list-row')).slice(0, 40))}`,
    `DAP requests without a response: ${JSON.stringify(pending)}`,
    `last DAP messages: ${msgs.slice(-6).map((m) => `${m.dir} ${m.msg?.type ?? ''} ${m.msg?.command ?? m.msg?.event ?? ''}`).join(' | ')}`,
  ];
  writeFileSync(join(ART, `${name}.txt`), lines.join('\n') + '\n');
  writeFileSync(join(ART, `${name}.html`), await page.content());
  for (const l of lines) log(`  ${l.slice(0, 400)}`);
}

// ---- DAP log (written by the extension's tracker) -----------------------------------------------------
function dapMessages() {
  if (!existsSync(DAP_LOG)) return [];
  return readFileSync(DAP_LOG, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
const events = (name) => dapMessages().filter((m) => m.dir === 'fromAdapter' && m.msg.type === 'event' && m.msg.event === name).map((m) => m.msg);
const stoppedEvents = () => events('stopped');
/** Requests for `command` sent after request number `after` (VS Code numbers its requests in order). */
function requestsOf(command, after = 0) {
  return dapMessages().filter((m) => m.dir === 'toAdapter' && m.msg.type === 'request' && m.msg.command === command && m.msg.seq > after).map((m) => m.msg);
}
function responsesTo(command, after = 0) {
  const msgs = dapMessages();
  const seqs = new Set(requestsOf(command, after).map((m) => m.seq));
  return msgs.filter((m) => m.dir === 'fromAdapter' && m.msg.type === 'response' && seqs.has(m.msg.request_seq)).map((m) => m.msg);
}
/** The top frame of the newest stackTrace response (what Call Stack shows first). */
function lastTopFrame() {
  const r = responsesTo('stackTrace').filter((m) => m.body?.stackFrames?.length).at(-1);
  return r?.body.stackFrames[0];
}
/** The status bar's short count (src/extension/vmmViews.ts short()). */
const shortCount = (n) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
const frameKey = (f) => `${f.name ?? '?'} ${f.source?.name ?? ''}:${f.line ?? ''} ${f.instructionPointerReference ?? ''}`.trim();
const lastRequestSeq = () => Math.max(0, ...dapMessages().filter((m) => m.dir === 'toAdapter' && m.msg.type === 'request').map((m) => m.msg.seq));

// ---- helpers -----------------------------------------------------------------------------------------
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}${r.error ? ` (${r.error.message})` : ''}\n${out}`);
  }
  return r.stdout;
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => res(port)); });
  });
}

/**
 * Runs a command from the palette. With `answer`, the command is expected to ask for an argument in an
 * input box whose prompt matches `prompt`: the suite waits for exactly that input box (not "any quick
 * input": under load the palette lingers, and an input box can take seconds to come back from the
 * extension host), types the answer, checks it landed there, and waits for the box to close.
 */
async function command(title, { answer, prompt } = {}) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input').first();
  // F1 typed while a webview has focus goes through the webview's key forwarding: press again if the
  // palette is not up yet (F1 toggles nothing else, and a second press on an open palette is harmless).
  await until('the command palette', async () => {
    if (await input.isVisible() && (await input.inputValue()).startsWith('>')) return true;
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 5000 }).catch(() => {});
    return (await input.isVisible()) && (await input.inputValue()).startsWith('>');
  }, 30_000, 100);
  await input.fill(`>${title}`);
  const item = await visible(page.locator('.quick-input-list .monaco-list-row', { hasText: title }), `the command "${title}" in the palette`, 15_000);
  await item.click();
  // The palette lingers for a frame or two after the click; a command that prompts next (an input box)
  // reuses the same widget, so wait until it is gone or no longer holds the '>' palette text.
  await until('the command palette to close', async () => !(await input.isVisible()) || !(await input.inputValue()).startsWith('>'), 15_000);
  if (answer === undefined) return;
  const box = widget.filter({ hasText: prompt });
  const asked = Date.now();
  await visible(box, `the input box of "${title}" (prompt /${prompt.source}/)`, 30_000);
  log(`  the input box of "${title}" appeared ${secs(Date.now() - asked)} after the palette closed`);
  await input.fill(answer);
  await until(`"${answer}" typed into the input box of "${title}"`, async () => (await input.inputValue()) === answer, 5000);
  await input.press('Enter');
  await until(`the input box of "${title}" to close after Enter`, async () => !(await box.first().isVisible()), 15_000);
}

/** A pane of the Run and Debug view by its title (Variables, Breakpoints, ...), expanded. */
async function pane(title) {
  const header = await visible(page.locator(`.pane-header[aria-label^="${title}"]`), `the ${title} section of Run and Debug`);
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  return header.locator('xpath=..');
}

/**
 * The text of the webview (an iframe inside an iframe in code-server) whose body matches `re`: proof the
 * panel rendered its HTML, not just that a tab exists.
 */
async function webviewText(re, what, ms = 20_000) {
  return until(what, async () => {
    for (const f of page.frames()) {
      const t = await f.evaluate(() => document.body?.innerText ?? '').catch(() => '');
      if (re.test(t)) return t;
    }
    return undefined;
  }, ms);
}

/** Scrolls the list of a pane to its end (wheel over the list: rows past the visible part are not rendered). */
async function scrollToEnd(paneBody, key = 'End') {
  // The list's own keyboard handling (focus first/last and reveal) scrolls exactly; a mouse wheel
  // scrolls smoothly and may leave a row half under the pane header.
  await paneBody.locator('.monaco-list').first().focus();
  await page.keyboard.press(key);
  await page.mouse.move(2, 2); // no hover tooltip over the rows
}
const scrollToStart = (paneBody) => scrollToEnd(paneBody, 'Home');

/** Lets the workbench finish painting (tree refreshes, spinners) before a screenshot. */
async function settle() {
  await until('progress indicators to stop', async () => (await page.locator('.part.sidebar .codicon-loading, .part.sidebar .codicon-tree-item-loading').count()) === 0, 10_000).catch(() => {});
  await page.waitForTimeout(400);
}

/** The enabled sashes (split-view handles) of the workbench: centre, size, orientation. */
async function sashes() {
  return (await page.locator('.monaco-sash').evaluateAll((els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return { cls: e.className, x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width, h: r.height };
  }))).filter((s) => s.w > 0 && s.h > 0 && !/disabled/.test(s.cls));
}

async function drag(x, y, dx, dy) {
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx, y + dy, { steps: 10 });
  await page.mouse.up();
}

/** Wider side bar, Watch collapsed, Variables taller, bottom panel closed: room for the screenshots. */
async function tidyLayout() {
  await command('View: Close Panel').catch(() => page.keyboard.press('Escape'));
  const bar = await page.locator('.part.sidebar').first().boundingBox();
  const edge = bar && (await sashes()).find((s) => /vertical/.test(s.cls) && Math.abs(s.x - (bar.x + bar.width)) < 6);
  if (edge && bar.width < 460) await drag(edge.x, bar.y + bar.height / 2, 480 - bar.width, 0);
  // Pane sashes, top to bottom: Variables|Watch, Watch|Call Stack, Call Stack|Breakpoints. Variables
  // gets most of the height, Watch the least.
  const targets = { Watch: 590, 'Call Stack': 640, Breakpoints: 790 };
  for (const [title, y] of Object.entries(targets)) {
    const header = await page.locator(`.pane-header[aria-label^="${title}"]`).first().boundingBox();
    const sash = header && (await sashes()).filter((s) => /horizontal/.test(s.cls) && s.x > bar.x && s.x < bar.x + 600
      && Math.abs(s.y - header.y) < 6).at(0);
    if (sash) await drag(sash.x, sash.y, 0, y - sash.y);
  }
  const watch = page.locator('.pane-header[aria-label^="Watch"]').first();
  if ((await watch.count()) && (await watch.getAttribute('aria-expanded')) === 'true') await watch.click();
  await page.waitForTimeout(300);
}

/**
 * Makes sure a stack frame of `thread` is focused (Variables then has scopes): expands the thread row
 * when Call Stack shows threads, and clicks the top frame when no scopes were asked for since `seq`.
 */
async function focusTopFrame(callStack, thread, seq = 0) {
  if (requestsOf('scopes', seq).length) return;
  const threadRow = callStack.locator('.monaco-list-row').filter({ has: page.locator('.thread .name', { hasText: new RegExp(`^${thread}$`) }) }).first();
  // The Call Stack tree expands a row on its twistie only (a click on the label selects the thread).
  if ((await threadRow.count()) && (await threadRow.getAttribute('aria-expanded')) === 'false') await threadRow.locator('.monaco-tl-twistie').click();
  const frame = await visible(callStack.locator('.monaco-list-row[aria-level="2"], .monaco-list-row .stack-frame').first(), `the top stack frame of ${thread} in Call Stack`, 20_000);
  if (requestsOf('scopes', seq).length) return;
  await frame.click();
  await until(`a scopes request after focusing the top frame of ${thread}`, () => requestsOf('scopes', seq).length > 0, 20_000);
}

/** Expands the scope whose label matches `re`; returns the labels of its children (checked to exist). */
async function expandScope(view, re, what) {
  const row = await visible(view.locator('.monaco-list-row').filter({ hasText: re }), what);
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  return until(`children under ${what}`, async () => {
    const rows = await view.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => ({ level: Number(e.getAttribute('aria-level')), text: e.innerText.replace(/\s+/g, ' ').trim() })));
    const i = rows.findIndex((r) => re.test(r.text));
    if (i < 0) return undefined;
    const kids = [];
    for (let j = i + 1; j < rows.length && rows[j].level > rows[i].level; j++) if (rows[j].level === rows[i].level + 1) kids.push(rows[j].text);
    return kids.length ? kids : undefined;
  }, 20_000);
}

async function collapseScope(view, re) {
  const row = view.locator('.monaco-list-row').filter({ hasText: re }).first();
  if ((await row.count()) && (await row.getAttribute('aria-expanded')) === 'true') await row.click();
}

function extHostReady() {
  const logs = join(dirs.data, 'logs');
  if (!existsSync(logs)) return false;
  for (const session of readdirSync(logs)) {
    const dir = join(logs, session);
    for (const sub of existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith('exthost')) : []) {
      const f = join(dir, sub, 'remoteexthost.log');
      if (existsSync(f) && readFileSync(f, 'utf8').includes('Eager extensions activated')) return true;
    }
  }
  return false;
}

const codeServerBin = join(TOOLS, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

async function main() {
  const watchdog = setTimeout(() => {
    console.error(`e2e: the suite exceeded its limit of ${secs(SUITE_LIMIT_MS)}; stopping everything`);
    console.log(`e2e: ${results.filter((r) => r.status === 'passed').length} passed, ${results.filter((r) => r.status === 'failed').length + 1} failed`);
    cleanup().finally(() => process.exit(1));
  }, SUITE_LIMIT_MS);
  watchdog.unref();

  rmSync(ART, { recursive: true, force: true });
  mkdirSync(ART, { recursive: true });
  if (!existsSync(codeServerBin)) throw new Error(`code-server is not installed at ${TOOLS} (run scripts/e2e-setup.sh first)`);
  const require = createRequire(join(TOOLS, 'package.json'));
  const { chromium } = require('playwright-core');
  log(`run directory ${RUN}`);

  await step('package the extension (npm run package)', async () => {
    if (process.env.VMM_E2E_NO_PACKAGE && existsSync(VSIX)) return 'reused vmm-debug.vsix';
    run('npm', ['run', '--silent', 'package'], { cwd: ROOT });
    if (!existsSync(VSIX)) throw new Error('npm run package did not produce vmm-debug.vsix');
    return `vmm-debug.vsix, ${(readFileSync(VSIX).length / 1024).toFixed(0)} KiB`;
  });

  let contributes = {};
  await step('install the .vsix into code-server', async () => {
    const out = run(process.execPath, [codeServerBin, '--user-data-dir', dirs.data, '--extensions-dir', dirs.ext,
      '--install-extension', VSIX, '--force'], { env: isolatedEnv(), cwd: dirs.tmp, timeout: 120_000 });
    const installed = readdirSync(dirs.ext).find((d) => d.startsWith('vmm-debug.vmm-debug'));
    if (!installed) throw new Error(`the extension is not in ${dirs.ext} after --install-extension:\n${out}`);
    contributes = JSON.parse(readFileSync(join(dirs.ext, installed, 'package.json'), 'utf8')).contributes ?? {};
    return installed;
  });

  // The sample workspace: the teaching OS (docs/teachos.md) as a raw disk image booted from its boot
  // sector, with the kernel's ELF as `symbols` so the kernel's C source shows, and a launch.json.
  for (const f of Object.values(GUEST)) if (!existsSync(f)) throw new Error(`${f} is missing (npm run guests builds it)`);
  mkdirSync(join(dirs.ws, '.vscode'), { recursive: true });
  copyFileSync(GUEST.img, join(dirs.ws, 'teachos.img'));
  copyFileSync(GUEST.elf, join(dirs.ws, 'teachos.elf'));
  writeFileSync(join(dirs.ws, '.vscode', 'launch.json'), JSON.stringify({
    version: '0.2.0',
    configurations: [{
      type: 'vmm', request: 'launch', name: 'Debug teachos', image: '${workspaceFolder}/teachos.img',
      symbols: ['${workspaceFolder}/teachos.elf'], smp: SMP, stopOnEntry: true,
    }],
  }, null, 2));
  mkdirSync(join(dirs.data, 'User'), { recursive: true });
  writeFileSync(join(dirs.data, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.commandCenter.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': false,
    'debug.openDebug': 'openOnSessionStart',
    'debug.toolBarLocation': 'floating',
    'debug.internalConsoleOptions': 'neverOpen',
    'window.commandCenter': false,
    'editor.minimap.enabled': false,
    'git.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
  }, null, 2));

  let url;
  await step('start code-server on 127.0.0.1', async () => {
    const port = await freePort();
    writeFileSync(join(RUN, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
    const args = [codeServerBin, '--config', join(RUN, 'config.yaml'), '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
      '--user-data-dir', dirs.data, '--extensions-dir', dirs.ext, '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override', '--disable-proxy', dirs.ws];
    const { openSync } = await import('node:fs');
    const fd = openSync(SERVER_LOG, 'a');
    const cs = spawn(process.execPath, args, { env: isolatedEnv({ VMM_DEBUG_DAP_LOG: DAP_LOG }), cwd: dirs.ws, stdio: ['ignore', fd, fd], detached: true });
    children.push(cs);
    let exited;
    cs.on('exit', (code, sig) => { exited = `code-server exited (${code ?? sig}); see ${SERVER_LOG}`; });
    await until(`code-server to answer on http://127.0.0.1:${port}/healthz`, async () => {
      if (exited) throw Object.assign(new Error(exited), { fatal: true });
      const r = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return r?.ok;
    }, 60_000, 250);
    url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.ws)}`;
    return `127.0.0.1:${port}`;
  });

  await step('open the workspace in chromium', async () => {
    // A persistent context is how playwright takes a fresh --user-data-dir of our own.
    browser = await chromium.launchPersistentContext(dirs.chrome, {
      executablePath: CHROMIUM,
      headless: !process.env.VMM_E2E_HEADED,
      env: isolatedEnv(),
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
      viewport: { width: 1600, height: 1000 },
      deviceScaleFactor: 1,
      timeout: 60_000,
    }).catch((e) => { throw new Error(`cannot launch ${CHROMIUM}: ${e.message.split('\n')[0]}`); });
    page = browser.pages()[0] ?? await browser.newPage();
    page.setDefaultTimeout(20_000);
    page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await visible(page.locator('.monaco-workbench'), 'the VS Code workbench', 60_000);
    await visible(page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'teachos.img' }), 'teachos.img in the Explorer', 60_000);
    await shot('workspace');
  });

  await step('F5 starts debugging and stops on entry', async () => {
    // F5 before the extension host has registered the extensions makes VS Code look for a `vmm`
    // debugger in the marketplace: wait for the host's "Eager extensions activated" first.
    await until('the extension host to start (remoteexthost.log: "Eager extensions activated")', () => extHostReady(), 60_000, 250);
    await page.locator('.part.editor').first().click({ position: { x: 300, y: 200 } });
    await page.keyboard.press('F5');
    await until('a stopped event with reason "entry" in the DAP log', () => stoppedEvents().find((e) => e.body.reason === 'entry'), 60_000);
    await visible(page.locator('.debug-toolbar'), 'the debug toolbar');
    const callStack = await pane('Call Stack');
    // One thread: VS Code shows its state in the section header; several: on each thread row.
    await visible(callStack.locator('.pane-header, .monaco-list-row').filter({ hasText: /paused on entry/i }), '"Paused on entry" in Call Stack', 20_000);
    // The entry is the boot sector at 0x7c00: no source, and with a thread per vCPU VS Code then leaves
    // the thread collapsed and no frame focused (Variables empty). Do what a user does: expand vcpu0 and
    // click its top frame (VS Code then asks for its scopes and shows the Disassembly view).
    await focusTopFrame(callStack, 'vcpu0');
    await tidyLayout();
    await settle();
    await shot('stopped-on-entry');
  });

  await step('Variables shows the VMCS scope (expanded)', async () => {
    const variables = await pane('Variables');
    const groups = await expandScope(variables, /^VMCS\b/, 'the VMCS scope in Variables');
    await settle();
    await shot('vmcs-scope');
    return `VMCS groups: ${groups.join(' | ')}`;
  });

  // Into the kernel: a function breakpoint on seg_init (seg.c, called after paging_enable()), added
  // from the Breakpoints view's title action; the stop shows the kernel's C source from the symbols ELF.
  await step(`add a function breakpoint on ${KERNEL_FUNCTION} and continue into the kernel`, async () => {
    const bps = await pane('Breakpoints');
    const header = bps.locator('.pane-header').first();
    await header.hover();
    const add = await visible(bps.locator('.pane-header .action-label[aria-label^="Add Function Breakpoint"]'), 'the "Add Function Breakpoint" action of Breakpoints', 10_000);
    await add.click();
    // The new row goes after the ~40 exception filters, below the visible part of the (virtual) list:
    // scroll the list to its end until the input is rendered.
    const input = bps.locator('.monaco-list-row .monaco-inputbox input').first();
    await until('the function breakpoint input in Breakpoints', async () => {
      if (await input.isVisible()) return true;
      await scrollToEnd(bps);
      return input.isVisible();
    }, 15_000);
    await input.fill(KERNEL_FUNCTION);
    await until(`"${KERNEL_FUNCTION}" typed into the function breakpoint input`, async () => (await input.inputValue()) === KERNEL_FUNCTION, 5000);
    const seq = lastRequestSeq();
    await input.press('Enter');
    const r = await until(`the response to setFunctionBreakpoints naming ${KERNEL_FUNCTION} in the DAP log`, () => responsesTo('setFunctionBreakpoints', seq)
      .find((m) => m.body?.breakpoints?.length), 20_000);
    if (!r.body.breakpoints[0].verified) throw new Error(`the adapter did not verify the breakpoint on ${KERNEL_FUNCTION}: ${r.body.breakpoints[0].message ?? JSON.stringify(r.body.breakpoints[0])}`);
    await until(`the ${KERNEL_FUNCTION} breakpoint in Breakpoints`, async () => {
      await scrollToEnd(bps);
      return bps.locator('.monaco-list-row', { hasText: KERNEL_FUNCTION }).first().isVisible();
    }, 10_000);
    const before = stoppedEvents().length;
    const seq2 = lastRequestSeq();
    await page.keyboard.press('F5');
    const ev = await until(`a stopped event at the ${KERNEL_FUNCTION} breakpoint in the DAP log`, () => stoppedEvents().slice(before).find((e) => e.body.reason !== 'entry'), 60_000);
    if (ev.body.reason === 'exception') throw new Error(`stopped by "${ev.body.text}" before reaching ${KERNEL_FUNCTION}`);
    const st = await until('a stackTrace response after the stop', () => responsesTo('stackTrace', seq2).find((m) => m.body?.stackFrames?.length), 20_000);
    const top = st.body.stackFrames[0];
    if (!new RegExp(`\\b${KERNEL_FUNCTION}\\b`).test(top.name)) throw new Error(`the top frame is "${top.name}", not ${KERNEL_FUNCTION}`);
    if (!/\/teachos\/kernel\/\w+\.c$/.test(top.source?.path ?? '')) throw new Error(`the top frame has no teachos kernel source (source: ${JSON.stringify(top.source)})`);
    const callStack = await pane('Call Stack');
    await visible(callStack.locator('.monaco-list-row').filter({ hasText: KERNEL_FUNCTION }), `${KERNEL_FUNCTION} in Call Stack`, 20_000);
    await visible(page.locator('.tabs-container .tab.active').filter({ hasText: top.source.name }), `the kernel source ${top.source.name} in the editor`, 20_000);
    await visible(page.locator('.part.editor .debug-top-stack-frame-line, .part.editor .codicon-debug-stackframe').first(), `the current line marker in ${top.source.name}`, 10_000);
    await settle();
    await shot('kernel-source');
    return `${top.name} at ${top.source.name}:${top.line} (${ev.body.reason})`;
  });

  await step('check "VM exit: I/O instruction" in Breakpoints', async () => {
    const bps = await pane('Breakpoints');
    // The exit filters come first in the list (the function breakpoint step left it scrolled to its end).
    const row = bps.locator('.monaco-list-row', { hasText: 'VM exit: I/O instruction' }).first();
    await until('the exception filter "VM exit: I/O instruction" in Breakpoints', async () => {
      if (await row.isVisible()) return true;
      await scrollToStart(bps);
      return row.isVisible();
    }, 20_000);
    const box = row.locator('input[type="checkbox"]');
    if (!(await box.isChecked())) await box.click();
    await until('a setExceptionBreakpoints request naming exit.IO_INSTRUCTION', () => dapMessages().some((m) => m.dir === 'toAdapter' && m.msg.command === 'setExceptionBreakpoints'
      && JSON.stringify(m.msg.arguments).includes('exit.IO_INSTRUCTION')), 10_000);
    if (!(await box.isChecked())) throw new Error('the "VM exit: I/O instruction" checkbox did not stay checked');
    await shot('exit-breakpoint');
  });

  await step('continue to the I/O exit: the editor shows the exception stop', async () => {
    const before = stoppedEvents().length;
    await page.keyboard.press('F5');
    const ev = await until('a stopped event with reason "exception" naming IO_INSTRUCTION in the DAP log', () => stoppedEvents().slice(before)
      .find((e) => e.body.reason === 'exception' && /IO_INSTRUCTION/.test(`${e.body.text} ${e.body.description}`)), 60_000);
    const callStack = await pane('Call Stack');
    const widget = page.locator('.part.editor .exception-widget').filter({ hasText: /IO_INSTRUCTION/ }).first();
    try {
      await widget.waitFor({ state: 'visible', timeout: 10_000 });
    } catch {
      // VS Code opens the widget when the focused frame's editor is ready; under load it can miss that
      // moment (the DAP log then has no exceptionInfo request). Focus the guest frame again, as a user
      // would by clicking it in Call Stack; the widget must then appear.
      log('  no exception widget yet (exceptionInfo requested: ' + (requestsOf('exceptionInfo').length > 0) + '): focusing the top guest frame again');
      const frame = callStack.locator('.monaco-list-row[aria-level="2"]').filter({ hasNotText: /^\s*VMM:/ }).first();
      await frame.click();
      await visible(widget, 'the exception widget naming IO_INSTRUCTION in the editor', 20_000);
    }
    await visible(callStack.locator('.pane-header, .monaco-list-row').filter({ hasText: /IO_INSTRUCTION/ }), 'the IO_INSTRUCTION stop in Call Stack', 10_000);
    // The VMCS at the exit: VM-exit information fields (exit reason 30, the qualification).
    const variables = await pane('Variables');
    await collapseScope(variables, /^Registers\b/);
    // Scopes belong to the frame: VS Code may or may not carry the VMCS expansion over from the entry
    // stop (it depends on which frame it focuses and when), so expand it again when it is collapsed.
    await expandScope(variables, /^VMCS\b/, 'the VMCS scope in Variables at the exit');
    const info = await visible(variables.locator('.monaco-list-row', { hasText: /VM-exit information/i }), 'the "VM-exit information fields" group of the VMCS scope');
    if ((await info.getAttribute('aria-expanded')) !== 'true') await info.click();
    await visible(variables.locator('.monaco-list-row', { hasText: /EXIT_REASON/ }), 'the VM_EXIT_REASON field in Variables', 10_000);
    await settle();
    await shot('io-exit-stop');
    return `${ev.body.text}; widget: "${(await widget.innerText()).split('\n')[0]}"`;
  });

  // Step back, twice. The first leaves the VM exit: back in the guest at the instruction that exited
  // (same instruction count; the VMM handler frame and the exception widget go away). The second goes
  // back one source line: the instruction count drops and Call Stack's top frame moves. The status bar
  // (instruction count from the adapter's vmm/stats event) must follow both.
  const stepBack = async (label) => {
    const topBefore = lastTopFrame();
    const before = stoppedEvents().length;
    const seq = lastRequestSeq();
    const btn = await visible(page.locator('.debug-toolbar .action-item a[aria-label^="Step Back"]'), 'the Step Back button on the debug toolbar', 10_000);
    await btn.click();
    const r = await until(`a response to stepBack (${label}) in the DAP log`, () => responsesTo('stepBack', seq)[0], 30_000);
    if (!r.success) throw new Error(`stepBack (${label}) failed: ${r.message}`);
    const ev = await until(`a stopped event after stepBack (${label})`, () => stoppedEvents()[before], 30_000);
    const st = await until(`a stackTrace response after stepBack (${label})`, () => responsesTo('stackTrace', seq).find((m) => m.body?.stackFrames?.length), 20_000);
    const topAfter = st.body.stackFrames[0];
    if (topBefore && frameKey(topBefore) === frameKey(topAfter)) throw new Error(`the top frame did not change on stepBack (${label}): ${frameKey(topAfter)}`);
    const stats = await until(`a vmm/stats event after stepBack (${label}) in the DAP log`, () => events('vmm/stats').filter((e) => e.seq > r.seq).at(-1), 20_000);
    const text = `${shortCount(stats.body.icount)} insns`;
    await visible(page.locator('.part.statusbar .statusbar-item').filter({ hasText: text }), `"${text}" in the status bar after stepBack (${label})`, 10_000);
    const callStack = await pane('Call Stack');
    await visible(callStack.locator('.pane-header, .monaco-list-row').filter({ hasText: /paused on step/i }), `"Paused on step" in Call Stack after stepBack (${label})`, 10_000);
    return { ev, topBefore, topAfter, icount: stats.body.icount };
  };
  await step('step back from the exit: the views update', async () => {
    const caps = responsesTo('initialize')[0]?.body ?? {};
    if (!caps.supportsStepBack) throw new Error('the adapter does not offer step back (supportsStepBack is not set)');
    const icountAtExit = events('vmm/stats').at(-1)?.body.icount;
    const first = await stepBack('out of the exit');
    const callStack = await pane('Call Stack');
    await until('the VM exit handler frame to leave Call Stack after Step Back', async () => (await callStack.locator('.monaco-list-row', { hasText: /VMM: handle/ }).count()) === 0, 10_000);
    await until('the exception widget to go away after Step Back', async () => (await page.locator('.part.editor .exception-widget').count()) === 0, 10_000);
    const second = await stepBack('one line');
    if (!(second.icount < first.icount)) throw new Error(`the second Step Back did not go back in time: icount ${first.icount} -> ${second.icount}`);
    await visible(callStack.locator('.monaco-list-row').filter({ hasText: `${second.topAfter.line}:` }).filter({ hasText: second.topAfter.name }).first(),
      `the new top frame "${second.topAfter.name}" line ${second.topAfter.line} in Call Stack`, 10_000);
    await settle();
    await shot('step-back');
    return `icount ${icountAtExit} -> ${first.icount} -> ${second.icount}; top frame ${frameKey(first.topBefore ?? {})} -> ${frameKey(first.topAfter)} -> ${frameKey(second.topAfter)}`;
  });

  await step('open the Disassembly view', async () => {
    await command('Open Disassembly View');
    const view = await visible(page.locator('.disassembly-view'), 'the Disassembly view');
    await until('instructions in the Disassembly view', async () => (await view.locator('.monaco-list-row').count()) > 3, 20_000);
    await page.waitForTimeout(500);
    await shot('disassembly');
  });

  // The time-travel exit timeline (a webview panel): command, the adapter's answer, the tab, its content.
  await step('open the timeline view', async () => {
    // Each webview gets the whole editor area (room for the screenshot): close the editors first.
    await command('View: Close All Editor Groups');
    const seq = lastRequestSeq();
    await command('VMM: Show VM Exit Timeline');
    const r = await until('the adapter\'s response to vmm/exitTimeline in the DAP log', () => responsesTo('vmm/exitTimeline', seq)[0], 30_000);
    if (!r.success) throw new Error(`vmm/exitTimeline failed: ${r.message}`);
    await visible(page.locator('.tabs-container .tab').filter({ hasText: 'VM Exit Timeline' }), 'the "VM Exit Timeline" editor tab', 20_000);
    const text = await webviewText(/exits shown/, 'the exit chart in the VM Exit Timeline webview');
    await settle();
    await shot('timeline');
    return /instructions [^:]*: [\d,]+ exits shown/.exec(text)?.[0];
  });

  // Address translation: "VMM: Translate Address…" asks for an address in an input box; the adapter walks
  // it (vmm/translate) and the extension opens a webview panel titled "Translate <address>".
  await step('open the address translation view', async () => {
    await command('View: Close All Editor Groups');
    const seq = lastRequestSeq();
    await command('VMM: Translate Address…', { answer: TRANSLATE, prompt: /Guest-virtual address/ });
    const req = await until(`a vmm/translate request for "${TRANSLATE}" in the DAP log`, () => requestsOf('vmm/translate', seq).find((m) => m.arguments?.address === TRANSLATE), 20_000);
    const r = await until('the adapter\'s response to vmm/translate in the DAP log', () => responsesTo('vmm/translate', seq).find((m) => m.request_seq === req.seq), 20_000);
    if (!r.success) throw new Error(`vmm/translate ${TRANSLATE} failed: ${r.message}`);
    // Stopped in the kernel after paging_enable(): the walk goes through the guest's page directory and
    // page table (GVA -> GPA) before EPT (GPA -> HPA).
    const t = r.body?.translation ?? {};
    if (t.mode === 'no paging' || !(t.guest?.length >= 2)) throw new Error(`the translation of ${TRANSLATE} did not walk the guest page tables (mode ${t.mode}, ${t.guest?.length ?? 0} levels)`);
    await visible(page.locator('.tabs-container .tab').filter({ hasText: `Translate ${TRANSLATE}` }), `the "Translate ${TRANSLATE}" editor tab`, 20_000);
    await webviewText(new RegExp(`GVA 0x[0-9a-f]{8} — ${t.mode}[\\s\\S]*${t.guest[0].name}`), `the ${t.mode} walk (${t.guest.map((g) => g.name).join(', ')}) in the Translate webview`);
    await settle();
    await shot('address-translation');
    return `${r.body?.text?.split('\n')[0]}: ${t.guest.map((g) => g.name).join(' -> ')} -> GPA`;
  });

  await step('stop debugging', async () => {
    await page.keyboard.press('Shift+F5');
    await until('the debug toolbar to go away', async () => !(await page.locator('.debug-toolbar').first().isVisible()), 20_000);
    await until('a terminated event or the adapter exit in the DAP log', () => dapMessages().some((m) => m.dir === 'exit' || (m.msg?.type === 'event' && m.msg.event === 'terminated')), 20_000);
  });
  clearTimeout(watchdog);
}

async function cleanup() {
  try { await browser?.close(); } catch { /* already gone */ }
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try { process.kill(-c.pid, 'SIGTERM'); } catch { /* gone */ }
    }
  }
}

/** scripts/e2e-electron.mjs's outcome ({ status: 'passed'|'failed'|'not run', reason }), read once. */
function electronStatus() {
  const f = join(ROOT, 'artifacts', 'e2e-electron.json');
  if (!existsSync(f)) return undefined;
  try { return JSON.parse(readFileSync(f, 'utf8')); } catch { return undefined; } finally { rmSync(f, { force: true }); }
}

function report() {
  if (existsSync(DAP_LOG)) copyFileSync(DAP_LOG, join(ART, 'dap.jsonl'));
  if (existsSync(SERVER_LOG)) copyFileSync(SERVER_LOG, join(ART, 'code-server.log'));
  if (consoleLines.length) writeFileSync(join(ART, 'browser-console.log'), consoleLines.join('\n') + '\n');
  const best = { 'vmcs-scope': 'vmcs-scope.png', 'kernel-source': 'kernel-source.png', 'io-exit-stop': 'io-exit-stop.png', 'step-back': 'step-back.png',
    disassembly: 'disassembly.png', timeline: 'timeline.png', 'address-translation': 'address-translation.png' };
  const allPassed = results.length > 0 && results.every((r) => r.status !== 'failed');
  if (allPassed && (process.env.VMM_E2E_UPDATE_MEDIA || !existsSync(join(MEDIA, 'vmcs-scope.png')))) {
    mkdirSync(MEDIA, { recursive: true });
    for (const f of shots) {
      const key = Object.keys(best).find((k) => f.endsWith(`-${k}.png`));
      if (key) copyFileSync(f, join(MEDIA, best[key]));
    }
    log(`screenshots copied to ${MEDIA}`);
  }
  console.log('');
  for (const r of results) console.log(`  ${r.status.padEnd(7)} ${secs(r.ms).padStart(6)}  ${r.name}${r.detail ? `: ${r.detail}` : ''}`);
  console.log(`  screenshots: ${ART}`);
  // The @vscode/test-electron suite ran just before (npm run test:e2e): count it here, as not run when
  // VS Code could not be downloaded (never as passed).
  const electron = electronStatus();
  if (electron) console.log(`  ${electron.status.padEnd(7)}         @vscode/test-electron suite${electron.reason ? `: ${electron.reason}` : ''}`);
  const passed = results.filter((r) => r.status === 'passed').length + (electron?.status === 'passed' ? 1 : 0);
  const failed = results.filter((r) => r.status === 'failed').length + (electron?.status === 'failed' ? 1 : 0);
  const skipped = results.filter((r) => r.status === 'skipped').length;
  const notRun = electron?.status === 'not run' ? `, 1 not run (test-electron: ${electron.reason})` : '';
  console.log(`e2e: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${notRun}`);
  return failed === 0 && passed > 0;
}

let ok = false;
try {
  await main();
} catch (e) {
  results.push({ name: 'suite', status: 'failed', ms: 0, detail: e instanceof Error ? e.message : String(e) });
} finally {
  await cleanup();
  ok = report();
  if (!process.env.VMM_E2E_KEEP) rmSync(RUN, { recursive: true, force: true });
  else log(`kept ${RUN}`);
}
process.exit(ok ? 0 : 1);
