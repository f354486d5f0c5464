// DAP threads per vCPU on the `smp` fixture (smp 2): threads vcpu0/vcpu1, a breakpoint only an AP
// reaches (ap_main) stops naming vcpu1, and that thread's frames and Registers scope are vcpu1's.
import * as assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { groupedVariables, guest, hex8, launch, newClient, parseNumber, scopeRef } from './helpers';

describe('DAP: threads are vCPUs (smp)', function () {
  this.timeout(120_000);
  let dc: DebugClient;
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  async function eip(frameId: number): Promise<number> {
    const all = await groupedVariables(dc, await scopeRef(dc, frameId, 'Registers'));
    return parseNumber(all.find((x) => x.variable.name.toLowerCase() === 'eip')!.variable.value);
  }

  it('a breakpoint the AP reaches stops on thread vcpu1; its frames and registers are vcpu1\'s, vcpu0\'s differ', async () => {
    const info = guest('smp');
    const stoppedP = dc.waitForEvent('stopped');
    await launch(dc, { image: info.path, smp: 2, stopOnEntry: false }, async () => {
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: hex8(info.symbols.ap_main) }] });
    });
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    const threads = (await dc.threadsRequest()).body.threads;
    assert.deepEqual(threads.map((t) => t.name), ['vcpu0', 'vcpu1']);
    assert.equal(stopped.body.threadId, threads[1].id, `stopped on ${stopped.body.threadId}: ${stopped.body.description}`);
    const ap = (await dc.stackTraceRequest({ threadId: threads[1].id })).body.stackFrames;
    assert.equal(ap[0].instructionPointerReference, hex8(info.symbols.ap_main));
    assert.equal(await eip(ap[0].id), info.symbols.ap_main);
    const bsp = (await dc.stackTraceRequest({ threadId: threads[0].id })).body.stackFrames;
    assert.notEqual(bsp[0].id, ap[0].id);
    assert.notEqual(await eip(bsp[0].id), info.symbols.ap_main);
  });
});
