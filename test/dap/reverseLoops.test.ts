// DAP: reverse stepping across one-line loops and repeated instructions (issue 7). A step back by
// source line over `for (...) x += i;` on one line stops at the previous iteration of the line, at
// exactly the moments a forward step over stops (the revloop fixture, gcc -m32 -g); reverse step in /
// out around a call inside a one-line loop; step back by instruction across REP MOVSB iterations and
// across the VM exits of REP OUTSB (one I/O exit per element, each element one instruction count).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { findFilter, guest, hex8, launch, launchToLines, lineOf as lineIn, newClient, readU32, register, stopAfter, topFrame } from './helpers';

const MAIN_C = path.resolve('test/guests/revloop/main.c');
const lineOf = (text: string): number => lineIn(MAIN_C, text);

let dc: DebugClient;

async function u32(name: string): Promise<number> {
  const address = guest('revloop').symbols[name];
  assert.ok(address, `no symbol ${name} in the manifest`);
  return readU32(dc, address);
}
/** Runs revloop to the source breakpoint on `line` (exit filters off, then `setup`), and clears it. */
async function runToLine(line: number, setup?: () => Promise<unknown>): Promise<void> {
  await launchToLines(dc, 'revloop', MAIN_C, [line], { noExceptionFilters: true, setup });
  assert.equal((await topFrame(dc)).line, line);
  await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [] });
}
/** Where the VM is: source line, pc, stack pointer and the loop variables. */
async function moment(): Promise<string> {
  const f = await topFrame(dc);
  return `line ${f.line} eip ${hex8(await register(dc, 'eip'))} esp ${hex8(await register(dc, 'esp'))} i=${await u32('loop_i')} total=${await u32('loop_total')} w=${await u32('while_w')}`;
}
/** Instruction address of the first instruction matching `re` in the function at `symbol`. */
async function insnIn(symbol: string, re: RegExp): Promise<number> {
  const dis = await dc.customRequest('disassemble', { memoryReference: hex8(guest('revloop').symbols[symbol]), instructionCount: 64 }) as DebugProtocol.DisassembleResponse;
  const i = dis.body!.instructions.find((x) => re.test(x.instruction));
  assert.ok(i, `no ${re} in ${symbol}`);
  return Number(i.address);
}

describe('DAP: reverse stepping across one-line loops and repeated instructions', function () {
  this.timeout(120_000);
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('step back over a one-line for / while loop stops at each previous iteration, where step over stops going forward', async () => {
    const before = lineOf('loop_total = 0;');
    const forLine = lineOf('for (loop_i = 0;');
    const whileLine = lineOf('while (while_w < N_WHILE)');
    const after = lineOf('call_sum = 0;');
    await runToLine(before);
    const forward = [await moment()];
    while ((await topFrame(dc)).line !== after) {
      await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
      forward.push(await moment());
      assert.ok(forward.length < 40, `forward steps did not reach line ${after}: ${forward.join('\n')}`);
    }
    // Going forward the loop lines are stopped at once on entry and once per jump back within the line.
    assert.equal(forward.filter((m) => m.startsWith(`line ${forLine} `)).length, 5, forward.join('\n'));
    assert.equal(forward.filter((m) => m.startsWith(`line ${whileLine} `)).length, 4, forward.join('\n'));
    const backward = [await moment()];
    while (backward.length < forward.length) {
      const ev = await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1 }));
      assert.equal(ev.body.reason, 'step');
      backward.push(await moment());
    }
    assert.deepEqual(backward.reverse(), forward);
  });

  it('reverse step over from after the loop lands on its last iteration; each step back is one iteration earlier', async () => {
    const forLine = lineOf('for (loop_i = 0;');
    await runToLine(lineOf('while_w = 0;'));
    assert.equal(await u32('loop_i'), 5);
    for (const i of [4, 3, 2, 1]) {
      await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1 }));
      assert.equal((await topFrame(dc)).line, forLine);
      assert.equal(await u32('loop_i'), i, `iteration ${i}`);
      assert.equal(await u32('loop_total'), (i * (i - 1)) / 2);
    }
  });

  it('reverse step in / out around a call inside a one-line loop', async () => {
    const callLine = lineOf('for (call_j = 0;');
    const bumpLine = lineOf('call_sum += v + 1;');
    await runToLine(lineOf('rep_work();'));
    assert.equal(await u32('call_sum'), 6);
    // Over: the call's line, last iteration, before its call.
    await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1 }));
    assert.equal((await topFrame(dc)).line, callLine);
    assert.equal(await u32('call_j'), 2);
    assert.equal(await u32('call_sum'), 3, 'before bump(2)');
    const atCall = await register(dc, 'eip');
    // Forward again, then in: back over the end of the line into the last line of bump.
    await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
    assert.equal((await topFrame(dc)).line, lineOf('rep_work();'));
    let f = await topFrame(dc);
    for (let k = 0; k < 3 && f.line !== bumpLine; k++) {
      await stopAfter(dc, () => dc.customRequest('vmm/reverseStepIn', { threadId: 1 }));
      f = await topFrame(dc);
      assert.ok(f.line === bumpLine || f.line === callLine, `reverse step in stopped at line ${f.line}`);
    }
    assert.equal(f.line, bumpLine, 'reverse step in entered bump');
    assert.equal(await u32('call_j'), 2);
    // Out: back to the moment of the call's line instance in the caller (iteration 2).
    await stopAfter(dc, () => dc.customRequest('vmm/reverseStepOut', { threadId: 1 }));
    assert.equal((await topFrame(dc)).line, callLine);
    assert.equal(await register(dc, 'eip'), atCall);
    assert.equal(await u32('call_j'), 2);
    assert.equal(await u32('call_sum'), 3);
  });

  it('step back by instruction across REP MOVSB goes back one iteration at a time', async () => {
    await runToLine(lineOf('rep_work();'));
    const rep = await insnIn('rep_work', /rep movs/);
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: hex8(rep) }] });
    await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(await register(dc, 'eip'), rep);
    assert.equal(await register(dc, 'ecx'), 64);
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
    for (let k = 0; k < 3; k++) await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(await register(dc, 'ecx'), 61);
    const esi = await register(dc, 'esi');
    await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(await register(dc, 'eip'), rep);
    assert.equal(await register(dc, 'ecx'), 62);
    assert.equal(await register(dc, 'esi'), esi - 1);
  });

  it('step back by instruction across the VM exits of REP OUTSB: one element per step, the exit\'s instruction first', async () => {
    await runToLine(lineOf('rep_out();'));
    const rep = await insnIn('rep_out', /rep outs/);
    const afterRep = (await dc.customRequest('disassemble', { memoryReference: hex8(rep), instructionCount: 2 }) as DebugProtocol.DisassembleResponse).body!.instructions[1];
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: afterRep.address }] });
    await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(await register(dc, 'eip'), Number(afterRep.address));
    assert.equal(await register(dc, 'ecx'), 0);
    const esi = await register(dc, 'esi');
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
    // Each element of REP OUTSB is one exit and one instruction count: back one element at a time.
    await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(await register(dc, 'eip'), rep);
    assert.equal(await register(dc, 'ecx'), 1);
    assert.equal(await register(dc, 'esi'), esi - 1);
    await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(await register(dc, 'ecx'), 2);
  });

  // Only HLT: an interrupt that arrives in a running loop through the VMX-preemption timer is taken at
  // the start of the next run after a budget ends there, so a step back then a step forward stops
  // before it (docs/notes/revfix.md, what remains).
  for (const phase of ['hlt'] as string[]) {
    it(`step back across an interrupt delivery (PIT IRQ0 ${phase === 'hlt' ? 'waking HLT' : 'into a spin loop'}) lands before it in the interrupted code; forward delivers it again`, async () => {
      const t = guest('timer');
      const stoppedP = dc.waitForEvent('stopped');
      await launch(dc, { type: 'vmm', request: 'launch', name: 'timer', image: t.path, stopOnEntry: false }, async () => {
        await dc.setExceptionBreakpointsRequest({ filters: [] });
        await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: hex8(t.symbols.irq0_handler) }] });
      });
      await stoppedP;
      const tick = async (): Promise<number> => {
        const r = await dc.customRequest('readMemory', { memoryReference: hex8(t.symbols.ticks), count: 4 }) as DebugProtocol.ReadMemoryResponse;
        return Buffer.from(r.body!.data!, 'base64').readUInt32LE(0);
      };
      // The tenth tick (ticks = 10 on entry) comes in the spin loop; the first ones wake the HLT.
      if (phase === 'spin') while (await tick() < 10) await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      else await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(await register(dc, 'eip'), t.symbols.irq0_handler);
      const esp = await register(dc, 'esp');
      const frame = await dc.customRequest('readMemory', { memoryReference: hex8(esp), count: 4 }) as DebugProtocol.ReadMemoryResponse;
      const returnEip = Buffer.from(frame.body!.data!, 'base64').readUInt32LE(0);
      const regs = await Promise.all(['eip', 'esp', 'eflags', 'eax'].map((r) => register(dc, r)));
      const ticks = await tick();
      await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
      const back = await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
      assert.equal(back.body.reason, 'step');
      const before = await register(dc, 'eip');
      assert.notEqual(before, t.symbols.irq0_handler, 'out of the handler');
      const inLoop = phase === 'hlt' ? [t.symbols.halt_insn] : [t.symbols.spin_loop, returnEip];
      assert.ok(inLoop.includes(before) || before < returnEip, `stepped back to ${hex8(before)}, interrupted at ${hex8(returnEip)}`);
      assert.equal(await tick(), ticks, 'the handler has not run yet');
      // Forward one instruction: the same interrupt is delivered at the same moment.
      await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
      assert.deepEqual(await Promise.all(['eip', 'esp', 'eflags', 'eax'].map((r) => register(dc, r))), regs);
    });
  }

  it('stopped at an I/O exit inside REP OUTSB, step back goes to the start of that element; reverse continue finds the element before', async () => {
    const stoppedP = dc.waitForEvent('stopped');
    await launch(dc, { type: 'vmm', request: 'launch', name: 'revloop', image: guest('revloop').path, stopOnEntry: false }, async (c) => {
      const filter = findFilter(c, /IO_INSTRUCTION|^io$|(^|[^a-z])io([^a-z]|$)/i);
      await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: filter.filter, condition: 'port == 0x80' }] });
    });
    const first = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.match(first.body.text ?? '', /IO_INSTRUCTION/);
    const rep = await register(dc, 'eip');
    assert.equal(await register(dc, 'ecx'), 16);
    for (let k = 0; k < 3; k++) await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(await register(dc, 'ecx'), 13, 'the fourth element');
    const back = await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(back.body.reason, 'step');
    assert.equal(await register(dc, 'eip'), rep);
    assert.equal(await register(dc, 'ecx'), 13, 'the start of the element that exited');
    const again = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.match(again.body.text ?? '', /IO_INSTRUCTION/);
    assert.equal(await register(dc, 'ecx'), 14, 'the exit of the element before');
  });
});
