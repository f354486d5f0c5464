// The VM-entry failure filter and the instruction stops at the Vm facade (the DAP tests cover the
// adapter side; a DAP client cannot make the guest state invalid, so the entry failure is forced here
// by writing a reserved GUEST_ACTIVITY_STATE into the VMCS, as a hypervisor bug would).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Vm } from '../../../src/core/machine/vm';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';
import { compileInsnCondition } from '../../../src/core/debug/insnStops';

const ELF = path.resolve('build/guests/sensitive.elf');

function boot(): Vm {
  return Vm.fromImage(new Uint8Array(fs.readFileSync(ELF)), 'sensitive.elf', {}, { serialOut: () => undefined });
}

describe('debug: VM-entry failure filter and instruction stops', function () {
  this.timeout(60_000);
  before(function () { if (!fs.existsSync(ELF)) this.skip(); });

  for (const withFilter of [true, false]) {
    it(`an invalid guest state at VM entry stops as ${withFilter ? 'an "entry.failure" exit (reason 33, bit 31)' : 'an error'}`, () => {
      const vm = boot();
      vm.setExitFilters([{ id: 'exit.MSR_READ' }, ...(withFilter ? [{ id: 'entry.failure' }] : [])]);
      const s = vm.run(1_000_000);
      assert.equal(s?.kind, 'vmexit');
      vm.vmm.vcpus[0].vmcs.write(VMCS.GUEST_ACTIVITY_STATE, 7); // reserved (SDM 26.3.1.5)
      const f = vm.run(1_000_000);
      if (withFilter) {
        assert.ok(f && f.kind === 'vmexit', JSON.stringify(f));
        assert.equal(f.filterId, 'entry.failure');
        assert.equal(f.exit.reason, 33);
        assert.equal(f.exit.fields.entryFailure, true);
        assert.match(f.exit.detail, /GUEST_ACTIVITY_STATE/);
      } else {
        assert.ok(f && f.kind === 'error', JSON.stringify(f));
        assert.match(f.text, /VM entry failed: .*GUEST_ACTIVITY_STATE/);
      }
    });
  }

  it('an instruction stop leaves the instruction unexecuted; resuming runs it once; clearing the filter restores the fast loop', () => {
    const vm = boot();
    vm.setExitFilters([{ id: 'insn.sensitive', condition: 'mnemonic == pushf' }]);
    const s = vm.run(1_000_000);
    assert.ok(s && s.kind === 'instruction', JSON.stringify(s));
    assert.equal(s.exits, false);
    const icount = vm.icount;
    assert.equal(vm.pc(0), s.address);
    const next = vm.step(0);
    assert.equal(next.kind, 'step');
    assert.equal(vm.icount, icount + 1);
    vm.setExitFilters([]);
    assert.equal(vm.vmm.vcpus[0].cpu.insnStop, null);
    assert.equal(vm.run(10_000_000)?.kind, 'exited');
  });

  it('instruction conditions: mnemonics of either operand size, fields, unknown names', () => {
    assert.throws(() => compileInsnCondition('mnemonic == frobnicate'), /unknown name "frobnicate"/);
    assert.doesNotThrow(() => compileInsnCondition('mnemonic == popfd || mnemonic == POPF && cpl == 0 && exits == 0 && eax != 1'));
  });
});
