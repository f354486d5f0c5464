// DAP: conditions, hit conditions and logpoints on source breakpoints (C, via the DWARF line table of
// demo/main.c) and on function breakpoints (adapter/logpoints.ts, one expression language).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { collectOutput, guest, launch, newClient } from './helpers';

const MAIN_C = path.resolve('test/guests/demo/main.c');
const PUTC_LINE = fs.readFileSync(MAIN_C, 'utf8').split('\n').findIndex((l) => l.includes("serial_putc(c >= 0x20")) + 1;

describe('DAP: breakpoint conditions, hit counts, logpoints (source and function)', function () {
  this.timeout(60_000);
  let dc: DebugClient;
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  async function run(setup: () => Promise<unknown>): Promise<void> {
    const info = guest('demo');
    await launch(dc, { image: info.path, stopOnEntry: false }, async () => {
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      await setup();
    });
  }

  it('a source logpoint prints {expr} on every pass and never stops; the guest runs to its end', async () => {
    assert.ok(PUTC_LINE > 0);
    const out = collectOutput(dc);
    const exited = dc.waitForEvent('exited');
    let bp: DebugProtocol.Breakpoint | undefined;
    await run(async () => {
      bp = (await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: PUTC_LINE, logMessage: 'putc pass, eip={eip}' }] })).body.breakpoints[0];
    });
    assert.equal(bp?.verified, true);
    await exited;
    const passes = out.text().match(/putc pass, eip=0x[0-9a-f]+\n/g) ?? [];
    assert.ok(passes.length >= 8, `expected a log line per character of the CPUID vendor strings, got ${passes.length}`);
  });

  it('a source breakpoint with hitCondition stops on the n-th pass; a false condition never stops', async () => {
    const out = collectOutput(dc);
    const stoppedP = dc.waitForEvent('stopped');
    await run(() => dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: PUTC_LINE, hitCondition: '5', logMessage: undefined }, { line: PUTC_LINE - 1, logMessage: 'c line' }] }));
    const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.equal(stopped.body.reason, 'breakpoint');
    // Five passes of the line before it: the logpoint on the line above printed 5 times.
    assert.equal((out.text().match(/c line\n/g) ?? []).length, 5);
    const top = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
    assert.equal(top.line, PUTC_LINE);
    await dc.disconnectRequest({});

    dc = newClient(); await dc.start();
    const exited = dc.waitForEvent('exited');
    await run(() => dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: PUTC_LINE, condition: 'eax == 0x12345678 && esp == 0' }] }));
    await exited;
  });

  it('a function breakpoint with a condition on registers and memory stops when it holds; a bad condition is reported', async () => {
    const stoppedP = dc.waitForEvent('stopped');
    let bps: DebugProtocol.Breakpoint[] = [];
    await run(async () => {
      bps = (await dc.setFunctionBreakpointsRequest({ breakpoints: [
        { name: 'print_reg_chars', condition: 'esp != 0 && *(u32*)esp != 0' },
        { name: 'kmain', condition: 'eax ==' },
      ] })).body.breakpoints;
    });
    assert.equal(bps[0].verified, true);
    assert.match(bps[1].message ?? '', /condition/);
    // kmain comes first: a condition that does not compile stops (as VS Code does), never skips silently.
    const first = (await stoppedP) as DebugProtocol.StoppedEvent;
    assert.deepEqual(first.body.hitBreakpointIds, [bps[1].id]);
    const nextP = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    const stopped = (await nextP) as DebugProtocol.StoppedEvent;
    assert.deepEqual(stopped.body.hitBreakpointIds, [bps[0].id]);
    assert.match((await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].name, /print_reg_chars/);
  });
});
