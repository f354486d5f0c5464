// DAP: what the extension's views use (issue 6): stats events and cancellable progress while the
// guest runs, the vmm/translate, vmm/textScreen and vmm/serialInput custom requests, and "Break on
// Value Change" on a variable that has a memory address.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { guestFrame, hex8, INIT_ARGS, launchToEntry, newClient, register, scopeRef } from './helpers';

let dc: DebugClient;

describe('DAP: VMM views', function () {
  this.timeout(40_000);
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('a long run sends vmm/stats and progress events; cancelling the progress pauses the guest', async () => {
    // A guest that never ends: cpuloop finished in about the progress threshold (1 s) once the
    // interpreter and the recorder became fast, and the test raced the guest's end.
    const spin = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'asm', 'spin.asm');
    await dc.initializeRequest({ ...INIT_ARGS, supportsProgressReporting: true });
    const initialized = dc.waitForEvent('initialized');
    const entry = dc.waitForEvent('stopped');
    await dc.launchRequest({ image: spin, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.configurationDoneRequest();
    await entry;
    const start = dc.waitForEvent('progressStart');
    await dc.continueRequest({ threadId: 1 });
    // The stop on entry also sends one (running: false); the run's own come about twice a second.
    let s: { running: boolean; icount: number; exitsPerSecond: number };
    do s = (await dc.waitForEvent('vmm/stats')).body as typeof s; while (!s.running);
    assert.equal(s.running, true);
    assert.ok(s.icount > 0);
    const p = (await start).body as DebugProtocol.ProgressStartEvent['body'];
    assert.equal(p.cancellable, true);
    const end = dc.waitForEvent('progressEnd');
    const paused = dc.waitForEvent('stopped');
    await dc.customRequest('cancel', { progressId: p.progressId });
    assert.equal(((await paused) as DebugProtocol.StoppedEvent).body.reason, 'pause');
    assert.equal(((await end).body as DebugProtocol.ProgressEndEvent['body']).progressId, p.progressId);
  });

  it('custom requests: vmm/translate, vmm/textScreen, vmm/serialInput', async () => {
    await launchToEntry(dc, 'demo');
    const eip = await register(dc, 'eip');
    const tr = await dc.customRequest('vmm/translate', { address: 'eip' });
    assert.equal(tr.body.translation.gva, eip);
    assert.equal(tr.body.translation.mode, 'no paging');
    assert.match(tr.body.text, new RegExp(`translate ${hex8(eip)} \\(no paging\\)`));
    const screen = await dc.customRequest('vmm/textScreen');
    assert.equal(screen.body.lines.length, 25);
    const input = await dc.customRequest('vmm/serialInput', { text: 'hi\r' });
    assert.equal(input.body.accepted, 3);
  });

  it('"Break on Value Change" on a variable with a memory address (eip), none for one without (eax)', async () => {
    await launchToEntry(dc, 'demo');
    const frame = await guestFrame(dc);
    const regs = await scopeRef(dc, frame.id, 'Registers');
    const groups = (await dc.variablesRequest({ variablesReference: regs })).body.variables;
    const general = groups.find((g) => g.name === 'General')!;
    await dc.variablesRequest({ variablesReference: general.variablesReference });
    const info = await dc.dataBreakpointInfoRequest({ variablesReference: general.variablesReference, name: 'eip' });
    assert.match(info.body.dataId ?? '', /^gva:0x[0-9a-f]{8}:4$/);
    const none = await dc.dataBreakpointInfoRequest({ variablesReference: general.variablesReference, name: 'eax' });
    assert.equal(none.body.dataId, null);
    assert.match(none.body.description, /no memory address/);
  });
});
