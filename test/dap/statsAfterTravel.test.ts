// DAP: the `vmm/stats` event (the extension's status bar: instruction count and exits) follows the VM
// when it travels back in time, not only when it runs forward. Found by the end-to-end suite
// (scripts/e2e.mjs): after Step Back the status bar still showed the count of the later stop.
import * as assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launchToEntry, newClient } from './helpers';

let dc: DebugClient;
type Stats = { running: boolean; icount: number; exits: number };

describe('DAP: vmm/stats after time travel', function () {
  this.timeout(60_000);
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('stepBack and reverseContinue each send vmm/stats with the instruction count they reached', async () => {
    const { caps } = await launchToEntry(dc, 'demo');
    assert.ok(caps.supportsStepBack);
    for (let k = 0; k < 4; k++) {
      const s = dc.waitForEvent('stopped');
      await dc.nextRequest({ threadId: 1, granularity: 'instruction' });
      await s;
    }
    const seen: Stats[] = [];
    dc.on('vmm/stats', (e: DebugProtocol.Event) => seen.push(e.body as Stats));
    const forward = dc.waitForEvent('stopped');
    await dc.nextRequest({ threadId: 1, granularity: 'instruction' });
    await forward;
    const at = seen.at(-1);
    assert.ok(at, 'no vmm/stats after a forward step');
    assert.equal(at.running, false);

    const n = seen.length;
    const back = dc.waitForEvent('stopped');
    await dc.stepBackRequest({ threadId: 1, granularity: 'instruction' });
    await back;
    assert.ok(seen.length > n, 'no vmm/stats after stepBack');
    assert.equal(seen.at(-1)!.running, false);
    assert.equal(seen.at(-1)!.icount, at.icount - 1, 'stepBack by one instruction: the count is one less');

    const m = seen.length;
    const rc = dc.waitForEvent('stopped');
    await dc.reverseContinueRequest({ threadId: 1 });
    await rc;
    assert.ok(seen.length > m, 'no vmm/stats after reverseContinue');
    assert.equal(seen.at(-1)!.icount, 0, 'reverse continue without breakpoints reaches the start of history');
  });
});
