// DAP + GNU gdb on the same VM (launch.json `gdbPort`): gdb attaches in batch mode while VS Code's
// session is stopped at entry; gdb's continue shows as `continued` then `stopped` in the DAP session at
// gdb's breakpoint; after gdb detaches the DAP session runs the guest to its end.
import * as assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { collectOutput, hex8, launchToEntry, newClient, register } from './helpers';
import { haveGdb, regValue, runGdb } from '../gdb/gdbHarness';

describe('DAP: gdbPort (GNU gdb beside the DAP session)', function () {
  this.timeout(120_000);
  let dc: DebugClient;
  before(function () {
    if (!haveGdb()) this.skip(); // pending, with the reason in the title of the skip: no /usr/bin/gdb
  });
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('gdb attaches, breaks and continues; the DAP session follows (continued, stopped); then runs on after detach', async () => {
    const out = collectOutput(dc);
    const { info } = await launchToEntry(dc, 'hello', { gdbPort: 0 });
    const m = /GDB server on 127\.0\.0\.1:(\d+)/.exec(out.text());
    assert.ok(m, out.text());
    const port = Number(m[1]);
    const continued = dc.waitForEvent('continued');
    const stopped = dc.waitForEvent('stopped');
    const target = info.symbols.serial_init;
    const g = await runGdb(info.path, port, ['info registers eip', `break *${hex8(target)}`, 'continue', 'info registers eip', 'detach']);
    assert.deepEqual(regValue(g.out, 'eip'), [info.entry, target], g.out);
    await continued;
    const s = (await stopped) as DebugProtocol.StoppedEvent;
    assert.equal(s.body.reason, 'instruction breakpoint');
    assert.equal(await register(dc, 'eip'), target);
    // gdb removed its breakpoint and detached: VS Code's continue runs the guest to its end.
    const exited = dc.waitForEvent('exited');
    await dc.continueRequest({ threadId: 1 });
    assert.equal(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, info.expectedStatus);
  });

  it('DAP and gdb breakpoints are a union: gdb\'s run stops at VS Code\'s breakpoint (SIGTRAP), then at its own', async () => {
    const out = collectOutput(dc);
    const { info } = await launchToEntry(dc, 'hello', { gdbPort: 0 });
    const port = Number(/GDB server on 127\.0\.0\.1:(\d+)/.exec(out.text())![1]);
    const mine = info.symbols.serial_init;
    const theirs = info.symbols.serial_putc;
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: hex8(mine) }] });
    const g = await runGdb(info.path, port, [`break *${hex8(theirs)}`, 'continue', 'info registers eip', 'continue', 'info registers eip', 'detach']);
    assert.deepEqual(regValue(g.out, 'eip'), [mine, theirs], g.out);
    assert.match(g.out, /SIGTRAP/, g.out);
    // VS Code's breakpoint is still set after gdb detached: the guest runs on to the end (serial_init runs once).
    const exited = dc.waitForEvent('exited');
    await dc.continueRequest({ threadId: 1 });
    assert.equal(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, info.expectedStatus);
  });
});
