// DAP: time travel by source line and to a data breakpoint's last write (issue 7): step back over a
// C line (and over the call on the line before), reverse step in / out (custom requests), reverse
// continue to the last write of a watched variable ("who wrote this"), conditions decided going back.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { guest, hex8, launchToLines, lineOf, newClient, readU32, register, stopAfter, topFrame } from './helpers';

const MAIN_C = path.resolve('test/guests/demo/main.c');
const PAGING_C = path.resolve('test/guests/lib/paging.c');

let dc: DebugClient;

/** Runs the demo to the first of the source breakpoints on `lines` (with `watch`, every exit filter off). */
async function runToLine(lines: number[], watch?: boolean): Promise<DebugProtocol.StoppedEvent> {
  return (await launchToLines(dc, 'demo', MAIN_C, lines, { noExceptionFilters: watch })).stopped;
}
const u32 = (address: number): Promise<number> => readU32(dc, address);

describe('DAP: time travel by source line and to data breakpoints', function () {
  this.timeout(90_000);
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('step back by line returns to the previous line, over the call on it, with that moment\'s registers', async () => {
    const first = lineOf(MAIN_C, 'kprintf("vmm-debug demo guest\\n")');
    const callLine = lineOf(MAIN_C, 'paging_enable_identity_16m();');
    await runToLine([first]);
    assert.equal((await topFrame(dc)).line, first);
    await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [] });
    const esp = await register(dc, 'esp'), eip = await register(dc, 'eip');
    await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
    assert.notEqual((await topFrame(dc)).line, first);
    const back = await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1 }));
    assert.equal(back.body.reason, 'step');
    assert.equal((await topFrame(dc)).line, first);
    assert.equal(await register(dc, 'eip'), eip);
    assert.equal(await register(dc, 'esp'), esp);
    // Once more: over paging_enable_identity_16m (it does not stop in paging.c) to the line of the call.
    await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1 }));
    const f = await topFrame(dc);
    assert.equal(f.source?.path, MAIN_C);
    assert.equal(f.line, callLine);
    // By instruction it is one instruction.
    await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
    const before = await register(dc, 'eip');
    await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(await register(dc, 'eip'), before);
  });

  it('reverse step in enters the function called on the line before; reverse step out returns to its call', async () => {
    const first = lineOf(MAIN_C, 'kprintf("vmm-debug demo guest\\n")');
    const callLine = lineOf(MAIN_C, 'paging_enable_identity_16m();');
    await runToLine([first]);
    await stopAfter(dc, () => dc.customRequest('vmm/reverseStepIn', { threadId: 1 }));
    const inner = await topFrame(dc);
    assert.equal(inner.source?.path, PAGING_C, `stopped in ${inner.source?.path}:${inner.line}`);
    await stopAfter(dc, () => dc.customRequest('vmm/reverseStepOut', { threadId: 1 }));
    const out = await topFrame(dc);
    assert.equal(out.source?.path, MAIN_C);
    assert.equal(out.line, callLine);
  });

  it('reverse continue to a data breakpoint stops at the last write of the watched variable, before it runs', async () => {
    const after = lineOf(MAIN_C, 'if (vmcall_raised_ud)');
    const clear = lineOf(MAIN_C, 'vmcall_expect_ud = 0;');
    const set = lineOf(MAIN_C, 'vmcall_expect_ud = 1;');
    const target = guest('demo').symbols.vmcall_expect_ud ?? 0x0010c7d4;
    await runToLine([after], true);
    assert.equal((await topFrame(dc)).line, after);
    assert.equal(await u32(target), 0);
    await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [] });
    const wp = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: `gva:${hex8(target)}:4`, accessType: 'write' }] });
    assert.equal(wp.body.breakpoints[0].verified, true);
    const hit = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(hit.body.reason, 'data breakpoint');
    assert.deepEqual(hit.body.hitBreakpointIds, [wp.body.breakpoints[0].id]);
    assert.equal((await topFrame(dc)).line, clear, 'the writing instruction is on the line that clears it');
    assert.equal(await u32(target), 1, 'before the write: the old value');
    await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(await u32(target), 0, 'after the write: the new value');
    // The write before that one: the store of 1.
    await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
    const again = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(again.body.reason, 'data breakpoint');
    assert.equal((await topFrame(dc)).line, set);
    assert.equal(await u32(target), 0);
  });

  it('a conditional data breakpoint is decided going back: the last write that makes the condition true', async () => {
    const after = lineOf(MAIN_C, 'if (vmcall_raised_ud)');
    const set = lineOf(MAIN_C, 'vmcall_expect_ud = 1;');
    const target = guest('demo').symbols.vmcall_expect_ud ?? 0x0010c7d4;
    await runToLine([after], true);
    await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [] });
    // The condition is evaluated at the hit (after the write): only the store of 1 qualifies.
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: `gva:${hex8(target)}:4`, accessType: 'write', condition: `*(u32*)${hex8(target)} == 1` }] });
    const hit = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(hit.body.reason, 'data breakpoint');
    assert.equal((await topFrame(dc)).line, set);
  });

  it('the Debug Console answers `exits reason=CPUID`; travelling to a logged exit lands on its instruction', async () => {
    const after = lineOf(MAIN_C, 'uint32_t primes = count_primes();');
    await runToLine([after], true);
    const ev = await dc.evaluateRequest({ expression: 'exits reason=CPUID', context: 'repl' });
    const m = /^(\d+) CPUID exits in instructions/.exec(ev.body.result);
    assert.ok(m && Number(m[1]) >= 3, ev.body.result);
    const bad = await dc.evaluateRequest({ expression: 'exits reason=NOPE', context: 'repl' }).then(() => '', (e: Error) => e.message);
    assert.match(bad, /unknown exit reason "NOPE"/);
    const q = await dc.customRequest('vmm/exits', { query: 'reason=CPUID limit=5' }) as DebugProtocol.Response;
    const records = (q.body as { records: { icount: number; rip: number }[] }).records;
    const last = records[records.length - 1];
    const tl = await dc.customRequest('vmm/exitTimeline', { bins: 10 }) as DebugProtocol.Response;
    const body = tl.body as { history: { start: number; end: number; now: number }; series: { total: number; lanes: { reasonName: string }[] } };
    assert.ok(body.series.lanes.some((l) => l.reasonName === 'CPUID'));
    assert.ok(body.history.end >= last.icount);
    await stopAfter(dc, () => dc.customRequest('vmm/gotoIcount', { icount: last.icount, threadId: 1 }));
    const h = await dc.customRequest('vmm/history') as DebugProtocol.Response;
    assert.equal((h.body as { now: number }).now, last.icount);
    const eip = await register(dc, 'eip');
    const dis = await dc.customRequest('disassemble', { memoryReference: hex8(eip), instructionCount: 1 }) as DebugProtocol.DisassembleResponse;
    assert.match(dis.body!.instructions[0].instruction, /cpuid/);
  });
});
