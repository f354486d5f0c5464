// A huge REP string I/O instruction under recording (issue 7): REP INSB with ECX = 3,000,000, every
// element an IO_INSTRUCTION exit (SDM 25.1.3) emulated by the VMM. Time must move between elements
// (each counts one instruction, as the CPU counts REP iterations), so a run budget ends inside the
// instruction with EIP still on it (SDM Vol. 2 REP: the instruction restarts until the count is
// exhausted), checkpoints fall inside it, and step back / go to instruction count land between
// elements with the same state as going forward. Written in the product's assembler (src/core/asm).
import { strict as assert } from 'node:assert';
import { Vm } from '../../../src/core/machine/vm';
import { repInsbImage } from './repInsbGuest';

function ecx(vm: Vm): number {
  const v = vm.vmm.vcpus[0];
  return (v.inGuest ? v.cpu.reg[1] : v.regs[1]) >>> 0;
}

describe('time travel: a huge REP string I/O instruction', function () {
  this.timeout(120_000);

  it('runs in budgets between elements, with checkpoints inside the instruction; step back and goto land on elements', () => {
    const vm = Vm.fromImage(repInsbImage(), 'repinsb.elf', {}, { serialOut: () => undefined });
    const tl = vm.startRecording({ interval: 20_000, minInterval: 20_000, maxInterval: 20_000 });
    // Into the REP: four instructions before it.
    assert.equal(vm.run(4), null);
    const rep = vm.pc(0);
    assert.equal(ecx(vm), 3_000_000);
    const start = vm.icount;
    const hashes = new Map<number, string>();
    for (let k = 1; k <= 5; k++) {
      assert.equal(vm.run(25_000), null, 'a budget ends inside the instruction');
      assert.equal(vm.icount, start + 25_000 * k, 'time moves one count per element');
      assert.equal(vm.pc(0), rep, 'EIP stays on the REP instruction until the count is exhausted');
      assert.equal(ecx(vm), 3_000_000 - 25_000 * k);
      hashes.set(vm.icount, vm.stateHash());
    }
    assert.ok(tl.stats().checkpoints >= 5, `checkpoints inside the instruction: ${tl.stats().checkpoints}`);
    const end = vm.icount;
    // One element back.
    vm.stepBack(0);
    assert.equal(vm.icount, end - 1);
    assert.equal(vm.pc(0), rep);
    assert.equal(ecx(vm), 3_000_000 - 125_000 + 1);
    // Any moment inside the instruction is reached again exactly.
    for (const n of [start + 25_000, start + 75_000, start + 50_000]) {
      vm.gotoIcount(n, 0);
      assert.equal(vm.icount, n);
      assert.equal(vm.stateHash(), hashes.get(n), `state at ${n}`);
    }
    vm.gotoIcount(start + 30_001, 0);
    assert.equal(ecx(vm), 3_000_000 - 30_001);
    // The exit log has one record per element, each at its own instruction count.
    const log = vm.vmm.exitLog;
    assert.ok(log.total >= 125_000, `exits logged: ${log.total}`);
    const k = log.length - 1;
    assert.equal(log.icountAt(k) - log.icountAt(k - 1), 1);
  });
});
