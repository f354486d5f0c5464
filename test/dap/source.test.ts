// Source-level debugging over DAP on the fixtures: source breakpoints in C (demo/main.c) and
// assembly (hello/hello.s) bound through the DWARF line tables, function breakpoints, stepping by
// line (over, in, out) and by instruction, and call stacks by the frame-pointer chain.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { guest, launch, launchToLines, lineOf, newClient } from './helpers';

const MAIN_C = path.resolve('test/guests/demo/main.c');
const PAGING_C = path.resolve('test/guests/lib/paging.c');
const HELLO_S = path.resolve('test/guests/hello/hello.s');


async function frames(dc: DebugClient): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
}

/** Launches `name` (no stop on entry) with source breakpoints on `lines` of `file`; waits for the first stop. */
const runToLine = (dc: DebugClient, name: string, file: string, lines: number[]): ReturnType<typeof launchToLines> => launchToLines(dc, name, file, lines);

async function stepAndWait(dc: DebugClient, kind: 'next' | 'stepIn' | 'stepOut', granularity?: DebugProtocol.SteppingGranularity): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped');
  if (kind === 'next') await dc.nextRequest({ threadId: 1, granularity });
  else if (kind === 'stepIn') await dc.stepInRequest({ threadId: 1, granularity });
  else await dc.stepOutRequest({ threadId: 1, granularity });
  return (await stopped) as DebugProtocol.StoppedEvent;
}

describe('DAP: source breakpoints, line stepping, call stacks', function () {
  this.timeout(60_000);
  let dc: DebugClient;
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('a breakpoint on a statement in main.c stops there, with the source in the top frame', async () => {
    const line = lineOf(MAIN_C, 'kprintf("vmm-debug demo guest\\n")');
    const { stopped, bps } = await runToLine(dc, 'demo', MAIN_C, [line]);
    assert.equal(bps.length, 1);
    assert.equal(bps[0].verified, true, bps[0].message);
    assert.equal(bps[0].line, line);
    assert.equal(stopped.body.reason, 'breakpoint');
    assert.deepEqual(stopped.body.hitBreakpointIds, [bps[0].id]);
    const top = (await frames(dc))[0];
    assert.ok(top.source?.path?.endsWith(path.join('demo', 'main.c')), `top frame source ${top.source?.path}`);
    assert.equal(top.line, line);
    assert.equal(top.name, 'kmain');
  });

  it('a breakpoint in hello.s (GNU as line table) stops at that instruction', async () => {
    const line = lineOf(HELLO_S, 'call    serial_puts');
    const { stopped, bps } = await runToLine(dc, 'hello', HELLO_S, [line]);
    assert.equal(bps[0].verified, true, bps[0].message);
    assert.equal(bps[0].line, line);
    assert.equal(stopped.body.reason, 'breakpoint');
    const top = (await frames(dc))[0];
    assert.ok(top.source?.path?.endsWith(path.join('hello', 'hello.s')), `top frame source ${top.source?.path}`);
    assert.equal(top.line, line);
  });

  it('a line without code binds to the next line with code; a file not in the image is unverified', async () => {
    const blank = lineOf(MAIN_C, 'paging_enable_identity_16m();') + 1; // an empty line
    const { bps } = await runToLine(dc, 'demo', MAIN_C, [blank]);
    assert.equal(bps[0].verified, true);
    assert.equal(bps[0].line, lineOf(MAIN_C, 'kprintf("vmm-debug demo guest\\n")'));
    const other = await dc.setBreakpointsRequest({ source: { path: '/tmp/not-in-the-image.c' }, breakpoints: [{ line: 3 }] });
    assert.equal(other.body.breakpoints[0].verified, false);
    assert.match(other.body.breakpoints[0].message ?? '', /not part of the image/);
  });

  it('step over (next) in C goes to the next line of the same function, over the call', async () => {
    const callLine = lineOf(MAIN_C, 'paging_enable_identity_16m();');
    await runToLine(dc, 'demo', MAIN_C, [callLine]);
    const ev = await stepAndWait(dc, 'next');
    assert.equal(ev.body.reason, 'step');
    const top = (await frames(dc))[0];
    assert.equal(top.name, 'kmain');
    assert.equal(top.line, lineOf(MAIN_C, 'kprintf("vmm-debug demo guest\\n")'));
  });

  it('step in enters the called function past its prologue; the stack shows the caller; step out returns', async () => {
    const callLine = lineOf(MAIN_C, 'paging_enable_identity_16m();');
    await runToLine(dc, 'demo', MAIN_C, [callLine]);
    await stepAndWait(dc, 'stepIn');
    const st = await frames(dc);
    assert.equal(st[0].name, 'paging_enable_identity_16m');
    assert.ok(st[0].source?.path?.endsWith(path.join('lib', 'paging.c')), `callee source ${st[0].source?.path}`);
    assert.equal(st[0].line, lineOf(PAGING_C, 'for (uint32_t t = 0; t < MAPPED_TABLES; t++)'));
    assert.ok(st.length >= 2, `frames: ${st.map((f) => f.name).join(', ')}`);
    assert.equal(st[1].name, 'kmain');
    assert.equal(st[1].line, callLine, 'the caller frame is at the call');
    assert.ok(st[1].source?.path?.endsWith(path.join('demo', 'main.c')));
    assert.ok(new Set(st.map((f) => f.id)).size === st.length, 'distinct frame ids');
    // The caller's frame has scopes (the registers of the vCPU).
    const scopes = await dc.scopesRequest({ frameId: st[1].id });
    assert.ok(scopes.body.scopes.length > 0);

    const ev = await stepAndWait(dc, 'stepOut');
    assert.equal(ev.body.reason, 'step');
    const back = (await frames(dc))[0];
    assert.equal(back.name, 'kmain');
    // Back at the return address: the rest of the call's line, or the next line when the call ended it.
    assert.ok([callLine, lineOf(MAIN_C, 'kprintf("vmm-debug demo guest\\n")')].includes(back.line), `line ${back.line}`);
  });

  it('step in on a line calling a function with line information (kprintf) enters it', async () => {
    const line = lineOf(MAIN_C, 'kprintf("vmm-debug demo guest\\n")');
    await runToLine(dc, 'demo', MAIN_C, [line]);
    // kprintf has line information (lib/guest.c): step in enters it.
    await stepAndWait(dc, 'stepIn');
    const top = (await frames(dc))[0];
    assert.equal(top.name, 'kprintf');
    assert.ok(top.source?.path?.endsWith(path.join('lib', 'guest.c')), `${top.source?.path}`);
  });

  it('instruction granularity still moves by one instruction', async () => {
    // The first instruction of this line is not a call: "next" by instruction goes to the one after it.
    const line = lineOf(MAIN_C, 'kprintf("vmm-debug demo guest\\n")');
    await runToLine(dc, 'demo', MAIN_C, [line]);
    const before = (await frames(dc))[0];
    const dis = await dc.customRequest('disassemble', { memoryReference: before.instructionPointerReference, instructionCount: 2 }) as DebugProtocol.DisassembleResponse;
    const [first, second] = dis.body!.instructions;
    assert.ok(!/^call/.test(first.instruction), first.instruction);
    for (const kind of ['next', 'stepIn'] as const) {
      const ev = await stepAndWait(dc, kind, 'instruction');
      assert.equal(ev.body.reason, 'step');
      const after = (await frames(dc))[0];
      if (kind === 'next') {
        assert.equal(parseInt(after.instructionPointerReference!, 16), parseInt(second.address, 16));
        assert.equal(after.line, line, 'still in the same source line');
      } else {
        assert.notEqual(after.instructionPointerReference, second.address);
      }
    }
  });

  it('the call stack of frameless assembly routines: serial_putc <- serial_puts <- _start', async () => {
    const serialS = path.resolve('test/guests/lib/serial.s');
    const line = lineOf(serialS, 'incl    %esi'); // in serial_puts, after the call to serial_putc
    await runToLine(dc, 'hello', serialS, [lineOf(serialS, 'call    serial_putc')]);
    let st = await frames(dc);
    const names = (): string[] => st.map((f) => f.name.replace(/\+0x[0-9a-f]+$/, '')); // assembly frames: label+offset
    assert.deepEqual(names(), ['serial_puts', '_start']);
    assert.equal(st[1].line, lineOf(HELLO_S, 'call    serial_puts'));
    await stepAndWait(dc, 'stepIn');
    st = await frames(dc);
    assert.deepEqual(names(), ['serial_putc', 'serial_puts', '_start']);
    assert.equal(st[1].line, lineOf(serialS, 'call    serial_putc'));
    await stepAndWait(dc, 'stepOut');
    st = await frames(dc);
    assert.deepEqual(names()[0], 'serial_puts');
    assert.equal(st[0].line, line);
  });

  it('a function breakpoint stops past the prologue with the function\'s first statement line', async () => {
    const stoppedP = dc.waitForEvent('stopped');
    let bps: DebugProtocol.Breakpoint[] = [];
    const caps = await launch(dc, { type: 'vmm', request: 'launch', name: 'demo', image: guest('demo').path, stopOnEntry: false }, async () => {
      bps = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kmain' }, { name: 'no_such_function' }] })).body.breakpoints;
    });
    assert.equal(caps.supportsFunctionBreakpoints, true);
    assert.equal(bps[0].verified, true);
    assert.equal(bps[0].line, lineOf(MAIN_C, 'serial_init();'));
    assert.equal(bps[1].verified, false);
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.equal(stopped.body.reason, 'breakpoint');
    const top = (await frames(dc))[0];
    assert.equal(top.name, 'kmain');
    assert.equal(top.line, lineOf(MAIN_C, 'serial_init();'));
  });
});
