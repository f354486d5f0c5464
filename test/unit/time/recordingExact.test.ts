// Recording stays exact while it got cheaper (docs/adr/0013, 0019): replay marks give reverse steps a
// short replay and reproduce the forward run; checkpoints do not touch the TLBs (every write marks its
// page dirty where it happens, and the TLB content is part of each checkpoint), so a recorded run does
// what an unrecorded one does, also for a guest that tests stale TLB entries; and pages written by paths other than
// a guest store (the VMM's shadow / EPT tables, the IDE model, device-model writes, REP string
// instructions crossing pages) are found dirty: going back to a moment before them restores them.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm, type MmuMode } from '../../../src/core/machine/vm';
import type { StopEvent } from '../../../src/core/debug/debugApi';
import { lcg, runTo } from './runHelpers';

interface Fixture { name: string; path: string }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const pathOf = (n: string): string => n === 'teachos' ? 'build/guests/teachos.img' : manifest.find((f) => f.name === n)!.path;

function boot(name: string, mmu: MmuMode = 'ept', smp = 1): { vm: Vm; serial: () => string } {
  let out = '';
  const p = pathOf(name);
  const vm = Vm.fromImage(fs.readFileSync(p), p, { mmu, smp }, { serialOut: (_p, b) => { out += String.fromCharCode(...b); } });
  return { vm, serial: () => out };
}
function runToEnd(vm: Vm, limit = 200_000_000): StopEvent {
  const end = vm.icount + limit;
  while (vm.icount < end) { const s = vm.run(300_000); if (s) return s; }
  throw new Error('no stop');
}

describe('time travel: exact and cheap recording (ADR 0013)', function () {
  this.timeout(300_000);

  it('reverse steps take replay marks near the target and reproduce the forward run', () => {
    const end = 6_500_000, steps = 12;
    const ref = boot('cpuloop').vm;
    const want = new Map<number, string>();
    for (let t = end - steps; t <= end; t++) { runTo(ref, t); want.set(t, ref.stateHash()); }
    const { vm } = boot('cpuloop');
    const tl = vm.startRecording();
    runTo(vm, end);
    assert.ok(tl.interval >= 2_000_000, `default interval ${tl.interval}`);
    for (let k = 1; k <= steps; k++) {
      assert.equal(vm.stepBack(0).stop.kind, 'step');
      assert.equal(vm.icount, end - k);
      assert.equal(vm.stateHash(), want.get(end - k), `state after ${k} step(s) back`);
      // A mark within two spacings before here: the next step back replays a short stretch.
      const m = tl.marks.atOrBefore(vm.icount - 1);
      assert.ok(m && m.icount >= vm.icount - 2 * tl.marks.spacing, `no mark near ${vm.icount}: ${m?.icount}`);
    }
    // Forward again through the marks' region to the end of history, then live: the same run.
    runTo(vm, end + 100_000);
    runTo(ref, end + 100_000);
    assert.equal(vm.stateHash(), ref.stateHash());
  });

  it('a fork discards the marks at and after it; marks before it stay usable and exact', () => {
    const ref = boot('cpuloop').vm;
    runTo(ref, 3_450_000);
    const at345 = ref.stateHash();
    runTo(ref, 3_500_000);
    ref.writeMemory(0, 'gpa', 0x200000, new Uint8Array([1, 2, 3, 4]));
    runTo(ref, 3_700_000);
    const { vm } = boot('cpuloop');
    const tl = vm.startRecording({ interval: 2_000_000, minInterval: 2_000_000, markSpacing: 100_000 });
    runTo(vm, 3_900_000);
    vm.gotoIcount(3_800_000);
    vm.gotoIcount(3_500_000);
    assert.ok(tl.marks.count >= 3, `marks: ${tl.marks.count}`);
    assert.ok(tl.marks.atOrBefore(3_900_000)!.icount >= 3_500_000);
    const msg = vm.writeMemory(0, 'gpa', 0x200000, new Uint8Array([1, 2, 3, 4])).message;
    assert.match(msg ?? '', /changed the past/);
    assert.ok(tl.marks.atOrBefore(3_900_000)!.icount < 3_500_000, 'a mark of the discarded future survived the fork');
    runTo(vm, 3_700_000);
    assert.equal(vm.stateHash(), ref.stateHash(), 'the new future');
    vm.gotoIcount(3_450_000);
    assert.equal(vm.stateHash(), at345, 'before the write, through a mark');
    runTo(vm, 3_700_000);
    assert.equal(vm.stateHash(), ref.stateHash(), 'replay through the write keeps it');
  });

  it('pages written only by translated blocks between checkpoints are found dirty (cpuloop, no TLB involvement, ADR 0019)', () => {
    // The sieve's loops run as translated blocks writing through inlined TLB hits; checkpoints do not
    // touch the TLB, so only the blocks' own dirty marking records those pages.
    const rnd = lcg(4242);
    const targets = Array.from({ length: 8 }, () => 2_000_000 + Math.floor(rnd() * 5_000_000)).sort((x, y) => x - y);
    const ref = boot('cpuloop').vm;
    const want = new Map<number, string>();
    for (const t of targets) { runTo(ref, t); want.set(t, ref.stateHash()); }
    const { vm } = boot('cpuloop');
    vm.startRecording({ interval: 1_000_000, minInterval: 1_000_000, maxInterval: 1_000_000, liveMarkSpacing: 0, markSpacing: 0 });
    runTo(vm, 7_500_000);
    for (const t of [...targets].reverse()) {
      vm.gotoIcount(t);
      assert.equal(vm.stateHash(), want.get(t), `state at ${t}`);
    }
  });

  for (const mmu of ['ept', 'shadow'] as const) {
    it(`recording with a checkpoint every 3,000 instructions changes nothing the guest sees (cpu-selftest: TLB tests, ${mmu})`, () => {
      const a = boot('cpu-selftest', mmu), b = boot('cpu-selftest', mmu);
      b.vm.startRecording({ interval: 3_000, minInterval: 3_000, maxInterval: 3_000 });
      const sa = runToEnd(a.vm), sb = runToEnd(b.vm);
      assert.deepEqual(sb, sa);
      assert.equal(b.serial(), a.serial());
      assert.match(a.serial(), / 0 failed\n/);
      assert.equal(b.vm.icount, a.vm.icount);
      assert.equal(b.vm.stateHash(), a.vm.stateHash());
    });
  }

  // Going back to moments before writes made by the VMM (shadow page tables, EPT entries on
  // violations), by device models (IDE PIO into a buffer, the UART), by REP MOVS/STOS crossing pages:
  // a page missed by dirty tracking keeps its later content and the hash differs from the reference.
  const cases: { name: string; mmu: MmuMode; smp?: number; span: number }[] = [
    { name: 'ptchurn', mmu: 'shadow', span: 3_000_000 },
    { name: 'ptchurn', mmu: 'ept', span: 3_000_000 },
    { name: 'demo', mmu: 'shadow', span: 400_000 },
    { name: 'teachos', mmu: 'ept', smp: 2, span: 2_500_000 },
    { name: 'teachos', mmu: 'shadow', smp: 2, span: 2_500_000 },
  ];
  for (const c of cases) {
    it(`going back restores every page: ${c.name} (${c.mmu}${c.smp ? `, smp ${c.smp}` : ''}), random moments`, () => {
      const rnd = lcg(c.span + c.name.length);
      const targets = Array.from({ length: 5 }, () => 50_000 + Math.floor(rnd() * (c.span - 100_000))).sort((x, y) => x - y);
      const ref = boot(c.name, c.mmu, c.smp).vm;
      const want = new Map<number, string>();
      for (const t of targets) { runTo(ref, t); want.set(t, ref.stateHash()); }
      const { vm } = boot(c.name, c.mmu, c.smp);
      vm.startRecording({ interval: 40_000, minInterval: 40_000, maxInterval: 40_000, markSpacing: 10_000 });
      runTo(vm, c.span);
      for (const t of [...targets].reverse()) {
        vm.gotoIcount(t);
        assert.equal(vm.icount, t);
        assert.equal(vm.stateHash(), want.get(t), `state at ${t}`);
      }
      // And forward from the earliest moment to the end of history: the same end state.
      runTo(ref, c.span);
      runTo(vm, c.span);
      assert.equal(vm.stateHash(), ref.stateHash());
    });
  }
});
