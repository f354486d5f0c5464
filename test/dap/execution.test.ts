// DAP: stepping, instruction breakpoints, exit filters (VM-exit breakpoints), exceptionInfo, guest
// output, guest exit, pause of a running guest, triple fault.
import * as assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  collectOutput, EVENT_TIMEOUT, expectError, findFilter, guest, guestFrame, hex8, launch, launchToEntry, newClient, register,
} from './helpers';

/** Setup step: no exit filters, so the guest runs to its end unless paused. */
const noFilters = (): Promise<unknown> => dc.setExceptionBreakpointsRequest({ filters: [] });
let dc: DebugClient;

const IO_FILTER = /IO_INSTRUCTION|^io$|(^|[^a-z])io([^a-z]|$)/i;

describe('DAP: execution', function () {
  beforeEach(async () => {
    dc = newClient();
    await dc.start();
  });
  afterEach(async () => {
    await dc.stop();
  });

  it('next advances eip by one instruction and reports reason "step"', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    assert.equal(await register(dc, 'eip'), info.entry);
    const stopped = dc.waitForEvent('stopped');
    await dc.nextRequest({ threadId: 1, granularity: 'instruction' });
    assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'step');
    // hello.elf: _start begins with `cli` (1 byte) then `cld` (1 byte).
    assert.equal(await register(dc, 'eip'), info.entry + 1);
    const again = dc.waitForEvent('stopped');
    await dc.stepInRequest({ threadId: 1 });
    await again;
    assert.equal(await register(dc, 'eip'), info.entry + 2);
    assert.equal((await guestFrame(dc)).name, '_start+0x2');
  });

  it('instruction breakpoint is hit on continue', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const target = info.symbols.serial_init;
    const set = await dc.customRequest('setInstructionBreakpoints', {
      breakpoints: [{ instructionReference: hex8(target) }],
    }) as DebugProtocol.SetInstructionBreakpointsResponse;
    const bp = set.body.breakpoints[0];
    assert.equal(bp.verified, true);
    assert.equal(typeof bp.id, 'number');
    const stoppedP = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.equal(stopped.body.reason, 'instruction breakpoint');
    assert.deepEqual(stopped.body.hitBreakpointIds, [bp.id]);
    assert.equal(await register(dc, 'eip'), target);
    assert.equal((await guestFrame(dc)).name, 'serial_init');
  });

  it('continue from a breakpoint goes on to the next one; clearing them runs to the end', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const first = info.symbols.serial_init;
    const second = first + 8; // objdump: 100056 `out %al,(%dx)` in serial_init
    await dc.customRequest('setInstructionBreakpoints', {
      breakpoints: [{ instructionReference: hex8(first) }, { instructionReference: hex8(second) }],
    });
    for (const want of [first, second]) {
      const stoppedP = dc.waitForEvent('stopped');
      await dc.continueRequest({ threadId: 1 });
      assert.equal(((await stoppedP) as DebugProtocol.StoppedEvent).body.reason, 'instruction breakpoint');
      assert.equal(await register(dc, 'eip'), want);
    }
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    const exited = dc.waitForEvent('exited');
    await dc.continueRequest({ threadId: 1 });
    assert.equal(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 1);
  });

  it('instruction breakpoint with an offset, and a malformed reference is unverified', async () => {
    const { info } = await launchToEntry(dc, 'hello');
    const set = await dc.customRequest('setInstructionBreakpoints', {
      breakpoints: [{ instructionReference: hex8(info.entry), offset: 1 }, { instructionReference: 'main' }],
    }) as DebugProtocol.SetInstructionBreakpointsResponse;
    assert.equal(set.body.breakpoints[0].verified, true);
    assert.equal(set.body.breakpoints[0].instructionReference, hex8(info.entry + 1));
    assert.equal(set.body.breakpoints[1].verified, false);
    assert.ok(set.body.breakpoints[1].message);
  });

  it('IO_INSTRUCTION exit filter with condition stops at "port 0x3f8"; exceptionInfo describes it', async () => {
    const { caps } = await launchToEntry(dc, 'hello');
    const filter = findFilter(caps, IO_FILTER);
    assert.equal(filter.supportsCondition, true);
    const set = await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: filter.filter, condition: 'port == 0x3f8' }] });
    assert.equal(set.body?.breakpoints?.[0]?.verified, true);
    const stoppedP = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.equal(stopped.body.reason, 'exception');
    assert.match(stopped.body.text ?? '', /^VM exit: IO_INSTRUCTION/);
    assert.match(stopped.body.text ?? '', /port 0x3f8/);
    const info = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.equal(info.body.exceptionId, filter.filter);
    assert.match(info.body.description ?? '', /port 0x3f8/);
    assert.equal(info.body.breakMode, 'always');
    assert.equal(info.body.details?.typeName, 'IO_INSTRUCTION');
    assert.match(info.body.details?.stackTrace ?? '', /port = 0x3f8/);
    const st = await dc.stackTraceRequest({ threadId: 1 });
    assert.ok(st.body.stackFrames.length >= 2); // VMM handler, the guest frame, then its callers
    assert.equal(st.body.stackFrames[0].name, 'VMM: handle IO_INSTRUCTION exit');
    assert.equal(st.body.stackFrames[1].name.startsWith('serial_init'), true);
  });

  it('IO_INSTRUCTION filter without condition: continuing reaches the exit on port 0x3f8', async () => {
    const { caps } = await launchToEntry(dc, 'hello');
    const filter = findFilter(caps, IO_FILTER);
    await dc.setExceptionBreakpointsRequest({ filters: [filter.filter] });
    const texts: string[] = [];
    for (let i = 0; i < 10; i++) {
      const stoppedP = dc.waitForEvent('stopped');
      await dc.continueRequest({ threadId: 1 });
      const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
      assert.equal(stopped.body.reason, 'exception');
      texts.push(stopped.body.text ?? '');
      if (/port 0x3f8/.test(stopped.body.text ?? '')) break;
    }
    assert.match(texts[texts.length - 1], /port 0x3f8/, texts.join(' | '));
    // The first exit of serial_init is `out` to 0x3f9 (IER).
    assert.match(texts[0], /port 0x3f9/);
  });

  it('guest #UD filter stops at the faulting instruction; continue re-injects it and the guest handles it', async () => {
    const info = guest('ud');
    const out = collectOutput(dc);
    const stoppedP = dc.waitForEvent('stopped');
    await launch(dc, { image: info.path, stopOnEntry: false }, () => dc.setExceptionBreakpointsRequest({ filters: ['guest.UD'] }));
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.equal(stopped.body.reason, 'exception');
    assert.match(stopped.body.text ?? '', /#UD/);
    const ex = await dc.exceptionInfoRequest({ threadId: 1 });
    assert.equal(ex.body.exceptionId, 'guest.UD');
    assert.equal(await register(dc, 'eip'), info.symbols.ud_insn);
    const exited = dc.waitForEvent('exited');
    await dc.continueRequest({ threadId: 1 });
    assert.equal(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, info.expectedStatus);
    assert.ok(out.stdout().includes(info.expectedSerial ?? ''), JSON.stringify(out.stdout()));
  });

  it('a bad filter condition is reported as verified=false with a message', async () => {
    const { caps } = await launchToEntry(dc, 'hello');
    const filter = findFilter(caps, IO_FILTER);
    const set = await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: filter.filter, condition: 'port ==' }] });
    const bp = set.body?.breakpoints?.[0];
    assert.equal(bp?.verified, false);
    assert.ok(bp?.message);
  });

  it('guest output arrives as stdout output events; guest exit sends exited(1) and terminated', async () => {
    const info = guest('hello');
    const out = collectOutput(dc);
    const exited = dc.waitForEvent('exited', EVENT_TIMEOUT);
    const terminated = dc.waitForEvent('terminated', EVENT_TIMEOUT);
    await launch(dc, { image: info.path, stopOnEntry: false }, noFilters);
    const ev = (await exited) as DebugProtocol.ExitedEvent;
    await terminated;
    assert.equal(ev.body.exitCode, 1);
    assert.ok(out.stdout().includes('Hello from the guest'), JSON.stringify(out.stdout()));
    assert.match(out.text(), /guest exited with status 1/);
  });

  it('demo guest runs to completion with its expected output', async () => {
    const info = guest('demo');
    const out = collectOutput(dc);
    const exited = dc.waitForEvent('exited', 60_000);
    await launch(dc, { image: info.path, stopOnEntry: false }, noFilters);
    const ev = (await exited) as DebugProtocol.ExitedEvent;
    assert.equal(ev.body.exitCode, info.expectedStatus);
    for (const s of info.expectedSerialIncludes ?? []) assert.ok(out.stdout().includes(s), `missing "${s}" in ${JSON.stringify(out.stdout())}`);
  }).timeout(90_000);

  it('pause stops a running guest quickly; requests are answered while it runs', async () => {
    const info = guest('cpuloop');
    await launch(dc, { image: info.path, stopOnEntry: false }, noFilters);
    await new Promise((r) => setTimeout(r, 300));
    // While running: threads is answered fast; scopes-type requests say the VM is running.
    let t = performance.now();
    await dc.threadsRequest();
    const threadsMs = performance.now() - t;
    assert.ok(threadsMs < 250, `threads took ${threadsMs.toFixed(1)} ms while running`);
    assert.match(await expectError(dc.variablesRequest({ variablesReference: 1 })), /VM is running/);
    const stoppedP = dc.waitForEvent('stopped');
    t = performance.now();
    await dc.pauseRequest({ threadId: 1 });
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    const pauseMs = performance.now() - t;
    assert.equal(stopped.body.reason, 'pause');
    assert.ok(pauseMs < 500, `pause took ${pauseMs.toFixed(1)} ms`);
    // Stopped somewhere inside the guest's code, past the entry.
    const eip = await register(dc, 'eip');
    assert.notEqual(eip, info.entry);
    // And it can be resumed and paused again.
    const again = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    await new Promise((r) => setTimeout(r, 100));
    await dc.pauseRequest({ threadId: 1 });
    assert.equal(((await again) as DebugProtocol.StoppedEvent).body.reason, 'pause');
  });

  it('maxInstructions pauses the guest with a description', async () => {
    const info = guest('cpuloop');
    const stoppedP = dc.waitForEvent('stopped');
    await launch(dc, { image: info.path, stopOnEntry: false, maxInstructions: 5000 }, noFilters);
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.equal(stopped.body.reason, 'pause');
    assert.match(stopped.body.description ?? '', /maxInstructions/);
  });

  it('triple fault: stopped with "VM shutdown: triple fault", state still inspectable', async () => {
    const info = guest('triple');
    const stoppedP = dc.waitForEvent('stopped');
    await launch(dc, { image: info.path, stopOnEntry: false }, noFilters);
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.equal(stopped.body.reason, 'exception');
    assert.match(stopped.body.text ?? '', /^VM shutdown: .*triple fault/i);
    await register(dc, 'eip');
    const terminated = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: 1 });
    await terminated;
  });
});
