// Snapshot files carry the TLBs (format version 2): the cpu-selftest fixture rewrites a PTE without
// INVLPG and reads through the old, stale translation (SDM Vol. 3A 4.10.4.3; its check
// "tlb_stale_until_invlpg_and_cr3"). A snapshot taken between that write and the read, loaded into a
// fresh VM, runs on exactly as the saved VM does (same serial output, same final state hash); with
// empty TLBs after the load (format version 1, or this change undone) the read sees the new mapping.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import type { StopEvent } from '../../../src/core/debug/debugApi';

const manifest: { name: string; path: string }[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const image = fs.readFileSync(manifest.find((f) => f.name === 'cpu-selftest')!.path);

function boot(mmu: 'ept' | 'shadow'): { vm: Vm; serial: () => string } {
  let out = '';
  const vm = Vm.fromImage(image, 'cpu-selftest', { mmu }, { serialOut: (_p, b) => { out += String.fromCharCode(...b); } });
  return { vm, serial: () => out };
}
const sym = (vm: Vm, name: string): number => vm.symbols.find((s) => s.name === name)!.address;
const read32 = (vm: Vm, gpa: number): number => {
  let v = 0;
  for (let k = 3; k >= 0; k--) v = (v << 8) | (vm.vmm.memory.read8(gpa + k) ?? 0);
  return v >>> 0;
};
function runToEnd(vm: Vm): StopEvent {
  for (let k = 0; k < 1000; k++) { const s = vm.run(1_000_000); if (s) return s; }
  throw new Error('cpu-selftest did not end');
}

/** The VM right after the guest pointed the PTE of WIN + 0x4000 at tpage[5] (no INVLPG yet: the TLB still maps tpage[4]). */
function atStaleMoment(mmu: 'ept' | 'shadow'): { vm: Vm; serial: () => string } {
  const probe = boot(mmu).vm;
  // pt[2][4] maps WIN + 0x4000 (WIN = 0x00800000); bits 5-6 (A, D) are set by the walks.
  const pte = sym(probe, 'pt') + 2 * 4096 + 4 * 4, tpage = sym(probe, 'tpage');
  const maps = (vm: Vm, page: number): boolean => (read32(vm, pte) & ~0x60) === ((tpage + page * 4096) | 7);
  const written = (vm: Vm): boolean => maps(vm, 5);
  // The PTE maps tpage[4] for a few dozen instructions, then tpage[5] for fewer: find the slice in
  // which it first maps tpage[4], then step from its start.
  let before = 0;
  while (!maps(probe, 4)) { before = probe.icount; assert.equal(probe.run(2000), null, 'the PTE write comes before the end'); }
  const b = boot(mmu);
  assert.equal(b.vm.run(before), null);
  while (!written(b.vm)) assert.equal(b.vm.step(0).kind, 'step');
  return b;
}

describe('time travel: snapshot files carry the TLBs', function () {
  this.timeout(120_000);

  for (const mmu of ['ept', 'shadow'] as const) {
    it(`${mmu}: a guest relying on a stale TLB entry continues after save + load exactly as without`, () => {
      const a = atStaleMoment(mmu);
      const snap = a.vm.saveSnapshot('stale TLB entry');
      const mark = a.serial().length;
      const sa = runToEnd(a.vm);
      const tail = a.serial().slice(mark);
      assert.match(tail, /PASS tlb_stale_until_invlpg_and_cr3\n/, 'the uninterrupted run reads the stale entry');

      const b = boot(mmu);
      b.vm.run(5000); // a VM that ran elsewhere: its own TLB content and VPID tag are replaced
      b.vm.loadSnapshot(snap);
      const mark2 = b.serial().length;
      const sb = runToEnd(b.vm);
      assert.deepEqual(sb, sa);
      assert.equal(b.serial().slice(mark2), tail);
      assert.equal(b.vm.stateHash(), a.vm.stateHash());
    });

    it(`${mmu}: the TLBs and their VPID tag are loaded as saved, into a fresh VM too`, () => {
      const a = atStaleMoment(mmu);
      const snap = a.vm.saveSnapshot();
      const fresh = boot(mmu).vm;
      fresh.loadSnapshot(snap);
      const [va, vf] = [a.vm.vmm.vcpus[0], fresh.vmm.vcpus[0]];
      assert.deepEqual(vf.cpu.mmu.saveEntries(), va.cpu.mmu.saveEntries());
      assert.ok(va.cpu.mmu.tlb[0x804] !== 0, 'the stale entry for WIN + 0x4000 is in the TLB');
      assert.equal(vf.vmx.tlbVpid, va.vmx.tlbVpid);
      // Shadow paging tags the guest's translations with a VPID (they survive exits); EPT runs without.
      assert.equal(va.vmx.tlbVpid !== 0, mmu === 'shadow');
    });
  }
});
