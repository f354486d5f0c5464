// DAP (issue 7), snapshots from the client's point of view: save the VM at the current moment and end
// the session (suspend), resume it later in a new session, restore it into another running session,
// clone it into a second session beside the first. A session that starts from a snapshot keeps
// recording from that moment (history, and the exit log, begin at the snapshot) and says so.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { collectOutput, guest, launch, launchToEntry, newClient, registerTexts, stopAfter } from './helpers';

const MAIN_C = path.resolve('test/guests/demo/main.c');
const lineOf = (text: string): number => fs.readFileSync(MAIN_C, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmm-snap-sessions-'));

let dc: DebugClient;
let dc2: DebugClient | undefined;

async function history(c: DebugClient): Promise<{ start: number; end: number; now: number; exits: number }> {
  return (await c.customRequest('vmm/history') as DebugProtocol.Response).body as { start: number; end: number; now: number; exits: number };
}
async function exits(c: DebugClient): Promise<{ count: number; records: { icount: number }[] }> {
  return (await c.customRequest('vmm/exits', { query: 'limit=10000' }) as DebugProtocol.Response).body as { count: number; records: { icount: number }[] };
}
async function line(c: DebugClient): Promise<number> {
  return (await c.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].line;
}
/** Session on the demo guest stopped at the line that counts primes (after its CPUID lines). */
async function demoAtPrimes(c: DebugClient): Promise<void> {
  const stopped = c.waitForEvent('stopped');
  await launch(c, { type: 'vmm', request: 'launch', name: 'demo', image: guest('demo').path, stopOnEntry: false }, async () => {
    await c.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: lineOf('uint32_t primes = count_primes();') }] });
    await c.setExceptionBreakpointsRequest({ filters: [] });
  });
  await stopped;
  await c.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [] });
}
/** Run to the end: the guest's stdout from now on and its exit code. */
async function runToEnd(c: DebugClient, out: { stdout: () => string }): Promise<{ stdout: string; code: number }> {
  const before = out.stdout().length;
  const exited = c.waitForEvent('exited', 60_000) as Promise<DebugProtocol.ExitedEvent>;
  await c.continueRequest({ threadId: 1 });
  const code = (await exited).body.exitCode;
  await c.waitForEvent('terminated', 10_000).catch(() => undefined);
  return { stdout: out.stdout().slice(before), code };
}

describe('DAP: snapshots across sessions (suspend, resume, restore, clone)', function () {
  this.timeout(120_000);
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => {
    await dc.stop();
    if (dc2) await dc2.stop();
    dc2 = undefined;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('suspend, then resume in a new session: same moment, recording from there (history and exit log begin at the snapshot), told so', async () => {
    await demoAtPrimes(dc);
    const file = path.join(dir, 'suspend.vmmsnap');
    await dc.customRequest('vmm/snapshotSave', { path: file, note: 'at the primes' });
    const atSave = await registerTexts(dc);
    const n = (await history(dc)).now;
    assert.ok((await exits(dc)).count > 0, 'the first session logged exits before the snapshot');
    await dc.stop();
    // Resume.
    dc = newClient(); await dc.start();
    const out = collectOutput(dc);
    const stopped = dc.waitForEvent('stopped');
    await launch(dc, { image: guest('demo').path, snapshot: file, stopOnEntry: true });
    await stopped;
    assert.deepEqual(await registerTexts(dc), atSave);
    assert.match(out.text(), /resumed snapshot "at the primes" from suspend\.vmmsnap at instruction count \d+; recording continues from here: recorded history begins at the snapshot/);
    let h = await history(dc);
    assert.deepEqual([h.start, h.now], [n, n]);
    assert.equal((await exits(dc)).count, 0, 'no exits of another history');
    const back = await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(back.body.reason, 'entry', 'nothing before the snapshot');
    // Recording goes on: run to a later line, then back to the snapshot's line by reverse continue.
    const crcLine = lineOf('kprintf("crc32(4 KiB)');
    await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: crcLine }] });
    await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(await line(dc), crcLine);
    h = await history(dc);
    assert.ok(h.end > n && h.start === n);
    const logged = await exits(dc);
    assert.ok(logged.count > 0 && logged.records.every((r) => r.icount >= n), 'exits after the snapshot are logged');
    await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: lineOf('uint32_t primes = count_primes();') }] });
    const rc = await stopAfter(dc, () => dc.reverseContinueRequest({ threadId: 1 }));
    assert.equal(rc.body.reason, 'breakpoint');
    assert.equal((await history(dc)).now, n);
    assert.deepEqual(await registerTexts(dc), atSave);
  });

  it('restore into another running session: the saved moment, a new history from there, the guest finishes as the original would', async () => {
    await demoAtPrimes(dc);
    const file = path.join(dir, 'restore.vmmsnap');
    await dc.customRequest('vmm/snapshotSave', { path: file });
    const atSave = await registerTexts(dc);
    const n = (await history(dc)).now;
    const reference = await runToEnd(dc, collectOutput(dc));
    assert.match(reference.stdout, /demo done/);
    // Another session of the same image, somewhere else in its run.
    dc2 = newClient(); await dc2.start();
    const out = collectOutput(dc2);
    await launchToEntry(dc2, 'demo');
    for (let k = 0; k < 3; k++) await stopAfter(dc2, () => dc2!.nextRequest({ threadId: 1, granularity: 'instruction' }));
    await stopAfter(dc2, () => dc2!.customRequest('vmm/snapshotRestore', { path: file }));
    assert.match(out.text(), /restored snapshot "instruction count \d+" \(instruction count \d+\); recorded history starts here/);
    assert.deepEqual(await registerTexts(dc2), atSave);
    const h = await history(dc2);
    assert.deepEqual([h.start, h.now, h.end], [n, n, n]);
    assert.equal((await exits(dc2)).count, 0);
    const resumed = await runToEnd(dc2, out);
    assert.equal(resumed.code, reference.code);
    assert.equal(resumed.stdout, reference.stdout, 'the same output from the saved moment on');
  });

  it('restore in the same session after running on: history and the exit log restart at the snapshot (no exits of the discarded future)', async () => {
    await demoAtPrimes(dc);
    const file = path.join(dir, 'same.vmmsnap');
    await dc.customRequest('vmm/snapshotSave', { path: file });
    const n = (await history(dc)).now;
    const crcLine = lineOf('kprintf("crc32(4 KiB)');
    await dc.setBreakpointsRequest({ source: { path: MAIN_C }, breakpoints: [{ line: crcLine }] });
    await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    const later = await exits(dc);
    assert.ok(later.records.some((r) => r.icount > n), 'exits after the snapshot moment were logged');
    await stopAfter(dc, () => dc.customRequest('vmm/snapshotRestore', { path: file }));
    const h = await history(dc);
    assert.deepEqual([h.start, h.now, h.end], [n, n, n]);
    assert.equal((await exits(dc)).count, 0, 'the exits of the discarded future are gone');
    await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(await line(dc), crcLine);
    const again = await exits(dc);
    assert.equal(again.count, later.records.filter((r) => r.icount >= n).length, 'logged again from the snapshot on');
  });

  it('clone into a second session beside the first: both go on from the moment independently, with the same future', async () => {
    await demoAtPrimes(dc);
    const out1 = collectOutput(dc);
    const file = path.join(dir, 'clone.vmmsnap');
    await dc.customRequest('vmm/snapshotSave', { path: file });
    const atSave = await registerTexts(dc);
    dc2 = newClient(); await dc2.start();
    const out2 = collectOutput(dc2);
    const stopped = dc2.waitForEvent('stopped');
    await launch(dc2, { image: guest('demo').path, snapshot: file, stopOnEntry: true, name: 'demo (clone)' });
    await stopped;
    assert.deepEqual(await registerTexts(dc2), atSave);
    // The clone steps on; the original stays where it was.
    for (let k = 0; k < 5; k++) await stopAfter(dc2, () => dc2!.nextRequest({ threadId: 1 }));
    assert.notDeepEqual(await registerTexts(dc2), atSave);
    assert.deepEqual(await registerTexts(dc), atSave);
    const a = await runToEnd(dc, out1);
    const b = await runToEnd(dc2, out2);
    assert.equal(b.code, a.code);
    assert.match(a.stdout, /primes below 2000: 303\n[^]*demo done\n/);
    assert.equal(out2.stdout(), a.stdout, 'the clone printed what the original printed after the moment');
  });
});
