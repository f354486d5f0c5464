// DAP robustness (issue 6): malformed and out-of-order requests (before launch, unknown references,
// bad addresses and arguments, requests while the guest runs, after terminate) all get error
// responses, and the session goes on answering.
import * as assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { expectError, guest, INIT_ARGS, launchToEntry, newClient } from './helpers';

let dc: DebugClient;

/** The session still answers: threads lists vcpu0 (or nothing before launch). */
async function alive(): Promise<void> {
  const t = await dc.threadsRequest();
  assert.ok(Array.isArray(t.body.threads));
}

describe('DAP: robustness', function () {
  this.timeout(30_000);
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('requests before launch are errors', async () => {
    await dc.initializeRequest(INIT_ARGS);
    await expectError(dc.scopesRequest({ frameId: 1 }));
    await expectError(dc.variablesRequest({ variablesReference: 1 }));
    await expectError(dc.evaluateRequest({ expression: 'eax' }));
    await expectError(dc.stackTraceRequest({ threadId: 1 }));
    await expectError(dc.customRequest('readMemory', { memoryReference: '0x1000', count: 4 }));
    await expectError(dc.customRequest('writeMemory', { memoryReference: '0x1000', data: 'AA==' }));
    await expectError(dc.customRequest('dataBreakpointInfo', { name: 'x' }));
    await expectError(dc.continueRequest({ threadId: 1 }));
    await expectError(dc.customRequest('vmm/translate', { address: '0x1000' }));
    await alive();
  });

  it('unknown references, bad addresses and malformed arguments are errors; the session survives', async () => {
    await launchToEntry(dc, 'demo');
    for (const ref of [0, 999_999, 1_000_123, -5, 2 ** 40]) await expectError(dc.variablesRequest({ variablesReference: ref }));
    await expectError(dc.scopesRequest({ frameId: 9_999_999 }));
    await expectError(dc.stackTraceRequest({ threadId: 42 }));
    await expectError(dc.evaluateRequest({ expression: ')(' }));
    await expectError(dc.evaluateRequest({ expression: '' }));
    await expectError(dc.evaluateRequest({ expression: 'translate' }));
    await expectError(dc.evaluateRequest({ expression: 'vmcs.NO_SUCH_FIELD' }));
    await expectError(dc.customRequest('readMemory', { memoryReference: 'gpa:zz', count: 4 }));
    await expectError(dc.customRequest('readMemory', { memoryReference: {} as unknown as string, count: 4 }));
    await expectError(dc.customRequest('writeMemory', { memoryReference: '0x1000', data: '!!not base64!!' }));
    await expectError(dc.customRequest('writeMemory', { memoryReference: 'gpa:0xffffff00', data: 'AAAA' }));
    await expectError(dc.customRequest('disassemble', { memoryReference: 'nowhere', instructionCount: 5 }));
    await expectError(dc.customRequest('vmm/noSuchThing', {}));
    await expectError(dc.launchRequest({ image: guest('demo').path } as DebugProtocol.LaunchRequestArguments));
    const info = await dc.dataBreakpointInfoRequest({ name: 'no_such_symbol' });
    assert.equal(info.body.dataId, null);
    const bad = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: 'gva:nonsense' }, { dataId: 'gpa:0xfffff000:4' }] });
    assert.deepEqual(bad.body.breakpoints.map((b) => b.verified), [false, false]);
    const ibp = await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: 'here' }, { instructionReference: '0x100000', condition: '((' }] }) as DebugProtocol.SetInstructionBreakpointsResponse;
    assert.equal(ibp.body.breakpoints[0].verified, false);
    assert.match(ibp.body.breakpoints[1].message ?? '', /condition/);
    // Still fine: a normal request works.
    await alive();
    const ok = await dc.evaluateRequest({ expression: 'eip + 1', context: 'repl' });
    assert.match(ok.body.result, /^0x/);
  });

  it('requests while the guest runs are errors; after terminate the session still answers', async () => {
    await launchToEntry(dc, 'halt');
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.continueRequest({ threadId: 1 });
    // Running (halt spins on hlt; idle for good ends it only after a while) or already stopped: both must answer.
    const r = await Promise.allSettled([
      dc.stackTraceRequest({ threadId: 1 }), dc.variablesRequest({ variablesReference: 1 }),
      dc.customRequest('readMemory', { memoryReference: '0x1000', count: 4 }), dc.evaluateRequest({ expression: 'eax' }),
    ]);
    for (const x of r) if (x.status === 'rejected') assert.match(String(x.reason), /running|stopped|stale|unknown/i);
    await alive();
    await dc.terminateRequest({});
    await Promise.allSettled([dc.evaluateRequest({ expression: 'eax' }), dc.continueRequest({ threadId: 1 }), dc.nextRequest({ threadId: 1 })]);
    await alive();
  });
});
