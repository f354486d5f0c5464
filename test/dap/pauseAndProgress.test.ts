// DAP (issue 7): pause works inside a huge REP string I/O instruction (every element a VM exit), and
// a reverse continue reports its progress (progressStart / progressUpdate / progressEnd) and can be
// paused where it got to.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { guest, hex8, launch, newClient, register, stopAfter } from './helpers';
import { REP_INSB_COUNT, repInsbImage } from '../unit/time/repInsbGuest';

let dc: DebugClient;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function history(): Promise<{ start: number; end: number; now: number }> {
  return (await dc.customRequest('vmm/history') as DebugProtocol.Response).body as { start: number; end: number; now: number };
}
async function insnAt(address: number): Promise<string> {
  const dis = await dc.customRequest('disassemble', { memoryReference: hex8(address), instructionCount: 1 }) as DebugProtocol.DisassembleResponse;
  return dis.body!.instructions[0].instruction;
}
/** Launch without stopping, let it run, pause; again until at least `min` instructions of history. */
async function runAndPause(image: string, min: number): Promise<DebugProtocol.StoppedEvent> {
  await launch(dc, { type: 'vmm', request: 'launch', name: 'run', image, stopOnEntry: false }, () => dc.setExceptionBreakpointsRequest({ filters: [] }));
  for (;;) {
    await sleep(700);
    const ev = await stopAfter(dc, () => dc.pauseRequest({ threadId: 1 }));
    const h = await history();
    if (h.now - h.start >= min) return ev;
    await dc.continueRequest({ threadId: 1 });
  }
}

describe('DAP: pause inside a huge REP string I/O; reverse continue progress and pause', function () {
  this.timeout(120_000);
  let tmp = '';
  before(() => {
    tmp = path.join(os.tmpdir(), `vmm-debug-repinsb-${process.pid}.elf`);
    fs.writeFileSync(tmp, repInsbImage());
  });
  after(() => { fs.rmSync(tmp, { force: true }); });
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('pause stops between the elements of REP INSB (EIP on the instruction, ECX counting down); step back is one element', async () => {
    const ev = await runAndPause(tmp, 1);
    assert.equal(ev.body.reason, 'pause');
    const eip = await register(dc, 'eip');
    assert.match(await insnAt(eip), /rep\s+insb/i);
    const ecx = await register(dc, 'ecx');
    assert.ok(ecx > 0 && ecx < REP_INSB_COUNT, `ECX ${ecx}`);
    const h = await history();
    await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(await register(dc, 'eip'), eip);
    assert.equal(await register(dc, 'ecx'), ecx + 1);
    assert.equal((await history()).now, h.now - 1);
    await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(await register(dc, 'ecx'), ecx);
  });

  it('reverse continue reports progress events and pause stops it part way back', async () => {
    await runAndPause(guest('cpuloop').path, 20_000_000);
    const before = await history();
    const started = dc.waitForEvent('progressStart') as Promise<DebugProtocol.ProgressStartEvent>;
    const stopped = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    const ended = dc.waitForEvent('progressEnd', 60_000) as Promise<DebugProtocol.ProgressEndEvent>;
    await dc.reverseContinueRequest({ threadId: 1 });
    const start = await started;
    assert.match(start.body.title, /reverse continue/i);
    // The search goes back one checkpoint interval at a time, each scanned forward in slices (progress
    // updates between them); only a completed interval is searched for sure, so pause once the last
    // interval (from the last checkpoint to now) is behind the search.
    const cps = ((await dc.customRequest('vmm/checkpoints') as DebugProtocol.Response).body as { checkpoints: { icount: number }[] }).checkpoints;
    const lastSpan = before.now - cps[cps.length - 1].icount;
    for (;;) {
      const update = await dc.waitForEvent('progressUpdate') as DebugProtocol.ProgressUpdateEvent;
      assert.equal(update.body.progressId, start.body.progressId);
      const m = /^([\d,]+) of ([\d,]+) instructions of history searched/.exec(update.body.message ?? '');
      assert.ok(m, update.body.message);
      assert.ok((update.body.percentage ?? -1) >= 0);
      if (Number(m[1].replace(/,/g, '')) >= lastSpan) break;
    }
    await dc.pauseRequest({ threadId: 1 });
    const ev = await stopped;
    assert.equal(ev.body.reason, 'pause');
    assert.match(ev.body.text ?? '', /reverse continue paused at instruction \d+/);
    assert.equal((await ended).body.progressId, start.body.progressId);
    const after = await history();
    assert.ok(after.now < before.now && after.now > before.start, `paused at ${after.now} in ${before.start}..${before.now}`);
    assert.equal(after.end, before.end, 'the recorded future is kept');
  });
});
