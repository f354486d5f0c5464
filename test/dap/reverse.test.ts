// DAP: reverse execution (issue 7): stepBack, reverseContinue to an instruction breakpoint and to a
// VM-exit filter, step back after a triple fault, goto an instruction count.
import * as assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { findFilter, guest, hex8, launch, launchToEntry, newClient, register, registerTexts, stopAfter } from './helpers';

let dc: DebugClient;
const IO_FILTER = /IO_INSTRUCTION|^io$|(^|[^a-z])io([^a-z]|$)/i;


describe('DAP: reverse execution', function () {
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('announces supportsStepBack; stepBack returns to the previous instruction with the same registers', async () => {
    const { caps, info } = await launchToEntry(dc, 'hello');
    assert.equal(caps.supportsStepBack, true);
    for (let k = 0; k < 3; k++) await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    const before = await registerTexts(dc);
    const eip = await register(dc, 'eip');
    await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    assert.notEqual(await register(dc, 'eip'), eip);
    const back = await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(back.body.reason, 'step');
    assert.equal(await register(dc, 'eip'), eip);
    assert.deepEqual(await registerTexts(dc), before);
    // Back to the entry point, then the start of history.
    for (let k = 0; k < 3; k++) await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1 }));
    assert.equal(await register(dc, 'eip'), info.entry);
    const start = await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1 }));
    assert.equal(start.body.reason, 'entry');
  });

  it('reverseContinue stops at the previous instruction-breakpoint hit, with that moment\'s registers', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const target = info.symbols.serial_putc;
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: hex8(target) }] });
    const first = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(first.body.reason, 'instruction breakpoint');
    const atFirst = await registerTexts(dc);
    await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    const atSecond = await registerTexts(dc);
    assert.notDeepEqual(atSecond, atFirst);
    const back = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(back.body.reason, 'instruction breakpoint');
    assert.equal(await register(dc, 'eip'), target);
    assert.deepEqual(await registerTexts(dc), atFirst);
    // Nothing earlier: the start of history.
    const start = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(start.body.reason, 'entry');
    assert.equal(await register(dc, 'eip'), info.entry);
    // Forward again replays to the same breakpoint.
    await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.deepEqual(await registerTexts(dc), atFirst);
  });

  it('reverseContinue stops at the last IO_INSTRUCTION exit-filter hit', async () => {
    const { caps } = await launchToEntry(dc, 'io');
    const filter = findFilter(caps, IO_FILTER);
    await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: filter.filter, condition: 'port == 0x80' }] });
    const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(hit.body.reason, 'exception');
    assert.match(hit.body.text ?? '', /IO_INSTRUCTION/);
    const eip = await register(dc, 'eip');
    for (let k = 0; k < 5; k++) await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
    assert.notEqual(await register(dc, 'eip'), eip);
    const back = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(back.body.reason, 'exception');
    assert.match(back.body.text ?? '', /IO_INSTRUCTION.*0x80/);
    assert.equal(await register(dc, 'eip'), eip);
  });

  it('stepBack after a triple fault lands on the instruction that caused it', async () => {
    const info = guest('triple');
    const stoppedP = dc.waitForEvent('stopped');
    await launch(dc, { image: info.path, stopOnEntry: false }, () => dc.setExceptionBreakpointsRequest({ filters: [] }));
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.match(stopped.body.text ?? '', /triple fault/i);
    const back = await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1 }));
    assert.equal(back.body.reason, 'step');
    const eip = await register(dc, 'eip');
    const dis = await dc.customRequest('disassemble', { memoryReference: hex8(eip), instructionCount: 1 }) as DebugProtocol.DisassembleResponse;
    assert.match(dis.body!.instructions[0].instruction, /int3/);
  });

  it('goto an instruction count in history', async () => {
    await launchToEntry(dc, 'hello');
    for (let k = 0; k < 4; k++) await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
    const t = await dc.gotoTargetsRequest({ source: {}, line: 2 });
    assert.equal(t.body.targets.length, 1);
    await stopAfter(dc, () => dc.gotoRequest({ threadId: 1, targetId: t.body.targets[0].id }));
    const e = (await launchInfo()).entry;
    assert.equal(await register(dc, 'eip'), e + 2);
    const none = await dc.gotoTargetsRequest({ source: {}, line: 1_000_000 });
    assert.equal(none.body.targets.length, 0);
  });
});

async function launchInfo(): Promise<{ entry: number }> { return guest('hello'); }
