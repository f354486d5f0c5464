// Time travel in the core: full-state save/restore, snapshot files, checkpoints with copy-on-write
// memory, reverse step / reverse continue / go to icount, the input log and forks. Determinism is
// checked with the state hash (memory, CPU, VMCS, devices, bookkeeping).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { SnapshotError } from '../../../src/core/time/snapshot';
import type { StopEvent } from '../../../src/core/debug/debugApi';
import { lcg, runTo as runToCount } from './runHelpers';
const runTo = (vm: Vm, n: number): void => runToCount(vm, n, 300_000);

interface Fixture { name: string; path: string; entry: number; symbols: Record<string, number>; }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const fx = (n: string): Fixture => manifest.find((f) => f.name === n)!;

function boot(name: string): { vm: Vm; serial: () => string } {
  let out = '';
  const vm = Vm.fromImage(fs.readFileSync(fx(name).path), name, {}, { serialOut: (_p, b) => { out += String.fromCharCode(...b); } });
  return { vm, serial: () => out };
}
/** Run to exactly icount `n` (asserting no stop on the way). */
function runToStop(vm: Vm, limit = 50_000_000): StopEvent {
  const end = vm.icount + limit;
  while (vm.icount < end) { const s = vm.run(200_000); if (s) return s; }
  throw new Error('no stop');
}

describe('time travel: state save / restore and snapshots', function () {
  this.timeout(120_000);

  it('restoring a saved state and re-running reaches the same state hash', () => {
    const { vm } = boot('cpuloop');
    runTo(vm, 1_500_000);
    const snap = vm.saveSnapshot('N');
    const hN = vm.stateHash();
    runTo(vm, 3_000_000);
    const hM = vm.stateHash();
    assert.notEqual(hM, hN);
    vm.loadSnapshot(snap);
    assert.equal(vm.icount, 1_500_000);
    assert.equal(vm.stateHash(), hN);
    runTo(vm, 3_000_000);
    assert.equal(vm.stateHash(), hM);
  });

  it('a snapshot loads into a fresh VM from the same image: same hash, same future', () => {
    const a = boot('demo').vm;
    runTo(a, 400_000);
    const bytes = a.saveSnapshot('demo at 400k');
    const b = boot('demo').vm;
    assert.equal(b.loadSnapshot(bytes).note, 'demo at 400k');
    assert.equal(b.stateHash(), a.stateHash());
    const sa = runToStop(a), sb = runToStop(b);
    assert.deepEqual(sb, sa);
    assert.equal(b.icount, a.icount);
    assert.equal(b.stateHash(), a.stateHash());
  });

  it('refuses a corrupt, foreign or newer snapshot with a clear error and leaves the VM unchanged', () => {
    const { vm } = boot('hello');
    runTo(vm, 200);
    const good = vm.saveSnapshot();
    runTo(vm, 250);
    const h = vm.stateHash();
    const corrupt = good.slice(); corrupt[good.length >> 1] ^= 0x55;
    assert.throws(() => vm.loadSnapshot(corrupt), (e: Error) => e instanceof SnapshotError && /corrupt/.test(e.message));
    const foreign = new TextEncoder().encode('PK\u0003\u0004 this is a zip file, not a snapshot');
    assert.throws(() => vm.loadSnapshot(foreign), /not a vmm-debug snapshot/);
    const newer = good.slice(); newer[8] = 99;
    assert.throws(() => vm.loadSnapshot(newer), /format version 99 is not supported/);
    assert.throws(() => vm.loadSnapshot(good.subarray(0, 100)), SnapshotError);
    assert.equal(vm.stateHash(), h);
    assert.equal(vm.icount, 250);
  });
});

describe('time travel: recording, reverse execution', function () {
  this.timeout(180_000);

  it('checkpoints copy only dirty pages', () => {
    const { vm } = boot('cpuloop');
    runTo(vm, 500_000);
    const tl = vm.startRecording({ interval: 200_000, minInterval: 200_000 });
    const first = tl.store.list[0];
    runTo(vm, 2_500_000);
    const st = tl.stats();
    assert.ok(st.checkpoints >= 8, `checkpoints: ${st.checkpoints}`);
    const later = tl.store.list.slice(1);
    const maxPages = Math.max(...later.map((c) => c.pages.length));
    assert.ok(first.pages.length > 0);
    // The RAM is 32 MiB (8192 pages): a checkpoint of the running loop copies a handful.
    assert.ok(maxPages < 200, `a later checkpoint copied ${maxPages} pages`);
  });

  it('reverse steps to random moments reproduce the forward run\'s state hashes', () => {
    const rnd = lcg(7);
    const targets = Array.from({ length: 6 }, () => 300_000 + Math.floor(rnd() * 2_400_000)).sort((x, y) => x - y);
    const ref = boot('cpuloop').vm;
    const expected = new Map<number, string>();
    for (const t of targets) { runTo(ref, t); expected.set(t, ref.stateHash()); }
    const { vm } = boot('cpuloop');
    vm.startRecording({ interval: 250_000, minInterval: 250_000 });
    runTo(vm, 3_000_000);
    const end = vm.stateHash();
    for (const t of [...targets].reverse()) {
      vm.gotoIcount(t + 1);
      const r = vm.stepBack(0);
      assert.equal(r.stop.kind, 'step');
      assert.equal(vm.icount, t);
      assert.equal(vm.stateHash(), expected.get(t), `state at ${t}`);
    }
    // Forward again: replays history up to the end, then continues live.
    runTo(vm, 3_000_000);
    assert.equal(vm.stateHash(), end);
    runTo(vm, 3_200_000);
    runTo(ref, 3_200_000);
    assert.equal(vm.stateHash(), ref.stateHash());
  });

  it('step back returns to the previous instruction with the registers it had', () => {
    const { vm } = boot('hello');
    vm.startRecording({ interval: 100, minInterval: 100 });
    runTo(vm, 300);
    const before = JSON.stringify(vm.registers(0));
    const pc = vm.pc(0);
    vm.step(0);
    assert.notEqual(JSON.stringify(vm.registers(0)), before);
    vm.stepBack(0);
    assert.equal(vm.icount, 300);
    assert.equal(vm.pc(0), pc);
    assert.equal(JSON.stringify(vm.registers(0)), before);
  });

  it('reverse continue stops at the last instruction-breakpoint hit, then at the start of history', () => {
    const { vm } = boot('hello');
    vm.startRecording({ interval: 100, minInterval: 100 });
    const putc = fx('hello').symbols.serial_putc;
    const hits: number[] = [];
    vm.setInstructionBreakpoints([putc]);
    for (;;) {
      const s = runToStop(vm);
      if (s.kind !== 'breakpoint') break;
      hits.push(vm.icount);
    }
    assert.ok(hits.length >= 3);
    const r1 = vm.reverseContinue(0);
    assert.equal(r1.stop.kind, 'breakpoint');
    assert.equal(vm.icount, hits[hits.length - 1]);
    const r2 = vm.reverseContinue(0);
    assert.equal(r2.stop.kind, 'breakpoint');
    assert.equal(vm.icount, hits[hits.length - 2]);
    assert.equal(vm.pc(0), putc);
    vm.setInstructionBreakpoints([]);
    const r3 = vm.reverseContinue(0);
    assert.equal(r3.stop.kind, 'entry');
    assert.match(r3.message ?? '', /start of recorded history/);
    assert.equal(vm.icount, 0);
    assert.equal(vm.pc(0), fx('hello').entry);
  });

  it('reverse continue finds the last IO_INSTRUCTION exit', () => {
    const { vm } = boot('io');
    vm.startRecording({ interval: 100, minInterval: 100 });
    vm.setExitFilters([{ id: 'exit.IO_INSTRUCTION', condition: 'port == 0x80' }]);
    const s = runToStop(vm);
    assert.equal(s.kind, 'vmexit');
    const at = vm.icount;
    vm.setExitFilters([]);
    const end = runToStop(vm);
    assert.equal(end.kind, 'exited');
    vm.setExitFilters([{ id: 'exit.IO_INSTRUCTION', condition: 'port == 0x80' }]);
    const r = vm.reverseContinue(0);
    assert.equal(r.stop.kind, 'vmexit');
    assert.equal(vm.icount, at);
    if (r.stop.kind === 'vmexit') assert.equal(r.stop.exit.fields.port, 0x80);
  });

  it('step back after a triple fault lands on the instruction that caused it', () => {
    const { vm } = boot('triple');
    vm.startRecording({ interval: 100, minInterval: 100 });
    const s = runToStop(vm);
    assert.equal(s.kind, 'shutdown');
    const r = vm.stepBack(0);
    assert.equal(r.stop.kind, 'step');
    const lines = vm.disassemble(0, vm.pc(0), 1);
    assert.match(lines[0].text, /int3/);
    // Running on faults again: the end of history is replayed the same.
    assert.equal(runToStop(vm).kind, 'shutdown');
  });

  it('serial input is logged with its icount and replayed there; input in the past forks', () => {
    const { vm } = boot('cpuloop');
    vm.startRecording({ interval: 100_000, minInterval: 100_000 });
    runTo(vm, 300_000);
    assert.equal(vm.serialInput(0, new Uint8Array([0x41, 0x42])), undefined);
    runTo(vm, 600_000);
    const h = vm.stateHash();
    vm.gotoIcount(200_000);
    runTo(vm, 600_000);
    assert.equal(vm.stateHash(), h, 'the input entered again at icount 300000');
    vm.gotoIcount(400_000);
    const msg = vm.serialInput(0, new Uint8Array([0x43]));
    assert.match(msg ?? '', /changed the past.*discarded/);
    assert.equal(vm.timeline!.frontier, 400_000);
    const w = vm.writeMemory(0, 'gpa', 0x200000, new Uint8Array([1]));
    assert.equal(w.written, 1);
    assert.equal(w.message, undefined, 'at the end of history: no fork');
  });

  it('a memory write in the past forks; replay through the write keeps it', () => {
    const { vm } = boot('cpuloop');
    vm.startRecording({ interval: 100_000, minInterval: 100_000 });
    runTo(vm, 500_000);
    vm.gotoIcount(250_000);
    const w = vm.writeMemory(0, 'gpa', 0x300000, new Uint8Array([0xab]));
    assert.match(w.message ?? '', /memory write at instruction 250000 changed the past/);
    runTo(vm, 400_000);
    const h = vm.stateHash();
    vm.gotoIcount(300_000);
    runTo(vm, 400_000);
    assert.equal(vm.stateHash(), h);
    assert.equal(vm.readMemory(0, 'gpa', 0x300000, 1).data[0], 0xab);
  });
});
