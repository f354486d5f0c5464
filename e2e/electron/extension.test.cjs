// Extension-host API tests (run by scripts/e2e-electron.mjs where VS Code can be downloaded):
// activation, the configuration provider, the adapter factory and the commands, through `vscode`.
const assert = require('node:assert');
const path = require('node:path');
const vscode = require('vscode');

const ROOT = path.join(__dirname, '..', '..');
const EXT_ID = 'vmm-debug.vmm-debug';
const DEMO = path.join(ROOT, 'build', 'guests', 'demo.elf');

function waitFor(what, subscribe, ms = 30_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { d.dispose(); reject(new Error(`timed out after ${ms / 1000}s waiting for ${what}`)); }, ms);
    const d = subscribe((v) => { clearTimeout(timer); d.dispose(); resolve(v); });
  });
}

describe('vmm-debug in the extension host', () => {
  it('is installed and activates on the vmm debug type', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID);
    assert.ok(ext, `${EXT_ID} is not loaded`);
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
    const types = ext.packageJSON.contributes.debuggers.map((d) => d.type);
    assert.deepStrictEqual(types, ['vmm']);
  });

  it('registers its commands', async () => {
    const all = await vscode.commands.getCommands(true);
    const contributed = vscode.extensions.getExtension(EXT_ID).packageJSON.contributes.commands.map((c) => c.command);
    for (const c of contributed) assert.ok(all.includes(c), `command ${c} is contributed but not registered`);
  });

  it('resolves a launch configuration and stops on entry', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const started = waitFor('a vmm debug session to start', (f) => vscode.debug.onDidStartDebugSession(f));
    const stopped = waitFor('the stop on entry', (f) => vscode.debug.registerDebugAdapterTrackerFactory('vmm', {
      createDebugAdapterTracker: () => ({ onDidSendMessage: (m) => { if (m.type === 'event' && m.event === 'stopped') f(m.body); } }),
    }));
    const ok = await vscode.debug.startDebugging(folder, { type: 'vmm', request: 'launch', name: 'e2e', image: DEMO, stopOnEntry: true });
    assert.strictEqual(ok, true, 'startDebugging returned false');
    const session = await started;
    assert.strictEqual(session.type, 'vmm');
    const body = await stopped;
    assert.strictEqual(body.reason, 'entry');
    const ended = waitFor('the session to end', (f) => vscode.debug.onDidTerminateDebugSession(f));
    await vscode.debug.stopDebugging(session);
    await ended;
  });

  it('rejects a launch configuration without an image with a message', async () => {
    const ok = await vscode.debug.startDebugging(undefined, { type: 'vmm', request: 'launch', name: 'no image', image: path.join(ROOT, 'no-such.elf') });
    // Either the provider refuses it (false) or the adapter fails the launch: no session stays alive.
    if (ok && vscode.debug.activeDebugSession) await vscode.debug.stopDebugging(vscode.debug.activeDebugSession);
  });
});
